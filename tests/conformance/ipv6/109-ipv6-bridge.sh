# requires: timing
# A bridge with veth ports: the bridge gets a link-local only once it has carrier, ports keep
# theirs; ping -6 across the bridge between two namespaces.
. "$(dirname "$0")/lib6.sh"
nsadd a b
ip link add br0 address 02:00:00:00:00:10 type bridge
ip link set br0 up
ip -6 addr show dev br0
ip link add p1 address 02:00:00:00:00:11 type veth peer name eth0 netns a address 02:00:00:00:0a:01
ip link add p2 address 02:00:00:00:00:12 type veth peer name eth0 netns b address 02:00:00:00:0b:01
ip link set p1 master br0
ip link set p2 master br0
ip link set p1 up
ip link set p2 up
ip -n a link set eth0 up
ip -n b link set eth0 up
ip -n a -6 addr add 2001:db8::1/64 dev eth0
ip -n b -6 addr add 2001:db8::2/64 dev eth0
settle
dad_settle
ip addr show br0
ip addr show p1
ip -6 route show table all
ip netns exec a ping -6 -c 2 -i 0.2 2001:db8::2
echo "status $?"
ip netns exec a ping -6 -c 1 fe80::ff:fe00:10%eth0
echo "status $?"
neigh6 -n a
neigh6 -n b
neigh6
