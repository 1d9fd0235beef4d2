"""iputils ping, as a user-space program on the emulated kernel: ICMP echo over a raw socket.

Semantics kept from iputils: one request per ``interval`` (default 1 s), identifier per process,
sequence from 1, payload = 16 bytes of timestamp-like data padded with 0x10.. pattern to ``size``
bytes (default 56, so 84-byte IP packets), replies matched by (identifier, sequence); ICMP errors
quoting one of our requests are reported ("Destination Host Unreachable", "Time to live exceeded").
A sendmsg failure (no route) is reported the way ping reports it and counts as an error.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ..stack.errors import KernelError
from ..wire.checksum import checksum

SEC = 1_000_000_000


@dataclass
class Reply:
    seq: int
    src: int
    ttl: int
    size: int          # ICMP bytes (header + payload), what ping prints as "N bytes"
    rtt_ns: int


@dataclass
class Error:
    seq: int
    src: int
    type: int
    code: int


@dataclass
class PingResult:
    dst: int
    transmitted: int = 0
    replies: list[Reply] = field(default_factory=list)
    errors: list[Error] = field(default_factory=list)
    send_errors: list[tuple[int, int]] = field(default_factory=list)   # (seq, errno)
    duplicates: int = 0
    elapsed_ns: int = 0

    @property
    def received(self) -> int:
        return len({r.seq for r in self.replies})

    @property
    def ok(self) -> bool:
        return self.received > 0

    @property
    def loss_percent(self) -> int:
        if not self.transmitted:
            return 0
        return int((self.transmitted - self.received) * 100 / self.transmitted)


class Ping:
    """Drive with the engine: ``Ping(ns, dst, ...).start()`` then run the engine;
    ``done`` becomes True after the last reply or the deadline."""

    def __init__(self, ns, dst: int, count: int = 1, interval_ns: int = SEC, size: int = 56,
                 ttl: int | None = None, wait_ns: int = 10 * SEC, ident: int | None = None,
                 src: int = 0, dev=None, on_done=None):
        self.ns = ns
        self.ipv4 = ns.ipv4
        self.engine = ns.kernel.engine
        self.dst = dst
        self.count = count
        self.interval = interval_ns
        self.size = size
        self.ttl = ttl
        self.wait = wait_ns
        self.ident = ident if ident is not None else (ns.kernel.rng.getrandbits(16) or 1)
        self.src = src
        self.dev = dev
        self.on_done = on_done
        self.result = PingResult(dst)
        self.sent_at: dict[int, int] = {}
        self.sock = None
        self.done = False
        self.timer = None
        self.start_ns = 0

    def start(self) -> "Ping":
        self.sock = self.ipv4.raw_open(1, self._on_packet, self.dev)
        self.start_ns = self.engine.now
        self._send(1)
        return self

    def _payload(self, seq: int) -> bytes:
        n = self.size
        t = self.engine.now
        stamp = struct.pack("<QQ", t // SEC, (t % SEC) // 1000) if n >= 16 else b""
        pad = bytes((i + 16) & 0xFF for i in range(16, n)) if n > 16 else b""
        return (stamp + pad)[:n]

    def _send(self, seq: int) -> None:
        body = struct.pack("!BBHHH", 8, 0, 0, self.ident, seq) + self._payload(seq)
        c = checksum(body)
        body = body[:2] + c.to_bytes(2, "big") + body[4:]
        self.result.transmitted += 1
        self.sent_at[seq] = self.engine.now
        try:
            self.ipv4.ip_send(self.dst, 1, body, saddr=self.src, oif=self.dev, ttl=self.ttl)
        except KernelError as e:
            self.result.send_errors.append((seq, e.errno))
        if seq < self.count:
            self.timer = self.engine.call_later(self.interval, self._send, seq + 1)
        else:
            self.timer = self.engine.call_later(self._linger(), self._finish)

    def _linger(self) -> int:
        # iputils waits for the last reply up to max(2 * max rtt, 1 s)..wait; emulate with wait
        if self.result.replies:
            rtt = max(r.rtt_ns for r in self.result.replies)
            return min(self.wait, max(2 * rtt, SEC))
        return self.wait

    def _on_packet(self, ip: bytes, skb) -> None:
        ihl = (ip[0] & 15) * 4
        icmp = ip[ihl:]
        if len(icmp) < 8:
            return
        src = int.from_bytes(ip[12:16], "big")
        t = icmp[0]
        if t == 0:
            ident, seq = struct.unpack_from("!HH", icmp, 4)
            if ident != self.ident or seq not in self.sent_at:
                return
            if any(r.seq == seq for r in self.result.replies):
                self.result.duplicates += 1
                return
            self.result.replies.append(Reply(seq, src, ip[8], len(icmp),
                                             self.engine.now - self.sent_at[seq]))
            if self.result.received >= self.count and seq == self.count:
                self._finish()
        elif t in (3, 11, 12, 5):
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
            self.result.errors.append(Error(seq, src, t, icmp[1]))

    def _finish(self) -> None:
        if self.done:
            return
        self.done = True
        if self.timer is not None:
            self.timer.cancel()
        self.result.elapsed_ns = self.engine.now - self.start_ns
        self.ipv4.raw_close(self.sock)
        if self.on_done is not None:
            self.on_done(self.result)
