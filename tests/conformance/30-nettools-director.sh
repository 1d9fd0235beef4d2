# requires: ipip
. "$(dirname "$0")/lib.sh"
# The seed's LVS/TUN director and real-server addressing, done with net-tools on a veth pair
# (the seed's tunl0 needs the ipip module: here the VIP lives on an alias of eth0).
nsadd dir rs1
ip link add eth0 netns dir type veth peer name eth1 netns rs1
ip netns exec dir ifconfig eth0 200.168.10.1
ip netns exec rs1 ifconfig eth1 200.168.10.2
ip netns exec dir ifconfig lo up
ip netns exec rs1 ifconfig lo up
settle
ip netns exec dir ifconfig
ip netns exec rs1 ifconfig eth1
ip netns exec dir route -n
ip netns exec dir ifconfig eth0:0 200.168.10.10 netmask 255.255.255.255 up
ip netns exec dir route add -host 200.168.10.10 dev eth0; echo "status $?"
ip netns exec dir route add -host 200.168.10.11 dev eth0; echo "status $?"
ip netns exec dir ifconfig eth0:0
ip netns exec dir route -n
ip -n dir addr show dev eth0
ip -n dir route show table local
ip netns exec dir ping -c 1 200.168.10.2 >/dev/null; echo "ping $?"
ip netns exec rs1 ping -c 1 200.168.10.10 >/dev/null; echo "ping $?"
ip netns exec dir ifconfig -s
ip netns exec rs1 ifconfig eth1
ip netns exec dir ifconfig eth0:0 down
ip netns exec dir ifconfig
ip netns exec dir route -n
ip netns exec dir ifconfig tunl0 200.168.10.10 netmask 255.255.255.255 up; echo "status $?"
ip netns exec dir route add -host 200.168.10.10 dev tunl0; echo "status $?"
