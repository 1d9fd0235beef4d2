. "$(dirname "$0")/lib.sh"
# curl against an HTTP responder (socat TCP-LISTEN,fork + SYSTEM) across a Linux bridge
nsadd sw a b
ip -n sw link add br0 type bridge
ip link add eth0 netns a type veth peer name pa netns sw
ip link add eth0 netns b type veth peer name pb netns sw
for p in pa pb; do ip -n sw link set $p master br0; ip -n sw link set $p up; done
ip -n sw link set br0 up
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
ip -n a link set eth0 up
ip -n b link set eth0 up
settle
ip netns exec b socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo HTTP/1.0 200 OK; echo; echo hello from b; sleep 0.3' \
    < /dev/null 2> /dev/null & srv=$!
sleep 1.5
ip netns exec a curl -s http://10.0.0.2/; echo "curl $?"
ip netns exec a curl -sS -i http://10.0.0.2/; echo "curl $?"
ip netns exec a curl -sS -I http://10.0.0.2/; echo "curl $?"
ip netns exec a curl -sS -o /dev/null -w '%{http_code}\n' http://10.0.0.2:80/index.html; echo "curl $?"
err=$(mktemp)
ip netns exec a curl -sS -v http://10.0.0.2/ 2> "$err"; echo "curl $?"
tr -d '\r' < "$err"; rm -f "$err"     # -v shows CRs; the VM console drops them
for i in 1 2 3; do ip netns exec a curl -s http://10.0.0.2/; done
kill $srv; wait $srv; echo "socat $?"
ip netns exec a curl -sS http://10.0.0.2/ 2>&1 | sed -E 's/after [0-9]+ ms/after N ms/'
echo "curl ${PIPESTATUS[0]}"
