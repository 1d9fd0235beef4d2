"""The Internet checksum (RFC 1071).

Since 2**16 == 1 (mod 0xFFFF), the one's-complement sum of the 16-bit big-endian words of a
buffer equals the buffer read as one big integer, modulo 0xFFFF (with 0 standing for 0xFFFF when the
buffer is not all zeros). That lets CPython do the whole sum in C.
"""

from __future__ import annotations


def ones_sum(data: bytes) -> int:
    """One's-complement 16-bit sum of ``data`` (zero-padded to even length), in 0..0xFFFF."""
    if len(data) & 1:
        data = data + b"\x00"
    n = int.from_bytes(data, "big")
    if n == 0:
        return 0
    s = n % 0xFFFF
    return s if s else 0xFFFF


def checksum(data: bytes) -> int:
    """The Internet checksum of ``data``: the complement of the one's-complement sum."""
    return ~ones_sum(data) & 0xFFFF


def verify(data: bytes) -> bool:
    """True when ``data`` (with its checksum field filled in) sums to 0xFFFF, i.e. is intact."""
    if len(data) & 1:
        data = data + b"\x00"
    n = int.from_bytes(data, "big")
    return n != 0 and n % 0xFFFF == 0


def pseudo_header_sum(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    """IPv4 pseudo header for UDP/TCP checksums, as bytes to prepend."""
    return src + dst + bytes((0, proto)) + length.to_bytes(2, "big")
