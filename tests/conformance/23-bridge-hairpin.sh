. "$(dirname "$0")/lib.sh"
# A bridge never sends a frame back out of the port it came in on - unless that port has
# `hairpin on` (kernel-spec BR-04): then a broadcast from the host behind the port comes back
# to it. Seen by tcpdump -Q in on that host.
nsadd sw up
ip -n sw link add br0 type bridge
ip -n sw link set br0 up
ip -n sw link add veth-up type veth peer name eth0 netns up
ip -n sw link set veth-up master br0
ip -n sw link set veth-up up
ip -n up link set eth0 up
ip -n up addr add 10.0.0.1/24 dev eth0
settle
out=$(mktemp); err=$(mktemp)
for mode in off on off; do
    bridge -n sw link set dev veth-up hairpin $mode
    bridge -n sw -d link show dev veth-up | grep -o "hairpin [a-z]*"
    ip netns exec up tcpdump -i eth0 -Q in -n -c 1 arp > "$out" 2> "$err" & pid=$!
    sleep 1
    ip netns exec up ping -c 1 -W 1 10.0.0.9 > /dev/null; echo "ping $?"
    sleep 1.5
    kill $pid 2> /dev/null; wait $pid; echo "tcpdump $?"
    cat "$out" "$err"
    ip -n up neigh flush dev eth0
done
rm -f "$out" "$err"
