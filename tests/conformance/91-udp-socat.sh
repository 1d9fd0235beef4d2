. "$(dirname "$0")/lib.sh"
# UDP through socat: datagrams to a receiver, and to a closed port (ICMP port unreachable ->
# the connected socket's ECONNREFUSED)
nsadd a b
ip link add eth0 netns a type veth peer name eth0 netns b
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
ip -n a link set eth0 up
ip -n b link set eth0 up
settle
out=$(mktemp)
ip netns exec b socat -u UDP-RECV:5000 STDOUT > "$out" < /dev/null & rcv=$!
sleep 1.5
echo "hello over udp" | ip netns exec a socat -u - UDP:10.0.0.2:5000; echo "send $?"
printf 'line two\n' | ip netns exec a socat -u - UDP:10.0.0.2:5000; echo "send $?"
sleep 1
kill $rcv; wait $rcv; echo "socat $?"
cat "$out"
echo x | ip netns exec a socat - UDP:10.0.0.2:5001 2>&1 |
    sed -E 's/^[0-9/]+ [0-9:]+ socat\[[0-9]+\]/socat[PID]/; s/0x[0-9a-f]+/0xADDR/; s/(connect|read)\([0-9]+,/\1(FD,/'
echo "socat ${PIPESTATUS[1]}"
echo ping | ip netns exec a nc -u -w1 10.0.0.2 5002; echo "nc $?"
ip netns exec a socat - UDP:10.0.0.2 < /dev/null 2>&1 | sed -E 's/^[0-9/]+ [0-9:]+ socat\[[0-9]+\]/socat[PID]/'
echo "socat ${PIPESTATUS[0]}"
rm -f "$out"
