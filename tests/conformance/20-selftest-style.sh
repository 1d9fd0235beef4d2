# shaped like the kernel's netfilter selftests: functions, traps, background jobs, wait
. "$(dirname "$0")/lib.sh"
ret=0
sfx=$(echo t)
ns1="ns1-$sfx"
ns2="ns2-$sfx"
cleanup() {
    ip netns del "$ns1"
    ip netns del "$ns2"
}
trap cleanup EXIT
nsadd "$ns1" "$ns2"
if ! ip link add veth0 netns "$ns1" type veth peer name veth0 netns "$ns2" > /dev/null 2>&1; then
    echo "SKIP: No virtual ethernet pair device support in kernel"
    exit 4
fi
ip -net "$ns1" link set lo up
ip -net "$ns1" link set veth0 up
ip -net "$ns1" addr add 10.0.1.1/24 dev veth0
ip -net "$ns2" link set lo up
ip -net "$ns2" link set veth0 up
ip -net "$ns2" addr add 10.0.1.2/24 dev veth0
check_ping() {
    local from=$1 to=$2
    if ! ip netns exec "$from" ping -q -c 1 "$to" > /dev/null; then
        echo "ERROR: $from cannot reach $to" 1>&2
        ret=1
    fi
}
check_ping "$ns1" 10.0.1.2 &
check_ping "$ns2" 10.0.1.1 &
wait
ip netns exec "$ns1" sysctl -qw net.ipv4.conf.veth0.arp_ignore=8
ip -net "$ns2" neigh flush dev veth0
if ip netns exec "$ns2" ping -q -c 1 -W 1 10.0.1.1 > /dev/null; then
    echo "FAIL: arp_ignore=8 still answered"
    ret=1
else
    echo "PASS: arp_ignore=8 silences ARP"
fi
exit $ret
