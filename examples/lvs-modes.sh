#!/bin/bash
# The seed's LVS cluster in four variants, and what the director carries in each
# (kernel-spec §9 IPVS, §8.1 ipip, §10 ARP sysctls).
#
#   tun        the seed as written: VIP on tunl0 everywhere, ipvsadm -i, arp_ignore/arp_announce
#   tun-noarp  the same without the real servers' arp_ignore/arp_announce lines
#   dr         direct routing (-g): the director only rewrites the destination MAC
#   nat        masquerading (-m): the real servers route their replies back through the director
#
# Each variant: the client fetches a ~10 kB page from the VIP four times; then who answered ARP
# for the VIP, which servers answered, and the bytes the director's eth0 received and sent. The
# seed's "tenfold" argument is visible in the last column: with tun and dr the director sends
# almost nothing (the replies bypass it), with nat every reply byte crosses it twice.
# The measured throughput under load (N clients, a shaped director link or a packet budget):
# vnetlab bench --only lvs (src/vnetlab/bench_lvs.py).
#
# Runs on the emulator:   vnetlab sh examples/lvs-modes.sh
set -u
BODY=$(printf '%*s' 10000 '' | tr ' ' x)
declare -A DEV=([client]=eth0 [lvs]=eth0 [rs2]=eth1 [rs3]=eth1)
declare -A IP=([client]=200.168.10.4 [lvs]=200.168.10.1 [rs2]=200.168.10.2 [rs3]=200.168.10.3)
VIP=200.168.10.10

build() {   # build VARIANT
    local v=$1 n fwd
    for n in lan client lvs rs2 rs3; do
        ip netns add $n
        ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        ip -n $n link set lo up
    done
    ip -n lan link add br0 type bridge
    ip -n lan link set br0 up
    for n in client lvs rs2 rs3; do
        ip -n lan link add p-$n type veth peer name ${DEV[$n]} netns $n
        ip -n lan link set p-$n master br0
        ip -n lan link set p-$n up
        ip netns exec $n ifconfig ${DEV[$n]} ${IP[$n]}
    done
    case $v in
    tun|tun-noarp) fwd=-i ;;
    dr) fwd=-g ;;
    nat) fwd=-m ;;
    esac
    if [ $v = nat ]; then
        # the VIP lives on the director only; replies must come back through it
        ip -n lvs addr add $VIP/32 dev eth0
        ip netns exec lvs sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 \
            net.ipv4.conf.eth0.send_redirects=0
        for n in rs2 rs3; do ip -n $n route add ${IP[client]} via ${IP[lvs]}; done
    else
        for n in lvs rs2 rs3; do
            ip netns exec $n ifconfig tunl0 $VIP netmask 255.255.255.255 up
            ip netns exec $n route add -host $VIP dev tunl0
        done
    fi
    ip netns exec lvs ipvsadm -A -t $VIP:80 -s rr
    ip netns exec lvs ipvsadm -a -t $VIP:80 -r ${IP[rs2]} $fwd
    ip netns exec lvs ipvsadm -a -t $VIP:80 -r ${IP[rs3]} $fwd
    for n in rs2 rs3; do
        if [ $v = tun ] || [ $v = dr ]; then
            ip netns exec $n bash -c '
echo "1" >/proc/sys/net/ipv4/conf/tunl0/arp_ignore
echo "2" >/proc/sys/net/ipv4/conf/tunl0/arp_announce
echo "1" >/proc/sys/net/ipv4/conf/all/arp_ignore
echo "2" >/proc/sys/net/ipv4/conf/all/arp_announce
'
        fi
        ip netns exec $n vnetlab-httpd --text "$n $BODY" &
    done
    sleep 2
}

teardown() {
    kill $(jobs -p) 2>/dev/null
    wait 2>/dev/null
    for n in lan client lvs rs2 rs3; do ip netns del $n; done
}

bytes() {   # bytes NS DEV: "rx tx" byte counters
    ip -n $1 -s link show $2 | awk '/RX:/{getline; rx=$1} /TX:/{getline; tx=$1} END{print rx, tx}'
}

printf '%-10s %-24s %-18s %12s %12s\n' variant answers "VIP ARP from" "lvs rx B" "lvs tx B"
for v in tun tun-noarp dr nat; do
    build $v
    set -- $(bytes lvs eth0)
    rx0=$1 tx0=$2
    answers=""
    for i in 1 2 3 4; do
        a=$(ip netns exec client curl -s -m 3 http://$VIP/ | cut -c1-3)
        answers="$answers ${a:---}"
    done
    vipmac=$(ip -n client neigh show $VIP | awk '{print $5}')
    arp=""
    for n in lvs rs2 rs3; do
        [ "$vipmac" = "$(ip -n $n -br link show ${DEV[$n]} | awk '{print $3}')" ] && arp="$arp $n"
    done
    set -- $(bytes lvs eth0)
    printf '%-10s %-24s %-18s %12d %12d\n' $v "$answers" "${arp:- none}" $(( $1 - rx0 )) $(( $2 - tx0 ))
    teardown
done
exit 0
