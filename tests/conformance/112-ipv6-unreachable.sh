# requires: timing
# No route: connect() fails at once; an on-link address nobody has: NDP fails, neighbour INCOMPLETE.
. "$(dirname "$0")/lib6.sh"
nsadd a b
ip link add eth0 netns a address 02:00:00:00:0a:01 type veth peer name eth0 netns b address 02:00:00:00:0b:01
ip -n a link set eth0 up
ip -n b link set eth0 up
ip -n a -6 addr add 2001:db8::1/64 dev eth0
dad_settle
ip netns exec a ping -6 -c 1 2001:db9::1
echo "status $?"
ip netns exec a ping -6 -c 1 -W 1 2001:db8::99
echo "status $?"
neigh6 -n a
ip -n a -6 route get 2001:db8::99
ip -n a -6 route get fe80::1
ip -n a -6 route get 2001:db9::1
echo "status $?"
ip -n a -6 route add default via 2001:db8::fe
ip -n a -6 route show
ip netns exec a ping -6 -c 1 -W 1 2001:db9::1
echo "status $?"
neigh6 -n a
