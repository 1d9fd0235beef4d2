#!/bin/bash
# Generates tcp-handshake.txt: the IPv4 packets (hex, one per line, in capture order; checksums
# as captured on a veth, i.e. possibly partial) of one curl 7.88.1 GET to a Python server that
# answers 25 bytes and closes, then of curl to a closed port (RST), on the host kernel
# (6.18), captured with tcpdump on the client's veth in throwaway netns. Run as root.
cd "$(dirname "$0")"
P=vntcp$$
ip netns add $P-a; ip netns add $P-b
trap 'ip netns del $P-a; ip netns del $P-b; rm -f /tmp/$P.pcap' EXIT
for n in $P-a $P-b; do ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
ip link add eth0 netns $P-a type veth peer name eth0 netns $P-b
ip -n $P-a addr add 10.0.0.1/24 dev eth0; ip -n $P-b addr add 10.0.0.2/24 dev eth0
for n in $P-a $P-b; do ip -n $n link set eth0 up; ip -n $n link set lo up; done
sleep 1.5
ip netns exec $P-a tcpdump -U -i eth0 -n -w /tmp/$P.pcap tcp 2>/dev/null & T=$!
sleep 1
ip netns exec $P-b python3 -c '
import socket
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind(("10.0.0.2",80)); s.listen()
c,_=s.accept(); d=c.recv(1000); c.sendall(b"HTTP/1.0 200 OK\r\n\r\nhello\n"); c.close()' &
sleep 2
ip netns exec $P-a curl -s http://10.0.0.2/ > /dev/null
ip netns exec $P-a curl -s http://10.0.0.2:81/
sleep 0.5
kill $T; wait $T
python3 - /tmp/$P.pcap > tcp-handshake.txt <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
off = 24
while off < len(d):
    sec, usec, incl, orig = struct.unpack_from("<IIII", d, off)
    off += 16
    print(d[off + 14:off + incl].hex())
    off += incl
PY
