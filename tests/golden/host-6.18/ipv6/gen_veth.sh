#!/bin/bash
# Generator: a veth pair between two fresh netns brought up; every frame both ends send.
# Run: vnetlab sh --backend linux gen_veth.sh OUTDIR TRIAL  (in the linux backend's sandbox)
# tcpdump needs the device up, so va comes up first (no carrier: its peer is down, nothing is
# sent), the capture starts on va (which sees what va sends and what vb sends), then
# `ip link set vb up` at t0 gives both ends carrier. Times in the transcript are relative to t0.
out=${1:-/tmp/ipv6/obs}; k=${2:-1}
a=a$k; b=b$k
ip netns add $a; ip netns add $b
ip link add va netns $a address 02:00:00:00:0a:01 type veth peer name vb netns $b address 02:00:00:00:0b:01
ip -n $a link set va up
ip netns exec $a tcpdump -i va -U -w $out/veth-$k.pcap 2>/dev/null &
sleep 1
{
t0=$EPOCHREALTIME
ip -n $b link set vb up
echo "t0 $t0"
sleep 0.2; echo "== 0.2s ip addr a"; ip -n $a addr; echo "== 0.2s ip addr b"; ip -n $b addr
sleep 0.3; echo "== 0.5s ip -6 route show table all (a)"; ip -n $a -6 route show table all
for t in 3 5 10 20 30; do
  now=$EPOCHREALTIME; s=$(awk -v a=$t0 -v b=$now -v t=$t 'BEGIN{d=t-(b-a); if(d<0)d=0; print d}')
  sleep $s
  echo "== ${t}s ip -s link va"; ip -n $a -s link show va
  echo "== ${t}s ip -s link vb"; ip -n $b -s link show vb
  if [ $t = 3 ]; then echo "== 3s ip addr a"; ip -n $a addr; fi
done
} > $out/veth-$k.txt 2>&1
sleep 0.5; kill %1; wait
