# requires: timing
# tcpdump over IPv6 during ping -6 between global addresses: NS/NA then echo, with -e; then
# -q with an ip6 filter; the frames the kernel sends by itself (MLD, RS) are filtered out.
. "$(dirname "$0")/lib6.sh"
nsadd a b
ip link add eth0 netns a address 02:00:00:00:0a:01 type veth peer name eth0 netns b address 02:00:00:00:0b:01
ip -n a link set eth0 up
ip -n b link set eth0 up
ip -n a -6 addr add 2001:db8::1/64 dev eth0 nodad
ip -n b -6 addr add 2001:db8::2/64 dev eth0 nodad
dad_settle
out=$(mktemp); err=$(mktemp)
ip netns exec a tcpdump -i eth0 -e -n -c 4 'ip6 and (host 2001:db8::2 or host 2001:db8::1)' > "$out" 2> "$err" &
sleep 1
ip netns exec a ping -6 -c 1 2001:db8::2 > /dev/null
wait; echo "tcpdump $?"
sed 's/^[0-9:.]* //; s/, id [0-9]*,/, id ID,/' "$out"; cat "$err"
ip netns exec b tcpdump -i eth0 -n -q -t -c 2 'icmp6 and src host 2001:db8::1' > "$out" 2> "$err" &
sleep 1
ip netns exec a ping -6 -c 2 -i 0.2 2001:db8::2 > /dev/null
wait; echo "tcpdump $?"
sed 's/, id [0-9]*,/, id ID,/' "$out"; cat "$err"
# no neighbour answers: ping sends nothing, the kernel's NS go out mcast_solicit=3 times 1 s apart
ip netns exec a tcpdump -i eth0 -n -t -c 3 'icmp6 and ip6 dst ff02::1:ff00:99' > "$out" 2> "$err" &
sleep 1
ip netns exec a ping -6 -c 1 -W 1 2001:db8::99 > /dev/null
wait; echo "tcpdump $?"
cat "$out" "$err"
sleep 1.5
ip -n a -6 neigh show 2001:db8::99
rm -f "$out" "$err"
