"""IPv4 headers (RFC 791) with the header checksum."""

from __future__ import annotations

import struct
from typing import NamedTuple

from .checksum import checksum

IPPROTO_ICMP = 1
IPPROTO_IPIP = 4
IPPROTO_TCP = 6
IPPROTO_UDP = 17

IP_DF = 0x4000
IP_MF = 0x2000
IP_OFFMASK = 0x1FFF

_HDR = struct.Struct("!BBHHHBBH4s4s")


class Header(NamedTuple):
    src: bytes
    dst: bytes
    proto: int
    ttl: int
    tos: int
    ident: int
    frag: int  # flags (DF/MF) and fragment offset, as on the wire
    total_length: int
    ihl: int  # header length in bytes
    csum: int
    options: bytes = b""


def parse(data: bytes) -> tuple[Header, bytes]:
    """Header and payload (payload trimmed to total_length)."""
    if len(data) < 20:
        raise ValueError("truncated IPv4 header")
    vihl, tos, tot, ident, frag, ttl, proto, csum, src, dst = _HDR.unpack_from(data)
    if vihl >> 4 != 4:
        raise ValueError("not IPv4")
    ihl = (vihl & 0x0F) * 4
    if ihl < 20 or len(data) < ihl or tot < ihl or tot > len(data):
        raise ValueError("bad IPv4 header length")
    return (Header(src, dst, proto, ttl, tos, ident, frag, tot, ihl, csum, data[20:ihl]),
            data[ihl:tot])


def build(src: bytes, dst: bytes, proto: int, payload: bytes, ttl: int = 64, tos: int = 0,
          ident: int = 0, frag: int = 0, options: bytes = b"") -> bytes:
    ihl = 20 + len(options)
    if ihl % 4 or ihl > 60:
        raise ValueError("IPv4 options must pad the header to a multiple of 4, at most 60 bytes")
    tot = ihl + len(payload)
    hdr = _HDR.pack(0x40 | ihl // 4, tos, tot, ident, frag, ttl, proto, 0, src, dst) + options
    c = checksum(hdr)
    return hdr[:10] + c.to_bytes(2, "big") + hdr[12:] + payload


def header_ok(data: bytes) -> bool:
    """True when ``data`` holds a whole IPv4 header (IHL >= 5) whose checksum is intact."""
    from .checksum import verify
    if len(data) < 20:
        return False
    ihl = (data[0] & 0x0F) * 4
    if ihl < 20 or len(data) < ihl:
        return False
    return verify(data[:ihl])


_DIGITS = frozenset("0123456789")


def aton(text: str) -> bytes:
    """Dotted-quad text to 4 bytes, as strict as inet_pton(AF_INET): exactly four decimal parts,
    each 0..255, ASCII digits only, no leading zeros (``010`` would be octal to inet_aton)."""
    parts = text.split(".")
    if len(parts) != 4:
        raise ValueError(f"bad IPv4 address {text!r}")
    out = bytearray(4)
    for i, part in enumerate(parts):
        if (not part or len(part) > 3 or not _DIGITS.issuperset(part)
                or (len(part) > 1 and part[0] == "0")):
            raise ValueError(f"bad IPv4 address {text!r}")
        n = int(part)
        if n > 255:
            raise ValueError(f"bad IPv4 address {text!r}")
        out[i] = n
    return bytes(out)


def ntoa(addr: bytes) -> str:
    """4 bytes to dotted-quad text."""
    if len(addr) != 4:
        raise ValueError("an IPv4 address is 4 bytes")
    return "%d.%d.%d.%d" % tuple(addr)


def to_int(addr: bytes) -> int:
    return int.from_bytes(addr, "big")


def from_int(n: int) -> bytes:
    return n.to_bytes(4, "big")
