# requires: timing
# disable_ipv6: all propagates to default and every device, default only to new devices,
# per device on its own; a disabled device refuses IPv6 addresses.
. "$(dirname "$0")/lib6.sh"
nsadd a
ip -n a link add v1 address 02:00:00:00:01:01 type veth peer name v2 address 02:00:00:00:01:02
ip -n a link set lo up
ip -n a link set v1 up
ip -n a link set v2 up
ip netns exec a sysctl -w net.ipv6.conf.all.disable_ipv6=1
ip netns exec a sysctl net.ipv6.conf.default.disable_ipv6 net.ipv6.conf.lo.disable_ipv6 net.ipv6.conf.v1.disable_ipv6 net.ipv6.conf.v2.disable_ipv6
ip -n a addr
ip -n a -6 route show table all
ip -n a -6 addr add 2001:db8::5/64 dev v1
echo "status $?"
ip netns exec a sysctl -w net.ipv6.conf.all.disable_ipv6=0
ip netns exec a sysctl net.ipv6.conf.default.disable_ipv6 net.ipv6.conf.v1.disable_ipv6
ip -n a addr
ip netns exec a sysctl -w net.ipv6.conf.default.disable_ipv6=1
ip -n a link add v3 address 02:00:00:00:01:03 type veth peer name v4 address 02:00:00:00:01:04
ip netns exec a sysctl net.ipv6.conf.v1.disable_ipv6 net.ipv6.conf.v3.disable_ipv6 net.ipv6.conf.v4.disable_ipv6 net.ipv6.conf.all.disable_ipv6
ip -n a link set v3 up
ip -n a link set v4 up
ip -n a addr show v3
ip netns exec a sysctl -w net.ipv6.conf.v3.disable_ipv6=0
ip -n a addr show v3
ip netns exec a sysctl -w net.ipv6.conf.v1.disable_ipv6=1
ip -n a addr show v1
ip -n a -6 route show table all
