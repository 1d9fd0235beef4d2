# requires: timing
# ping -6 between link-local addresses: %dev scope, NDP, the neighbour table on both sides.
. "$(dirname "$0")/lib6.sh"
nsadd a b
ip link add eth0 netns a address 02:00:00:00:0a:01 type veth peer name eth0 netns b address 02:00:00:00:0b:01
ip -n a link set eth0 up
ip -n b link set eth0 up
dad_settle
neigh6 -n a
ip netns exec a ping -6 -c 2 -i 0.2 fe80::ff:fe00:b01%eth0
echo "status $?"
neigh6 -n a
neigh6 -n b
ip netns exec b ping -c 1 fe80::ff:fe00:a01%eth0
echo "status $?"
ip netns exec b ping -6 -c 1 fe80::ff:fe00:a01
echo "status $?"
neigh6 -n a
neigh6 -n b
ip -n a -6 neigh show dev eth0
ip netns exec a ping -6 -c 1 -W 1 fe80::1%eth0
echo "status $?"
ip -n a -6 neigh show fe80::1
