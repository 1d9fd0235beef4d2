# requires: ifb u32 mirred tbf
. "$(dirname "$0")/lib.sh"
# IFB-05, the ingress shaping idiom: eth0 ingress -> u32 (ICMP only) -> mirred redirect -> ifb0
# with a tbf root. Sparse pings stay within the bucket (no drops, no overlimits); tbf's text,
# -d and -j forms; replace / change / delete and their errors.
nsadd a b
ip -n a link add eth0 type veth peer name eth0 netns b
ip -n a link add ifb0 type ifb
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
for d in eth0 ifb0 lo; do ip -n a link set $d up; done
for d in eth0 lo; do ip -n b link set $d up; done
settle
tc -n a qdisc add dev eth0 handle ffff: ingress
tc -n a filter add dev eth0 parent ffff: protocol ip prio 10 u32 match ip protocol 1 0xff \
    flowid 1:10 action mirred egress redirect dev ifb0
tc -n a qdisc add dev ifb0 root handle 1: tbf rate 1mbit burst 10kb latency 70ms
tc -n a qdisc show dev ifb0
tc -n a -d qdisc show dev ifb0
tc -n a -j qdisc show dev ifb0
ip -n a link show ifb0
ip netns exec a ping -c 3 -i 0.3 -q 10.0.0.2 | grep -o "[0-9]* packets transmitted, [0-9]* received"
tc -n a -s qdisc show dev ifb0
ip -n a -s link show ifb0
tc -n a qdisc add dev ifb0 root handle 1: tbf rate 1mbit burst 10kb latency 70ms
echo "status $?"
tc -n a qdisc replace dev ifb0 root handle 1: tbf rate 512kbit burst 3000 limit 20000
tc -n a qdisc change dev ifb0 root tbf rate 2mbit burst 5k latency 10ms peakrate 4mbit mtu 1514
tc -n a qdisc show dev ifb0
tc -n a qdisc change dev ifb0 root tbf rate 2mbit burst 5k latency 10ms peakrate 2mbit mtu 1514
echo "status $?"
tc -n a qdisc add dev ifb0 root handle 2: tbf rate 1mbit
echo "status $?"
tc -n a qdisc del dev ifb0 root handle 2:
echo "status $?"
tc -n a qdisc del dev ifb0 root
# back to the default qdisc (net.core.default_qdisc: pfifo_fast here, fq_codel on the VM)
tc -n a qdisc show dev ifb0 | grep -c tbf
tc -n a qdisc del dev ifb0 root
echo "status $?"
