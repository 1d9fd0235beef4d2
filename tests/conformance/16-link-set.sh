. "$(dirname "$0")/lib.sh"
nsadd a
ip -n a link add v0 type veth peer name v1
ip -n a link set v0 mtu 9000
ip -n a link set v0 address 02:11:22:33:44:55
ip -n a link set v0 name e0
ip -n a link set e0 txqueuelen 500
ip -n a link set e0 alias uplink
ip -n a link show e0
ip -n a link set e0 mtu 67; echo "status $?"
ip -n a link set e0 address 01:00:00:00:00:01; echo "status $?"
ip -n a link set v1 name e0; echo "status $?"
ip -n a link del e0
ip -n a link
