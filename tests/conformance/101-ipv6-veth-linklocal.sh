# requires: timing
# A veth pair between two namespaces: eui64 link-local addresses, tentative until DAD is done.
# dad_transmits=4 (set in default before the devices exist) keeps them tentative >= 4 s, so the
# tentative state is seen whatever the delay linkwatch puts on the carrier (up to 1 s).
. "$(dirname "$0")/lib6.sh"
nsadd a b
ip netns exec a sysctl -qw net.ipv6.conf.default.dad_transmits=4
ip netns exec b sysctl -qw net.ipv6.conf.default.dad_transmits=4
ip link add eth0 netns a address 02:00:00:00:0a:01 type veth peer name eth0 netns b address 02:00:00:00:0b:01
ip netns exec b sysctl net.ipv6.conf.eth0.dad_transmits net.ipv6.conf.eth0.accept_dad
ip -n a addr
ip -n a -6 route show table all
ip -n a link set eth0 up
ip -n a addr show eth0
ip -n b link set eth0 up
settle
ip -n a addr show eth0
ip -n b addr show eth0
ip -n a -6 route show table all
ip -n b -6 route show table all
ip -n a -6 addr show tentative
sleep 6
ip -n a addr
ip -n b addr
ip -n a -6 route show table all
ip -n b -6 route show table all
neigh6 -n a
ip -n a -6 addr show scope link
ip -n a -6 addr show tentative
ip -n a -j -6 addr show dev eth0
