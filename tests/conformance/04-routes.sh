. "$(dirname "$0")/lib.sh"
nsadd a
ip -n a link add v0 type veth peer name v1
ip -n a link set v0 up
ip -n a link set v1 up
ip -n a addr add 10.0.0.1/24 dev v0
settle
ip -n a route
ip -n a route show table local
ip -n a route add 192.168.0.0/16 via 10.0.0.254 metric 5
ip -n a route add default via 10.0.0.254
ip -n a route add 172.16.0.0/12 dev v1
ip -n a route
ip -n a route get 192.168.1.1
ip -n a route add 10.9.0.0/16 via 10.5.5.5; echo "status $?"
ip -n a route add 192.168.0.0/16 via 10.0.0.254 metric 5; echo "status $?"
ip -n a link set v1 down
ip -n a route
