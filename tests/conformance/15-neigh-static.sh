. "$(dirname "$0")/lib.sh"
nsadd a
ip -n a link add v0 type veth peer name v1
ip -n a link set v0 up
ip -n a addr add 10.0.0.1/24 dev v0
ip -n a neigh add 10.0.0.5 lladdr 02:00:00:00:00:05 dev v0
ip -n a neigh add 10.0.0.6 lladdr 02:00:00:00:00:06 dev v0 nud reachable
ip -n a neigh add 10.0.0.5 lladdr 02:00:00:00:00:07 dev v0; echo "status $?"
ip -n a neigh replace 10.0.0.5 lladdr 02:00:00:00:00:07 dev v0
ip -n a neigh | sort
ip -n a neigh del 10.0.0.6 dev v0
ip -n a neigh show dev v0
ip -n a neigh del 10.0.0.6 dev v0; echo "status $?"
