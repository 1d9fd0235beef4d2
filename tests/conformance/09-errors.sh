. "$(dirname "$0")/lib.sh"
nsadd a
ip -n a link add v0 type veth peer name v1
ip -n a link add v0 type veth peer name v2; echo "status $?"
ip -n a link show nosuch; echo "status $?"
ip -n a link set nosuch up; echo "status $?"
ip -n a addr add 10.0.0.1/33 dev v0; echo "status $?"
ip -n a addr add 10.0.0.1/24; echo "status $?"
ip -n a link set v0 mtu 70000; echo "status $?"
ip -n a link frob; echo "status $?"
ip frob; echo "status $?"
ip netns add a; echo "status $?"
ip netns exec a nosuchcmd; echo "status $?"
ip netns exec nonexist true; echo "status $?"
