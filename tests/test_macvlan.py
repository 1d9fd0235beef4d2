"""MACVLAN / MACVTAP (vnetlab.devices.macvlan) against kernel-spec §2 (MV-*), §3 (MVT-*), §11 BR-06,
§12 items 1-2 and §13, with the host kernel as the judge.

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
from vnetlab.api import Lab
from vnetlab.devices.macvlan import (MACVLAN_MODE_BRIDGE, MACVLAN_MODE_PASSTHRU,
                                     MACVLAN_MODE_PRIVATE, MACVLAN_MODE_SOURCE, MACVLAN_MODE_VEPA,
                                     MODE_NAMES, IFF_MULTI_QUEUE, IFF_NO_PI, IFF_TAP, IFF_TUN,
                                     IFF_VNET_HDR, Macvlan, Macvtap, macvlan_port_of, open_tap)
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
        self.lab = lab = Lab(trace=Recorder() if trace else None)
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

    def ip_json(self, node: str, *args: str) -> list:
        code, out, err = commands.run(self.lab, ["ip", "-j", *args], ns=self.lab.ns(node))
        assert code == 0, err
        return json.loads(out)

    def stats(self, node: str, name: str) -> dict:
        return self.dev(node, name).get_stats64()


RECV = r"""
import socket, sys, time, json
dev, proto, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
s.bind((dev, proto))
end = time.time() + secs
out = []
while True:
    left = end - time.time()
    if left <= 0:
        break
    s.settimeout(left)
    try:
        data, addr = s.recvfrom(65535)
    except socket.timeout:
        break
    out.append((data[14:46].rstrip(b".").decode(errors="replace"), addr[2]))
print(json.dumps(out))
"""

SEND = r"""
import socket, sys, time
dev = sys.argv[1]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
for h in sys.argv[2:]:
    s.send(bytes.fromhex(h))
    time.sleep(0.05)
"""


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
        secs = 1.0 + 0.08 * len(sends)
        recv = {}
        for n in self.nodes:
            if n == "sw":
                continue
            recv[n] = subprocess.Popen(
                ["ip", "netns", "exec", self.host.ns(n), sys.executable, "-c", RECV, dev_of(n),
                 str(ETH_P_TEST), str(secs)], stdout=subprocess.PIPE, text=True)
        time.sleep(0.4)
        macs = {}
        for node, dst, tag in sends:
            if node not in macs:
                macs[node] = self.mac(node)
            subprocess.run(["ip", "netns", "exec", self.host.ns(node), sys.executable, "-c",
                            SEND, dev_of(node), frame(dst, macs[node], tag).hex()], check=True)
        got = set()
        for n, p in recv.items():
            out, _ = p.communicate(timeout=30)
            for tag, pkt_type in json.loads(out):
                got.add((n, tag, pkt_type))
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
