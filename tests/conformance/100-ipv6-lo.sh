# IPv6 on loopback: nothing until lo is up, then ::1/128 and its local route only.
. "$(dirname "$0")/lib6.sh"
nsadd a
ip -n a addr
ip -n a -6 route show table all
ip -n a link set lo up
ip -n a addr
ip -n a -6 addr show dev lo
ip -n a -6 route show table all
ip -n a -6 route show
ip netns exec a ping -6 -c 2 -i 0.2 ::1
echo "status $?"
ip netns exec a ping -6 -c 1 ::2
echo "status $?"
neigh6 -n a
ip -n a link set lo down
ip -n a addr show lo
ip -n a -6 route show table all
