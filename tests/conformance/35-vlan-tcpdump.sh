# requires: vlan
. "$(dirname "$0")/lib.sh"
# VLAN-04/05 as tcpdump sees them: on the lower, -e shows the 802.1Q tag ("vlan 10, p 0,
# ethertype ...") and the frame length with the tag; on the vlan device the same packets
# arrive untagged (PCP 0: no egress-qos-map).
nsadd a b
ip -n a link add eth0 type veth peer name eth0 netns b
ip -n a link add link eth0 name eth0.10 type vlan id 10
ip -n b link add link eth0 name eth0.10 type vlan id 10
ip -n a addr add 10.10.0.1/24 dev eth0.10
ip -n b addr add 10.10.0.2/24 dev eth0.10
ip -n a link set eth0 up
ip -n b link set eth0 up
settle
cap=$(mktemp)      # the capture goes to a file: its lines and the echo below would race
ip netns exec b tcpdump -n -e -l -i eth0 -c 4 >$cap 2>/dev/null &
sleep 1
ip netns exec a ping -c 1 -W 1 10.10.0.2 >/dev/null; echo "ping rc=$?"
wait
cat $cap
ip netns exec b tcpdump -n -l -i eth0.10 -c 2 >$cap 2>/dev/null &
sleep 1
ip netns exec a ping -c 1 -W 1 10.10.0.2 >/dev/null; echo "ping rc=$?"
wait
cat $cap
rm -f $cap
ip netns del a
ip netns del b
