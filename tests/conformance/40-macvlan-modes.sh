. "$(dirname "$0")/lib.sh"
# MACVLAN private / vepa / bridge on one lower (kernel-spec MV-RX-02/03, MV-TX-01..04): the
# lower eth0 (netns h) is a veth whose peer is a port of br0 (netns sw), next to an outside
# host x. Two macvlans of the lower, moved to netns a and b, ping each other and x, first with
# the bridge port's hairpin off, then on (vepa needs the reflective relay; bridge mode switches
# locally; private never lets them talk, even reflected). The lower's own address (h) only
# reaches a macvlan when the bridge reflects the frames.
nsadd sw h a b x
ip -n sw link add br0 type bridge
ip -n sw link set br0 up
ip -n sw link add sw-h type veth peer name eth0 netns h
ip -n sw link add sw-x type veth peer name eth0 netns x
for p in sw-h sw-x; do
    ip -n sw link set $p master br0
    ip -n sw link set $p up
done
ip -n h addr add 10.0.0.5/24 dev eth0
ip -n h link set eth0 up
ip -n x addr add 10.0.0.9/24 dev eth0
ip -n x link set eth0 up
try() { ip netns exec $1 ping -c 1 -W 1 $2 > /dev/null; echo "  $1 -> $2: $?"; }
for hp in off on; do
    bridge -n sw link set dev sw-h hairpin $hp
    for mode in private vepa bridge; do
        echo "hairpin $hp, mode $mode"
        ip -n h link add link eth0 name mva address 02:00:00:00:0a:01 type macvlan mode $mode
        ip -n h link add link eth0 name mvb address 02:00:00:00:0b:01 type macvlan mode $mode
        ip -n h link set mva netns a
        ip -n h link set mvb netns b
        ip -n a addr add 10.0.0.1/24 dev mva
        ip -n b addr add 10.0.0.2/24 dev mvb
        ip -n a link set mva up
        ip -n b link set mvb up
        settle
        try a 10.0.0.2
        try b 10.0.0.1
        try a 10.0.0.9
        try x 10.0.0.2
        try h 10.0.0.1
        ip -n a link del mva
        ip -n b link del mvb
        ip -n x neigh flush dev eth0
        ip -n h neigh flush dev eth0
    done
done
