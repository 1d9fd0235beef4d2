# arp_ignore=1: a host answers ARP only for addresses configured on the receiving interface
. "$(dirname "$0")/lib.sh"
nsadd a b
ip link add eth0 netns a type veth peer name eth0 netns b
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
ip -n b addr add 10.0.9.9/32 dev lo
ip -n a link set eth0 up; ip -n b link set eth0 up; ip -n b link set lo up; ip -n a link set lo up
ip -n a route add 10.0.9.9/32 dev eth0
ip netns exec a ping -c 1 -W 1 10.0.9.9 >/dev/null; echo "arp_ignore=0: status $?"
ip -n a neigh flush dev eth0
ip netns exec b sysctl -qw net.ipv4.conf.eth0.arp_ignore=1
ip netns exec a ping -c 1 -W 1 10.0.9.9 >/dev/null; echo "arp_ignore=1: status $?"
ip netns exec a ping -c 1 -W 1 10.0.0.2 >/dev/null; echo "arp_ignore=1 own subnet: status $?"
