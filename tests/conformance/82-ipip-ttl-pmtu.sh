# requires: ipip
. "$(dirname "$0")/lib.sh"
# load ipip first (naming tunl0 does it), so that every netns made below gets tunl0 at ifindex 2
ip link show tunl0 > /dev/null
# ifindexes depend on which tunnel modules the kernel has loaded (each adds fallback
# devices to every new netns): they are masked
noidx() { sed -E 's/^[0-9]+: /N: /'; }
# ipip encapsulation (TNL-02/07/08/09): the outer TTL inherits the inner one unless fixed, the
# tunnel MTU follows the route to the remote, an inner DF packet bigger than the tunnel MTU gets
# ICMP frag needed, the outer DF follows pmtudisc; tcpdump on the underlay shows
# the outer and inner headers. An IPIP packet to a host without a matching tunnel gets ICMP
# port unreachable (TNL-04) once ipip is loaded.
nsadd a b
ip link add eth0 netns a mtu 1400 type veth peer name eth0 netns b mtu 1400
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
ip -n a link set eth0 up; ip -n b link set eth0 up
ip -n a link add t1 type ipip remote 10.0.0.2 local 10.0.0.1; echo "status $?"
ip -n b link add t1 type ipip remote 10.0.0.1 local 10.0.0.2 ttl 9 tos 0x10
ip -n a link show t1 | noidx
ip -n b -d link show t1 | noidx
ip -n a addr add 172.16.0.1/30 dev t1
ip -n b addr add 172.16.0.2/30 dev t1
ip -n a link set t1 up; ip -n b link set t1 up
settle
ip -n a route
out=$(mktemp); err=$(mktemp)
ip netns exec a tcpdump -i eth0 -n -x -c 2 -t ip > "$out" 2> "$err" &
for i in $(seq 50); do grep -q listening "$err" && break; sleep 0.2; done
ip netns exec a ping -c 1 -t 33 172.16.0.2 > /dev/null; echo "ping $?"
wait; echo "tcpdump $?"
# the header fields that are not random (ids and checksums are): outer TTL, DSCP, DF and
# protocol, then the inner TTL
awk '/^IP/ { print $1, $2, $3, $4, $5, $6, $7 }
     /0x0000:/ { print "  outer tos", substr($2, 3, 2), "frag", $5, "ttl", substr($6, 1, 2), "proto", substr($6, 3, 2) }
     /0x0010:/ { print "  inner ttl", substr($8, 1, 2), "proto", substr($8, 3, 2) }' "$out"
cat "$err"
ip netns exec a ping -c 1 -s 1352 172.16.0.2 > /dev/null; echo "ping 1380 $?"
ip netns exec a ping -c 1 -s 1353 172.16.0.2 > /dev/null; echo "ping 1381 (fragmented inside) $?"
# a tunnel MTU above the path: the inner DF packet gets frag needed (mtu 1380) from the tunnel
ip -n a link set t1 mtu 1480
ip netns exec a ping -c 2 -i 0.3 -s 1400 172.16.0.2 > /dev/null; echo "ping 1428 $?"
ip -n a -s link show t1 | noidx
ip -n b link set t1 mtu 1000
ip netns exec b ping -c 1 -s 1200 172.16.0.1 > /dev/null; echo "ping $?"
ip -n a link set t1 type ipip nopmtudisc; echo "status $?"
ip -n a link set t1 type ipip ttl 5 nopmtudisc; echo "status $?"
ip -n a -d link show t1 | noidx
ip -n b link del t1
ip netns exec b tcpdump -i eth0 -n -c 2 -t ip > "$out" 2> "$err" &
for i in $(seq 50); do grep -q listening "$err" && break; sleep 0.2; done
ip netns exec a ping -c 1 -W 1 172.16.0.2 > /dev/null; echo "ping $?"
wait; echo "tcpdump $?"
cat "$out" "$err"
rm -f "$out" "$err"
