. "$(dirname "$0")/lib.sh"
nsadd a
ip netns exec a sysctl net.ipv4.ip_forward net.ipv4.conf.all.arp_ignore
ip netns exec a sysctl -w net.ipv4.conf.default.arp_announce=2
ip -n a link add v0 type veth peer name v1
ip netns exec a sysctl net.ipv4.conf.v0.arp_announce
echo 1 > /proc/sys/net/ipv4/ip_forward
sysctl net.ipv4.ip_forward
ip netns exec a sh -c 'echo 1 > /proc/sys/net/ipv4/conf/v0/arp_ignore; cat /proc/sys/net/ipv4/conf/v0/arp_ignore'
ip netns exec a sysctl net.ipv4.conf.v0.arp_ignore
ip netns exec a sysctl net.ipv4.conf.nosuch.arp_ignore; echo "status $?"
