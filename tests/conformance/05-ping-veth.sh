. "$(dirname "$0")/lib.sh"
nsadd a b
ip link add eth0 netns a type veth peer name eth0 netns b
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
ip -n a link set eth0 up
ip -n b link set eth0 up
ip -n a link set lo up
ip netns exec a ping -c 2 -i 0.2 10.0.0.2
echo "status $?"
ip -n a neigh
ip -n b neigh
ip netns exec a ping -c 1 10.0.0.1
ip netns exec a ping -c 1 10.9.9.9; echo "status $?"
