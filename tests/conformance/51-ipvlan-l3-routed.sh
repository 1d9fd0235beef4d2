# requires: ipvlan
. "$(dirname "$0")/lib.sh"
# IPVLAN l3 / l3s the way it is meant to be used (kernel-spec IPV-TX-01, IPV-RX-02/05): the
# slaves (netns a, b: 10.1.0.1, 10.1.0.2) sit in their own subnet with a default route through
# their slave device; the outside host x routes 10.1.0.0/24 via the master's address 10.0.0.5.
# No forwarding on h: the master demultiplexes by destination IP, and slave packets are routed
# in h's netns out of the master (oif = master, any source). A slave reaching the master's own
# address is a local route in h; the reply has no way back.
nsadd h a b x
ip -n h link add eth0 type veth peer name eth0 netns x
ip -n h addr add 10.0.0.5/24 dev eth0
ip -n h link set eth0 up
ip -n x addr add 10.0.0.9/24 dev eth0
ip -n x link set eth0 up
ip -n x route add 10.1.0.0/24 via 10.0.0.5
try() { ip netns exec $1 ping -c 1 -W 1 $2 > /dev/null 2>&1; echo "  $1 -> $2: $?"; }
for mode in l3 l3s; do
    for flag in bridge private; do
        echo "mode $mode $flag"
        ip -n h link add link eth0 name ipvl0 type ipvlan mode $mode $flag
        ip -n h link add link eth0 name ipvl1 type ipvlan mode $mode $flag
        ip -n h link set ipvl0 netns a
        ip -n h link set ipvl1 netns b
        ip -n a addr add 10.1.0.1/24 dev ipvl0
        ip -n b addr add 10.1.0.2/24 dev ipvl1
        ip -n a link set ipvl0 up
        ip -n b link set ipvl1 up
        ip -n a route add default dev ipvl0
        ip -n b route add default dev ipvl1
        settle
        try x 10.1.0.1
        try a 10.0.0.9
        try b 10.0.0.9
        try a 10.1.0.2
        try a 10.0.0.5
        ip -n a neigh show
        ip -n a link del ipvl0
        ip -n b link del ipvl1
        ip -n x neigh flush dev eth0
        ip -n h neigh flush dev eth0
    done
done
