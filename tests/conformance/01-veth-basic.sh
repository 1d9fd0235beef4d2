. "$(dirname "$0")/lib.sh"
nsadd a
ip -n a link add v0 type veth peer name v1
ip -n a link
ip -n a link set v0 up
settle
ip -n a link show v0
ip -n a link set v1 up
settle
ip -n a -br link
