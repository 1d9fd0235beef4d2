#!/bin/bash
# A WAN between two namespaces with netem: 50 ms +- 10 ms each way and 5 % loss on both
# sides. ping's statistics show the round trip (about 100 ms) and the losses.
#
#   vnetlab sh examples/netem-wan.sh        # emulator: seeded, the same numbers every run
set -e
for n in a b; do
    ip netns add $n
    ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n a link add eth0 type veth peer name eth0 netns b
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
for n in a b; do ip -n $n link set lo up; ip -n $n link set eth0 up; done
sleep 1.2
ip netns exec a ping -c 3 -q 10.0.0.2 | tail -2         # the LAN first

for n in a b; do
    tc -n $n qdisc add dev eth0 root netem delay 50ms 10ms loss 5%
    tc -n $n qdisc show dev eth0
done
ip netns exec a ping -c 100 -i 0.05 -q 10.0.0.2 | tail -2 || true
for n in a b; do tc -n $n -s qdisc show dev eth0; done

ip netns del a
ip netns del b
