# strict reverse-path filtering drops packets whose source routes back out another interface
. "$(dirname "$0")/lib.sh"
nsadd a r
ip link add e0 netns a type veth peer name e0 netns r
ip link add e1 netns a type veth peer name e1 netns r
ip -n a addr add 10.0.0.1/24 dev e0
ip -n a addr add 10.1.0.1/24 dev e1
ip -n r addr add 10.0.0.2/24 dev e0
ip -n r addr add 10.1.0.2/24 dev e1
for d in e0 e1; do ip -n a link set $d up; ip -n r link set $d up; done
ip -n a link set lo up; ip -n r link set lo up
ip netns exec a ping -c 1 -W 1 -I 10.1.0.1 10.0.0.2 >/dev/null; echo "rp_filter=0: status $?"
ip netns exec r sysctl -qw net.ipv4.conf.all.rp_filter=1
ip netns exec a ping -c 1 -W 1 -I 10.1.0.1 10.0.0.2 >/dev/null; echo "rp_filter=1: status $?"
ip netns exec r sysctl -qw net.ipv4.conf.all.rp_filter=2
ip netns exec a ping -c 1 -W 1 -I 10.1.0.1 10.0.0.2 >/dev/null; echo "rp_filter=2: status $?"
