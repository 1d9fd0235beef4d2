. "$(dirname "$0")/lib.sh"
nsadd a b
ip link add eth0 netns a type veth peer name eth0 netns b
ip -n a link set eth0 up
ip -n b link set eth0 up
settle
ip -n a link
ip -n b -j link show eth0
ip -n a link set eth0 down
settle
ip -n b link show eth0
