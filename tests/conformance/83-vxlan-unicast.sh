. "$(dirname "$0")/lib.sh"
# VXLAN point to point over a veth underlay (kernel-spec VXL-01..04): the all-zeros entry made by
# `remote`, the MTU from `dev` (1400 - 50), learning of the peer's MAC (VXL-02), the counters,
# the encapsulation on the underlay (tcpdump; the UDP source port is a flow hash: masked),
# and the kernel's default port 8472 when `dstport` is not given (with iproute2's warning).
# ifindexes depend on the tunnel modules a kernel has loaded: masked
noidx() { sed -E 's/^[0-9]+: /N: /'; }
nsadd a b
ip link add eth0 netns a mtu 1400 type veth peer name eth0 netns b mtu 1400
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
ip -n a link set eth0 up; ip -n b link set eth0 up
ip -n a link add vx0 address 02:00:00:00:0a:01 type vxlan id 42 dstport 4789 remote 10.0.0.2 local 10.0.0.1 dev eth0
ip -n b link add vx0 address 02:00:00:00:0b:01 type vxlan id 42 dstport 4789 remote 10.0.0.1 local 10.0.0.2 dev eth0
ip -n a addr add 192.168.100.1/24 dev vx0
ip -n b addr add 192.168.100.2/24 dev vx0
ip -n a link set vx0 up; ip -n b link set vx0 up
# static neighbours: no ARP inside the overlay, whose timing (delayed probes) is not the point
ip -n a neigh add 192.168.100.2 lladdr 02:00:00:00:0b:01 dev vx0
ip -n b neigh add 192.168.100.1 lladdr 02:00:00:00:0a:01 dev vx0
settle
ip -n a -d link show vx0 | noidx
bridge -n a fdb show dev vx0
out=$(mktemp); err=$(mktemp)
ip netns exec a tcpdump -i eth0 -n -t -c 4 udp > "$out" 2> "$err" &
for i in $(seq 50); do grep -q listening "$err" && break; sleep 0.2; done
ip netns exec a ping -c 2 -i 0.3 192.168.100.2 | grep "bytes from"; echo "ping $?"
wait; echo "tcpdump $?"
sed -E 's/(10\.0\.0\.[12])\.[0-9]+ >/\1.SPORT >/' "$out"; cat "$err"
bridge -n a fdb show dev vx0 | sort
bridge -n b fdb show dev vx0 | sort
ip -n a -s link show vx0 | noidx
ip -n b -s link show vx0 | noidx
ip -n a link set vx0 mtu 1351; echo "status $?"
ip -n a link set vx0 mtu 1300; echo "status $?"
ip -n a link add vx1 type vxlan id 42 dstport 4789; echo "status $?"
ip -n a link add vx1 type vxlan id 42; echo "status $?"
ip -n a -d link show vx1 | noidx
ip -n a link set vx0 type vxlan nolearning ttl 7
ip -n a -d link show vx0 | noidx
ip -n a link del vx0
ip -n a link show type vxlan | noidx
