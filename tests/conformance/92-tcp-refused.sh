. "$(dirname "$0")/lib.sh"
# refused and unreachable connections: RST from a closed port, no route; the tools' errors
nsadd a b
ip link add eth0 netns a type veth peer name eth0 netns b
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
ip -n a link set eth0 up
ip -n b link set eth0 up
settle
# socat's date, pid and file descriptor numbers depend on the process, not the network
ms() { sed -E 's/after [0-9]+ ms/after N ms/'; }    # curl's elapsed time is wall clock
strip() { sed -E 's/^[0-9/]+ [0-9:]+ socat\[[0-9]+\]/socat[PID]/; s/(connect|read)\([0-9]+,/\1(FD,/'; }
ip netns exec a curl -sS http://10.0.0.2:81/ 2>&1 | ms; echo "curl ${PIPESTATUS[0]}"
ip netns exec a curl -s http://10.0.0.2/; echo "curl $?"
ip netns exec a curl -sS http://192.0.2.1/ 2>&1 | ms; echo "curl ${PIPESTATUS[0]}"
ip netns exec a curl -sS http://nosuchhost/; echo "curl $?"
ip netns exec a curl -sS foo://10.0.0.2/; echo "curl $?"
ip netns exec a curl -sS http://10.0.0.2:99999/; echo "curl $?"
ip netns exec a curl --frob; echo "curl $?"
ip netns exec a socat - TCP:10.0.0.2:81 < /dev/null 2>&1 | strip; echo "socat ${PIPESTATUS[0]}"
ip netns exec a socat - TCP:192.0.2.1:80 < /dev/null 2>&1 | strip; echo "socat ${PIPESTATUS[0]}"
ip netns exec a socat - TCP:10.0.0.2 < /dev/null 2>&1 | strip; echo "socat ${PIPESTATUS[0]}"
ip netns exec a socat - FROB:1 < /dev/null 2>&1 | strip; echo "socat ${PIPESTATUS[0]}"
ip netns exec a socat - TCP4:10.0.0.2:80,frob < /dev/null 2>&1 | strip; echo "socat ${PIPESTATUS[0]}"
ip netns exec a nc -z 10.0.0.2 81; echo "nc $?"
ip netns exec a nc -zv 10.0.0.2 81; echo "nc $?"
ip netns exec a nc -z 10.0.0.2 99999; echo "nc $?"
ip netns exec a nc 10.0.0.2; echo "nc $?"
ip netns exec a nc -w x 10.0.0.2 80; echo "nc $?"
