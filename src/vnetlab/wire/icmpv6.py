"""ICMPv6 (RFC 4443) with the pseudo-header checksum; Neighbor Discovery messages and options
(RFC 4861: RS, RA, NS, NA, source/target link-layer address, prefix information, MTU); MLDv2
reports (RFC 3810)."""

from __future__ import annotations

import struct
from typing import NamedTuple

from .checksum import ones_sum
from .ipv6 import IPPROTO_ICMPV6, pseudo_header

DEST_UNREACH = 1
PKT_TOOBIG = 2
TIME_EXCEED = 3
PARAMPROB = 4
ECHO_REQUEST = 128
ECHO_REPLY = 129
MLD_QUERY = 130
MLD_REPORT = 131
MLD_DONE = 132
ROUTER_SOLICIT = 133
ROUTER_ADVERT = 134
NEIGHBOUR_SOLICIT = 135
NEIGHBOUR_ADVERT = 136
REDIRECT = 137
MLD2_REPORT = 143

# DEST_UNREACH codes
NOROUTE = 0
ADM_PROHIBITED = 1
NOT_NEIGHBOUR = 2
ADDR_UNREACH = 3
PORT_UNREACH = 4
POLICY_FAIL = 5
REJECT_ROUTE = 6
# TIME_EXCEED codes
EXC_HOPLIMIT = 0
EXC_FRAGTIME = 1

# ND options
ND_OPT_SOURCE_LL_ADDR = 1
ND_OPT_TARGET_LL_ADDR = 2
ND_OPT_PREFIX_INFO = 3
ND_OPT_REDIRECT_HDR = 4
ND_OPT_MTU = 5

# NA flags (in the first byte of the 4 reserved/flag bytes)
NA_ROUTER = 0x80
NA_SOLICITED = 0x40
NA_OVERRIDE = 0x20

# MLDv2 record types
MLD2_MODE_IS_INCLUDE = 1
MLD2_MODE_IS_EXCLUDE = 2
MLD2_CHANGE_TO_INCLUDE = 3
MLD2_CHANGE_TO_EXCLUDE = 4
MLD2_ALLOW_NEW_SOURCES = 5
MLD2_BLOCK_OLD_SOURCES = 6

ERROR_TYPES = frozenset((DEST_UNREACH, PKT_TOOBIG, TIME_EXCEED, PARAMPROB))

_HDR = struct.Struct("!BBHI")


class Icmp6(NamedTuple):
    type: int
    code: int
    csum: int
    rest: int       # the 4 bytes after the checksum, as a 32-bit integer
    payload: bytes

    @property
    def ident(self) -> int:
        return self.rest >> 16

    @property
    def seq(self) -> int:
        return self.rest & 0xFFFF


def csum(src: bytes, dst: bytes, msg: bytes) -> int:
    """The ICMPv6 checksum of ``msg`` (its checksum field zero) over the pseudo-header."""
    s = ones_sum(pseudo_header(src, dst, IPPROTO_ICMPV6, len(msg)) + msg)
    return ~s & 0xFFFF


def verify(src: bytes, dst: bytes, msg: bytes) -> bool:
    data = pseudo_header(src, dst, IPPROTO_ICMPV6, len(msg)) + msg
    if len(data) & 1:
        data += b"\x00"
    n = int.from_bytes(data, "big")
    return n != 0 and n % 0xFFFF == 0


def parse(data: bytes) -> Icmp6:
    if len(data) < 8:
        raise ValueError("truncated ICMPv6 header")
    t, c, ck, rest = _HDR.unpack_from(data)
    return Icmp6(t, c, ck, rest, data[8:])


def build(src: bytes, dst: bytes, type_: int, code: int, rest: int, payload: bytes) -> bytes:
    body = _HDR.pack(type_, code, 0, rest) + payload
    c = csum(src, dst, body)
    return body[:2] + c.to_bytes(2, "big") + body[4:]


def echo(src: bytes, dst: bytes, ident: int, seq: int, payload: bytes,
         reply: bool = False) -> bytes:
    return build(src, dst, ECHO_REPLY if reply else ECHO_REQUEST, 0, (ident << 16) | seq, payload)


def error(src: bytes, dst: bytes, type_: int, code: int, offending: bytes, info: int = 0,
          mtu: int = 1280) -> bytes:
    """An ICMPv6 error quoting as much of the offending packet as fits in ``mtu`` (RFC 4443
    2.4(c): the whole message at most the minimum MTU)."""
    room = mtu - 40 - 8
    return build(src, dst, type_, code, info, offending[:room])


# -- Neighbor Discovery -----------------------------------------------------------------------

def opt_lladdr(kind: int, mac: bytes) -> bytes:
    """A source/target link-layer address option (padded to a multiple of 8 bytes)."""
    body = bytes((kind, 0)) + mac
    pad = (-len(body)) % 8
    body += b"\x00" * pad
    return bytes((kind, len(body) // 8)) + body[2:]


def opt_mtu(mtu: int) -> bytes:
    return struct.pack("!BBHI", ND_OPT_MTU, 1, 0, mtu)


def opt_prefix(prefix: bytes, plen: int, flags: int, valid: int, preferred: int) -> bytes:
    return struct.pack("!BBBBIII16s", ND_OPT_PREFIX_INFO, 4, plen, flags, valid, preferred, 0,
                       prefix)


def parse_options(data: bytes) -> list[tuple[int, bytes]]:
    """(type, whole option bytes) for each option; ValueError on a zero or overlong length."""
    out = []
    i = 0
    while i < len(data):
        if len(data) - i < 2:
            raise ValueError("truncated ND option")
        t, n = data[i], data[i + 1]
        if n == 0 or i + 8 * n > len(data):
            raise ValueError("bad ND option length")
        out.append((t, data[i:i + 8 * n]))
        i += 8 * n
    return out


def option_lladdr(opts: list[tuple[int, bytes]], kind: int, addr_len: int = 6) -> bytes | None:
    for t, o in opts:
        if t == kind:
            return o[2:2 + addr_len]
    return None


def ns(src: bytes, dst: bytes, target: bytes, sllao: bytes | None = None) -> bytes:
    """Neighbor Solicitation (type 135)."""
    opts = opt_lladdr(ND_OPT_SOURCE_LL_ADDR, sllao) if sllao else b""
    return build(src, dst, NEIGHBOUR_SOLICIT, 0, 0, target + opts)


def na(src: bytes, dst: bytes, target: bytes, flags: int, tllao: bytes | None = None) -> bytes:
    """Neighbor Advertisement (type 136); ``flags`` NA_ROUTER | NA_SOLICITED | NA_OVERRIDE."""
    opts = opt_lladdr(ND_OPT_TARGET_LL_ADDR, tllao) if tllao else b""
    return build(src, dst, NEIGHBOUR_ADVERT, 0, flags << 24, target + opts)


def rs(src: bytes, dst: bytes, sllao: bytes | None = None) -> bytes:
    """Router Solicitation (type 133)."""
    opts = opt_lladdr(ND_OPT_SOURCE_LL_ADDR, sllao) if sllao else b""
    return build(src, dst, ROUTER_SOLICIT, 0, 0, opts)


class RouterAdvert(NamedTuple):
    hop_limit: int
    flags: int
    lifetime: int
    reachable: int
    retrans: int
    options: list


def ra(src: bytes, dst: bytes, hop_limit: int = 64, flags: int = 0, lifetime: int = 1800,
       reachable: int = 0, retrans: int = 0, options: bytes = b"") -> bytes:
    """Router Advertisement (type 134)."""
    rest = hop_limit << 24 | flags << 16 | lifetime
    return build(src, dst, ROUTER_ADVERT, 0, rest, struct.pack("!II", reachable, retrans) + options)


def parse_ra(m: Icmp6) -> RouterAdvert:
    if len(m.payload) < 8:
        raise ValueError("truncated RA")
    reach, retrans = struct.unpack_from("!II", m.payload)
    return RouterAdvert(m.rest >> 24, (m.rest >> 16) & 0xFF, m.rest & 0xFFFF, reach, retrans,
                        parse_options(m.payload[8:]))


# -- MLDv2 ------------------------------------------------------------------------------------

def mld2_record(rtype: int, group: bytes, sources: tuple = ()) -> bytes:
    return struct.pack("!BBH16s", rtype, 0, len(sources), group) + b"".join(sources)


def mld2_report(src: bytes, dst: bytes, records: list[bytes]) -> bytes:
    """MLDv2 Listener Report (type 143): ``records`` from mld2_record()."""
    return build(src, dst, MLD2_REPORT, 0, len(records), b"".join(records))


def parse_mld2_report(m: Icmp6) -> list[tuple[int, bytes, list[bytes]]]:
    """(record type, group, sources) for each record of an MLDv2 report."""
    n = m.rest & 0xFFFF
    data = m.payload
    out = []
    i = 0
    for _ in range(n):
        if len(data) - i < 20:
            raise ValueError("truncated MLDv2 record")
        rtype, aux, nsrc, group = struct.unpack_from("!BBH16s", data, i)
        i += 20
        if len(data) - i < 16 * nsrc + 4 * aux:
            raise ValueError("truncated MLDv2 record")
        srcs = [data[i + 16 * k:i + 16 * k + 16] for k in range(nsrc)]
        i += 16 * nsrc + 4 * aux
        out.append((rtype, group, srcs))
    return out
