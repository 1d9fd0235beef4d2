#!/bin/bash
# Produces tests/golden/vm-6.1/ipvs-xmit.txt on the reference-kernel VM: what leaves the
# director for one client SYN under each forwarding method (IPVS-FWD-02/03/04), as tcpdump
# -e -nn -v -xx prints it on the real server's side, plus the director's listing afterwards.
# Topology: c (10.0.0.2) -- d (director: d0 10.0.0.1, VIP 10.0.0.100/32 on d0, d1 10.1.0.1) --
# r (r0 10.1.0.254 + 10.1.0.2). Run as root inside the VM.
set -u
modprobe ip_vs
for n in c d r; do ip netns add $n; ip -n $n link set lo up; done
ip link add c0 netns c type veth peer name d0 netns d
ip link add d1 netns d type veth peer name r0 netns r
ip -n c link set c0 address 02:00:00:00:00:c0
ip -n d link set d0 address 02:00:00:00:00:d0
ip -n d link set d1 address 02:00:00:00:00:d1
ip -n r link set r0 address 02:00:00:00:00:70
ip -n c addr add 10.0.0.2/24 dev c0; ip -n c link set c0 up
ip -n d addr add 10.0.0.1/24 dev d0; ip -n d link set d0 up
ip -n d addr add 10.0.0.100/32 dev d0
ip -n d addr add 10.1.0.1/24 dev d1; ip -n d link set d1 up
ip -n r addr add 10.1.0.254/24 dev r0; ip -n r addr add 10.1.0.2/24 dev r0; ip -n r link set r0 up
ip -n c route add default via 10.0.0.1
ip -n r route add default via 10.1.0.1
sleep 2
for fwd in i g m; do
  ip netns exec d ipvsadm -C
  ip netns exec d ipvsadm -A -t 10.0.0.100:80 -s rr
  ip netns exec d ipvsadm -a -t 10.0.0.100:80 -r 10.1.0.2:8080 -$fwd
  echo "=== fwd -$fwd"
  ip netns exec r timeout 10 tcpdump -e -nn -v -xx -c 1 -i r0 'ip and not arp and (proto 4 or tcp)' 2>/dev/null &
  sleep 3
  ip netns exec c timeout 1 bash -c 'exec 3<>/dev/tcp/10.0.0.100/80' 2>/dev/null
  wait
  ip netns exec d ipvsadm -Ln
  ip netns exec d ipvsadm -Lnc | sed 's/10.0.0.2:[0-9]*/10.0.0.2:CPORT/'
done
echo "=== ttl 1"
ip netns exec d ipvsadm -C
ip netns exec d ipvsadm -A -t 10.0.0.100:80 -s rr
ip netns exec d ipvsadm -a -t 10.0.0.100:80 -r 10.1.0.2 -i
ip netns exec c timeout 10 tcpdump -nn -v -c 1 -i c0 icmp 2>/dev/null &
sleep 3
ip netns exec c python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 1)
s.settimeout(1)
try:
    s.connect(("10.0.0.100", 80))
except OSError as e:
    pass
'
wait
ip netns exec d ipvsadm -Ln
echo "=== no destination"
ip netns exec d ipvsadm -C
ip netns exec d ipvsadm -A -t 10.0.0.100:80 -s rr
ip netns exec c timeout 10 tcpdump -nn -v -c 1 -i c0 icmp 2>/dev/null &
sleep 3
ip netns exec c timeout 1 bash -c 'exec 3<>/dev/tcp/10.0.0.100/80' 2>&1
wait
echo "=== udp"
ip netns exec d ipvsadm -C
ip netns exec d ipvsadm -A -u 10.0.0.100:53 -s rr
ip netns exec d ipvsadm -a -u 10.0.0.100:53 -r 10.1.0.2 -g
ip netns exec d ipvsadm -a -u 10.0.0.100:53 -r 10.1.0.3 -g
for i in 1 2 3; do
  ip netns exec c bash -c "echo x > /dev/udp/10.0.0.100/53"
done
ip netns exec d ipvsadm -Ln
ip netns exec d ipvsadm -Lnc | sed 's/10.0.0.2:[0-9]*/10.0.0.2:CPORT/' | sort
ip netns exec d ipvsadm -Ln --stats
sleep 2.5
ip netns exec d ipvsadm -Ln --stats
ip netns exec d ipvsadm -Ln --rate
ip netns exec d ipvsadm -Z
ip netns exec d ipvsadm -Ln --stats
