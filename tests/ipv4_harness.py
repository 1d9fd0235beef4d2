"""One scenario, two kernels: a small backend protocol for the IPv4 rule and stack tests.

``EmuNet`` drives the emulated stack through the typed API (``vnetlab.api.Lab``); ``HostNet`` runs
the same steps with iproute2/sysctl/ping in throwaway namespaces on the host kernel (through the
``host`` fixture of conftest.py). A scenario written against this protocol runs unchanged on both,
so a ``*_matches_host_kernel`` test can compare outcomes directly.

Every veth gets a fixed MAC, so frames and neighbour tables compare without normalization.
Raw frames are sent and captured on the host with an AF_PACKET socket inside the namespace, and on
the emulator with a ``ptype_all`` tap.
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
import time
from contextlib import contextmanager

from vnetlab.api import KernelError, Lab, fmt_ip
from vnetlab.stack.fib import RTNH_F_LINKDOWN, RTNH_F_ONLINK, RTN_NAMES
from vnetlab.stack.netdev import dev_queue_xmit
from vnetlab.stack.skb import Skb
from vnetlab.wire import arp as warp
from vnetlab.wire import ethernet as weth
from vnetlab.wire import icmp as wicmp
from vnetlab.wire import ipv4 as wip
from vnetlab.wire import udp as wudp

BCAST = b"\xff" * 6
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806

# ping's text for the ICMP errors it reports (iputils ping4_common.c: pr_icmph)
PING_ERRORS = {
    "Destination Net Unreachable": (3, 0), "Destination Host Unreachable": (3, 1),
    "Destination Protocol Unreachable": (3, 2), "Destination Port Unreachable": (3, 3),
    "Frag needed and DF set": (3, 4), "Packet filtered": (3, 13),
    "Time to live exceeded": (11, 0),
}


def mac(text: str) -> bytes:
    return weth.mac_parse(text)


def ip4(text: str) -> bytes:
    return wip.aton(text)


# ---------------------------------------------------------------------------------------------
# frames
# ---------------------------------------------------------------------------------------------

def arp_frame(op: int, sha: bytes, sip: str, tip: str, tha: bytes = b"\x00" * 6,
              dst: bytes | None = None) -> bytes:
    """An Ethernet ARP frame; requests go to broadcast unless ``dst`` is given."""
    if dst is None:
        dst = BCAST if op == 1 else tha
    return weth.build(dst, sha, ETH_P_ARP, warp.build(op, sha, ip4(sip), tha, ip4(tip)))


def ip_frame(src_mac: bytes, dst_mac: bytes, src: str, dst: str, proto: int, payload: bytes,
             ttl: int = 64, df: bool = False, ident: int = 0x1234) -> bytes:
    pkt = wip.build(ip4(src), ip4(dst), proto, payload, ttl=ttl, ident=ident,
                    frag=wip.IP_DF if df else 0)
    return weth.build(dst_mac, src_mac, ETH_P_IP, pkt)


def echo_frame(src_mac: bytes, dst_mac: bytes, src: str, dst: str, seq: int = 1,
               ident: int = 0x4242, ttl: int = 64, size: int = 56, df: bool = False) -> bytes:
    payload = bytes(i & 0xFF for i in range(size))
    return ip_frame(src_mac, dst_mac, src, dst, 1, wicmp.echo(ident, seq, payload),
                    ttl=ttl, df=df)


def udp_frame(src_mac: bytes, dst_mac: bytes, src: str, dst: str, sport: int, dport: int,
              payload: bytes = b"x" * 8, ttl: int = 64) -> bytes:
    seg = wudp.build(sport, dport, payload, ip4(src), ip4(dst))
    return ip_frame(src_mac, dst_mac, src, dst, 17, seg, ttl=ttl)


def arp_of(frame: bytes):
    """(op, sha, spa, tha, tpa, eth_dst) of an ARP frame, addresses as text; None otherwise."""
    f = weth.parse(frame)
    if f.ethertype != ETH_P_ARP:
        return None
    a = warp.parse(f.payload)
    return (a.op, weth.mac_str(a.sha), wip.ntoa(a.spa), weth.mac_str(a.tha), wip.ntoa(a.tpa),
            weth.mac_str(f.dst))


def ip_of(frame: bytes):
    """(header, payload) of an IPv4 frame; None otherwise."""
    f = weth.parse(frame)
    if f.ethertype != ETH_P_IP:
        return None
    return wip.parse(f.payload)


def icmp_of(frame: bytes):
    """(src, dst, type, code, icmp) of an ICMP frame; None otherwise."""
    got = ip_of(frame)
    if got is None or got[0].proto != 1:
        return None
    h, payload = got
    m = wicmp.parse(payload)
    return wip.ntoa(h.src), wip.ntoa(h.dst), m.type, m.code, m


def _echo_requests(packets: list[bytes]) -> set[tuple[str, int]]:
    out = set()
    for ip in packets:
        ihl = (ip[0] & 15) * 4
        if len(ip) >= ihl + 8 and ip[9] == 1 and ip[ihl] == 8:
            out.add((wip.ntoa(ip[12:16]), struct.unpack_from("!H", ip, ihl + 6)[0]))
    return out


class PingOutcome:
    """What ping reports: replies by sequence, ICMP errors, local send errors."""

    def __init__(self):
        self.transmitted = 0
        self.replies: list[int] = []
        self.errors: list[tuple[int, str, int, int]] = []    # (seq, from, type, code)
        self.frag_mtu: list[int] = []
        self.local_errors: list[str] = []                   # strerror text

    @property
    def received(self) -> int:
        return len(set(self.replies))

    def error_kinds(self) -> list[tuple[str, int, int]]:
        return [(src, t, c) for _, src, t, c in self.errors]

    def __repr__(self) -> str:
        return (f"<Ping tx={self.transmitted} rx={self.replies} errors={self.errors} "
                f"local={self.local_errors}>")


# ---------------------------------------------------------------------------------------------
# the emulator
# ---------------------------------------------------------------------------------------------

def route_tuple(type_: str, dst: str, gateway: str, dev: str, table: str, proto: str,
                scope: str, prefsrc: str, metric: int, flags) -> tuple:
    if dst == "default":
        dst = "0.0.0.0/0"
    elif "/" not in dst:
        dst += "/32"
    return (type_, dst, gateway, dev, table, proto, scope, prefsrc, metric,
            tuple(sorted(f for f in flags if f in ("linkdown", "onlink"))))


_TABLE = {254: "main", 255: "local", 253: "default"}
_PROTO = {0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static"}
_SCOPE = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}


class EmuNet:
    kind = "emu"

    def __init__(self, seed: int = 1):
        self.lab = Lab(seed=seed)
        self._echo_counts: dict[str, list] = {}

    # -- topology ---------------------------------------------------------------------------
    def ns(self, name: str, lo_up: bool = True) -> str:
        self.lab.netns(name)
        if lo_up:
            self.lab.set_link("lo", ns=name, up=True)
        return name

    def veth(self, ns_a: str, dev_a: str, ns_b: str, dev_b: str, mac_a: str, mac_b: str) -> None:
        self.lab.add_veth(dev_a, dev_b, ns=ns_a, peer_ns=ns_b, address=mac_a, peer_address=mac_b)

    def link_up(self, ns: str, dev: str) -> None:
        self.lab.set_link(dev, ns=ns, up=True)

    def link_down(self, ns: str, dev: str) -> None:
        self.lab.set_link(dev, ns=ns, up=False)

    def set_mtu(self, ns: str, dev: str, mtu: int) -> None:
        self.lab.set_link(dev, ns=ns, mtu=mtu)

    def addr(self, ns: str, dev: str, cidr: str, scope: str = "global",
             noprefixroute: bool = False) -> None:
        self.lab.add_addr(dev, cidr, ns=ns, scope=scope, noprefixroute=noprefixroute)

    def addr_del(self, ns: str, dev: str, cidr: str) -> None:
        self.lab.del_addr(dev, cidr, ns=ns)

    def addrs(self, ns: str, dev: str) -> list[tuple[str, bool]]:
        """(address/plen, secondary) in the kernel's list order."""
        d = self.lab.dev(dev, ns)
        return [(f"{fmt_ip(a.local)}/{a.prefixlen}", a.secondary) for a in d.ip.ifa_list]

    def sysctl(self, ns: str, key: str, value: int) -> None:
        self.lab.sysctl_set(key, value, ns=ns)

    def sysctl_get(self, ns: str, key: str) -> int:
        return self.lab.sysctl_get(key, ns=ns)

    def route_add(self, ns: str, prefix: str, via: str | None = None, dev: str | None = None,
                  src: str | None = None, metric: int = 0, type: str = "unicast",
                  table: str = "main", onlink: bool = False) -> str | None:
        """None on success, else the text iproute2 prints for the kernel's answer."""
        try:
            self.lab.add_route(prefix, ns=ns, via=via, dev=dev, src=src, metric=metric,
                               type=type, table=table, onlink=onlink)
        except KernelError as e:
            if e.extack:   # iproute2's print_ext_ack_msg() adds the final '.'
                return "Error: " + e.extack + ("" if e.extack.endswith(".") else ".")
            return "RTNETLINK answers: " + os.strerror(e.errno)
        return None

    def routes(self, ns: str) -> set[tuple]:
        out = set()
        for r in self.lab.ns(ns).ipv4.fib.all_routes():
            flags = []
            if r.nh_flags & RTNH_F_LINKDOWN:
                flags.append("linkdown")
            if r.nh_flags & RTNH_F_ONLINK:
                flags.append("onlink")
            out.add(route_tuple(RTN_NAMES[r.type], f"{fmt_ip(r.dst)}/{r.plen}",
                                fmt_ip(r.gw) if r.gw else "",
                                r.dev.name if r.dev is not None else "",
                                _TABLE.get(r.table, str(r.table)),
                                _PROTO.get(r.proto, str(r.proto)),
                                _SCOPE.get(r.scope, str(r.scope)),
                                fmt_ip(r.prefsrc) if r.prefsrc else "", r.priority, flags))
        return out

    def neigh(self, ns: str) -> dict[tuple[str, str], tuple[str, str]]:
        return {(ip, dev): (ll, st) for ip, dev, ll, st in self.lab.neighbours(ns)
                if st not in ("NOARP", "NONE")}

    # -- traffic ------------------------------------------------------------------------------
    def ping(self, ns: str, dst: str, count: int = 1, interval: float = 0.2, size: int = 56,
             ttl: int | None = None, src: str | None = None, wait: float = 1.0,
             pmtudisc: str | None = None) -> PingOutcome:
        self.lab.engine.run_now()
        kw = {}
        if pmtudisc is not None:
            kw["pmtudisc"] = pmtudisc
        r = self.lab.ping(dst, ns=ns, count=count, interval=interval, size=size, ttl=ttl,
                          src=src, wait=wait, **kw)
        out = PingOutcome()
        out.transmitted = r.transmitted
        out.replies = sorted(x.seq for x in r.replies)
        for e in r.errors:
            out.errors.append((e.seq, fmt_ip(e.src), e.type, e.code))
            if (e.type, e.code) == (3, 4):
                out.frag_mtu.append(getattr(e, "info", 0))
        for _seq, err in r.send_errors:
            out.local_errors.append(os.strerror(err))
        return out

    def ping_start(self, ns: str, dst: str, count: int = 1, interval: float = 0.2,
                   wait: float = 1.0):
        """Start a ping in the background (it runs as time passes)."""
        self.lab.engine.run_now()
        self.lab.ping(dst, ns=ns, count=count, interval=interval, wait=wait, run=False)
        self.lab.engine.run_now()
        return None

    def ping_stop(self, handle) -> None:
        pass

    def route_get(self, ns: str, dst: str):
        """(type, dev, src, gateway) of ``ip route get DST``, or iproute2's error text."""
        try:
            t, dev, src, gw = self.lab.route_get(dst, ns=ns)
        except KernelError as e:
            return "RTNETLINK answers: " + os.strerror(e.errno)
        return (t, dev, src, gw or "")

    def neigh_flush(self, ns: str, dev: str) -> None:
        self.lab.ns(ns).ipv4.arp.flush_dev(self.lab.dev(dev, ns))

    def send(self, ns: str, dev: str, frames: list[bytes], listen: float = 0.25) -> list[bytes]:
        """Transmit raw frames on ``dev`` and return the IPv4/ARP frames it receives meanwhile."""
        d = self.lab.dev(dev, ns)
        got: list[bytes] = []

        def tap(skb, _dev, is_tx):
            if not is_tx and skb.data[12:14] in (b"\x08\x00", b"\x08\x06"):
                got.append(bytes(skb.data))

        self.lab.engine.run_now()
        d.ptype_all.append(tap)
        try:
            for f in frames:
                dev_queue_xmit(Skb(f, dev=d, protocol=int.from_bytes(f[12:14], "big")))
                self.lab.engine.run_now()
            self.lab.run_for(listen)
        finally:
            d.ptype_all.remove(tap)
        return got

    @contextmanager
    def sniff(self, ns: str, dev: str, duration: float = 0.5):
        """Collect the IPv4/ARP frames ``dev`` receives while the block runs (then ``duration``)."""
        d = self.lab.dev(dev, ns)
        got: list[bytes] = []

        def tap(skb, _dev, is_tx):
            if not is_tx and skb.data[12:14] in (b"\x08\x00", b"\x08\x06"):
                got.append(bytes(skb.data))

        d.ptype_all.append(tap)
        try:
            yield got
            self.lab.run_for(duration)
        finally:
            d.ptype_all.remove(tap)

    @contextmanager
    def echo_listener(self, ns: str):
        """A set filled, when the block ends, with (source, seq) of every ICMP echo request
        ``ns`` delivered locally meanwhile (a raw ICMP socket there sees each one)."""
        ipv4 = self.lab.ns(ns).ipv4
        packets: list[bytes] = []
        sock = ipv4.raw_open(1, lambda ip, skb: packets.append(bytes(ip)))
        got: set = set()
        try:
            yield got
        finally:
            ipv4.raw_close(sock)
            got.update(_echo_requests(packets))

    def run(self, seconds: float) -> None:
        self.lab.run_for(seconds)


# ---------------------------------------------------------------------------------------------
# the host kernel
# ---------------------------------------------------------------------------------------------

_PKT_SCRIPT = r"""
import json, select, socket, sys, time
mode, dev, dur = sys.argv[1], sys.argv[2], float(sys.argv[3])
frames = [bytes.fromhex(h) for h in sys.argv[4:]]
if mode == "icmp":      # a raw ICMP socket: what the stack delivers locally
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
else:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((dev, 0))
print("ready", flush=True)
for f in frames:
    s.send(f)
end = time.monotonic() + dur
out = []
watch = [s, sys.stdin] if mode != "send" else [s]     # icmp/sniff: also stop at stdin's EOF
while True:
    left = end - time.monotonic()
    if left <= 0:
        break
    r, _, _ = select.select(watch, [], [], left)
    if sys.stdin in r:
        break
    if not r:
        continue
    data, addr = s.recvfrom(65535)
    if mode != "icmp" and (addr[2] == socket.PACKET_OUTGOING
                           or data[12:14] not in (b"\x08\x00", b"\x08\x06")):
        continue
    out.append(data.hex())
print(json.dumps(out), flush=True)
"""


class HostNet:
    kind = "host"
    _instances = 0

    def __init__(self, host):
        self.host = host
        HostNet._instances += 1
        self.tag = f"n{HostNet._instances}"     # each scenario run gets its own namespaces

    def _ns(self, ns: str) -> str:
        return self.host.ns(f"{self.tag}{ns}")

    def sh(self, cmd: str, ns: str | None = None, check: bool = True):
        if ns is not None:
            self._ns(ns)
            ns = f"{self.tag}{ns}"
        return self.host.run(cmd, ns=ns, check=check)

    # -- topology ---------------------------------------------------------------------------
    def ns(self, name: str, lo_up: bool = True) -> str:
        self._ns(name)
        self.sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"
                + ("; ip link set lo up" if lo_up else ""), ns=name)
        return name

    def veth(self, ns_a: str, dev_a: str, ns_b: str, dev_b: str, mac_a: str, mac_b: str) -> None:
        self.sh(f"ip link add {dev_a} netns {self._ns(ns_a)} address {mac_a} type veth "
                f"peer name {dev_b} netns {self._ns(ns_b)} address {mac_b}")

    def link_up(self, ns: str, dev: str) -> None:
        self.sh(f"ip link set {dev} up", ns=ns)

    def link_down(self, ns: str, dev: str) -> None:
        self.sh(f"ip link set {dev} down", ns=ns)

    def set_mtu(self, ns: str, dev: str, mtu: int) -> None:
        self.sh(f"ip link set {dev} mtu {mtu}", ns=ns)

    def addr(self, ns: str, dev: str, cidr: str, scope: str = "global",
             noprefixroute: bool = False) -> None:
        extra = " noprefixroute" if noprefixroute else ""
        self.sh(f"ip addr add {cidr} dev {dev} scope {scope}{extra}", ns=ns)

    def addr_del(self, ns: str, dev: str, cidr: str) -> None:
        self.sh(f"ip addr del {cidr} dev {dev}", ns=ns)

    def addrs(self, ns: str, dev: str) -> list[tuple[str, bool]]:
        data = json.loads(self.sh(f"ip -4 -j addr show dev {dev}", ns=ns).stdout)
        out = []
        for link in data:
            for a in link.get("addr_info", []):
                out.append((f"{a['local']}/{a['prefixlen']}", bool(a.get("secondary"))))
        return out

    def sysctl(self, ns: str, key: str, value: int) -> None:
        self.sh(f"sysctl -qw {key}={value}", ns=ns)

    def sysctl_get(self, ns: str, key: str) -> int:
        return int(self.sh(f"sysctl -n {key}", ns=ns).stdout.strip())

    def route_add(self, ns: str, prefix: str, via: str | None = None, dev: str | None = None,
                  src: str | None = None, metric: int = 0, type: str = "unicast",
                  table: str = "main", onlink: bool = False) -> str | None:
        cmd = f"ip route add {type} {prefix}"
        if via:
            cmd += f" via {via}"
        if dev:
            cmd += f" dev {dev}"
        if src:
            cmd += f" src {src}"
        if metric:
            cmd += f" metric {metric}"
        if table != "main":
            cmd += f" table {table}"
        if onlink:
            cmd += " onlink"
        p = self.sh(cmd, ns=ns, check=False)
        if p.returncode == 0:
            return None
        return p.stderr.strip()

    def routes(self, ns: str) -> set[tuple]:
        out = set()
        for r in json.loads(self.sh("ip -4 -j route show table all", ns=ns).stdout):
            out.add(route_tuple(r.get("type", "unicast"), r["dst"], r.get("gateway", ""),
                                r.get("dev", ""), r.get("table", "main"),
                                r.get("protocol", "boot"), r.get("scope", "global"),
                                r.get("prefsrc", ""), int(r.get("metric", 0)),
                                r.get("flags", [])))
        return out

    def neigh(self, ns: str) -> dict[tuple[str, str], tuple[str, str]]:
        out = {}
        for n in json.loads(self.sh("ip -4 -j neigh show", ns=ns).stdout):
            st = n.get("state", ["NONE"])[0]
            if st in ("NOARP", "NONE"):
                continue
            out[(n["dst"], n["dev"])] = (n.get("lladdr", ""), st)
        return out

    # -- traffic ------------------------------------------------------------------------------
    def ping(self, ns: str, dst: str, count: int = 1, interval: float = 0.2, size: int = 56,
             ttl: int | None = None, src: str | None = None, wait: float = 1.0,
             pmtudisc: str | None = None) -> PingOutcome:
        cmd = f"ping -n -c {count} -i {interval} -W {wait} -s {size}"
        if ttl is not None:
            cmd += f" -t {ttl}"
        if src is not None:
            cmd += f" -I {src}"
        if pmtudisc is not None:
            cmd += f" -M {pmtudisc}"
        p = self.sh(f"{cmd} {dst}", ns=ns, check=False)
        out = PingOutcome()
        for line in (p.stdout + p.stderr).splitlines():
            m = re.match(r"\d+ bytes from [\d.]+: icmp_seq=(\d+)", line)
            if m:
                out.replies.append(int(m.group(1)))
                continue
            m = re.match(r"From ([\d.]+) icmp_seq=(\d+) (.*)", line)
            if m:
                text = m.group(3)
                for k, tc in PING_ERRORS.items():
                    if text.startswith(k):
                        out.errors.append((int(m.group(2)), m.group(1), *tc))
                        mm = re.search(r"mtu = (\d+)", text)
                        if mm:
                            out.frag_mtu.append(int(mm.group(1)))
                        break
                else:
                    raise AssertionError(f"unparsed ping line {line!r}")
                continue
            m = re.match(r"ping: (?:local error|sendmsg|connect): (.*?)(?:, mtu=\d+)?$", line)
            if m:
                text = m.group(1)
                out.local_errors.append("Message too long" if text == "message too long"
                                        else text)
                continue
            m = re.match(r"(\d+) packets transmitted", line)
            if m:
                out.transmitted = int(m.group(1))
        out.replies.sort()
        return out

    def ping_start(self, ns: str, dst: str, count: int = 1, interval: float = 0.2,
                   wait: float = 1.0):
        argv = ["ip", "netns", "exec", self._ns(ns), "ping", "-n", "-c", str(count), "-i",
                str(interval), "-W", str(wait), dst]
        return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def ping_stop(self, handle) -> None:
        handle.terminate()
        handle.wait(timeout=10)

    def route_get(self, ns: str, dst: str):
        p = self.sh(f"ip -j route get {dst}", ns=ns, check=False)
        if p.returncode:
            return p.stderr.strip()
        (r,) = json.loads(p.stdout)
        return (r.get("type", "unicast"), r["dev"], r.get("prefsrc", ""), r.get("gateway", ""))

    def neigh_flush(self, ns: str, dev: str) -> None:
        self.sh(f"ip neigh flush dev {dev}", ns=ns)

    def _pkt(self, ns: str, mode: str, dev: str, dur: float, frames: list[bytes]):
        argv = ["ip", "netns", "exec", self._ns(ns), sys.executable, "-c", _PKT_SCRIPT, mode, dev,
                str(dur)] + [f.hex() for f in frames]
        return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    @staticmethod
    def _collect(p) -> list[bytes]:
        out, err = p.communicate(input="", timeout=30)
        lines = out.splitlines()
        if p.returncode != 0 or not lines or not lines[-1].startswith("["):
            raise AssertionError(f"packet helper failed: {err}")
        return [bytes.fromhex(h) for h in json.loads(lines[-1])]

    def send(self, ns: str, dev: str, frames: list[bytes], listen: float = 0.25) -> list[bytes]:
        return self._collect(self._pkt(ns, "send", dev, listen, frames))

    @contextmanager
    def sniff(self, ns: str, dev: str, duration: float = 0.5):
        """Frames ``dev`` receives while the block runs and ``duration`` seconds after."""
        p = self._pkt(ns, "sniff", dev, 60, [])
        assert p.stdout.readline().strip() == "ready"
        got: list[bytes] = []
        try:
            yield got
            time.sleep(duration)
        finally:
            got.extend(self._collect(p))

    @contextmanager
    def echo_listener(self, ns: str):
        """A set filled, when the block ends, with (source, seq) of every ICMP echo request
        ``ns`` delivered locally meanwhile (a raw ICMP socket there sees each one)."""
        p = self._pkt(ns, "icmp", "-", 60, [])
        assert p.stdout.readline().strip() == "ready"
        got: set = set()
        try:
            yield got
            time.sleep(0.05)
        finally:
            got.update(_echo_requests(self._collect(p)))

    def run(self, seconds: float) -> None:
        time.sleep(seconds)


__all__ = ["EmuNet", "HostNet", "PingOutcome", "arp_frame", "echo_frame", "udp_frame",
           "ip_frame", "arp_of", "ip_of", "icmp_of", "mac", "BCAST"]
