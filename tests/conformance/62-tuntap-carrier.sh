# requires: tun tap tun-nocarrier
. "$(dirname "$0")/lib.sh"
# A persistent tun without an attached file (TUN-07): no carrier, so once up it is
# <NO-CARRIER,...,UP> state DOWN, its connected route is linkdown and nothing can be sent
# through it; a tap the same; ip link set down / up again; deleting it.
nsadd t
ip -n t tuntap add dev t0 mode tun
ip -n t tuntap add dev t1 mode tap
ip -n t link set t1 address 02:00:00:00:00:11
ip -n t link show
ip -n t link set t0 up
ip -n t link set t1 up
ip -n t link set lo up
ip -n t link show dev t0
ip -n t link show dev t1
ip -n t -j link show dev t0
ip -n t addr add 10.9.0.1 peer 10.9.0.2 dev t0
ip -n t addr add 10.8.0.1/24 dev t1
ip -n t addr show dev t0
ip -n t route show
ip -n t route get 10.9.0.2
settle
ip -n t link show
ip -n t -br link show
ip -n t -br addr show
ip -n t link set t0 down
ip -n t link show dev t0
ip -n t route show
ip -n t link set t0 up
ip -n t link show dev t0
ip -n t tuntap del dev t0 mode tun
ip -n t route show
ip -n t link show
