# requires: ipvs ipip
. "$(dirname "$0")/lib.sh"
# The trace of examples/lvs-tun.sh (issue 6 item 5): the seed's VS/TUN cluster as in 98, curl
# against a socat HTTP responder on each real server, and tcpdump -e on the client's and the
# director's eth0 (IPVS-FWD-04, §9.5 rr, §10 arp_ignore/arp_announce). Requests go client ->
# lvs and leave the director IPIP-encapsulated (outer 200.168.10.1 > RS); replies go from
# rs2/rs3 straight to the client (source MAC the real server's); no frame from port 80 crosses
# the director. MAC addresses are printed as the name of the host that owns them.
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
ip netns exec lvs ipvsadm -A -t 200.168.10.10:80 -s rr
ip netns exec lvs ipvsadm -a -t 200.168.10.10:80 -r 200.168.10.2 -i
ip netns exec lvs ipvsadm -a -t 200.168.10.10:80 -r 200.168.10.3 -i
for n in rs2 rs3; do
    ip netns exec $n sysctl -qw net.ipv4.conf.tunl0.arp_ignore=1 net.ipv4.conf.tunl0.arp_announce=2 \
        net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
    ip netns exec $n socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:"echo HTTP/1.0 200 OK; echo; echo $n" &
done
cap=$(mktemp -d)
ip netns exec client tcpdump -i eth0 -e -n -q -t -l 'tcp port 80' > $cap/client 2> /dev/null &
ip netns exec lvs tcpdump -i eth0 -e -n -q -t -l 'tcp port 80 or ip proto 4' > $cap/lvs 2> /dev/null &
settle; settle
for i in 1 2 3 4; do
    ip netns exec client curl -s -m 5 http://200.168.10.10/; echo "request $i: curl $?"
done
sleep 1
kill %3 %4
wait %3 %4
names=""
for n in client lvs rs2 rs3; do
    names="$names s/$(ip -n $n -br link show ${DEV[$n]} | awk '{print $3}')/$n/g;"
done
frames() {
    sed -e "$names" -e 's/, IPv4, length [0-9]*//; s/: tcp [0-9]*$//' \
        -e 's/200\.168\.10\.4\.[0-9]*/200.168.10.4.CPORT/' -e '/^$/d' "$1" | sort -u
}
echo "on the client's eth0:"
frames $cap/client
echo "on the director's eth0:"
frames $cap/lvs
echo "frames from port 80 on the director's eth0: $(grep -c '\.80 >' $cap/lvs)"
rm -rf "$cap"
kill %1 %2
wait 2> /dev/null
exit 0
