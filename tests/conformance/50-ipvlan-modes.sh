# requires: ipvlan
. "$(dirname "$0")/lib.sh"
# IPVLAN l2 / l3 / l3s x bridge / private / vepa on one master (kernel-spec IPV-RX-*, IPV-TX-*):
# the master eth0 (netns h, 10.0.0.5) is a veth whose peer is the outside host x (10.0.0.9);
# two slaves in netns a (10.0.0.1) and b (10.0.0.2), all on one subnet. Who reaches whom by
# ping. l2: slaves ARP through the master's broadcast path; bridge switches slave to slave
# locally, private drops it, vepa sends it out the master. l3/l3s: slaves are NOARP and ARP
# for a slave IP is swallowed, so the on-link x never reaches them; the master never reaches
# a slave (its own transmissions go to the wire). ping's stderr is dropped: where a private
# port drops a packet at once the kernel's ping also says "sendmsg: No buffer space
# available" (NET_XMIT_DROP -> ENOBUFS), which the emulator does not report yet.
nsadd h a b x
ip -n h link add eth0 type veth peer name eth0 netns x
ip -n h addr add 10.0.0.5/24 dev eth0
ip -n h link set eth0 up
ip -n x addr add 10.0.0.9/24 dev eth0
ip -n x link set eth0 up
try() { ip netns exec $1 ping -c 1 -W 1 $2 > /dev/null 2>&1; echo "  $1 -> $2: $?"; }
for mode in l2 l3 l3s; do
    for flag in bridge private vepa; do
        echo "mode $mode $flag"
        ip -n h link add link eth0 name ipvl0 type ipvlan mode $mode $flag
        ip -n h link add link eth0 name ipvl1 type ipvlan mode $mode $flag
        ip -n h link set ipvl0 netns a
        ip -n h link set ipvl1 netns b
        ip -n a addr add 10.0.0.1/24 dev ipvl0
        ip -n b addr add 10.0.0.2/24 dev ipvl1
        ip -n a link set ipvl0 up
        ip -n b link set ipvl1 up
        settle
        try a 10.0.0.2
        try b 10.0.0.1
        try a 10.0.0.5
        try h 10.0.0.1
        try a 10.0.0.9
        try x 10.0.0.1
        ip -n a link del ipvl0
        ip -n b link del ipvl1
        ip -n x neigh flush dev eth0
        ip -n h neigh flush dev eth0
    done
done
