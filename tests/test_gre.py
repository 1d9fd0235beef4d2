"""GRE header codec (vnetlab.wire.gre; RFC 2784/2890, net/ipv4/gre_demux.c gre_parse_header(),
include/net/gre.h gre_build_header()).

The GRE *devices* (gre/gretap) are not emulated yet; the reference-kernel transcripts for them
are stored in tests/golden/vm-6.1/gre-cases.out and gre-xmit.out. The lengths below come from
tcpdump on the VM (gre-xmit.out): a ping over a ``key 7 csum seq`` tunnel is ``GREv0, off 0x0,
key=0x7, seq 6, length 100`` around an 84-byte IPv4 packet; a gretap frame of 90 bytes is
``GREv0, proto TEB (0x6558), length 94``.
"""

from __future__ import annotations

import struct
from pathlib import Path

from vnetlab.wire import gre

GOLDEN = Path(__file__).parent / "golden" / "vm-6.1"


def _rfc1071(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    s = 0
    for i in range(0, len(data), 2):
        s += (data[i] << 8) | data[i + 1]
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


PAYLOAD = bytes(range(84))


def test_GRE_header_lengths_match_the_reference_kernel_capture():
    text = (GOLDEN / "gre-xmit.out").read_text()
    assert "GREv0, off 0x0, key=0x7, seq 6, length 100" in text
    assert "GREv0, proto TEB (0x6558), length 94" in text
    assert len(gre.build(0x0800, PAYLOAD, key=7, seq=6, csum=True)) == 100
    assert len(gre.build(gre.ETH_P_TEB, bytes(90))) == 94


def test_GRE_build_csum_key_seq_layout_and_checksum():
    pkt = gre.build(0x0800, PAYLOAD, key=7, seq=6, csum=True)
    assert pkt[:4] == b"\xb0\x00\x08\x00"                       # C|K|S, version 0, IPv4
    assert pkt[6:8] == b"\x00\x00"                               # reserved1
    assert pkt[8:16] == struct.pack("!II", 7, 6)
    zeroed = pkt[:4] + b"\x00\x00" + pkt[6:]
    assert struct.unpack("!H", pkt[4:6])[0] == _rfc1071(zeroed)
    assert pkt[16:] == PAYLOAD


def test_GRE_parse_roundtrip_and_checksum_verification():
    pkt = gre.build(0x0800, PAYLOAD, key=0x01020304, seq=9, csum=True)
    h = gre.parse(pkt)
    assert (h.flags, h.protocol, h.key, h.seq, h.hlen, h.csum_ok) == \
        (gre.GRE_CSUM | gre.GRE_KEY | gre.GRE_SEQ, 0x0800, 0x01020304, 9, 16, True)
    bad = pkt[:-1] + bytes([pkt[-1] ^ 1])
    assert gre.parse(bad).csum_ok is False
    plain = gre.parse(gre.build(gre.ETH_P_TEB, b"x" * 14))
    assert (plain.flags, plain.key, plain.seq, plain.csum, plain.hlen) == (0, None, None, None, 4)


def test_GRE_parse_refuses_version_routing_and_truncation():
    assert gre.parse(b"\x00\x01\x08\x00") is None               # version 1 (PPTP)
    assert gre.parse(b"\x40\x00\x08\x00" + bytes(8)) is None     # routing present
    assert gre.parse(b"\x20\x00\x08\x00\x00") is None            # K set, key missing
    assert gre.parse(b"\x00") is None
