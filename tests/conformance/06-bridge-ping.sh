. "$(dirname "$0")/lib.sh"
nsadd a b
ip link add br0 type bridge
ip link set br0 up
for n in a b; do
    ip link add veth-$n type veth peer name eth0 netns $n
    ip link set veth-$n master br0
    ip link set veth-$n up
    ip -n $n link set eth0 up
done
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
settle
ip netns exec a ping -c 3 -i 0.2 10.0.0.2
echo "status $?"
ip link show master br0
