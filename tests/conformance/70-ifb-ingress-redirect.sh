# requires: ifb u32 mirred
. "$(dirname "$0")/lib.sh"
# IFB-03/04/06 and CORE-02: an ingress qdisc on a's eth0 redirects every IPv4 frame to ifb0,
# which returns it to eth0's receive path after its own (default pfifo_fast) qdisc; the ping
# replies still arrive, counted once on eth0 and once each way on ifb0. Then a mirror to ifb1:
# the copies are counted by ifb1 and dropped (not redirected), the originals go on.
nsadd a b
ip -n a link add eth0 type veth peer name eth0 netns b
ip -n a link add ifb0 type ifb
ip -n a link add ifb1 type ifb
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
for d in eth0 ifb0 ifb1 lo; do ip -n a link set $d up; done
for d in eth0 lo; do ip -n b link set $d up; done
settle
# explicit root qdiscs: the default one depends on net.core.default_qdisc (pfifo_fast on the
# host, fq_codel on the reference VM)
tc -n a qdisc add dev ifb0 root handle 1: pfifo_fast
tc -n a qdisc add dev ifb1 root handle 2: pfifo_fast
tc -n a qdisc add dev eth0 handle ffff: ingress
tc -n a filter add dev eth0 parent ffff: protocol ip u32 match u32 0 0 \
    action mirred egress redirect dev ifb0
tc -n a qdisc show dev eth0
tc -n a filter show dev eth0 parent ffff:
tc -n a qdisc show dev ifb0
ip netns exec a ping -c 3 -i 0.2 -q 10.0.0.2 | grep -o "[0-9]* packets transmitted, [0-9]* received"
echo "ping status: $?"
ip -n a -s link show ifb0
ip -n a -s link show eth0
tc -n a -s qdisc show dev ifb0
tc -n a -s qdisc show dev eth0
echo "-- mirror to ifb1"
tc -n a filter del dev eth0 parent ffff:
tc -n a filter add dev eth0 parent ffff: protocol ip prio 5 u32 match ip src 10.0.0.2/32 \
    action mirred egress mirror dev ifb1
# (the action index: 2 on 6.18, where a deleted action's index is freed after an RCU grace
# period; 1 on 6.1)
tc -n a filter show dev eth0 ingress | grep -v "index"
ip netns exec a ping -c 2 -i 0.2 -q 10.0.0.2 | grep -o "[0-9]* packets transmitted, [0-9]* received"
ip -n a -s link show ifb1
tc -n a -s qdisc show dev ifb1
