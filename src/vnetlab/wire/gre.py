"""GRE header (RFC 2784 with the RFC 2890 key and sequence number extensions), as
net/ipv4/gre_demux.c gre_parse_header() reads it and include/net/gre.h gre_build_header()
writes it.

Layout: flags+version (C 0x8000, K 0x2000, S 0x1000; version 0 in the low 3 bits), protocol
type (0x0800 IPv4, 0x6558 transparent Ethernet bridging for gretap), then in this order the
optional checksum + reserved1 (4 bytes, when C), key (4, when K), sequence number (4, when S).
The checksum is the Internet checksum over the GRE header and its payload.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .checksum import checksum, verify

GRE_CSUM = 0x8000
GRE_ROUTING = 0x4000
GRE_KEY = 0x2000
GRE_SEQ = 0x1000
GRE_VERSION = 0x0007
ETH_P_TEB = 0x6558
ETH_P_IP = 0x0800


class GreHeader(NamedTuple):
    flags: int          # the C/K/S bits as sent (GRE_CSUM | GRE_KEY | GRE_SEQ)
    protocol: int
    key: int | None
    seq: int | None
    csum: int | None    # the checksum field as received (None without C)
    hlen: int           # header length in bytes
    csum_ok: bool       # True when there is no checksum or it verifies


def header_len(flags: int) -> int:
    """gre_calc_hlen(): 4, plus 4 for each of C, K, S."""
    n = 4
    if flags & GRE_CSUM:
        n += 4
    if flags & GRE_KEY:
        n += 4
    if flags & GRE_SEQ:
        n += 4
    return n


def build(protocol: int, payload: bytes, *, key: int | None = None, seq: int | None = None,
          csum: bool = False) -> bytes:
    """gre_build_header() + payload: the GRE packet (the IP payload of protocol 47)."""
    flags = (GRE_CSUM if csum else 0) | (GRE_KEY if key is not None else 0) | \
        (GRE_SEQ if seq is not None else 0)
    hdr = struct.pack("!HH", flags, protocol)
    if csum:
        hdr += b"\x00\x00\x00\x00"
    if key is not None:
        hdr += struct.pack("!I", key & 0xFFFFFFFF)
    if seq is not None:
        hdr += struct.pack("!I", seq & 0xFFFFFFFF)
    if csum:
        c = checksum(hdr + payload)
        hdr = hdr[:4] + struct.pack("!H", c) + hdr[6:]
    return hdr + payload


def parse(data: bytes) -> GreHeader | None:
    """gre_parse_header(): None when the packet is not a GRE version 0 packet we can read
    (too short, routing present, version != 0), as the kernel's -EINVAL."""
    if len(data) < 4:
        return None
    flags, proto = struct.unpack_from("!HH", data)
    if flags & (GRE_VERSION | GRE_ROUTING):
        return None
    hlen = header_len(flags)
    if len(data) < hlen:
        return None
    off = 4
    csum = key = seq = None
    ok = True
    if flags & GRE_CSUM:
        csum = struct.unpack_from("!H", data, 4)[0]
        ok = verify(data)
        off += 4
    if flags & GRE_KEY:
        key = struct.unpack_from("!I", data, off)[0]
        off += 4
    if flags & GRE_SEQ:
        seq = struct.unpack_from("!I", data, off)[0]
        off += 4
    return GreHeader(flags & (GRE_CSUM | GRE_KEY | GRE_SEQ), proto, key, seq, csum, hlen, ok)
