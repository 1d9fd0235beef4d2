# requires: ifb u32 mirred
. "$(dirname "$0")/lib.sh"
# clsact: egress filters on a's eth0. IFB-04 for egress: frames redirected to ifb0 come back
# to eth0's dev_queue_xmit (tc is skipped once) and reach b; the filter list per direction;
# the u32 hash-table ids shared by both directions of one clsact; deleting by pref.
nsadd a b
ip -n a link add eth0 type veth peer name eth0 netns b
ip -n a link add ifb0 type ifb
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
for d in eth0 ifb0 lo; do ip -n a link set $d up; done
for d in eth0 lo; do ip -n b link set $d up; done
settle
tc -n a qdisc add dev ifb0 root handle 1: pfifo_fast   # not the default (VM: fq_codel)
tc -n a qdisc add dev eth0 clsact
tc -n a filter add dev eth0 egress protocol ip prio 1 u32 match ip dst 10.0.0.2/32 \
    match ip protocol 1 0xff action mirred egress redirect dev ifb0
tc -n a filter add dev eth0 ingress protocol ip prio 2 u32 match ip src 10.0.0.2/32 flowid 1:2
tc -n a filter add dev eth0 ingress protocol arp u32 match u16 0x0002 0xffff at 6
tc -n a filter show dev eth0 egress
tc -n a filter show dev eth0 ingress
tc -n a -j filter show dev eth0 egress
ip netns exec a ping -c 3 -i 0.2 -q 10.0.0.2 | grep -o "[0-9]* packets transmitted, [0-9]* received"
ip -n a -s link show ifb0
ip -n a -s link show eth0
ip -n b -s link show eth0
tc -n a -s qdisc show dev eth0
tc -n a filter del dev eth0 ingress pref 2
tc -n a filter del dev eth0 ingress pref 2
echo "status $?"
tc -n a filter show dev eth0 ingress
tc -n a qdisc del dev eth0 clsact
tc -n a filter show dev eth0 egress
echo "status $?"
