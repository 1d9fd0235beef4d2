# requires: netem ifb u32 mirred
. "$(dirname "$0")/lib.sh"
# netem as a WAN delay: the replies arriving on a's eth0 are redirected to ifb0, whose netem
# root delays them 80 ms (on an ifb, so the qdisc listing does not depend on the CPU count the
# way a veth's root refcount does); ping sees the delay. Then netem's option parser and
# printer (q_netem.c): correlations, loss, duplicate, corrupt, reorder, rate, errors.
nsadd a b
ip -n a link add eth0 type veth peer name eth0 netns b
ip -n a link add ifb0 type ifb
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
for d in eth0 ifb0 lo; do ip -n a link set $d up; done
for d in eth0 lo; do ip -n b link set $d up; done
settle
tc -n a qdisc add dev eth0 handle ffff: ingress
tc -n a filter add dev eth0 parent ffff: protocol ip u32 match u32 0 0 \
    action mirred egress redirect dev ifb0
tc -n a qdisc add dev ifb0 root handle 1: netem delay 80ms
tc -n a qdisc show dev ifb0
# replies that took at least the 80 ms of delay
ip netns exec a ping -c 3 -i 0.2 10.0.0.2 | awk -F'time=' '/time=/ { if ($2 + 0 >= 80) n++ }
    END { print n " replies delayed" }'
tc -n a -s qdisc show dev ifb0
tc -n a qdisc change dev ifb0 root netem delay 10ms 2ms 25% loss 0.5% duplicate 1% \
    corrupt 0.1% reorder 5% 10% limit 500
tc -n a qdisc show dev ifb0
tc -n a -j qdisc show dev ifb0
tc -n a qdisc change dev ifb0 root netem rate 1mbit
tc -n a qdisc show dev ifb0
tc -n a qdisc change dev ifb0 root netem reorder 10%
echo "status $?"
tc -n a qdisc change dev ifb0 root netem loss 150%
echo "status $?"
