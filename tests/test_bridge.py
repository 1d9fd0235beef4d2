"""The Linux bridge (vnetlab.devices.bridge) against kernel-spec §11 (BR-01..BR-05) and CORE-01.

Topology (``Lab``): bridge ``br0`` in the init netns, N veth pairs ``pI`` (bridge port, init
netns) <-> ``eth0`` (netns ``hI``). Frames are built by hand and sent from a host's eth0 with
dev_queue_xmit; hosts see them through a tap on their eth0; frames delivered up the bridge (or
passed up a port's own stack) reach a test protocol handler registered in the init netns.
All timing is virtual: ``settle()`` runs 1 ms of engine time, ageing tests jump hundreds of
seconds with ``run_for``.
"""

from __future__ import annotations

import pytest
from ipv6_off import lab_without_ipv6

import vnetlab.devices  # noqa: F401  (registers the kinds)
from vnetlab.devices.bridge import (BR_DEFAULT_AGEING_TIME_NS, BR_STATE_DISABLED,
                                    BR_STATE_FORWARDING, BR_STATE_LEARNING, Bridge, bridge_of,
                                    port_of)
from vnetlab.sim import NSEC_PER_MSEC, NSEC_PER_SEC
from vnetlab.stack.errors import (EBUSY, EEXIST, EINVAL, ELOOP, ENOENT, KernelError)
from vnetlab.stack.kernel import Kernel, LinkRequest
from vnetlab.stack.netdev import (IF_OPER_DOWN, IF_OPER_UNKNOWN, IF_OPER_UP, dev_queue_xmit,
                                  rx_handler_register)
from vnetlab.stack.skb import PACKET_HOST, Skb
from vnetlab.stack.trace import Recorder
from vnetlab.wire import ethernet

ETH_P_TEST = 0x88B5          # IEEE local experimental EtherType: no stack handles it
BCAST = b"\xff" * 6


def mac(i: int) -> bytes:
    return bytes([0x02, 0, 0, 0, 0, i])


class Lab:
    def __init__(self, n: int = 3, trace: bool = False, up: bool = True):
        # IPv6 off in every netns (sysctl before its devices exist): the frame lists and fdb here
        # are of the test's own frames, not of each host's MLD/RS/DAD on link-up.
        self.api = lab_without_ipv6(trace=Recorder() if trace else None)
        self.k = k = self.api.kernel
        self.eng = k.engine
        self.br: Bridge = k.newlink(k.init_ns, LinkRequest(name="br0", kind="bridge"))
        self.ports, self.hosts = [], []
        self.rx: list[list] = [[] for _ in range(n)]
        self.local: list = []                      # (dev name, frame, pkt_type) up the stack
        for i in range(n):
            ns = self.api.netns(f"h{i}")
            p = k.newlink(k.init_ns, LinkRequest(name=f"p{i}", kind="veth",
                                                   peer=LinkRequest(name="eth0", net_ns=ns)))
            k.set_master(p, self.br)
            k.dev_open(p)
            k.dev_open(p.peer)
            self.ports.append(p)
            self.hosts.append(p.peer)
            p.peer.ptype_all.append(self._tap(i))
        k.init_ns.ptype[ETH_P_TEST] = lambda skb: self.local.append(
            (skb.dev.name, skb.data, skb.pkt_type))
        if up:
            k.dev_open(self.br)
        self.eng.run_until_idle()

    def _tap(self, i):
        def tap(skb, dev, is_tx):
            if not is_tx:
                self.rx[i].append(skb.data)
        return tap

    def frame(self, dst: bytes, src: bytes, payload: bytes = b"\x00" * 46) -> bytes:
        return ethernet.build(dst, src, ETH_P_TEST, payload)

    def send(self, i: int, dst: bytes, src: bytes | None = None, payload: bytes = b"\x00" * 46):
        src = self.hosts[i].addr if src is None else src
        dev_queue_xmit(Skb(self.frame(dst, src, payload), dev=self.hosts[i]))
        self.settle()

    def settle(self) -> None:
        self.eng.run_for(NSEC_PER_MSEC)

    def got(self) -> list[int]:
        """Which hosts received something since the last call (and forget it)."""
        who = [i for i, r in enumerate(self.rx) if r]
        for r in self.rx:
            r.clear()
        return who

    def took_local(self) -> list[str]:
        out = [name for name, _, _ in self.local]
        self.local.clear()
        return out

    def fdb(self) -> dict:
        return {e.mac: e for e in self.br.fdb_entries()}


# ---------------------------------------------------------------------------------------------
# CORE-01
# ---------------------------------------------------------------------------------------------

def test_CORE_01_port_cannot_take_second_rx_handler():
    lab = Lab(2)
    p0 = lab.ports[0]
    with pytest.raises(KernelError) as ei:
        rx_handler_register(p0, lambda skb: 0, None)
    assert ei.value.errno == EBUSY
    # a device whose rx_handler slot is taken (e.g. a macvlan lower) cannot join a bridge
    k = lab.k
    v = k.newlink(k.init_ns, LinkRequest(name="x0", kind="veth", peer=LinkRequest(name="x1")))
    rx_handler_register(v, lambda skb: 3, object())
    with pytest.raises(KernelError) as ei:
        k.set_master(v, lab.br)
    assert ei.value.errno == EBUSY
    assert v.master is None and v.allmulti == 0 and v.promiscuity == 0
    # IFF_NO_RX_HANDLER (an ipvlan slave) refuses with EINVAL
    w = v.peer
    w.no_rx_handler = True
    with pytest.raises(KernelError) as ei:
        k.set_master(w, lab.br)
    assert ei.value.errno == EINVAL
    # a second bridge cannot grab a port through br_add_if (it has a master: EBUSY)
    br1 = k.newlink(k.init_ns, LinkRequest(name="br1", kind="bridge"))
    with pytest.raises(KernelError) as ei:
        br1.add_if(p0)
    assert ei.value.errno == EBUSY
    assert bridge_of(p0) is lab.br


# ---------------------------------------------------------------------------------------------
# BR-01 learning
# ---------------------------------------------------------------------------------------------

def test_BR_01_learning_and_roaming():
    lab = Lab(3)
    a = mac(0xA)
    lab.send(0, BCAST, a)
    e = lab.fdb()[a]
    assert e.dev is lab.ports[0] and not e.is_local and not e.is_static
    assert lab.got() == [1, 2]
    lab.send(2, a)                     # known: only host 0
    assert lab.got() == [0]
    lab.send(1, BCAST, a)              # the station moved: the entry roams
    assert lab.fdb()[a].dev is lab.ports[1]
    lab.got()
    lab.send(2, a)
    assert lab.got() == [1]


def test_BR_01_own_local_and_sticky_entries_do_not_roam_static_does():
    lab = Lab(3)
    br, p0, p1 = lab.br, lab.ports[0], lab.ports[1]
    # a frame carrying a port's own MAC as source is never learnt elsewhere
    lab.send(0, BCAST, p1.addr)
    e = lab.fdb()[p1.addr]
    assert e.dev is p1 and e.is_local
    lab.send(0, BCAST, br.addr)
    assert lab.fdb()[br.addr].is_local
    # sticky entries stay, static (non-sticky) user entries roam like dynamic ones
    s, t = mac(0x51), mac(0x52)
    br.fdb_add(s, p0, "static", sticky=True)
    br.fdb_add(t, p0, "static")
    lab.send(1, BCAST, s)
    lab.send(1, BCAST, t)
    assert lab.fdb()[s].dev is p0
    assert lab.fdb()[t].dev is p1 and lab.fdb()[t].is_static


def test_BR_01_invalid_source_dropped_on_entry():
    lab = Lab(3, trace=True)
    for bad in (b"\x01\x00\x5e\x00\x00\x01", b"\x00" * 6):
        lab.send(0, BCAST, bad)
        assert lab.got() == [] and lab.took_local() == []
        assert bad not in lab.fdb()
    drops = [r for r in lab.k.trace.drops() if r[3] == "p0"]
    assert [r[4:] for r in drops] == [("MAC_INVALID_SOURCE", "BR-01")] * 2


def test_BR_01_port_with_learning_off_does_not_learn():
    lab = Lab(2)
    lab.br.port_set(lab.ports[0], learning=False)
    lab.send(0, BCAST, mac(7))
    assert mac(7) not in lab.fdb()
    assert lab.got() == [1]


# ---------------------------------------------------------------------------------------------
# BR-02 ageing
# ---------------------------------------------------------------------------------------------

def test_BR_02_ageing_300s_and_ageing_time_0_floods():
    lab = Lab(3)
    br = lab.br
    assert br.ageing_time_ns == BR_DEFAULT_AGEING_TIME_NS == 300 * NSEC_PER_SEC
    assert br.ageing_time_cs == 30000 and br.fill_info()["ageing_time"] == 30000
    a = mac(0xA)
    t0 = lab.eng.now
    lab.send(0, BCAST, a)
    lab.eng.run_until(t0 + 299 * NSEC_PER_SEC)
    assert a in lab.fdb()
    assert lab.fdb()[a].age_ns >= 299 * NSEC_PER_SEC - NSEC_PER_MSEC
    lab.eng.run_until(t0 + 301 * NSEC_PER_SEC)
    assert a not in lab.fdb()                   # learnt at t0, gone after 300 s
    lab.got()
    lab.send(2, a)                              # unknown again: flooded
    assert lab.got() == [0, 1]
    # ageing_time 0: learning off, everything dynamic flushed at once, every unicast floods
    lab.send(0, BCAST, a)
    assert a in lab.fdb()
    br.set_ageing_time_cs(0)
    lab.settle()
    assert a not in lab.fdb()
    lab.got()
    lab.send(0, BCAST, a)
    assert a not in lab.fdb()
    lab.got()
    lab.send(2, a)
    assert lab.got() == [0, 1]


def test_BR_02_refresh_extends_the_entry_and_gc_ends_when_fdb_is_static():
    lab = Lab(2)
    a = mac(0xA)
    t0 = lab.eng.now
    lab.send(0, BCAST, a)
    lab.eng.run_until(t0 + 200 * NSEC_PER_SEC)
    lab.send(0, BCAST, a)                        # refreshed at ~200 s
    lab.eng.run_until(t0 + 450 * NSEC_PER_SEC)
    assert a in lab.fdb()
    lab.eng.run_until(t0 + 501 * NSEC_PER_SEC)
    assert a not in lab.fdb()
    # no dynamic entry left: no timer left, run_until_idle returns at once
    assert lab.eng.next_deadline() is None
    before = lab.eng.now
    lab.eng.run_until_idle()
    assert lab.eng.now == before


def test_BR_02_expiry_is_exact_and_ageing_time_is_in_centiseconds():
    lab = Lab(2)
    lab.br.set_ageing_time_cs(250)               # 2.5 s, as `ageing_time 250`
    assert lab.br.ageing_time_ns == 2_500_000_000
    a = mac(0xA)
    dev_queue_xmit(Skb(lab.frame(BCAST, a), dev=lab.hosts[0]))
    t0 = lab.eng.now
    lab.eng.run_until_idle()                     # the gc is the only timer
    assert a not in lab.fdb()
    assert lab.eng.now == t0 + 2_500_000_000
    with pytest.raises(KernelError):
        lab.br.set_ageing_time_cs(-1)


# ---------------------------------------------------------------------------------------------
# BR-03 forwarding decision
# ---------------------------------------------------------------------------------------------

def test_BR_03_local_entries_go_up_the_bridge_device():
    lab = Lab(3)
    br = lab.br
    f = lab.frame(br.addr, lab.hosts[0].addr)
    lab.send(0, br.addr)
    assert lab.got() == [] and lab.local == [("br0", f, PACKET_HOST)]
    assert (br.rx_packets, br.rx_bytes) == (1, len(f) - 14)   # without the Ethernet header
    lab.local.clear()
    lab.send(0, lab.ports[2].addr)           # another port's MAC is local too
    assert lab.got() == [] and lab.took_local() == ["br0"]
    lab.send(0, lab.ports[0].addr)           # ... and so is the ingress port's own
    assert lab.got() == [] and lab.took_local() == ["br0"]


def test_BR_03_known_unicast_goes_to_that_port_only():
    lab = Lab(3)
    lab.send(1, BCAST)
    lab.got()
    lab.took_local()
    lab.send(0, lab.hosts[1].addr)
    assert lab.got() == [1] and lab.took_local() == []
    assert lab.fdb()[lab.hosts[1].addr].used_ns < NSEC_PER_SEC


def test_BR_03_unknown_unicast_floods_and_goes_up_only_if_promiscuous():
    lab = Lab(3)
    lab.send(0, mac(0x77))
    assert lab.got() == [1, 2] and lab.took_local() == []
    lab.br.port_set(lab.ports[2], flood=False)
    lab.send(0, mac(0x77))
    assert lab.got() == [1]
    lab.br.promiscuity += 1                  # ip link set br0 promisc on
    lab.send(0, mac(0x77))
    assert lab.got() == [1] and lab.took_local() == ["br0"]
    # promiscuous: a known unicast is forwarded and also delivered up
    lab.send(1, BCAST)
    lab.got()
    lab.took_local()
    lab.send(0, lab.hosts[1].addr)
    assert lab.got() == [1] and lab.took_local() == ["br0"]


def test_BR_03_broadcast_floods_and_always_goes_up():
    lab = Lab(3)
    lab.send(0, BCAST)
    assert lab.got() == [1, 2] and lab.took_local() == ["br0"]
    lab.br.port_set(lab.ports[1], bcast_flood=False, flood=False, mcast_flood=False)
    lab.send(0, BCAST)
    assert lab.got() == [2] and lab.took_local() == ["br0"]


def test_BR_03_multicast_floods_and_always_goes_up():
    lab = Lab(3)
    grp = b"\x01\x00\x5e\x01\x02\x03"
    lab.send(0, grp)
    assert lab.got() == [1, 2] and lab.took_local() == ["br0"]
    assert lab.br.multicast == 1
    lab.br.port_set(lab.ports[2], mcast_flood=False)
    lab.send(0, grp)
    assert lab.got() == [1] and lab.took_local() == ["br0"]


def test_BR_03_bridge_own_transmissions_take_the_same_decision():
    lab = Lab(3)
    br = lab.br
    lab.send(1, BCAST)
    lab.got()
    lab.took_local()
    lab.br.port_set(lab.ports[2], bcast_flood=False, mcast_flood=False)

    def xmit(dst):
        dev_queue_xmit(Skb(lab.frame(dst, br.addr), dev=br))
        lab.settle()
        return lab.got()

    assert xmit(lab.hosts[1].addr) == [1]                 # known unicast
    assert xmit(mac(0x66)) == [0, 1, 2]                   # unknown: flood
    assert xmit(BCAST) == [0, 1, 2]                       # own frames ignore bcast_flood
    assert xmit(b"\x01\x00\x5e\x00\x00\x09") == [0, 1, 2]
    # the bridge MAC is a port's MAC here: its local entry points at that port (br_forward)
    owner = [i for i, p in enumerate(lab.ports) if p.addr == br.addr]
    assert xmit(br.addr) == owner
    br.fdb_add(mac(0x33), br)                             # an entry pointing at the bridge:
    assert xmit(mac(0x33)) == []                          # no egress port, dropped
    assert br.tx_packets == 6 and br.tx_bytes == 6 * 60
    assert lab.took_local() == []


def test_BR_03_ping_through_the_bridge_and_to_the_bridge_address():
    """IPv4 end to end: h0 and h1 on one segment with br0's own address 10.0.0.254."""
    from vnetlab.stack.inet import IfAddr
    from vnetlab.wire import icmp
    lab = Lab(2)
    ip = lambda s: int.from_bytes(bytes(int(x) for x in s.split(".")), "big")  # noqa: E731
    for dev, a in ((lab.hosts[0], "10.0.0.1"), (lab.hosts[1], "10.0.0.2"), (lab.br, "10.0.0.254")):
        dev.ns.ipv4.addr_add(dev, IfAddr(dev, ip(a), 24))
    lab.eng.run_until_idle()
    replies = []
    ns0 = lab.hosts[0].ns
    ns0.ipv4.raw_open(1, lambda data, skb: replies.append(data))
    for seq, dst in enumerate(("10.0.0.2", "10.0.0.254")):
        ns0.ipv4.ip_send(ip(dst), 1, icmp.echo(0x42, seq, b"ping"))
        lab.eng.run_for(NSEC_PER_SEC)
    srcs = [int.from_bytes(r[12:16], "big") for r in replies if r[20] == 0]
    assert srcs == [ip("10.0.0.2"), ip("10.0.0.254")]


# ---------------------------------------------------------------------------------------------
# BR-04 egress rules
# ---------------------------------------------------------------------------------------------

def test_BR_04_no_reflection_without_hairpin():
    lab = Lab(3, trace=True)
    a, b = mac(0xA), mac(0xB)
    lab.send(0, BCAST, a)
    lab.send(0, BCAST, b)            # a and b both sit behind port 0
    assert lab.got() == [1, 2]
    lab.took_local()
    lab.send(0, b, a)                # destination learnt on the ingress port: silently dropped
    assert lab.got() == [] and lab.took_local() == []
    assert lab.k.trace.drops()[-1][3:] == ("p0", "NO_TX_TARGET", "BR-04")
    lab.send(0, BCAST, a)            # and floods never go back
    assert lab.got() == [1, 2]


def test_BR_04_reflection_with_hairpin():
    lab = Lab(3)
    a, b = mac(0xA), mac(0xB)
    lab.send(0, BCAST, a)
    lab.send(0, BCAST, b)
    lab.got()
    lab.br.port_set(lab.ports[0], hairpin=True)
    lab.send(0, b, a)                # reflective relay: back out of port 0
    assert lab.got() == [0]
    lab.send(0, BCAST, a)            # floods include the ingress port
    assert lab.got() == [0, 1, 2]
    lab.send(0, mac(0x99), a)        # unknown unicast too
    assert lab.got() == [0, 1, 2]


def test_BR_04_egress_port_must_be_forwarding():
    lab = Lab(3)
    br, k = lab.br, lab.k
    c = mac(0xC)
    lab.send(2, BCAST, c)
    assert lab.fdb()[c].dev is lab.ports[2]
    lab.got()
    k.dev_close(lab.hosts[2])        # the peer goes down: p2 loses carrier
    lab.eng.run_for(2 * NSEC_PER_SEC)  # linkwatch (<= 1 s lag) then br_port_carrier_check
    p2 = port_of(lab.ports[2])
    assert p2.state == BR_STATE_DISABLED
    assert c not in lab.fdb()        # a disabled port loses its dynamic entries
    lab.send(0, BCAST)
    assert lab.got() == [1]
    k.dev_open(lab.hosts[2])
    lab.eng.run_for(2 * NSEC_PER_SEC)
    assert p2.state == BR_STATE_FORWARDING
    lab.got()
    lab.send(0, BCAST)
    assert lab.got() == [1, 2]


def test_BR_04_isolated_ports_never_talk_to_each_other():
    lab = Lab(3)
    lab.br.port_set(lab.ports[0], isolated=True)
    lab.br.port_set(lab.ports[1], isolated=True)
    lab.send(0, BCAST)
    assert lab.got() == [2]
    lab.send(2, BCAST)
    assert lab.got() == [0, 1]
    lab.send(1, lab.hosts[0].addr)   # known, but isolated -> isolated
    assert lab.got() == []


def test_BR_04_ingress_port_not_forwarding_drops_learning_state_learns_only():
    lab = Lab(3, trace=True)
    br = lab.br
    br.set_port_state(lab.ports[0], BR_STATE_LEARNING)
    lab.send(0, BCAST, mac(0xA))
    assert lab.got() == [] and lab.took_local() == []
    assert mac(0xA) in lab.fdb()     # learnt, not forwarded
    assert lab.k.trace.drops()[-1][3:] == ("p0", "BRIDGE_INGRESS_STP_STATE", "BR-04")
    br.set_port_state(lab.ports[0], BR_STATE_FORWARDING)
    lab.send(0, BCAST, mac(0xA))
    assert lab.got() == [1, 2]
    lab.k.dev_close(br)              # bridge down: every port disabled, carrier off
    assert all(p.state == BR_STATE_DISABLED for p in br.ports) and not br.carrier
    lab.send(0, BCAST, mac(0xB))
    assert lab.got() == [] and mac(0xB) not in lab.fdb()
    assert lab.k.trace.drops()[-1][4] == "BRIDGE_INGRESS_STP_STATE"


# ---------------------------------------------------------------------------------------------
# BR-05 link-local group addresses
# ---------------------------------------------------------------------------------------------

LL = b"\x01\x80\xc2\x00\x00"


def test_BR_05_stp_group_address_is_forwarded_when_stp_is_off():
    lab = Lab(3)
    lab.send(0, LL + b"\x00", mac(1))
    assert lab.got() == [1, 2]
    assert lab.took_local() == ["br0"]          # multicast: flooded and delivered up
    assert mac(1) in lab.fdb()
    lab.br.set_stp_state(1)                      # with STP on it is passed up the port instead
    lab.send(0, LL + b"\x00", mac(2))
    assert lab.got() == [] and lab.took_local() == ["p0"]


def test_BR_05_pause_frames_are_dropped():
    lab = Lab(3, trace=True)
    lab.send(0, LL + b"\x01", mac(2))
    assert lab.got() == [] and lab.took_local() == []
    assert mac(2) not in lab.fdb()
    assert lab.k.trace.drops()[-1][3:] == ("p0", "MAC_IEEE_MAC_CONTROL", "BR-05")


def test_BR_05_other_link_local_addresses_are_passed_up_the_port():
    lab = Lab(3)
    for low, src in ((0x02, mac(3)), (0x03, mac(4)), (0x0E, mac(5)), (0x0F, mac(6))):
        lab.send(0, LL + bytes([low]), src)
        assert lab.got() == []
        assert lab.took_local() == ["p0"]       # RX_HANDLER_PASS: the port's own stack
        assert src in lab.fdb()                 # __br_handle_local_finish() learns
    lab.br.set_group_fwd_mask(1 << 0x0E)        # group_fwd_mask forwards LLDP
    lab.send(0, LL + b"\x0e", mac(5))
    assert lab.got() == [1, 2] and lab.took_local() == ["br0"]
    with pytest.raises(KernelError):            # STP, PAUSE and LACP are never forwardable
        lab.br.set_group_fwd_mask(1)
    with pytest.raises(KernelError):
        lab.br.port_set(lab.ports[0], group_fwd_mask=2)
    lab.br.port_set(lab.ports[0], group_fwd_mask=1 << 3)
    lab.send(0, LL + b"\x03", mac(4))
    assert lab.got() == [1, 2]


# ---------------------------------------------------------------------------------------------
# the bridge device: enslaving, address, carrier, MTU, lifetime, FDB API
# ---------------------------------------------------------------------------------------------

def test_enslave_rules_and_port_state():
    k = Kernel()
    br = k.newlink(k.init_ns, LinkRequest(name="br0", kind="bridge"))
    br1 = k.newlink(k.init_ns, LinkRequest(name="br1", kind="bridge"))
    v = k.newlink(k.init_ns, LinkRequest(name="va", kind="veth", peer=LinkRequest(name="vb")))
    for dev, err in ((k.init_ns.lo, EINVAL), (br1, ELOOP)):
        with pytest.raises(KernelError) as ei:
            k.set_master(dev, br)
        assert ei.value.errno == err
    k.set_master(v, br)
    assert v.master is br and bridge_of(v) is br and port_of(v).port_no == 1
    assert (v.promiscuity, v.allmulti) == (1, 1)
    assert port_of(v).port_id == 0x8001 and port_of(v).path_cost == 2
    assert not v.get_flags() & 0x800             # a bridge port is not IFF_SLAVE
    k.set_master(v, br1)                          # do_set_master: leaves br0 first
    assert bridge_of(v) is br1 and br.ports == []
    k.set_master(v, None)
    assert v.master is None and v.rx_handler is None and (v.promiscuity, v.allmulti) == (0, 0)


def test_bridge_mac_smallest_port_mac_then_zero_without_ports():
    k = Kernel()
    br = k.newlink(k.init_ns, LinkRequest(name="br0", kind="bridge"))
    random_mac = br.addr
    assert br.fdb_lookup(random_mac).is_local         # its own address is a local entry
    va = k.newlink(k.init_ns, LinkRequest(name="va", kind="veth", address=mac(0x0A),
                                          peer=LinkRequest(name="vb")))
    vc = k.newlink(k.init_ns, LinkRequest(name="vc", kind="veth", address=mac(0x03),
                                          peer=LinkRequest(name="vd")))
    k.set_master(va, br)
    assert br.addr == mac(0x0A) and br.fdb_lookup(random_mac) is None
    k.set_master(vc, br)
    assert br.addr == mac(0x03)
    k.dev_set_mac(vc, mac(0x20))                      # NETDEV_CHANGEADDR on a port
    assert br.addr == mac(0x0A)
    assert br.fdb_lookup(mac(0x20)).dev is vc and br.fdb_lookup(mac(0x03)) is None
    k.set_master(va, None)
    k.set_master(vc, None)
    assert br.addr == b"\x00" * 6                      # observed on the 6.18 host
    # an address set by the user is kept
    k.dev_set_mac(br, mac(0x11))
    k.set_master(vc, br)
    assert br.addr == mac(0x11)
    assert {e.mac for e in br.fdb_entries()} == {mac(0x11), mac(0x20)}


def test_bridge_carrier_follows_forwarding_ports():
    k = Kernel()
    br = k.newlink(k.init_ns, LinkRequest(name="br0", kind="bridge"))
    k.dev_open(br)
    k.engine.run_until_idle()
    assert br.carrier and br.operstate == IF_OPER_UNKNOWN     # fresh bridge: state UNKNOWN
    va = k.newlink(k.init_ns, LinkRequest(name="va", kind="veth", peer=LinkRequest(name="vb")))
    k.set_master(va, br)
    k.engine.run_until_idle()
    assert not br.carrier and br.reported_operstate() == IF_OPER_DOWN   # NO-CARRIER
    k.dev_open(va)
    k.dev_open(va.peer)
    k.engine.run_until_idle()
    assert port_of(va).state_name == "forwarding"
    assert br.carrier and br.operstate == IF_OPER_UP
    k.set_master(va, None)
    k.engine.run_until_idle()
    assert not br.carrier


def test_bridge_first_up_after_ports_lags_like_the_host():
    """Host 6.18: right after the first `ip link set br0 up` (ports forwarding) br0 lists DOWN with
    NO-CARRIER,...,UP,LOWER_UP and turns UP within a second: its qdisc was never attached, so
    linkwatch does not treat the carrier change as urgent (linkwatch_urgent_event())."""
    k = Kernel()
    br = k.newlink(k.init_ns, LinkRequest(name="br0", kind="bridge"))
    va = k.newlink(k.init_ns, LinkRequest(name="va", kind="veth", peer=LinkRequest(name="vb")))
    k.set_master(va, br)
    k.dev_open(va)
    k.dev_open(va.peer)
    x = k.newlink(k.init_ns, LinkRequest(name="x0", kind="veth", peer=LinkRequest(name="x1")))
    k.engine.run_for(5 * NSEC_PER_SEC)
    t = k.engine.now
    k.dev_open(x)
    k.dev_open(x.peer)               # an urgent linkwatch run now: the next lazy one is 1 s away
    k.engine.run_for(0)
    assert x.operstate == IF_OPER_UP and br.reported_operstate() == IF_OPER_DOWN
    k.dev_open(br)                   # carrier on from ndo_open waits for the next lazy run
    k.engine.run_for(0)
    assert br.carrier and br.reported_operstate() == IF_OPER_DOWN
    k.engine.run_for(NSEC_PER_SEC)
    assert br.carrier and br.qdisc_active and br.operstate == IF_OPER_UP
    assert k.engine.now == t + NSEC_PER_SEC


def test_bridge_mtu_is_the_smallest_port_mtu_unless_set():
    k = Kernel()
    br = k.newlink(k.init_ns, LinkRequest(name="br0", kind="bridge"))
    va = k.newlink(k.init_ns, LinkRequest(name="va", kind="veth", mtu=9000,
                                          peer=LinkRequest(name="vb")))
    vc = k.newlink(k.init_ns, LinkRequest(name="vc", kind="veth", peer=LinkRequest(name="vd")))
    k.set_master(va, br)
    assert br.mtu == 9000
    k.set_master(vc, br)
    assert br.mtu == 1500
    k.dev_set_mtu(vc, 1400)
    assert br.mtu == 1400
    k.set_master(vc, None)
    assert br.mtu == 9000
    k.dev_set_mtu(br, 1300)
    k.dev_set_mtu(va, 1200)
    assert br.mtu == 1300


def test_port_leaves_on_unregister_and_netns_move():
    lab = Lab(3)
    k, br = lab.k, lab.br
    lab.send(0, BCAST, mac(0xA))
    other = k.netns_add("other")
    k.dev_change_net_namespace(lab.ports[0], other)       # NETDEV_UNREGISTER, moving
    assert lab.ports[0].master is None and lab.ports[0].rx_handler is None
    assert mac(0xA) not in lab.fdb() and len(br.ports) == 2
    k.dellink(lab.ports[1])                               # deleting a port
    assert [p.dev.name for p in br.ports] == ["p2"]
    with pytest.raises(KernelError) as ei:                # the bridge itself stays put
        k.dev_change_net_namespace(br, other)
    assert ei.value.errno == EINVAL


def test_bridge_delete_releases_every_port():
    lab = Lab(2)
    k, br = lab.k, lab.br
    k.dellink(br)
    assert br.reg_state == "UNREGISTERED" and "br0" not in k.init_ns.by_name
    for p in lab.ports:
        assert p.master is None and p.rx_handler is None and p.promiscuity == 0
    lab.eng.run_until_idle()
    lab.send(0, BCAST)                                    # p0 is a plain veth again
    assert lab.got() == []


def test_fdb_api_add_del_replace_and_order():
    lab = Lab(2)
    br, p0, p1 = lab.br, lab.ports[0], lab.ports[1]
    br.fdb_add(mac(0x31), p0, "static")
    br.fdb_add(mac(0x32), p1)                              # default: permanent (local)
    br.fdb_add(mac(0x33), br)                              # towards the bridge itself
    with pytest.raises(KernelError) as ei:
        br.fdb_add(mac(0x31), p1)
    assert ei.value.errno == EEXIST
    with pytest.raises(KernelError) as ei:
        br.fdb_add(mac(0x34), br, "static")                # towards the bridge: permanent only
    assert ei.value.errno == EINVAL
    br.fdb_add(mac(0x31), p1, "static", replace=True)
    macs = [e.mac for e in br.fdb_entries()]
    assert macs[:3] == [mac(0x33), mac(0x32), mac(0x31)]   # newest first
    e = br.fdb_lookup(mac(0x31))
    assert e.dev is p1 and e.is_static and not e.is_local and e.added_by_user
    assert br.fdb_lookup(mac(0x33)).port is None and br.fdb_lookup(mac(0x33)).dev is br
    lab.send(0, mac(0x32))                                 # permanent = local: delivered up
    assert lab.got() == [] and lab.took_local() == ["br0"]
    lab.send(0, mac(0x31))                                 # static: forwarded to p1
    assert lab.got() == [1]
    with pytest.raises(KernelError) as ei:
        br.fdb_del(mac(0x31), p0)
    assert ei.value.errno == ENOENT
    br.fdb_del(mac(0x31), p1)
    assert br.fdb_lookup(mac(0x31)) is None
    # static entries never age; a user "dynamic" entry does
    br.fdb_add(mac(0x35), p0, "dynamic")
    lab.eng.run_for(301 * NSEC_PER_SEC)
    assert br.fdb_lookup(mac(0x35)) is None and br.fdb_lookup(mac(0x32)) is not None


def test_trace_reports_decisions():
    lab = Lab(2, trace=True)
    lab.send(0, BCAST, mac(0xA))
    lab.send(1, mac(0xA))
    hops = [(r[4], r[5]) for r in lab.k.trace.records if r[0] == "hop"]
    whats = [w for w, _ in hops]
    assert "br_fdb_update" in whats and "br_flood" in whats and "br_pass_frame_up" in whats
    assert ("br_forward", "02:00:00:00:00:0a known on p0 (BR-03)") in hops
