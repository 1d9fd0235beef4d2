. "$(dirname "$0")/lib.sh"
# MACVLAN addresses (kernel-spec MV-05..08): a macvlan may be created with any unicast MAC,
# but opening it with the lower's MAC, or with the MAC of another macvlan of the port that is
# UP, is EADDRINUSE; changing the MAC to a busy one fails even while down; passthru inherits
# the lower's MAC and is alone on its lower.
nsadd h
ip -n h link add eth0 address 02:00:00:00:00:10 type veth peer name peer
ip -n h link set peer up
ip -n h link set eth0 up
ip -n h link add link eth0 name m0 address 02:00:00:00:00:10 type macvlan mode bridge
echo "add with the lower's MAC: $?"
ip -n h link set m0 up; echo "up: $?"
ip -n h link add link eth0 name m1 address 02:00:00:00:00:11 type macvlan
ip -n h link add link eth0 name m2 address 02:00:00:00:00:11 type macvlan mode private
echo "add with m1's MAC: $?"
ip -n h link set m1 up; echo "m1 up: $?"
ip -n h link set m2 up; echo "m2 up: $?"
ip -n h link set m1 down
ip -n h link set m2 up; echo "m2 up, m1 down: $?"
ip -n h link set m1 up; echo "m1 up, m2 up: $?"
ip -n h link set m0 address 02:00:00:00:00:11; echo "m0 (down) to m2's MAC: $?"
ip -n h link set m0 address 02:00:00:00:00:12; echo "m0 to a free MAC: $?"
ip -n h link set m0 up; echo "m0 up: $?"
ip -n h link set m0 address 01:00:5e:00:00:01; echo "multicast MAC: $?"
ip -n h link add link eth0 name m3 address 01:00:5e:00:00:01 type macvlan; echo "add multicast: $?"
settle
ip -n h -br link show
ip -n h link add link eth0 name pt type macvlan mode passthru; echo "passthru beside others: $?"
ip -n h link set m0 type macvlan mode passthru; echo "change into passthru: $?"
ip -n h link set m0 type macvlan macaddr add 02:00:00:00:00:99; echo "macaddr, not source: $?"
ip -n h link add name m4 type macvlan; echo "no lower: $?"
ip -n h link add link lo name m4 type macvlan; echo "loopback lower: $?"
ip -n h link add link eth0 name m4 mtu 1600 type macvlan; echo "mtu above the lower's: $?"
ip -n h link set m0 type veth; echo "type without args: $?"
ip -n h link set m0 type veth peer name x; echo "wrong type: $?"
ip -n h link set m0 type macvtap mode vepa; echo "macvtap on a macvlan: $?"
for d in m0 m1 m2; do ip -n h link del $d; done
ip -n h link add link eth0 name pt type macvlan mode passthru; echo "passthru alone: $?"
ip -n h link show dev pt | grep -o "link/ether [0-9a-f:]*"
ip -n h link add link eth0 name m5 type macvlan; echo "macvlan beside passthru: $?"
ip -n h link set pt up; echo "passthru up: $?"
ip -n h -d link show dev eth0 | grep -o "promiscuity [0-9]*"
ip -n h link set pt type macvlan mode bridge; echo "change out of passthru: $?"
ip -n h link del pt
settle
ip -n h -br link show
