# requires: tun tap
. "$(dirname "$0")/lib.sh"
# ip tuntap and ip link errors for tun/tap, with their exit statuses: TUNSETIFF refusals
# (EBUSY for an existing name with IFF_TUN_EXCL, EINVAL for a type mismatch or a bad name),
# parse errors, usage, and the kernel refusing rtnetlink creation (tun_validate).
nsadd t
ip -n t tuntap add dev t0 mode tun
ip -n t tuntap add dev t1 mode tap multi_queue
ip -n t tuntap add dev t0 mode tun; echo "status $?"
ip -n t tuntap add dev t0 mode tap; echo "status $?"
ip -n t tuntap add dev lo mode tun; echo "status $?"
ip -n t tuntap del dev lo mode tun; echo "status $?"
ip -n t tuntap del dev t0 mode tap; echo "status $?"
ip -n t tuntap del dev t1 mode tap; echo "status $?"
ip -n t tuntap del dev t0; echo "status $?"
ip -n t tuntap add dev a:b mode tun; echo "status $?"
ip -n t tuntap add dev a/b mode tun; echo "status $?"
ip -n t tuntap add dev 0123456789abcdef mode tun; echo "status $?"
ip -n t tuntap add mode tun mode tap; echo "status $?"
ip -n t tuntap add mode foo; echo "status $?"
ip -n t tuntap add mode; echo "status $?"
ip -n t tuntap add dev x0 mode tun extra; echo "status $?"
ip -n t tuntap add user nosuchuser-vnl mode tun; echo "status $?"
ip -n t tuntap add group nosuchgroup-vnl mode tun; echo "status $?"
ip -n t tuntap add mode tun user 12x; echo "status $?"
ip -n t tuntap del dev t0 mode tun user 5; echo "status $?"
ip -n t tuntap frob; echo "status $?"
ip -n t tuntap help; echo "status $?"
ip -n t tap add help; echo "status $?"
ip -n t link add t9 type tun; echo "status $?"
ip -n t link add t9 type tun pi on; echo "status $?"
ip -n t link add t9 type tap; echo "status $?"
ip -n t link set t0 type tun; echo "status $?"
ip -n t link set t0 mtu 67; echo "status $?"
ip -n t tuntap show
