# requires: dummy
. "$(dirname "$0")/lib.sh"
# DUMMY-02/03/04: a dummy device is BROADCAST,NOARP, noqueue, UNKNOWN when up; what is routed to
# it is counted as transmitted and dropped (no ARP: NOARP), nothing is ever received; a given MAC
# must be unicast (EADDRNOTAVAIL); the same name twice is EEXIST.
nsadd a
ip -n a link add d0 type dummy
ip -n a link add d1 address 02:00:00:00:00:01 mtu 9000 type dummy
ip -n a link add d0 type dummy; echo "dup rc=$?"
ip -n a link add d2 address 01:00:00:00:00:01 type dummy; echo "mcast rc=$?"
ip -n a link set d0 up
ip -n a link set lo up
ip -n a addr add 10.9.0.1/24 dev d0
ip -n a route add 198.51.100.0/24 dev d1
ip -n a link show
ip netns exec a ping -c 2 -W 1 10.9.0.2; echo "ping rc=$?"
ip netns exec a ping -c 1 -W 1 198.51.100.1; echo "down ping rc=$?"
ip netns exec a ping -c 1 -W 1 10.9.0.1; echo "self ping rc=$?"
ip -n a -s link show d0
ip -n a -d link show d1
ip -n a neigh show dev d0
ip -n a link del d0
ip -n a link show
ip netns del a
