#!/bin/bash
# The seed's LVS VS/TUN experiment (kernel-spec §9 IPVS, §8.1 ipip, §10 ARP sysctls).
#
#   host-only network 200.168.10.0/24 (a Linux bridge in netns lan)
#     client  200.168.10.4  (the physical host's VMnet1 in the seed)
#     lvs     200.168.10.1  eth0   director: tunl0 200.168.10.10/32 (the VIP), ipvsadm rr -i
#     rs2     200.168.10.2  eth1   real server: tunl0 200.168.10.10/32, arp_ignore/announce
#     rs3     200.168.10.3  eth1   real server: idem
#
# The client asks 200.168.10.10 four times. Only the director answers ARP for the VIP (the real
# servers have arp_ignore=1 / arp_announce=2), so every request reaches it; IPVS (LOCAL_IN, the
# VIP is local on its tunl0) picks a real server round robin - most recently added first - and
# encapsulates the packet in IPIP itself (ip_vs_tunnel_xmit: the director's tunl0 counters stay
# 0); each real server's tunl0 decapsulates it and the web server answers the client directly
# from the VIP. The director only ever sees the client's half: its connections end in FIN_WAIT.
# tcpdump on the client and on the director shows the two paths: request frames go client ->
# lvs and leave the director IPIP-encapsulated to rs2/rs3; reply frames go from rs2/rs3
# straight to the client, and none from port 80 ever crosses the director.
#
# The web servers are socat answering "HTTP/1.0 200 OK" and their name: the same program on
# both backends (vnetlab-httpd exists only on the emulator).
#
# Runs on the emulator:                          vnetlab sh examples/lvs-tun.sh
# or on a kernel with ipip and IPVS (root, throwaway, e.g. the reference VM):
#                                                 vnetlab sh --backend linux examples/lvs-tun.sh
set -u
ip link show tunl0 > /dev/null          # load ipip: every netns made from now on has a tunl0
for n in lan client lvs rs2 rs3; do
    ip netns add $n
    ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n $n link set lo up
done
ip -n lan link add br0 type bridge
ip -n lan link set br0 up
declare -A DEV=([client]=eth0 [lvs]=eth0 [rs2]=eth1 [rs3]=eth1)
declare -A IP=([client]=200.168.10.4 [lvs]=200.168.10.1 [rs2]=200.168.10.2 [rs3]=200.168.10.3)
for n in client lvs rs2 rs3; do
    ip -n lan link add p-$n type veth peer name ${DEV[$n]} netns $n
    ip -n lan link set p-$n master br0
    ip -n lan link set p-$n up
    ip netns exec $n ifconfig ${DEV[$n]} ${IP[$n]}
done

# (4) tunl0 on the director and both real servers
for n in lvs rs2 rs3; do
    ip netns exec $n ifconfig tunl0 200.168.10.10 netmask 255.255.255.255 up
    ip netns exec $n route add -host 200.168.10.10 dev tunl0
done

# (5) the director's script, verbatim
ip netns exec lvs bash -c '
ipvsadm -C
ipvsadm -A -t 200.168.10.10:80 -s rr
ipvsadm -a -t200.168.10.10:80 -r 200.168.10.2 -i
ipvsadm -a -t200.168.10.10:80 -r 200.168.10.3 -i
'

# (6) the real servers' script, verbatim, and a web server answering with its own name
for n in rs2 rs3; do
    ip netns exec $n bash -c '
echo "1" >/proc/sys/net/ipv4/conf/tunl0/arp_ignore
echo "2" >/proc/sys/net/ipv4/conf/tunl0/arp_announce
echo "1" >/proc/sys/net/ipv4/conf/all/arp_ignore
echo "2" >/proc/sys/net/ipv4/conf/all/arp_announce
'
    ip netns exec $n socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:"echo HTTP/1.0 200 OK; echo; echo $n" &
done
# packet captures on the client's and the director's eth0 (jobs %3 and %4)
cap=$(mktemp -d)
ip netns exec client tcpdump -i eth0 -e -n -q -t -l 'tcp port 80' > $cap/client 2> /dev/null &
ip netns exec lvs tcpdump -i eth0 -e -n -q -t -l 'tcp port 80 or ip proto 4' > $cap/lvs 2> /dev/null &
sleep 2                                 # let both web servers listen, the captures start

echo "== the client asks the VIP four times"
for i in 1 2 3 4; do
    ip netns exec client curl -s -m 3 http://200.168.10.10/
done
echo "== who answered ARP for the VIP"
vipmac=$(ip -n client neigh show 200.168.10.10 | awk '{print $5}')
for n in lvs rs2 rs3; do
    [ "$vipmac" = "$(ip -n $n -br link show ${DEV[$n]} | awk '{print $3}')" ] && echo "$n (${DEV[$n]})"
done
echo "== the director"
ip netns exec lvs ipvsadm -Ln
ip netns exec lvs ipvsadm -Lnc | sed 's/200.168.10.4:[0-9]*/200.168.10.4:CPORT/' | sort
echo "== tunl0 packet counters (director TX stays 0: IPVS encapsulates by itself)"
for n in lvs rs2 rs3; do
    echo "$n: $(ip -n $n -s link show tunl0 | awk '/RX:/{getline; rx=$2} /TX:/{getline; tx=$2} END{print "rx", rx, "tx", tx}')"
done
echo "== the frames (tcpdump -e on eth0: MAC addresses named by their host, client port CPORT)"
sleep 1
kill %3 %4 2>/dev/null
wait %3 %4 2>/dev/null
names=""
for n in client lvs rs2 rs3; do
    names="$names s/$(ip -n $n -br link show ${DEV[$n]} | awk '{print $3}')/$n/g;"
done
frames() {   # frames FILE: one line per distinct path, as "src-host > dst-host: ip > ip"
    sed -e "$names" -e 's/, IPv4, length [0-9]*//; s/: tcp [0-9]*$//' \
        -e 's/200\.168\.10\.4\.[0-9]*/200.168.10.4.CPORT/' -e '/^$/d' "$1" | sort -u
}
echo "on the client's eth0:"
frames $cap/client
echo "on the director's eth0:"
frames $cap/lvs
echo "replies (from port 80) that crossed the director: $(grep -c '\.80 >' $cap/lvs)"
rm -rf "$cap"
kill %1 %2 2>/dev/null
wait 2>/dev/null
exit 0
