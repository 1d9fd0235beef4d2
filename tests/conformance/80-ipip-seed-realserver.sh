# requires: ipip
. "$(dirname "$0")/lib.sh"
# load ipip first (naming tunl0 does it), so that every netns made below gets tunl0 at ifindex 2
ip link show tunl0 > /dev/null
# ifindexes depend on which tunnel modules the kernel has loaded (each adds fallback
# devices to every new netns): they are masked
noidx() { sed -E 's/^[0-9]+: /N: /'; }
# The seed's LVS VS/TUN real server, verbatim: tunl0 (the ipip module's fallback device, loaded
# by naming it) carries the VIP, with the four arp_ignore/arp_announce lines. A "director" netns
# encapsulates pings to the VIP in IPIP (an `ip tunnel` with a remote); the real server's tunl0
# catches them (TNL-03/04: the fallback matches any IPIP while UP), decapsulates them (TNL-05)
# and answers directly from the VIP over eth1.
nsadd dir rs
ip link add eth0 netns dir type veth peer name eth1 netns rs
ip netns exec dir ifconfig eth0 200.168.10.1
ip netns exec rs ifconfig eth1 200.168.10.2
ip netns exec rs ifconfig tunl0 200.168.10.10 netmask 255.255.255.255 up; echo "status $?"
ip netns exec rs route add -host 200.168.10.10 dev tunl0; echo "status $?"
ip netns exec rs bash -c 'echo 1 >/proc/sys/net/ipv4/conf/tunl0/arp_ignore
echo 2 >/proc/sys/net/ipv4/conf/tunl0/arp_announce
echo 1 >/proc/sys/net/ipv4/conf/all/arp_ignore
echo 2 >/proc/sys/net/ipv4/conf/all/arp_announce'
ip netns exec rs sysctl net.ipv4.conf.tunl0.arp_ignore net.ipv4.conf.all.arp_announce
ip -n dir tunnel add tnl mode ipip remote 200.168.10.2; echo "status $?"
ip -n dir link set tnl up
ip -n dir route add 200.168.10.10/32 dev tnl
settle
ip -n dir tunnel show | grep -E '^[^:]+: (any|ip)/ip '
ip -n rs tunnel show | grep -E '^[^:]+: (any|ip)/ip '
ip netns exec dir ping -c 2 -i 0.2 200.168.10.10 | grep "bytes from"; echo "ping $?"
ip -n rs -s link show tunl0 | noidx
ip -n dir -s link show tnl | noidx
ip -n rs link show tunl0 | noidx
ip -n rs addr show dev tunl0 | noidx
ip netns exec rs ifconfig tunl0
ip netns exec rs route -n
ip -n rs route show table local
# tunl0 down: the fallback no longer catches anything (TNL-04: ICMP port unreachable back)
ip -n rs link set tunl0 down
out=$(mktemp); err=$(mktemp)
ip netns exec dir tcpdump -i eth0 -n -c 2 -t > "$out" 2> "$err" &
for i in $(seq 50); do grep -q listening "$err" && break; sleep 0.2; done
ip netns exec dir ping -c 1 -W 1 200.168.10.10 > /dev/null; echo "ping $?"
wait; echo "tcpdump $?"
cat "$out" "$err"
rm -f "$out" "$err"
