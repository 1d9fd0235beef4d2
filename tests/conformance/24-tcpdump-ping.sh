# requires: timing
. "$(dirname "$0")/lib.sh"
# tcpdump -c on a veth during a ping, with link-level headers; then -q and a filter
nsadd a b
ip link add eth0 netns a type veth peer name eth0 netns b
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
ip -n a link set eth0 up
ip -n b link set eth0 up
settle
out=$(mktemp); err=$(mktemp)
ip netns exec a tcpdump -i eth0 -e -n -c 6 > "$out" 2> "$err" &
sleep 1
ip netns exec a ping -c 2 -i 0.2 10.0.0.2 > /dev/null
wait; echo "tcpdump $?"
cat "$out" "$err"
ip netns exec b tcpdump -i eth0 -n -q -c 2 icmp and src 10.0.0.1 > "$out" 2> "$err" &
sleep 1
ip netns exec a ping -c 2 -i 0.2 10.0.0.2 > /dev/null
wait; echo "tcpdump $?"
cat "$out" "$err"
# no neighbour entry left anywhere: no delayed reachability probe can join the capture
ip -n a neigh flush dev eth0
ip -n b neigh flush dev eth0
ip netns exec a tcpdump -i eth0 -n -c 2 -t arp > "$out" 2> "$err" &
sleep 1
ip netns exec a ping -c 1 10.0.0.2 > /dev/null
wait; echo "tcpdump $?"
cat "$out" "$err"
rm -f "$out" "$err"
