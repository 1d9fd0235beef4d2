"""Tests for the sans-IO codecs in vnetlab.wire.

* round trips: build(...) then parse(...) gives back the fields (hypothesis);
* the int-modulo Internet checksum against a plain 16-bit-word reference loop;
* dpkt as an independent cross-check, both directions, byte for byte where both compute checksums;
* robustness: parse() of garbage / truncated / mutated input raises ValueError or succeeds, never
  anything else.
"""

from __future__ import annotations

import socket
import struct

import dpkt
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from vnetlab.wire import arp, checksum, ethernet, icmp, ipv4, tcp, udp

SETTINGS = settings(max_examples=200, deadline=None)
FUZZ = settings(max_examples=100, deadline=None)  # per parser; 7 parsers per fuzz test

# --------------------------------------------------------------------------- strategies

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
mac = st.binary(min_size=6, max_size=6)
ip4 = st.binary(min_size=4, max_size=4)
payload = st.binary(max_size=96)


def words(max_words: int) -> st.SearchStrategy[bytes]:
    """A byte string whose length is a multiple of 4, at most 4 * max_words."""
    return st.integers(0, max_words).flatmap(lambda n: st.binary(min_size=4 * n, max_size=4 * n))


ip_options = words(10)  # IHL up to 15 words
tcp_options = words(10)  # data offset up to 15 words

# Buffers that stress the checksum: random, all zeros, all 0xFF, and mixes of extreme bytes.
checksum_buffers = st.one_of(
    st.binary(max_size=300),
    st.integers(0, 64).map(lambda n: b"\x00" * n),
    st.integers(0, 64).map(lambda n: b"\xff" * n),
    st.lists(st.sampled_from([0x00, 0x01, 0xFE, 0xFF]), max_size=80).map(bytes),
)

VLAN_ETHERTYPES = (ethernet.ETH_P_8021Q, ethernet.ETH_P_8021AD)

# dpkt decodes some ethertypes / IP protocols into objects; for the raw-payload cross checks use
# ones it leaves as bytes, and none that it treats as tags, labels or 802.3 lengths.
_DPKT_SPECIAL_ETHERTYPES = (set(dpkt.ethernet.Ethernet._typesw) | set(dpkt.ethernet._ETH_TYPES_QINQ)
                            | {dpkt.ethernet.ETH_TYPE_MPLS, dpkt.ethernet.ETH_TYPE_MPLS_MCAST})
dpkt_raw_ethertype = st.integers(0x0600, 0xFFFF).filter(lambda t: t not in _DPKT_SPECIAL_ETHERTYPES)
dpkt_raw_proto = u8.filter(lambda p: p not in dpkt.ip.IP._protosw)


def ref_ones_sum(data: bytes) -> int:
    """Reference one's-complement sum: add 16-bit big-endian words with end-around carry."""
    if len(data) % 2:
        data = data + b"\x00"
    s = 0
    for i in range(0, len(data), 2):
        s += (data[i] << 8) | data[i + 1]
        s = (s & 0xFFFF) + (s >> 16)
    return s


def flip_bit(data: bytes, bit: int) -> bytes:
    b = bytearray(data)
    b[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(b)


@st.composite
def tcp_option_list(draw):
    """(kind, data) options (no NOP/EOL) and their encoding padded with NOPs/EOL to 4 bytes."""
    opts = draw(st.lists(st.tuples(st.integers(2, 255), st.binary(max_size=6)), max_size=4))
    raw = b"".join(bytes((k, len(d) + 2)) + d for k, d in opts)
    assume(len(raw) <= 40)
    pad = (-len(raw)) % 4
    if pad:
        raw += draw(st.sampled_from([b"\x01" * pad, b"\x00" * pad]))
    # sprinkle a leading NOP word sometimes; NOPs are dropped by parse_options
    if draw(st.booleans()) and len(raw) <= 36:
        raw = b"\x01" * 4 + raw
    return opts, raw


@st.composite
def ipv4_packets(draw, proto=u8):
    opts = draw(ip_options)
    return ipv4.build(draw(ip4), draw(ip4), draw(proto), draw(payload), ttl=draw(u8), tos=draw(u8),
                      ident=draw(u16), frag=draw(u16), options=opts)


# --------------------------------------------------------------------------- checksum


@SETTINGS
@given(checksum_buffers)
def test_ones_sum_matches_reference_loop(data):
    ref = ref_ones_sum(data)
    assert checksum.ones_sum(data) == ref
    assert checksum.checksum(data) == (~ref & 0xFFFF)
    assert checksum.verify(data) == (ref == 0xFFFF)


@pytest.mark.parametrize("data,expected", [
    (b"", 0), (b"\x00", 0), (b"\x00" * 7, 0),
    (b"\xff", 0xFF00), (b"\xff\xff", 0xFFFF), (b"\xff" * 9, 0xFF00),
    (b"\x00\x01\xff\xfe", 0xFFFF),  # 1 + 0xFFFE: "negative zero", not 0
    (b"\x80\x00\x80\x00", 0x0001),  # carry wraps around
    # RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 -> sum ddf2
    (bytes.fromhex("0001f203f4f5f6f7"), 0xDDF2),
])
def test_ones_sum_known_values(data, expected):
    assert ref_ones_sum(data) == expected
    assert checksum.ones_sum(data) == expected


@SETTINGS
@given(st.binary(max_size=200).map(lambda b: b[: len(b) & ~1]))
def test_checksum_appended_verifies(data):
    assert checksum.verify(data + checksum.checksum(data).to_bytes(2, "big"))


def test_pseudo_header_layout():
    ph = checksum.pseudo_header_sum(b"\x0a\x00\x00\x01", b"\x0a\x00\x00\x02", 17, 0x1234)
    assert ph == bytes.fromhex("0a000001" "0a000002" "0011" "1234")


@SETTINGS
@given(ipv4_packets())
def test_ipv4_header_verifies_and_any_bit_flip_breaks_it(pkt):
    ihl = (pkt[0] & 0x0F) * 4
    hdr = pkt[:ihl]
    assert checksum.verify(hdr)
    assert ipv4.header_ok(pkt)
    assert ref_ones_sum(hdr) == 0xFFFF
    for bit in range(len(hdr) * 8):
        bad = flip_bit(hdr, bit)
        assert not checksum.verify(bad), f"bit {bit} flip not detected"
        if bit >= 8:  # flips in byte 0 change IHL, i.e. which bytes header_ok sums
            assert not ipv4.header_ok(bad + pkt[ihl:]), f"bit {bit} flip not detected"


@SETTINGS
@given(st.binary(max_size=80))
def test_ipv4_header_ok_never_raises_and_needs_a_whole_header(data):
    ok = ipv4.header_ok(data)
    if ok:
        ihl = (data[0] & 0x0F) * 4
        assert 20 <= ihl <= len(data)
        assert checksum.verify(data[:ihl])


def test_ipv4_header_ok_short_inputs():
    assert not ipv4.header_ok(b"")
    assert not ipv4.header_ok(b"\x45")
    # IHL 1 (4 bytes) whose 4 bytes happen to sum to 0xFFFF: not a valid header
    assert checksum.verify(b"\x41\x00\xbe\xff")
    assert not ipv4.header_ok(b"\x41\x00\xbe\xff" + b"\x00" * 16)
    pkt = ipv4.build(b"\x01\x02\x03\x04", b"\x05\x06\x07\x08", 17, b"", options=b"\x01" * 8)
    assert ipv4.header_ok(pkt)
    assert not ipv4.header_ok(pkt[:27])  # cut inside the options


# --------------------------------------------------------------------------- round trips


@SETTINGS
@given(mac, mac, u16.filter(lambda t: t not in VLAN_ETHERTYPES), payload)
def test_ethernet_round_trip_untagged(dst, src, etype, data):
    frame = ethernet.build(dst, src, etype, data)
    assert len(frame) == ethernet.ETH_HLEN + len(data)
    assert ethernet.parse(frame) == ethernet.Frame(dst, src, etype, data, None, 0, 0)


@SETTINGS
@given(mac, mac, u16, payload, st.integers(0, 4095), st.integers(0, 7), st.integers(0, 1))
def test_ethernet_round_trip_8021q(dst, src, etype, data, vid, pcp, dei):
    frame = ethernet.build(dst, src, etype, data, vlan=vid, pcp=pcp, dei=dei)
    assert len(frame) == ethernet.ETH_HLEN + 4 + len(data)
    assert frame[12:14] == b"\x81\x00"
    f = ethernet.parse(frame)
    assert f == ethernet.Frame(dst, src, etype, data, vid, pcp, dei)


def test_ethernet_8021ad_outer_tag_is_parsed():
    frame = (b"\x02" * 6 + b"\x04" * 6 + b"\x88\xa8" + struct.pack("!HH", (5 << 13) | 100, 0x0800)
             + b"payload")
    f = ethernet.parse(frame)
    assert (f.vlan, f.pcp, f.dei, f.ethertype, f.payload) == (100, 5, 0, 0x0800, b"payload")


def test_mac_helpers():
    assert ethernet.mac_str(b"\x02\x00\x00\xab\xcd\xef") == "02:00:00:ab:cd:ef"
    assert ethernet.mac_parse("02:00:00:ab:cd:ef") == b"\x02\x00\x00\xab\xcd\xef"
    with pytest.raises(ValueError):
        ethernet.mac_parse("02:00:00:ab:cd")
    assert ethernet.is_multicast(ethernet.BROADCAST)
    assert not ethernet.is_valid_unicast(ethernet.ZERO)
    assert ethernet.is_valid_unicast(b"\x02\x00\x00\x00\x00\x01")


@SETTINGS
@given(u16, mac, ip4, mac, ip4, st.binary(max_size=18))
def test_arp_round_trip(op, sha, spa, tha, tpa, pad):
    pkt = arp.build(op, sha, spa, tha, tpa)
    assert len(pkt) == arp.ARP_LEN
    expected = arp.Arp(op, sha, spa, tha, tpa, arp.ARPHRD_ETHER, 0x0800, 6, 4)
    assert arp.parse(pkt) == expected
    assert arp.parse(pkt + pad) == expected  # Ethernet minimum-size padding is ignored


@SETTINGS
@given(ip4, ip4, u8, payload, u8, u8, u16, u16, st.binary(max_size=12))
def test_ipv4_round_trip_no_options(src, dst, proto, data, ttl, tos, ident, frag, trailer):
    pkt = ipv4.build(src, dst, proto, data, ttl=ttl, tos=tos, ident=ident, frag=frag)
    assert pkt[0] == 0x45
    hdr, body = ipv4.parse(pkt + trailer)  # trailing link-layer padding is trimmed
    assert body == data
    assert (hdr.src, hdr.dst, hdr.proto, hdr.ttl, hdr.tos, hdr.ident, hdr.frag) == (
        src, dst, proto, ttl, tos, ident, frag)
    assert hdr.ihl == 20 and hdr.options == b""
    assert hdr.total_length == len(pkt) == 20 + len(data)
    assert hdr.csum == int.from_bytes(pkt[10:12], "big")
    assert checksum.verify(pkt[:20])


@SETTINGS
@given(ip4, ip4, u8, payload, u8, u8, u16, u16, ip_options.filter(bool))
def test_ipv4_round_trip_with_options(src, dst, proto, data, ttl, tos, ident, frag, opts):
    pkt = ipv4.build(src, dst, proto, data, ttl=ttl, tos=tos, ident=ident, frag=frag, options=opts)
    hdr, body = ipv4.parse(pkt)
    assert hdr.ihl == 20 + len(opts) == (pkt[0] & 0x0F) * 4
    assert hdr.options == opts
    assert body == data
    assert (hdr.src, hdr.dst, hdr.proto, hdr.ttl, hdr.tos, hdr.ident, hdr.frag) == (
        src, dst, proto, ttl, tos, ident, frag)
    assert hdr.total_length == len(pkt)
    assert checksum.verify(pkt[:hdr.ihl])


@pytest.mark.parametrize("opts", [b"\x01", b"\x01" * 6, b"\x01" * 44])
def test_ipv4_build_rejects_bad_options(opts):
    with pytest.raises(ValueError):
        ipv4.build(b"\x00" * 4, b"\x00" * 4, 1, b"", options=opts)


@SETTINGS
@given(u16, u16, payload, st.booleans())
def test_icmp_echo_round_trip(ident, seq, data, reply):
    msg = icmp.echo(ident, seq, data, reply=reply)
    m = icmp.parse(msg)
    assert m.type == (icmp.ECHO_REPLY if reply else icmp.ECHO_REQUEST)
    assert (m.code, m.ident, m.seq, m.payload) == (0, ident, seq, data)
    assert m.rest == (ident << 16) | seq
    assert m.csum == int.from_bytes(msg[2:4], "big")
    assert checksum.verify(msg)


@SETTINGS
@given(ipv4_packets(), st.integers(0, 15), u16)
def test_icmp_dest_unreachable_round_trip(offending, code, mtu):
    msg = icmp.error(icmp.DEST_UNREACH, code, offending, mtu=mtu)
    m = icmp.parse(msg)
    ihl = (offending[0] & 0x0F) * 4
    assert (m.type, m.code, m.mtu, m.rest) == (icmp.DEST_UNREACH, code, mtu, mtu)
    assert m.payload == offending[: ihl + 8]  # header plus 8 bytes (fewer if the packet is short)
    assert checksum.verify(msg)


@SETTINGS
@given(ipv4_packets(), st.integers(0, 1))
def test_icmp_time_exceeded_round_trip(offending, code):
    msg = icmp.error(icmp.TIME_EXCEEDED, code, offending)
    m = icmp.parse(msg)
    ihl = (offending[0] & 0x0F) * 4
    assert (m.type, m.code, m.rest) == (icmp.TIME_EXCEEDED, code, 0)
    assert m.payload == offending[: ihl + 8]
    assert checksum.verify(msg)


@SETTINGS
@given(u16, u16, payload, ip4, ip4, st.binary(max_size=8))
def test_udp_round_trip_with_checksum(sport, dport, data, src, dst, trailer):
    seg = udp.build(sport, dport, data, src, dst)
    u = udp.parse(seg + trailer)  # bytes past the UDP length are not payload
    assert (u.sport, u.dport, u.length, u.payload) == (sport, dport, 8 + len(data), data)
    assert u.csum == int.from_bytes(seg[6:8], "big") != 0
    assert udp.checksum_ok(seg, src, dst)
    ref = ref_ones_sum(checksum.pseudo_header_sum(src, dst, 17, len(seg)) + seg)
    assert ref == 0xFFFF


@SETTINGS
@given(u16, u16, st.binary(min_size=1, max_size=64), ip4, ip4, st.data())
def test_udp_checksum_detects_corruption(sport, dport, data, src, dst, draw):
    seg = udp.build(sport, dport, data, src, dst)
    # any bit outside the checksum field itself (a flip there can produce 0 = "no checksum")
    bit = draw.draw(st.integers(0, len(seg) * 8 - 1).filter(lambda b: not 48 <= b < 64))
    assert not udp.checksum_ok(flip_bit(seg, bit), src, dst)
    # and a wrong address in the pseudo header
    other = draw.draw(ip4.filter(lambda a: a != dst))
    assume(ref_ones_sum(src + other) != ref_ones_sum(src + dst))
    assert not udp.checksum_ok(seg, src, other)


@SETTINGS
@given(u16, u16, payload)
def test_udp_without_checksum(sport, dport, data):
    seg = udp.build(sport, dport, data)
    u = udp.parse(seg)
    assert u.csum == 0
    assert (u.sport, u.dport, u.payload) == (sport, dport, data)
    assert udp.checksum_ok(seg, b"\x01\x02\x03\x04", b"\x05\x06\x07\x08")  # 0 = not computed


@SETTINGS
@given(u16, u16, u32, u32, st.integers(0, 0x1FF), u16, payload, tcp_options, u16, ip4, ip4)
def test_tcp_round_trip(sport, dport, seq, ack, flags, window, data, opts, urg, src, dst):
    seg = tcp.build(sport, dport, seq, ack, flags, window, data, opts, urg, src, dst)
    t = tcp.parse(seg)
    assert (t.sport, t.dport, t.seq, t.ack, t.flags, t.window, t.urg) == (
        sport, dport, seq, ack, flags, window, urg)
    assert t.options == opts
    assert t.payload == data
    assert t.header_len == 20 + len(opts) == (seg[12] >> 4) * 4
    assert t.csum == int.from_bytes(seg[16:18], "big")
    assert tcp.checksum_ok(seg, src, dst)
    for bit in (0, 8 * 12 + 7, len(seg) * 8 - 1):  # a port bit, the NS bit, the last bit
        assert not tcp.checksum_ok(flip_bit(seg, bit), src, dst)


@SETTINGS
@given(tcp_option_list())
def test_tcp_parse_options_round_trip(case):
    opts, raw = case
    assert len(raw) % 4 == 0
    assert tcp.parse_options(raw) == opts
    seg = tcp.build(1, 2, 3, 4, tcp.SYN, 5, options=raw)
    assert tcp.parse_options(tcp.parse(seg).options) == opts


def test_tcp_parse_options_known():
    # MSS 1460, NOP, WS 7, SACK-permitted, timestamps, EOL then junk that must be ignored
    raw = (bytes.fromhex("020405b4") + b"\x01" + bytes.fromhex("030307") + bytes.fromhex("0402")
           + bytes.fromhex("080a0000000100000002") + b"\x00\xff\xff\xff")
    assert tcp.parse_options(raw) == [
        (2, b"\x05\xb4"), (3, b"\x07"), (4, b""), (8, bytes.fromhex("0000000100000002"))]
    for bad in (b"\x02", b"\x02\x01", b"\x02\x05\x00\x00", b"\x01\x08\x0a"):
        with pytest.raises(ValueError):
            tcp.parse_options(bad)


@pytest.mark.parametrize("opts", [b"\x01", b"\x01" * 3, b"\x01" * 44])
def test_tcp_build_rejects_bad_options(opts):
    with pytest.raises(ValueError):
        tcp.build(1, 2, 3, 4, tcp.SYN, 5, options=opts)


# --------------------------------------------------------------------------- aton / ntoa


@SETTINGS
@given(ip4)
def test_ntoa_aton_round_trip(addr):
    text = ipv4.ntoa(addr)
    assert text == socket.inet_ntoa(addr)
    assert ipv4.aton(text) == addr


# strings built from the characters that matter to a dotted-quad parser
_quadish = st.text(alphabet="0123456789.x -+\n٤", max_size=20)
_almost_quads = st.lists(st.one_of(st.integers(0, 300).map(str), st.sampled_from(
    ["", "00", "01", "010", "0x1", " 1", "1 ", "+1", "-1", "1e2", "²", "٤", "0000", "1_0"])),
    min_size=1, max_size=6).map(".".join)


@SETTINGS
@given(st.one_of(_quadish, _almost_quads))
def test_aton_agrees_with_inet_pton(text):
    try:
        want = socket.inet_pton(socket.AF_INET, text)
    except (OSError, ValueError, UnicodeError):
        want = None
    if want is None:
        with pytest.raises(ValueError):
            ipv4.aton(text)
    else:
        assert ipv4.aton(text) == want


@pytest.mark.parametrize("text", ["1.2.3", "1.2.3.4.5", "256.0.0.1", "1..2.3", "1.2.3.4 ",
                                  "0x7f.0.0.1", "010.0.0.1", "1.2.3.-4", "", "a.b.c.d",
                                  "1.2.3.4\n", "1.2.3.٤"])
def test_aton_rejects_malformed(text):
    with pytest.raises(ValueError):
        ipv4.aton(text)


def test_aton_ntoa_examples():
    assert ipv4.aton("0.0.0.0") == b"\x00\x00\x00\x00"
    assert ipv4.aton("255.255.255.255") == b"\xff" * 4
    assert ipv4.aton("10.0.200.1") == b"\x0a\x00\xc8\x01"
    assert ipv4.ntoa(b"\xc0\xa8\x00\x01") == "192.168.0.1"
    assert ipv4.to_int(ipv4.aton("1.2.3.4")) == 0x01020304
    assert ipv4.from_int(0x01020304) == b"\x01\x02\x03\x04"
    for bad in (b"", b"\x01\x02\x03", b"\x01\x02\x03\x04\x05"):
        with pytest.raises(ValueError):
            ipv4.ntoa(bad)


# --------------------------------------------------------------------------- dpkt cross-checks


@SETTINGS
@given(mac, mac, dpkt_raw_ethertype, payload)
def test_dpkt_ethernet_untagged(dst, src, etype, data):
    ours = ethernet.build(dst, src, etype, data)
    e = dpkt.ethernet.Ethernet(ours)
    assert (e.dst, e.src, e.type, e.data) == (dst, src, etype, data)
    assert not getattr(e, "vlan_tags", None)
    theirs = bytes(dpkt.ethernet.Ethernet(dst=dst, src=src, type=etype, data=data))
    assert theirs == ours
    assert ethernet.parse(theirs) == ethernet.Frame(dst, src, etype, data)


@SETTINGS
@given(mac, mac, dpkt_raw_ethertype, payload, st.integers(0, 4095), st.integers(0, 7),
       st.integers(0, 1))
def test_dpkt_ethernet_8021q(dst, src, etype, data, vid, pcp, dei):
    ours = ethernet.build(dst, src, etype, data, vlan=vid, pcp=pcp, dei=dei)
    e = dpkt.ethernet.Ethernet(ours)
    assert (e.dst, e.src, e.data) == (dst, src, data)
    assert len(e.vlan_tags) == 1
    tag = e.vlan_tags[0]
    assert (tag.id, tag.pri, tag.cfi, tag.type) == (vid, pcp, dei, etype)
    theirs = bytes(dpkt.ethernet.Ethernet(
        dst=dst, src=src, type=etype, data=data,
        vlan_tags=[dpkt.ethernet.VLANtag8021Q(id=vid, pri=pcp, cfi=dei)]))
    assert theirs == ours
    assert ethernet.parse(theirs) == ethernet.Frame(dst, src, etype, data, vid, pcp, dei)


@SETTINGS
@given(st.sampled_from([arp.ARPOP_REQUEST, arp.ARPOP_REPLY]) | u16, mac, ip4, mac, ip4)
def test_dpkt_arp(op, sha, spa, tha, tpa):
    ours = arp.build(op, sha, spa, tha, tpa)
    a = dpkt.arp.ARP(ours)
    assert (a.hrd, a.pro, a.hln, a.pln) == (dpkt.arp.ARP_HRD_ETH, dpkt.arp.ARP_PRO_IP, 6, 4)
    assert (a.op, a.sha, a.spa, a.tha, a.tpa) == (op, sha, spa, tha, tpa)
    theirs = bytes(dpkt.arp.ARP(op=op, sha=sha, spa=spa, tha=tha, tpa=tpa))
    assert theirs == ours
    assert arp.parse(theirs) == arp.Arp(op, sha, spa, tha, tpa)
    # and inside an Ethernet frame, dpkt decodes it by ethertype
    frame = ethernet.build(ethernet.BROADCAST, sha, ethernet.ETH_P_ARP, ours)
    e = dpkt.ethernet.Ethernet(frame)
    assert isinstance(e.data, dpkt.arp.ARP) and bytes(e.data) == ours


@SETTINGS
@given(ip4, ip4, dpkt_raw_proto, payload, u8, u8, u16, u16, ip_options)
def test_dpkt_ipv4(src, dst, proto, data, ttl, tos, ident, frag, opts):
    ours = ipv4.build(src, dst, proto, data, ttl=ttl, tos=tos, ident=ident, frag=frag,
                      options=opts)
    p = dpkt.ip.IP(ours)
    assert (p.v, p.hl, p.tos, p.len, p.id, p.ttl, p.p) == (
        4, 5 + len(opts) // 4, tos, len(ours), ident, ttl, proto)
    assert (p.rf, p.df, p.mf, p.offset) == (
        frag >> 15, bool(frag & ipv4.IP_DF), bool(frag & ipv4.IP_MF), frag & ipv4.IP_OFFMASK)
    assert (p.src, p.dst, p.opts, p.data) == (src, dst, opts, data)
    assert p.sum == int.from_bytes(ours[10:12], "big")
    assert dpkt.in_cksum(ours[:20 + len(opts)]) == 0
    theirs = bytes(dpkt.ip.IP(src=src, dst=dst, p=proto, ttl=ttl, tos=tos, id=ident,
                              rf=frag >> 15, df=(frag >> 14) & 1, mf=(frag >> 13) & 1,
                              offset=frag & ipv4.IP_OFFMASK,
                              hl=5 + len(opts) // 4, opts=opts, data=data))
    assert theirs == ours  # includes dpkt's own header checksum
    hdr, body = ipv4.parse(theirs)
    assert (hdr.src, hdr.dst, hdr.proto, hdr.ttl, hdr.tos, hdr.ident, hdr.frag, hdr.options,
            body) == (src, dst, proto, ttl, tos, ident, frag, opts, data)


@SETTINGS
@given(u16, u16, payload, st.booleans())
def test_dpkt_icmp_echo(ident, seq, data, reply):
    ours = icmp.echo(ident, seq, data, reply=reply)
    m = dpkt.icmp.ICMP(ours)
    assert (m.type, m.code) == (0 if reply else 8, 0)
    assert isinstance(m.data, dpkt.icmp.ICMP.Echo)
    assert (m.data.id, m.data.seq, m.data.data) == (ident, seq, data)
    assert m.sum == icmp.parse(ours).csum
    theirs = bytes(dpkt.icmp.ICMP(type=0 if reply else 8, code=0,
                                  data=dpkt.icmp.ICMP.Echo(id=ident, seq=seq, data=data)))
    assert theirs == ours
    parsed = icmp.parse(theirs)
    assert (parsed.ident, parsed.seq, parsed.payload) == (ident, seq, data)


@SETTINGS
@given(ipv4_packets(proto=st.just(17)), st.integers(0, 15), u16)
def test_dpkt_icmp_dest_unreachable(offending, code, mtu):
    ihl = (offending[0] & 0x0F) * 4
    quoted = offending[: ihl + 8]
    ours = icmp.error(icmp.DEST_UNREACH, code, offending, mtu=mtu)
    theirs = bytes(dpkt.icmp.ICMP(type=3, code=code,
                                  data=dpkt.icmp.ICMP.Unreach(mtu=mtu, data=quoted)))
    assert theirs == ours
    m = dpkt.icmp.ICMP(ours)
    assert (m.type, m.code) == (3, code)
    assert m.sum == int.from_bytes(ours[2:4], "big")
    if isinstance(m.data, dpkt.icmp.ICMP.Unreach):  # dpkt decodes the quote when it can
        assert m.data.mtu == mtu
        assert m.data.ip.src == offending[12:16] and m.data.ip.dst == offending[16:20]
    parsed = icmp.parse(theirs)
    assert (parsed.type, parsed.code, parsed.mtu, parsed.payload) == (3, code, mtu, quoted)


@SETTINGS
@given(ipv4_packets(), st.integers(0, 1))
def test_dpkt_icmp_time_exceeded(offending, code):
    ihl = (offending[0] & 0x0F) * 4
    quoted = offending[: ihl + 8]
    ours = icmp.error(icmp.TIME_EXCEEDED, code, offending)
    theirs = bytes(dpkt.icmp.ICMP(type=11, code=code,
                                  data=dpkt.icmp.ICMP.TimeExceed(data=quoted)))
    assert theirs == ours
    m = dpkt.icmp.ICMP(ours)
    assert (m.type, m.code, m.sum) == (11, code, int.from_bytes(ours[2:4], "big"))
    parsed = icmp.parse(theirs)
    assert (parsed.type, parsed.code, parsed.rest, parsed.payload) == (11, code, 0, quoted)


@SETTINGS
@given(u16, u16, payload, ip4, ip4, u8, u16)
def test_dpkt_udp_checksum(sport, dport, data, src, dst, ttl, ident):
    seg = udp.build(sport, dport, data, src, dst)
    ours = ipv4.build(src, dst, ipv4.IPPROTO_UDP, seg, ttl=ttl, ident=ident)
    # dpkt fills in the UDP checksum (0 -> 0xFFFF) when serializing the IP packet
    dp = dpkt.ip.IP(src=src, dst=dst, p=17, ttl=ttl, id=ident,
                    data=dpkt.udp.UDP(sport=sport, dport=dport, ulen=8 + len(data), data=data))
    theirs = bytes(dp)
    assert theirs == ours
    assert dp.data.sum == int.from_bytes(seg[6:8], "big")
    p = dpkt.ip.IP(ours)
    assert isinstance(p.data, dpkt.udp.UDP)
    assert (p.data.sport, p.data.dport, p.data.ulen, p.data.data) == (
        sport, dport, 8 + len(data), data)
    hdr, body = ipv4.parse(theirs)
    u = udp.parse(body)
    assert (u.sport, u.dport, u.payload, u.csum) == (sport, dport, data, dp.data.sum)
    assert udp.checksum_ok(body, hdr.src, hdr.dst)


def test_udp_zero_checksum_sent_as_ffff():
    # find a payload whose UDP checksum computes to 0: it must go on the wire as 0xFFFF (RFC 768)
    src, dst = b"\x0a\x00\x00\x01", b"\x0a\x00\x00\x02"
    base = udp.build(1000, 2000, b"\x00\x00", src, dst)
    s = checksum.ones_sum(checksum.pseudo_header_sum(src, dst, 17, 10) + base[:6] + b"\0\0" + b"\0\0")
    fix = (0xFFFF - s) & 0xFFFF  # payload word that makes the sum 0xFFFF -> checksum 0
    seg = udp.build(1000, 2000, fix.to_bytes(2, "big"), src, dst)
    assert seg[6:8] == b"\xff\xff"
    assert udp.checksum_ok(seg, src, dst)
    dp = dpkt.ip.IP(src=src, dst=dst, p=17, data=dpkt.udp.UDP(
        sport=1000, dport=2000, ulen=10, data=fix.to_bytes(2, "big")))
    bytes(dp)
    assert dp.data.sum == 0xFFFF


@SETTINGS
@given(u16, u16, u32, u32, st.integers(0, 0x1FF), u16, payload, tcp_options, u16, ip4, ip4)
def test_dpkt_tcp_checksum(sport, dport, seq, ack, flags, window, data, opts, urg, src, dst):
    seg = tcp.build(sport, dport, seq, ack, flags, window, data, opts, urg, src, dst)
    ours = ipv4.build(src, dst, ipv4.IPPROTO_TCP, seg)
    dt = dpkt.tcp.TCP(sport=sport, dport=dport, seq=seq, ack=ack, flags=flags, win=window,
                      urp=urg, off=5 + len(opts) // 4, opts=opts, data=data)
    theirs = bytes(dpkt.ip.IP(src=src, dst=dst, p=6, data=dt))
    assert dt.sum == int.from_bytes(seg[16:18], "big")
    assert bytes(dt) == seg
    assert theirs == ours
    p = dpkt.ip.IP(ours)
    t = p.data
    assert isinstance(t, dpkt.tcp.TCP)
    assert (t.sport, t.dport, t.seq, t.ack, t.flags, t.win, t.urp, t.off, t.opts, t.data) == (
        sport, dport, seq, ack, flags, window, urg, 5 + len(opts) // 4, opts, data)
    mine = tcp.parse(ipv4.parse(theirs)[1])
    assert (mine.flags, mine.options, mine.payload, mine.csum) == (flags, opts, data, dt.sum)


@SETTINGS
@given(tcp_option_list())
def test_dpkt_tcp_parse_options(case):
    opts, raw = case
    theirs = [(k, d) for k, d in dpkt.tcp.parse_opts(raw) if k not in (0, 1)]
    assert theirs == opts == tcp.parse_options(raw)


@SETTINGS
@given(mac, mac, ip4, ip4, u16, u16, payload, st.none() | st.integers(0, 4095))
def test_dpkt_full_frame(dmac, smac, src, dst, sport, dport, data, vid):
    seg = udp.build(sport, dport, data, src, dst)
    frame = ethernet.build(dmac, smac, ethernet.ETH_P_IP, ipv4.build(src, dst, 17, seg), vlan=vid)
    e = dpkt.ethernet.Ethernet(frame)
    if vid is None:
        assert not getattr(e, "vlan_tags", None)
    else:
        assert [t.id for t in e.vlan_tags] == [vid]
    p = e.data
    assert isinstance(p, dpkt.ip.IP) and (p.src, p.dst) == (src, dst)
    assert isinstance(p.data, dpkt.udp.UDP)
    assert (p.data.sport, p.data.dport, p.data.data) == (sport, dport, data)
    assert p.data.sum == int.from_bytes(seg[6:8], "big")


# --------------------------------------------------------------------------- robustness

PARSERS = {
    "ethernet": ethernet.parse,
    "arp": arp.parse,
    "ipv4": ipv4.parse,
    "icmp": icmp.parse,
    "udp": udp.parse,
    "tcp": tcp.parse,
    "tcp_options": tcp.parse_options,
}


def _only_value_error(parse, data):
    """Call parse(data); success or ValueError are fine, anything else fails the test."""
    try:
        parse(data)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("name", sorted(PARSERS))
@FUZZ
@given(data=st.binary(max_size=80))
def test_parse_garbage_raises_only_value_error(name, data):
    _only_value_error(PARSERS[name], data)


# Valid inputs for each parser, to be truncated and mutated (random bytes rarely get past the
# first checks, e.g. the IPv4 version nibble or the TCP data offset).
VALID = {
    "ethernet": st.builds(ethernet.build, mac, mac, u16, payload,
                          st.none() | st.integers(0, 4095)),
    "arp": st.builds(arp.build, u16, mac, ip4, mac, ip4),
    "ipv4": ipv4_packets(),
    "icmp": st.builds(icmp.echo, u16, u16, payload),
    "udp": st.builds(udp.build, u16, u16, payload, ip4, ip4),
    "tcp": st.builds(tcp.build, u16, u16, u32, u32, st.integers(0, 0x1FF), u16, payload,
                     tcp_options),
    "tcp_options": tcp_option_list().map(lambda c: c[1]),
}


@pytest.mark.parametrize("name", sorted(PARSERS))
@FUZZ
@given(data=st.data())
def test_parse_mutated_raises_only_value_error(name, data):
    buf = bytearray(data.draw(VALID[name]))
    assume(buf)
    for _ in range(data.draw(st.integers(0, 4))):
        buf[data.draw(st.integers(0, len(buf) - 1))] = data.draw(u8)
    cut = data.draw(st.integers(0, len(buf)))
    _only_value_error(PARSERS[name], bytes(buf[:cut]))
    _only_value_error(PARSERS[name], bytes(buf))


# Which parsers must reject every strict prefix of a valid input (they know their length).
_LENGTH_AWARE = {"arp", "ipv4", "udp"}


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_parse_every_truncation(name, data):
    buf = data.draw(VALID[name])
    parse = PARSERS[name]
    parse(buf)  # the untruncated input is valid
    minimum = {"ethernet": 14, "icmp": 8, "tcp": 20, "tcp_options": 0}.get(name)
    for cut in range(len(buf)):
        ok = _only_value_error(parse, buf[:cut])
        if name in _LENGTH_AWARE or (minimum is not None and cut < minimum):
            assert not ok, f"{name}.parse accepted a {cut}-byte prefix of a {len(buf)}-byte input"


@pytest.mark.parametrize("name,data", [
    ("ethernet", b"\x00" * 13),
    ("ethernet", b"\x00" * 12 + b"\x81\x00" + b"\x00\x00\x08"),  # truncated 802.1Q tag
    ("arp", b"\x00" * 27),
    ("ipv4", b"\x45" + b"\x00" * 18),
    ("ipv4", b"\x65" + b"\x00\x00\x14" + b"\x00" * 16),  # version 6
    ("ipv4", b"\x44\x00\x00\x14" + b"\x00" * 16),  # IHL 4 < 5
    ("ipv4", b"\x46\x00\x00\x18" + b"\x00" * 19),  # IHL 6 (24 bytes) but 23 bytes given
    ("ipv4", b"\x45\x00\x00\x13" + b"\x00" * 16),  # total length < IHL
    ("ipv4", b"\x45\x00\x00\x30" + b"\x00" * 16),  # total length > buffer
    ("icmp", b"\x08\x00\x00\x00\x00\x00\x00"),
    ("udp", b"\x00" * 7),
    ("udp", b"\x00\x01\x00\x02\x00\x07\x00\x00"),  # length < 8
    ("udp", b"\x00\x01\x00\x02\x00\x10\x00\x00"),  # length > buffer
    ("tcp", b"\x00" * 19),
    ("tcp", b"\x00" * 12 + b"\x40" + b"\x00" * 7),  # data offset 4 < 5
    ("tcp", b"\x00" * 12 + b"\x60" + b"\x00" * 7),  # data offset 6 > buffer
])
def test_parse_rejects_known_bad(name, data):
    with pytest.raises(ValueError):
        PARSERS[name](data)
