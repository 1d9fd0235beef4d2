# requires: timing
# Duplicate addresses: the address whose DAD sees the other end's answer is dadfailed.
# Deterministic: a's addresses are preferred already (accept_dad=0 / DAD done) when b's DAD runs.
. "$(dirname "$0")/lib6.sh"
nsadd a b
ip link add eth0 netns a address 02:00:00:00:0e:01 type veth peer name eth0 netns b address 02:00:00:00:0e:01
ip netns exec a sysctl -qw net.ipv6.conf.eth0.accept_dad=0
ip -n a link set eth0 up
ip -n b link set eth0 up
dad_settle
ip -n a addr show eth0
ip -n b addr show eth0
ip -n b -6 route show table all
ip netns exec a sysctl -qw net.ipv6.conf.eth0.accept_dad=1
ip -n a -6 addr add 2001:db8::7/64 dev eth0
dad_settle
ip -n b -6 addr add 2001:db8::7/64 dev eth0
dad_settle
ip -n a addr show eth0
ip -n b addr show eth0
ip -n b -6 route show table all
ip -n b -6 addr show dadfailed
