# requires: timing
# A global /64 on both ends: prefix route at once, local route after DAD, ping, neighbours, del.
. "$(dirname "$0")/lib6.sh"
nsadd a b
ip link add eth0 netns a address 02:00:00:00:0a:01 type veth peer name eth0 netns b address 02:00:00:00:0b:01
ip -n a link set eth0 up
ip -n b link set eth0 up
dad_settle
ip -n a -6 addr add 2001:db8::1/64 dev eth0
ip -n b -6 addr add 2001:db8::2/64 dev eth0
ip -n a addr show eth0
ip -n a -6 route show table all
dad_settle
ip -n a addr show eth0
ip -n a -6 route show table all
ip -n a -6 route show table local
ip netns exec a ping -6 -c 2 -i 0.2 2001:db8::2
echo "status $?"
neigh6 -n a
neigh6 -n b
ip -n a -6 route get 2001:db8::2
ip -n a -6 addr add 2001:db8:1::1/128 dev eth0
ip -n a -6 addr add 2001:db8:2::1/64 dev eth0 nodad
ip -n a addr show eth0
ip -n a -6 route show
ip -n a -6 addr del 2001:db8::1/64 dev eth0
ip -n a addr show eth0
ip -n a -6 route show table all
ip -n a -6 addr add 2001:db8:2::1/64 dev eth0
echo "status $?"
