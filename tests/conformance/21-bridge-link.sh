. "$(dirname "$0")/lib.sh"
# bridge link: the port list, per-port options and STP states, set and shown back
nsadd a b c
ip link add br0 type bridge
ip link set br0 up
for n in b c; do
    ip link add veth-$n type veth peer name eth0 netns $n
    ip link set veth-$n master br0
    ip link set veth-$n up
    ip -n $n link set eth0 up
done
ip link add v0 type veth peer name v1
ip link set v0 master br0
settle
bridge link
bridge -d link show dev veth-b
bridge link set dev veth-b hairpin on learning off cost 7 priority 40
bridge link set dev veth-c flood off mcast_flood off bcast_flood off isolated on
bridge -d link
bridge -d -j -p link show dev veth-c
bridge link set dev veth-c state 2; echo "status $?"
bridge link show dev veth-c
bridge link set dev veth-c state blocking; echo "status $?"
bridge link show dev veth-c
bridge link set dev v0 state 1; echo "status $?"
bridge link set dev veth-b cost 70000; echo "status $?"
bridge link set dev veth-b hairpin maybe; echo "status $?"
bridge link set dev br0 hairpin on; echo "status $?"
bridge link set dev nosuch hairpin on; echo "status $?"
ip link set v1 up
settle
bridge link
ip link set v0 nomaster
bridge -j link
