# requires: ipvlan
. "$(dirname "$0")/lib.sh"
# IPVLAN as ip shows it (kernel-spec IPV-02, IPV-06, IPV-08, IPV-09, CORE-06/07): the mode and
# flags belong to the master's port (every add or set changes them for all slaves; an add
# without options means l3 and leaves the flags), NOARP follows the mode, slaves share and
# follow the master's MAC and MTU, carrier follows the master, a slave moved away shows
# name@ifN with link-netns. (Its operstate once the master lost carrier is kernel-dependent:
# 6.1 says LOWERLAYERDOWN for any stacked device, 6.18 looks the master up in the slave's
# netns and says DOWN; only the flags are printed.)
nsadd h a
ip -n h link add eth0 address 02:00:00:00:00:05 type veth peer name peer address 02:00:00:00:00:09
ip -n h link add link eth0 name ipvl0 type ipvlan mode l2
ip -n h -d link show dev ipvl0
ip -n h link add link eth0 name ipvl1 type ipvlan mode l2 private
ip -n h -d link show dev ipvl0
ip -n h link add link eth0 name ipvl2 type ipvlan
ip -n h -d link show dev ipvl0
ip -n h link set ipvl1 type ipvlan mode l3s vepa
ip -n h -d link show dev ipvl0
ip -n h -d -j link show dev ipvl2
ip -n h link set ipvl2 type ipvlan mode l2
ip -n h link show dev ipvl0
ip -n h link set ipvl2 type ipvlan mode l3
ip -n h link show dev ipvl0
ip -n h link set ipvl1 type ipvlan
ip -n h -d link show dev ipvl1
ip -n h link set ipvl1 type ipvlan bridge
ip -n h -d link show dev ipvl1
ip -n h link set eth0 address 02:00:00:00:00:55
ip -n h link set eth0 mtu 1400
ip -n h link show dev ipvl1
ip -n h link set ipvl1 mtu 9000
ip -n h link set eth0 mtu 1450
ip -n h link show dev ipvl1
ip -n h link add link eth0 name ipvl3 mtu 9000 type ipvlan
ip -n h link show dev ipvl3
ip -n h link set ipvl0 up
ip -n h link show dev ipvl0
ip -n h link set eth0 up
ip -n h link set peer up
settle
ip -n h link show dev ipvl0
ip -n h link set ipvl0 netns a
ip -n a link set ipvl0 up
settle
ip -n a -d link show dev ipvl0
ip -n h link set peer down
settle
ip -n a -o link show dev ipvl0 | grep -o '^[^>]*>'
ip -n h link del ipvl3
ip -n h link show
