"""MACVLAN / MACVTAP (vnetlab.devices.macvlan) against kernel-spec §2 (MV-*), §3 (MVT-*),
§11 BR-06, §12 items 1-2 and §13, with the host kernel as the judge.

The main topology is the one of §13: the lower device ``eth0`` (netns ``h``, address 10.0.0.1,
MAC 02:..:01) is a veth whose peer ``p0`` is a port of bridge ``br0`` (netns ``sw``; ``hairpin``
on that port = the VEPA-capable adjacent switch, BR-06); an external station ``x`` (eth0,
10.0.0.9, MAC 02:..:09) hangs off the same bridge; macvlans ``mvA`` made on ``eth0`` live in their
own netns ``A`` (10.0.0.2.., MAC 02:..:0a..). The same steps run on the emulator (``EmuNet``,
through the typed API) and, in throwaway netns with IPv6 disabled, on the host kernel
(``HostNet``, iproute2 + ping + AF_PACKET sockets); ``*_matches_host_kernel`` tests compare:

* reachability matrices (``ping -c1 -W1`` / ``Lab.ping``),
* frame probes: raw frames (EtherType 0x88B5) sent with AF_PACKET from a node and recorded by a
  *protocol* socket on every node (a ptype_base handler: it sees only what the rx_handler lets
  through, unlike tcpdump), as (receiver, tag, pkt_type),
* ``ip -j link`` facts (flags, mtu, operstate, link), ``ip -j -d link`` macvlan info_data,
* errno of refused requests.

Expected values elsewhere come from the spec text, never from the emulator's own output.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time

import pytest

from vnetlab import commands
from ipv6_off import lab_without_ipv6
from vnetlab.api import Lab  # noqa: F401

# The host side disables IPv6 in each netns it makes (ND/MLD frames would enter the tables and
# counters compared here); every emulated netns does the same (ipv6_off.lab_without_ipv6).
from vnetlab.devices.macvlan import (MACVLAN_MODE_BRIDGE, MACVLAN_MODE_SOURCE,
                                     MACVLAN_MODE_VEPA, MODE_NAMES, IFF_MULTI_QUEUE, IFF_NO_PI,
                                     IFF_TAP, IFF_TUN, IFF_VNET_HDR, Macvlan, macvlan_port_of,
                                     open_tap)
from vnetlab.devices.nic import Switch, add_nic
from vnetlab.stack.errors import KernelError
from vnetlab.stack.kernel import LINK_KINDS, LinkRequest
from vnetlab.stack.netdev import (IFF_UP, RX_HANDLER_PASS, dev_mc_add, dev_queue_xmit,
                                  rx_handler_register)
from vnetlab.stack.skb import (PACKET_BROADCAST, PACKET_HOST, PACKET_LOOPBACK, PACKET_MULTICAST,
                               PACKET_OTHERHOST, Skb)
from vnetlab.stack.trace import Recorder
from vnetlab.wire.ethernet import mac_parse, mac_str

ETH_P_TEST = 0x88B5
BCAST = "ff:ff:ff:ff:ff:ff"
GROUP = "01:00:5e:01:02:03"
SEC = 1_000_000_000

MACS = {"h": "02:00:00:00:00:01", "x": "02:00:00:00:00:09", "a": "02:00:00:00:00:0a",
        "b": "02:00:00:00:00:0b", "c": "02:00:00:00:00:0c"}
IPS = {"h": "10.0.0.1", "x": "10.0.0.9", "a": "10.0.0.2", "b": "10.0.0.3", "c": "10.0.0.4"}


def dev_of(node: str) -> str:
    return "eth0" if node in ("h", "x") else f"mv{node}"


def errname(e: int) -> str:
    return errno.errorcode.get(e, str(e))


def frame(dst: str, src: str, tag: str, ethertype: int = ETH_P_TEST) -> bytes:
    body = tag.encode().ljust(46, b".")
    return mac_parse(dst) + mac_parse(src) + ethertype.to_bytes(2, "big") + body


# =============================================================================================
# the two backends
# =============================================================================================

class EmuNet:
    """The §13 topology on the emulator (typed API)."""

    def __init__(self, modes: dict | None = None, hairpin: bool = False, opts: dict | None = None,
                 trace: bool = False):
        self.lab = lab = lab_without_ipv6(trace=Recorder() if trace else None)
        self.k = lab.kernel
        self.rx: list = []
        for n in ("h", "sw", "x"):
            self.netns(n)
        lab.add_bridge("br0", ns="sw", up=True)
        lab.add_veth("eth0", "p0", ns="h", peer_ns="sw", address=MACS["h"])
        lab.set_link("p0", ns="sw", master="br0", up=True)
        lab.add_veth("px", "eth0", ns="sw", peer_ns="x", peer_address=MACS["x"])
        lab.set_link("px", ns="sw", master="br0", up=True)
        if hairpin:
            self.hairpin(True)
        for n in ("h", "x"):
            lab.set_link("eth0", ns=n, up=True)
            lab.add_addr("eth0", IPS[n] + "/24", ns=n)
        for c, mode in (modes or {}).items():
            o = dict((opts or {}).get(c, {}))
            o.setdefault("mode", mode)
            self.add_child(c, **o)
        self.wait(1.5)

    def netns(self, n: str):
        ns = self.lab.netns(n)
        ns.ptype[ETH_P_TEST] = lambda skb, n=n: self.rx.append(
            (n, skb.dev.name, skb.data[14:46].rstrip(b".").decode(), skb.pkt_type))
        return ns

    def hairpin(self, on: bool) -> None:
        br = self.lab.dev("br0", "sw")
        br.port_set(self.lab.dev("p0", "sw"), hairpin=on)

    def add_child(self, c: str, up: bool = True, **data) -> None:
        self.netns(c)
        self.lab.add_link(f"mv{c}", data.pop("kind", "macvlan"), "h", link="eth0",
                          address=MACS[c], **data)
        self.lab.set_link(f"mv{c}", ns="h", netns=c)
        if up:
            self.lab.set_link(f"mv{c}", ns=c, up=True)
        self.lab.add_addr(f"mv{c}", IPS[c] + "/24", ns=c)

    def wait(self, secs: float) -> None:
        self.lab.run_for(secs)

    def dev(self, node: str, name: str | None = None):
        return self.lab.dev(name or dev_of(node), node)

    def ping(self, s: str, d: str) -> bool:
        return self.lab.ping(IPS[d], ns=s, count=1, wait=1).received > 0

    def matrix(self, order: str) -> list[str]:
        return [f"{s}>{d}={int(self.ping(s, d))}" for s in order.split() for d in order.split()
                if s != d]

    def probe(self, sends: list[tuple[str, str, str]]) -> list[tuple]:
        """Send (node, dst MAC, tag) frames from each node's device; what protocol handlers got."""
        self.rx.clear()
        for node, dst, tag in sends:
            d = self.dev(node)
            dev_queue_xmit(Skb(frame(dst, mac_str(d.addr), tag), dev=d))
            self.lab.run_for(0.05)
        self.lab.run_for(0.5)
        return sorted(set((n, tag, pt) for n, dev, tag, pt in self.rx if dev == dev_of(n)))

    def capture(self, sends: list[tuple[str, str, str]], where: list[tuple[str, str]]) -> list:
        """Like ``probe`` but with packet taps (ETH_P_ALL: they see everything, before the
        rx_handler, and transmissions as OUTGOING) on the (node, device) pairs ``where``."""
        seen: list = []
        taps = []
        for node, name in where:
            d = self.dev(node, name)

            def tap(skb, dev, tx, node=node, name=name):
                if skb.data[12:14] == b"\x88\xb5":
                    seen.append((node, name, skb.data[14:46].rstrip(b".").decode(),
                                 4 if tx else skb.pkt_type))
            d.ptype_all.append(tap)
            taps.append((d, tap))
        for node, dst, tag in sends:
            d = self.dev(node)
            dev_queue_xmit(Skb(frame(dst, mac_str(d.addr), tag), dev=d))
            self.lab.run_for(0.05)
        self.lab.run_for(0.5)
        for d, tap in taps:
            d.ptype_all.remove(tap)
        return sorted(set(seen))

    def ip_json(self, node: str, *args: str) -> list:
        code, out, err = commands.run(self.lab, ["ip", "-j", *args], ns=self.lab.ns(node))
        assert code == 0, err
        return json.loads(out)

    def stats(self, node: str, name: str) -> dict:
        return self.dev(node, name).get_stats64()


RECV = r"""
import json, select, socket, sys
dev, proto, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
s.bind((dev, proto))
out = []


def take(data, addr):
    if mode == "len":                       # IPv4 frames of the fragment test (id 0x4444)
        if data[12:14] == b"\x08\x00" and data[18:20] == b"\x44\x44":
            out.append(len(data))
    elif data[12:14] == b"\x88\xb5":
        out.append((data[14:46].rstrip(b".").decode(errors="replace"), addr[2]))


print("ready", flush=True)
while True:                                 # until the parent closes our stdin
    r, _, _ = select.select([s, sys.stdin], [], [])
    if s in r:
        take(*s.recvfrom(65535))
    if sys.stdin in r:
        s.setblocking(False)
        try:
            while True:
                take(*s.recvfrom(65535))
        except BlockingIOError:
            pass
        break
print(json.dumps(out), flush=True)
"""

SEND = r"""
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for h in sys.argv[2:]:
    s.send(bytes.fromhex(h))
"""


class HostListener:
    """AF_PACKET receivers in host netns, each ready before the first frame is sent and
    stopped (by closing its stdin) after the last one has had time to arrive."""

    def __init__(self, host, where: list[tuple[str, str]], proto: int, mode: str = "tag"):
        self.procs = {}
        for n, name in where:
            p = subprocess.Popen(["ip", "netns", "exec", host.ns(n), sys.executable, "-c",
                                  RECV, name, str(proto), mode],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            self.procs[(n, name)] = p
        for p in self.procs.values():
            assert p.stdout.readline().strip() == "ready"

    def stop(self, settle: float = 0.5) -> dict:
        time.sleep(settle)
        out = {}
        for key, p in self.procs.items():
            p.stdin.close()
            out[key] = json.loads(p.stdout.readline())
            p.wait(timeout=30)
        return out


class HostNet:
    """The same topology in throwaway netns on the host kernel (IPv6 off in every netns)."""

    def __init__(self, host, modes: dict | None = None, hairpin: bool = False,
                 opts: dict | None = None):
        self.host = host
        self.nodes: list[str] = []
        for n in ("h", "sw", "x"):
            self.netns(n)
        r = self.run
        r("ip link add br0 type bridge && ip link set br0 up", "sw")
        r(f"ip link add eth0 address {MACS['h']} type veth peer name p0 netns {host.ns('sw')}",
          "h")
        r("ip link set p0 master br0 up", "sw")
        r(f"ip link add px type veth peer name eth0 address {MACS['x']} netns {host.ns('x')}",
          "sw")
        r("ip link set px master br0 up", "sw")
        if hairpin:
            self.hairpin(True)
        for n in ("h", "x"):
            r(f"ip link set eth0 up && ip addr add {IPS[n]}/24 dev eth0", n)
        for c, mode in (modes or {}).items():
            o = dict((opts or {}).get(c, {}))
            o.setdefault("mode", mode)
            self.add_child(c, **o)
        self.wait(1.5)

    def run(self, cmd: str, ns: str | None = None, check: bool = True):
        return self.host.run(cmd, ns=ns, check=check)

    def netns(self, n: str) -> str:
        real = self.host.ns(n)
        if n not in self.nodes:
            self.nodes.append(n)
            self.run("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                     "net.ipv6.conf.default.disable_ipv6=1", n)
        return real

    def hairpin(self, on: bool) -> None:
        self.run(f"bridge link set dev p0 hairpin {'on' if on else 'off'}", "sw")

    def add_child(self, c: str, up: bool = True, **data) -> None:
        self.netns(c)
        kind = data.pop("kind", "macvlan")
        self.run(f"ip link add link eth0 name mv{c} address {MACS[c]} type {kind} "
                 + " ".join(_iproute2_opts(data)), "h")
        self.run(f"ip link set mv{c} netns {self.host.ns(c)}", "h")
        if up:
            self.run(f"ip link set mv{c} up", c)
        self.run(f"ip addr add {IPS[c]}/24 dev mv{c}", c)

    def wait(self, secs: float) -> None:
        time.sleep(secs)

    def ping(self, s: str, d: str) -> bool:
        return self.run(f"ping -c1 -W1 {IPS[d]}", s, check=False).returncode == 0

    def matrix(self, order: str) -> list[str]:
        return [f"{s}>{d}={int(self.ping(s, d))}" for s in order.split() for d in order.split()
                if s != d]

    def mac(self, node: str) -> str:
        return self.ip_json(node, "link", "show", "dev", dev_of(node))[0]["address"]

    def probe(self, sends: list[tuple[str, str, str]]) -> list[tuple]:
        where = [(n, dev_of(n)) for n in self.nodes if n != "sw"]
        return sorted((n, tag, pt) for n, _, tag, pt in self._listen(sends, where, ETH_P_TEST))

    def capture(self, sends: list[tuple[str, str, str]], where: list[tuple[str, str]]) -> list:
        return self._listen(sends, where, 3)

    def _listen(self, sends, where, proto: int) -> list:
        lis = HostListener(self.host, where, proto)
        macs: dict = {}
        i = 0
        while i < len(sends):                   # consecutive frames of a node: one sender
            node = sends[i][0]
            if node not in macs:
                macs[node] = self.mac(node)
            batch = []
            while i < len(sends) and sends[i][0] == node:
                _, dst, tag = sends[i]
                batch.append(frame(dst, macs[node], tag).hex())
                i += 1
            subprocess.run(["ip", "netns", "exec", self.host.ns(node), sys.executable, "-c",
                            SEND, dev_of(node), *batch], check=True)
            time.sleep(0.05)
        got = set()
        for (n, name), res in lis.stop().items():
            for tag, pkt_type in res:
                got.add((n, name, tag, pkt_type))
        return sorted(got)

    def ip_json(self, node: str, *args: str) -> list:
        p = self.run("ip -j " + " ".join(args), node)
        return json.loads(p.stdout)

    def stats(self, node: str, name: str) -> dict:
        s = self.ip_json(node, "-s", "link", "show", "dev", name)[0]["stats64"]
        return {"rx_packets": s["rx"]["packets"], "rx_bytes": s["rx"]["bytes"],
                "rx_errors": s["rx"]["errors"], "rx_dropped": s["rx"]["dropped"],
                "multicast": s["rx"]["multicast"], "tx_packets": s["tx"]["packets"],
                "tx_bytes": s["tx"]["bytes"], "tx_dropped": s["tx"]["dropped"]}


def _iproute2_opts(data: dict) -> list[str]:
    """The macvlan ``LinkRequest.data`` dict as iproute2 arguments."""
    out = []
    if "mode" in data:
        out += ["mode", data["mode"]]
    for f in ("nopromisc", "nodst"):
        if data.get(f):
            out.append(f)
    if "bcqueuelen" in data:
        out += ["bcqueuelen", str(data["bcqueuelen"])]
    if "macaddr" in data:
        m = data["macaddr"]
        m = (m,) if isinstance(m, str) else m
        out += ["macaddr", m[0]]
        for a in m[1:]:
            out += list(a) if isinstance(a, (list, tuple)) else [a]
    return out


def link_facts(net, node: str, name: str) -> dict:
    j = net.ip_json(node, "link", "show", "dev", name)[0]
    keep = {k: j.get(k) for k in ("ifname", "flags", "mtu", "operstate", "link", "address")}
    keep["link_netns"] = "link_netnsid" in j
    return keep


# =============================================================================================
# §13: who reaches whom
# =============================================================================================

# kernel-spec §13 (host 6.18), order "a b x h": children first, so no ARP cache helps them
SPEC13 = {
    ("private", False): {"a>b": 0, "b>a": 0, "a>h": 0, "h>a": 0},
    ("private", True): {"a>b": 0, "b>a": 0, "a>h": 0, "h>a": 1, "h>b": 1},
    ("vepa", False): {"a>b": 0, "b>a": 0, "a>h": 0, "h>a": 0},
    ("vepa", True): {"a>b": 1, "b>a": 1, "a>h": 1, "h>a": 1},
    ("bridge", False): {"a>b": 1, "b>a": 1, "a>h": 0, "h>a": 0},
    ("bridge", True): {"a>b": 1, "b>a": 1, "a>h": 1, "h>a": 1},
}


@pytest.mark.parametrize("mode,hairpin", sorted(SPEC13))
def test_MV_TX_06_reachability_matches_spec13(mode, hairpin):
    net = EmuNet({"a": mode, "b": mode}, hairpin=hairpin)
    got = dict(s.split("=") for s in net.matrix("a b x h"))
    for key, want in SPEC13[(mode, hairpin)].items():
        assert int(got[key]) == want, (key, got)
    # an external station always reaches every child and the host (x is not behind eth0)
    assert all(got[f"x>{d}"] == "1" for d in "abh") and all(got[f"{s}>x"] == "1" for s in "abh")


@pytest.mark.parametrize("order", ["h a b x", "a b x h"])
@pytest.mark.parametrize("mode,hairpin", sorted(SPEC13))
def test_MV_TX_06_reachability_matrix_matches_host_kernel(host, mode, hairpin, order):
    emu = EmuNet({"a": mode, "b": mode}, hairpin=hairpin).matrix(order)
    real = HostNet(host, {"a": mode, "b": mode}, hairpin=hairpin).matrix(order)
    assert emu == real


def test_BR_06_vepa_needs_hairpin_on_the_bridge_port():
    net = EmuNet({"a": "vepa", "b": "vepa"})
    assert not net.ping("a", "b")
    net.hairpin(True)
    assert net.ping("a", "b") and net.ping("b", "a")


# =============================================================================================
# frame probes: the delivery tables (MV-RX-02/03/04, MV-TX-01..04, §12 items 1-2)
# =============================================================================================

MIXED = {"a": "private", "b": "vepa", "c": "bridge"}
NODES = ("a", "b", "c", "x", "h")


def table_sends(nodes=NODES, unicast: bool = True) -> list[tuple[str, str, str]]:
    sends = []
    for s in nodes:
        sends.append((s, BCAST, f"{s}>bc"))
        sends.append((s, GROUP, f"{s}>grp"))
        if unicast:
            for d in nodes:
                if d != s:
                    sends.append((s, MACS[d], f"{s}>{d}"))
    return sends


def subscribe(net, node: str, group: str = GROUP) -> None:
    if isinstance(net, EmuNet):
        dev_mc_add(net.dev(node), mac_parse(group))
    else:
        net.run(f"ip maddr add {group} dev {dev_of(node)}", node)


def static_neigh(net, s: str, d: str) -> None:
    """``ip neigh replace IP_d lladdr MAC_d dev mvS nud permanent`` in netns s."""
    if isinstance(net, EmuNet):
        from vnetlab.api import NLM_F_CREATE, NLM_F_REPLACE, neigh_add, parse_ip
        from vnetlab.stack.neigh import NUD_PERMANENT
        neigh_add(net.lab.ns(s), parse_ip(IPS[d]), net.dev(s), mac_parse(MACS[d]),
                  NUD_PERMANENT, nlflags=NLM_F_CREATE | NLM_F_REPLACE)
    else:
        net.run(f"ip neigh replace {IPS[d]} lladdr {MACS[d]} dev {dev_of(s)} nud permanent", s)


def by_tag(got: list[tuple]) -> dict:
    out: dict = {}
    for n, tag, pt in got:
        out.setdefault(tag, []).append((n, pt))
    return out


@pytest.mark.parametrize("hairpin", [False, True])
def test_MV_RX_03_delivery_table_by_source(hairpin):
    """Broadcast from each kind of source, three modes on one lower (MV-RX-03 table, MV-TX-01)."""
    net = EmuNet(MIXED, hairpin=hairpin)
    got = by_tag(net.probe(table_sends(unicast=False)))
    B = PACKET_BROADCAST
    # external source: every UP non-source macvlan + the lower's stack
    assert sorted(got["x>bc"]) == [("a", B), ("b", B), ("c", B), ("h", B)]
    if not hairpin:
        # nothing a child transmits comes back; a bridge port copies to the other bridge ports
        # only (there is none but c itself), so only the wire (x) hears them
        assert got["a>bc"] == [("x", B)]
        assert got["b>bc"] == [("x", B)]
        assert got["c>bc"] == [("x", B)]
        assert got["h>bc"] == [("x", B)]          # MV-TX-06: the lower never receives its own
        return
    # reflected: vepa source -> vepa + bridge but itself, and the lower
    assert sorted(got["b>bc"]) == [("c", B), ("h", B), ("x", B)]
    # bridge source -> vepa only (bridge ports got it on the way out), and the lower
    assert sorted(got["c>bc"]) == [("b", B), ("h", B), ("x", B)]
    # private source -> back to itself only, hidden from the lower (§12 item 2)
    assert sorted(got["a>bc"]) == [("a", B), ("x", B)]
    # the lower's own broadcast, reflected, is an external frame for the port
    assert sorted(got["h>bc"]) == [("a", B), ("b", B), ("c", B), ("h", B), ("x", B)]


def test_MV_RX_04_group_needs_subscription_broadcast_always():
    net = EmuNet(MIXED, hairpin=True)
    got = by_tag(net.probe(table_sends(("x",), unicast=False)))
    assert sorted(got["x>grp"]) == [("h", PACKET_MULTICAST)]       # nobody subscribed
    subscribe(net, "b")
    net.lab.set_link("mva", ns="a", up=False)                      # down: not in the hash
    subscribe(net, "a")
    got = by_tag(net.probe(table_sends(("x",), unicast=False)))
    assert sorted(got["x>grp"]) == [("b", PACKET_MULTICAST), ("h", PACKET_MULTICAST)]
    assert sorted(got["x>bc"]) == [("b", PACKET_BROADCAST), ("c", PACKET_BROADCAST),
                                   ("h", PACKET_BROADCAST)]
    # promiscuous (or allmulti) takes every group
    commands.run(net.lab, ["ip", "link", "set", "mvc", "promisc", "on"], ns=net.lab.ns("c"))
    got = by_tag(net.probe(table_sends(("x",), unicast=False)))
    assert ("c", PACKET_MULTICAST) in got["x>grp"]


@pytest.mark.parametrize("hairpin", [False, True])
def test_MV_RX_03_delivery_table_matches_host_kernel(host, hairpin):
    sends = table_sends()
    emu = EmuNet(MIXED, hairpin=hairpin)
    real = HostNet(host, MIXED, hairpin=hairpin)
    for net in (emu, real):
        subscribe(net, "b")
    assert emu.probe(sends) == real.probe(sends)


def test_MV_RX_02_private_mode_delivers_reflected_unicast():
    """§12 item 1: no source check for unicast - a private port gets a reflected unicast."""
    net = EmuNet({"a": "private", "b": "private"}, hairpin=True)
    got = by_tag(net.probe([("a", MACS["b"], "a>b"), ("b", MACS["a"], "b>a")]))
    # (x hears the first one as OTHERHOST: the bridge floods a destination it has not learnt)
    assert [r for r in got["a>b"] if r[0] != "x"] == [("b", PACKET_HOST)]
    assert got["b>a"] == [("a", PACKET_HOST)]
    # ... so with the neighbours known (ARP never crosses), private children do talk
    for s, d in (("a", "b"), ("b", "a")):
        static_neigh(net, s, d)
    assert net.ping("a", "b") and net.ping("b", "a")
    net.hairpin(False)
    assert not net.ping("a", "b")


def test_MV_RX_02_private_reflected_unicast_matches_host_kernel(host):
    out = []
    for net in (EmuNet({"a": "private", "b": "private"}, hairpin=True),
                HostNet(host, {"a": "private", "b": "private"}, hairpin=True)):
        res = [net.probe([("a", MACS["b"], "a>b"), ("b", MACS["a"], "b>a")])]
        res.append(net.ping("a", "b"))
        for s, d in (("a", "b"), ("b", "a")):
            static_neigh(net, s, d)
        res.append(net.ping("a", "b"))
        out.append(res)
    assert out[0] == out[1]
    assert out[0][1] is False and out[0][2] is True


# =============================================================================================
# link requests on both kernels: outcomes (errno) and what `ip -j link` shows
# =============================================================================================

_STRERROR = {os.strerror(e): name for e, name in errno.errorcode.items()}


class EmuOps:
    """Link requests on the emulator; outcomes as "ok", an errno name, or "Error: <extack>"."""

    def __init__(self):
        self.lab = lab_without_ipv6()

    @staticmethod
    def _do(fn) -> str:
        try:
            fn()
        except KernelError as e:
            return f"Error: {e.extack.rstrip('.')}" if e.extack else errname(e.errno)
        return "ok"

    def netns(self, n: str) -> None:
        self.lab.netns(n)

    def veth(self, ns: str, a: str, b: str, mtu: int | None = None) -> None:
        self.lab.add_veth(a, b, ns=ns, mtu=mtu, peer_mtu=mtu)

    def bridge(self, ns: str, name: str) -> None:
        self.lab.add_bridge(name, ns=ns)

    def add(self, ns: str, name: str, link: str, kind: str = "macvlan",
            address: str | None = None, mtu: int | None = None, **data) -> str:
        return self._do(lambda: self.lab.add_link(name, kind, ns, link=link, address=address,
                                                  mtu=mtu, **data))

    def set(self, ns: str, name: str, **kw) -> str:
        if "promisc" in kw:
            code, _, err = commands.run(self.lab, ["ip", "link", "set", name, "promisc",
                                                   "on" if kw["promisc"] else "off"],
                                        ns=self.lab.ns(ns))
            return "ok" if code == 0 else err
        if "master" in kw:
            return self._do(lambda: self.lab.set_link(name, ns, master=kw["master"]))
        return self._do(lambda: self.lab.set_link(name, ns, **kw))

    def change(self, ns: str, name: str, kind: str = "macvlan", **data) -> str:
        def fn():
            ops = LINK_KINDS[kind]
            req = LinkRequest(kind=kind, data=data)
            ops.validate(req)
            ops.changelink(self.lab.dev(name, ns), req)
        return self._do(fn)

    def delete(self, ns: str, name: str) -> str:
        return self._do(lambda: self.lab.del_link(name, ns))

    def exists(self, ns: str, name: str) -> bool:
        return self.lab.ns(ns).get(name) is not None

    def wait(self, secs: float) -> None:
        self.lab.run_for(secs)

    def ip_json(self, ns: str, *args: str) -> list:
        code, out, err = commands.run(self.lab, ["ip", "-j", *args], ns=self.lab.ns(ns))
        assert code == 0, err
        return json.loads(out)

    def facts(self, ns: str, name: str) -> dict:
        return link_facts(self, ns, name)

    def detail(self, ns: str, name: str) -> dict:
        """The ``ip -d -j`` values the macvlan driver fills (info_data), plus promiscuity, the
        min/max MTU and the address assignment type, read from the device."""
        d = self.lab.dev(name, ns)
        out = {"promiscuity": d.promiscuity, "allmulti": d.allmulti, "min_mtu": d.min_mtu,
               "max_mtu": d.max_mtu, "tso_max_size": getattr(d, "tso_max_size", 65536)}
        if isinstance(d, Macvlan):
            info = d.fill_info()
            j = {"mode": MODE_NAMES.get(info["mode"], "unknown")}
            if info["flags"] & 1:
                j["nopromisc"] = True
            if info["flags"] & 2:
                j["nodst"] = True
            j["bcqueuelen"] = info["bc_queue_len"]
            j["usedbcqueuelen"] = info["bc_queue_len_used"]
            if info["mode"] == MACVLAN_MODE_SOURCE:
                j["macaddr_count"] = info["macaddr_count"]
                if "macaddr_data" in info:
                    j["macaddr_data"] = [mac_str(m) for m in info["macaddr_data"]]
            out["info_data"] = j
        return out


class HostOps:
    """The same requests with iproute2 in throwaway netns (IPv6 off)."""

    def __init__(self, host):
        self.host = host
        self.made: set = set()

    def _r(self, cmd: str, ns: str) -> str:
        p = self.host.run(cmd, ns=ns, check=False)
        if p.returncode == 0:
            return "ok"
        err = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}"
        if err.startswith("RTNETLINK answers: "):
            text = err[len("RTNETLINK answers: "):]
            return _STRERROR.get(text, text)
        return err.rstrip(".")

    def netns(self, n: str) -> None:
        self.host.ns(n)
        if n not in self.made:
            self.made.add(n)
            self.host.run("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                          "net.ipv6.conf.default.disable_ipv6=1", ns=n)

    def veth(self, ns: str, a: str, b: str, mtu: int | None = None) -> None:
        m = f" mtu {mtu}" if mtu else ""
        self.host.run(f"ip link add {a}{m} type veth peer name {b}{m}", ns=ns)

    def bridge(self, ns: str, name: str) -> None:
        self.host.run(f"ip link add {name} type bridge", ns=ns)

    def add(self, ns: str, name: str, link: str, kind: str = "macvlan",
            address: str | None = None, mtu: int | None = None, **data) -> str:
        extra = (f" address {address}" if address else "") + (f" mtu {mtu}" if mtu else "")
        return self._r(f"ip link add link {link} name {name}{extra} type {kind} "
                       + " ".join(_iproute2_opts(data)), ns)

    def set(self, ns: str, name: str, **kw) -> str:
        parts = []
        if "netns" in kw:
            parts += ["netns", self.host.ns(kw["netns"])]
        if "mtu" in kw:
            parts += ["mtu", str(kw["mtu"])]
        if "address" in kw:
            parts += ["address", kw["address"]]
        if "master" in kw:
            parts += ["master", kw["master"]] if kw["master"] else ["nomaster"]
        if "promisc" in kw:
            parts += ["promisc", "on" if kw["promisc"] else "off"]
        if "up" in kw:
            parts.append("up" if kw["up"] else "down")
        return self._r(f"ip link set dev {name} " + " ".join(parts), ns)

    def change(self, ns: str, name: str, kind: str = "macvlan", **data) -> str:
        return self._r(f"ip link set dev {name} type {kind} " + " ".join(_iproute2_opts(data)),
                       ns)

    def delete(self, ns: str, name: str) -> str:
        return self._r(f"ip link del {name}", ns)

    def exists(self, ns: str, name: str) -> bool:
        return self.host.run(f"ip link show dev {name}", ns=ns, check=False).returncode == 0

    def wait(self, secs: float) -> None:
        time.sleep(secs)

    def ip_json(self, ns: str, *args: str) -> list:
        return json.loads(self.host.run("ip -j " + " ".join(args), ns=ns).stdout)

    def facts(self, ns: str, name: str) -> dict:
        return link_facts(self, ns, name)

    def detail(self, ns: str, name: str) -> dict:
        j = self.ip_json(ns, "-d", "link", "show", "dev", name)[0]
        out = {"promiscuity": j["promiscuity"], "allmulti": j["allmulti"],
               "min_mtu": j["min_mtu"], "max_mtu": j["max_mtu"],
               "tso_max_size": j["tso_max_size"]}
        info = j.get("linkinfo", {})
        if info.get("info_kind") in ("macvlan", "macvtap"):
            out["info_data"] = info["info_data"]
        return out


def both(host, scenario):
    """Run ``scenario(ops)`` on the emulator and on the host; return both results."""
    return scenario(EmuOps()), scenario(HostOps(host))


def _base(ops, lower_mtu: int | None = None):
    """netns h with veth eth0 <-> peer (both up); returns ops."""
    ops.netns("h")
    ops.veth("h", "eth0", "peer", mtu=lower_mtu)
    ops.set("h", "eth0", up=True)
    ops.set("h", "peer", up=True)
    return ops


# -- MV-01 / MV-02 -------------------------------------------------------------------------------

def test_MV_01_mode_values_and_anything_else_is_einval():
    ops = _base(EmuOps())
    for i, name in enumerate(("private", "vepa", "bridge", "source")):
        assert ops.add("h", f"m{i}", "eth0", mode=name) == "ok"
        assert ops.lab.dev(f"m{i}", "h").mode == {"private": 1, "vepa": 2, "bridge": 4,
                                                   "source": 16}[name]
    for bad in (0, 3, 5, 32, "nosuch"):
        assert ops.add("h", "bad", "eth0", mode=bad) == "EINVAL"
    assert ops.change("h", "m0", mode=6) == "EINVAL"
    assert not ops.exists("h", "bad")


def test_MV_02_default_mode_vepa_and_flag_bits():
    ops = _base(EmuOps())
    assert ops.add("h", "m0", "eth0") == "ok"
    assert ops.lab.dev("m0", "h").mode == MACVLAN_MODE_VEPA
    assert ops.add("h", "m1", "eth0", flags=4) == "EINVAL"
    assert ops.add("h", "m1", "eth0", mode="source", nodst=True) == "ok"
    assert ops.lab.dev("m1", "h").mv_flags == 2
    assert ops.add("h", "m2", "eth0", mode="passthru", flags=1) == "EINVAL"   # m0 is there
    assert ops.change("h", "m1", flags=3) == "ok"
    assert ops.lab.dev("m1", "h").mv_flags == 3


def test_MV_01_02_modes_and_flags_match_host_kernel(host):
    def sc(ops):
        _base(ops)
        out = [ops.add("h", "m0", "eth0")]
        for i, m in enumerate(("private", "vepa", "bridge")):
            out.append(ops.add("h", f"m{i + 1}", "eth0", mode=m))
        out.append(ops.add("h", "s0", "eth0", mode="source", nodst=True))
        out.append(ops.add("h", "p0", "eth0", mode="passthru"))
        out.append(ops.change("h", "m1", mode="bridge", nodst=True))
        return out, [ops.detail("h", n)["info_data"] for n in ("m0", "m1", "m2", "m3", "s0")]
    emu, real = both(host, sc)
    assert emu == real
    assert emu[0][-2] == "EINVAL"                 # MV-08: passthru next to other macvlans


# -- MV-03 -------------------------------------------------------------------------------------

def test_MV_03_lower_must_be_ethernet_with_a_free_rx_handler():
    ops = _base(EmuOps())
    assert ops.add("h", "m0", "lo") == "EINVAL"                      # loopback
    assert ops._do(lambda: ops.lab.add_link("m0", "macvlan", "h")) == "EINVAL"   # no link
    ops.bridge("h", "br0")
    assert ops.set("h", "peer", master="br0") == "ok"
    assert ops.add("h", "m0", "peer") == "EBUSY"                     # bridge port (CORE-01)
    assert ops.add("h", "m0", "eth0") == "ok"
    assert ops.set("h", "eth0", master="br0") == "EBUSY"             # macvlan lower -> no port
    # a macvlan as "lower" stands for its own lower: no nesting
    assert ops.add("h", "m1", "m0") == "ok"
    m1 = ops.lab.dev("m1", "h")
    assert m1.lowerdev is ops.lab.dev("eth0", "h") and m1.get_iflink() == m1.lowerdev.ifindex
    port = macvlan_port_of(ops.lab.dev("eth0", "h"))
    assert [v.name for v in port.vlans] == ["m0", "m1"]
    # the port is gone with the last macvlan: eth0 may join the bridge again (MV-10)
    assert ops.delete("h", "m0") == "ok" and ops.delete("h", "m1") == "ok"
    assert macvlan_port_of(ops.lab.dev("eth0", "h")) is None
    assert ops.set("h", "eth0", master="br0") == "ok"


def test_MV_03_matches_host_kernel(host):
    def sc(ops):
        _base(ops)
        ops.bridge("h", "br0")
        out = [ops.add("h", "m0", "lo"), ops.set("h", "peer", master="br0"),
               ops.add("h", "m0", "peer"), ops.add("h", "m0", "eth0"),
               ops.set("h", "eth0", master="br0"), ops.add("h", "m1", "m0")]
        out.append(ops.facts("h", "m1")["link"])
        out += [ops.delete("h", "m0"), ops.delete("h", "m1"), ops.set("h", "eth0", master="br0")]
        return out
    emu, real = both(host, sc)
    assert emu == real
    assert emu == ["EINVAL", "ok", "EBUSY", "ok", "EBUSY", "ok", "eth0", "ok", "ok", "ok"]


# -- MV-04 -------------------------------------------------------------------------------------

def _mtu_scenario(ops):
    _base(ops, lower_mtu=1400)
    out = [ops.add("h", "m0", "eth0"), ops.add("h", "m1", "eth0", mtu=1500),
           ops.add("h", "m1", "eth0", mtu=1300)]
    out += [ops.set("h", "m0", mtu=1401), ops.set("h", "m0", mtu=70000),
            ops.set("h", "m0", mtu=1350)]
    mtus = lambda: [ops.facts("h", n)["mtu"] for n in ("m0", "m1")]   # noqa: E731
    out.append(mtus())                                 # 1350, 1300
    out.append(ops.set("h", "eth0", mtu=1320))
    out.append(mtus())                                 # lowered to 1320, 1300 unchanged
    out.append(ops.set("h", "eth0", mtu=9000))
    out.append(mtus())                                 # raising the lower raises nothing
    d = ops.detail("h", "m0")
    out.append((d["min_mtu"], d["max_mtu"], d["tso_max_size"]))
    return out


def test_MV_04_mtu_rules():
    out = _mtu_scenario(EmuOps())
    assert out[:3] == ["ok", "EINVAL", "ok"]
    assert out[3:6] == ["EINVAL", "Error: mtu greater than device maximum", "ok"]
    assert out[6] == [1350, 1300]
    assert out[7:9] == ["ok", [1320, 1300]]
    assert out[9:11] == ["ok", [1320, 1300]]
    assert out[11] == (68, 65535, 524280)              # the veth lower's max_mtu / tso max


def test_MV_04_mtu_rules_match_host_kernel(host):
    emu, real = both(host, _mtu_scenario)
    assert emu == real


# -- MV-05 -------------------------------------------------------------------------------------

def test_MV_05_random_mac_invalid_rejected_duplicates_allowed_at_creation():
    ops = _base(EmuOps())
    assert ops.add("h", "m0", "eth0") == "ok" and ops.add("h", "m1", "eth0") == "ok"
    a0, a1 = ops.lab.dev("m0", "h").addr, ops.lab.dev("m1", "h").addr
    assert a0 != a1 and not a0[0] & 1 and a0[0] & 2          # random, local, unicast
    assert ops.lab.dev("m0", "h").addr_assign_type == 1     # NET_ADDR_RANDOM
    assert ops.add("h", "m2", "eth0", address="01:00:00:00:00:01") == "EADDRNOTAVAIL"
    assert ops.add("h", "m2", "eth0", address="00:00:00:00:00:00") == "EADDRNOTAVAIL"
    eth0 = mac_str(ops.lab.dev("eth0", "h").addr)
    assert ops.add("h", "m2", "eth0", address=mac_str(a0)) == "ok"      # same as m0
    assert ops.add("h", "m3", "eth0", address=eth0) == "ok"             # same as the lower


def test_MV_05_06_mac_uniqueness_matches_host_kernel(host):
    def sc(ops):
        _base(ops)
        out = [ops.add("h", "m0", "eth0", address="02:00:00:00:01:01"),
               ops.add("h", "m1", "eth0", address="02:00:00:00:01:01"),
               ops.add("h", "m2", "eth0", address="01:00:00:00:00:01"),
               ops.add("h", "m2", "eth0", address=MACS["h"])]
        ops.set("h", "eth0", address=MACS["h"])
        out += [ops.set("h", "m0", up=True), ops.set("h", "m1", up=True),     # MV-06
                ops.set("h", "m2", up=True),                                  # = lower MAC
                ops.set("h", "m0", up=False), ops.set("h", "m1", up=True),
                ops.set("h", "m0", up=True)]
        out.append([ops.facts("h", n)["flags"] for n in ("m0", "m1", "m2")])
        return out
    emu, real = both(host, sc)
    assert emu == real
    assert emu[:4] == ["ok", "ok", "EADDRNOTAVAIL", "ok"]
    assert emu[4:10] == ["ok", "EADDRINUSE", "EADDRINUSE", "ok", "ok", "EADDRINUSE"]


# -- MV-06 -------------------------------------------------------------------------------------

def test_MV_06_eaddrinuse_at_up_only_against_up_macvlans_and_the_lower():
    ops = _base(EmuOps())
    same = "02:00:00:00:01:01"
    assert ops.add("h", "m0", "eth0", address=same) == "ok"
    assert ops.add("h", "m1", "eth0", address=same) == "ok"
    assert ops.set("h", "m0", up=True) == "ok"
    assert ops.set("h", "m1", up=True) == "EADDRINUSE"
    assert not ops.lab.dev("m1", "h").flags & IFF_UP
    assert ops.set("h", "m0", up=False) == "ok"
    assert ops.set("h", "m1", up=True) == "ok"                      # m0 is down now
    eth0 = mac_str(ops.lab.dev("eth0", "h").addr)
    assert ops.add("h", "m2", "eth0", address=eth0) == "ok"
    assert ops.set("h", "m2", up=True) == "EADDRINUSE"


# -- MV-07 -------------------------------------------------------------------------------------

def _mac_change_scenario(ops):
    _base(ops)
    ops.set("h", "eth0", address=MACS["h"])
    out = [ops.add("h", "m0", "eth0", address="02:00:00:00:01:01"),
           ops.add("h", "m1", "eth0", address="02:00:00:00:01:02"),
           ops.set("h", "m0", up=True),
           ops.set("h", "m1", address="01:00:00:00:00:05"),          # invalid
           ops.set("h", "m1", address="02:00:00:00:01:02"),          # own: no-op
           ops.set("h", "m1", address="02:00:00:00:01:01"),          # m0's, m0 UP, m1 down
           ops.set("h", "m1", address=MACS["h"]),                    # the lower's
           ops.set("h", "m0", address="02:00:00:00:01:03"),          # while UP: rehash
           ops.set("h", "m1", address="02:00:00:00:01:01"),          # free again
           ops.set("h", "m1", up=True)]
    out.append([ops.facts("h", n)["address"] for n in ("m0", "m1")])
    return out


def test_MV_07_mac_change_rules():
    out = _mac_change_scenario(EmuOps())
    assert out[3:] == ["EADDRNOTAVAIL", "ok", "EADDRINUSE", "EADDRINUSE", "ok", "ok", "ok",
                       ["02:00:00:00:01:03", "02:00:00:00:01:01"]]


def test_MV_07_mac_change_matches_host_kernel(host):
    emu, real = both(host, _mac_change_scenario)
    assert emu == real


def test_MV_07_up_macvlan_mac_change_moves_its_lower_filter_entry():
    lab = lab_without_ipv6()
    k = lab.kernel
    sw = Switch(k.engine)
    nic = add_nic(k, k.init_ns, "eth0")
    sw.plug(nic)
    lab.set_link("eth0", up=True)
    lab.add_link("m0", "macvlan", link="eth0", address="02:00:00:00:01:01")
    lab.set_link("m0", up=True)
    assert nic.uc == [mac_parse("02:00:00:00:01:01")]
    lab.set_link("m0", address="02:00:00:00:01:07")
    assert nic.uc == [mac_parse("02:00:00:00:01:07")]
    assert macvlan_port_of(nic).hash == {mac_parse("02:00:00:00:01:07"): lab.dev("m0")}


# -- MV-08 -------------------------------------------------------------------------------------

def _passthru_scenario(ops):
    _base(ops)
    ops.set("h", "eth0", address=MACS["h"])
    promisc = lambda: ops.detail("h", "eth0")["promiscuity"]          # noqa: E731
    addr = lambda n: ops.facts("h", n)["address"]                      # noqa: E731
    out = [ops.add("h", "pt", "eth0", mode="passthru", address="02:00:00:00:09:09")]
    out.append((addr("pt"), addr("eth0")))                  # inherits the lower MAC
    out.append(ops.add("h", "m1", "eth0"))                  # nothing more on a passthru lower
    out.append(ops.add("h", "m1", "pt"))                    # (not even through the macvlan)
    out.append(promisc())
    out.append(ops.set("h", "pt", up=True))
    out.append(promisc())                                   # promiscuous while open
    out.append(ops.change("h", "pt", mode="bridge"))        # out of passthru: refused
    out.append(ops.set("h", "pt", address="02:00:00:00:09:01"))
    out.append((addr("pt"), addr("eth0")))                  # forwarded to the lower
    out.append(ops.set("h", "pt", up=False))
    out.append(promisc())
    out.append(ops.delete("h", "pt"))
    out.append(addr("eth0"))                                # the original MAC is back
    out.append(ops.add("h", "m2", "eth0"))
    out.append(ops.change("h", "m2", mode="passthru"))      # into passthru: refused
    out.append(ops.delete("h", "m2"))
    out.append(ops.add("h", "pn", "eth0", mode="passthru", nopromisc=True))
    out.append(ops.set("h", "pn", up=True))
    out.append(promisc())                                   # nopromisc
    out.append(ops.set("h", "eth0", address="02:00:00:00:09:02"))   # the lower's own change
    out.append(addr("pn"))                                  # ... is followed
    out.append(ops.delete("h", "pn"))
    out.append(addr("eth0"))                                # and becomes the one restored
    return out


def test_MV_08_passthru_rules():
    out = _passthru_scenario(EmuOps())
    h = MACS["h"]
    assert out == ["ok", (h, h), "EINVAL", "EINVAL", 0, "ok", 1, "EINVAL", "ok",
                   ("02:00:00:00:09:01", "02:00:00:00:09:01"), "ok", 0, "ok", h,
                   "ok", "EINVAL", "ok", "ok", "ok", 0, "ok", "02:00:00:00:09:02", "ok",
                   "02:00:00:00:09:02"]


def test_MV_08_passthru_matches_host_kernel(host):
    emu, real = both(host, _passthru_scenario)
    assert emu == real


def test_MV_RX_02_passthru_takes_every_unicast_matches_host_kernel(host):
    """Passthru: every unicast goes to the macvlan whatever its destination, as HOST; the
    lower's stack gets no unicast at all (and its IP address is cut off)."""
    sends = [("x", MACS["a"], "x>a"), ("x", "02:00:00:00:00:77", "x>other"),
             ("x", BCAST, "x>bc")]
    out = []
    for net in (EmuNet({"a": "passthru"}), HostNet(host, {"a": "passthru"})):
        out.append((net.probe(sends), net.matrix("a x h")))
    assert out[0] == out[1]
    got = by_tag(out[0][0])
    assert got["x>other"] == [("a", PACKET_HOST)]
    assert sorted(got["x>bc"]) == [("a", PACKET_BROADCAST), ("h", PACKET_BROADCAST)]


# -- MV-09 -------------------------------------------------------------------------------------

def _filter_scenario(ops):
    _base(ops)
    ops.bridge("h", "br0")
    ops.set("h", "br0", up=True)
    lower = lambda n: (lambda d: (d["promiscuity"], d["allmulti"]))(ops.detail("h", n))  # noqa
    out = [ops.add("h", "m0", "eth0"), lower("eth0")]
    out += [ops.set("h", "m0", up=True), lower("eth0")]           # veth: no unicast filter
    out += [ops.set("h", "m0", promisc=True), lower("eth0")]      # propagated
    out += [ops.set("h", "m0", promisc=False), lower("eth0")]
    out += [ops.add("h", "m1", "eth0"), ops.set("h", "m1", promisc=True),
            lower("eth0")]                                        # m1 down: not propagated
    out += [ops.set("h", "m1", up=True), lower("eth0")]
    out += [ops.set("h", "m0", up=False), ops.set("h", "m1", up=False), lower("eth0")]
    out += [ops.set("h", "eth0", up=False), ops.set("h", "m0", up=True), lower("eth0")]
    out += [ops.set("h", "eth0", up=True), lower("eth0")]         # rx mode runs at open
    out += [ops.add("h", "mb", "br0"), ops.set("h", "mb", up=True), lower("br0")]
    return out


def test_MV_09_lower_unicast_list_and_promisc_propagation():
    ops = EmuOps()
    out = _filter_scenario(ops)
    assert out[1] == (0, 0) and out[3] == (1, 0)        # the unicast address -> uc_promisc
    assert out[5] == (2, 0) and out[7] == (1, 0)
    assert out[10] == (1, 0) and out[12] == (2, 0)
    assert out[15] == (0, 0)
    assert out[18] == (0, 0) and out[20] == (1, 0)
    assert out[-1] == (1, 0)                            # a bridge has no unicast filter either
    m0 = ops.lab.dev("m0", "h")
    assert ops.lab.dev("eth0", "h").uc == [m0.addr]


def test_MV_09_matches_host_kernel(host):
    emu, real = both(host, _filter_scenario)
    assert emu == real


def test_MV_09_nic_lower_filters_by_uc_and_vepa_needs_switch_hairpin():
    """[EMU] the NIC's hardware filter accepts exactly the UP macvlans' MACs (MV-09); a VEPA
    switch port (SW-03 hairpin) is what lets vepa children talk (BR-06's twin)."""
    lab = lab_without_ipv6()
    k = lab.kernel
    sw = Switch(k.engine)
    nic = add_nic(k, lab.netns("h"), "eth0", mac=mac_parse(MACS["h"]))
    sw.plug(nic)
    ext = add_nic(k, lab.netns("x"), "eth0", mac=mac_parse(MACS["x"]))
    sw.plug(ext)
    for n in ("h", "x"):
        lab.set_link("eth0", ns=n, up=True)
        lab.add_addr("eth0", IPS[n] + "/24", ns=n)
    for c in "ab":
        lab.netns(c)
        lab.add_link(f"mv{c}", "macvlan", "h", link="eth0", address=MACS[c], mode="vepa")
        lab.set_link(f"mv{c}", ns="h", netns=c)
        lab.set_link(f"mv{c}", ns=c, up=True)
        lab.add_addr(f"mv{c}", IPS[c] + "/24", ns=c)
    lab.run_for(1.5)
    assert sorted(nic.uc) == [mac_parse(MACS["a"]), mac_parse(MACS["b"])]
    assert nic.promiscuity == 0                        # IFF_UNICAST_FLT: no uc_promisc
    ping = lambda s, d: lab.ping(IPS[d], ns=s, count=1, wait=1).received == 1  # noqa: E731
    assert ping("x", "a") and ping("a", "x")
    assert not ping("a", "b")
    sw.set_hairpin(nic, True)
    assert ping("a", "b") and ping("b", "a") and ping("h", "a")
    lab.set_link("mvb", ns="b", up=False)
    assert nic.uc == [mac_parse(MACS["a"])]
    assert not ping("x", "b")


def test_MV_09_macvlan_on_a_bridge_matches_host_kernel(host):
    """A bridge as the lower: its promiscuity (no unicast filter) is what passes frames for the
    macvlans up the bridge."""
    def build_emu():
        lab = lab_without_ipv6()
        for n in ("h", "x", "a", "b"):
            lab.netns(n)
        lab.add_bridge("br0", ns="h", up=True)
        lab.add_veth("v0", "eth0", ns="h", peer_ns="x")
        lab.set_link("v0", ns="h", master="br0", up=True)
        lab.set_link("eth0", ns="x", up=True)
        lab.add_addr("eth0", IPS["x"] + "/24", ns="x")
        for c in "ab":
            lab.add_link(f"mv{c}", "macvlan", "h", link="br0", address=MACS[c], mode="bridge")
            lab.set_link(f"mv{c}", ns="h", netns=c)
            lab.set_link(f"mv{c}", ns=c, up=True)
            lab.add_addr(f"mv{c}", IPS[c] + "/24", ns=c)
        lab.run_for(1.5)
        return [int(lab.ping(IPS[d], ns=s, count=1, wait=1).received > 0)
                for s, d in (("x", "a"), ("a", "x"), ("a", "b"), ("b", "x"))]

    def build_host():
        h = HostNet.__new__(HostNet)
        h.host, h.nodes = host, []
        for n in ("h", "x", "a", "b"):
            h.netns(n)
        h.run("ip link add br0 type bridge && ip link set br0 up", "h")
        h.run(f"ip link add v0 type veth peer name eth0 netns {host.ns('x')}", "h")
        h.run("ip link set v0 master br0 up", "h")
        h.run(f"ip link set eth0 up && ip addr add {IPS['x']}/24 dev eth0", "x")
        for c in "ab":
            h.run(f"ip link add link br0 name mv{c} address {MACS[c]} type macvlan mode bridge"
                  f" && ip link set mv{c} netns {host.ns(c)}", "h")
            h.run(f"ip link set mv{c} up && ip addr add {IPS[c]}/24 dev mv{c}", c)
        time.sleep(1.5)
        return [int(h.ping(s, d)) for s, d in (("x", "a"), ("a", "x"), ("a", "b"), ("b", "x"))]

    assert build_emu() == build_host() == [1, 1, 1, 1]


# -- MV-10 -------------------------------------------------------------------------------------

def _lifetime_scenario(ops):
    _base(ops)
    ops.netns("a")
    ops.netns("z")
    out = [ops.add("h", "m0", "eth0"), ops.add("h", "m1", "eth0"),
           ops.set("h", "m1", netns="a"), ops.set("h", "m0", up=True)]
    out.append(ops.set("h", "eth0", netns="z"))             # moving the lower keeps them
    out.append((ops.exists("h", "m0"), ops.exists("a", "m1")))
    f = ops.facts("h", "m0")
    out.append((f["link"], f["link_netns"], f["flags"]))
    ops.wait(1.5)
    out.append(ops.facts("h", "m0")["operstate"])
    out.append(ops.delete("z", "eth0"))                     # deleting it deletes them
    out.append((ops.exists("h", "m0"), ops.exists("a", "m1"), ops.exists("h", "peer")))
    return out


def test_MV_10_lifetime():
    ops = EmuOps()
    out = _lifetime_scenario(ops)
    assert out[:5] == ["ok"] * 5
    assert out[5] == (True, True)
    assert out[6][0] is None and out[6][1] is True          # the link is in another netns now
    assert out[-2:] == ["ok", (False, False, False)]


def test_MV_10_lifetime_matches_host_kernel(host):
    emu, real = both(host, _lifetime_scenario)
    assert emu == real


def test_MV_10_lower_type_change_is_vetoed():
    ops = _base(EmuOps())
    ops.add("h", "m0", "eth0")
    from vnetlab.stack.netdev import NETDEV_PRE_TYPE_CHANGE
    with pytest.raises(KernelError) as ei:
        ops.lab.kernel.notify(NETDEV_PRE_TYPE_CHANGE, ops.lab.dev("eth0", "h"))
    assert ei.value.errno == errno.EPERM


# -- MV-11 / CORE-06 ---------------------------------------------------------------------------

def _carrier_scenario(ops):
    _base(ops)
    ops.netns("a")
    ops.add("h", "m0", "eth0")
    ops.add("h", "m1", "eth0")
    ops.set("h", "m1", netns="a")
    ops.set("h", "m0", up=True)
    ops.set("a", "m1", up=True)
    ops.wait(1.5)
    out = []
    snap = lambda: [(f["flags"], f["operstate"]) for f in (ops.facts("h", "m0"),   # noqa: E731
                                                           ops.facts("a", "m1"))]
    out.append(snap())
    ops.set("h", "eth0", up=False)                          # admin down: carrier only
    ops.wait(1.5)
    out.append(snap())
    ops.set("h", "eth0", up=True)
    ops.wait(1.5)
    out.append(snap())
    ops.set("h", "peer", up=False)                          # the lower loses carrier
    ops.wait(1.5)
    out.append(snap())
    ops.set("h", "peer", up=True)
    ops.wait(1.5)
    out.append(snap())
    return out


def test_MV_11_carrier_follows_the_lower_not_its_admin_state():
    out = _carrier_scenario(EmuOps())
    up = ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"]
    assert out[0] == [(up, "UP"), (up, "UP")]
    nc = ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP"]
    # still UP; in h the lower is found and has no carrier -> LOWERLAYERDOWN (CORE-05); in a
    # the lower cannot be looked up -> DOWN
    assert out[1] == [(nc + ["M-DOWN"], "LOWERLAYERDOWN"), (nc, "DOWN")]
    assert out[2] == out[0]
    assert out[3] == [(nc, "LOWERLAYERDOWN"), (nc, "DOWN")]
    assert out[4] == out[0]


def test_MV_11_carrier_matches_host_kernel(host):
    emu, real = both(host, _carrier_scenario)
    assert emu == real


# -- MV-12 / CORE-07 ---------------------------------------------------------------------------

def _display_scenario(ops):
    _base(ops)
    ops.netns("a")
    ops.add("h", "m0", "eth0")
    ops.add("h", "m1", "eth0")
    ops.set("h", "m1", netns="a")
    out = []
    for ns, name in (("h", "m0"), ("a", "m1")):
        j = ops.ip_json(ns, "link", "show", "dev", name)[0]
        out.append((j["ifindex"], j.get("link"), j.get("link_index"), "link_netnsid" in j,
                    j["flags"]))
    return out


def test_MV_12_iflink_is_the_lower():
    ops = EmuOps()
    out = _display_scenario(ops)
    eth0 = ops.lab.dev("eth0", "h")
    assert out[0][1] == "eth0" and not out[0][3]
    assert out[1][1] is None and out[1][2] == eth0.ifindex and out[1][3]
    code, text, _ = commands.run(ops.lab, ["ip", "link", "show", "m1"], ns=ops.lab.ns("a"))
    assert f"m1@if{eth0.ifindex}:" in text and "link-netns h" in text


def test_MV_12_display_matches_host_kernel(host):
    emu, real = both(host, _display_scenario)
    assert emu == real


# =============================================================================================
# source mode (MV-SRC-01/02, MV-RX-02 step 1)
# =============================================================================================

def _source_scenario(ops):
    _base(ops)
    info = lambda n: ops.detail("h", n)["info_data"]                # noqa: E731
    s1, s2, s3 = "02:00:00:00:00:05", "02:00:00:00:00:07", "0a:00:00:00:00:01"
    out = [ops.add("h", "s0", "eth0", mode="source", macaddr=("add", s1))]
    out += [ops.change("h", "s0", macaddr=("add", s2)), ops.change("h", "s0", macaddr=("add", s3)),
            ops.change("h", "s0", macaddr=("add", s2)), info("s0")]       # duplicate: no-op
    out += [ops.change("h", "s0", macaddr=("del", s1)),
            ops.change("h", "s0", macaddr=("del", "02:00:00:00:00:99")), info("s0")]
    out += [ops.change("h", "s0", macaddr=("set", [s1, s3, "02:00:00:00:00:33"])), info("s0")]
    out += [ops.change("h", "s0", macaddr="flush"), info("s0")]
    out += [ops.add("h", "m0", "eth0", mode="bridge", macaddr=("add", s1)),
            ops.add("h", "m0", "eth0", mode="bridge"),
            ops.change("h", "m0", macaddr=("add", s1))]                  # only in source mode
    out += [ops.change("h", "s0", macaddr=("add", s1)),
            ops.change("h", "s0", mode="vepa"), info("s0"),                # leaving flushes
            ops.change("h", "s0", mode="source"), info("s0")]
    out += [ops.change("h", "s0", macaddr=("add", "01:00:00:00:00:01"))]
    return out


def test_MV_SRC_01_macaddr_commands():
    out = _source_scenario(EmuOps())
    assert out[0:4] == ["ok"] * 4
    assert out[4]["macaddr_count"] == 3
    assert sorted(out[4]["macaddr_data"]) == ["02:00:00:00:00:05", "02:00:00:00:00:07",
                                              "0a:00:00:00:00:01"]
    assert out[5:7] == ["ok", "ok"] and out[7]["macaddr_count"] == 2
    assert out[8] == "ok" and sorted(out[9]["macaddr_data"]) == [
        "02:00:00:00:00:05", "02:00:00:00:00:33", "0a:00:00:00:00:01"]
    assert out[10] == "ok" and out[11]["macaddr_count"] == 0 and "macaddr_data" not in out[11]
    assert out[12:15] == ["EINVAL", "ok", "EINVAL"]
    assert out[15:17] == ["ok", "ok"] and out[17]["mode"] == "vepa"
    assert out[18] == "ok" and out[19]["macaddr_count"] == 0
    assert out[20] == "EADDRNOTAVAIL"


def test_MV_SRC_01_matches_host_kernel(host):
    """Including the order of the address list (the kernel's hash buckets)."""
    emu, real = both(host, _source_scenario)
    assert emu == real


def _source_rx(net_cls, host, nodst: bool):
    opts = {"a": {"macaddr": ("add", MACS["x"]), "nodst": nodst}}
    net = (net_cls({"a": "source", "b": "vepa"}, opts=opts) if host is None
           else net_cls(host, {"a": "source", "b": "vepa"}, opts=opts))
    return net.probe([("x", MACS["a"], "x>a"), ("x", MACS["b"], "x>b"), ("x", BCAST, "x>bc"),
                      ("h", MACS["a"], "h>a"), ("b", MACS["x"], "b>x")])


@pytest.mark.parametrize("nodst", [False, True])
def test_MV_SRC_02_source_devices_match_by_source_not_destination(nodst):
    got = by_tag(_source_rx(EmuNet, None, nodst))
    if not nodst:
        # a clone to a (HOST: its own MAC), and the original is processed as usual: the
        # destination lookup skips source mode, so the lower's stack gets it too
        assert sorted(got["x>a"]) == [("a", PACKET_HOST), ("h", PACKET_OTHERHOST)]
        assert sorted(got["x>b"]) == [("a", PACKET_OTHERHOST), ("b", PACKET_HOST)]
        assert sorted(got["x>bc"]) == [("a", PACKET_BROADCAST), ("b", PACKET_BROADCAST),
                                       ("h", PACKET_BROADCAST)]
    else:                                             # nodst: only the clone
        assert got["x>a"] == [("a", PACKET_HOST)]
        assert got["x>b"] == [("a", PACKET_OTHERHOST)]
        assert got["x>bc"] == [("a", PACKET_BROADCAST)]
    # the lower's own transmission never enters the rx_handler (only x hears the flood)
    assert got["h>a"] == [("x", PACKET_OTHERHOST)]
    assert got["b>x"] == [("x", PACKET_HOST)]         # other sources: nothing for a


@pytest.mark.parametrize("nodst", [False, True])
def test_MV_SRC_02_matches_host_kernel(host, nodst):
    assert _source_rx(EmuNet, None, nodst) == _source_rx(HostNet, host, nodst)


# =============================================================================================
# receive path details (MV-RX-01, 05, 06, 07, ip_check_defrag)
# =============================================================================================

def _lower_with(modes: dict, lower: str = "veth"):
    """A lower device (veth in the init netns, or an emulated NIC) with macvlans on it, UP."""
    lab = lab_without_ipv6()
    k = lab.kernel
    if lower == "nic":
        low = add_nic(k, k.init_ns, "eth0", mac=mac_parse(MACS["h"]))
        Switch(k.engine).plug(low)
    else:
        low, _ = lab.add_veth("eth0", "peer", address=MACS["h"])
        lab.set_link("peer", up=True)
    lab.set_link("eth0", up=True)
    got: list = []
    k.init_ns.ptype[ETH_P_TEST] = lambda skb: got.append((skb.dev.name, skb.pkt_type))
    for c, mode in modes.items():
        d = lab.add_link(f"mv{c}", "macvlan", link="eth0", address=MACS[c], mode=mode)
        lab.set_link(d, up=True)
    lab.run_for(1.5)
    return lab, low, got


def rx_on(low, data: bytes, pkt_type: int | None = None) -> int:
    """Feed one frame to the lower's rx_handler as netif_receive would; its result."""
    skb = Skb(data, low)
    from vnetlab.stack.netdev import eth_type_trans
    eth_type_trans(skb, low)
    if pkt_type is not None:
        skb.pkt_type = pkt_type
    return low.rx_handler(skb)


def test_MV_RX_01_loopback_frames_pass_untouched():
    lab, low, got = _lower_with({"a": "vepa"})
    f = frame(MACS["a"], MACS["x"], "lo")
    assert rx_on(low, f, PACKET_LOOPBACK) == RX_HANDLER_PASS
    assert rx_on(low, f) == 1                           # RX_HANDLER_ANOTHER otherwise


def test_MV_RX_02_unicast_lookup_only_among_up_macvlans():
    lab, low, got = _lower_with({"a": "vepa", "b": "bridge"})
    lab.set_link("mvb", up=False)
    skb = Skb(frame(MACS["a"], MACS["x"], "t"), low)
    from vnetlab.stack.netdev import eth_type_trans
    eth_type_trans(skb, low)
    assert skb.pkt_type == PACKET_OTHERHOST
    assert low.rx_handler(skb) == 1 and skb.dev.name == "mva" and skb.pkt_type == PACKET_HOST
    assert rx_on(low, frame(MACS["b"], MACS["x"], "t")) == RX_HANDLER_PASS     # down
    assert rx_on(low, frame(MACS["h"], MACS["x"], "t")) == RX_HANDLER_PASS     # the lower's
    # the same MAC may now come up on another macvlan (it is not in the hash)
    lab.add_link("mvz", "macvlan", link="eth0", address=MACS["b"], mode="private", up=True)
    skb = Skb(frame(MACS["b"], MACS["x"], "t"), low)
    eth_type_trans(skb, low)
    assert low.rx_handler(skb) == 1 and skb.dev.name == "mvz"
    a = lab.dev("mva")
    assert (a.rx_packets, a.rx_bytes) == (1, 60)        # counted on delivery (ANOTHER)


def test_MV_RX_02_passthru_down_drops_every_unicast():
    lab, low, got = _lower_with({"a": "passthru"})
    f = frame("02:00:00:00:00:77", MACS["x"], "t")
    skb = Skb(f, low)
    from vnetlab.stack.netdev import eth_type_trans
    eth_type_trans(skb, low)
    assert low.rx_handler(skb) == 1 and skb.dev.name == "mva" and skb.pkt_type == PACKET_HOST
    lab.set_link("mva", up=False)
    assert rx_on(low, f) == 0                          # CONSUMED: neither mva nor eth0
    assert rx_on(low, frame(BCAST, MACS["x"], "t")) == RX_HANDLER_PASS


def test_MV_RX_05_port_filter_is_synced_groups_plus_broadcast():
    from vnetlab.devices.macvlan import _mc_hash
    lab, nic, got = _lower_with({"a": "vepa", "b": "vepa"}, lower="nic")
    port = macvlan_port_of(nic)
    # With IPv6 built in, every device joins ff01::1 and ff02::1 at register even with
    # disable_ipv6=1 (ipv6_add_dev): 33:33:00:00:00:01 twice on the lower, and each macvlan's
    # (one address, 2 refs) synced to it once -> 4 references, in the filter from the start.
    an = mac_parse("33:33:00:00:00:01")
    v6 = [an] * 4 if lab.kernel.ipv6_enabled else []
    base = (1 << _mc_hash(b"\xff" * 6)) | ((1 << _mc_hash(an)) if v6 else 0)
    assert nic.promiscuity == 0 and nic.allmulti == 0
    assert port.mc_filter == base
    g = mac_parse(GROUP)
    dev_mc_add(lab.dev("mva"), g)
    assert port.mc_filter == base | (1 << _mc_hash(g))
    assert nic.mc == v6 + [g] and port.mc_synced == ({an: 2} if v6 else {}) | {g: 1}
    nic.mc.append(mac_parse("01:00:5e:00:00:fb"))       # the lower's own group: synced == 0
    dev_mc_add(lab.dev("mvb"), g)
    assert port.mc_filter == base | (1 << _mc_hash(g))
    # a promiscuous lower lets every group through to the per-macvlan filters
    from vnetlab.stack.netdev import dev_set_promiscuity
    dev_set_promiscuity(nic, 1)
    dev_mc_add(lab.dev("mvb"), mac_parse("01:00:5e:00:00:02"))
    assert port.mc_filter == (1 << 256) - 1


def test_MV_RX_06_broadcasts_and_shared_groups_are_queued_others_inline():
    lab, nic, got = _lower_with({"a": "vepa", "b": "vepa"}, lower="nic")
    port = macvlan_port_of(nic)
    g1, g2 = mac_parse("01:00:5e:01:01:01"), mac_parse("01:00:5e:02:02:02")
    dev_mc_add(lab.dev("mva"), g1)                     # one subscriber: inline
    dev_mc_add(lab.dev("mva"), g2)
    dev_mc_add(lab.dev("mvb"), g2)                     # two > bclim 1: queued
    k = lab.kernel
    assert rx_on(nic, frame(mac_str(g1), MACS["x"], "g1")) == RX_HANDLER_PASS
    assert len(port.bc_queue) == 0 and len(k.backlog) == 1    # the copy is on the backlog
    k.backlog.clear()
    assert rx_on(nic, frame(mac_str(g2), MACS["x"], "g2")) == RX_HANDLER_PASS
    assert len(port.bc_queue) == 1
    assert rx_on(nic, frame(BCAST, MACS["x"], "bc")) == RX_HANDLER_PASS
    assert len(port.bc_queue) == 2
    lab.run_for(0.01)
    assert sorted(got) == sorted([("mva", PACKET_MULTICAST), ("mva", PACKET_BROADCAST),
                                  ("mvb", PACKET_MULTICAST), ("mvb", PACKET_BROADCAST)])
    # bclim 2: g2 is inline now; bclim -1: even broadcasts
    LINK_KINDS["macvlan"].changelink(lab.dev("mva"), LinkRequest(data={"bclim": 2}))
    rx_on(nic, frame(mac_str(g2), MACS["x"], "g2"))
    assert len(port.bc_queue) == 0
    rx_on(nic, frame(BCAST, MACS["x"], "bc"))
    assert len(port.bc_queue) == 1
    lab.run_for(0.01)
    LINK_KINDS["macvlan"].changelink(lab.dev("mvb"), LinkRequest(data={"bclim": -1}))
    rx_on(nic, frame(BCAST, MACS["x"], "bc"))
    assert len(port.bc_queue) == 0
    assert lab.dev("mva").fill_info()["bc_cutoff"] == -1   # port-wide


def test_MV_RX_06_queue_overflow_counts_on_the_lower():
    lab, nic, got = _lower_with({"a": "vepa"}, lower="nic")
    port = macvlan_port_of(nic)
    LINK_KINDS["macvlan"].changelink(lab.dev("mva"), LinkRequest(data={"bcqueuelen": 2}))
    assert port.bc_queue_len_used == 2
    before = nic.rx_dropped
    for i in range(5):
        rx_on(nic, frame(BCAST, MACS["x"], f"bc{i}"))
    assert nic.rx_dropped - before == 3
    lab.run_for(0.01)
    assert got == [("mva", PACKET_BROADCAST)] * 2
    # the length used is the largest request on the port
    lab.add_link("mvb", "macvlan", link="eth0", address=MACS["b"], bcqueuelen=7)
    assert port.bc_queue_len_used == 7
    lab.del_link("mvb")
    assert port.bc_queue_len_used == 2


def _bcq_scenario(net):
    before = net.stats("h", "eth0")["rx_dropped"]
    got = net.probe([("x", BCAST, f"x>bc{i}") for i in range(3)] + [("x", MACS["a"], "x>a")])
    return got, net.stats("h", "eth0")["rx_dropped"] - before, net.ping("x", "a")


def test_MV_RX_06_bcqueuelen_0_drops_broadcasts_matches_host_kernel(host):
    opts = {c: {"bcqueuelen": 0} for c in "ab"}
    emu = _bcq_scenario(EmuNet({"a": "vepa", "b": "bridge"}, opts=opts))
    real = _bcq_scenario(HostNet(host, {"a": "vepa", "b": "bridge"}, opts=opts))
    assert emu == real
    got, dropped, reach = emu
    assert dropped == 3 and reach is False            # ARP requests never reach a child
    assert sorted(by_tag(got)["x>bc0"]) == [("h", PACKET_BROADCAST)]
    assert by_tag(got)["x>a"] == [("a", PACKET_HOST)]  # unicast is not queued


def test_MV_RX_06_usedbcqueuelen_matches_host_kernel(host):
    def sc(ops):
        _base(ops)
        out = [ops.add("h", "m0", "eth0", bcqueuelen=100), ops.detail("h", "m0")["info_data"],
               ops.add("h", "m1", "eth0", bcqueuelen=2000), ops.detail("h", "m0")["info_data"],
               ops.change("h", "m1", bcqueuelen=10), ops.detail("h", "m1")["info_data"],
               ops.delete("h", "m1"), ops.detail("h", "m0")["info_data"]]
        return out
    emu, real = both(host, sc)
    assert emu == real
    assert emu[3]["usedbcqueuelen"] == 2000 and emu[5]["usedbcqueuelen"] == 100


def test_MV_RX_07_pause_frames_are_never_flooded():
    lab, nic, got = _lower_with({"a": "vepa"}, lower="nic")
    commands.run(lab, ["ip", "link", "set", "mva", "promisc", "on"])
    seen = []
    lab.dev("mva").ptype_all.append(lambda skb, dev, tx: seen.append(skb.data[12:14]))
    pause = mac_parse("01:80:c2:00:00:01")
    rx_on(nic, pause + mac_parse(MACS["x"]) + b"\x88\x08" + bytes(46))
    rx_on(nic, pause + mac_parse(MACS["x"]) + b"\x88\xb5" + bytes(46))
    lab.run_for(0.01)
    assert seen == [b"\x88\xb5"]


def test_MV_RX_03_ipv4_fragments_of_group_frames_are_reassembled_first():
    from vnetlab.wire import ipv4 as wip
    lab, nic, got = _lower_with({"a": "vepa"}, lower="nic")
    seen = []
    lab.dev("mva").ptype_all.append(lambda skb, dev, tx: seen.append(skb.data))
    lower_seen = []
    lab.kernel.init_ns.ptype[0x0800] = lambda skb: lower_seen.append((skb.dev.name, skb.data))
    payload = bytes(range(256)) * 4                     # 1024 bytes of UDP-ish payload
    src, dst = wip.aton("10.0.0.9"), wip.aton("10.0.0.255")
    eth = mac_parse(BCAST) + mac_parse(MACS["x"]) + b"\x08\x00"

    def frag(off: int, data: bytes, mf: bool) -> bytes:
        return eth + wip.build(src, dst, 17, data, ident=0x4444,
                               frag=(0x2000 if mf else 0) | (off // 8))
    assert rx_on(nic, frag(0, payload[:512], True)) == 0          # held (CONSUMED)
    lab.run_for(0.01)
    assert seen == [] and lower_seen == []
    assert rx_on(nic, frag(512, payload[512:], False)) == RX_HANDLER_PASS
    lab.run_for(0.01)
    assert len(seen) == 1 and len(seen[0]) == 14 + 20 + 1024
    h, body = wip.parse(seen[0][14:])
    assert body == payload and not h.frag & 0x3FFF
    # the lower's stack gets the reassembled datagram too, not the fragments
    assert [len(d) for n, d in lower_seen] == [14 + 20 + 1024]


FRAG_SCRIPT = r"""
import socket, struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
def ip(off, data, mf):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(data), 0x4444,
                    (0x2000 if mf else 0) | (off // 8), 64, 17, 0, bytes([10, 0, 0, 9]),
                    bytes([10, 0, 0, 255]))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + data
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("eth0", 0))
eth = b"\xff" * 6 + bytes.fromhex("020000000009") + b"\x08\x00"
p = bytes(range(256)) * 4
s.send(eth + ip(0, p[:512], True)); s.send(eth + ip(512, p[512:], False))
"""

def test_MV_RX_03_fragment_reassembly_matches_host_kernel(host):
    """A fragmented IPv4 broadcast from x: the macvlan (seen by a tap on it) and the lower's
    IPv4 handler each get one reassembled datagram."""
    net = HostNet(host, {"a": "vepa"})
    taps = HostListener(host, [("a", "mva")], 3, "len")            # ETH_P_ALL tap on mva
    stack = HostListener(host, [("h", "eth0")], 0x0800, "len")      # eth0's IPv4 handler
    net.run(f"{sys.executable} -c '{FRAG_SCRIPT}'", "x")
    real = [taps.stop()[("a", "mva")], stack.stop(0)[("h", "eth0")]]

    emu = EmuNet({"a": "vepa"})
    got_a, got_h = [], []
    emu.dev("a").ptype_all.append(lambda skb, dev, tx: got_a.append(len(skb.data))
                                  if skb.data[18:20] == b"\x44\x44" else None)
    emu.lab.ns("h").ptype[0x0800] = lambda skb: got_h.append(len(skb.data)) \
        if skb.data[18:20] == b"\x44\x44" and skb.dev.name == "eth0" else None
    from vnetlab.wire import ipv4 as wip
    eth = mac_parse(BCAST) + mac_parse(MACS["x"]) + b"\x08\x00"
    p = bytes(range(256)) * 4
    for off, data, mf in ((0, p[:512], True), (512, p[512:], False)):
        pkt = wip.build(wip.aton("10.0.0.9"), wip.aton("10.0.0.255"), 17, data, ident=0x4444,
                        frag=(0x2000 if mf else 0) | (off // 8))
        dev_queue_xmit(Skb(eth + pkt, dev=emu.dev("x")))
    emu.wait(0.1)
    assert [got_a, got_h] == real == [[1058], [1058]]


# =============================================================================================
# transmit path (MV-TX-01..05)
# =============================================================================================

BRIDGES = {"a": "bridge", "b": "bridge", "c": "vepa"}


@pytest.mark.parametrize("hairpin", [False, True])
def test_MV_TX_01_bridge_mode_group_copies_then_the_wire(hairpin):
    net = EmuNet(BRIDGES, hairpin=hairpin)
    got = by_tag(net.probe([("a", BCAST, "a>bc")]))
    B = PACKET_BROADCAST
    if not hairpin:
        assert sorted(got["a>bc"]) == [("b", B), ("x", B)]     # the other bridge port + wire
    else:   # reflected from a bridge source: vepa ports only (b already had its copy)
        assert sorted(got["a>bc"]) == [("b", B), ("c", B), ("h", B), ("x", B)]


def _tx_capture(net):
    where = [("h", "eth0"), ("a", "mva"), ("b", "mvb"), ("c", "mvc")]
    return net.capture([("a", MACS["b"], "a>b"),      # bridge -> bridge: local
                        ("a", MACS["c"], "a>c"),      # bridge -> vepa: the wire
                        ("c", MACS["a"], "c>a"),      # vepa -> anything: the wire
                        ("a", MACS["h"], "a>h"),      # bridge -> the lower's MAC: the wire
                        ("a", BCAST, "a>bc")], where)


def test_MV_TX_02_03_04_where_frames_go():
    got: dict = {}
    for node, dev, tag, pt in _tx_capture(EmuNet(BRIDGES)):
        got.setdefault(tag, []).append((dev, pt))
    OUT = 4                                           # PACKET_OUTGOING
    # MV-TX-02: injected into the lower's receive path: its taps see it *received*
    assert sorted(got["a>b"]) == [("eth0", PACKET_OTHERHOST), ("mva", OUT),
                                  ("mvb", PACKET_HOST)]
    # MV-TX-03 / 04: out of the lower, nothing local
    assert sorted(got["a>c"]) == [("eth0", OUT), ("mva", OUT)]
    assert sorted(got["c>a"]) == [("eth0", OUT), ("mvc", OUT)]
    assert sorted(got["a>h"]) == [("eth0", OUT), ("mva", OUT)]
    # MV-TX-01: the local copy does not pass through the lower
    assert sorted(got["a>bc"]) == [("eth0", OUT), ("mva", OUT), ("mvb", PACKET_BROADCAST)]


def test_MV_TX_02_03_04_matches_host_kernel(host):
    assert _tx_capture(EmuNet(BRIDGES)) == _tx_capture(HostNet(host, BRIDGES))


def test_MV_TX_02_lower_must_be_up_and_the_frame_must_fit():
    """dev_forward_skb(lower): dropped, rx_dropped on the lower. An emulated NIC keeps its
    carrier when set down, so its macvlans keep transmitting."""
    lab = lab_without_ipv6()
    k = lab.kernel
    nic = add_nic(k, k.init_ns, "eth0", mac=mac_parse(MACS["h"]))
    Switch(k.engine).plug(nic)
    lab.set_link("eth0", up=True)
    got = []
    k.init_ns.ptype[ETH_P_TEST] = lambda skb: got.append(skb.dev.name)
    for c in "ab":
        lab.add_link(f"mv{c}", "macvlan", link="eth0", address=MACS[c], mode="bridge", up=True)
    lab.run_for(1.5)
    send = lambda n=46: dev_queue_xmit(Skb(frame(MACS["b"], MACS["a"], "t")[:14]    # noqa
                                           + bytes(n), dev=lab.dev("mva")))
    send()
    lab.run_for(0.01)
    assert got == ["mvb"]
    lab.set_link("eth0", up=False)
    assert lab.dev("mva").carrier                      # NIC-01: still plugged
    send()
    lab.run_for(0.01)
    assert got == ["mvb"] and nic.rx_dropped == 1
    lab.set_link("eth0", up=True)
    lab.set_link("eth0", mtu=1000)                     # mvb follows (MV-04), mva too
    assert lab.dev("mva").mtu == 1000
    send(1004)                                         # 1018 bytes = 1000 + 14 + 4: fits
    lab.run_for(0.01)
    assert got == ["mvb", "mvb"] and nic.rx_dropped == 1
    send(1005)                                         # 1019: too big
    lab.run_for(0.01)
    assert got == ["mvb", "mvb"] and nic.rx_dropped == 2


def test_MV_TX_05_frames_carry_the_macvlan_mac():
    net = EmuNet({"a": "vepa"})
    srcs = []
    net.dev("h").ptype_all.append(lambda skb, dev, tx: srcs.append(mac_str(skb.data[6:12]))
                                  if tx else None)
    assert net.ping("a", "x")
    assert srcs and set(srcs) == {MACS["a"]}


def test_MV_TX_06_no_l2_path_between_the_lower_and_its_macvlans_without_hairpin():
    for mode in ("private", "vepa", "bridge", "source"):
        net = EmuNet({"a": mode})
        assert not net.ping("h", "a") and not net.ping("a", "h"), mode
        assert net.ping("x", "a") or mode == "source"


def _counter_scenario(net):
    """rx counters of the macvlans for: an external broadcast, a bridge-mode local copy
    (transmit path), a private port's own reflected broadcast, a unicast."""
    names = {"a": "mva", "b": "mvb", "c": "mvc"}
    keys = ("rx_packets", "rx_bytes", "multicast", "rx_errors", "rx_dropped")
    before = {c: net.stats(c, n) for c, n in names.items()}
    net.probe([("x", BCAST, "x>bc"), ("b", BCAST, "b>bc"), ("a", BCAST, "a>bc"),
               ("x", MACS["c"], "x>c")])
    after = {c: net.stats(c, n) for c, n in names.items()}
    return {c: tuple(after[c][k] - before[c][k] for k in keys) for c in names}


def test_MV_RX_counters_match_host_kernel(host):
    modes = {"a": "private", "b": "bridge", "c": "bridge"}
    emu = _counter_scenario(EmuNet(modes, hairpin=True))
    real = _counter_scenario(HostNet(host, modes, hairpin=True))
    assert emu == real
    # a: x's broadcast (60 B) + its own reflected one (counted with length 0)
    assert emu["a"] == (2, 60, 1, 0, 0)


# =============================================================================================
# MACVTAP (MVT-01..08)
# =============================================================================================

MT_MAC = MACS["a"]
PEER_MAC = MACS["x"]


def tap_frame(i: int, sport: int = 1000, size: int = 60) -> bytes:
    """A UDP/IPv4 frame from the peer to the macvtap (flow chosen by ``sport``)."""
    from vnetlab.wire import ipv4 as wip
    from vnetlab.wire import udp as wudp
    src, dst = wip.aton("10.0.0.9"), wip.aton("10.0.0.2")
    body = i.to_bytes(4, "big") + bytes(max(0, size - 14 - 20 - 8 - 4))
    pkt = wip.build(src, dst, 17, wudp.build(sport, 2000, body, src, dst))
    return mac_parse(MT_MAC) + mac_parse(PEER_MAC) + b"\x08\x00" + pkt


def _res(fn):
    """Call ``fn``; its value, or the errno name of the OSError it raised."""
    try:
        return fn()
    except OSError as e:
        return errname(e.errno)


class MvtEmu:
    """netns h: veth eth0 <-> peer; macvtap mt0 (bridge mode, MT_MAC) on eth0; all UP."""

    def __init__(self, mode: str = "bridge", txqlen: int | None = None):
        self.lab = lab = lab_without_ipv6()
        lab.netns("h")
        lab.add_veth("eth0", "peer", ns="h", peer_address=PEER_MAC)
        self.mt = lab.add_link("mt0", "macvtap", "h", link="eth0", address=MT_MAC, mode=mode,
                               txqlen=txqlen)
        for n in ("eth0", "peer", "mt0"):
            lab.set_link(n, ns="h", up=True)
        lab.run_for(1.5)
        self.peer_rx: list = []
        lab.dev("peer", "h").ptype_all.append(
            lambda skb, dev, tx: None if tx else self.peer_rx.append(skb.data))

    def ifindex(self) -> int:
        return self.mt.ifindex

    def open(self):
        return self.mt.open()

    def read(self, f, n: int = 65536):
        return _res(lambda: f.read(n))

    def write(self, f, data: bytes):
        r = _res(lambda: f.write(data))
        self.lab.run_for(0.01)
        return r

    def send(self, frames: list[bytes]) -> None:
        peer = self.lab.dev("peer", "h")
        for fr in frames:
            dev_queue_xmit(Skb(fr, dev=peer))
        self.lab.run_for(0.1)

    def stats(self) -> dict:
        return self.mt.get_stats64()

    def close(self, f) -> None:
        f.close()

    def set_iff(self, f, flags: int):
        return _res(lambda: f.set_iff(flags))

    def get_iff(self, f) -> int:
        return f.get_iff()


SEND_MANY = r"""
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.setsockopt(socket.SOL_SOCKET, 32, 1 << 24)       # SO_SNDBUFFORCE: the tap ring holds them
s.bind(("peer", 0))
for line in sys.stdin:
    s.send(bytes.fromhex(line.strip()))
"""

TUNSETIFF = 0x400454CA
TUNGETIFF = 0x800454D2


class MvtHost:
    """The same on the host kernel; the tap is opened through a private device node made from
    /sys/class/net/mt0/tapN/dev (no dependence on udev's /dev)."""

    def __init__(self, host, tmp_path, mode: str = "bridge", txqlen: int | None = None):
        self.host = host
        self.tmp = tmp_path
        host.ns("h")
        r = lambda c: host.run(c, ns="h")   # noqa: E731
        r("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1")
        r(f"ip link add eth0 type veth peer name peer address {PEER_MAC}")
        q = f" txqueuelen {txqlen}" if txqlen is not None else ""
        r(f"ip link add link eth0 name mt0 address {MT_MAC}{q} type macvtap mode {mode}")
        r("ip link set eth0 up && ip link set peer up && ip link set mt0 up")
        time.sleep(1.5)
        self.fds: list = []

    def ifindex(self) -> int:
        return json.loads(self.host.run("ip -j link show dev mt0", ns="h").stdout)[0]["ifindex"]

    def open(self):
        n = self.ifindex()
        majmin = self.host.run(f"cat /sys/class/net/mt0/tap{n}/dev", ns="h").stdout.strip()
        maj, mn = (int(v) for v in majmin.split(":"))
        path = str(self.tmp / f"tap{n}-{len(self.fds)}")
        import stat
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(maj, mn))
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        self.fds.append(fd)
        return fd

    def read(self, fd, n: int = 65536):
        return _res(lambda: os.read(fd, n))

    def write(self, fd, data: bytes):
        r = _res(lambda: os.write(fd, data))
        time.sleep(0.1)
        return r

    def send(self, frames: list[bytes]) -> None:
        subprocess.run(["ip", "netns", "exec", self.host.ns("h"), sys.executable, "-c",
                        SEND_MANY], input="\n".join(f.hex() for f in frames), text=True,
                       check=True)
        time.sleep(0.3)

    def stats(self) -> dict:
        s = json.loads(self.host.run("ip -j -s link show dev mt0", ns="h").stdout)[0]["stats64"]
        return {"rx_packets": s["rx"]["packets"], "rx_bytes": s["rx"]["bytes"],
                "rx_errors": s["rx"]["errors"], "rx_dropped": s["rx"]["dropped"],
                "tx_packets": s["tx"]["packets"], "tx_bytes": s["tx"]["bytes"],
                "tx_dropped": s["tx"]["dropped"]}

    def close(self, fd) -> None:
        os.close(fd)
        self.fds.remove(fd)

    def set_iff(self, fd, flags: int):
        import fcntl
        import struct
        return _res(lambda: fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", b"x", flags))
                    and None)

    def get_iff(self, fd) -> int:
        import fcntl
        import struct
        out = fcntl.ioctl(fd, TUNGETIFF, bytes(40))
        return struct.unpack_from("H", out, 16)[0]

    def cleanup(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []


@pytest.fixture
def mvt_host(host, tmp_path):
    envs = []

    def make(**kw):
        e = MvtHost(host, tmp_path, **kw)
        envs.append(e)
        return e
    yield make
    for e in envs:
        e.cleanup()


STATS_KEYS = ("rx_packets", "rx_bytes", "rx_errors", "rx_dropped", "tx_packets", "tx_dropped")


def test_MVT_01_a_macvtap_is_a_macvlan_with_its_own_rx_handler():
    env = MvtEmu()
    mt = env.mt
    assert isinstance(mt, Macvlan) and mt.kind == "macvtap"
    assert mt.rx_handler == mt.tap_handle_frame
    with pytest.raises(KernelError) as ei:
        rx_handler_register(mt, lambda skb: 3, None)
    assert ei.value.errno == errno.EBUSY
    env.lab.add_bridge("br0", ns="h")
    with pytest.raises(KernelError) as ei:
        env.lab.set_link("mt0", ns="h", master="br0")
    assert ei.value.errno == errno.EBUSY
    # same modes as macvlan: bridge-mode local delivery between a macvtap and a macvlan
    env.lab.add_link("mv1", "macvlan", "h", link="eth0", address=MACS["b"], mode="bridge",
                     up=True)
    f = mt.open()
    lab = env.lab
    dev_queue_xmit(Skb(frame(MT_MAC, MACS["b"], "b>mt"), dev=lab.dev("mv1", "h")))
    lab.run_for(0.01)
    assert f.read()[10:] == frame(MT_MAC, MACS["b"], "b>mt")
    assert mt.fill_info()["mode"] == MACVLAN_MODE_BRIDGE
    assert (mt.tx_queue_len, mt.no_queue) == (500, False)


def test_MVT_02_character_device_is_tap_ifindex():
    env = MvtEmu()
    n = env.mt.ifindex
    assert env.mt.tap_name == f"tap{n}" and env.mt.devpath == f"/dev/tap{n}"
    f = open_tap(env.lab.ns("h"), f"/dev/tap{n}")
    assert f.name == f"/dev/tap{n}" and f in env.mt.queues
    with pytest.raises(KernelError):
        open_tap(env.lab.ns("h"), f"/dev/tap{n + 7}")


def test_MVT_02_matches_host_kernel(host, mvt_host):
    real = mvt_host()
    n = real.ifindex()
    ls = host.run("ls /sys/class/net/mt0/", ns="h").stdout.split()
    taps = [x for x in ls if x.startswith("tap")]
    assert taps == [MvtEmu().mt.tap_name] == [f"tap{n}"]


def _no_fd_scenario(env):
    """MVT-03: without an open queue, frames go to the macvtap's own stack."""
    env.send([frame(MT_MAC, PEER_MAC, f"t{i}") for i in range(3)])
    s = env.stats()
    return s["rx_packets"], s["rx_bytes"], s["rx_errors"]


def test_MVT_03_without_a_reader_frames_go_to_the_stack():
    net = EmuNet({"a": "vepa"}, opts={"a": {"kind": "macvtap"}})
    assert net.ping("x", "a") and net.ping("a", "x")
    assert _no_fd_scenario(MvtEmu()) == (3, 180, 0)


def test_MVT_03_matches_host_kernel(host):
    real = HostNet(host, {"a": "vepa"}, opts={"a": {"kind": "macvtap"}})
    emu = EmuNet({"a": "vepa"}, opts={"a": {"kind": "macvtap"}})
    assert [emu.ping("x", "a"), emu.ping("a", "x")] == [real.ping("x", "a"),
                                                         real.ping("a", "x")] == [True, True]


def _ring_scenario(env):
    f = env.open()
    first = env.read(f)
    frames = [tap_frame(i) for i in range(600)]
    env.send(frames)
    got = []
    while True:
        r = env.read(f)
        if not isinstance(r, bytes):
            break
        got.append(r)
    s = env.stats()
    ok = [g[10:] for g in got] == frames[:500]
    return (first, len(got), ok, got[0][:10].hex() if got else None,
            tuple(s[k] for k in ("rx_packets", "rx_bytes", "rx_errors", "rx_dropped")))


def test_MVT_04_reader_gets_frames_ring_is_tx_queue_len():
    out = _ring_scenario(MvtEmu())
    assert out == ("EAGAIN", 500, True, "00" * 10, (600, 600 * 60, 100, 100))


def test_MVT_04_matches_host_kernel(mvt_host):
    assert _ring_scenario(MvtEmu()) == _ring_scenario(mvt_host())


def test_MVT_04_ring_size_follows_tx_queue_len():
    env = MvtEmu(txqlen=3)
    f = env.open()
    env.send([tap_frame(i) for i in range(5)])
    assert len(f.ring) == 3 and env.stats()["rx_errors"] == 2
    # the stack does not see what went to the queue
    seen = []
    env.lab.ns("h").ptype[0x0800] = lambda skb: seen.append(skb.dev.name)
    env.send([tap_frame(9)])
    assert seen == []
    f.close()
    env.send([tap_frame(10)])
    assert seen == ["mt0"]                              # no queue left: MVT-03 again


def _iff_scenario(env):
    f = env.open()
    out = [env.get_iff(f)]
    out.append(env.set_iff(f, IFF_TUN | IFF_NO_PI))
    out.append(env.set_iff(f, IFF_TAP))
    out.append(env.set_iff(f, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE))
    out.append(env.get_iff(f))
    env.send([tap_frame(1)])
    out.append(len(env.read(f)))                       # no vnet header any more
    out.append(env.set_iff(f, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR))
    env.send([tap_frame(2)])
    out.append(len(env.read(f)))
    return out


def test_MVT_05_fd_defaults_and_tunsetiff():
    out = _iff_scenario(MvtEmu())
    assert out[0] == IFF_TAP | IFF_NO_PI | IFF_VNET_HDR
    assert out[1:4] == ["EINVAL", "EINVAL", None]
    assert out[4] == IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE
    assert out[5:] == [60, None, 70]


def test_MVT_05_matches_host_kernel(mvt_host):
    assert _iff_scenario(MvtEmu()) == _iff_scenario(mvt_host())


def _write_scenario(env):
    f = env.open()
    good = frame(PEER_MAC, MT_MAC, "w1")
    out = [env.write(f, bytes(10) + good), env.write(f, bytes(10) + good[:13]),
           env.write(f, bytes(5)), env.write(f, bytes(10) + good[:14])]
    s = env.stats()
    out.append((s["tx_packets"], s["tx_bytes"], s["tx_dropped"]))
    return out


def test_MVT_06_write_sends_on_the_macvtap():
    env = MvtEmu()
    out = _write_scenario(env)
    assert out == [70, "EINVAL", "EINVAL", 24, (2, 74, 2)]
    tags = [d[14:46].rstrip(b".") for d in env.peer_rx if d[12:14] == b"\x88\xb5"]
    assert tags == [b"w1", b""]


def test_MVT_06_matches_host_kernel(mvt_host):
    assert _write_scenario(MvtEmu()) == _write_scenario(mvt_host())


def _read_scenario(env):
    f = env.open()
    env.send([tap_frame(1), tap_frame(2)])
    return [env.read(f, 20), env.read(f, 5), env.read(f), env.read(f, 0)]


def test_MVT_07_read_one_frame_truncated_to_the_buffer():
    out = _read_scenario(MvtEmu())
    assert out[0] == bytes(10) + tap_frame(1)[:10]     # vnet header, then the frame
    assert out[1] == "EINVAL"                          # shorter than the vnet header: lost
    assert out[2:] == ["EAGAIN", b""]


def test_MVT_07_matches_host_kernel(mvt_host):
    assert _read_scenario(MvtEmu()) == _read_scenario(mvt_host())


def _multi_scenario(env):
    fs = [env.open(), env.open()]
    frames = [tap_frame(i, sport=1000 + i % 8) for i in range(64)]
    env.send(frames)
    got = []
    for f in fs:
        mine = []
        while isinstance(r := env.read(f), bytes):
            mine.append(r[10:])
        got.append(mine)
    return frames, got


def test_MVT_08_several_queues_split_by_flow():
    frames, got = _multi_scenario(MvtEmu())
    assert sorted(got[0] + got[1]) == sorted(frames)          # each frame once
    assert got[0] and got[1]
    for q in got:                                              # one flow, one queue
        flows = {f[34:36] for f in q}
        assert not flows & {f[34:36] for f in (got[1] if q is got[0] else got[0])}
    env = MvtEmu()
    for _ in range(256):
        env.open()
    with pytest.raises(KernelError) as ei:
        env.open()
    assert ei.value.errno == errno.EBUSY


def test_MVT_08_matches_host_kernel(mvt_host):
    """The flow hash seed is random per boot: compare what does not depend on it."""
    def shape(res):
        frames, got = res
        per_queue_flows = [{f[34:36] for f in q} for q in got]
        return (sorted(got[0] + got[1]) == sorted(frames),
                not per_queue_flows[0] & per_queue_flows[1])
    assert shape(_multi_scenario(MvtEmu())) == shape(_multi_scenario(mvt_host())) == (True, True)


def test_MVT_deleting_the_macvtap_detaches_open_files():
    env = MvtEmu()
    f = env.open()
    env.send([tap_frame(1)])
    env.lab.del_link("mt0", ns="h")
    assert f.read()[10:] == tap_frame(1)                 # what was queued can still be read
    assert f.write(bytes(10) + frame(PEER_MAC, MT_MAC, "gone")) == 70   # silently dropped
    with pytest.raises(BlockingIOError):
        f.read()
