. "$(dirname "$0")/lib.sh"
# ip -d link of macvlan and macvtap (iproute2 6.1 iplink_macvlan.c macvlan_print_opt: mode,
# nopromisc / nodst, bcqueuelen / usedbcqueuelen, source-mode remotes), text and JSON, and the
# option parser's messages.
nsadd h
ip -n h link add eth0 address 02:00:00:00:00:10 type veth peer name peer address 02:00:00:00:00:20
ip -n h link add link eth0 name m0 address 02:00:00:00:00:01 type macvlan
ip -n h link add link eth0 name m1 address 02:00:00:00:00:02 type macvlan mode private bcqueuelen 50
ip -n h link add link eth0 name m2 address 02:00:00:00:00:03 type macvlan mode bridge bcqueuelen 2000
ip -n h link add link eth0 name s0 address 02:00:00:00:00:04 type macvlan mode source nodst macaddr add 02:00:00:00:00:aa
ip -n h link add link eth0 name t0 address 02:00:00:00:00:05 type macvtap mode vepa
ip -n h link set s0 type macvlan macaddr add 02:00:00:00:00:bb
ip -n h link set s0 type macvlan macaddr add 0a:00:00:00:00:01
for d in m0 m1 m2 s0 t0; do ip -n h -d link show dev $d; done
ip -n h -d -j -p link show dev s0
ip -n h -d -j link show dev t0
ip -n h link set s0 type macvlan macaddr del 02:00:00:00:00:bb; echo "del: $?"
ip -n h link set s0 type macvlan macaddr del 02:00:00:00:00:bb; echo "del again: $?"
ip -n h link set s0 type macvlan macaddr set 02:00:00:00:00:c1 02:00:00:00:00:c2 bcqueuelen 7
echo "set: $?"
ip -n h -d link show dev s0
ip -n h link set s0 type macvlan macaddr flush; echo "flush: $?"
ip -n h -d link show dev s0
ip -n h link set s0 type macvlan mode vepa flag null; echo "to vepa: $?"
ip -n h -d link show dev s0
ip -n h link set m1 type macvlan bcqueuelen 0; echo "bcqueuelen 0: $?"
ip -n h link del m2
ip -n h -d -j link show dev m1
ip -n h link add link eth0 name m9 type macvlan mode foo; echo "status $?"
ip -n h link add link eth0 name m9 type macvlan flag foo; echo "status $?"
ip -n h link add link eth0 name m9 type macvlan nopromisc; echo "status $?"
ip -n h link add link eth0 name m9 type macvtap bclim 3; echo "status $?"
ip -n h link add link eth0 name m9 type macvlan bcqueuelen x; echo "status $?"
ip -n h link add link eth0 name m9 type macvlan macaddr foo; echo "status $?"
ip -n h link add link eth0 name m9 type macvlan macaddr add zz; echo "status $?"
ip -n h link add link eth0 name m9 type macvlan macaddr add 1:2:3; echo "status $?"
ip -n h link add link eth0 name m9 type macvlan mode; echo "status $?"
ip -n h link add link eth0 name m9 type macvlan help; echo "status $?"
ip link help macvtap; echo "status $?"
