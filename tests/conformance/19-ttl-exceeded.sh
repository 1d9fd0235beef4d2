. "$(dirname "$0")/lib.sh"
nsadd h1 r1 r2 h2
ip link add e0 netns h1 type veth peer name e0 netns r1
ip link add e1 netns r1 type veth peer name e0 netns r2
ip link add e1 netns r2 type veth peer name e0 netns h2
ip -n h1 addr add 10.0.1.2/24 dev e0
ip -n r1 addr add 10.0.1.1/24 dev e0
ip -n r1 addr add 10.0.2.1/24 dev e1
ip -n r2 addr add 10.0.2.2/24 dev e0
ip -n r2 addr add 10.0.3.1/24 dev e1
ip -n h2 addr add 10.0.3.2/24 dev e0
for n in h1 r1 r2 h2; do
    ip -n $n link set lo up
    for d in e0 e1; do ip -n $n link set $d up 2>/dev/null; done
done
ip netns exec r1 sysctl -qw net.ipv4.ip_forward=1
ip netns exec r2 sysctl -qw net.ipv4.ip_forward=1
ip -n h1 route add default via 10.0.1.1
ip -n r1 route add 10.0.3.0/24 via 10.0.2.2
ip -n r2 route add 10.0.1.0/24 via 10.0.2.1
ip -n h2 route add default via 10.0.3.1
ip netns exec h1 ping -c 1 10.0.3.2; echo "status $?"
ip netns exec h1 ping -c 1 -t 1 10.0.3.2; echo "status $?"
ip netns exec h1 ping -c 1 -t 2 10.0.3.2; echo "status $?"
ip netns exec h1 ping -c 1 -t 3 10.0.3.2 | grep -c "bytes from"
