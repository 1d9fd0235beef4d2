#!/bin/bash
# Generator of nettools6.txt: net-tools over IPv6 on the host kernel 6.18 (ifconfig inet6 lines,
# ifconfig inet6 add/del, route -A inet6 / -6, /proc/net/if_inet6, /proc/net/ipv6_route).
# Run: vnetlab sh --backend linux gen_nettools6.sh
X() { echo "\$ $*"; eval "$@" 2>&1; echo "[rc=$?]"; }
ip netns add a; ip netns add b
ip link add eth0 netns a address 02:00:00:00:0a:01 type veth peer name eth0 netns b address 02:00:00:00:0b:01
ip -n a link set lo up; ip -n a link set eth0 up; ip -n b link set eth0 up
E="ip netns exec a"
X $E ifconfig
X $E cat /proc/net/if_inet6
sleep 3.5
X $E ifconfig eth0
X $E ifconfig eth0 inet6 add 2001:db8::1/64
X $E ifconfig eth0 inet6 add 2001:db8:1::1
X $E ifconfig eth0 add 2001:db8:2::1/48
X $E ifconfig eth0
X $E cat /proc/net/if_inet6
X $E route -A inet6
X $E route -A inet6 -n
X $E route -6 -n
X $E route -n -6 -e
X $E route -n -A inet6 -C
X $E cat /proc/net/ipv6_route
X $E route -A inet6 add 2001:db8:5::/64 gw 2001:db8::fe
X $E route -A inet6 add 2001:db8:6::/64 dev eth0
X $E route -A inet6 add default gw fe80::1 dev eth0
X $E route -A inet6 add 2001:db8:7::/64 gw 2001:db9::1
X $E route -6 -n
X $E ip -6 route show table all
X $E route -A inet6 del 2001:db8:5::/64 gw 2001:db8::fe
X $E route -A inet6 del 2001:db8:5::/64
X $E ifconfig eth0 inet6 del 2001:db8::1/64
X $E ifconfig eth0 inet6 del 2001:db8::9/64
X $E ifconfig eth0 del 2001:db8:1::1/128
X $E ifconfig eth0
X $E ifconfig -s
X $E ifconfig lo
X $E sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
X $E ifconfig eth0
X $E ifconfig eth0 inet6 add 2001:db8::1/64
X $E route -6 -n
X $E netstat -rn -A inet6
