"""TCP headers (RFC 9293): fields, flags, options, pseudo-header checksum."""

from __future__ import annotations

import struct
from typing import NamedTuple

from .checksum import checksum, ones_sum, pseudo_header_sum

FIN = 0x01
SYN = 0x02
RST = 0x04
PSH = 0x08
ACK = 0x10
URG = 0x20
ECE = 0x40
CWR = 0x80

_HDR = struct.Struct("!HHIIBBHHH")


class Tcp(NamedTuple):
    sport: int
    dport: int
    seq: int
    ack: int
    flags: int
    window: int
    csum: int
    urg: int
    options: bytes
    payload: bytes

    @property
    def header_len(self) -> int:
        return 20 + len(self.options)


def parse(data: bytes) -> Tcp:
    if len(data) < 20:
        raise ValueError("truncated TCP header")
    sport, dport, seq, ack, off, flags, win, csum, urg = _HDR.unpack_from(data)
    hlen = (off >> 4) * 4
    if hlen < 20 or hlen > len(data):
        raise ValueError("bad TCP data offset")
    return Tcp(sport, dport, seq, ack, flags | ((off & 1) << 8), win, csum, urg,
               data[20:hlen], data[hlen:])


def build(sport: int, dport: int, seq: int, ack: int, flags: int, window: int,
          payload: bytes = b"", options: bytes = b"", urg: int = 0,
          src: bytes | None = None, dst: bytes | None = None) -> bytes:
    if len(options) % 4 or len(options) > 40:
        raise ValueError("TCP options must pad to a multiple of 4 bytes, at most 40")
    hlen = 20 + len(options)
    off = (hlen // 4) << 4 | ((flags >> 8) & 1)
    seg = _HDR.pack(sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, off, flags & 0xFF,
                    window, 0, urg) + options + payload
    if src is None or dst is None:
        return seg
    c = checksum(pseudo_header_sum(src, dst, 6, len(seg)) + seg)
    return seg[:16] + c.to_bytes(2, "big") + seg[18:]


def checksum_ok(seg: bytes, src: bytes, dst: bytes) -> bool:
    return ones_sum(pseudo_header_sum(src, dst, 6, len(seg)) + seg) == 0xFFFF


def parse_options(opts: bytes) -> list[tuple[int, bytes]]:
    """(kind, data) pairs; NOP and EOL are dropped."""
    out = []
    i = 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2 or i + opts[i + 1] > len(opts):
            raise ValueError("malformed TCP option")
        ln = opts[i + 1]
        out.append((kind, opts[i + 2:i + ln]))
        i += ln
    return out
