. "$(dirname "$0")/lib.sh"
# tcpdump on a bridge port: what enters the bridge and what it floods; -w then -r of a classic
# pcap file
nsadd a b c
ip link add br0 type bridge
ip link set br0 up
for n in a b c; do
    ip link add veth-$n type veth peer name eth0 netns $n
    ip link set veth-$n master br0
    ip link set veth-$n up
    ip -n $n link set eth0 up
done
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
settle
dir=$(mktemp -d); cd "$dir"
out=out.txt; err=err.txt; cap=cap.pcap
tcpdump -i veth-c -n -e -c 1 > "$out" 2> "$err" &
sleep 1
ip netns exec a ping -c 2 -i 0.2 10.0.0.2 > /dev/null; echo "ping $?"
wait; echo "tcpdump $?"
cat "$out" "$err"
tcpdump -i veth-a -w "$cap" -c 6 2> "$err" &
sleep 1
ip -n a neigh flush dev eth0
ip netns exec a ping -c 2 -i 0.2 10.0.0.2 > /dev/null; echo "ping $?"
wait; echo "tcpdump $?"
cat "$err"
tcpdump -r "$cap" -n
tcpdump -r "$cap" -n -e -c 2 arp
tcpdump -r "$cap" -n -q -c 1 -t icmp
cd /; rm -rf "$dir"
