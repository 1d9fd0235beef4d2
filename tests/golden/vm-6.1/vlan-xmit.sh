# Run as root on the reference-kernel VM (vng --rwdir /tmp/h5 ...): vlan 10 both ends, unknown VID 11,
# 802.1ad; tcpdump -e on the lower. IPv6 was left on (noise in the captures and counters).
# two netns, vlan over veth, ping, tcpdump on lower with -e
set -x
ip netns add va; ip netns add vb
ip -n va link add v0 type veth peer name v1 netns vb
ip -n va link add link v0 name v0.10 type vlan id 10
ip -n vb link add link v1 name v1.10 type vlan id 10
ip -n va addr add 10.10.0.1/24 dev v0.10
ip -n vb addr add 10.10.0.2/24 dev v1.10
ip -n va addr add 10.0.0.1/24 dev v0
ip -n vb addr add 10.0.0.2/24 dev v1
for n in va vb; do ip -n $n link set lo up; done
ip -n va link set v0 up; ip -n vb link set v1 up; ip -n va link set v0.10 up; ip -n vb link set v1.10 up
ip netns exec vb tcpdump -n -e -l -i v1 -c 4 > /tmp/h5/td-vlan.txt 2>/tmp/h5/td-vlan.err &
sleep 1
ip netns exec va ping -c 2 -W 1 10.10.0.2
sleep 1
wait
cat /tmp/h5/td-vlan.txt
ip -n vb -s link show v1.10
ip -n vb -s link show v1
ip -n va -s link show v0.10
ip -n va -s link show v0
# unknown VID from peer: vb vlan 11 sending to va (no v0.11)
ip -n vb link add link v1 name v1.11 type vlan id 11
ip -n vb addr add 10.11.0.2/24 dev v1.11
ip -n vb link set v1.11 up
ip netns exec va tcpdump -n -e -l -i v0 -c 2 > /tmp/h5/td-vlan2.txt 2>/dev/null &
sleep 1
ip netns exec vb ping -c 1 -W 1 10.11.0.1
sleep 1
kill %1 2>/dev/null; wait
cat /tmp/h5/td-vlan2.txt
ip -n va -s link show v0
# 802.1ad
ip -n va link add link v0 name v0.ad type vlan id 100 protocol 802.1ad
ip -n vb link add link v1 name v1.ad type vlan id 100 protocol 802.1ad
ip -n va addr add 10.100.0.1/24 dev v0.ad
ip -n vb addr add 10.100.0.2/24 dev v1.ad
ip -n va link set v0.ad up; ip -n vb link set v1.ad up
ip netns exec vb tcpdump -n -e -l -i v1 -c 2 > /tmp/h5/td-vlan3.txt 2>/dev/null &
sleep 1
ip netns exec va ping -c 1 -W 1 10.100.0.2
sleep 1
wait
cat /tmp/h5/td-vlan3.txt
ip netns del va; ip netns del vb
