# requires: ipvs
. "$(dirname "$0")/lib.sh"
# The seed's LVS VS/TUN director lines, verbatim (note the glued -t200...), then the listing
# (IPVSADM-01/02/03/05, IPVS-FWD-01): tunnel servers print "Tunnel", weight 1, no connections;
# the services and servers sort by address (IPVSADM-06). The director has its VIP on a device,
# as in the seed (a real server address must be unicast by inet_addr_type, IPVS-FWD-05).
nsadd director
ip -n director link set lo up
ip -n director link add eth0 type veth peer name peer0
ip -n director addr add 200.168.10.1/24 dev eth0
ip -n director addr add 200.168.10.10/32 dev lo
ip -n director link set eth0 up
ip netns exec director bash -c '
ipvsadm -C
ipvsadm -A -t 200.168.10.10:80 -s rr
ipvsadm -a -t200.168.10.10:80 -r 200.168.10.2 -i
ipvsadm -a -t200.168.10.10:80 -r 200.168.10.3 -i
ipvsadm -Ln
echo "rc=$?"
ipvsadm -Ln --stats
ipvsadm -L -n --timeout
ipvsadm -Lnc
ipvsadm -S -n
'
