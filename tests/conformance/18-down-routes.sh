. "$(dirname "$0")/lib.sh"
nsadd a
ip -n a link add v0 type veth peer name v1
ip -n a link set v0 up
ip -n a link set v1 up
ip -n a addr add 10.0.0.1/24 dev v0
ip -n a route add 10.5.0.0/16 via 10.0.0.7
settle
ip -n a route show table all
ip -n a link set v0 down
ip -n a route show table all
ip -n a link set v0 up
settle
ip -n a route show table all
