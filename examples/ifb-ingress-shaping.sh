#!/bin/bash
# Ingress shaping with an IFB (kernel-spec IFB-05): a's eth0 ingress qdisc -> u32 match ->
# mirred redirect -> ifb0, whose tbf shapes what a receives. Throughput of the ping replies is
# measured before and after, from ping's own statistics (bytes received / time).
#
#   vnetlab sh examples/ifb-ingress-shaping.sh            # on the emulator (virtual time)
#   vnetlab sh --backend linux examples/ifb-ingress-shaping.sh   # the same on the host kernel
set -e
for n in a b; do
    ip netns add $n
    ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n a link add eth0 type veth peer name eth0 netns b
ip -n a link add ifb0 type ifb
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
for d in lo eth0 ifb0; do ip -n a link set $d up; done
for d in lo eth0; do ip -n b link set $d up; done
sleep 1.2

SIZE=1400          # ICMP payload: each reply is 1442 bytes on the wire (1428 of IP)
measure() {
    ip netns exec a ping -q -c 400 -i 0.002 -s $SIZE 10.0.0.2 | awk -v size=$SIZE '
        /packets transmitted/ {
            rx = $4; ms = $10; sub("ms", "", ms)
            printf "  %d of %d replies in %d ms: %.0f kbit/s of IP\n", rx, $1, ms, rx * (size + 28) * 8 / ms
        }'
}

echo "before shaping:"
measure

tc -n a qdisc add dev eth0 handle ffff: ingress
tc -n a filter add dev eth0 parent ffff: protocol ip u32 match ip src 10.0.0.2/32 \
    action mirred egress redirect dev ifb0
tc -n a qdisc add dev ifb0 root handle 1: tbf rate 2mbit burst 10kb latency 50ms
echo "after: ingress of eth0 redirected to ifb0, tbf 2mbit there"
measure
tc -n a -s qdisc show dev ifb0
tc -n a -s filter show dev eth0 parent ffff: | grep -A2 "action order"
ip -n a -s link show ifb0

ip netns del a
ip netns del b
