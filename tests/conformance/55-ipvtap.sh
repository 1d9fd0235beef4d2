# requires: ipvlan
. "$(dirname "$0")/lib.sh"
# IPVTAP (kernel-spec §3, MVT-01/03): an ipvlan whose frames would go to /dev/tapN; with no
# file open they go to the netdev's own stack, so it behaves as an ipvlan. It queues (qlen 500,
# a real qdisc instead of noqueue: its name is net.core.default_qdisc, cut out) and shares
# the port's mode with ipvlan slaves. Unlike ipvlan, the ipvtap kind has no get_link_net, so a
# moved ipvtap shows name@ifN without link-netns. (Its flags are cut: iproute2 prints no
# M-DOWN for an iflink it cannot resolve, the emulator's printer does.)
nsadd h a b x
ip -n h link add eth0 type veth peer name eth0 netns x
ip -n h addr add 10.0.0.5/24 dev eth0
ip -n h link set eth0 up
ip -n x addr add 10.0.0.9/24 dev eth0
ip -n x link set eth0 up
ip -n h link add link eth0 name tap0 type ipvtap mode l2 bridge
ip -n h link add link eth0 name ipvl0 type ipvlan mode l2
ip -n h -d link show dev tap0
ip -n h link set tap0 netns a
ip -n h link set ipvl0 netns b
ip -n a addr add 10.0.0.1/24 dev tap0
ip -n b addr add 10.0.0.2/24 dev ipvl0
ip -n a link set tap0 up
ip -n b link set ipvl0 up
settle
ip -n a -o link show dev tap0 | sed 's/<[^>]*> //; s/qdisc [a-z_]* //'
try() { ip netns exec $1 ping -c 1 -W 1 $2 > /dev/null 2>&1; echo "  $1 -> $2: $?"; }
try a 10.0.0.2
try b 10.0.0.1
try a 10.0.0.9
try x 10.0.0.1
r() { "$@"; echo "rc=$?"; }
r ip -n a link set tap0 type ipvtap mode l3 private
ip -n b -d link show dev ipvl0
try a 10.0.0.2
r ip -n a link set tap0 type ipvlan mode l2
