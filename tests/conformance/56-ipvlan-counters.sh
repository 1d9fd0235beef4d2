# requires: ipvlan
. "$(dirname "$0")/lib.sh"
# IPVLAN counters and carrier (ipvlan_count_rx(), ipvlan_start_xmit(), ipvlan_device_event()):
# in l3 (no ARP, so no timers) a slave-to-slave packet is counted at the receiver as
# skb->len + ETH_HLEN with the Ethernet header already in skb->len (98-byte frames count 112),
# and a private port's drop never reaches the receiver. (The sender's TX dropped is not shown:
# the kernel returns ENOBUFS to sendmsg and iputils ping then resends every interval/2 until
# -W runs out, 11 drops here; the emulator does not report the drop to the socket.) Carrier
# follows the master's carrier (NETDEV_CHANGE) but not the master going administratively down
# (ipvlan has no NETDEV_DOWN case), so the slave keeps LOWER_UP then.
nsadd h a b x
ip -n h link add eth0 type veth peer name eth0 netns x
ip -n h addr add 10.0.0.5/24 dev eth0
ip -n h link set eth0 up
ip -n x addr add 10.0.0.9/24 dev eth0
ip -n x link set eth0 up
for mode in "l3 bridge" "l3 private" "l2 bridge"; do
    echo "mode $mode"
    ip -n h link add link eth0 name ipvl0 type ipvlan mode $mode
    ip -n h link add link eth0 name ipvl1 type ipvlan mode $mode
    ip -n h link set ipvl0 netns a
    ip -n h link set ipvl1 netns b
    ip -n a addr add 10.0.0.1/24 dev ipvl0
    ip -n b addr add 10.0.0.2/24 dev ipvl1
    ip -n a link set ipvl0 up
    ip -n b link set ipvl1 up
    settle
    if [ "${mode% *}" = l3 ]; then
        ip netns exec a ping -c 2 -i 0.2 -W 1 10.0.0.2 > /dev/null 2>&1; echo "  a -> b: $?"
        if [ "${mode#* }" = bridge ]; then
            ip -n a -s link show dev ipvl0 | tail -4
            ip -n b -s link show dev ipvl1 | tail -4
        else
            ip -n b -s link show dev ipvl1 | tail -4 | head -2
        fi
    else
        ip -n h link set eth0 down
        settle
        ip -n a -o link show dev ipvl0 | grep -o '^[^>]*>'
        ip -n h link set eth0 up
        ip -n x link set eth0 down
        settle
        ip -n a -o link show dev ipvl0 | grep -o '^[^>]*>'
        ip -n x link set eth0 up
        settle
        ip -n a -o link show dev ipvl0 | grep -o '^[^>]*>'
    fi
    ip -n a link del ipvl0
    ip -n b link del ipvl1
done
