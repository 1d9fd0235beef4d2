"""ICMP for IPv4 (RFC 792): echo, destination unreachable, time exceeded."""

from __future__ import annotations

import struct
from typing import NamedTuple

from .checksum import checksum

ECHO_REPLY = 0
DEST_UNREACH = 3
REDIRECT = 5
ECHO_REQUEST = 8
TIME_EXCEEDED = 11
PARAMETER_PROBLEM = 12

# DEST_UNREACH codes
NET_UNREACH = 0
HOST_UNREACH = 1
PROT_UNREACH = 2
PORT_UNREACH = 3
FRAG_NEEDED = 4
NET_UNKNOWN = 6
HOST_UNKNOWN = 7
PKT_FILTERED = 13
# TIME_EXCEEDED codes
EXC_TTL = 0
EXC_FRAGTIME = 1

_HDR = struct.Struct("!BBHHH")


class Icmp(NamedTuple):
    type: int
    code: int
    csum: int
    rest: int  # the 4 bytes after the checksum, as a 32-bit integer
    payload: bytes

    @property
    def ident(self) -> int:
        return self.rest >> 16

    @property
    def seq(self) -> int:
        return self.rest & 0xFFFF

    @property
    def mtu(self) -> int:
        return self.rest & 0xFFFF


def parse(data: bytes) -> Icmp:
    if len(data) < 8:
        raise ValueError("truncated ICMP header")
    t, c, csum, hi, lo = _HDR.unpack_from(data)
    return Icmp(t, c, csum, (hi << 16) | lo, data[8:])


def build(type_: int, code: int, rest: int, payload: bytes) -> bytes:
    body = _HDR.pack(type_, code, 0, rest >> 16, rest & 0xFFFF) + payload
    c = checksum(body)
    return body[:2] + c.to_bytes(2, "big") + body[4:]


def echo(ident: int, seq: int, payload: bytes, reply: bool = False) -> bytes:
    return build(ECHO_REPLY if reply else ECHO_REQUEST, 0, (ident << 16) | seq, payload)


def error(type_: int, code: int, offending: bytes, mtu: int = 0) -> bytes:
    """An ICMP error quoting the offending IPv4 packet: its header plus 8 bytes (RFC 792)."""
    ihl = (offending[0] & 0x0F) * 4
    return build(type_, code, mtu & 0xFFFF, offending[: ihl + 8])
