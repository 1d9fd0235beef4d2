# requires: ipvs
. "$(dirname "$0")/lib.sh"
# Editing resets what is not given (IPVSADM-02/03, [VERIFY] §12 item 9): -E without -s goes back
# to wlc and -p without a value is 360 s; -e without -w/-g goes back to weight 1, Route. Real
# servers sort by address with ipvsadm's signed difference (IPVSADM-06), services too; -S/-R
# round-trip; --thresholds, --persistent-conn and scheduler flags print as ipvsadm 1.31 does.
nsadd d
ip -n d link set lo up
ip -n d link add eth0 type veth peer name peer0
ip -n d addr add 10.0.0.1/24 dev eth0
ip -n d link set eth0 up
ip netns exec d bash -c '
ipvsadm -A -t 10.0.0.100:80 -s rr
ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.2 -m -w 3 -x 10 -y 5
ipvsadm -a -t 10.0.0.100:80 -r 200.0.0.1 -i -w 2
ipvsadm -a -t 10.0.0.100:80 -r 1.0.0.1 -g
ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.2:8080 -m
ipvsadm -A -t 192.168.0.1:80 -s sh -b sh-port,sh-fallback
ipvsadm -A -u 10.0.0.100:53 -s wrr -p 100 -M 255.255.255.0
ipvsadm -A -f 7 -s mh -b mh-port -p
ipvsadm -a -f 7 -r 10.0.0.5 -m -w 4
ipvsadm -Ln
ipvsadm -Ln --thresholds
ipvsadm -Ln --persistent-conn
ipvsadm -Ln --tun-info
ipvsadm -S -n
ipvsadm -E -t 10.0.0.100:80 -p
ipvsadm -e -t 10.0.0.100:80 -r 200.0.0.1
ipvsadm -e -t 10.0.0.100:80 -r 10.0.0.2 -m -w 0
ipvsadm -Ln -t 10.0.0.100:80
ipvsadm -S -n > /tmp/vnl-ipvs-rules.$$
ipvsadm -C
ipvsadm -Ln
ipvsadm -R < /tmp/vnl-ipvs-rules.$$
echo "restore rc=$?"
rm -f /tmp/vnl-ipvs-rules.$$
ipvsadm -Ln
ipvsadm -d -t 10.0.0.100:80 -r 1.0.0.1
ipvsadm -D -u 10.0.0.100:53
ipvsadm -Ln
'
