# requires: ipvlan
. "$(dirname "$0")/lib.sh"
# ARP and IPVLAN (kernel-spec IPV-09, IPV-RX-02/04): the on-link host x asks for a slave's
# address. l2: the request reaches the slave (broadcast path) and it answers. l3: the request
# is steered to the slave by its target IP and dropped there (NOARP), so x's entry fails.
# l3s: the request goes to the master's own ARP, which does not own the address. A NOARP
# slave resolves every neighbour to its own (shared) MAC.
nsadd h a x
ip -n h link add eth0 address 02:00:00:00:00:05 type veth peer name eth0 address 02:00:00:00:00:09 netns x
ip -n h addr add 10.0.0.5/24 dev eth0
ip -n h link set eth0 up
ip -n x addr add 10.0.0.9/24 dev eth0
ip -n x link set eth0 up
for mode in l2 l3 l3s; do
    echo "mode $mode"
    ip -n h link add link eth0 name ipvl0 type ipvlan mode $mode
    ip -n h link set ipvl0 netns a
    ip -n a addr add 10.0.0.1/24 dev ipvl0
    ip -n a link set ipvl0 up
    settle
    ip netns exec x ping -c 1 -W 1 10.0.0.1 > /dev/null 2>&1; echo "  x -> a: $?"
    sleep 3.5
    ip -n x neigh show 10.0.0.1
    ip netns exec a ping -c 1 -W 1 10.0.0.9 > /dev/null 2>&1; echo "  a -> x: $?"
    ip -n a neigh show
    ip -n a link show ipvl0 | head -1
    ip -n a link del ipvl0
    ip -n x neigh flush dev eth0
    ip -n h neigh flush dev eth0
done
