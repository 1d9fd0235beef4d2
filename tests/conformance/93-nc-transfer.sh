. "$(dirname "$0")/lib.sh"
# nc: a listener and a client moving a few lines; then nc -z against a listening port
nsadd a b
ip link add eth0 netns a type veth peer name eth0 netns b
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
ip -n a link set eth0 up
ip -n b link set eth0 up
settle
out=$(mktemp)
ip netns exec b nc -l 6000 > "$out" < /dev/null & lst=$!
sleep 1.5
printf 'one\ntwo\nthree\n' | ip netns exec a nc -N 10.0.0.2 6000; echo "nc $?"
wait $lst; echo "nc -l $?"
cat "$out"
ip netns exec b socat TCP-LISTEN:7000,reuseaddr,fork SYSTEM:'echo hi' < /dev/null & srv=$!
sleep 1.5
ip netns exec a nc -zv 10.0.0.2 7000; echo "nc $?"
ip netns exec a nc 10.0.0.2 7000 < /dev/null; echo "nc $?"
kill $srv; wait $srv; echo "socat $?"
rm -f "$out"
