# requires: timing
# The frames a veth pair sends by itself once up (MLDv2 reports, DAD NS, RS) as device counters
# at a settle time where the kernel's count is stable across trials.
. "$(dirname "$0")/lib6.sh"
nsadd a b
ip link add eth0 netns a address 02:00:00:00:0a:01 type veth peer name eth0 netns b address 02:00:00:00:0b:01
ip -n a link set eth0 up
ip -n b link set eth0 up
count_settle
ip -n a -s link show eth0
ip -n b -s link show eth0
ip -n a addr show eth0
ip -n b -6 route show table all
