#!/bin/bash
# (VM transcript: tests/golden/vm-6.1/tc-netem.sh run by vng on /boot/vmlinuz-6.1.0-56-amd64)
exec 2>&1
run() { echo "\$ $*"; "$@"; echo "rc=$?"; }
ip link add eth0 type veth peer name peer0
ip link set eth0 up; ip link set peer0 up; ip link set lo up
ip -d link show eth0 | grep -o "numtxqueues [0-9]*"
run tc qdisc add dev eth0 root netem delay 100ms
run tc qdisc show dev eth0
run tc -s qdisc show dev eth0
run tc -d qdisc show dev eth0
run tc -j qdisc show dev eth0
run tc qdisc change dev eth0 root netem delay 100ms 10ms
run tc qdisc show dev eth0
run tc qdisc change dev eth0 root netem delay 100ms 10ms 25%
run tc qdisc show dev eth0
run tc -j qdisc show dev eth0
run tc qdisc change dev eth0 root netem loss 1%
run tc qdisc show dev eth0
run tc qdisc change dev eth0 root netem loss 0.3% 25%
run tc qdisc show dev eth0
run tc -j qdisc show dev eth0
run tc qdisc change dev eth0 root netem delay 10ms loss 5% duplicate 1% corrupt 0.1% reorder 25% 50% limit 500
run tc qdisc show dev eth0
run tc -j qdisc show dev eth0
run tc qdisc change dev eth0 root netem delay 10ms reorder 25% gap 5
run tc qdisc show dev eth0
run tc qdisc change dev eth0 root netem rate 1mbit
run tc qdisc show dev eth0
run tc qdisc change dev eth0 root netem delay 1s rate 100kbit limit 10
run tc qdisc show dev eth0
run tc -j qdisc show dev eth0
run tc qdisc change dev eth0 root netem delay 1.5ms 0.5ms
run tc qdisc show dev eth0
run tc qdisc change dev eth0 root netem delay 123us
run tc qdisc show dev eth0
run tc qdisc change dev eth0 root netem delay 2.345s
run tc qdisc show dev eth0
run tc qdisc change dev eth0 root netem
run tc qdisc show dev eth0
run tc qdisc change dev eth0 root netem duplicate 100
run tc qdisc show dev eth0
run tc qdisc change dev eth0 root netem loss random 2%
run tc qdisc show dev eth0
run tc qdisc change dev eth0 root netem foo
run tc qdisc change dev eth0 root netem delay xx
run tc qdisc change dev eth0 root netem loss 200%
run tc qdisc change dev eth0 root netem reorder 10%
run tc qdisc change dev eth0 root netem delay 10ms reorder 10%
run tc qdisc show dev eth0
run tc qdisc change dev eth0 root netem delay 10ms distribution normal
run tc qdisc change dev eth0 root netem delay 10ms 2ms distribution normal
run tc qdisc show dev eth0
run tc qdisc change dev eth0 root netem limit 0
run tc qdisc show dev eth0
run tc qdisc del dev eth0 root
run tc qdisc add dev eth0 root handle 1: netem delay 20ms loss 10% 
ip addr add 10.7.0.1/24 dev eth0
ip netns add p; ip link set peer0 netns p; ip -n p link set peer0 up; ip -n p addr add 10.7.0.2/24 dev peer0
sleep 1
ping -c 20 -i 0.05 -q 10.7.0.2
run tc -s qdisc show dev eth0
run tc qdisc add dev eth0 ingress
run tc filter add dev eth0 parent ffff: matchall action drop
run tc filter show dev eth0 parent ffff:
run tc filter add dev eth0 parent ffff: protocol ip prio 3 u32 match ip src 10.7.0.2/32 action pass
run tc filter show dev eth0 parent ffff:
ping -c 2 -i 0.2 -W 1 -q 10.7.0.2
run tc -s filter show dev eth0 parent ffff:
run tc -s qdisc show dev eth0 ingress
run tc -j -s filter show dev eth0 parent ffff:
