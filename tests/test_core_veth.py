"""kernel-spec §1 (CORE-01..09) and §6 (VETH-01..10) on the emulated stack, and, where the host kernel
can show the same thing, the same scenario on the host kernel (``*_matches_host_kernel``).

Expected values come from the spec (which cites the kernel function) or from the host kernel; the
host tests compare the emulator's answer with the host's, field by field.

Two helpers mirror what userspace sees:

* ``emu_view(dev)`` renders a device the way ``ip -j link show`` does (rtnl_fill_ifinfo() plus
  iproute2's print_link_flags()/print_name_and_link(): NO-CARRIER, M-DOWN, ``link`` or
  ``link_index``/``link_netnsid``); ``host.link(ns, name)`` parses the host's ``ip -j link show dev``.
* ``ip -j link show DEV`` is RTM_GETLINK, which runs linkwatch_sync_dev() on that device (6.8+);
  a dump (``ip -j link show``) does not. Timing tests use dumps on the host and ``Linkwatch``'s raw
  state on the emulator; the others compare settled states.
"""

from __future__ import annotations

import errno
import itertools
import json
import subprocess
import sys
import time

import pytest

from ipv6_off import lab_without_ipv6
from vnetlab.api import Lab  # noqa: F401

# The host side (HostLab.ns) disables IPv6 in each netns it makes, so ND/MLD frames stay out of the
# counters these tests compare; every emulated netns here does the same (ipv6_off.lab_without_ipv6).
from vnetlab.stack.errors import KernelError
from vnetlab.stack.kernel import LinkRequest
from vnetlab.stack.netdev import (IF_OPER_DORMANT, IF_OPER_DOWN, IF_OPER_LOWERLAYERDOWN,
                                  IF_OPER_TESTING, IF_OPER_UP, IFF_ALLMULTI, IFF_AUTOMEDIA,
                                  IFF_BROADCAST, IFF_DEBUG, IFF_DORMANT, IFF_DYNAMIC, IFF_ECHO,
                                  IFF_LOOPBACK, IFF_LOWER_UP, IFF_MASTER, IFF_MULTICAST,
                                  IFF_NOARP, IFF_NOTRAILERS, IFF_POINTOPOINT, IFF_PORTSEL,
                                  IFF_PROMISC, IFF_RUNNING, IFF_SLAVE, IFF_UP, OPERSTATE_NAMES,
                                  RX_HANDLER_ANOTHER, RX_HANDLER_CONSUMED, RX_HANDLER_PASS,
                                  NetDevice, default_operstate, dev_forward_skb, dev_queue_xmit,
                                  rx_handler_busy, rx_handler_register, rx_handler_unregister)
from vnetlab.stack.skb import (PACKET_BROADCAST, PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST,
                               Skb)
from vnetlab.wire import ethernet, icmp
from vnetlab.wire import ipv4 as wip

SEC = 1_000_000_000
MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"
ETH_P_EXP = 0x88B5          # IEEE local experimental EtherType: no protocol handler anywhere


# =============================================================================================
# emulator helpers
# =============================================================================================

_FLAG_ORDER = (("LOOPBACK", IFF_LOOPBACK), ("BROADCAST", IFF_BROADCAST),
               ("POINTOPOINT", IFF_POINTOPOINT), ("MULTICAST", IFF_MULTICAST),
               ("NOARP", IFF_NOARP), ("ALLMULTI", IFF_ALLMULTI), ("PROMISC", IFF_PROMISC),
               ("MASTER", IFF_MASTER), ("SLAVE", IFF_SLAVE), ("DEBUG", IFF_DEBUG),
               ("DYNAMIC", IFF_DYNAMIC), ("AUTOMEDIA", IFF_AUTOMEDIA), ("PORTSEL", IFF_PORTSEL),
               ("NOTRAILERS", IFF_NOTRAILERS), ("UP", IFF_UP), ("LOWER_UP", IFF_LOWER_UP),
               ("DORMANT", IFF_DORMANT), ("ECHO", IFF_ECHO))


def settle(lab: Lab) -> None:
    """What happens between two commands on a real system: work already due runs (linkwatch
    runs with no delay, the receive backlog); virtual time does not move."""
    lab.engine.run_now()


def ip_flags(dev: NetDevice) -> list[str]:
    """iproute2 print_link_flags() over dev_get_flags(), with M-DOWN from print_name_and_link()."""
    f = dev.get_flags()
    out = ["NO-CARRIER"] if f & IFF_UP and not f & IFF_RUNNING else []
    out += [name for name, bit in _FLAG_ORDER if f & bit]
    iflink = dev.get_iflink()
    if iflink and iflink != dev.ifindex and dev.get_link_net() is dev.ns:
        link = dev.ns.by_index.get(iflink)
        if link is None or not link.flags & IFF_UP:
            out.append("M-DOWN")
    return out


def emu_qdisc(dev: NetDevice) -> str:
    if not dev.qdisc_attached:
        return "noop"
    return "noqueue" if dev.no_queue else "pfifo_fast"


def emu_view(dev: NetDevice) -> dict:
    """One ``ip -j link show`` object (the fields compared with the host)."""
    ns = dev.ns
    v = {"ifindex": dev.ifindex, "ifname": dev.name, "flags": ip_flags(dev), "mtu": dev.mtu,
         "qdisc": emu_qdisc(dev), "operstate": OPERSTATE_NAMES[dev.reported_operstate()],
         "txqlen": dev.tx_queue_len}
    iflink, link_net = dev.get_iflink(), dev.get_link_net()
    if link_net is not ns:              # IFLA_LINK + IFLA_LINK_NETNSID
        v["link_index"] = iflink
        v["link_netnsid"] = ns.peernet_id(link_net)
    elif iflink != dev.ifindex:
        link = ns.by_index.get(iflink)
        v["link"] = link.name if link is not None else f"if{iflink}"
    return v


def emu_stats(dev: NetDevice) -> dict:
    st = dev.get_stats64()
    keys = ("rx_packets", "rx_bytes", "rx_dropped", "rx_otherhost_dropped", "rx_nohandler",
            "tx_packets", "tx_bytes", "tx_dropped")
    out = {k: st[k] for k in keys}
    out["carrier_changes"] = dev.carrier_changes
    return out


def frame(dst: str, src: str, etype: int = ETH_P_EXP, payload: bytes = bytes(50)) -> bytes:
    return ethernet.build(ethernet.mac_parse(dst), ethernet.mac_parse(src), etype, payload)


def echo_frame(dst_mac: str, src_mac: str, src_ip: str, dst_ip: str) -> bytes:
    pkt = wip.build(wip.aton(src_ip), wip.aton(dst_ip), 1, icmp.echo(0x1234, 1, b"x" * 32))
    return frame(dst_mac, src_mac, 0x0800, pkt)


def emu_send(lab: Lab, dev: NetDevice, frames, mark: int = 0) -> list[bool]:
    """An AF_PACKET sendto() on ``dev``: packet_snd() -> dev_queue_xmit()."""
    res = []
    for f in frames:
        skb = Skb(f, dev=dev)
        skb.mark = mark
        res.append(dev_queue_xmit(skb))
        settle(lab)
    return res


def emu_tap(dev: NetDevice, etype: int | None = ETH_P_EXP) -> list:
    """A packet tap (ptype_all) on ``dev``: records (frame, pkt_type, mark, priority) received."""
    seen = []

    def tap(skb, d, is_tx):
        if is_tx or (etype is not None and skb.protocol != etype):
            return
        seen.append((skb.data, skb.pkt_type, skb.mark, skb.priority))
    dev.ptype_all.append(tap)
    return seen


def pair(lab: Lab, a="A", b="B", ns=None, peer_ns=None, up=False, **kw):
    dev, peer = lab.add_veth(a, b, ns=ns, peer_ns=peer_ns, address=MAC_A, peer_address=MAC_B,
                             **kw)
    if up:
        lab.set_link(dev, up=True)
        lab.set_link(peer, up=True)
    settle(lab)
    return dev, peer


# =============================================================================================
# host helpers
# =============================================================================================

PKT_HELPER = r'''
import json, socket, sys
mode, ifname = sys.argv[1], sys.argv[2]
if mode == "recv":
    proto, n = int(sys.argv[3], 0), int(sys.argv[4])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
    s.bind((ifname, 0))
    s.settimeout(1.0)
    print("READY", flush=True)
    out = []
    try:
        while len(out) < n:
            data, addr = s.recvfrom(65535)
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            out.append([data.hex(), addr[2]])
    except socket.timeout:
        pass
    print(json.dumps(out), flush=True)
else:
    mark = int(sys.argv[3])
    frames = json.loads(sys.stdin.read())
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    if mark:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, mark)
    s.bind((ifname, 0))
    res = []
    for f in frames:
        try:
            s.send(bytes.fromhex(f))
            res.append(0)
        except OSError as e:
            res.append(e.errno)
    print(json.dumps(res), flush=True)
'''


class HostLab:
    """The ``host`` fixture plus: namespaces without IPv6 (its ND/MLD traffic would change the
    counters; the emulator has no IPv6), ``ip -j`` parsing, raw frames through AF_PACKET."""

    def __init__(self, host, tmp_path):
        self.host = host
        self.made: set[str] = set()
        self.helper = tmp_path / "pkt_helper.py"
        self.helper.write_text(PKT_HELPER)

    def ns(self, short: str) -> str:
        name = self.host.ns(short)
        if short not in self.made:
            self.made.add(short)
            self.host.run("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                          "net.ipv6.conf.default.disable_ipv6=1", ns=short)
        return name

    def sh(self, cmd: str, ns: str, check: bool = True) -> subprocess.CompletedProcess:
        self.ns(ns)
        return self.host.run(cmd, ns=ns, check=check)

    def link(self, ns: str, name: str) -> dict:
        """``ip -j link show dev NAME``: RTM_GETLINK (syncs that device's linkwatch event)."""
        d = json.loads(self.sh(f"ip -j link show dev {name}", ns).stdout)[0]
        return self._pick(d)

    def dump(self, ns: str) -> dict:
        """``ip -j link show``: a dump (linkwatch state as it is)."""
        return {d["ifname"]: self._pick(d) for d in json.loads(self.sh("ip -j link show", ns).stdout)}

    @staticmethod
    def _pick(d: dict) -> dict:
        keys = ("ifindex", "ifname", "flags", "mtu", "qdisc", "operstate", "txqlen", "link",
                "link_index", "link_netnsid")
        return {k: d[k] for k in keys if k in d}

    def names(self, ns: str) -> list[str]:
        return list(self.dump(ns))

    def stats(self, ns: str, name: str) -> dict:
        d = json.loads(self.sh(f"ip -s -s -j link show dev {name}", ns).stdout)[0]["stats64"]
        rx, tx = d["rx"], d["tx"]
        return {"rx_packets": rx["packets"], "rx_bytes": rx["bytes"], "rx_dropped": rx["dropped"],
                "rx_otherhost_dropped": rx.get("otherhost", 0),
                "rx_nohandler": rx.get("nohandler", 0),
                "tx_packets": tx["packets"], "tx_bytes": tx["bytes"], "tx_dropped": tx["dropped"],
                "carrier_changes": tx.get("carrier_changes", 0)}

    def send(self, ns: str, ifname: str, frames, mark: int = 0) -> list[int]:
        """AF_PACKET sendto() of each frame; the errno of each (0 = accepted)."""
        p = subprocess.run(["ip", "netns", "exec", self.ns(ns), sys.executable, str(self.helper),
                            "send", ifname, str(mark)], input=json.dumps([f.hex() for f in frames]),
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    def recv_start(self, ns: str, ifname: str, proto: int, n: int) -> subprocess.Popen:
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(ns), sys.executable, str(self.helper),
                              "recv", ifname, hex(proto), str(n)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        line = p.stdout.readline()
        assert line.strip() == "READY", p.stderr.read()
        return p

    @staticmethod
    def recv_end(p: subprocess.Popen) -> list:
        out, err = p.communicate(timeout=30)
        assert p.returncode == 0, err
        return [(bytes.fromhex(h), t) for h, t in json.loads(out)]


@pytest.fixture
def hl(host, tmp_path):
    return HostLab(host, tmp_path)


def host_errtext(p: subprocess.CompletedProcess) -> str:
    return p.stderr.strip()


def emu_errtext(e: KernelError) -> str:
    """iproute2's rendering of a refused request: extack, else the errno string."""
    if e.extack:                       # iproute2 ends the extack message with a period
        return f"Error: {e.extack}" + ("" if e.extack.endswith(".") else ".")
    return f"RTNETLINK answers: {errno_text(e.errno)}"


def errno_text(n: int) -> str:
    import os
    return os.strerror(n)


# =============================================================================================
# CORE-01 rx_handler slot
# =============================================================================================

def test_CORE_01_second_rx_handler_is_EBUSY():
    lab = lab_without_ipv6()
    a, _ = pair(lab)
    assert not rx_handler_busy(a)
    rx_handler_register(a, lambda skb: RX_HANDLER_PASS, "first")
    assert rx_handler_busy(a)
    with pytest.raises(KernelError) as ei:
        rx_handler_register(a, lambda skb: RX_HANDLER_PASS, "second")
    assert ei.value.errno == errno.EBUSY
    assert a.rx_handler_data == "first"          # the first registration is untouched
    rx_handler_unregister(a)
    rx_handler_register(a, lambda skb: RX_HANDLER_PASS, "third")
    assert a.rx_handler_data == "third"


def test_CORE_01_no_rx_handler_device_refuses_with_EINVAL():
    lab = lab_without_ipv6()
    a, _ = pair(lab)
    a.no_rx_handler = True                       # IFF_NO_RX_HANDLER (an ipvlan slave)
    assert rx_handler_busy(a)
    with pytest.raises(KernelError) as ei:
        rx_handler_register(a, lambda skb: RX_HANDLER_PASS, None)
    assert ei.value.errno == errno.EINVAL
    assert a.rx_handler is None


# =============================================================================================
# CORE-02 handler results and taps
# =============================================================================================

def _routed_pair(lab: Lab):
    """A (10.0.0.1, netns a) <-> B (10.0.0.2, netns b), both up."""
    a, b = pair(lab, ns=lab.netns("a"), peer_ns=lab.netns("b"), up=True)
    lab.add_addr(a, "10.0.0.1/24")
    lab.add_addr(b, "10.0.0.2/24")
    settle(lab)
    return a, b


def test_CORE_02_pass_continues_up_the_stack_of_the_same_device():
    lab = lab_without_ipv6()
    a, b = _routed_pair(lab)
    calls = []
    rx_handler_register(b, lambda skb: calls.append(skb.dev) or RX_HANDLER_PASS, None)
    assert lab.ping("10.0.0.2", ns="a", count=2, interval=0.2).received == 2
    assert calls and all(d is b for d in calls)


def test_CORE_02_consumed_goes_no_further():
    lab = lab_without_ipv6()
    a, b = _routed_pair(lab)
    calls = []
    rx_handler_register(b, lambda skb: calls.append(skb) or RX_HANDLER_CONSUMED, None)
    assert lab.ping("10.0.0.2", ns="a", count=1, wait=2).received == 0
    assert calls                                   # the handler saw the ARP request
    assert b.tx_packets == 0                       # and nothing above it answered


def test_CORE_02_taps_see_the_frame_before_the_rx_handler():
    lab = lab_without_ipv6()
    a, b = pair(lab, up=True)
    order = []
    b.ptype_all.append(lambda skb, d, tx: order.append("tap"))
    rx_handler_register(b, lambda skb: order.append("handler") or RX_HANDLER_CONSUMED, None)
    emu_send(lab, a, [frame(MAC_B, MAC_A)])
    assert order == ["tap", "handler"]


def test_CORE_02_another_restarts_on_the_new_device():
    lab = lab_without_ipv6()
    a, b = pair(lab, up=True)
    c, d = lab.add_veth("C", "D")
    seen_b, seen_c = [], []
    b.ptype_all.append(lambda skb, dev, tx: seen_b.append((dev, skb.iif)))
    c.ptype_all.append(lambda skb, dev, tx: seen_c.append((dev, skb.iif)))

    def handler(skb):
        skb.dev = c
        return RX_HANDLER_ANOTHER
    rx_handler_register(b, handler, None)
    emu_send(lab, a, [frame(MAC_B, MAC_A)])
    assert seen_b == [(b, b.ifindex)]
    assert seen_c == [(c, c.ifindex)]              # another_round: skb_iif = the new device
    # the taps of the new device were the last delivery: nobody counts a drop
    assert (b.rx_dropped, c.rx_dropped) == (0, 0)


def test_CORE_02_unhandled_protocol_counts_rx_dropped_unless_a_tap_took_it():
    lab = lab_without_ipv6()
    a, b = pair(lab, up=True)
    emu_send(lab, a, [frame(MAC_B, MAC_A)])
    # __netif_receive_skb_core(): no handler -> rx_dropped (rx_nohandler is for exact delivery)
    assert (b.rx_dropped, b.rx_nohandler) == (1, 0)
    emu_tap(b, None)
    emu_send(lab, a, [frame(MAC_B, MAC_A)])
    assert (b.rx_dropped, b.rx_nohandler) == (1, 0)    # delivered to the tap (pt_prev)
    rx_handler_register(b, lambda skb: RX_HANDLER_PASS, None)
    emu_send(lab, a, [frame(MAC_B, MAC_A)])
    assert b.rx_dropped == 2                       # the rx_handler flushed pt_prev


def test_CORE_02_matches_host_kernel(hl):
    hl.sh(f"ip link add A address {MAC_A} type veth peer name B address {MAC_B} && "
          "ip link set A up && ip link set B up", "x")
    f = frame(MAC_B, MAC_A)
    hl.send("x", "A", [f])
    no_tap = hl.stats("x", "B")
    p = hl.recv_start("x", "B", 0x0003, 1)         # ETH_P_ALL: a tap on B
    hl.send("x", "A", [f])
    hl.recv_end(p)
    tapped = hl.stats("x", "B")

    lab = lab_without_ipv6()
    a, b = pair(lab, up=True)
    emu_send(lab, a, [f])
    e_no_tap = emu_stats(b)
    emu_tap(b, None)
    emu_send(lab, a, [f])
    e_tapped = emu_stats(b)
    assert e_no_tap == no_tap
    assert e_tapped == tapped


# =============================================================================================
# CORE-03 dev_forward_skb
# =============================================================================================

def test_CORE_03_drops_when_target_is_not_up():
    lab = lab_without_ipv6()
    a, b = pair(lab)
    skb = Skb(frame(MAC_B, MAC_A), dev=a)
    assert dev_forward_skb(b, skb) is False
    assert b.rx_dropped == 1
    lab.set_link(b, up=True)
    assert dev_forward_skb(b, Skb(frame(MAC_B, MAC_A), dev=a)) is True
    assert b.rx_dropped == 1


@pytest.mark.parametrize("mtu", [68, 1500, 9000, 65535])
def test_CORE_03_length_limit_is_mtu_plus_hard_header_plus_4(mtu):
    lab = lab_without_ipv6()
    a, b = pair(lab, up=True, peer_mtu=mtu)
    limit = mtu + 14 + 4
    ok = Skb(frame(MAC_B, MAC_A, payload=bytes(limit - 14)), dev=a)
    too_long = Skb(frame(MAC_B, MAC_A, payload=bytes(limit - 13)), dev=a)
    assert len(ok.data) == limit and len(too_long.data) == limit + 1
    assert dev_forward_skb(b, ok) is True
    assert b.rx_dropped == 0
    assert dev_forward_skb(b, too_long) is False
    assert b.rx_dropped == 1


def test_CORE_03_scrubs_mark_only_across_netns_and_resets_priority():
    lab = lab_without_ipv6()
    a, b = pair(lab, up=True)
    c, d = lab.add_veth("C", "D", peer_ns=lab.netns("other"), address="02:00:00:00:00:0c",
                        peer_address="02:00:00:00:00:0d", up=True)
    lab.set_link(d, up=True)
    settle(lab)
    for src, dst in ((a, b), (c, d)):
        skb = Skb(frame(ethernet.mac_str(dst.addr), ethernet.mac_str(src.addr)), dev=src)
        skb.mark, skb.priority, skb.dst = 42, 6, object()
        assert dev_forward_skb(dst, skb)
        assert skb.priority == 0 and skb.dst is None and skb.dev is dst
        assert skb.mark == (42 if src.ns is dst.ns else 0)


def test_CORE_03_matches_host_kernel_length_boundary(hl):
    # A's MTU is larger so that AF_PACKET lets the long frames out; B's decides the drop.
    hl.sh(f"ip link add A mtu 2000 address {MAC_A} type veth peer name B address {MAC_B} && "
          "ip link set A up && ip link set B up", "x")
    f1518 = frame(MAC_B, MAC_A, payload=bytes(1504))
    f1519 = frame(MAC_B, MAC_A, payload=bytes(1505))
    h_res = hl.send("x", "A", [f1518, f1519])
    h = (hl.stats("x", "A"), hl.stats("x", "B"))

    lab = lab_without_ipv6()
    a, b = pair(lab, up=True, mtu=2000)
    e_res = emu_send(lab, a, [f1518, f1519])
    e = (emu_stats(a), emu_stats(b))
    assert e == h
    # the kernel's answer to the sender: accepted, then NET_XMIT_DROP (ENOBUFS)
    assert h_res == [0, errno.ENOBUFS]
    assert e_res == [True, True]                   # handed to the driver both times
    assert (a.tx_dropped, b.rx_dropped) == (1, 2)  # 1 too long; + the 1518 nobody handles


def test_CORE_03_matches_host_kernel_mark_scrub(hl):
    """The host shows skb->mark through policy routing: a rule ``fwmark 42 blackhole`` ahead of
    the local table swallows an ICMP echo that still carries the mark (Icmp InEchos stays 0)."""
    for ns in ("x", "y"):
        hl.sh("ip rule add pref 10 fwmark 42 blackhole && ip rule add pref 100 lookup local && "
              "ip rule del pref 0", ns)
    hl.sh(f"ip link add A address {MAC_A} type veth peer name B address {MAC_B} && "
          "ip link add C address 02:00:00:00:00:0c type veth peer name D "
          f"address 02:00:00:00:00:0d netns {hl.ns('y')} && "
          "ip addr add 10.0.0.2/24 dev B && ip link set A up && ip link set B up && "
          "ip link set C up", "x")
    hl.sh("ip addr add 10.0.0.2/24 dev D && ip link set D up", "y")
    hl.send("x", "A", [echo_frame(MAC_B, MAC_A, "10.0.0.9", "10.0.0.2")], mark=42)
    hl.send("x", "C", [echo_frame("02:00:00:00:00:0d", "02:00:00:00:00:0c", "10.0.0.9",
                                  "10.0.0.2")], mark=42)
    time.sleep(0.1)

    def in_echos(ns):
        lines = [ln.split() for ln in hl.sh("cat /proc/net/snmp", ns).stdout.splitlines()
                 if ln.startswith("Icmp:")]
        return int(lines[1][lines[0].index("InEchos")])
    host_kept = {"same netns": in_echos("x") == 0, "across netns": in_echos("y") == 0}

    lab = lab_without_ipv6()
    a, b = pair(lab, up=True)
    c, d = lab.add_veth("C", "D", peer_ns=lab.netns("y"), address="02:00:00:00:00:0c",
                        peer_address="02:00:00:00:00:0d", up=True)
    lab.set_link(d, up=True)
    seen_b, seen_d = emu_tap(b, 0x0800), emu_tap(d, 0x0800)
    emu_send(lab, a, [echo_frame(MAC_B, MAC_A, "10.0.0.9", "10.0.0.2")], mark=42)
    emu_send(lab, c, [echo_frame("02:00:00:00:00:0d", "02:00:00:00:00:0c", "10.0.0.9",
                                 "10.0.0.2")], mark=42)
    emu_kept = {"same netns": seen_b[0][2] == 42, "across netns": seen_d[0][2] == 42}
    assert emu_kept == host_kept == {"same netns": True, "across netns": False}


# =============================================================================================
# CORE-04 pkt_type
# =============================================================================================

DSTS = (MAC_B, "ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "33:33:00:00:00:01", MAC_A,
        "02:00:00:00:00:99")
EXPECTED_PKT_TYPES = [PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_MULTICAST,
                      PACKET_OTHERHOST, PACKET_OTHERHOST]


def test_CORE_04_pkt_type_from_destination_mac():
    lab = lab_without_ipv6()
    a, b = pair(lab, up=True)
    seen = emu_tap(b)
    emu_send(lab, a, [frame(dst, MAC_A) for dst in DSTS])
    # against the receiver's MAC: a frame to the sender's own MAC is OTHERHOST at the peer
    assert [t for _, t, _, _ in seen] == EXPECTED_PKT_TYPES


def test_CORE_04_ipv4_drops_otherhost_and_counts_it():
    lab = lab_without_ipv6()
    a, b = _routed_pair(lab)
    before = b.get_stats64()
    emu_send(lab, a, [echo_frame("02:00:00:00:00:99", MAC_A, "10.0.0.1", "10.0.0.2")])
    lab.run_for(1)
    st = b.get_stats64()
    assert st["rx_otherhost_dropped"] == before["rx_otherhost_dropped"] + 1
    assert st["rx_packets"] == before["rx_packets"] + 1   # counted by the peer's tx anyway
    assert st["tx_packets"] == before["tx_packets"]       # no echo reply, no ARP


def test_CORE_04_matches_host_kernel(hl):
    hl.sh(f"ip link add A address {MAC_A} type veth peer name B address {MAC_B} && "
          "ip addr add 10.0.0.2/24 dev B && ip link set A up && ip link set B up", "x")
    p = hl.recv_start("x", "B", ETH_P_EXP, len(DSTS))
    hl.send("x", "A", [frame(dst, MAC_A) for dst in DSTS])
    host_types = [t for _, t in hl.recv_end(p)]
    hl.send("x", "A", [echo_frame("02:00:00:00:00:99", MAC_A, "10.0.0.9", "10.0.0.2")])
    host_b = hl.stats("x", "B")

    lab = lab_without_ipv6()
    a, b = pair(lab, up=True)
    lab.add_addr(b, "10.0.0.2/24")
    seen = emu_tap(b)
    emu_send(lab, a, [frame(dst, MAC_A) for dst in DSTS])
    b.ptype_all.clear()
    emu_send(lab, a, [echo_frame("02:00:00:00:00:99", MAC_A, "10.0.0.9", "10.0.0.2")])
    assert [t for _, t, _, _ in seen] == host_types == EXPECTED_PKT_TYPES
    assert emu_stats(b) == host_b
    assert host_b["rx_otherhost_dropped"] == 1


# =============================================================================================
# CORE-05 operstate and linkwatch
# =============================================================================================

def test_CORE_05_default_operstate_rules():
    lab = lab_without_ipv6()
    a, b = pair(lab)
    lo = lab.ns().lo
    a.testing = True
    assert default_operstate(a) == IF_OPER_TESTING           # testing wins
    a.testing = False
    assert default_operstate(a) == IF_OPER_LOWERLAYERDOWN    # no carrier, peer neither
    b.carrier = True
    assert default_operstate(a) == IF_OPER_DOWN              # no carrier, the link device has
    a.carrier = True
    a.dormant = True
    assert default_operstate(a) == IF_OPER_DORMANT
    a.dormant = False
    assert default_operstate(a) == IF_OPER_UP
    lo.carrier = False
    assert default_operstate(lo) == IF_OPER_DOWN             # iflink == ifindex


def test_CORE_05_iflink_is_looked_up_in_the_devices_own_netns():
    lab = lab_without_ipv6()
    a, b = pair(lab, ns=lab.netns("n1"))
    lab.set_link(a, netns=lab.netns("n2"))
    # B (ifindex 2 in n1) links to A's index 3 in n2; in n1 index 3 is free -> DOWN
    assert (b.ifindex, b.get_iflink()) == (2, 3)
    assert default_operstate(b) == IF_OPER_DOWN
    x = lab.kernel.newlink(lab.ns("n1"), LinkRequest(name="X", kind="veth", index=3,
                                                     peer=LinkRequest(name="Y")))
    assert x.ifindex == 3 and not x.carrier
    assert default_operstate(b) == IF_OPER_LOWERLAYERDOWN    # whatever n2's index 3 says


def test_CORE_05_a_device_that_is_not_running_reports_DOWN():
    lab = lab_without_ipv6()
    a, b = pair(lab, up=True)
    lab.run_for(2)
    assert a.operstate == IF_OPER_UP
    lab.set_link(a, up=False)
    assert a.reported_operstate() == IF_OPER_DOWN            # even before linkwatch ran
    assert not a.get_flags() & (IFF_RUNNING | IFF_LOWER_UP)


def test_CORE_05_loopback_up_is_UNKNOWN_and_running():
    lab = lab_without_ipv6()
    lo = lab.ns().lo
    assert emu_view(lo)["operstate"] == "DOWN" and emu_view(lo)["flags"] == ["LOOPBACK"]
    lab.set_link("lo", up=True)
    lab.run_for(2)
    v = emu_view(lo)
    assert v["operstate"] == "UNKNOWN"
    assert v["flags"] == ["LOOPBACK", "UP", "LOWER_UP"] and lo.get_flags() & IFF_RUNNING


def test_CORE_05_carrier_loss_of_a_paired_device_is_applied_at_once():
    """linkwatch_urgent_event(): iflink != ifindex is urgent, so the same instant."""
    lab = lab_without_ipv6()
    a, b = pair(lab, up=True)
    lab.run_for(0.1)                   # a full linkwatch run 0.1 s ago: the window is open
    lab.set_link(b, up=False)
    t = lab.now
    settle(lab)
    assert lab.now == t
    assert a.operstate == IF_OPER_LOWERLAYERDOWN
    assert emu_view(a)["flags"] == ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP", "M-DOWN"]


def test_CORE_05_non_urgent_carrier_loss_waits_for_the_one_second_window():
    """Across netns with equal ifindexes (iflink == ifindex) a running veth's carrier loss is not
    urgent: applied no sooner than one second after the previous full linkwatch run (§13)."""
    lab = lab_without_ipv6()
    a, b = pair(lab, ns=lab.netns("n1"), peer_ns=lab.netns("n2"), up=True)
    assert a.ifindex == b.ifindex == a.get_iflink() == 2
    lab.run_for(2)
    assert a.operstate == IF_OPER_UP
    lab.set_link(b, up=False)          # nothing ran for 2 s: a full run, now
    settle(lab)
    t0 = lab.now
    assert a.operstate == IF_OPER_DOWN
    lab.set_link(b, up=True)           # A's carrier-on with a deactivated qdisc: urgent
    settle(lab)
    assert a.operstate == IF_OPER_UP
    # B's own carrier-on fired while its qdisc was deactivated (urgent), but __dev_open()'s
    # dev_activate() ran before the work: at run time B is not urgent and waits for t0 + 1 s
    assert b.operstate == IF_OPER_DOWN and b.carrier
    lab.run_for(0.1)
    lab.set_link(b, up=False)          # not urgent for A: waits until t0 + 1 s
    settle(lab)
    assert a.operstate == IF_OPER_UP and not a.carrier
    assert emu_view(a)["flags"] == ["BROADCAST", "MULTICAST", "UP"]   # §13: UP w/o LOWER_UP
    lab.engine.run_until(t0 + SEC - 1)
    assert a.operstate == IF_OPER_UP
    lab.engine.run_until(t0 + SEC)
    assert a.operstate == IF_OPER_DOWN and b.operstate == IF_OPER_DOWN
    assert emu_view(a)["flags"] == ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP"]


def test_CORE_05_getlink_syncs_the_pending_event_of_that_device():
    lab = lab_without_ipv6()
    a, b = pair(lab, ns=lab.netns("n1"), peer_ns=lab.netns("n2"), up=True)
    lab.run_for(2)
    lab.set_link(b, up=False)
    settle(lab)
    lab.set_link(b, up=True)
    settle(lab)
    lab.set_link(b, up=False)
    settle(lab)
    assert a.operstate == IF_OPER_UP and a.lw_pending
    lab.kernel.linkwatch.sync_dev(a)   # rtnl_getlink() -> linkwatch_sync_dev()
    assert a.operstate == IF_OPER_DOWN and not a.lw_pending


def test_CORE_05_first_open_carrier_on_is_not_urgent_when_iflink_is_ifindex():
    """The end opened second gets carrier inside ndo_open, before its qdisc was ever attached:
    qdisc_tx_changing() is false, so it waits for the window (operstate DOWN with LOWER_UP)."""
    lab = lab_without_ipv6()
    a, b = pair(lab, ns=lab.netns("n1"), peer_ns=lab.netns("n2"))
    lab.run_for(0.05)
    lab.set_link(a, up=True)
    lab.run_for(0.05)
    lab.set_link(b, up=True)
    lab.run_for(0.05)
    assert emu_view(a)["operstate"] == "UP"
    vb = emu_view(b)
    assert (vb["operstate"], vb["flags"]) == (
        "DOWN", ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP", "LOWER_UP"])
    lab.run_for(1.1)
    assert emu_view(b)["operstate"] == "UP"


def _emu_script(lab, steps):
    """Run (ns, cmd) steps written as ``ip link set NAME up|down`` on the emulator."""
    for ns, cmd in steps:
        _, _, _, name, state = cmd.split()
        lab.set_link(name, ns=ns, up=state == "up")
        settle(lab)


def test_CORE_05_matches_host_kernel_settled_states(hl):
    """Same netns; every state read with RTM_GETLINK (synced), as ``ip link show dev``."""
    hl.sh("ip link add A type veth peer name B", "x")
    lab = lab_without_ipv6()
    lab.add_veth("A", "B", ns=lab.netns("x"))
    settle(lab)
    steps = ["ip link set B up", "ip link set A up", "ip link set B down", "ip link set B up",
             "ip link set A down", "ip link set lo up"]
    for cmd in steps:
        hl.sh(cmd, "x")
        _, _, _, name, state = cmd.split()
        lab.set_link(name, ns="x", up=state == "up")
        settle(lab)
        for name in ("lo", "A", "B"):
            dev = lab.dev(name, "x")
            lab.kernel.linkwatch.sync_dev(dev)
            assert emu_view(dev) == hl.link("x", name), (cmd, name)


def test_CORE_05_matches_host_kernel_linkwatch_lag(hl):
    """Across netns with equal ifindexes: dumps show the stale state until the window closes;
    RTM_GETLINK of the device syncs it (§13 linkwatch lag)."""
    n2 = hl.ns("n2")
    hl.sh(f"ip link add A type veth peer name B netns {n2} && ip link set A up", "n1")
    hl.sh("ip link set B up", "n2")
    time.sleep(1.2)                    # no linkwatch run in the last second
    hl.sh("ip link set B down", "n2")  # a full run at once: A DOWN, new window
    time.sleep(0.05)
    hl.sh("ip link set B up", "n2")    # urgent (deactivated qdisc): A UP
    time.sleep(0.05)
    host_b_up = (hl.dump("n1")["A"], hl.dump("n2")["B"])
    hl.sh("ip link set B down", "n2")  # not urgent for A: waits for the window
    host_stale = hl.dump("n1")["A"]
    host_synced = hl.link("n1", "A")
    host_after = hl.dump("n1")["A"]

    lab = lab_without_ipv6()
    a, b = lab.add_veth("A", "B", ns=lab.netns("n1"), peer_ns=lab.netns("n2"))
    lab.set_link(a, up=True)
    lab.set_link(b, up=True)
    lab.run_for(1.2)
    lab.set_link(b, up=False)
    lab.run_for(0.05)
    lab.set_link(b, up=True)
    lab.run_for(0.05)
    emu_b_up = (emu_view(a), emu_view(b))
    lab.set_link(b, up=False)
    settle(lab)
    emu_stale = emu_view(a)
    lab.kernel.linkwatch.sync_dev(a)
    assert emu_b_up == host_b_up
    assert emu_stale == host_stale
    assert emu_view(a) == host_synced == host_after
    assert (host_stale["operstate"], host_synced["operstate"]) == ("UP", "DOWN")


def test_CORE_05_matches_host_kernel_first_open_lag(hl):
    n2 = hl.ns("n2")
    hl.sh(f"ip link add A type veth peer name B netns {n2}", "n1")
    time.sleep(0.05)
    hl.sh("ip link set A up", "n1")
    time.sleep(0.05)
    hl.sh("ip link set B up", "n2")
    time.sleep(0.05)
    host_now = (hl.dump("n1")["A"], hl.dump("n2")["B"])
    time.sleep(1.1)
    host_later = (hl.dump("n1")["A"], hl.dump("n2")["B"])

    lab = lab_without_ipv6()
    a, b = lab.add_veth("A", "B", ns=lab.netns("n1"), peer_ns=lab.netns("n2"))
    lab.run_for(0.05)
    lab.set_link(a, up=True)
    lab.run_for(0.05)
    lab.set_link(b, up=True)
    lab.run_for(0.05)
    emu_now = (emu_view(a), emu_view(b))
    lab.run_for(1.1)
    emu_later = (emu_view(a), emu_view(b))
    assert emu_now == host_now
    assert emu_later == host_later
    assert host_now[1]["operstate"] == "DOWN" and "LOWER_UP" in host_now[1]["flags"]


# =============================================================================================
# CORE-06 stacked carrier
# =============================================================================================

def test_CORE_06_stacked_device_copies_carrier_dormant_testing_not_admin_state():
    lab = lab_without_ipv6()
    a, b = pair(lab)
    upper = NetDevice(lab.kernel, "upper0")
    lab.kernel.register_netdevice(upper, lab.ns())
    assert upper.carrier
    upper.stacked_transfer_operstate(a)          # the lower has no carrier
    assert not upper.carrier and not upper.up
    lab.set_link(a, up=True)
    lab.set_link(b, up=True)
    a.set_dormant(True)
    a.set_testing(True)
    upper.stacked_transfer_operstate(a)
    assert upper.carrier and upper.dormant and upper.testing
    assert not upper.up                          # UP is not copied
    lab.kernel.dev_open(upper)
    lab.set_link(a, up=False)                    # nor is DOWN
    upper.stacked_transfer_operstate(a)
    assert upper.up and not upper.carrier


# =============================================================================================
# CORE-07 IFLA_LINK / the name column
# =============================================================================================

def test_CORE_07_same_netns_link_name_and_M_DOWN():
    lab = lab_without_ipv6()
    a, b = pair(lab)
    assert emu_view(a)["link"] == "B" and emu_view(b)["link"] == "A"
    assert "M-DOWN" in emu_view(a)["flags"]
    lab.set_link(b, up=True)
    settle(lab)
    assert "M-DOWN" not in emu_view(a)["flags"]
    assert emu_view(b)["flags"] == ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP", "M-DOWN"]


def test_CORE_07_other_netns_link_index_and_netnsid():
    lab = lab_without_ipv6()
    a, b = pair(lab, peer_ns=lab.netns("n2"))
    va, vb = emu_view(a), emu_view(b)
    assert "link" not in va and va["link_index"] == b.ifindex and va["link_netnsid"] == 0
    assert vb["link_index"] == a.ifindex and vb["link_netnsid"] == 0
    assert "M-DOWN" not in va["flags"]           # ip cannot see the other netns' flags
    assert a.get_link_net() is lab.ns("n2") and b.get_link_net() is lab.ns()


def test_CORE_07_matches_host_kernel(hl):
    n2 = hl.ns("n2")
    hl.sh(f"ip link add A type veth peer name B && ip link add C type veth peer name D "
          f"netns {n2} && ip link set B up && ip link set C up", "n1")
    lab = lab_without_ipv6()
    lab.add_veth("A", "B", ns=lab.netns("n1"))
    lab.add_veth("C", "D", ns="n1", peer_ns=lab.netns("n2"))
    lab.set_link("B", ns="n1", up=True)
    lab.set_link("C", ns="n1", up=True)
    lab.run_for(1.1)
    for ns, names in (("n1", ("A", "B", "C")), ("n2", ("D",))):
        for name in names:
            assert emu_view(lab.dev(name, ns)) == hl.link(ns, name), name


# =============================================================================================
# CORE-08 moving a device to another netns
# =============================================================================================

def test_CORE_08_move_closes_flushes_and_keeps_ifindex():
    lab = lab_without_ipv6()
    n1, n2 = lab.netns("n1"), lab.netns("n2")
    a, b = pair(lab, ns=n1, up=True)
    lab.add_addr(a, "10.0.0.1/24")
    a.uc.append(b"\x02" * 6)
    a.mc.append(b"\x01\x00\x5e\x00\x00\x05")
    idx = a.ifindex
    lab.set_link(a, netns=n2)
    assert a.ns is n2 and n2.get("A") is a and n1.get("A") is None
    assert a.ifindex == idx
    # The move flushes uc/mc; then IPv6's NETDEV_REGISTER in n2 (ipv6_add_dev) joins ff01::1 and
    # ff02::1 even with disable_ipv6=1: two references to 33:33:00:00:00:01 (host 6.18 `ip maddr`
    # shows that link group on a new veth in a netns with IPv6 disabled).
    allnodes = [b"\x33\x33\x00\x00\x00\x01"] * 2 if lab.kernel.ipv6_enabled else []
    assert not a.up and lab.addrs(a) == [] and a.uc == [] and a.mc == allnodes
    assert not lab.ns(n2).ipv4.is_local(wip.to_int(wip.aton("10.0.0.1")))
    assert not lab.ns(n1).ipv4.is_local(wip.to_int(wip.aton("10.0.0.1")))


def test_CORE_08_ifindex_taken_in_the_target_gets_a_new_one():
    lab = lab_without_ipv6()
    n1, n2 = lab.netns("n1"), lab.netns("n2")
    a, b = lab.add_veth("A", "B", ns=n1)          # B 2, A 3 in n1
    p, q = lab.add_veth("P", "Q", ns=n2)          # Q 2, P 3 in n2
    lab.set_link(p, netns=n1)
    assert p.ifindex == 4                         # 3 is A's: n1's allocator hands out 4
    lab.set_link(a, netns=n2)
    assert a.ifindex == 3                         # 3 is free again in n2


def test_CORE_08_refusals():
    lab = lab_without_ipv6()
    n2 = lab.netns("n2")
    lab.add_veth("A", "B")
    lab.add_veth("A", "X", ns=n2)
    with pytest.raises(KernelError) as ei:
        lab.set_link("A", netns=n2)
    assert ei.value.errno == errno.EEXIST
    with pytest.raises(KernelError) as ei:
        lab.set_link("lo", netns=n2)
    assert ei.value.errno == errno.EINVAL


def test_CORE_08_matches_host_kernel(hl):
    n1, n2 = hl.ns("n1"), hl.ns("n2")
    hl.sh("ip link add A type veth peer name B && ip addr add 10.0.0.1/24 dev A && "
          "ip link set A up && ip link set B up", "n1")
    hl.sh("ip link add P type veth peer name Q && ip link add B type veth peer name Z", "n2")
    hl.sh(f"ip link set P netns {n1}", "n2")
    hl.sh(f"ip link set A netns {n2}", "n1")
    host_move_err = host_errtext(hl.sh(f"ip link set B netns {n2}", "n1", check=False))
    host_lo_err = host_errtext(hl.sh(f"ip link set lo netns {n2}", "n1", check=False))
    host_addrs = json.loads(hl.sh("ip -j addr show dev A", "n2").stdout)[0].get("addr_info", [])

    lab = lab_without_ipv6()
    ln1, ln2 = lab.netns("n1"), lab.netns("n2")
    lab.add_veth("A", "B", ns=ln1)
    lab.add_addr("A", "10.0.0.1/24", ns=ln1)
    lab.set_link("A", ns=ln1, up=True)
    lab.set_link("B", ns=ln1, up=True)
    lab.add_veth("P", "Q", ns=ln2)
    lab.add_veth("B", "Z", ns=ln2)
    lab.set_link("P", ns=ln2, netns=ln1)
    lab.set_link("A", ns=ln1, netns=ln2)
    errs = []
    for name in ("B", "lo"):
        with pytest.raises(KernelError) as ei:
            lab.set_link(name, ns=ln1, netns=ln2)
        errs.append(emu_errtext(ei.value))
    lab.run_for(1.1)
    assert errs == [host_move_err, host_lo_err]
    assert lab.addrs("A", ln2) == host_addrs == []
    for ns in ("n1", "n2"):
        got = {n: emu_view(d) for n, d in ((d.name, d) for d in lab.ns(ns).devices)}
        want = {n: hl.link(ns, n) for n in hl.names(ns)}
        assert got == want, ns


# =============================================================================================
# CORE-09 queue length and noqueue
# =============================================================================================

def test_CORE_09_qlen_1000_and_noqueue_once_opened():
    lab = lab_without_ipv6()
    a, b = pair(lab)
    lo = lab.ns().lo
    for dev in (lo, a, b):
        assert dev.tx_queue_len == 1000 and dev.no_queue
        assert emu_view(dev)["qdisc"] == "noop"            # nothing attached yet
    for dev in (lo, a):
        lab.set_link(dev, up=True)
        assert emu_view(dev)["qdisc"] == "noqueue"
    lab.set_link(a, up=False)
    assert emu_view(a)["qdisc"] == "noqueue"               # stays attached when down
    assert emu_view(b)["qdisc"] == "noop"
    lab.set_link(a, netns=lab.netns("n2"))
    assert emu_view(a)["qdisc"] == "noop"                  # dev_shutdown() on the move


def test_CORE_09_matches_host_kernel(hl):
    n2 = hl.ns("n2")
    hl.sh("ip link add A type veth peer name B && ip link add C txqlen 500 type veth peer "
          "name D && ip link set lo up && ip link set A up && ip link set A down && "
          "ip link set C up", "n1")
    hl.sh(f"ip link set C netns {n2}", "n1")
    lab = lab_without_ipv6()
    n1 = lab.netns("n1")
    lab.add_veth("A", "B", ns=n1)
    lab.kernel.newlink(n1, LinkRequest(name="C", kind="veth", txqlen=500,
                                       peer=LinkRequest(name="D")))
    for name, up in (("lo", True), ("A", True), ("A", False), ("C", True)):
        lab.set_link(name, ns=n1, up=up)
    lab.set_link("C", ns=n1, netns=lab.netns("n2"))
    lab.run_for(1.1)
    for ns, names in (("n1", ("lo", "A", "B", "D")), ("n2", ("C",))):
        for name in names:
            assert emu_view(lab.dev(name, ns)) == hl.link(ns, name), name


# =============================================================================================
# VETH-01 creation order, names, MACs, carrier
# =============================================================================================

def test_VETH_01_peer_is_registered_first():
    lab = lab_without_ipv6()
    a, b = lab.add_veth("A", "B")
    assert (lab.ns().lo.ifindex, b.ifindex, a.ifindex) == (1, 2, 3)
    assert [d.name for d in lab.ns().devices] == ["lo", "B", "A"]


def test_VETH_01_default_names_are_veth_N():
    lab = lab_without_ipv6()
    k, ns = lab.kernel, lab.ns()
    d1 = k.newlink(ns, LinkRequest(kind="veth"))
    assert (d1.peer.name, d1.peer.ifindex, d1.name, d1.ifindex) == ("veth0", 2, "veth1", 3)
    d2 = k.newlink(ns, LinkRequest(name="A", kind="veth"))
    assert d2.peer.name == "veth2"


def test_VETH_01_random_distinct_local_unicast_macs_and_no_carrier():
    lab = lab_without_ipv6()
    a, b = lab.add_veth("A", "B")
    for d in (a, b):
        assert d.addr[0] & 0x02 and not d.addr[0] & 0x01     # locally administered unicast
        assert d.addr_assign_type == 1                         # NET_ADDR_RANDOM
        assert not d.carrier and d.carrier_changes == 1
    assert a.addr != b.addr
    c, d = lab.add_veth("C", "D", address=MAC_A, peer_address=MAC_B)
    assert (c.addr, d.addr) == (ethernet.mac_parse(MAC_A), ethernet.mac_parse(MAC_B))
    assert c.addr_assign_type == d.addr_assign_type == 3     # NET_ADDR_SET


def test_VETH_01_matches_host_kernel(hl):
    hl.sh("ip link add type veth && ip link add A type veth && "
          f"ip link add C address {MAC_A} type veth peer name D", "x")
    host_assign = {n: int(hl.sh(f"cat /sys/class/net/{n}/addr_assign_type", "x").stdout)
                   for n in ("veth0", "A", "C", "D")}
    host = {n: v for n, v in hl.dump("x").items()}
    host_cc = {n: hl.stats("x", n)["carrier_changes"] for n in host if n != "lo"}

    lab = lab_without_ipv6()
    x = lab.netns("x")
    lab.kernel.newlink(x, LinkRequest(kind="veth"))
    lab.kernel.newlink(x, LinkRequest(name="A", kind="veth"))
    lab.add_veth("C", "D", ns=x, address=MAC_A)
    lab.run_for(1.1)
    assert {d.name: emu_view(d) for d in x.devices} == host
    assert {n: lab.dev(n, x).addr_assign_type for n in host_assign} == host_assign
    assert {n: lab.dev(n, x).carrier_changes for n in host_cc} == host_cc


# =============================================================================================
# VETH-02 IFLA_LINK
# =============================================================================================

def test_VETH_02_iflink_is_the_peer_index_and_follows_moves():
    lab = lab_without_ipv6()
    a, b = lab.add_veth("A", "B")
    assert (a.get_iflink(), b.get_iflink()) == (b.ifindex, a.ifindex)
    n2 = lab.netns("n2")
    p, q = lab.add_veth("P", "Q", ns=n2)                # Q 2, P 3 in n2
    lab.set_link(a, netns=n2)                           # A's 3 is taken in n2 -> 4
    assert a.ifindex == 4 and b.get_iflink() == 4
    assert b.get_link_net() is n2 and a.get_link_net() is lab.ns()
    v = emu_view(b)
    assert v["link_index"] == 4 and v["link_netnsid"] == 0


def test_VETH_02_matches_host_kernel(hl):
    n2 = hl.ns("n2")
    hl.sh(f"ip link add A type veth peer name B netns {n2} && ip link add E type veth "
          f"peer name F", "n1")
    hl.sh("ip link add P type veth peer name Q", "n2")
    hl.sh(f"ip link set E netns {n2}", "n1")
    lab = lab_without_ipv6()
    ln1, ln2 = lab.netns("n1"), lab.netns("n2")
    lab.add_veth("A", "B", ns=ln1, peer_ns=ln2)
    lab.add_veth("E", "F", ns=ln1)
    lab.add_veth("P", "Q", ns=ln2)
    lab.set_link("E", ns=ln1, netns=ln2)
    lab.run_for(1.1)
    for ns in ("n1", "n2"):
        assert {d.name: emu_view(d) for d in lab.ns(ns).devices} == hl.dump(ns), ns


# =============================================================================================
# VETH-03 carrier
# =============================================================================================

def test_VETH_03_carrier_needs_both_ends_up():
    lab = lab_without_ipv6()
    a, b = lab.add_veth("A", "B")
    lab.set_link(a, up=True)
    assert not a.carrier and not b.carrier             # peer not up: no carrier
    lab.set_link(b, up=True)
    assert a.carrier and b.carrier
    settle(lab)
    assert a.get_flags() & IFF_RUNNING and b.get_flags() & IFF_RUNNING
    lab.set_link(a, up=False)                          # closing either end: both lose it
    assert not a.carrier and not b.carrier
    lab.set_link(a, up=True)
    lab.set_link(b, up=False)
    assert not a.carrier and not b.carrier
    settle(lab)
    assert not a.get_flags() & IFF_RUNNING
    # each transition counted on both ends: creation off, on, off, on, off
    assert a.carrier_changes == b.carrier_changes == 5


def test_VETH_03_matches_host_kernel(hl):
    hl.sh("ip link add A type veth peer name B", "x")
    lab = lab_without_ipv6()
    lab.add_veth("A", "B", ns=lab.netns("x"))
    settle(lab)
    for cmd in ("ip link set A up", "ip link set B up", "ip link set A down",
                "ip link set A up", "ip link set B down"):
        hl.sh(cmd, "x")
        _, _, _, name, state = cmd.split()
        lab.set_link(name, ns="x", up=state == "up")
        settle(lab)
        for n in ("A", "B"):
            dev = lab.dev(n, "x")
            lab.kernel.linkwatch.sync_dev(dev)
            assert emu_view(dev) == hl.link("x", n), (cmd, n)
            assert dev.carrier_changes == hl.stats("x", n)["carrier_changes"], (cmd, n)


# =============================================================================================
# VETH-04 operstate of an UP end whose peer is DOWN
# =============================================================================================

def test_VETH_04_peer_down_in_the_same_netns_is_LOWERLAYERDOWN_with_M_DOWN():
    lab = lab_without_ipv6()
    a, b = lab.add_veth("A", "B")
    lab.set_link(a, up=True)
    settle(lab)
    v = emu_view(a)
    assert v["operstate"] == "LOWERLAYERDOWN"
    assert v["flags"] == ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP", "M-DOWN"]


def test_VETH_04_peer_down_in_another_netns_depends_on_the_local_index():
    lab = lab_without_ipv6()
    n1, n2 = lab.netns("n1"), lab.netns("n2")
    a, b = lab.add_veth("A", "B", ns=n1)               # B 2, A 3
    lab.set_link(a, netns=n2)                          # A keeps 3 in n2
    lab.set_link(b, up=True)
    lab.run_for(1.1)
    assert emu_view(b)["operstate"] == "DOWN"          # index 3 is free in n1
    assert emu_view(b)["flags"] == ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP"]

    def bounce():                                      # a carrier event for B
        lab.set_link(a, up=True)
        settle(lab)
        lab.set_link(a, up=False)
        lab.run_for(1.1)
    c = lab.kernel.newlink(n1, LinkRequest(name="C", kind="veth", index=3,
                                           peer=LinkRequest(name="D")))
    assert c.ifindex == 3
    bounce()
    assert emu_view(b)["operstate"] == "LOWERLAYERDOWN"   # n1's index 3 (C) has no carrier
    lab.set_link(c, up=True)
    lab.set_link(c.peer, up=True)
    bounce()
    assert emu_view(b)["operstate"] == "DOWN"             # ... and now it has


def test_VETH_04_matches_host_kernel(hl):
    """Settles [VERIFY] VETH-04 on the host: the peer's index is looked up in the local netns."""
    n2 = hl.ns("n2")
    hl.sh(f"ip link add A type veth peer name B && ip link set A netns {n2} && "
          "ip link set B up", "n1")
    seen_host = [hl.link("n1", "B")]

    def host_bounce():
        hl.sh("ip link set A up && ip link set A down", "n2")
    hl.sh("ip link add C index 3 type veth peer name D", "n1")
    host_bounce()
    seen_host.append(hl.link("n1", "B"))
    hl.sh("ip link set C up && ip link set D up", "n1")
    host_bounce()
    seen_host.append(hl.link("n1", "B"))
    host_cd = (hl.link("n1", "C"), hl.link("n1", "D"))

    lab = lab_without_ipv6()
    ln1, ln2 = lab.netns("n1"), lab.netns("n2")
    a, b = lab.add_veth("A", "B", ns=ln1)
    lab.set_link(a, netns=ln2)
    lab.set_link(b, up=True)
    settle(lab)

    def emu_bounce():
        lab.set_link(a, up=True)
        settle(lab)
        lab.set_link(a, up=False)
        settle(lab)
    views = []
    lab.kernel.linkwatch.sync_dev(b)
    views.append(emu_view(b))
    c = lab.kernel.newlink(ln1, LinkRequest(name="C", kind="veth", index=3,
                                            peer=LinkRequest(name="D")))
    emu_bounce()
    lab.kernel.linkwatch.sync_dev(b)
    views.append(emu_view(b))
    lab.set_link(c, up=True)
    lab.set_link(c.peer, up=True)
    settle(lab)
    emu_bounce()
    lab.kernel.linkwatch.sync_dev(b)
    views.append(emu_view(b))
    for d in (c, c.peer):
        lab.kernel.linkwatch.sync_dev(d)
    assert views == seen_host
    assert (emu_view(c), emu_view(c.peer)) == host_cd
    assert [v["operstate"] for v in seen_host] == ["DOWN", "LOWERLAYERDOWN", "DOWN"]


# =============================================================================================
# VETH-05 an UP peer is always RUNNING
# =============================================================================================

def test_VETH_05_both_ends_up_means_both_running_after_any_sequence():
    ops = ("A+", "A-", "B+", "B-", "mvA")
    checked = 0
    for n in range(1, 5):
        for seq in itertools.product(ops, repeat=n):
            lab = lab_without_ipv6()
            n1, n2 = lab.netns("n1"), lab.netns("n2")
            a, b = lab.add_veth("A", "B", ns=n1)
            for op in seq:
                if op == "mvA":
                    lab.set_link(a, netns=n2 if a.ns is n1 else n1)
                else:
                    lab.set_link(a if op[0] == "A" else b, up=op[1] == "+")
                lab.run_for(1.1)
                assert a.carrier == b.carrier == (a.up and b.up), seq
                for x, peer in ((a, b), (b, a)):
                    if x.up and peer.up:
                        assert x.get_flags() & IFF_RUNNING and x.operstate == IF_OPER_UP, seq
                    elif x.up:
                        assert not x.get_flags() & (IFF_RUNNING | IFF_LOWER_UP), seq
                checked += 1
    assert checked > 500


# =============================================================================================
# VETH-06 transmit
# =============================================================================================

def test_VETH_06_peer_not_up_drops_with_sender_tx_and_receiver_rx_dropped():
    lab = lab_without_ipv6()
    a, b = pair(lab, up=True)
    lab.set_link(b, up=False)
    # the driver is reached only in the window before linkwatch deactivates A's qdisc
    a.ndo_start_xmit(Skb(frame(MAC_B, MAC_A), dev=a))
    assert (a.tx_dropped, b.rx_dropped, a.tx_packets, b.get_stats64()["rx_packets"]) == (1, 1, 0, 0)


def test_VETH_06_without_carrier_the_noop_qdisc_drops_on_the_sender_only():
    lab = lab_without_ipv6()
    a, b = pair(lab, up=True)
    lab.set_link(b, up=False)
    settle(lab)
    assert emu_send(lab, a, [frame(MAC_B, MAC_A)]) == [False]
    assert (a.tx_dropped, b.rx_dropped, a.tx_packets) == (1, 0, 0)


def test_VETH_06_too_long_for_the_peer_mtu():
    lab = lab_without_ipv6()
    a, b = pair(lab, up=True, mtu=9000, peer_mtu=1500)
    seen = emu_tap(b)
    emu_send(lab, a, [frame(MAC_B, MAC_A, payload=bytes(1504)),
                      frame(MAC_B, MAC_A, payload=bytes(1505))])
    assert [len(f) for f, _, _, _ in seen] == [1518]
    assert (a.tx_packets, a.tx_bytes, a.tx_dropped) == (1, 1518, 1)
    assert (b.get_stats64()["rx_packets"], b.rx_dropped) == (1, 1)


def test_VETH_06_pkt_type_against_the_peer_and_scrub_across_netns():
    lab = lab_without_ipv6()
    a, b = pair(lab, up=True, peer_ns=lab.netns("n2"))
    seen = emu_tap(b)
    emu_send(lab, a, [frame(dst, MAC_A) for dst in DSTS], mark=7)
    assert [t for _, t, _, _ in seen] == EXPECTED_PKT_TYPES
    assert {(m, p) for _, _, m, p in seen} == {(0, 0)}


def test_VETH_06_matches_host_kernel(hl):
    hl.sh(f"ip link add A mtu 9000 address {MAC_A} type veth peer name B address {MAC_B} && "
          "ip link set A up && ip link set B up", "x")
    big = [frame(MAC_B, MAC_A, payload=bytes(1504)), frame(MAC_B, MAC_A, payload=bytes(1505))]
    p = hl.recv_start("x", "B", 0x0003, 2)
    hl.send("x", "A", big)
    host_seen = [len(f) for f, _ in hl.recv_end(p)]
    hl.sh("ip link set B down", "x")
    time.sleep(0.05)
    host_rc = hl.send("x", "A", [frame(MAC_B, MAC_A)])
    host = (hl.stats("x", "A"), hl.stats("x", "B"))

    lab = lab_without_ipv6()
    a, b = pair(lab, up=True, mtu=9000)
    seen = emu_tap(b, None)
    emu_send(lab, a, big)
    b.ptype_all.clear()
    lab.set_link(b, up=False)
    lab.run_for(0.05)
    emu_rc = emu_send(lab, a, [frame(MAC_B, MAC_A)])
    assert [len(f) for f, _, _, _ in seen] == host_seen == [1518]
    assert (emu_stats(a), emu_stats(b)) == host
    assert host_rc == [0] and emu_rc == [False]     # NET_XMIT_CN: the sender is not told


# =============================================================================================
# VETH-07 noqueue, MTU
# =============================================================================================

@pytest.mark.parametrize("where,mtu", [("dev", 67), ("dev", 65536), ("peer", 67),
                                       ("peer", 65536)])
def test_VETH_07_invalid_mtu_at_creation_is_EINVAL(where, mtu):
    lab = lab_without_ipv6()
    kw = {"mtu": mtu} if where == "dev" else {"peer_mtu": mtu}
    with pytest.raises(KernelError) as ei:
        lab.add_veth("A", "B", **kw)
    assert ei.value.errno == errno.EINVAL
    assert [d.name for d in lab.ns().devices] == ["lo"]
    a, b = lab.add_veth("A", "B")
    assert (b.ifindex, a.ifindex) == (2, 3)           # the refusal used up no ifindex


def test_VETH_07_mtu_range_and_independent_mtus():
    lab = lab_without_ipv6()
    a, b = lab.add_veth("A", "B", mtu=65535, peer_mtu=68)
    assert (a.mtu, b.mtu) == (65535, 68)
    assert (a.min_mtu, a.max_mtu) == (68, 65535)
    lab.set_link(a, mtu=9000)
    assert (a.mtu, b.mtu) == (9000, 68)
    for bad, text in ((65536, "mtu greater than device maximum."),
                      (67, "mtu less than device minimum.")):
        with pytest.raises(KernelError) as ei:
            lab.set_link(a, mtu=bad)
        assert (ei.value.errno, ei.value.extack) == (errno.EINVAL, text)
    assert a.mtu == 9000


def test_VETH_07_noqueue_yet_qlen_1000():
    lab = lab_without_ipv6()
    a, b = pair(lab, up=True)
    assert (emu_view(a)["qdisc"], emu_view(a)["txqlen"]) == ("noqueue", 1000)


def test_VETH_07_matches_host_kernel(hl):
    cmds = ["ip link add C mtu 67 type veth peer name D",
            "ip link add C mtu 65536 type veth peer name D",
            "ip link add C type veth peer name D mtu 67",
            "ip link add C type veth peer name D mtu 65536",
            "ip link add C mtu 65535 type veth peer name D mtu 68",
            "ip link set C mtu 65536", "ip link set C mtu 67", "ip link set C mtu 9000"]
    host_out = []
    for cmd in cmds:
        p = hl.sh(cmd, "x", check=False)
        host_out.append((p.returncode == 0, host_errtext(p)))

    lab = lab_without_ipv6()
    x = lab.netns("x")
    emu_out = []
    for cmd in cmds:
        w = cmd.split()
        try:
            if w[2] == "add":
                mtus = [int(w[i + 1]) for i in range(len(w)) if w[i] == "mtu"]
                first = "mtu" in w[:w.index("type")]
                lab.add_veth("C", "D", ns=x, mtu=mtus[0] if first else None,
                             peer_mtu=(mtus[-1] if "mtu" in w[w.index("type"):] else None))
            else:
                lab.set_link("C", ns=x, mtu=int(w[-1]))
            emu_out.append((True, ""))
        except KernelError as e:
            emu_out.append((False, emu_errtext(e)))
    assert emu_out == host_out
    assert [ok for ok, _ in host_out] == [False] * 4 + [True, False, False, True]
    assert {d.name: emu_view(d) for d in x.devices} == hl.dump("x")


# =============================================================================================
# VETH-08 deletion
# =============================================================================================

def test_VETH_08_deleting_either_end_deletes_both():
    for victim in ("A", "B"):
        lab = lab_without_ipv6()
        a, b = lab.add_veth("A", "B", peer_ns=lab.netns("n2"))
        lab.del_link(victim, ns=None if victim == "A" else "n2")
        assert lab.ns().get("A") is None and lab.ns("n2").get("B") is None
        assert a.reg_state == b.reg_state == "UNREGISTERED"


def test_VETH_08_destroying_a_netns_deletes_its_ends_and_their_peers():
    lab = lab_without_ipv6()
    n1 = lab.netns("n1")
    lab.add_veth("A", "B", ns=n1, peer_ns=lab.netns("n2"))
    lab.add_veth("C", "D", ns=n1, peer_ns=lab.netns("n3"))
    lab.add_veth("E", "F", ns=n1)
    lab.netns_del("n2")
    assert [d.name for d in n1.devices] == ["lo", "C", "F", "E"]
    assert [d.name for d in lab.ns("n3").devices] == ["lo", "D"]
    lab.netns_del("n1")
    assert [d.name for d in lab.ns("n3").devices] == ["lo"]


def test_VETH_08_matches_host_kernel(hl):
    n2, n3 = hl.ns("n2"), hl.ns("n3")
    hl.sh(f"ip link add A type veth peer name B netns {n2} && ip link add C type veth peer "
          f"name D netns {n3} && ip link add E type veth peer name F && "
          "ip link add G type veth peer name H && ip link del H", "n1")
    subprocess.run(["ip", "netns", "del", n2], check=True)
    deadline = time.monotonic() + 3
    while "A" in hl.names("n1") and time.monotonic() < deadline:   # cleanup_net is async
        time.sleep(0.05)
    host_n1 = hl.names("n1")

    lab = lab_without_ipv6()
    n1 = lab.netns("n1")
    lab.add_veth("A", "B", ns=n1, peer_ns=lab.netns("n2"))
    lab.add_veth("C", "D", ns=n1, peer_ns=lab.netns("n3"))
    lab.add_veth("E", "F", ns=n1)
    lab.add_veth("G", "H", ns=n1)
    lab.del_link("H", ns=n1)
    lab.netns_del("n2")
    assert [d.name for d in n1.devices] == host_n1 == ["lo", "C", "F", "E"]


# =============================================================================================
# VETH-09 moving an end
# =============================================================================================

def test_VETH_09_moved_end_stays_linked_arrives_down_and_the_other_loses_carrier():
    lab = lab_without_ipv6()
    n2 = lab.netns("n2")
    a, b = pair(lab, up=True)
    lab.add_addr(a, "10.0.0.1/24")
    lab.run_for(2)
    lab.set_link(a, netns=n2)
    assert a.peer is b and b.peer is a
    assert not a.up and lab.addrs(a) == [] and a.ifindex == 3
    assert not b.carrier and not a.carrier
    settle(lab)                        # urgent for B (iflink 3 != 2): at once
    vb = emu_view(b)
    assert vb["operstate"] == "DOWN"   # its link index 3 is not in B's netns any more
    assert vb["flags"] == ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP"]
    lab.set_link(a, up=True)
    settle(lab)
    assert a.carrier and b.carrier and emu_view(b)["operstate"] == "UP"
    # traffic still flows across the new netns boundary
    lab.add_addr(a, "10.0.0.1/24")
    lab.add_addr(b, "10.0.0.2/24")
    assert lab.ping("10.0.0.1", count=1).received == 1


def test_VETH_09_matches_host_kernel(hl):
    n2 = hl.ns("n2")
    hl.sh("ip link add A type veth peer name B && ip addr add 10.0.0.1/24 dev A && "
          "ip link set A up && ip link set B up", "n1")
    hl.sh(f"ip link set A netns {n2}", "n1")
    host_1 = (hl.link("n1", "B"), hl.link("n2", "A"))
    host_addrs = json.loads(hl.sh("ip -j addr show dev A", "n2").stdout)[0].get("addr_info", [])
    hl.sh("ip link set A up", "n2")
    host_2 = (hl.link("n1", "B"), hl.link("n2", "A"))

    lab = lab_without_ipv6()
    ln1, ln2 = lab.netns("n1"), lab.netns("n2")
    a, b = pair(lab, ns=ln1, up=True)
    lab.add_addr(a, "10.0.0.1/24")
    lab.set_link(a, netns=ln2)
    settle(lab)
    lab.kernel.linkwatch.sync_dev(b)
    lab.kernel.linkwatch.sync_dev(a)
    emu_1 = (emu_view(b), emu_view(a))
    lab.set_link(a, up=True)
    settle(lab)
    emu_2 = (emu_view(b), emu_view(a))
    assert emu_1 == host_1
    assert lab.addrs(a) == host_addrs == []
    assert emu_2 == host_2


# =============================================================================================
# VETH-10 statistics
# =============================================================================================

def test_VETH_10_rx_counters_are_the_peers_tx_counters():
    lab = lab_without_ipv6()
    a, b = _routed_pair(lab)
    assert lab.ping("10.0.0.2", ns="a", count=3, interval=0.2).received == 3
    sa, sb = a.get_stats64(), b.get_stats64()
    assert (sa["rx_packets"], sa["rx_bytes"]) == (sb["tx_packets"], sb["tx_bytes"])
    assert (sb["rx_packets"], sb["rx_bytes"]) == (sa["tx_packets"], sa["tx_bytes"])
    assert sa["tx_packets"] >= 4       # ARP request + 3 echo requests
    # nothing is counted at receive time: the stored rx fields stay zero
    assert a.rx_packets == b.rx_packets == a.rx_bytes == b.rx_bytes == 0


def test_VETH_10_dropped_frames_are_in_no_packet_counter():
    lab = lab_without_ipv6()
    a, b = pair(lab, up=True, mtu=9000)
    emu_send(lab, a, [frame(MAC_B, MAC_A, payload=bytes(3000))])
    sa, sb = a.get_stats64(), b.get_stats64()
    assert (sa["tx_packets"], sa["tx_dropped"], sb["rx_packets"], sb["rx_dropped"]) == (0, 1, 0, 1)


def test_VETH_10_matches_host_kernel(hl):
    nb = hl.ns("b")
    hl.sh(f"ip link add A address {MAC_A} type veth peer name B address {MAC_B} netns {nb} && "
          "ip addr add 10.0.0.1/24 dev A && ip link set A up", "a")
    hl.sh("ip addr add 10.0.0.2/24 dev B && ip link set B up", "b")
    p = hl.sh("ping -c 3 -i 0.2 -W 2 10.0.0.2", "a", check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    host = (hl.stats("a", "A"), hl.stats("b", "B"))

    lab = lab_without_ipv6()
    a, b = pair(lab, ns=lab.netns("a"), peer_ns=lab.netns("b"))
    lab.add_addr(a, "10.0.0.1/24")
    lab.set_link(a, up=True)
    lab.add_addr(b, "10.0.0.2/24")
    lab.set_link(b, up=True)
    settle(lab)
    assert lab.ping("10.0.0.2", ns="a", count=3, interval=0.2, wait=2).received == 3
    assert (emu_stats(a), emu_stats(b)) == host
