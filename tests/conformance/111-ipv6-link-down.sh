# requires: timing
# Down removes every IPv6 address and route of the device (keep_addr_on_down=0); up starts over.
# The peer losing carrier keeps its link-local but makes it tentative again (no local route,
# routes linkdown) and redoes DAD when carrier returns.
. "$(dirname "$0")/lib6.sh"
nsadd a b
ip link add eth0 netns a address 02:00:00:00:0a:01 type veth peer name eth0 netns b address 02:00:00:00:0b:01
ip -n a link set eth0 up
ip -n b link set eth0 up
ip -n a -6 addr add 2001:db8::1/64 dev eth0
dad_settle
ip -n a addr show eth0
ip -n a link set eth0 down
settle
ip -n a addr show eth0
ip -n a -6 route show table all
ip -n b addr show eth0
ip -n b -6 route show table all
ip -n a link set eth0 up
ip -n a addr show eth0
ip -n a -6 route show table all
dad_settle
ip -n a addr show eth0
ip -n b addr show eth0
ip -n a -6 route show table all
