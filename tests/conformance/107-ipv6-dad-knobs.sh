# requires: timing
# accept_dad=0 and dad_transmits=0 skip DAD; dad_transmits=3 keeps an address tentative ~4 s;
# nodad addresses are never tentative.
. "$(dirname "$0")/lib6.sh"
nsadd a
ip -n a link add v1 address 02:00:00:00:0d:01 type veth peer name v2 address 02:00:00:00:0d:02
ip netns exec a sysctl -w net.ipv6.conf.v1.accept_dad=0 net.ipv6.conf.v2.dad_transmits=3
ip netns exec a sysctl net.ipv6.conf.all.accept_dad net.ipv6.conf.default.accept_dad net.ipv6.conf.lo.accept_dad
ip -n a link set v1 up
ip -n a link set v2 up
ip -n a addr
ip -n a -6 route show table all
sleep 2.5
ip -n a addr show v2
sleep 3
ip -n a addr show v2
ip netns exec a sysctl -w net.ipv6.conf.v1.dad_transmits=0 net.ipv6.conf.v1.accept_dad=1
ip -n a -6 addr add 2001:db8::1/64 dev v1
ip -n a -6 addr add 2001:db8::2/64 dev v2 nodad
ip -n a -6 addr add 2001:db8::3/64 dev v2
ip -n a addr
ip -n a -6 route show table all
