# requires: ipip
. "$(dirname "$0")/lib.sh"
# load ipip first (naming tunl0 does it), so that every netns made below gets tunl0 at ifindex 2
ip link show tunl0 > /dev/null
# ifindexes depend on which tunnel modules the kernel has loaded (each adds fallback
# devices to every new netns): they are masked
noidx() { sed -E 's/^[0-9]+: /N: /'; }
# ip_tunnel_lookup() (TNL-03): a tunnel bound to (remote, local) beats one with the remote only,
# which beats the catch-all tunl0; counters tell which device decapsulated. Two senders a and c
# reach r over a veth pair each; r answers over the underlay, so a ping succeeds exactly when
# some tunnel of r decapsulated it.
nsadd a c r
ip link add eth0 netns a type veth peer name ea netns r
ip link add eth0 netns c type veth peer name ec netns r
ip -n a addr add 10.0.1.1/24 dev eth0
ip -n c addr add 10.0.2.1/24 dev eth0
ip -n r addr add 10.0.1.2/24 dev ea
ip -n r addr add 10.0.2.2/24 dev ec
for n in a c; do ip -n $n link set eth0 up; done
ip -n r link set ea up; ip -n r link set ec up
ip -n a tunnel add ta mode ipip remote 10.0.1.2 local 10.0.1.1
ip -n c tunnel add tc mode ipip remote 10.0.2.2
ip -n a link set ta up; ip -n c link set tc up
ip -n a addr add 192.168.0.1/32 dev ta
ip -n c addr add 192.168.0.3/32 dev tc
ip -n a route add 192.168.0.0/24 dev ta
ip -n c route add 192.168.0.0/24 dev tc
ip -n r addr add 192.168.0.2/32 dev lo
ip -n r link set lo up
ip -n r tunnel add rboth mode ipip remote 10.0.1.1 local 10.0.1.2
ip -n r tunnel add rrem mode ipip remote 10.0.1.1
ip -n r tunnel add rany mode ipip local 10.0.2.2
# replies go back unencapsulated over the underlay
ip -n r route add 192.168.0.1/32 dev ea
ip -n r route add 192.168.0.3/32 dev ec
settle
ip -n r tunnel show | grep -E '^[^:]+: (any|ip)/ip ' | sort
ip -n r link show type ipip | noidx
try() { ip netns exec $1 ping -c 1 -W 1 $2 > /dev/null; echo "  $1 -> $2: $?"; }
counts() { for d in tunl0 rboth rrem rany; do
    echo "  $d rx $(ip -n r -s link show $d | awk 'NR == 4 { print $2 }')"; done; }
echo "all down"; try a 192.168.0.2; counts
for d in rboth rrem rany; do ip -n r link set $d up; done
echo "all up"; try a 192.168.0.2; try c 192.168.0.2; counts
ip -n r link set rboth down
echo "rboth down"; try a 192.168.0.2; counts
ip -n r link set rrem down
echo "rrem down"; try a 192.168.0.2; counts
ip -n r link set tunl0 up
echo "tunl0 up"; try a 192.168.0.2; counts
ip -n r link set rany down
echo "rany down"; try c 192.168.0.2; counts
ip -n r tunnel del rboth
ip -n r tunnel show | grep -E '^[^:]+: (any|ip)/ip ' | sort
