. "$(dirname "$0")/lib.sh"
nsadd a
ip -n a link add v0 type veth peer name v1
ip -n a link set v0 up
ip -n a addr add 10.0.0.1/24 dev v0
ip -n a addr add 10.0.0.2/24 dev v0
ip -n a addr add 10.0.0.3/24 dev v0
ip -n a addr show dev v0
ip -n a route show table local
ip -n a addr del 10.0.0.1/24 dev v0
ip -n a addr show dev v0
ip -n a route show table all type local
