"""Ethernet II frames, with 802.1Q tag parsing."""

from __future__ import annotations

import struct
from typing import NamedTuple

ETH_HLEN = 14
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
ETH_P_IPV6 = 0x86DD
ETH_P_ALL = 0x0003

BROADCAST = b"\xff" * 6
ZERO = b"\x00" * 6

_HDR = struct.Struct("!6s6sH")


class Frame(NamedTuple):
    dst: bytes
    src: bytes
    ethertype: int
    payload: bytes
    vlan: int | None = None  # 802.1Q VID when the frame carries a tag
    pcp: int = 0
    dei: int = 0


def parse(data: bytes) -> Frame:
    if len(data) < ETH_HLEN:
        raise ValueError("frame shorter than an Ethernet header")
    dst, src, etype = _HDR.unpack_from(data)
    if etype in (ETH_P_8021Q, ETH_P_8021AD):
        if len(data) < ETH_HLEN + 4:
            raise ValueError("truncated 802.1Q tag")
        tci, inner = struct.unpack_from("!HH", data, 14)
        return Frame(dst, src, inner, data[18:], tci & 0x0FFF, tci >> 13, (tci >> 12) & 1)
    return Frame(dst, src, etype, data[14:])


def build(dst: bytes, src: bytes, ethertype: int, payload: bytes, vlan: int | None = None,
          pcp: int = 0, dei: int = 0) -> bytes:
    if vlan is None:
        return _HDR.pack(dst, src, ethertype) + payload
    tci = (pcp << 13) | (dei << 12) | (vlan & 0x0FFF)
    return _HDR.pack(dst, src, ETH_P_8021Q) + struct.pack("!HH", tci, ethertype) + payload


def is_multicast(mac: bytes) -> bool:
    return bool(mac[0] & 1)


def is_valid_unicast(mac: bytes) -> bool:
    """The kernel's is_valid_ether_addr(): not multicast and not all zeros."""
    return not (mac[0] & 1) and mac != ZERO


def mac_str(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


def mac_parse(text: str) -> bytes:
    parts = text.split(":")
    if len(parts) != 6:
        raise ValueError(f"bad MAC address {text!r}")
    return bytes(int(p, 16) for p in parts)
