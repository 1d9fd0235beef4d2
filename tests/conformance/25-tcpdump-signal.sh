# requires: timing
. "$(dirname "$0")/lib.sh"
# tcpdump in the background ended by SIGTERM / SIGINT: statistics, the extra newline, status
nsadd a b
ip link add eth0 netns a type veth peer name eth0 netns b
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
ip -n a link set eth0 up
ip -n b link set eth0 up
settle
out=$(mktemp); err=$(mktemp)
ip netns exec b tcpdump -i eth0 -n icmp > "$out" 2> "$err" & pid=$!
sleep 1
ip netns exec a ping -c 3 -i 0.2 10.0.0.2 > /dev/null
sleep 2
kill $pid; wait $pid; echo "SIGTERM: tcpdump $?"
cat "$out" "$err"
ip netns exec b tcpdump -i eth0 -n -e udp > "$out" 2> "$err" & pid=$!
sleep 1
ip netns exec a ping -c 1 10.0.0.2 > /dev/null
sleep 2
kill -INT $pid; wait $pid; echo "SIGINT: tcpdump $?"
cat "$out" "$err"
# -l: lines reach the file while tcpdump runs; a reader that goes away ends it (SIGPIPE)
ip netns exec b tcpdump -l -n -t icmp > "$out" 2> "$err" & pid=$!
sleep 1
ip netns exec a ping -c 1 10.0.0.2 > /dev/null
sleep 1
echo "while running: $(wc -l < "$out") lines"
kill $pid; wait $pid; echo "tcpdump $?"
(ip netns exec b tcpdump -l -n -t icmp 2> "$err" | head -n 1; echo "pipeline ${PIPESTATUS[*]}") &
sleep 1
ip netns exec a ping -c 3 -i 0.3 10.0.0.2 > /dev/null
wait
cat "$err"
timeout 1 ip netns exec b tcpdump -n -i eth0 > /dev/null 2>&1; echo "timeout: $?"
ip netns exec b tcpdump -i nosuch; echo "tcpdump $?"
ip -n b link set eth0 down
ip netns exec b tcpdump -i eth0; echo "tcpdump $?"
ip netns exec b tcpdump -c x; echo "tcpdump $?"
ip netns exec b tcpdump -i eth0 host 10.0.0.300; echo "tcpdump $?"
ip netns exec b tcpdump -i eth0 'icmp and'; echo "tcpdump $?"
rm -f "$out" "$err"
