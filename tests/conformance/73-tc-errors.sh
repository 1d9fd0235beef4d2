# requires: ifb tbf u32
. "$(dirname "$0")/lib.sh"
# tc's refusals: iproute2's own parser errors (status 1 or 255) and the kernel's extack
# messages (status 2), on an ifb (the root qdisc refcount of a veth follows the CPU count).
nsadd a
ip -n a link add ifb0 type ifb
ip -n a link add eth0 type veth peer name eth1
# ifb0 stays down: no default qdisc attached (it would depend on net.core.default_qdisc)
t() { tc -n a "$@"; echo "status $?"; }
t qdisc show dev ifb0
t qdisc show dev nosuch
t qdisc add dev ifb0 ingress
t qdisc add dev ifb0 ingress
t qdisc add dev ifb0 clsact
t qdisc del dev ifb0 ingress
t qdisc del dev ifb0 ingress
t qdisc del dev eth1 clsact
t qdisc del dev ifb0 root
t qdisc add dev ifb0 root tbf rate 1mbit burst 10k
t qdisc add dev ifb0 root tbf rate 1mbit burst 10k latency 1ms limit 5
t qdisc add dev ifb0 root tbf rate fast burst 10k latency 1ms
t qdisc add dev ifb0 root tbf rate 1mbit burst 10k latency 1ms bogus
t qdisc add dev ifb0 tbf rate 1mbit burst 10k latency 1ms
t qdisc add dev ifb0 parent 7:1 tbf rate 1mbit burst 10k latency 1ms
t qdisc change dev ifb0 root tbf rate 1mbit burst 10k latency 1ms
t qdisc add dev ifb0 root handle 1: nosuchqdisc
t qdisc add dev ifb0 root root
t qdisc frob dev ifb0
t frob
t filter add dev ifb0 parent ffff: protocol ip u32 match u32 0 0
t filter add dev nosuch ingress protocol ip u32 match u32 0 0
t qdisc add dev ifb0 ingress
t filter add dev ifb0 parent ffff: protocol ip u32 match ip src 1.2.3.400
t filter add dev ifb0 parent ffff: protocol ip u32 flowid 1:1
t filter add dev ifb0 parent ffff: protocol ip u32 match u32 0 0 action mirred egress redirect dev nosuch
t filter add dev ifb0 parent ffff: protocol ip u32 match u32 0 0 action mirred egress redirect
t filter add dev ifb0 parent ffff: protocol ip prio 99999 u32 match u32 0 0
t filter del dev ifb0 parent ffff: prio 4
t filter add dev ifb0 parent ffff: protocol ip prio 4 u32 match u32 0 0
t filter show dev ifb0 parent ffff:
