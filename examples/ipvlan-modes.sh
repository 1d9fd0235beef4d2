#!/bin/bash
# IPVLAN modes, who reaches whom, and why (kernel-spec §4; drivers/net/ipvlan/).
#
#   netns x (outside) eth0 10.0.0.9 ---veth--- eth0 10.0.0.5 netns h (the host: the master NIC)
#                                                |  ipvlan port (rx_handler on eth0)
#                                   +------------+------------+
#                              ipvl0 10.0.0.1 (netns a)   ipvl1 10.0.0.2 (netns b)
#
# For each mode and flag: ping between every pair that matters, then the sender's neighbour
# entry for the target (ARP), and one line of the kernel's reasoning.
#
# Runs on the emulator:      vnetlab sh examples/ipvlan-modes.sh
# or on a kernel with ipvlan (root, throwaway):  vnetlab sh --backend linux examples/ipvlan-modes.sh
set -u
for n in h a b x; do
    ip netns add $n
    ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n h link add eth0 type veth peer name eth0 netns x
ip -n h addr add 10.0.0.5/24 dev eth0
ip -n h link set eth0 up
ip -n x addr add 10.0.0.9/24 dev eth0
ip -n x link set eth0 up

declare -A IP=([a]=10.0.0.1 [b]=10.0.0.2 [h]=10.0.0.5 [x]=10.0.0.9)

why() {   # why MODE FLAG SRC DST: the kernel's reasoning for this cell
    local m=$1 f=$2 k="$3>$4"
    case "$m/$k" in
    l2/a\>b)
        case $f in
        bridge)  echo "a's ARP broadcast is copied to b (ipvlan_process_multicast); b's unicast reply to the shared MAC is switched locally (ipvlan_xmit_mode_l2 -> ipvlan_rcv_frame)";;
        private) echo "b gets a's ARP broadcast (group frames ignore the flag) but its reply to a slave address is dropped: private port";;
        vepa)    echo "vepa: no local switching; b's reply leaves through the master to the wire, where x drops it (not its MAC)";;
        esac;;
    l2/a\>h) echo "a's ARP broadcast goes to the other slaves and out of eth0, never to the master's own stack (IPV-TX-03): h never answers";;
    l2/a\>x) echo "ARP broadcast leaves through eth0; x's unicast reply to the shared MAC is demultiplexed by target IP to a (ipvlan_handle_mode_l2 -> l3 lookup)";;
    l2/h\>a) echo "h's ARP request leaves eth0 for the wire: the master's own transmissions never pass the ipvlan rx_handler (IPV-TX-05)";;
    l2/x\>a) echo "x's ARP broadcast reaches every slave through the port's backlog; a answers; unicast to 10.0.0.1 is steered to a";;
    l3*/a\>b)
        case $f in
        bridge)  echo "NOARP slave: the destination IP is a slave's, so ipvlan_xmit_mode_l3 hands it over with dev_forward_skb";;
        private) echo "the destination IP is a slave's and the port is private: NET_XMIT_DROP";;
        vepa)    echo "vepa: no slave lookup; routed out of eth0 in h's netns, h ARPs for 10.0.0.2 and the wire has no answer";;
        esac;;
    l3*/a\>h) echo "routed in h's netns with oif=eth0: a local route, so h's stack gets it via lo (down here, so lost); a reply could only go out to the wire anyway";;
    l3*/a\>x) echo "routed in h's netns out of eth0 (x answers h's ARP), but x's ARP for 10.0.0.1 is steered to a NOARP slave and dropped (l3) or ignored by h (l3s): no reply path";;
    l3*/h\>a) echo "h's ARP request goes to the wire; the master's transmissions never reach a slave (IPV-TX-05)";;
    l3*/x\>a) echo "x is on-link: its ARP for a slave IP is swallowed (l3: NOARP slave, arp_rcv drops) or not answered (l3s: h's ARP does not own it); route via 10.0.0.5 instead";;
    esac
}

cell() {  # cell MODE FLAG SRC DST
    local m=$1 f=$2 s=$3 d=$4 res arp
    if ip netns exec $s ping -c 1 -W 1 ${IP[$d]} > /dev/null 2>&1; then res=ok; else res=--; fi
    arp=$(ip -n $s neigh show ${IP[$d]} | awk '{print $NF}')
    printf '  %s -> %s  %-3s  arp %-10s %s\n' $s $d $res "${arp:-none}" "$(why $m $f $s $d)"
}

for mf in "l2 bridge" "l2 private" "l2 vepa" "l3 bridge" "l3 private" "l3 vepa" "l3s bridge"; do
    set -- $mf
    mode=$1 flag=$2
    echo "== mode $mode $flag"
    ip -n h link add link eth0 name ipvl0 type ipvlan mode $mode $flag
    ip -n h link add link eth0 name ipvl1 type ipvlan mode $mode $flag
    ip -n h link set ipvl0 netns a
    ip -n h link set ipvl1 netns b
    ip -n a addr add ${IP[a]}/24 dev ipvl0
    ip -n b addr add ${IP[b]}/24 dev ipvl1
    ip -n a link set ipvl0 up
    ip -n b link set ipvl1 up
    sleep 1.2
    for p in "a b" "a h" "a x" "h a" "x a"; do
        cell $mode $flag $p
    done
    ip -n a link del ipvl0
    ip -n b link del ipvl1
    ip -n x neigh flush dev eth0
    ip -n h neigh flush dev eth0
done
for n in h a b x; do ip netns del $n; done
