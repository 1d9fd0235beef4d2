# requires: vlan
. "$(dirname "$0")/lib.sh"
# VLAN-01..05: two hosts on a veth pair, VLAN 10 on both ends and VLAN 20 on one only. Pings over
# VLAN 10 are tagged on the wire and untagged into the vlan devices (rx counts the frame
# without its Ethernet header); VLAN 20 frames reach b with a VID b has no device for and are
# dropped as PACKET_OTHERHOST; an 802.1ad (QinQ) pair works the same way. The lower's MTU
# caps the vlans'; taking the lower down takes its vlans down, bringing it up brings them up.
nsadd a b
ip -n a link add eth0 type veth peer name eth0 netns b
ip -n a link add link eth0 name eth0.10 type vlan id 10
ip -n b link add link eth0 name eth0.10 type vlan id 10
ip -n a link add link eth0 name eth0.20 type vlan id 20
ip -n a link add link eth0 name eth0.ad type vlan id 100 protocol 802.1ad
ip -n b link add link eth0 name eth0.ad type vlan id 100 protocol 802.1ad
ip -n a addr add 10.10.0.1/24 dev eth0.10
ip -n b addr add 10.10.0.2/24 dev eth0.10
ip -n a addr add 10.20.0.1/24 dev eth0.20
ip -n b addr add 10.20.0.2/24 dev eth0
ip -n a addr add 10.100.0.1/24 dev eth0.ad
ip -n b addr add 10.100.0.2/24 dev eth0.ad
ip -n a link set eth0 up
ip -n b link set eth0 up
settle
ip -n a link show
ip -n b -d link show eth0.ad
ip netns exec a ping -c 2 -W 1 10.10.0.2; echo "vlan10 rc=$?"
ip netns exec a ping -c 1 -W 1 10.20.0.2; echo "vlan20 rc=$?"
ip netns exec a ping -c 1 -W 1 10.100.0.2; echo "qinq rc=$?"
ip -n b -s link show eth0.10
ip -n a -s link show eth0.10
ip -n b -s link show eth0.ad
ip -n a link set eth0 mtu 1400
ip -n a link show eth0.10
ip -n a link set eth0.10 mtu 1450; echo "mtu rc=$?"
ip -n a link set eth0 down
ip -n a link show
ip -n a link set eth0.10 up; echo "up rc=$?"
ip -n a link set eth0 up
settle
ip -n a link show
ip -n a link add link eth0 name dup type vlan id 10; echo "dup rc=$?"
ip -n a link add link eth0 name big type vlan id 4095; echo "range rc=$?"
ip -n a link del eth0
ip -n a link show
ip netns del a
ip netns del b
