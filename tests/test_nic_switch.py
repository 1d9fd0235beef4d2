"""Plain NICs and the external switch (vnetlab.devices.nic): NIC-01..03, SW-01..04.

Machines are netns of one Kernel (or several Kernels sharing one Engine); NICs are made with
``add_nic`` and cabled to a ``Switch``. Frames are built by hand and sent with dev_queue_xmit;
taps on the NICs see what each one received. Time is virtual.
"""

from __future__ import annotations

import pytest
from ipv6_off import lab_without_ipv6

import vnetlab.devices  # noqa: F401
from vnetlab.devices.bridge import port_of
from vnetlab.devices.nic import Nic, Switch, add_nic
from vnetlab.sim import NSEC_PER_MSEC, NSEC_PER_SEC, NSEC_PER_USEC, Engine
from vnetlab.stack.errors import EOPNOTSUPP, KernelError
from vnetlab.stack.kernel import Kernel, LinkRequest
from vnetlab.stack.netdev import (IF_OPER_DOWN, IF_OPER_UP, dev_queue_xmit)
from vnetlab.stack.skb import PACKET_HOST, Skb
from vnetlab.stack.trace import Recorder
from vnetlab.wire import ethernet

ETH_P_TEST = 0x88B5
BCAST = b"\xff" * 6


def mac(i: int) -> bytes:
    return bytes([0x02, 0, 0, 0, 0, i])


class Seg:
    """N machines (netns mI), each with one NIC eth0 (MAC 02:00:00:00:00:0I+1) on one switch."""

    def __init__(self, n: int = 3, latency_ns: int = 0, trace: bool = False):
        # IPv6 off in every machine (sysctl before its NIC exists): the counts and frame lists
        # here are of the test's own frames, not of each NIC's MLD/RS/DAD on link-up.
        self.lab = lab_without_ipv6(trace=Recorder() if trace else None)
        self.k = k = self.lab.kernel
        self.eng = k.engine
        self.sw = Switch(self.eng, "vmnet1", latency_ns=latency_ns)
        self.nics: list[Nic] = []
        self.rx: list[list] = [[] for _ in range(n)]
        for i in range(n):
            ns = self.lab.netns(f"m{i}")
            nic = add_nic(k, ns, "eth0", mac(i + 1))
            self.sw.plug(nic)
            k.dev_open(nic)
            nic.ptype_all.append(self._tap(i))
            self.nics.append(nic)
        self.eng.run_until_idle()

    def _tap(self, i):
        def tap(skb, dev, is_tx):
            if not is_tx:
                self.rx[i].append((self.eng.now, skb.data, skb.pkt_type))
        return tap

    def send(self, i: int, dst: bytes, src: bytes | None = None, run: bool = True):
        src = self.nics[i].addr if src is None else src
        data = ethernet.build(dst, src, ETH_P_TEST, b"\x00" * 46)
        dev_queue_xmit(Skb(data, dev=self.nics[i]))
        if run:
            self.eng.run_for(NSEC_PER_MSEC)
        return data

    def got(self) -> list[int]:
        who = [i for i, r in enumerate(self.rx) if r]
        for r in self.rx:
            r.clear()
        return who


# ---------------------------------------------------------------------------------------------
# NIC-01 carrier
# ---------------------------------------------------------------------------------------------

def test_NIC_01_carrier_follows_the_cable_and_the_segment():
    k = Kernel()
    sw = Switch(k.engine)
    nic = add_nic(k, k.init_ns, "eth%d")
    assert nic.name == "eth0" and nic.kind == "" and not nic.carrier
    k.dev_open(nic)
    k.engine.run_until_idle()
    assert nic.reported_operstate() == IF_OPER_DOWN and not nic.qdisc_active   # NO-CARRIER
    sw.plug(nic)
    k.engine.run_until_idle()
    assert nic.carrier and nic.operstate == IF_OPER_UP and nic.qdisc_active
    sw.set_running(False)                          # segment powered off
    k.engine.run_until_idle()
    assert not nic.carrier and nic.operstate == IF_OPER_DOWN
    sw.set_running(True)
    k.engine.run_until_idle()
    assert nic.carrier
    sw.unplug(nic)
    k.engine.run_until_idle()
    assert not nic.carrier and nic.link is None and sw.ports == []


def test_NIC_01_physical_nic_has_no_rtnl_kind_and_a_permanent_mac():
    k = Kernel()
    nic = add_nic(k, k.init_ns, "eth0", mac(9))
    assert nic.addr == nic.perm_addr == mac(9) and nic.addr_assign_type == 0
    with pytest.raises(KernelError) as ei:
        k.dellink(nic)                              # `ip link del eth0`: not supported
    assert ei.value.errno == EOPNOTSUPP
    with pytest.raises(KernelError):
        add_nic(k, k.init_ns, "eth1", b"\x01\x00\x00\x00\x00\x01")


# ---------------------------------------------------------------------------------------------
# NIC-02 / NIC-03 transmit and receive
# ---------------------------------------------------------------------------------------------

def test_NIC_02_03_counters_and_receive_path():
    s = Seg(2)
    data = s.send(0, s.nics[1].addr)
    n0, n1 = s.nics
    assert (n0.tx_packets, n0.tx_bytes) == (1, len(data))
    assert (n1.rx_packets, n1.rx_bytes) == (1, len(data))
    (t, got, pkt_type), = s.rx[1]
    assert got == data and pkt_type == PACKET_HOST
    s.send(0, BCAST)
    s.send(0, b"\x01\x00\x5e\x00\x00\x01")
    assert n1.rx_packets == 3 and n1.multicast == 1     # broadcast is not counted as multicast


def test_NIC_02_unplugged_transmit_is_lost():
    k = Kernel()
    nic = add_nic(k, k.init_ns, "eth0")
    k.dev_open(nic)
    nic.qdisc_active = True          # as during linkwatch's lag right after a cable pull
    dev_queue_xmit(Skb(ethernet.build(BCAST, nic.addr, ETH_P_TEST, b""), dev=nic))
    assert nic.tx_packets == 0 and nic.tx_carrier_errors == 1 and nic.tx_dropped == 1


def test_NIC_03_hardware_filter_and_promiscuous_mode():
    s = Seg(3)
    s.send(0, BCAST)                 # the switch learns nic0
    s.got()
    s.send(0, mac(0x77))             # unknown unicast floods, but NICs filter it
    assert s.got() == [] and s.sw.ports[1].tx_frames == 1 + 1
    s.nics[2].promiscuity += 1       # tcpdump / a bridge port: everything comes in
    s.send(0, mac(0x77))
    assert s.got() == [2]
    assert s.nics[2].rx_packets == 2
    s.nics[1].uc.append(mac(0x78))   # secondary unicast address (dev_uc_add, macvlan)
    s.send(0, mac(0x78))
    assert s.got() == [1, 2]
    s.k.dev_close(s.nics[1])         # a NIC that is down hears nothing
    s.send(0, BCAST)
    assert s.got() == [2]


# ---------------------------------------------------------------------------------------------
# SW-01..SW-03 the switch
# ---------------------------------------------------------------------------------------------

def test_SW_01_02_learning_known_unicast_and_flooding():
    s = Seg(3)
    for n in s.nics:
        n.promiscuity += 1           # see what the switch sends, not what the NIC keeps
    s.send(1, mac(0x55))             # unknown: flooded to 0 and 2, never back to 1
    assert s.got() == [0, 2]
    assert [m for m, nic, _ in s.sw.fdb_entries()] == [mac(2)]
    s.send(0, mac(2))                # known: to nic1's port only
    assert s.got() == [1]
    s.send(2, BCAST, mac(2))         # mac 2 roams to port 2
    assert s.got() == [0, 1]
    s.send(0, mac(2))
    assert s.got() == [2]
    s.eng.run_for(301 * NSEC_PER_SEC)              # entries age out (lazily)
    assert s.sw.fdb_entries() == []
    s.send(0, mac(2))
    assert s.got() == [1, 2]


def test_SW_03_no_reflection_without_hairpin():
    s = Seg(2, trace=True)
    s.nics[0].promiscuity += 1
    s.send(0, BCAST, mac(0xA))       # mac A learnt on port 0 (a station behind nic0)
    s.got()
    s.send(0, mac(0xA), mac(0xB))    # destination on the ingress port: filtered
    assert s.got() == []
    assert s.k.trace.drops()[-1][3:] == ("eth0", "NO_TX_TARGET", "SW-03")
    s.send(0, BCAST)                 # floods skip the ingress port
    assert s.got() == [1]


def test_SW_03_reflective_relay_with_hairpin():
    s = Seg(2)
    s.nics[0].promiscuity += 1
    s.send(0, BCAST, mac(0xA))
    s.got()
    s.sw.set_hairpin(s.nics[0], True)
    s.send(0, mac(0xA), mac(0xB))    # back out of the ingress port
    assert s.got() == [0]
    s.send(0, BCAST)                 # floods include the ingress port
    assert s.got() == [0, 1]
    s.sw.set_hairpin(s.nics[0], False)
    s.send(0, BCAST)
    assert s.got() == [1]


def test_SW_03_vepa_style_hairpin_reflects_to_a_macvlan_like_address():
    """A frame from a lower NIC to a MAC it holds in its uc list comes back only with hairpin:
    the path MACVLAN vepa relies on (kernel-spec BR-06 / MV-RX-02)."""
    s = Seg(2)
    n0 = s.nics[0]
    n0.uc.append(mac(0xC1))          # a second station (macvlan) behind the same NIC
    s.send(0, BCAST, mac(0xC1))      # it spoke once: learnt on port 0
    s.got()
    s.send(0, mac(0xC1))
    assert s.got() == []
    s.sw.set_hairpin(n0, True)
    s.send(0, mac(0xC1))
    assert s.got() == [0]
    assert s.nics[0].rx_packets == 1


# ---------------------------------------------------------------------------------------------
# SW-04 latency, and the switch between kernels / under a bridge
# ---------------------------------------------------------------------------------------------

def test_SW_04_per_port_latency_uses_engine_timers():
    s = Seg(2, latency_ns=0)
    p0, p1 = s.sw.port_of(s.nics[0]), s.sw.port_of(s.nics[1])
    p0.latency_ns = 30 * NSEC_PER_USEC
    p1.latency_ns = 20 * NSEC_PER_USEC
    t0 = s.eng.now
    s.send(0, s.nics[1].addr, run=False)
    s.eng.run_for(49 * NSEC_PER_USEC)
    assert s.rx[1] == []
    s.eng.run_until_idle()
    (t, _, _), = s.rx[1]
    assert t == t0 + 50 * NSEC_PER_USEC


def test_SW_04_zero_latency_moves_through_the_now_queue():
    s = Seg(2)
    t0 = s.eng.now
    s.send(0, s.nics[1].addr, run=False)
    assert s.rx[1] == []             # nothing delivered synchronously into the receive path
    s.eng.run_for(0)
    (t, _, _), = s.rx[1]
    assert t == t0


def test_switch_joins_two_kernels_on_one_engine():
    eng = Engine()
    ka, kb = Kernel(engine=eng), Kernel(engine=eng)
    sw = Switch(eng, "vmnet1")
    na = add_nic(ka, ka.init_ns, "eth0", mac(1))
    nb = add_nic(kb, kb.init_ns, "eth0", mac(2))
    for k, n in ((ka, na), (kb, nb)):
        sw.plug(n)
        k.dev_open(n)
    eng.run_until_idle()
    got = []
    nb.ptype_all.append(lambda skb, dev, tx: got.append(skb.pkt_type) if not tx else None)
    dev_queue_xmit(Skb(ethernet.build(nb.addr, na.addr, ETH_P_TEST, b"hi"), dev=na))
    eng.run_until_idle()
    assert got == [PACKET_HOST]
    other = Kernel()
    with pytest.raises(ValueError):
        sw.plug(add_nic(other, other.init_ns, "eth0"))


def test_nic_as_bridge_port_and_unregister_unplugs():
    lab = lab_without_ipv6()          # IPv6 off (sysctl first): rx_packets counts the test frames
    k = lab.kernel
    sw = Switch(k.engine)
    wan = add_nic(k, k.init_ns, "eth0", mac(1))
    peer_ns = lab.netns("peer")
    peer = add_nic(k, peer_ns, "eth0", mac(2))
    br = k.newlink(k.init_ns, LinkRequest(name="br0", kind="bridge"))
    for n in (wan, peer):
        sw.plug(n)
        k.dev_open(n)
    k.set_master(wan, br)
    assert port_of(wan).path_cost == 4             # 1 Gb/s
    k.dev_open(br)
    k.engine.run_until_idle()
    assert wan.promiscuity == 1 and port_of(wan).state_name == "forwarding"
    seen = []
    k.init_ns.ptype[ETH_P_TEST] = lambda skb: seen.append((skb.dev.name, skb.pkt_type))
    # a frame for the bridge's MAC (= eth0's, its only port) crosses the switch and goes up br0
    dev_queue_xmit(Skb(ethernet.build(br.addr, peer.addr, ETH_P_TEST, b"x" * 46), dev=peer))
    k.engine.run_for(NSEC_PER_MSEC)
    assert seen == [("br0", PACKET_HOST)]
    assert br.fdb_lookup(peer.addr).dev is wan
    # a foreign unicast reaches the bridge because the port NIC is promiscuous; the bridge
    # floods it to nowhere else and does not take it (not promiscuous itself)
    dev_queue_xmit(Skb(ethernet.build(mac(0x44), peer.addr, ETH_P_TEST, b"x"), dev=peer))
    k.engine.run_for(NSEC_PER_MSEC)
    assert wan.rx_packets == 2 and seen == [("br0", PACKET_HOST)]
    k.netns_del("peer")                            # the peer's NIC goes away with its netns
    assert peer.link is None and len(sw.ports) == 1
