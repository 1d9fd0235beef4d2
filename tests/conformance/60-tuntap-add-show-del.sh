# requires: tun tap
. "$(dirname "$0")/lib.sh"
# ip tuntap add / show / list / del and the ip tap alias (iproute2 6.1 ip/iptuntap.c): the
# persistent devices TUNSETIFF + TUNSETPERSIST make, as ip link and ip tuntap list them.
nsadd t
ip -n t tuntap add dev tun0 mode tun
ip -n t tuntap add dev tap0 mode tap
ip -n t tuntap add mode tun
ip -n t tuntap add mode tap name vm%d one_queue
ip -n t tuntap add dev mq0 mode tap multi_queue pi vnet_hdr user 4242 group 4343
ip -n t tuntap add dev own0 mode tun user 7 group 0
ip -n t tuntap show
ip -n t tap list
ip -n t -j tuntap show
ip -n t -j -p tuntap lst
ip -n t link show
ip -n t -br link show
ip -n t link show type tun
ip -n t tuntap del dev tun0 mode tun; echo "del tun0: $?"
ip -n t tuntap del dev mq0 mode tap; echo "del mq0 without multi_queue: $?"
ip -n t tuntap del dev mq0 mode tap multi_queue; echo "del mq0: $?"
ip -n t tuntap del dev nosuch mode tun; echo "del nosuch: $?"
ip -n t link del tap0; echo "link del tap0: $?"
ip -n t tap
ip -n t tuntap del dev tun1 mode tun
ip -n t tuntap del dev vm0 mode tap
ip -n t tuntap del dev own0 mode tun
ip -n t tuntap show; echo "empty: $?"
ip -n t -j tuntap show
ip -n t link show
