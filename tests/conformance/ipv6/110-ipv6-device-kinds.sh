# requires: tun tap ifb macvlan timing
# Which kinds get IPv6: tun/tap without a reader have no carrier (no address); ifb is NOARP
# (no DAD: preferred at once, accept_dad -1); macvlan gets its own eui64 link-local.
. "$(dirname "$0")/lib6.sh"
nsadd a
ip -n a link add v0 address 02:00:00:00:01:00 type veth peer name v1 address 02:00:00:00:01:01
ip -n a link set v0 up
ip -n a link set v1 up
ip -n a tuntap add tun0 mode tun
ip -n a tuntap add tap0 mode tap
ip -n a link set tap0 address 02:00:00:00:02:00
ip -n a link add ifb0 address 02:00:00:00:03:00 type ifb
ip -n a link add mv0 link v0 address 02:00:00:00:04:00 type macvlan mode bridge
for d in tun0 tap0 ifb0 mv0; do ip -n a link set $d up; done
ip -n a addr show ifb0
ip netns exec a sysctl net.ipv6.conf.tun0.accept_dad net.ipv6.conf.tap0.accept_dad net.ipv6.conf.ifb0.accept_dad net.ipv6.conf.mv0.accept_dad
dad_settle
ip -n a addr
ip -n a -6 route show table all
ip -n a -6 maddr show dev ifb0
ip -n a -6 maddr show dev mv0
