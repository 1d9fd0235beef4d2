# do_set_master(): what each master refuses (br_add_if: a bridge, itself included, is ELOOP with
# extack; a device without ndo_add_slave is EOPNOTSUPP; loopback is EINVAL); nomaster twice.
. "$(dirname "$0")/lib.sh"
ip link add br0 type bridge
ip link add br1 type bridge
ip link add name v0 type veth peer name v1
ip link set br0 master br0; echo rc=$?
ip link set br0 master br1; echo rc=$?
ip link set v0 master br0; ip link set br0 master v0; echo rc=$?
ip link set v0 master v1; echo rc=$?
ip link set lo master br0; echo rc=$?
ip link set v0 nomaster; ip link set v0 nomaster; echo rc=$?
ip link set lo nomaster; echo rc=$?
ip link set br0 nomaster; echo rc=$?
ip link set v1 master nosuch; echo rc=$?
