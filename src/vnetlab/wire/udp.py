"""UDP (RFC 768) with the IPv4 pseudo-header checksum."""

from __future__ import annotations

import struct
from typing import NamedTuple

from .checksum import checksum, ones_sum, pseudo_header_sum

_HDR = struct.Struct("!HHHH")


class Udp(NamedTuple):
    sport: int
    dport: int
    length: int
    csum: int
    payload: bytes


def parse(data: bytes) -> Udp:
    if len(data) < 8:
        raise ValueError("truncated UDP header")
    sport, dport, length, csum = _HDR.unpack_from(data)
    if length < 8 or length > len(data):
        raise ValueError("bad UDP length")
    return Udp(sport, dport, length, csum, data[8:length])


def build(sport: int, dport: int, payload: bytes, src: bytes | None = None,
          dst: bytes | None = None) -> bytes:
    """A UDP datagram; with ``src``/``dst`` (IPv4) the checksum is filled in, else left 0."""
    length = 8 + len(payload)
    seg = _HDR.pack(sport, dport, length, 0) + payload
    if src is None or dst is None:
        return seg
    c = checksum(pseudo_header_sum(src, dst, 17, length) + seg) or 0xFFFF
    return seg[:6] + c.to_bytes(2, "big") + seg[8:]


def checksum_ok(seg: bytes, src: bytes, dst: bytes) -> bool:
    if seg[6:8] == b"\x00\x00":
        return True  # no checksum
    return ones_sum(pseudo_header_sum(src, dst, 17, len(seg)) + seg) == 0xFFFF
