. "$(dirname "$0")/lib.sh"
# tcpdump on a bridge device puts it in promiscuous mode, so the bridge passes up (and tcpdump
# sees) the unicast it forwards between its ports; with -p only what is flooded or local. On lo
# the outgoing copy of each packet is counted but not shown.
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
ip link set lo up
settle
out=$(mktemp); err=$(mktemp)
tcpdump -i br0 -n -e -c 6 > "$out" 2> "$err" &
sleep 1
ip netns exec a ping -c 2 -i 0.2 10.0.0.2 > /dev/null
wait; echo "tcpdump $?"
cat "$out" "$err"
ip -d link show br0 | grep -o "promiscuity [0-9]*"
tcpdump -n -c 1 -i br0 -p > "$out" 2> "$err" &
sleep 1
ip netns exec a ping -c 2 -i 0.2 10.0.0.2 > /dev/null
ip -n a neigh flush dev eth0
ip netns exec a ping -c 1 10.0.0.2 > /dev/null
wait; echo "tcpdump $?"
cat "$out" "$err"
tcpdump -i lo -n -e -c 2 > "$out" 2> "$err" &
sleep 1
ping -c 1 127.0.0.1 > /dev/null
wait; echo "tcpdump $?"
cat "$out" "$err"
rm -f "$out" "$err"
