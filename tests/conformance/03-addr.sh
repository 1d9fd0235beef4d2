. "$(dirname "$0")/lib.sh"
nsadd a
ip -n a link add v0 type veth peer name v1
ip -n a addr add 10.0.0.1/24 brd + dev v0
ip -n a addr add 10.0.0.2/24 dev v0
ip -n a addr add 10.0.1.1/24 dev v0 label v0:1
ip -n a addr
ip -n a -br addr
ip -n a -o addr show dev v0
ip -n a addr add 10.0.0.1/24 dev v0; echo "status $?"
ip -n a addr del 10.0.0.1/24 dev v0
ip -n a addr show dev v0
