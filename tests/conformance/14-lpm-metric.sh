. "$(dirname "$0")/lib.sh"
nsadd a
ip -n a link add v0 type veth peer name v1
ip -n a link add w0 type veth peer name w1
for d in v0 v1 w0 w1; do ip -n a link set $d up; done
ip -n a addr add 10.0.0.1/24 dev v0
ip -n a addr add 10.1.0.1/24 dev w0
ip -n a route add 192.168.0.0/16 via 10.0.0.9
ip -n a route add 192.168.1.0/24 via 10.1.0.9
ip -n a route add 192.168.1.128/25 via 10.0.0.9 metric 10
ip -n a route add 192.168.1.128/25 via 10.1.0.9 metric 5
ip -n a route
ip -n a route get 192.168.2.1
ip -n a route get 192.168.1.1
ip -n a route get 192.168.1.200
ip -n a route del 192.168.1.128/25 metric 5
ip -n a route get 192.168.1.200
ip -n a route replace 192.168.1.0/24 via 10.0.0.9
ip -n a route show 192.168.1.0/24
