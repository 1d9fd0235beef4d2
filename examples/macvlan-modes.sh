#!/bin/bash
# MACVLAN modes, who reaches whom, and why (kernel-spec §2; drivers/net/macvlan.c).
#
#        netns x (outside) eth0 10.0.0.9           netns sw: br0, the "external switch"
#                 |                                   ports sw-x and sw-h (hairpin per port)
#        sw-x ---br0--- sw-h
#                         |
#        netns h (the host) eth0 10.0.0.5: the lower device, rx_handler = macvlan port
#              +-----------+-----------+
#         mva 10.0.0.1 (netns a)  mvb 10.0.0.2 (netns b)
#
# For each mode, with the switch port's hairpin (reflective relay) off and then on: ping between
# the pairs that matter, the sender's neighbour entry for the target, and one line of the
# kernel's reasoning.
#
# Runs on the emulator:      vnetlab sh examples/macvlan-modes.sh
# or on the real kernel (root, throwaway sandbox):  vnetlab sh --backend linux examples/macvlan-modes.sh
set -u
for n in sw h a b x; do
    ip netns add $n
    ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n sw link add br0 type bridge
ip -n sw link set br0 up
ip -n sw link add sw-h type veth peer name eth0 netns h
ip -n sw link add sw-x type veth peer name eth0 netns x
for p in sw-h sw-x; do
    ip -n sw link set $p master br0
    ip -n sw link set $p up
done
ip -n h addr add 10.0.0.5/24 dev eth0
ip -n h link set eth0 up
ip -n x addr add 10.0.0.9/24 dev eth0
ip -n x link set eth0 up

declare -A IP=([a]=10.0.0.1 [b]=10.0.0.2 [h]=10.0.0.5 [x]=10.0.0.9)

why() {   # why MODE HAIRPIN SRC DST
    local m=$1 hp=$2 k="$3>$4"
    case "$m/$hp/$k" in
    bridge/*/a\>b) echo "bridge: a frame to a sibling's MAC is handed over inside the port (macvlan_queue_xmit -> dev_forward_skb), broadcasts are copied to bridge-mode siblings";;
    vepa/off/a\>b) echo "vepa: every frame leaves through the lower; the switch never sends a frame back out of the port it came in on, so a's ARP gets no answer";;
    vepa/on/a\>b) echo "vepa: out through the lower; the hairpin port reflects it and the lower's rx_handler delivers it by destination MAC (MV-RX)";;
    private/off/a\>b) echo "private: every frame leaves through the lower and nothing comes back";;
    private/on/a\>b) echo "private: the reflected ARP broadcast has a sibling's source MAC and is not delivered to private macvlans (MV-RX-03): ARP fails";;
    */off/a\>h|*/off/h\>a) echo "the lower's own stack and its macvlans never see each other's frames unless a switch reflects them: ARP fails";;
    private/on/a\>h) echo "a reflected broadcast whose source is a private macvlan goes back to that macvlan only and is consumed (macvlan_handle_frame): h never sees a's ARP request";;
    private/on/h\>a) echo "h's reflected ARP broadcast has no macvlan source, so every macvlan gets it; a's unicast reply to h's MAC is reflected back to the lower's stack";;
    */on/a\>h|*/on/h\>a) echo "the hairpin port reflects the frames, so the lower's stack and the macvlan exchange ARP and ICMP through the switch";;
    */*/a\>x|*/*/x\>a) echo "out through the lower and the switch; x's frames to a's MAC are dispatched by destination MAC on the lower (macvlan_handle_frame)";;
    esac
}

cell() {  # cell MODE HAIRPIN SRC DST
    local m=$1 hp=$2 s=$3 d=$4 res arp
    if ip netns exec $s ping -c 1 -W 1 ${IP[$d]} > /dev/null 2>&1; then res=ok; else res=--; fi
    arp=$(ip -n $s neigh show ${IP[$d]} | awk '{print $NF}')
    printf '  %s -> %s  %-3s  arp %-10s %s\n' $s $d $res "${arp:-none}" "$(why $m $hp $s $d)"
}

for hp in off on; do
    bridge -n sw link set dev sw-h hairpin $hp
    for mode in private vepa bridge; do
        echo "== mode $mode, switch hairpin $hp"
        ip -n h link add link eth0 name mva address 02:00:00:00:0a:01 type macvlan mode $mode
        ip -n h link add link eth0 name mvb address 02:00:00:00:0b:01 type macvlan mode $mode
        ip -n h link set mva netns a
        ip -n h link set mvb netns b
        ip -n a addr add ${IP[a]}/24 dev mva
        ip -n b addr add ${IP[b]}/24 dev mvb
        ip -n a link set mva up
        ip -n b link set mvb up
        sleep 1.2
        for p in "a b" "a h" "h a" "a x" "x a"; do
            cell $mode $hp $p
        done
        ip -n a link del mva
        ip -n b link del mvb
        for n in x h; do ip -n $n neigh flush dev eth0; done
    done
done
