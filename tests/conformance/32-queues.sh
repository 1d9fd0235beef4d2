# rtnl_create_link(): numtxqueues/numrxqueues 1..4096 with extack, per end of a veth pair; the
# root qdisc refcount is 1 + tx queues (veth defaults to one queue per CPU: not shown here, the
# VM and the host may differ); kinds without their own count get one queue.
. "$(dirname "$0")/lib.sh"
ip link add name a0 numtxqueues 0 type veth peer name a1; echo rc=$?
ip link add name a0 numtxqueues 5000 type veth peer name a1; echo rc=$?
ip link add name a0 numrxqueues 0 type veth peer name a1; echo rc=$?
ip link add name a0 numtxqueues 3 numrxqueues 5 type veth peer name a1 numtxqueues 4 numrxqueues 6; echo rc=$?
ip -d link show a0 | grep -o "numtxqueues [0-9]* numrxqueues [0-9]*"
ip -d link show a1 | grep -o "numtxqueues [0-9]* numrxqueues [0-9]*"
ip link add name b0 type bridge numtxqueues 2; echo rc=$?
ip -d link show b0 | grep -o "numtxqueues [0-9]* numrxqueues [0-9]*"
ip link add name m0 link a0 type macvlan; ip -d link show m0 | grep -o "numtxqueues [0-9]* numrxqueues [0-9]*"
ip link add name i0 type ifb; ip -d link show i0 | grep -o "numtxqueues [0-9]* numrxqueues [0-9]*"
ip link add name vx0 type vxlan id 5 dstport 4789; ip -d link show vx0 | grep -o "numtxqueues [0-9]* numrxqueues [0-9]*"
ip tuntap add dev t0 mode tap; ip -d link show t0 | grep -o "numtxqueues [0-9]* numrxqueues [0-9]*"
ip -d link show lo | grep -o "numtxqueues [0-9]* numrxqueues [0-9]*"
ip link set a0 up; ip link set a1 up
tc qdisc add dev a0 root handle 1: tbf rate 1mbit burst 10k limit 1000
tc qdisc add dev a1 root handle 1: tbf rate 1mbit burst 10k limit 1000
tc qdisc show dev a0; tc qdisc show dev a1
ip link add name c0 numtxqueues 2 type veth peer name c1 numtxqueues 1
ip link set c0 up; ip link set c1 up
tc qdisc show dev c0; tc qdisc show dev c1
