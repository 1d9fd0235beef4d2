"""IPv6 headers (RFC 8200), addresses (RFC 4291 text forms, RFC 5952 output) and the
upper-layer pseudo-header (RFC 8200 section 8.1)."""

from __future__ import annotations

import struct
from typing import NamedTuple

IPPROTO_HOPOPTS = 0
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_IPV6 = 41
IPPROTO_ROUTING = 43
IPPROTO_FRAGMENT = 44
IPPROTO_ICMPV6 = 58
IPPROTO_NONE = 59
IPPROTO_DSTOPTS = 60

ETH_P_IPV6 = 0x86DD
HDR_LEN = 40
IPV6_MIN_MTU = 1280

_HDR = struct.Struct("!IHBB16s16s")

UNSPECIFIED = b"\x00" * 16
LOOPBACK = b"\x00" * 15 + b"\x01"
ALL_NODES = bytes.fromhex("ff020000000000000000000000000001")
ALL_ROUTERS = bytes.fromhex("ff020000000000000000000000000002")
ALL_MLDV2_ROUTERS = bytes.fromhex("ff020000000000000000000000000016")


class Header(NamedTuple):
    src: bytes
    dst: bytes
    nxt: int           # next header
    hlim: int          # hop limit
    tclass: int        # traffic class
    flow: int          # flow label (20 bits)
    plen: int          # payload length


def parse(data: bytes) -> tuple[Header, bytes]:
    """Fixed header and payload (payload trimmed to the payload length)."""
    if len(data) < HDR_LEN:
        raise ValueError("truncated IPv6 header")
    vtf, plen, nxt, hlim, src, dst = _HDR.unpack_from(data)
    if vtf >> 28 != 6:
        raise ValueError("not IPv6")
    if HDR_LEN + plen > len(data):
        raise ValueError("bad IPv6 payload length")
    return (Header(src, dst, nxt, hlim, (vtf >> 20) & 0xFF, vtf & 0xFFFFF, plen),
            data[HDR_LEN:HDR_LEN + plen])


def build(src: bytes, dst: bytes, nxt: int, payload: bytes, hlim: int = 64, tclass: int = 0,
          flow: int = 0) -> bytes:
    return _HDR.pack(0x60000000 | (tclass & 0xFF) << 20 | (flow & 0xFFFFF), len(payload), nxt,
                     hlim, src, dst) + payload


def pseudo_header(src: bytes, dst: bytes, nxt: int, length: int) -> bytes:
    """The upper-layer pseudo-header, as bytes to prepend before summing."""
    return src + dst + length.to_bytes(4, "big") + b"\x00\x00\x00" + bytes((nxt,))


# -- addresses ------------------------------------------------------------------------------

_HEX = frozenset("0123456789abcdefABCDEF")


def aton(text: str) -> bytes:
    """Text to 16 bytes, as strict as inet_pton(AF_INET6) (an embedded dotted quad allowed at
    the end)."""
    if not text or any(c not in _HEX and c not in ":." for c in text):
        raise ValueError(f"bad IPv6 address {text!r}")
    if "." in text:
        cut = text.rfind(":")
        if cut < 0:
            raise ValueError(f"bad IPv6 address {text!r}")
        from .ipv4 import aton as aton4
        v4 = aton4(text[cut + 1:])
        text = text[:cut + 1] + "%x:%x" % (v4[0] << 8 | v4[1], v4[2] << 8 | v4[3])
    want = 8
    if text.count("::") > 1:
        raise ValueError(f"bad IPv6 address {text!r}")
    if "::" in text:
        head, _, rest = text.partition("::")
        hp = head.split(":") if head else []
        rp = rest.split(":") if rest else []
        if len(hp) + len(rp) > want - 1:
            raise ValueError(f"bad IPv6 address {text!r}")
        parts = hp + ["0"] * (want - len(hp) - len(rp)) + rp
    else:
        parts = text.split(":") if text else []
        if len(parts) != want:
            raise ValueError(f"bad IPv6 address {text!r}")
    out = bytearray()
    for p in parts:
        if not p or len(p) > 4 or not _HEX.issuperset(p):
            raise ValueError(f"bad IPv6 address {text!r}")
        out += int(p, 16).to_bytes(2, "big")
    return bytes(out)


def ntoa(addr: bytes) -> str:
    """16 bytes to text as glibc's inet_ntop prints it (RFC 5952: the longest run of two or
    more zero groups, the first of equal runs, becomes ``::``; ``::ffff:a.b.c.d`` and
    ``::a.b.c.d`` for the v4-mapped / v4-compatible forms)."""
    if len(addr) != 16:
        raise ValueError("an IPv6 address is 16 bytes")
    w = struct.unpack("!8H", addr)
    if w[:5] == (0, 0, 0, 0, 0) and (w[5] == 0xFFFF or (w[5] == 0 and w[6] != 0)):
        v4 = "%d.%d.%d.%d" % tuple(addr[12:])
        return ("::ffff:" if w[5] else "::") + v4
    best, blen, cur, clen = -1, 0, -1, 0
    for i, x in enumerate(w):
        if x == 0:
            if cur < 0:
                cur, clen = i, 1
            else:
                clen += 1
            if clen > blen:
                best, blen = cur, clen
        else:
            cur, clen = -1, 0
    if blen < 2:
        return ":".join("%x" % x for x in w)
    left = ":".join("%x" % x for x in w[:best])
    right = ":".join("%x" % x for x in w[best + blen:])
    return left + "::" + right


def is_multicast(a: bytes) -> bool:
    return a[0] == 0xFF


def is_linklocal(a: bytes) -> bool:
    return a[0] == 0xFE and a[1] & 0xC0 == 0x80


def mc_scope(a: bytes) -> int:
    return a[1] & 0x0F


def solicited_node(a: bytes) -> bytes:
    """ff02::1:ffXX:XXXX for unicast address ``a`` (addrconf_addr_solict_mult)."""
    return b"\xff\x02" + b"\x00" * 9 + b"\x01\xff" + a[13:16]


def mc_mac(a: bytes) -> bytes:
    """ipv6_eth_mc_map(): 33:33 + the low 32 bits of the group."""
    return b"\x33\x33" + a[12:16]


def prefix(a: bytes, plen: int) -> bytes:
    """``a`` with the bits after ``plen`` cleared."""
    n = int.from_bytes(a, "big")
    mask = ((1 << 128) - 1) ^ ((1 << (128 - plen)) - 1) if plen else 0
    return (n & mask).to_bytes(16, "big")
