. "$(dirname "$0")/lib.sh"
# VXLAN head-end replication (VXL-03): three VTEPs on one bridged underlay, no remote/group; the
# all-zeros entry gets one `bridge fdb append` per peer, so broadcasts (ARP) go to each; unknown
# unicast too, until learning (VXL-02) fills the table; with nolearning a static entry is needed;
# a frame to a MAC with no entry and no all-zeros entry is dropped (tx_dropped).
nsadd u a b c
ip -n u link add br0 type bridge
ip -n u link set br0 up
i=0
for n in a b c; do
    i=$((i + 1))
    ip -n u link add p$n type veth peer name eth0 netns $n
    ip -n u link set p$n master br0
    ip -n u link set p$n up
    ip -n $n addr add 10.0.0.$i/24 dev eth0
    ip -n $n link set eth0 up
    ip -n $n link add vx0 address 02:00:00:00:00:0$i type vxlan id 7 dstport 4789 local 10.0.0.$i
    ip -n $n addr add 192.168.7.$i/24 dev vx0
    ip -n $n link set vx0 up
done
ip -n c link set vx0 type vxlan nolearning
settle
ip -n a neigh add 192.168.7.2 lladdr 02:00:00:00:00:02 dev vx0
ip netns exec a ping -c 1 -W 1 192.168.7.2 > /dev/null; echo "no fdb: ping $?"
ip -n a neigh del 192.168.7.2 dev vx0
ip -n a -s link show vx0 | grep -A1 TX
for n in a b c; do
    for j in 1 2 3; do
        [ "10.0.0.$j" = "$(ip -n $n -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)" ] && continue
        bridge -n $n fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.$j
    done
done
for n in a b c; do echo "$n:"; bridge -n $n fdb show dev vx0 | sort; done
ip netns exec a ping -c 2 -i 0.3 192.168.7.2 > /dev/null; echo "a -> b: ping $?"
ip netns exec a ping -c 2 -i 0.3 192.168.7.3 > /dev/null; echo "a -> c: ping $?"
for n in a b c; do echo "$n:"; bridge -n $n fdb show dev vx0 | sort; done
bridge -n a fdb add 02:00:00:00:00:03 dev vx0 dst 10.0.0.3; echo "status $?"
bridge -n a fdb add 02:00:00:00:00:03 dev vx0 dst 10.0.0.3; echo "status $?"
bridge -n a fdb replace 02:00:00:00:00:03 dev vx0 dst 10.0.0.2; echo "status $?"
ip -n b neigh flush dev vx0
ip netns exec b ping -c 1 -W 1 192.168.7.1 > /dev/null; echo "b -> a (a's entry for c points at b): ping $?"
bridge -n a fdb show dev vx0 | sort
bridge -n a fdb del 00:00:00:00:00:00 dev vx0 dst 10.0.0.2; echo "status $?"
bridge -n a fdb del 00:00:00:00:00:00 dev vx0 dst 10.0.0.2; echo "status $?"
bridge -n a fdb del 02:00:00:00:00:09 dev vx0; echo "status $?"
bridge -n a fdb add 02:00:00:00:00:09 dev vx0; echo "status $?"
bridge -n a fdb show dev vx0 | sort
