#!/bin/bash
# Generator of veth-up.pcap / veth-up.txt: the IPv6 frames a fresh veth pair sends when it comes
# up (host kernel, root, throwaway netns only). Usage: gen-veth-up.sh OUTDIR
set -e
out=${1:-.}
A=v6g-a$$ B=v6g-b$$
ip netns add $A; ip netns add $B
trap 'ip netns del $A; ip netns del $B' EXIT
ip -n $A link add va address 02:00:00:00:0a:01 type veth peer name vb address 02:00:00:00:0b:01 netns $B
ip -n $A link set va up          # tcpdump needs the device up; vb is still down (no carrier)
ip netns exec $A tcpdump -Z root -i va -U -w $out/veth-up.pcap 2>/dev/null & tp=$!
sleep 1
ip -n $B link set vb up
{
for t in 0.5 3 7; do
  sleep $t
  echo "== ip -n A addr show va"; ip -n $A addr show va
  echo "== ip -n A -6 route show table all"; ip -n $A -6 route show table all
  echo "== ip -n A -s link show va"; ip -n $A -s link show va
  echo "== ip -n A -6 neigh"; ip -n $A -6 neigh
done
echo "== ip -n A -j addr show va"; ip -n $A -j addr show va
echo "== ip -n A -d link show va"; ip -n $A -d link show va
echo "== ip -n A -6 addr show lo (lo down)"; ip -n $A -6 addr show lo
ip -n $A link set lo up
echo "== ip -n A -6 addr show lo (lo up)"; ip -n $A -6 addr show lo
echo "== ip -n A -6 route show table local"; ip -n $A -6 route show table local
echo "== ping -6 -c1 fe80::ff:fe00:b01%va"; ip netns exec $A ping -6 -c1 fe80::ff:fe00:b01%va
echo "== ip -n A -6 neigh"; ip -n $A -6 neigh
echo "== ip -n B -6 neigh"; ip -n $B -6 neigh
} > $out/veth-up.txt 2>&1
sleep 1; kill $tp; wait $tp || true
