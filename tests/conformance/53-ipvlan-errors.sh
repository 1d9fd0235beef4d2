# requires: ipvlan
. "$(dirname "$0")/lib.sh"
# IPVLAN creation rules and errors (kernel-spec IPV-01, IPV-03, IPV-04, IPV-06, IPV-07): the
# messages and exit codes of ip for bad options, a loopback or missing master, a busy rx_handler
# slot both ways (bridge, macvlan), a slave as a master, the shared MAC that cannot be set on a
# slave, and the address that another slave of the same master already has.
nsadd h
r() { "$@"; echo "rc=$?"; }
ip -n h link add eth0 type veth peer name peer
r ip -n h link add link lo name ipvl0 type ipvlan
r ip -n h link add name ipvl0 type ipvlan
r ip -n h link add link eth0 name ipvl0 type ipvlan mode l4
r ip -n h link add link eth0 name ipvl0 type ipvlan mode
r ip -n h link add link eth0 name ipvl0 type ipvlan private vepa
r ip -n h link add link eth0 name ipvl0 type ipvlan bogus
r ip -n h link add link eth0 name ipvl0 type ipvlan help
r ip -n h link add link eth0 name ipvl0 type ipvlan m l2 p
r ip -n h link add link eth0 name ipvl1 type ipvlan
r ip -n h link add link ipvl0 name ipvl2 type ipvlan
r ip -n h link add link eth0 name mv0 type macvlan
r ip -n h link add link peer name mv1 type macvlan
r ip -n h link add link peer name ipvl3 type ipvlan
r ip -n h link add br0 type bridge
r ip -n h link set eth0 master br0
r ip -n h link set ipvl0 master br0
r ip -n h link set ipvl0 address 02:00:00:00:00:99
r ip -n h addr add 10.0.0.1/24 dev ipvl0
r ip -n h addr add 10.0.0.1/24 dev ipvl1
r ip -n h addr add 10.0.0.1/16 dev ipvl0
r ip -n h addr add 10.0.0.1/24 dev ipvl2
r ip -n h addr add 10.0.0.1/24 dev eth0
r ip -n h addr add 10.0.0.3 peer 10.0.0.1 dev ipvl1
r ip -n h addr add 10.0.0.2/24 dev ipvl1
r ip -n h addr del 10.0.0.1/24 dev ipvl0
r ip -n h addr add 10.0.0.1/24 dev ipvl1
r ip -n h link set ipvl0 mtu 9000
r ip -n h link set ipvl0 mtu 65536
r ip -n h link set ipvl0 mtu 67
ip -n h -br link show
r ip -n h link del eth0
ip -n h -br link show
