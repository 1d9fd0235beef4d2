# requires: tun tap
. "$(dirname "$0")/lib.sh"
# ip -d link of kind tun (tun_fill_info + iproute2 6.1 tun_print_opt): type, pi, vnet_hdr,
# multi_queue numqueues/numdisabled, persist, user/group; text and JSON; the shapes of tun
# (link/none, POINTOPOINT, qlen 500, maxmtu 65535) and tap (ether, qlen 1000, maxmtu 65521).
nsadd t
ip -n t tuntap add dev t0 mode tun
ip -n t tuntap add dev t1 mode tap pi vnet_hdr multi_queue user 4242 group 4343
ip -n t tuntap add dev t2 mode tun one_queue user 4242
ip -n t tuntap add dev t3 mode tap
ip -n t link set t3 address 02:00:00:00:00:33
for d in t0 t1 t2 t3; do ip -n t -d link show dev $d; done
ip -n t -d -j link show dev t0
ip -n t -d -j -p link show dev t1
ip -n t -d -j link show dev t3
ip -n t link set t0 mtu 65535; echo "mtu 65535: $?"
ip -n t link set t0 mtu 65536; echo "mtu 65536: $?"
ip -n t link set t3 mtu 65521; echo "tap mtu 65521: $?"
ip -n t link set t3 mtu 65522; echo "tap mtu 65522: $?"
ip -n t link set t0 txqueuelen 42
ip -n t link set t0 address 02:00:00:00:00:01; echo "tun address: $?"
ip -n t -d link show dev t0
ip -n t link set t1 name renamed
ip -n t tuntap show
