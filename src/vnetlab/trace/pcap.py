"""The classic libpcap file format (``pcap-savefile(5)``): pure functions from frames to bytes
and back. No I/O: ``tcpdump -w`` / ``-r`` (vnetlab.commands.tcpdump) read and write the files.

A file is a 24-byte global header followed by one record per packet: a 16-byte header
(``ts_sec``, ``ts_usec``, ``caplen``, ``len``) and ``caplen`` bytes of the frame. Written files
use the native byte order of the writer as libpcap does; this module always writes
little-endian (magic ``d4 c3 b2 a1`` on disk, i.e. 0xa1b2c3d4 read in the file's order),
microsecond timestamps, version 2.4, LINKTYPE_ETHERNET (1). Reading accepts either byte order
and both the microsecond (0xa1b2c3d4) and nanosecond (0xa1b23c4d) magics.
"""

from __future__ import annotations

import struct
from typing import Iterator, NamedTuple

MAGIC_USEC = 0xA1B2C3D4
MAGIC_NSEC = 0xA1B23C4D
VERSION_MAJOR, VERSION_MINOR = 2, 4
LINKTYPE_ETHERNET = 1
DEFAULT_SNAPLEN = 262144

_GLOBAL = struct.Struct("<IHHiIII")
_RECORD = struct.Struct("<IIII")

LINKTYPE_NAMES = {1: ("EN10MB", "Ethernet"), 0: ("NULL", "BSD loopback"),
                  101: ("RAW", "Raw IP"), 113: ("LINUX_SLL", "Linux cooked v1"),
                  276: ("LINUX_SLL2", "Linux cooked v2")}


class PcapError(ValueError):
    """Not a pcap file, or a damaged one; the message is libpcap's."""


class Header(NamedTuple):
    magic: int
    version: tuple[int, int]
    snaplen: int
    linktype: int
    nanosecond: bool
    byteorder: str          # "<" or ">"


class Record(NamedTuple):
    ts_sec: int
    ts_frac: int            # microseconds, or nanoseconds for a nanosecond file
    caplen: int
    length: int
    data: bytes


def file_header(snaplen: int = DEFAULT_SNAPLEN, linktype: int = LINKTYPE_ETHERNET) -> bytes:
    """The 24-byte global header (thiszone 0, sigfigs 0)."""
    return _GLOBAL.pack(MAGIC_USEC, VERSION_MAJOR, VERSION_MINOR, 0, 0, snaplen, linktype)


def record(ts_ns: int, frame: bytes, snaplen: int = DEFAULT_SNAPLEN,
           length: int | None = None) -> bytes:
    """One packet record: the timestamp (integer nanoseconds, truncated to microseconds) and
    the first ``snaplen`` bytes of ``frame``; ``length`` is the original length (default:
    ``len(frame)``)."""
    sec, rem = divmod(int(ts_ns), 1_000_000_000)
    data = bytes(frame[:snaplen]) if snaplen else bytes(frame)
    orig = len(frame) if length is None else length
    return _RECORD.pack(sec & 0xFFFFFFFF, rem // 1000, len(data), orig) + data


def dump(packets, snaplen: int = DEFAULT_SNAPLEN, linktype: int = LINKTYPE_ETHERNET) -> bytes:
    """A whole file from ``(ts_ns, frame)`` pairs."""
    return file_header(snaplen, linktype) + b"".join(record(t, f, snaplen) for t, f in packets)


def parse_header(data: bytes) -> Header:
    """The global header; PcapError with libpcap's message when it is not one."""
    if len(data) < 4:
        raise PcapError("truncated dump file; tried to read 4 file header bytes, only got "
                        f"{len(data)}")
    for order in ("<", ">"):
        magic = struct.unpack_from(order + "I", data, 0)[0]
        if magic in (MAGIC_USEC, MAGIC_NSEC):
            break
    else:
        raise PcapError("unknown file format")
    if len(data) < 24:
        raise PcapError("truncated dump file; tried to read 24 file header bytes, only got "
                        f"{len(data)}")
    _, major, minor, _, _, snaplen, linktype = struct.unpack_from(order + "IHHiIII", data, 0)
    if major < 2:
        raise PcapError("archaic pcap savefile format")
    return Header(magic, (major, minor), snaplen, linktype & 0x03FFFFFF,
                  magic == MAGIC_NSEC, order)


def records(data: bytes) -> Iterator[Record]:
    """Every packet record after the global header (a truncated last record raises
    PcapError, after the complete ones)."""
    h = parse_header(data)
    fmt = struct.Struct(h.byteorder + "IIII")
    off = 24
    n = len(data)
    while off < n:
        if off + 16 > n:
            raise PcapError(f"truncated dump file; tried to read 16 header bytes, only got "
                            f"{n - off}")
        sec, frac, caplen, length = fmt.unpack_from(data, off)
        off += 16
        if off + caplen > n:
            raise PcapError(f"truncated dump file; tried to read {caplen} captured bytes, "
                            f"only got {n - off}")
        yield Record(sec, frac, caplen, length, bytes(data[off:off + caplen]))
        off += caplen
