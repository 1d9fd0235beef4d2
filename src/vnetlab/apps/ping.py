"""iputils ping (20221126), as a user-space program on the emulated kernel: ICMP echo over a raw
socket, with iputils' timing rules (ping_common.c main_loop / pinger / __schedule_exit):

* the first request leaves at once, the next every ``interval`` (``-i``, default 1 s); flood
  (``-f``) sends the next request as soon as a reply arrives, else every 10 ms;
* with a count (``-c``) ping stops when replies + errors reach the count, or, after the last
  request, when it has waited ``max(2 * max rtt, interval)`` (if any reply came) or the linger
  time (``-W``, default 10 s);
* with a deadline (``-w``) it stops at the deadline, or at the first error;
* ``pipesize`` is the largest number of requests outstanding when an answer came back;
* statistics "time" runs from the first to the last request sent.

Identifier per process, sequence from 1, payload = 16 bytes of timestamp then the 0x10.. pattern.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

from ..stack.errors import KernelError
from ..wire.checksum import checksum

SEC = 1_000_000_000
MS = 1_000_000
_STAMP = struct.Struct("<QQ")
_ECHO_REST = struct.Struct("!HH")


@dataclass
class Reply:
    seq: int
    src: int
    ttl: int
    size: int          # ICMP bytes (header + payload), what ping prints as "N bytes"
    rtt_ns: int
    at_ns: int = 0
    dup: bool = False
    ifname: str = ""     # IPv6: the device the reply came in on (for link-local %scope)


@dataclass
class Error:
    seq: int
    src: int
    type: int
    code: int
    info: int = 0
    at_ns: int = 0
    ifname: str = ""


@dataclass
class PingResult:
    dst: int
    transmitted: int = 0
    replies: list[Reply] = field(default_factory=list)
    errors: list[Error] = field(default_factory=list)
    events: list = field(default_factory=list)      # replies and errors in arrival order
    send_errors: list[tuple[int, int]] = field(default_factory=list)   # (seq, errno)
    duplicates: int = 0
    elapsed_ns: int = 0          # first to last request sent
    pipesize: int = 1
    seqs: set = field(default_factory=set)          # sequences answered (duplicates excluded)

    @property
    def received(self) -> int:
        return len(self.seqs)

    @property
    def ok(self) -> bool:
        return self.received > 0

    @property
    def loss_percent(self) -> float:
        if not self.transmitted:
            return 0
        return (self.transmitted - self.received) * 100 / self.transmitted

    def rtt_stats_us(self) -> tuple[int, int, int, int]:
        """(min, avg, max, mdev) in microseconds, computed as iputils does (integer us)."""
        ts = [r.rtt_ns // 1000 for r in self.replies if not r.dup]
        if not ts:
            return (0, 0, 0, 0)
        n = len(ts)
        tsum = sum(ts)
        tsum2 = sum(t * t for t in ts)
        avg = tsum / n
        mdev = math.sqrt(max(tsum2 / n - avg * avg, 0.0))
        return (min(ts), int(avg), max(ts), int(mdev))


class Ping:
    """Drive with the engine: ``Ping(ns, dst, ...).start()`` then run the engine until ``done``."""

    def __init__(self, ns, dst: int, count: int = 1, interval_ns: int = SEC, size: int = 56,
                 ttl: int | None = None, wait_ns: int = 10 * SEC, ident: int | None = None,
                 src: int = 0, dev=None, on_done=None, deadline_ns: int | None = None,
                 flood: bool = False, on_event=None, pmtudisc: str = "want"):
        self.ns = ns
        self.ipv4 = ns.ipv4
        # IPv6 (ping -6): ``dst`` (and ``src``) are 16 bytes; ICMPv6 over ns.ipv6
        self.v6 = isinstance(dst, (bytes, bytearray))
        self.ipv6 = getattr(ns, "ipv6", None)
        self.engine = ns.kernel.engine
        self.dst = dst
        self.count = count          # 0 = no count
        self.interval = interval_ns
        self.size = size
        self.ttl = ttl
        self.wait = wait_ns
        self.deadline = deadline_ns
        self.flood = flood
        self.ident = ident if ident is not None else (ns.kernel.rng.getrandbits(16) or 1)
        self.src = src
        self.dev = dev
        self.on_done = on_done
        self.on_event = on_event
        self.pmtudisc = pmtudisc    # -M: "want" (the socket default), "do", "dont"
        self.result = PingResult(dst)
        self.sent_at: dict[int, int] = {}
        self.sock = None
        self.done = False
        self.timer = None
        self.exit_timer = None
        self.deadline_timer = None
        self.start_ns = 0
        self.tmax = 0
        self._pad = None
        self.last_send = 0

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> "Ping":
        if self.v6:
            self.sock = self.ipv6.raw_open(58, self._on_packet6, self.dev)
            if not self.src:
                r = self.ipv6.route_lookup(self.dst, self.dev)
                odev = self.dev if self.dev is not None else (r.dev if r is not None else None)
                if r is not None and r.type == 2 and self.dev is None:   # RTN_LOCAL
                    odev = None
                self.src = self.ipv6.select_saddr(self.dst, odev) or b""
            self.start_ns = self.engine.now
            if self.deadline is not None:
                self.deadline_timer = self.engine.call_later(self.deadline, self._finish)
            self._send()
            return self
        self.sock = self.ipv4.raw_open(1, self._on_packet, self.dev)
        self.start_ns = self.engine.now
        if self.deadline is not None:
            self.deadline_timer = self.engine.call_later(self.deadline, self._finish)
        self._send()
        return self

    def _payload(self) -> bytes:
        n = self.size
        if n < 16:
            return bytes(n)
        pad = self._pad
        if pad is None:
            pad = self._pad = bytes((i + 16) & 0xFF for i in range(16, n))
        t = self.engine.now
        return _STAMP.pack(t // SEC, (t % SEC) // 1000) + pad

    def _send(self) -> None:
        if self.done:
            return
        res = self.result
        seq = res.transmitted + 1
        if self.v6:
            self._send6(seq)
            return
        rest = _ECHO_REST.pack(self.ident, seq & 0xFFFF) + self._payload()
        c = checksum(b"\x08\x00\x00\x00" + rest)
        body = b"\x08\x00" + c.to_bytes(2, "big") + rest
        res.transmitted = seq
        now = self.engine.now
        self.sent_at[seq & 0xFFFF] = now
        self.last_send = now
        res.elapsed_ns = now - self.start_ns
        try:
            self.ipv4.ip_send(self.dst, 1, body, saddr=self.src, oif=self.dev, ttl=self.ttl,
                              df=self.pmtudisc != "dont", frag_ok=self.pmtudisc == "want")
        except KernelError as e:
            res.send_errors.append((seq, e.errno))
        if self.count and seq >= self.count and self.deadline is None:
            self._schedule_exit()
            return
        if self.flood:
            # one 10 ms timer at a time; replies send the next request themselves
            if self.timer is None or self.timer.cancelled:
                self.timer = self.engine.call_later(10 * MS, self._flood_tick)
            return
        self.timer = self.engine.call_later(self.interval, self._send)

    def _send6(self, seq: int) -> None:
        from ..wire.icmpv6 import echo
        res = self.result
        src = self.src or b"\x00" * 16
        body = echo(src, self.dst, self.ident, seq & 0xFFFF, self._payload())
        res.transmitted = seq
        now = self.engine.now
        self.sent_at[seq & 0xFFFF] = now
        self.last_send = now
        res.elapsed_ns = now - self.start_ns
        try:
            if not self.src:
                from ..stack.errors import EADDRNOTAVAIL
                raise KernelError(EADDRNOTAVAIL)
            self.ipv6.ip6_send(self.dst, 58, body, saddr=self.src, oif=self.dev, hlim=self.ttl)
        except KernelError as e:
            res.send_errors.append((seq, e.errno))
        if self.count and seq >= self.count and self.deadline is None:
            self._schedule_exit()
            return
        if self.flood:
            if self.timer is None or self.timer.cancelled:
                self.timer = self.engine.call_later(10 * MS, self._flood_tick)
            return
        self.timer = self.engine.call_later(self.interval, self._send)

    def _on_packet6(self, ip: bytes, skb) -> None:
        """ICMPv6 echo replies and the errors that quote one of our requests."""
        if self.done or len(ip) < 48:
            return
        icmp = ip[40:] if ip[6] == 58 else b""
        if len(icmp) < 8:
            return
        src = ip[8:24]
        t = icmp[0]
        now = self.engine.now
        res = self.result
        ifname = skb.dev.name if skb is not None and skb.dev is not None else ""
        if t == 129:
            ident, seq = struct.unpack_from("!HH", icmp, 4)
            if ident != self.ident or seq not in self.sent_at:
                return
            rtt = now - self.sent_at[seq]
            dup = seq in res.seqs
            res.seqs.add(seq)
            r = Reply(seq, src, ip[7], len(icmp), rtt, now, dup, ifname)
            res.replies.append(r)
            res.events.append(r)
            if dup:
                res.duplicates += 1
            else:
                self._acknowledge(seq)
                self.tmax = max(self.tmax, rtt)
            if self.on_event is not None:
                self.on_event(r)
            if not dup:
                self._after_answer()
        elif t in (1, 2, 3, 4):
            inner = icmp[8:]
            if len(inner) < 48 or inner[6] != 58 or inner[40] != 128:
                return
            ident, seq = struct.unpack_from("!HH", inner, 44)
            if ident != self.ident:
                return
            info = int.from_bytes(icmp[4:8], "big")
            e = Error(seq, src, t, icmp[1], info, now, ifname)
            res.errors.append(e)
            res.events.append(e)
            self._acknowledge(seq)
            if self.on_event is not None:
                self.on_event(e)
            self._after_answer()

    def _flood_tick(self) -> None:
        """ping -f: no reply within 10 ms of the last request - send the next one anyway."""
        self.timer = None
        if self.done:
            return
        due = self.last_send + 10 * MS
        if self.engine.now >= due:
            self._send()
        else:
            self.timer = self.engine.call_at(due, self._flood_tick)

    def _schedule_exit(self) -> None:
        if self.exit_timer is not None:
            self.exit_timer.cancel()
        if self.result.replies:
            wait = max(2 * self.tmax, self.interval)
        else:
            wait = self.wait
        self.exit_timer = self.engine.call_later(wait, self._finish)

    def _acknowledge(self, seq: int) -> None:
        diff = (self.result.transmitted - seq) & 0xFFFF
        if diff <= 0x7FFF and diff + 1 > self.result.pipesize:
            self.result.pipesize = diff + 1

    def _after_answer(self) -> None:
        res = self.result
        if self.count and res.received + len(res.errors) >= self.count:
            self._finish()
            return
        if self.deadline is not None and res.errors:
            self._finish()
            return
        if self.flood and not (self.count and res.transmitted >= self.count):
            self._send()

    # -- receive ------------------------------------------------------------------------------
    def _on_packet(self, ip: bytes, skb) -> None:
        if self.done:
            return
        ihl = (ip[0] & 15) * 4
        icmp = ip[ihl:]
        if len(icmp) < 8:
            return
        src = int.from_bytes(ip[12:16], "big")
        t = icmp[0]
        now = self.engine.now
        res = self.result
        if t == 0:
            ident, seq = struct.unpack_from("!HH", icmp, 4)
            if ident != self.ident or seq not in self.sent_at:
                return
            rtt = now - self.sent_at[seq]
            dup = seq in res.seqs
            res.seqs.add(seq)
            r = Reply(seq, src, ip[8], len(icmp), rtt, now, dup)
            res.replies.append(r)
            res.events.append(r)
            if dup:
                res.duplicates += 1
            else:
                self._acknowledge(seq)
                self.tmax = max(self.tmax, rtt)
            if self.on_event is not None:
                self.on_event(r)
            if not dup:
                self._after_answer()
        elif t in (3, 4, 5, 11, 12):
            inner = icmp[8:]
            if len(inner) < 28 or inner[9] != 1:
                return
            iihl = (inner[0] & 15) * 4
            if len(inner) < iihl + 8:
                return
            q = inner[iihl:]
            if q[0] != 8:
                return
            ident, seq = struct.unpack_from("!HH", q, 4)
            if ident != self.ident:
                return
            info = int.from_bytes(icmp[4:8], "big")
            e = Error(seq, src, t, icmp[1], info, now)
            res.errors.append(e)
            res.events.append(e)
            self._acknowledge(seq)
            if self.on_event is not None:
                self.on_event(e)
            self._after_answer()

    def _finish(self) -> None:
        if self.done:
            return
        self.done = True
        for tm in (self.timer, self.exit_timer, self.deadline_timer):
            if tm is not None:
                tm.cancel()
        (self.ipv6 if self.v6 else self.ipv4).raw_close(self.sock)
        if self.on_done is not None:
            self.on_done(self.result)
