# requires: timing
. "$(dirname "$0")/lib.sh"
# route(8) and ifconfig(8) against the kernel's ioctl semantics: classful masks, SIOCSIFNETMASK
# and its broadcast rule, aliases, SIOCADDRT/SIOCDELRT errors, reject routes, metrics.
nsadd a b
ip link add v0 netns a type veth peer name v0 netns b
ip netns exec a route -n; echo "status $?"
ip netns exec a ifconfig v0 172.16.5.1 netmask 255.255.255.0 up
ip netns exec b ifconfig v0 172.16.5.2/24
ip netns exec b ifconfig v0:9 10.200.0.1
settle
ip netns exec a route -n
ip netns exec b route -n
ip netns exec a route add default gw 172.16.5.2; echo "status $?"
ip netns exec a route add default gw 172.16.5.2; echo "status $?"
ip netns exec a route add -net 10.0.0.0 netmask 255.0.0.0 gw 172.16.5.2 metric 3
ip netns exec a route add -net 10.0.0.0 netmask 255.0.0.0 gw 172.16.5.1 metric 3; echo "status $?"
ip netns exec a route add -net 10.0.0.0/8 gw 9.9.9.9; echo "status $?"
ip netns exec a route add -net 192.168.0.0/16 reject
ip netns exec a route add -host 172.16.5.77 dev v0 mss 1200 window 4096 irtt 50
ip netns exec a route add 192.168.1.0 netmask 255.255.255.0 dev v0; echo "status $?"
ip netns exec a route add -net 192.168.1.0 netmask 255.255.255.0 dev v0 metric 7
ip netns exec a route -n
ip netns exec a route -nee
ip -n a route show
ip netns exec a ping -c 1 10.200.0.1 >/dev/null; echo "ping $?"
ip netns exec a ping -c 1 192.168.3.3 >/dev/null; echo "ping $?"
ip netns exec a route del -net 192.168.0.0/16; echo "status $?"
ip netns exec a route del -net 192.168.0.0/16 reject; echo "status $?"
ip netns exec a route del default
ip netns exec a route del -net 10.0.0.0 netmask 255.0.0.0 metric 2; echo "status $?"
ip netns exec a route del -net 10.0.0.0 netmask 255.0.0.0
ip netns exec a ifconfig v0 netmask 255.255.0.0
ip netns exec a ifconfig v0
ip netns exec a ifconfig v0 broadcast 172.16.9.9 netmask 255.255.255.128
ip netns exec a ifconfig v0
ip netns exec a route -n
ip netns exec a ifconfig v0 down
ip netns exec a route -n
ip netns exec a route add -host 1.2.3.4 dev v0; echo "status $?"
ip netns exec a ifconfig v0 0.0.0.0
settle
ip -n a addr show dev v0
ip netns exec a route -n
