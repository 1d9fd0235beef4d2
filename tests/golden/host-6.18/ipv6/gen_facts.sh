#!/bin/bash
# Generator of facts-host.txt: IPv6 in fresh namespaces on the host kernel (6.18).
# Run: vnetlab sh --backend linux gen_facts.sh > facts-host.txt   (also used in the VM: facts-vm.txt)
# Every section header is the command (or scenario) whose output follows.
S() { echo; echo "### $*"; }
X() { echo "\$ $*"; eval "$@" 2>&1; echo "[rc=$?]"; }
KEYS="disable_ipv6 accept_dad dad_transmits enhanced_dad addr_gen_mode router_solicitations router_solicitation_interval router_solicitation_delay router_solicitation_max_interval mldv2_unsolicited_report_interval mldv1_unsolicited_report_interval force_mld_version forwarding accept_ra autoconf hop_limit mtu use_tempaddr keep_addr_on_down ndisc_notify"
S "kernel $(uname -r); $(ip -V)"
ip netns add f
S "fresh netns: ip addr; ip -6 route show table all; ip -6 neigh; ip -6 maddr"
X ip -n f addr; X ip -n f -6 route show table all; X ip -n f -6 neigh; X ip -n f -6 maddr
S "fresh netns sysctls (all / default / lo)"
for k in $KEYS; do printf '%s all=%s default=%s lo=%s\n' $k "$(ip netns exec f cat /proc/sys/net/ipv6/conf/all/$k)" "$(ip netns exec f cat /proc/sys/net/ipv6/conf/default/$k)" "$(ip netns exec f cat /proc/sys/net/ipv6/conf/lo/$k)"; done
X ip netns exec f cat /proc/sys/net/core/devconf_inherit_init_net
X ip netns exec f sysctl net.ipv6.neigh.default.retrans_time_ms net.ipv6.neigh.default.base_reachable_time_ms net.ipv6.neigh.default.delay_first_probe_time net.ipv6.neigh.default.mcast_solicit net.ipv6.neigh.default.ucast_solicit net.ipv6.neigh.default.gc_thresh1
X ip netns exec f ls /proc/sys/net/ipv6/conf/
S "new netns made from a netns whose all/default were changed: inherited? (devconf_inherit_init_net=0)"
ip netns exec f sysctl -qw net.ipv6.conf.default.dad_transmits=3 net.ipv6.conf.all.forwarding=1 net.ipv6.conf.default.addr_gen_mode=1
ip netns exec f unshare -n sh -c 'echo "child: default.dad_transmits=$(cat /proc/sys/net/ipv6/conf/default/dad_transmits) all.forwarding=$(cat /proc/sys/net/ipv6/conf/all/forwarding) default.addr_gen_mode=$(cat /proc/sys/net/ipv6/conf/default/addr_gen_mode)"'
echo "sandbox netns (made by unshare from init_net): all.accept_dad=$(cat /proc/sys/net/ipv6/conf/all/accept_dad) default.accept_dad=$(cat /proc/sys/net/ipv6/conf/default/accept_dad)"
ip netns del f; ip netns add f
S "lo up"
X ip -n f link set lo up; X ip -n f addr show lo; X ip -n f -6 route show table all; X ip -n f -6 maddr show dev lo
X ip netns exec f ping -6 -c 1 -W 1 ::1
X ip netns exec f ping -6 -c 1 -W 1 ::2
S "lo up with all.disable_ipv6=1 set before"; ip netns add g; ip netns exec g sysctl -qw net.ipv6.conf.all.disable_ipv6=1
X ip -n g link set lo up; X ip -n g addr show lo
X ip netns exec g sysctl net.ipv6.conf.lo.disable_ipv6 net.ipv6.conf.default.disable_ipv6
ip netns del g

S "veth pair (a,b), addresses fixed MACs; up both back to back; ip addr at once / after 3 s"
ip netns add a; ip netns add b
ip link add va netns a address 02:00:00:00:0a:01 type veth peer name vb netns b address 02:00:00:00:0b:01
X ip -n a addr
ip -n a link set va up; ip -n b link set vb up
X ip -n a addr show va; X ip -n a -6 route show table all; X ip -n a -6 maddr show dev va
X ip -n a -j addr show va
sleep 3.5
X ip -n a addr show va; X ip -n a -6 route show table all; X ip -n a -6 neigh
X ip netns exec a ping -6 -c 2 -i 0.2 fe80::ff:fe00:b01%va
X ip -n a -6 neigh; X ip -n b -6 neigh
X ip netns exec a ping -6 -c 1 -W 1 fe80::ff:fe00:b01
X ip netns exec a ping -c 1 -W 1 fe80::ff:fe00:b01%va
X ip netns exec a ping6 -c 1 -W 1 -I va fe80::ff:fe00:b01
S "global address"
X ip -n a -6 addr add 2001:db8::1/64 dev va; X ip -n b -6 addr add 2001:db8::2/64 dev vb
X ip -n a addr show va; X ip -n a -6 route show table all
sleep 2.5
X ip -n a addr show va
X ip netns exec a ping -6 -c 2 -i 0.2 2001:db8::2
X ip -n a -6 neigh; X ip -n b -6 neigh; X ip -n a -6 neigh show nud all
X ip netns exec a ping -6 -c 1 -W 1 2001:db8::99
X ip -n a -6 neigh
X ip netns exec a ping -6 -c 1 -W 1 2001:db9::1
X ip -n a -6 route get 2001:db8::2; X ip -n a -6 route get fe80::1; X ip -n a -6 route get ff02::1
X ip -n a -6 addr add 2001:db8:1::1/128 dev va; X ip -n a -6 addr add 2001:db8:2::1/64 dev va nodad; X ip -n a addr show va
X ip -n a -6 route show; X ip -n a -6 route show table local
X ip -n a -6 addr del 2001:db8::1/64 dev va; X ip -n a -6 route show table all
X ip -n a -s link show va
S "link down / up keeps? (keep_addr_on_down=0)"
X ip -n a link set va down; X ip -n a addr show va; X ip -n a -6 route show table all
X ip -n a link set va up; X ip -n a addr show va
ip netns del a; ip netns del b

S "disable_ipv6 propagation"
ip netns add p
ip -n p link add v1 type veth peer name v2; ip -n p link set v1 up; ip -n p link set v2 up; sleep 0.2
X ip netns exec p sysctl -w net.ipv6.conf.all.disable_ipv6=1
X ip netns exec p sysctl net.ipv6.conf.default.disable_ipv6 net.ipv6.conf.v1.disable_ipv6 net.ipv6.conf.lo.disable_ipv6
X ip -n p addr
X ip netns exec p sysctl -w net.ipv6.conf.all.disable_ipv6=0
X ip netns exec p sysctl net.ipv6.conf.default.disable_ipv6 net.ipv6.conf.v1.disable_ipv6
X ip -n p addr show v1
X ip netns exec p sysctl -w net.ipv6.conf.default.disable_ipv6=1
X ip -n p link add v3 type veth peer name v4
X ip netns exec p sysctl net.ipv6.conf.v1.disable_ipv6 net.ipv6.conf.v3.disable_ipv6 net.ipv6.conf.all.disable_ipv6
X ip -n p link set v3 up; X ip -n p link set v4 up; sleep 0.1; X ip -n p addr show v3
X ip netns exec p sysctl -w net.ipv6.conf.v3.disable_ipv6=0
sleep 0.1; X ip -n p addr show v3
X ip netns exec p sysctl -w net.ipv6.conf.v1.disable_ipv6=1; X ip -n p addr show v1; X ip -n p -6 route show table all
X ip -n p -6 addr add 2001:db8::5/64 dev v1
X ip -n p -s link show v1
ip netns del p

S "addrgenmode"
ip netns add m
ip -n m link add v1 address 02:00:00:00:0c:01 type veth peer name v2 address 02:00:00:00:0c:02
X ip -n m -d link show v1
X ip -n m link set v1 addrgenmode none; X ip -n m -d link show v1
X ip netns exec m sysctl net.ipv6.conf.v1.addr_gen_mode
X ip -n m link set v1 up; X ip -n m link set v2 up; sleep 0.1; X ip -n m addr show v1
X ip -n m link set v2 addrgenmode random; X ip -n m -d link show v2
X ip netns exec m sysctl net.ipv6.conf.v2.addr_gen_mode; X ip -n m addr show v2
X ip -n m link set v2 down; X ip -n m link set v2 up; sleep 0.1; X ip -n m addr show v2
X ip netns exec m sysctl -w net.ipv6.conf.v1.stable_secret=2001:db8::1234
X ip netns exec m sysctl net.ipv6.conf.v1.addr_gen_mode
X ip -n m link set v1 addrgenmode stable_secret; X ip -n m -d link show v1
X ip -n m link set v1 down; X ip -n m link set v1 up; sleep 0.1; X ip -n m addr show v1
X ip -n m link set v1 addrgenmode eui64; X ip -n m link set v1 down; X ip -n m link set v1 up; sleep 0.1; X ip -n m addr show v1
X ip -n m link set v1 addrgenmode bogus
X ip netns exec m sysctl net.ipv6.conf.default.stable_secret
X ip netns exec m sysctl -w net.ipv6.conf.v2.addr_gen_mode=3
X ip netns exec m sysctl -w net.ipv6.conf.v2.addr_gen_mode=4
X ip netns exec m sysctl -w net.ipv6.conf.default.addr_gen_mode=1
X ip -n m link add v5 type veth peer name v6; X ip -n m -d link show v5
ip netns del m

S "accept_dad=0, dad_transmits=0 / 3 (tentative duration)"
ip netns add d
ip -n d link add v1 address 02:00:00:00:0d:01 type veth peer name v2 address 02:00:00:00:0d:02
X ip netns exec d sysctl -w net.ipv6.conf.v1.accept_dad=0 net.ipv6.conf.v2.dad_transmits=3
ip -n d link set v1 up; ip -n d link set v2 up
X ip -n d addr
for t in 1 2 3 4; do sleep 1; echo "--- +${t}s"; ip -n d addr show v2 | grep inet6; done
X ip netns exec d sysctl -w net.ipv6.conf.v1.dad_transmits=0
X ip -n d -6 addr add 2001:db8::1/64 dev v1; X ip -n d addr show v1
ip netns del d

S "duplicate link-local: same MAC on both veth ends"
ip netns add a; ip netns add b
ip link add va netns a address 02:00:00:00:0e:01 type veth peer name vb netns b address 02:00:00:00:0e:01
ip -n a link set va up; ip -n b link set vb up
sleep 3.5
X ip -n a addr show va; X ip -n b addr show vb
X ip -n a -6 route show table all
X ip -n a -s link show va
S "duplicate global address"
X ip -n a -6 addr add 2001:db8::7/64 dev va
sleep 0.3
X ip -n b -6 addr add 2001:db8::7/64 dev vb
sleep 2.5
X ip -n a addr show va; X ip -n b addr show vb
ip netns del a; ip netns del b
S "done"
