# addrgenmode: eui64 (default), none, stable_secret (RFC 7217), random; their sysctl values.
. "$(dirname "$0")/lib6.sh"
nsadd a
ip -n a link add v1 address 02:00:00:00:0c:01 type veth peer name v2 address 02:00:00:00:0c:02
ip -n a -d link show v1 | grep -o 'addrgenmode [a-z0-9_]*'
ip -n a link set v1 addrgenmode none
ip -n a -d link show v1 | grep -o 'addrgenmode [a-z0-9_]*'
ip netns exec a sysctl net.ipv6.conf.v1.addr_gen_mode
ip -n a link set v1 up
ip -n a link set v2 up
ip -n a addr
ip -n a -6 route show table all
ip netns exec a sysctl -w net.ipv6.conf.v2.stable_secret=2001:db8::1234
ip netns exec a sysctl net.ipv6.conf.v2.addr_gen_mode net.ipv6.conf.v2.stable_secret
ip -n a -d link show v2 | grep -o 'addrgenmode [a-z0-9_]*'
ip -n a link set v2 down
ip -n a link set v2 up
ip -n a addr show v2
ip -n a link set v2 addrgenmode eui64
ip -n a link set v2 down
ip -n a link set v2 up
ip -n a addr show v2
ip -n a link set v2 addrgenmode random
ip netns exec a sysctl net.ipv6.conf.v2.addr_gen_mode
ip -n a link set v2 down
ip -n a link set v2 up
ip -n a addr show v2 | grep -c 'scope link tentative stable-privacy'
ip -n a link set v2 addrgenmode bogus
echo "status $?"
ip netns exec a sysctl -w net.ipv6.conf.v2.addr_gen_mode=4
echo "status $?"
ip netns exec a sysctl net.ipv6.conf.default.stable_secret
echo "status $?"
ip netns exec a sysctl -w net.ipv6.conf.default.addr_gen_mode=1
ip -n a link add v5 address 02:00:00:00:0c:05 type veth peer name v6 address 02:00:00:00:0c:06
ip -n a -d link show v5 | grep -o 'addrgenmode [a-z0-9_]*'
ip -n a link set v5 up
ip -n a link set v6 up
ip -n a addr show v5
