. "$(dirname "$0")/lib.sh"
nsadd h1 r h2
ip link add e0 netns h1 type veth peer name e0 netns r
ip link add e1 netns r type veth peer name e0 netns h2
ip -n h1 addr add 10.0.1.2/24 dev e0
ip -n r addr add 10.0.1.1/24 dev e0
ip -n r addr add 10.0.2.1/24 dev e1
ip -n h2 addr add 10.0.2.2/24 dev e0
for n in h1 r h2; do ip -n $n link set lo up; done
ip -n h1 link set e0 up; ip -n r link set e0 up; ip -n r link set e1 up; ip -n h2 link set e0 up
ip -n h1 route add default via 10.0.1.1
ip -n h2 route add default via 10.0.2.1
ip netns exec h1 ping -c 1 10.0.2.2; echo "status $?"
ip netns exec r sysctl -qw net.ipv4.ip_forward=1
ip netns exec h1 ping -c 2 -i 0.2 10.0.2.2; echo "status $?"
ip netns exec h1 ping -c 1 -t 1 10.0.2.2; echo "status $?"
ip netns exec h1 ping -c 1 10.0.3.1; echo "status $?"
