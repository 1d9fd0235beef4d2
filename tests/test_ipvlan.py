"""IPVLAN / IPVTAP (vnetlab.devices.ipvlan) against kernel-spec §4 (IPV-*), the ipvtap part of
§3 (MVT-*) and §13. Expected values come from the spec text (and the reference kernel's
behaviour recorded there and in tests/conformance/5*.sh), never from the emulator's output.

Topology (as in tests/conformance/50-ipvlan-modes.sh): the master ``eth0`` (netns ``h``,
10.0.0.5) is a veth whose peer is ``eth0`` of the outside host ``x`` (10.0.0.9); slaves
``ipvl0`` / ``ipvl1`` of the master live in netns ``a`` (10.0.0.1) and ``b`` (10.0.0.2).
"""

from __future__ import annotations

import errno

import pytest

from vnetlab.api import Lab
from vnetlab.devices.ipvlan import (IPVLAN_F_PRIVATE, IPVLAN_F_VEPA, IPVLAN_MODE_L2,
                                    IPVLAN_MODE_L3, IPVLAN_MODE_L3S, IPVLAN_QBACKLOG_LIMIT,
                                    Ipvlan, Ipvtap, ipvlan_port_of)
from vnetlab.devices.macvlan import IFF_NO_PI, IFF_TAP, IFF_VNET_HDR
from vnetlab.stack.errors import KernelError
from vnetlab.stack.kernel import LINK_KINDS, LinkRequest
from vnetlab.stack.netdev import (IFF_NOARP, NETDEV_PRE_TYPE_CHANGE, dev_queue_xmit,
                                  rx_handler_register)
from vnetlab.stack.skb import PACKET_BROADCAST, PACKET_HOST, Skb
from vnetlab.wire.ethernet import mac_parse

SEC = 1_000_000_000
ETH_P_TEST = 0x88B5
MASTER_MAC = "02:00:00:00:00:05"
X_MAC = "02:00:00:00:00:09"
IP = {"h": "10.0.0.5", "x": "10.0.0.9", "a": "10.0.0.1", "b": "10.0.0.2"}


def ip4(s: str) -> bytes:
    return bytes(int(p) for p in s.split("."))


def errno_of(fn, *a, **kw) -> int:
    with pytest.raises(KernelError) as ei:
        fn(*a, **kw)
    return ei.value.errno


class Net:
    """Master eth0 in h (10.0.0.5), outside host x (10.0.0.9), slaves in a and b."""

    def __init__(self, mode: str = "l2", flag: str = "bridge", slaves=("a", "b"),
                 prefix: str = "24", kind: str = "ipvlan", addrs: dict | None = None):
        self.lab = lab = Lab()
        self.k = lab.kernel
        self.seen: list = []                   # (netns, dev, ethertype, pkt_type, frame)
        for n in ("h", "x") + tuple(slaves):
            lab.netns(n)
        lab.add_veth("eth0", "eth0", ns="h", peer_ns="x", address=MASTER_MAC,
                     peer_address=X_MAC)
        for n in ("h", "x"):
            lab.add_addr("eth0", IP[n] + "/24", ns=n)
            lab.set_link("eth0", ns=n, up=True)
        for i, n in enumerate(slaves):
            lab.add_link(f"ipvl{i}", kind, "h", link="eth0", mode=mode, flags=flag)
            lab.set_link(f"ipvl{i}", ns="h", netns=n)
            lab.add_addr(f"ipvl{i}", (addrs or {}).get(n, f"{IP[n]}/{prefix}"), ns=n)
            lab.set_link(f"ipvl{i}", ns=n, up=True)
        lab.run_for(1.5)

    def dev(self, name, ns):
        return self.lab.dev(name, ns)

    @property
    def master(self):
        return self.dev("eth0", "h")

    @property
    def port(self):
        return ipvlan_port_of(self.master)

    def slave(self, n: str):
        return self.dev("ipvl0" if n == "a" else "ipvl1", n)

    def reach(self, src: str, dst: str) -> bool:
        return self.lab.ping(dst, ns=src, count=1, wait=1).received == 1

    def watch(self, ns: str, ethertype: int) -> None:
        """Record frames of ``ethertype`` that reach the protocol layer of netns ``ns`` (after
        any rx_handler), wrapping whatever handler was there."""
        n = self.lab.ns(ns)
        prev = n.ptype.get(ethertype)

        def handler(skb, prev=prev, ns=ns):
            self.seen.append((ns, skb.dev.name, ethertype, skb.pkt_type, skb.data))
            if prev is not None:
                prev(skb)
        n.ptype[ethertype] = handler

    def tap(self, dev) -> list:
        """Packet tap (tcpdump) on a device: (outgoing, frame)."""
        got: list = []
        dev.ptype_all.append(lambda skb, d, out: got.append((out, skb.data)))
        return got


def test_net_builds():
    n = Net()
    assert n.port is not None and len(n.port.ipvlans) == 2


# =============================================================================================
# 4.1 creation and restrictions
# =============================================================================================

def test_IPV_01_mode_and_flag_values():
    assert (IPVLAN_MODE_L2, IPVLAN_MODE_L3, IPVLAN_MODE_L3S) == (0, 1, 2)
    assert (IPVLAN_F_PRIVATE, IPVLAN_F_VEPA) == (1, 2)
    ops = LINK_KINDS["ipvlan"]
    for data in ({"mode": 3}, {"flags": 3}, {"flags": 4}, {"mode": "l4"}):
        assert errno_of(ops.validate, LinkRequest(kind="ipvlan", data=data)) == errno.EINVAL
    for data in ({"mode": 0, "flags": 0}, {"mode": 2, "flags": 1}, {"flags": 2}):
        ops.validate(LinkRequest(kind="ipvlan", data=data))


def test_IPV_02_mode_and_flags_belong_to_the_port():
    lab = Lab()
    lab.add_veth("eth0", "peer")
    a = lab.add_link("a", "ipvlan", link="eth0", mode="l2", flags="private")
    assert a.fill_info() == {"mode": IPVLAN_MODE_L2, "flags": IPVLAN_F_PRIVATE}
    # no options at all: mode L3, flags untouched (iproute2 sends no attribute)
    lab.add_link("b", "ipvlan", link="eth0")
    assert a.fill_info() == {"mode": IPVLAN_MODE_L3, "flags": IPVLAN_F_PRIVATE}
    # "mode l2" from iproute2 also sends flags 0: back to bridge, for every slave
    lab.add_link("c", "ipvlan", link="eth0", mode="l2", flags=0)
    assert a.fill_info() == {"mode": IPVLAN_MODE_L2, "flags": 0}
    # changelink on any slave changes the port
    LINK_KINDS["ipvlan"].changelink(a, LinkRequest(kind="ipvlan", data={"mode": 2, "flags": 2}))
    assert lab.dev("c").fill_info() == {"mode": IPVLAN_MODE_L3S, "flags": IPVLAN_F_VEPA}


def test_IPV_03_master_requirements():
    lab = Lab()
    lab.add_veth("eth0", "peer")
    lab.add_veth("eth1", "peer1")
    lab.add_bridge("br0")
    assert errno_of(lab.add_link, "s", "ipvlan", link="lo") == errno.EINVAL
    assert errno_of(lab.add_link, "s", "ipvlan") == errno.EINVAL          # no IFLA_LINK
    lab.set_link("eth1", master="br0")
    assert errno_of(lab.add_link, "s", "ipvlan", link="eth1") == errno.EBUSY
    lab.add_link("mv", "macvlan", link="peer")
    assert errno_of(lab.add_link, "s", "ipvlan", link="peer") == errno.EBUSY
    s0 = lab.add_link("s0", "ipvlan", link="eth0")
    s1 = lab.add_link("s1", "ipvlan", link="s0")              # attaches to the real master
    assert s1.phy_dev is lab.dev("eth0") and s1.get_iflink() == lab.dev("eth0").ifindex
    assert s0.port is s1.port
    assert errno_of(lab.kernel.notify,
                    NETDEV_PRE_TYPE_CHANGE, lab.dev("eth0")) == errno.EPERM


def test_IPV_04_slaves_are_leaves():
    lab = Lab()
    lab.add_veth("eth0", "peer")
    lab.add_bridge("br0")
    s = lab.add_link("s", "ipvlan", link="eth0")
    assert s.no_rx_handler
    assert errno_of(lab.set_link, "s", master="br0") == errno.EINVAL
    assert errno_of(rx_handler_register, s, lambda skb: 3, None) == errno.EINVAL
    # an ipvlan "on" a slave is one more slave of the master, not a nested port
    t = lab.add_link("t", "ipvlan", link="s")
    assert t.phy_dev is lab.dev("eth0") and ipvlan_port_of(s) is None


def test_IPV_05_slave_may_stay_in_the_master_netns():
    n = Net(mode="l2", slaves=())
    lab = n.lab
    lab.add_link("ipvl0", "ipvlan", "h", link="eth0", mode="l2")
    lab.add_addr("ipvl0", "10.0.0.7/24", ns="h")
    lab.set_link("ipvl0", ns="h", up=True)
    lab.run_for(1.5)
    assert lab.ping("10.0.0.7", ns="x", count=1, wait=1).received == 1
    assert n.dev("ipvl0", "h").get_link_net() is lab.ns("h")


def test_IPV_06_shared_mac():
    n = Net(mode="l2")
    a, b = n.slave("a"), n.slave("b")
    assert a.addr == b.addr == mac_parse(MASTER_MAC)
    assert a.dev_id != b.dev_id and 1 <= min(a.dev_id, b.dev_id)
    # frames the slave sends carry the master's MAC
    got = n.tap(n.dev("eth0", "x"))
    assert n.reach("a", IP["x"])
    assert got and all(f[6:12] == mac_parse(MASTER_MAC) for out, f in got if not out)
    # the master's MAC change is copied; the slave's own MAC cannot be set
    n.lab.set_link("eth0", ns="h", address="02:00:00:00:00:55")
    assert a.addr == b.addr == mac_parse("02:00:00:00:00:55")
    assert errno_of(n.lab.set_link, "ipvl0", ns="a",
                    address="02:00:00:00:00:99") == errno.EOPNOTSUPP
    # an address given at creation is overwritten
    s = n.lab.add_link("s9", "ipvlan", "h", link="eth0", address="02:00:00:00:00:44")
    assert s.addr == mac_parse("02:00:00:00:00:55")


def test_IPV_07_address_uniqueness():
    lab = Lab()
    lab.add_veth("eth0", "peer")
    a = lab.add_link("a", "ipvlan", link="eth0")
    b = lab.add_link("b", "ipvlan", link="eth0")                      # both DOWN
    lab.add_addr("a", "10.0.0.1/24")
    with pytest.raises(KernelError) as ei:
        lab.add_addr("b", "10.0.0.1/24")
    assert ei.value.errno == errno.EADDRINUSE
    assert ei.value.extack == "Address already assigned to an ipvlan device"
    # the slave itself holds it too (another prefix length), the master is not checked
    assert errno_of(lab.add_addr, "a", "10.0.0.1/16") == errno.EADDRINUSE
    lab.add_addr("eth0", "10.0.0.1/24")
    # the peer address of a point-to-point address is the key
    assert errno_of(lab.add_addr, "b", "10.0.0.3", peer="10.0.0.1") == errno.EADDRINUSE
    # demux only while UP
    port = a.port
    assert port.hash == {}
    lab.set_link("a", up=True)
    assert set(port.hash) == {0x0A000001}
    lab.set_link("a", up=False)
    assert port.hash == {}
    lab.del_addr("a", "10.0.0.1/24")
    lab.add_addr("b", "10.0.0.1/24")


def test_IPV_08_mtu_follows_the_master():
    lab = Lab()
    lab.add_veth("eth0", "peer")
    s = lab.add_link("s", "ipvlan", link="eth0")
    t = lab.add_link("t", "ipvlan", link="eth0", mtu=9000)
    assert (s.mtu, t.mtu) == (1500, 9000)
    lab.set_link("s", mtu=9000)                     # free up to ETH_MAX_MTU
    assert s.mtu == 9000
    assert errno_of(lab.set_link, "s", mtu=65536) == errno.EINVAL
    lab.set_link("eth0", mtu=1400)
    assert s.mtu == t.mtu == 1400
    lab.set_link("eth0", mtu=1450)                  # up too
    assert s.mtu == t.mtu == 1450


def test_IPV_09_noarp_in_l3_modes():
    n = Net(mode="l3")
    a = n.slave("a")
    assert a.flags & IFF_NOARP
    # a NOARP slave resolves every neighbour to its own (shared) MAC
    n.lab.ping(IP["x"], ns="a", count=1, wait=1)
    ents = [e for e in n.lab.neighbours("a") if e[0] == IP["x"]]
    assert ents == [(IP["x"], "ipvl0", MASTER_MAC, "NOARP")]
    # the mode change toggles NOARP on every slave (and flushes their neighbours)
    LINK_KINDS["ipvlan"].changelink(a, LinkRequest(kind="ipvlan", data={"mode": "l2"}))
    assert not a.flags & IFF_NOARP and not n.slave("b").flags & IFF_NOARP
    assert n.lab.neighbours("a") == []
    # a new slave gets NOARP at open, not at creation
    s = n.lab.add_link("s9", "ipvlan", "h", link="eth0", mode="l3")
    assert not s.flags & IFF_NOARP and a.flags & IFF_NOARP
    n.lab.set_link("s9", ns="h", up=True)
    assert s.flags & IFF_NOARP


def test_CORE_06_ipvlan_carrier_follows_master_on_up_and_change():
    n = Net(mode="l2")
    a = n.slave("a")
    assert a.carrier
    n.lab.set_link("eth0", ns="x", up=False)        # the master loses carrier while UP
    n.lab.run_for(1.5)
    assert not a.carrier
    n.lab.set_link("eth0", ns="x", up=True)
    n.lab.run_for(1.5)
    assert a.carrier
    # the master going DOWN sends no NETDEV_CHANGE: the slave keeps its carrier
    n.lab.set_link("eth0", ns="h", up=False)
    n.lab.run_for(1.5)
    assert a.carrier


def test_IPV_master_deletion_deletes_slaves_but_a_move_does_not():
    n = Net(mode="l2")
    other = n.lab.netns("o")
    n.k.dev_change_net_namespace(n.master, other)
    assert n.slave("a").phy_dev is n.lab.dev("eth0", "o")
    n.lab.add_addr("ipvl0", "10.0.0.11/24", ns="a")          # secondary, deleted with it
    n.lab.del_link("eth0", "o")
    assert n.lab.ns("a").get("ipvl0") is None and n.lab.ns("b").get("ipvl1") is None


# =============================================================================================
# 4.2 ingress
# =============================================================================================

def _inject(n: Net, frame: bytes) -> None:
    """A frame arriving on the master from the wire (sent by x's eth0)."""
    dev_queue_xmit(Skb(frame, dev=n.dev("eth0", "x")))
    n.lab.run_for(0.1)


def _ipv4(src: str, dst: str, proto: int = 253, payload: bytes = b"x" * 8) -> bytes:
    from vnetlab.stack.ipv4 import ip_build
    return ip_build(int.from_bytes(ip4(src), "big"), int.from_bytes(ip4(dst), "big"), proto,
                    payload, 64)


def test_IPV_RX_01_demux_key_is_the_l3_destination():
    n = Net(mode="l3")
    for ns in ("h", "a", "b"):
        n.watch(ns, 0x0800)
    m = mac_parse(MASTER_MAC)
    xm = mac_parse(X_MAC)
    _inject(n, m + xm + b"\x08\x00" + _ipv4(IP["x"], IP["b"]))
    _inject(n, m + xm + b"\x08\x00" + _ipv4(IP["x"], IP["h"]))
    bad = bytearray(_ipv4(IP["x"], IP["a"]))
    bad[2:4] = (200).to_bytes(2, "big")                  # tot_len past the frame: unparseable
    _inject(n, m + xm + b"\x08\x00" + bytes(bad))
    assert [(s[0], s[1]) for s in n.seen] == [("b", "ipvl1"), ("h", "eth0"), ("h", "eth0")]


def test_IPV_RX_02_l3_arp_for_a_slave_is_swallowed():
    n = Net(mode="l3")
    for ns in ("h", "a"):
        n.watch(ns, 0x0806)
    rx0 = n.slave("a").rx_packets
    assert not n.reach("x", IP["a"])
    # the requests went to the slave (counted there) and no further; nobody answered
    assert n.slave("a").rx_packets > rx0
    assert {(s[0], s[1]) for s in n.seen} == {("a", "ipvl0")}
    assert [e for e in n.lab.neighbours("x") if e[0] == IP["a"] and e[2]] == []
    # on-link slaves never get broadcast: a ping to the subnet broadcast reaches none
    n.watch("a", 0x0800)
    n.seen.clear()
    _inject(n, b"\xff" * 6 + mac_parse(X_MAC) + b"\x08\x00" + _ipv4(IP["x"], "10.0.0.255"))
    assert all(s[0] != "a" for s in n.seen)


def test_IPV_RX_03_l2_unicast_demux_as_l3():
    n = Net(mode="l2")
    n.watch("b", 0x0800)
    n.watch("h", 0x0800)
    _inject(n, mac_parse(MASTER_MAC) + mac_parse(X_MAC) + b"\x08\x00" + _ipv4(IP["x"], IP["b"]))
    assert [(s[0], s[1], s[3]) for s in n.seen] == [("b", "ipvl1", PACKET_HOST)]
    assert n.reach("x", IP["a"]) and n.reach("a", IP["x"])


def test_IPV_RX_04_l2_group_frames_go_to_master_and_all_slaves():
    n = Net(mode="l2", flag="private")
    for ns in ("h", "a", "b"):
        n.watch(ns, ETH_P_TEST)
    bc = b"\xff" * 6
    # the count before: with IPv6 on, x's MLD reports / RS (33:33:...) already reached the
    # l2 slaves during setup and were counted as multicast, as on the kernel
    mc0 = n.slave("a").multicast
    _inject(n, bc + mac_parse(X_MAC) + ETH_P_TEST.to_bytes(2, "big") + b"ext".ljust(46, b"."))
    got = sorted((s[0], s[3]) for s in n.seen)
    assert got == [("a", PACKET_BROADCAST), ("b", PACKET_BROADCAST), ("h", PACKET_BROADCAST)]
    assert n.slave("a").multicast == mc0 + 1
    # "our own": source MAC == master MAC and an ARP sender IP of a slave -> master only
    n.watch("a", 0x0806)
    n.watch("b", 0x0806)
    n.watch("h", 0x0806)
    n.seen.clear()
    arp = (bytes.fromhex("0001080006040001") + mac_parse(MASTER_MAC) + ip4(IP["a"])
           + b"\x00" * 6 + ip4("10.0.0.77"))
    _inject(n, bc + mac_parse(MASTER_MAC) + b"\x08\x06" + arp)
    assert [s[0] for s in n.seen] == ["h"]
    # a DOWN slave gets nothing
    n.lab.set_link("ipvl1", ns="b", up=False)
    n.seen.clear()
    _inject(n, bc + mac_parse(X_MAC) + ETH_P_TEST.to_bytes(2, "big") + b"e2".ljust(46, b"."))
    assert sorted(s[0] for s in n.seen) == ["a", "h"]
    # backlog limit: overflow counted in the master's rx_dropped
    port, m = n.port, n.master
    port.work_pending = True                       # hold the work item
    drops = m.rx_dropped
    skb = Skb(bc + mac_parse(X_MAC) + ETH_P_TEST.to_bytes(2, "big") + b"q" * 46, dev=m)
    for _ in range(IPVLAN_QBACKLOG_LIMIT + 5):
        port.handle_frame(skb.clone())
    assert len(port.backlog) == IPVLAN_QBACKLOG_LIMIT and m.rx_dropped == drops + 5


def test_IPV_RX_05_l3s_steers_at_l3_and_arp_goes_to_the_master():
    n = Net(mode="l3s", slaves=("a",))
    n.lab.add_addr("ipvl0", "10.1.0.1/24", ns="a")
    n.lab.add_route("default", ns="a", dev="ipvl0")
    n.lab.add_route("10.1.0.0/24", ns="x", via=IP["h"])
    n.watch("h", 0x0806)
    n.watch("a", 0x0806)
    slave_taps = n.tap(n.slave("a"))
    assert n.reach("x", "10.1.0.1")
    # IPv4 in the slave's netns, yet the slave's packet taps never saw it arrive
    assert [o for o, f in slave_taps if not o] == []
    assert [o for o, f in slave_taps if o]          # its replies went out through it
    # ARP for the slave's on-link address reached the master's own ARP, not the slave
    n.seen.clear()
    assert not n.reach("x", IP["a"])
    assert {s[0] for s in n.seen} == {"h"}


# =============================================================================================
# 4.3 egress
# =============================================================================================

def _routed(mode: str, flag: str = "bridge") -> Net:
    n = Net(mode=mode, flag=flag, addrs={"a": "10.1.0.1/24", "b": "10.1.0.2/24"})
    for ns, dev in (("a", "ipvl0"), ("b", "ipvl1")):
        n.lab.add_route("default", ns=ns, dev=dev)
    n.lab.add_route("10.1.0.0/24", ns="x", via=IP["h"])
    return n


def test_IPV_TX_01_l3_routed_in_the_master_netns():
    n = _routed("l3")
    assert n.lab.sysctl_get("net.ipv4.ip_forward", ns="h") == 0
    assert n.reach("x", "10.1.0.1") and n.reach("a", IP["x"])
    assert n.reach("a", "10.1.0.2")                        # bridge: slave to slave
    # a local route in h: the request reaches h's own stack (looped through h's lo)
    n.lab.set_link("lo", ns="h", up=True)
    got: list = []
    n.lab.ns("h").ipv4.raw_open(1, lambda ip, skb: got.append(ip[12:20]))
    n.lab.ping(IP["h"], ns="a", count=1, wait=1)
    assert (ip4("10.1.0.1") + ip4(IP["h"])) in got
    # group destinations are dropped (counted as the slave's tx drops)
    a = n.slave("a")
    d0 = a.tx_dropped
    dev_queue_xmit(Skb(b"\xff" * 6 + a.addr + b"\x08\x00" + _ipv4("10.1.0.1", "10.1.0.255"),
                       dev=a))
    assert a.tx_dropped == d0 + 1
    # private: no slave to slave
    p = _routed("l3", "private")
    assert not p.reach("a", "10.1.0.2") and p.reach("a", IP["x"])


def test_IPV_TX_01_no_route_through_the_master_means_on_link():
    n = _routed("l3")
    n.lab.del_route("10.0.0.0/24", ns="h", dev="eth0")      # h has no route out of eth0
    assert n.reach("a", IP["x"])


def test_IPV_TX_02_l2_unicast_to_the_shared_mac_goes_to_the_master():
    n = Net(mode="l2")
    got: list = []
    n.lab.ns("h").ipv4.raw_open(1, lambda ip, skb: got.append(ip[12:20]))
    # without help the slave cannot resolve the master's address (IPV-TX-03)
    assert not n.reach("a", IP["h"])
    assert got == []
    from vnetlab.api import neigh_add
    ns_a = n.lab.ns("a")
    neigh_add(ns_a, int.from_bytes(ip4(IP["h"]), "big"), n.slave("a"), mac_parse(MASTER_MAC),
              state=0x80, nlflags=0x500)
    n.lab.ping(IP["h"], ns="a", count=1, wait=1)
    assert (ip4(IP["a"]) + ip4(IP["h"])) in got


def test_IPV_TX_03_l2_broadcast_to_other_slaves_and_out_not_to_the_master():
    n = Net(mode="l2", flag="private")
    for ns in ("h", "b", "x"):
        n.watch(ns, ETH_P_TEST)
    a = n.slave("a")
    dev_queue_xmit(Skb(b"\xff" * 6 + a.addr + ETH_P_TEST.to_bytes(2, "big")
                       + b"from-a".ljust(46, b"."), dev=a))
    n.lab.run_for(0.1)
    assert sorted(s[0] for s in n.seen) == ["b", "x"]      # private or not; not h's stack


def test_IPV_TX_04_vepa_switches_nothing_locally():
    n = Net(mode="l2", flag="vepa")
    got = n.tap(n.dev("eth0", "x"))
    assert not n.reach("a", IP["b"])
    # b's answer to a left through the master with destination MAC == source MAC
    assert any(f[:6] == f[6:12] == mac_parse(MASTER_MAC) for out, f in got if not out)
    n3 = Net(mode="l3", flag="vepa")
    assert not n3.reach("a", IP["b"])


def test_IPV_TX_05_master_never_reaches_a_slave():
    for mode in ("l2", "l3"):
        n = Net(mode=mode)
        got = n.tap(n.dev("eth0", "x"))
        assert not n.reach("h", IP["a"])
        # h's ARP requests for the slave went out to the wire
        assert any(f[12:14] == b"\x08\x06" and f[38:42] == ip4(IP["a"]) for out, f in got)


def test_IPV_modes_reachability_matrix():
    """The §13 observations on the reference kernel, and tests/conformance/50."""
    want = {
        ("l2", "bridge"): (1, 1, 0, 0, 1, 1), ("l2", "private"): (0, 0, 0, 0, 1, 1),
        ("l2", "vepa"): (0, 0, 0, 0, 1, 1),
        ("l3", "bridge"): (1, 1, 0, 0, 0, 0), ("l3", "private"): (0, 0, 0, 0, 0, 0),
        ("l3s", "bridge"): (1, 1, 0, 0, 0, 0), ("l3s", "vepa"): (0, 0, 0, 0, 0, 0),
    }
    pairs = (("a", IP["b"]), ("b", IP["a"]), ("a", IP["h"]), ("h", IP["a"]), ("a", IP["x"]),
             ("x", IP["a"]))
    for (mode, flag), exp in want.items():
        n = Net(mode=mode, flag=flag)
        assert tuple(int(n.reach(s, d)) for s, d in pairs) == exp, (mode, flag)


# =============================================================================================
# ipvtap (§3)
# =============================================================================================

def test_MVT_01_ipvtap_is_an_ipvlan_of_the_same_port():
    lab = Lab()
    lab.add_veth("eth0", "peer")
    t = lab.add_link("t", "ipvtap", link="eth0", mode="l2")
    s = lab.add_link("s", "ipvlan", link="eth0", mode="l3s")
    assert isinstance(t, Ipvtap) and isinstance(t, Ipvlan) and t.port is s.port
    assert t.fill_info()["mode"] == IPVLAN_MODE_L3S
    assert (t.tx_queue_len, t.no_queue, s.tx_queue_len, s.no_queue) == (500, False, 1000, True)


def test_MVT_02_ipvtap_char_device_is_named_after_ifindex():
    lab = Lab()
    lab.add_veth("eth0", "peer")
    t = lab.add_link("t", "ipvtap", link="eth0")
    assert t.tap_name == f"tap{t.ifindex}" and t.devpath == f"/dev/tap{t.ifindex}"


def test_MVT_03_ipvtap_without_fd_is_its_netdevs_stack():
    n = Net(mode="l2", kind="ipvtap")
    assert n.reach("x", IP["a"]) and n.reach("a", IP["b"])


def test_MVT_04_ipvtap_with_fd_queues_frames():
    n = Net(mode="l2", kind="ipvtap")
    tap = n.slave("a")
    f = tap.open()
    assert f.get_iff() == IFF_TAP | IFF_NO_PI | IFF_VNET_HDR
    assert not n.reach("x", IP["a"])                      # ARP went to the fd, not the stack
    frames = []
    while f.readable:
        frames.append(f.read())
    assert frames and all(fr[10 + 12:10 + 14] == b"\x08\x06" for fr in frames)
    # MVT-06: a frame written to the fd is sent by the ipvtap (out of the master)
    n.watch("x", ETH_P_TEST)
    f.write(b"\x00" * 10 + mac_parse(X_MAC) + tap.addr + ETH_P_TEST.to_bytes(2, "big")
            + b"w".ljust(46, b"."))
    n.lab.run_for(0.1)
    assert [s[0] for s in n.seen] == ["x"]
    f.close()
    assert n.reach("x", IP["a"])
