"""ARP for IPv4 over Ethernet (RFC 826)."""

from __future__ import annotations

import struct
from typing import NamedTuple

ARPHRD_ETHER = 1
ARPOP_REQUEST = 1
ARPOP_REPLY = 2
ARP_LEN = 28

_ARP = struct.Struct("!HHBBH6s4s6s4s")


class Arp(NamedTuple):
    op: int
    sha: bytes
    spa: bytes
    tha: bytes
    tpa: bytes
    htype: int = ARPHRD_ETHER
    ptype: int = 0x0800
    hlen: int = 6
    plen: int = 4


def parse(data: bytes) -> Arp:
    if len(data) < ARP_LEN:
        raise ValueError("truncated ARP packet")
    htype, ptype, hlen, plen, op, sha, spa, tha, tpa = _ARP.unpack_from(data)
    return Arp(op, sha, spa, tha, tpa, htype, ptype, hlen, plen)


def build(op: int, sha: bytes, spa: bytes, tha: bytes, tpa: bytes) -> bytes:
    return _ARP.pack(ARPHRD_ETHER, 0x0800, 6, 4, op, sha, spa, tha, tpa)
