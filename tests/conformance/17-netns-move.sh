. "$(dirname "$0")/lib.sh"
nsadd a b
ip -n a link add v0 type veth peer name v1
ip -n a addr add 10.0.0.1/24 dev v0
ip -n a link set v0 up
ip -n a link set v1 up
settle
ip -n a link set v0 netns b
settle
ip -n a link
ip -n b link
ip -n b addr
ip netns del b
settle  # netns cleanup runs asynchronously in the kernel
ip -n a link
