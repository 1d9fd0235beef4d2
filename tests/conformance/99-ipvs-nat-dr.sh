# requires: ipvs
. "$(dirname "$0")/lib.sh"
# LVS NAT and DR end to end (IPVS-01, IPVS-FWD-02/03, IPVS-CONN-01/02, §9.5 wrr): a client
# net 10.0.0.0/24 and a server net 10.1.0.0/24 joined by the director (ip_forward=1).
# NAT (-m): requests are DNATed to RS:8080, the replies come back through the director's FORWARD
# path and are SNATed to VIP:80; the director sees both halves, so closed connections end in
# TIME_WAIT. wrr 1:2 sends 2 of 3 requests to the heavier server. DR (-g): a client l on the
# servers' LAN asks VIP2 10.1.0.100 (on the director's br0); the real servers have VIP2 on lo
# (arp_ignore=1, arp_announce=2) and answer the client directly on the LAN, so the director
# sees only the client's half (FIN_WAIT). (A DR reply routed back through the director would be
# dropped there: its source, the VIP, is one of the director's own addresses.)
nsadd c d r1 r2 l
for n in c d r1 r2 l; do ip -n $n link set lo up; done
ip link add c0 netns c type veth peer name d0 netns d
ip -n d link add br0 type bridge
ip -n d link set br0 up
for n in r1 r2 l; do
    ip -n d link add d-$n type veth peer name eth0 netns $n
    ip -n d link set d-$n master br0
    ip -n d link set d-$n up
done
ip -n c addr add 10.0.0.2/24 dev c0; ip -n c link set c0 up
ip -n d addr add 10.0.0.1/24 dev d0; ip -n d link set d0 up
ip -n d addr add 10.0.0.100/32 dev d0
ip -n d addr add 10.1.0.1/24 dev br0
ip -n r1 addr add 10.1.0.11/24 dev eth0; ip -n r1 link set eth0 up
ip -n r2 addr add 10.1.0.12/24 dev eth0; ip -n r2 link set eth0 up
ip -n l addr add 10.1.0.50/24 dev eth0; ip -n l link set eth0 up
ip -n c route add default via 10.0.0.1
for n in r1 r2; do ip -n $n route add default via 10.1.0.1; done
ip netns exec d sysctl -qw net.ipv4.ip_forward=1
for n in r1 r2; do
    ip netns exec $n socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:"echo nat-$n" &
done
ip netns exec d ipvsadm -A -t 10.0.0.100:80 -s wrr
ip netns exec d ipvsadm -a -t 10.0.0.100:80 -r 10.1.0.11:8080 -m -w 1
ip netns exec d ipvsadm -a -t 10.0.0.100:80 -r 10.1.0.12:8080 -m -w 2
settle; settle
for i in 1 2 3; do
    sleep 1 | ip netns exec c socat -T 3 - TCP:10.0.0.100:80; echo "nat request $i: $?"
done
sleep 0.5
ip netns exec d ipvsadm -Ln
ip netns exec d ipvsadm -Lnc | sed 's/10.0.0.2:[0-9]*/10.0.0.2:CPORT/; s/^TCP [0-9:]* /TCP MM:SS /' | sort
# DR: VIP2 on the director's br0, on each real server's lo with the ARP sysctls
ip -n d addr add 10.1.0.100/32 dev br0
for n in r1 r2; do
    ip -n $n addr add 10.1.0.100/32 dev lo
    ip netns exec $n sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
    ip netns exec $n socat TCP-LISTEN:81,bind=10.1.0.100,fork,reuseaddr SYSTEM:"echo dr-$n" &
done
ip netns exec d ipvsadm -A -t 10.1.0.100:81 -s rr
ip netns exec d ipvsadm -a -t 10.1.0.100:81 -r 10.1.0.11 -g
ip netns exec d ipvsadm -a -t 10.1.0.100:81 -r 10.1.0.12 -g
settle
for i in 1 2; do
    sleep 1 | ip netns exec l socat -T 3 - TCP:10.1.0.100:81; echo "dr request $i: $?"
done
sleep 0.5
ip netns exec d ipvsadm -Ln -t 10.1.0.100:81
ip netns exec d ipvsadm -Lnc | grep ':81 ' | sed 's/10.1.0.50:[0-9]*/10.1.0.50:CPORT/; s/^TCP [0-9:]* /TCP MM:SS /' | sort
kill $(jobs -p) 2>/dev/null
wait 2>/dev/null
exit 0
