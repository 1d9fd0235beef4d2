"""Traces that explain: every frame's path hop by hop, and every drop with its reason.

``TraceCollector`` is a trace sink (``hop`` / ``drop``, see vnetlab.stack.trace) that also taps
every device (the packet-tap seam, ``dev.ptype_all``), so one record list holds where a frame
was seen (rx / tx on a device) and what the stack decided about it (bridge forwarding, the
external switch, macvlan, route lookups, neighbour resolution, local delivery) and where it
died (the kernel's SKB_DROP_REASON name and the kernel-spec rule ID).

Records are grouped into frames by what stays the same along the path (the IPv4 header's
addresses, protocol and ID and the ICMP/UDP/TCP identifiers; ARP's operation and addresses), so
a packet forwarded through three namespaces is one frame with all its hops. A frame sent again
from the same device (an ARP retry, a second echo request with the same identifiers) starts a
new one.

Pure: records in, text out. No I/O.
"""

from __future__ import annotations

import struct

NSEC = 1_000_000_000


def fmt_time(ns: int) -> str:
    return f"{ns // NSEC}.{ns % NSEC:09d}"


def _ip(b: bytes) -> str:
    return ".".join(str(x) for x in b)


def _mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


ICMP_NAMES = {0: "echo reply", 8: "echo request", 3: "unreachable", 11: "time exceeded",
              5: "redirect", 12: "parameter problem"}
UNREACH = {0: "net", 1: "host", 2: "protocol", 3: "port", 4: "need to frag"}


def frame_info(data: bytes, mac_len: int = 14) -> tuple[tuple, str, str]:
    """(key, one-line summary, class) of a frame. Class is "arp", "echo-request",
    "echo-reply", "icmp-error", "ip" or "other"."""
    l3 = data
    etype = 0x0800
    if mac_len:
        if len(data) < 14:
            return ("short", data), f"short frame ({len(data)} bytes)", "other"
        etype = (data[12] << 8) | data[13]
        off = 14
        if etype == 0x8100 and len(data) >= 18:
            etype = (data[16] << 8) | data[17]
            off = 18
        l3 = data[off:]
    elif data and data[0] >> 4 != 4:
        return ("raw", bytes(data[:20])), f"raw frame ({len(data)} bytes)", "other"
    if etype == 0x0806 and len(l3) >= 28:
        op = (l3[6] << 8) | l3[7]
        sha, spa, tha, tpa = l3[8:14], l3[14:18], l3[18:24], l3[24:28]
        key = ("arp", op, bytes(spa), bytes(tpa), bytes(sha))
        if op == 1:
            return key, f"ARP, Request who-has {_ip(tpa)} tell {_ip(spa)}", "arp"
        if op == 2:
            return key, f"ARP, Reply {_ip(spa)} is-at {_mac(sha)}", "arp"
        return key, f"ARP, op {op}", "arp"
    if etype == 0x0800 and len(l3) >= 20:
        ihl = (l3[0] & 15) * 4
        proto = l3[9]
        ipid = (l3[4] << 8) | l3[5]
        frag = ((l3[6] << 8) | l3[7]) & 0x1FFF
        src, dst = _ip(l3[12:16]), _ip(l3[16:20])
        l4 = l3[ihl:]
        base = ("ip", bytes(l3[12:20]), proto, ipid, frag)
        if proto == 1 and len(l4) >= 8 and not frag:
            t, code = l4[0], l4[1]
            if t in (0, 8):
                ident, seq = struct.unpack_from("!HH", l4, 4)
                return (base + (t, ident, seq), f"IP {src} > {dst}: ICMP {ICMP_NAMES[t]}, "
                        f"id {ident}, seq {seq}, length {len(l4)}",
                        "echo-request" if t == 8 else "echo-reply")
            what = ICMP_NAMES.get(t, f"type {t}")
            if t == 3:
                what = f"{UNREACH.get(code, f'code {code}')} unreachable"
                if len(l4) >= 28:
                    what = f"{_ip(l4[24:28])} {what}"
            return base + (t, code, bytes(l4[8:36])), f"IP {src} > {dst}: ICMP {what}", \
                "icmp-error"
        if proto in (6, 17) and len(l4) >= 4 and not frag:
            sport, dport = struct.unpack_from("!HH", l4, 0)
            name = "UDP" if proto == 17 else "TCP"
            extra = bytes(l4[4:14]) if proto == 6 else b""
            return base + (sport, dport, extra), f"IP {src}.{sport} > {dst}.{dport}: {name}", \
                "ip"
        return base, f"IP {src} > {dst}: proto {proto}", "ip"
    return ("eth", bytes(data[:14])), f"ethertype {etype:#06x}, length {len(data)}", "other"


class Event:
    __slots__ = ("t", "kind", "ns", "dev", "what", "detail", "key", "summary", "cls")

    def __init__(self, t, kind, ns, dev, what, detail, key, summary, cls):
        self.t, self.kind, self.ns, self.dev = t, kind, ns, dev
        self.what, self.detail, self.key, self.summary, self.cls = what, detail, key, summary, cls

    def line(self) -> str:
        ns = self.ns if self.ns is not None else "-"
        dev = self.dev if self.dev is not None else "-"
        if self.kind == "drop":
            text = f"DROP {self.what}" + (f" [{self.detail}]" if self.detail else "")
        elif self.kind in ("rx", "tx"):
            text = self.kind
        else:
            text = f"{self.what}: {self.detail}" if self.detail else self.what
        return f"  {fmt_time(self.t):>16}  {ns:<10} {dev:<10} {text}"


class Frame:
    """One frame's records, in order."""

    def __init__(self, index: int, key, summary: str, cls: str):
        self.index, self.key, self.summary, self.cls = index, key, summary, cls
        self.events: list[Event] = []
        self.sent_from: set = set()

    @property
    def drops(self) -> list[Event]:
        return [e for e in self.events if e.kind == "drop"]

    @property
    def delivered(self) -> list[Event]:
        return [e for e in self.events if e.kind == "hop" and e.what == "ip_local_deliver"]

    def verdict(self) -> str:
        if self.delivered:
            where = ", ".join(sorted({f"{e.ns}" for e in self.delivered}))
            return f"delivered locally in {where}"
        if self.drops:
            d = self.drops[-1]
            return f"dropped in {d.ns} at {d.dev}: {d.what}" + (f" ({d.detail})" if d.detail
                                                               else "")
        last = self.events[-1]
        how = last.kind if last.kind != "hop" else (
            f"{last.what}: {last.detail}" if last.detail else last.what)
        return f"last seen in {last.ns} at {last.dev} ({how})"

    def render(self) -> str:
        lines = [f"frame {self.index}: {self.summary}"]
        lines += [e.line() for e in self.events]
        lines.append(f"  => {self.verdict()}")
        return "\n".join(lines)


class TraceCollector:
    """A trace sink plus packet taps on every device of a kernel."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.events: list[Event] = []
        self.taps: list[tuple] = []
        self.prev = None

    # -- wiring ---------------------------------------------------------------------------------
    def attach(self) -> "TraceCollector":
        k = self.kernel
        self.prev = k.trace
        k.trace = self
        for ns in [k.init_ns] + list(k.named.values()):
            for dev in ns.devices:
                tap = self._tap
                dev.ptype_all.append(tap)
                self.taps.append((dev, tap))
        return self

    def detach(self) -> None:
        self.kernel.trace = self.prev
        for dev, tap in self.taps:
            try:
                dev.ptype_all.remove(tap)
            except ValueError:
                pass
        self.taps = []

    def mark(self) -> int:
        return len(self.events)

    # -- the sink ----------------------------------------------------------------------------------
    def _record(self, now, kind, ns, dev, skb, what, detail) -> None:
        if skb is not None:
            key, summary, cls = frame_info(skb.data, skb.mac_len)
        else:
            key, summary, cls = ("none",), "(no frame)", "other"
        if dev is not None and getattr(dev, "ns", None) is not None:
            ns = dev.ns                      # where the device lives (a veth drop names the peer)
        self.events.append(Event(now, kind, ns.name if ns is not None and ns.name else
                                 ("init" if ns is not None else None),
                                 dev.name if dev is not None else None, what, detail,
                                 key, summary, cls))

    def _tap(self, skb, dev, is_tx: bool) -> None:
        self._record(dev.kernel.engine.now, "tx" if is_tx else "rx", dev.ns, dev, skb, "", "")

    def hop(self, now, ns, dev, skb, what, detail) -> None:
        self._record(now, "hop", ns, dev, skb, what, detail)

    def drop(self, now, ns, dev, skb, reason, rule) -> None:
        self._record(now, "drop", ns, dev, skb, reason, rule or "")

    # -- grouping -----------------------------------------------------------------------------
    def frames(self, start: int = 0) -> list[Frame]:
        out: list[Frame] = []
        live: dict = {}
        for e in self.events[start:]:
            f = live.get(e.key)
            if e.kind == "tx" or (e.kind == "hop" and e.what == "ip_output"):
                # a frame leaves a device again: a new frame if this one already left it
                at = (e.ns, e.dev, e.kind)
                if f is not None and at in f.sent_from:
                    f = None
            if f is None:
                f = Frame(len(out) + 1, e.key, e.summary, e.cls)
                out.append(f)
                live[e.key] = f
            if e.kind == "tx" or (e.kind == "hop" and e.what == "ip_output"):
                f.sent_from.add((e.ns, e.dev, e.kind))
            f.events.append(e)
        return out

    def render(self, start: int = 0) -> str:
        return "\n\n".join(f.render() for f in self.frames(start))
