. "$(dirname "$0")/lib.sh"
# bridge fdb after pings across a bridge (sorted: the kernel's dump order is its own), static
# and permanent entries added and deleted, filters
nsadd a b
ip link add br0 type bridge
ip link set br0 up
# fixed MACs: the sorted listings then come out in the same order on every backend
i=0
for n in a b; do
    i=$((i + 1))
    ip link add veth-$n address 02:00:00:00:0a:0$i type veth peer name eth0 netns $n \
        address 02:00:00:00:0b:0$i
    ip link set veth-$n master br0
    ip link set veth-$n up
    ip -n $n link set eth0 up
done
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
settle
ip netns exec a ping -c 2 -i 0.2 10.0.0.2 > /dev/null; echo "ping $?"
bridge fdb show br br0 | sort
bridge fdb show brport veth-a | sort
bridge fdb show dynamic | sort
bridge fdb add 02:00:00:00:00:01 dev veth-a master static; echo "status $?"
bridge fdb add 02:00:00:00:00:01 dev veth-a master static; echo "status $?"
bridge fdb replace 02:00:00:00:00:01 dev veth-b master static; echo "status $?"
bridge fdb add 02:00:00:00:00:02 dev veth-b master; echo "status $?"
bridge fdb add 02:00:00:00:00:03 dev veth-a; echo "status $?"
bridge fdb add 02:00:00:00:00:04 dev br0 self; echo "status $?"
bridge fdb show state static
bridge fdb show dev veth-b | sort
bridge fdb get 02:00:00:00:00:01 br br0
bridge fdb get 02:00:00:00:00:99 br br0; echo "status $?"
bridge fdb del 02:00:00:00:00:01 dev veth-a master; echo "status $?"
bridge fdb del 02:00:00:00:00:01 dev veth-b master; echo "status $?"
bridge fdb del 02:00:00:00:00:03 dev veth-a; echo "status $?"
bridge fdb add 02:00:00:00:00:05 dev lo; echo "status $?"
bridge fdb add zz dev veth-a; echo "status $?"
bridge fdb flush dev br0 static; echo "status $?"
bridge fdb show br br0 | sort
bridge -j fdb show dev br0
