# requires: ipvs ipip
. "$(dirname "$0")/lib.sh"
# The seed's LVS VS/TUN experiment end to end (IPVS-01, IPVS-FWD-04, IPVS-CONN-01, §9.5 rr,
# §10 arp_ignore/arp_announce, §13): a host-only LAN (bridge) with the client .4, the director
# .1 and real servers .2/.3; tunl0 with the VIP 200.168.10.10/32 on all three; the director's
# ipvsadm lines and the real servers' arp lines verbatim. Four requests alternate between the
# real servers, most recently added (.3) first; the director answers ARP for the VIP; its
# connections end in FIN_WAIT (it sees only the client's half) and its tunl0 counters stay 0.
ip link show tunl0 > /dev/null
nsadd lan client lvs rs2 rs3
for n in lan client lvs rs2 rs3; do ip -n $n link set lo up; done
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
for n in lvs rs2 rs3; do
    ip netns exec $n ifconfig tunl0 200.168.10.10 netmask 255.255.255.255 up
    ip netns exec $n route add -host 200.168.10.10 dev tunl0
done
ip netns exec lvs bash -c '
ipvsadm -C
ipvsadm -A -t 200.168.10.10:80 -s rr
ipvsadm -a -t200.168.10.10:80 -r 200.168.10.2 -i
ipvsadm -a -t200.168.10.10:80 -r 200.168.10.3 -i
'
for n in rs2 rs3; do
    ip netns exec $n bash -c '
echo "1" >/proc/sys/net/ipv4/conf/tunl0/arp_ignore
echo "2" >/proc/sys/net/ipv4/conf/tunl0/arp_announce
echo "1" >/proc/sys/net/ipv4/conf/all/arp_ignore
echo "2" >/proc/sys/net/ipv4/conf/all/arp_announce
'
    ip netns exec $n socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:"echo $n" &
done
settle; settle
for i in 1 2 3 4; do
    sleep 1 | ip netns exec client socat -T 3 - TCP:200.168.10.10:80; echo "request $i: $?"
done
vipmac=$(ip -n client neigh show 200.168.10.10 | awk '{print $5}')
for n in lvs rs2 rs3; do
    [ "$vipmac" = "$(ip -n $n -br link show ${DEV[$n]} | awk '{print $3}')" ] && echo "ARP for the VIP answered by $n"
done
ip netns exec lvs ipvsadm -Ln
ip netns exec lvs ipvsadm -Lnc | sed 's/200.168.10.4:[0-9]*/200.168.10.4:CPORT/; s/^TCP [0-9:]* /TCP MM:SS /' | sort
ip -n lvs -s link show tunl0 | awk '/TX:/{getline; print "director tunl0 tx packets", $2}'
kill %1 %2 2>/dev/null
wait 2>/dev/null
exit 0
