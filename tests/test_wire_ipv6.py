"""The IPv6 / ICMPv6 codecs (vnetlab.wire.ipv6, vnetlab.wire.icmpv6).

* addresses: aton / ntoa against glibc's inet_pton / inet_ntop (hypothesis);
* headers and the ICMPv6 pseudo-header checksum against dpkt, both directions;
* the frames a real kernel (host 6.18) sent when a veth pair came up and pinged
  (tests/golden/host-6.18/ipv6-ip/veth-up.pcap, made by gen-veth-up.sh): every ICMPv6 checksum
  verifies, and our builders rebuild each MLDv2 report, DAD NS, RS, NS/NA and echo byte for byte;
* robustness: the parsers raise ValueError on garbage, never anything else.
"""

from __future__ import annotations

import os
import socket

import dpkt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnetlab.wire import icmpv6, ipv6

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "host-6.18", "ipv6-ip")
SETTINGS = settings(max_examples=200, deadline=None)
ip6 = st.binary(min_size=16, max_size=16)


def _frames() -> list[bytes]:
    with open(os.path.join(GOLDEN, "veth-up.pcap"), "rb") as f:
        return [bytes(buf) for _, buf in dpkt.pcap.Reader(f)]


# -- addresses -------------------------------------------------------------------------------

@SETTINGS
@given(ip6)
def test_ntoa_matches_inet_ntop(a):
    assert ipv6.ntoa(a) == socket.inet_ntop(socket.AF_INET6, a)


@SETTINGS
@given(ip6)
def test_aton_reads_inet_ntop_text(a):
    assert ipv6.aton(socket.inet_ntop(socket.AF_INET6, a)) == a


@pytest.mark.parametrize("text", ["::", "::1", "fe80::1", "1:2:3:4:5:6:7:8", "::ffff:1.2.3.4",
                                  "1::", "1:0:0:2::3", "::1.2.3.4", "FE80::A:b"])
def test_aton_accepts_what_inet_pton_accepts(text):
    assert ipv6.aton(text) == socket.inet_pton(socket.AF_INET6, text)


@pytest.mark.parametrize("text", [":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "g::", "12345::",
                                  "1:2:3:4:5:6:7", "", "1.2.3.4", "::1.2.3", "::1.2.3.256"])
def test_aton_rejects_what_inet_pton_rejects(text):
    with pytest.raises(OSError):
        socket.inet_pton(socket.AF_INET6, text)
    with pytest.raises(ValueError):
        ipv6.aton(text)


def test_solicited_node_and_multicast_mac():
    a = ipv6.aton("fe80::ff:fe00:a01")
    assert ipv6.ntoa(ipv6.solicited_node(a)) == "ff02::1:ff00:a01"
    assert ipv6.mc_mac(ipv6.solicited_node(a)) == bytes.fromhex("3333ff000a01")
    assert ipv6.ntoa(ipv6.prefix(ipv6.aton("2001:db8::1:2"), 64)) == "2001:db8::"
    assert ipv6.ntoa(ipv6.prefix(ipv6.aton("2001:db8:ffff::1"), 35)) == "2001:db8:e000::"


# -- headers and checksums against dpkt ----------------------------------------------------------

@SETTINGS
@given(ip6, ip6, st.integers(0, 255), st.integers(0, 255), st.integers(0, 0xFFFFF),
       st.binary(max_size=64))
def test_ipv6_header_matches_dpkt(src, dst, hlim, tclass, flow, payload):
    ours = ipv6.build(src, dst, 59, payload, hlim, tclass, flow)
    d = dpkt.ip6.IP6(ours)
    assert (d.src, d.dst, d.hlim, d.fc, d.flow, d.nxt) == (src, dst, hlim, tclass, flow, 59)
    h, body = ipv6.parse(ours)
    assert (h.src, h.dst, h.hlim, h.tclass, h.flow, h.nxt, body) == (src, dst, hlim, tclass,
                                                                     flow, 59, payload)


@SETTINGS
@given(ip6, ip6, st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.binary(max_size=64))
def test_icmpv6_echo_checksum_matches_dpkt(src, dst, ident, seq, payload):
    msg = icmpv6.echo(src, dst, ident, seq, payload)
    d = dpkt.ip6.IP6(src=src, dst=dst, nxt=58, hlim=64)
    d.data = dpkt.icmp6.ICMP6(type=128, code=0, data=msg[4:])
    d.plen = len(msg)
    assert bytes(d)[40:] == msg
    assert icmpv6.verify(src, dst, msg)
    assert not icmpv6.verify(src, dst, msg[:2] + bytes((msg[2] ^ 1,)) + msg[3:])


# -- the kernel's own frames ----------------------------------------------------------------------

def test_kernel_frames_checksums_verify():
    n = 0
    for f in _frames():
        if f[12:14] != b"\x86\xdd":
            continue
        h, body = ipv6.parse(f[14:])
        if h.nxt == 0:
            nxt, hl = body[0], body[1]
            body = body[(hl + 1) * 8:]
            assert nxt == 58
        assert icmpv6.verify(h.src, h.dst, body)
        n += 1
    assert n >= 15


def _rebuild(frame: bytes) -> bytes | None:
    """Our codecs' version of one captured frame (None for a type we do not build)."""
    h, body = ipv6.parse(frame[14:])
    if h.nxt == 0:                                  # MLDv2 report behind the router alert
        hbh, msg = body[:8], body[8:]
        m = icmpv6.parse(msg)
        recs = [icmpv6.mld2_record(t, g, tuple(s)) for t, g, s in icmpv6.parse_mld2_report(m)]
        out = hbh + icmpv6.mld2_report(h.src, h.dst, recs)
    else:
        m = icmpv6.parse(body)
        opts = icmpv6.parse_options(m.payload[16:]) if m.type in (135, 136) else []
        if m.type == 135:
            sll = icmpv6.option_lladdr(opts, icmpv6.ND_OPT_SOURCE_LL_ADDR)
            out = icmpv6.ns(h.src, h.dst, m.payload[:16], sll)
            nonce = [o for t, o in opts if t == 14]
            if nonce:
                out = icmpv6.build(h.src, h.dst, 135, 0, 0, m.payload[:16] + nonce[0])
        elif m.type == 136:
            tll = icmpv6.option_lladdr(opts, icmpv6.ND_OPT_TARGET_LL_ADDR)
            out = icmpv6.na(h.src, h.dst, m.payload[:16], m.rest >> 24, tll)
        elif m.type == 133:
            sll = icmpv6.option_lladdr(icmpv6.parse_options(m.payload),
                                       icmpv6.ND_OPT_SOURCE_LL_ADDR)
            out = icmpv6.rs(h.src, h.dst, sll)
        elif m.type in (128, 129):
            out = icmpv6.echo(h.src, h.dst, m.ident, m.seq, m.payload, reply=m.type == 129)
        else:
            return None
    return frame[:14] + ipv6.build(h.src, h.dst, h.nxt, out, h.hlim, h.tclass, h.flow)


def test_codecs_rebuild_the_kernels_frames_byte_for_byte():
    kinds = set()
    for f in _frames():
        if f[12:14] != b"\x86\xdd":
            continue
        again = _rebuild(f)
        assert again == f
        kinds.add(f[54] if f[20] == 58 else 143)
    assert {143, 135, 136, 133, 128, 129} <= kinds


# -- robustness ----------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_parsers_raise_only_valueerror(data):
    for fn in (ipv6.parse, icmpv6.parse, icmpv6.parse_options):
        try:
            fn(data)
        except ValueError:
            pass
    try:
        icmpv6.parse_mld2_report(icmpv6.parse(data))
    except ValueError:
        pass
