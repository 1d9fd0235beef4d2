#!/bin/bash
# Generator of tcpdump6.pcap (+ tcpdump6-*.txt): IPv6 traffic of every kind the emulator's
# tcpdump decodes, captured on a's eth0 (host a - router r - host b), then printed by the real
# tcpdump 4.99 with several flag sets. Run: vnetlab sh --backend linux gen_tcpdump6.sh OUTDIR
out=${1:-.}
ip netns add a; ip netns add r; ip netns add b
ip link add eth0 netns a address 02:00:00:00:0a:01 type veth peer name eth0 netns r address 02:00:00:00:01:01
ip link add eth1 netns r address 02:00:00:00:01:02 type veth peer name eth0 netns b address 02:00:00:00:0b:01
ip netns exec r sysctl -qw net.ipv6.conf.all.forwarding=1
for n in a r b; do ip -n $n link set lo up; done
ip -n a -6 addr add 2001:db8:1::1/64 dev eth0 nodad
ip -n r -6 addr add 2001:db8:1::fe/64 dev eth0 nodad
ip -n r -6 addr add 2001:db8:2::fe/64 dev eth1 nodad
ip -n b -6 addr add 2001:db8:2::2/64 dev eth0 nodad
ip -n a link set eth0 up
ip netns exec a tcpdump -i eth0 -U -w $out/tcpdump6.pcap 2>/dev/null &
sleep 1
ip -n r link set eth0 up; ip -n r link set eth1 up; ip -n b link set eth0 up
ip -n a -6 route add default via 2001:db8:1::fe
ip -n b -6 route add default via 2001:db8:2::fe
ip -n r -6 route add unreachable 2001:db8:3::/64
ip -n r -6 route add prohibit 2001:db8:4::/64
sleep 4
ip netns exec a ping -6 -c 2 -i 0.2 2001:db8:2::2 >/dev/null
ip netns exec a ping -6 -c 1 -s 1 2001:db8:1::fe >/dev/null
ip netns exec a ping -6 -c 1 -t 1 2001:db8:2::2 >/dev/null
ip netns exec a ping -6 -c 1 -W 1 2001:db8:3::1 >/dev/null
ip netns exec a ping -6 -c 1 -W 1 2001:db8:4::1 >/dev/null
ip netns exec a ping -6 -c 1 -W 1 ff02::1%eth0 >/dev/null
ip netns exec a ping -6 -c 1 -s 1600 2001:db8:2::2 >/dev/null
echo hi | ip netns exec a socat -t 0.3 - UDP6:[2001:db8:2::2]:9999 >/dev/null 2>&1
timeout 3 ip netns exec b socat -u TCP6-LISTEN:8080,reuseaddr OPEN:/dev/null &
sleep 0.3
echo hello | timeout 3 ip netns exec a socat - TCP6:[2001:db8:2::2]:8080 >/dev/null 2>&1
timeout 3 ip netns exec a socat - TCP6:[2001:db8:2::2]:8081 </dev/null >/dev/null 2>&1
timeout 1.5 ip netns exec a socat -u UDP6-RECV:5000,ipv6-join-group='[ff02::fb]:eth0' /dev/null
sleep 1.5
ip netns exec a ping -6 -c 1 -W 1 2001:db8:1::99 >/dev/null
sleep 3.5
kill %1; wait %1
