# Run as root on the reference-kernel VM (vng --rwdir /tmp/h5 ...): GRE over a veth pair, key/csum/seq,
# key mismatch, gretap in a bridge, no tunnel at the receiver. IPv6 was left on (noise in the captures).
set -x
ip netns add ga; ip netns add gb
ip -n ga link add v0 type veth peer name v1 netns gb
ip -n ga addr add 10.0.0.1/24 dev v0; ip -n gb addr add 10.0.0.2/24 dev v1
for n in ga gb; do ip -n $n link set lo up; done
ip -n ga link set v0 up; ip -n gb link set v1 up
ip -n ga tunnel add g1 mode gre remote 10.0.0.2 local 10.0.0.1 ttl 64 key 7 csum seq
ip -n gb tunnel add g1 mode gre remote 10.0.0.1 local 10.0.0.2 ttl 64 key 7 csum seq
ip -n ga addr add 192.168.1.1/30 dev g1; ip -n gb addr add 192.168.1.2/30 dev g1
ip -n ga link set g1 up; ip -n gb link set g1 up
ip netns exec gb tcpdump -n -v -l -i v1 -c 2 -w /tmp/h5/gre.pcap 2>/dev/null &
sleep 1
ip netns exec ga ping -c 2 -W 1 192.168.1.2
sleep 1
wait
tcpdump -n -v -r /tmp/h5/gre.pcap 2>&1
tcpdump -n -xx -r /tmp/h5/gre.pcap 2>&1
ip -n ga -s link show g1
ip -n gb -s link show g1
# key mismatch
ip -n gb tunnel change g1 mode gre remote 10.0.0.1 local 10.0.0.2 ttl 64 key 8 csum seq
ip netns exec ga ping -c 1 -W 1 192.168.1.2
ip -n gb -s link show g1
ip -n gb -s link show gre0
# gretap bridged
ip -n ga link add gt type gretap remote 10.0.0.2 local 10.0.0.1
ip -n gb link add gt type gretap remote 10.0.0.1 local 10.0.0.2
ip -n ga addr add 172.16.0.1/24 dev gt; ip -n gb link add br0 type bridge; ip -n gb link set gt master br0
ip -n gb addr add 172.16.0.2/24 dev br0
ip -n ga link set gt up; ip -n gb link set gt up; ip -n gb link set br0 up
sleep 1
ip netns exec gb tcpdump -n -e -l -i v1 -c 2 2>/dev/null &
sleep 1
ip netns exec ga ping -c 2 -W 1 172.16.0.2
sleep 1
kill %1 2>/dev/null; wait
ip -n ga -d link show gt
ip -n ga -s link show gt
# no tunnel for peer: ICMP? GRE to gb without tunnel matching (gb deletes g1, and gre0 is down)
ip -n gb link del g1
ip netns exec gb tcpdump -n -l -i v1 -c 3 2>/dev/null &
sleep 1
ip netns exec ga ping -c 1 -W 1 192.168.1.2
sleep 1
kill %1 2>/dev/null; wait
ip netns del ga; ip netns del gb
