# requires: macvlan timing
# A macvlan on one end of a veth pair: its own link-local, DAD, MLD, RS; per-device counters
# after the stable settle time.
. "$(dirname "$0")/lib6.sh"
nsadd a b
ip link add eth0 netns a address 02:00:00:00:0a:01 type veth peer name eth0 netns b address 02:00:00:00:0b:01
ip -n a link add mv0 link eth0 address 02:00:00:00:0a:02 type macvlan mode bridge
ip -n a link set eth0 up
ip -n a link set mv0 up
ip -n b link set eth0 up
count_settle
ip -n a addr
ip -n a -s link show eth0
ip -n a -s link show mv0
ip -n b -s link show eth0
ip -n a -6 route show table all
