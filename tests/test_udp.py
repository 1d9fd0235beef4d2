"""UDP (vnetlab.stack.udp) against the rules in its module banner (UDP-*, SOCK-*), and the
kernel-side encapsulation socket ``udp_tunnel_open`` that VXLAN builds on. The host kernel judges
the tools' behaviour over UDP in tests/conformance/91-udp-socat.sh."""

from __future__ import annotations

import errno
import struct

import pytest

from vnetlab.api import Lab
from vnetlab.stack.errors import KernelError
from vnetlab.stack.sock import SOCK_DGRAM, socket
from vnetlab.stack.udp import udp_tunnel_open
from vnetlab.wire import udp as wudp

SEC = 1_000_000_000
MS = 1_000_000
A, B = 0x0A000001, 0x0A000002


def pair():
    lab = Lab()
    a, b = lab.netns("a"), lab.netns("b")
    lab.add_veth("eth0", "eth0", ns=a, peer_ns=b)
    for ns, ip in ((a, "10.0.0.1/24"), (b, "10.0.0.2/24")):
        lab.set_link("eth0", ns=ns, up=True)
        lab.set_link("lo", ns=ns, up=True)
        lab.add_addr("eth0", ip, ns=ns)
    lab.engine.run_for(2 * SEC)
    return lab, a, b


def tap(lab, ns, proto):
    seen = []
    ns.ipv4.raw_open(proto, lambda ip, skb: seen.append(bytes(ip)))
    return seen


def test_UDP_sendto_recvfrom_both_ways():
    lab, a, b = pair()
    srv = socket(b, SOCK_DGRAM)
    srv.bind((0, 5000))
    cl = socket(a, SOCK_DGRAM)
    cl.sendto(b"hello", (B, 5000))
    lab.engine.run_for(MS)
    data, (src, sport) = srv.recvfrom()
    assert data == b"hello" and src == A and 32768 <= sport <= 60999
    srv.sendto(b"back", (src, sport))
    lab.engine.run_for(MS)
    assert cl.recvfrom() == (b"back", (B, 5000))
    with pytest.raises(KernelError) as e:
        cl.recvfrom()
    assert e.value.errno == errno.EAGAIN


def test_UDP_TX_01_checksum_and_header():
    """The datagram on the wire: valid pseudo-header checksum (RFC 768), DF, ID 0 from an
    unconnected socket, default TTL 64."""
    lab, a, b = pair()
    seen = tap(lab, b, 17)
    socket(b, SOCK_DGRAM).bind((0, 5000))
    cl = socket(a, SOCK_DGRAM)
    cl.sendto(b"abc", (B, 5000))
    lab.engine.run_for(MS)
    ip = seen[0]
    seg = ip[20:]
    assert wudp.checksum_ok(seg, ip[12:16], ip[16:20]) and seg[6:8] != b"\x00\x00"
    assert struct.unpack_from("!H", ip, 6)[0] == 0x4000 and ip[8] == 64
    assert struct.unpack_from("!H", ip, 4)[0] == 0
    assert wudp.parse(seg).payload == b"abc"


def test_UDP_RX_01_bad_checksum_dropped_silently():
    lab, a, b = pair()
    srv = socket(b, SOCK_DGRAM)
    srv.bind((0, 5000))
    icmp = tap(lab, a, 1)
    seg = bytearray(wudp.build(40000, 5000, b"zz", A.to_bytes(4, "big"), B.to_bytes(4, "big")))
    seg[6] ^= 0xFF
    a.ipv4.ip_send(B, 17, bytes(seg))
    lab.engine.run_for(MS)
    assert not srv.rxq and not icmp
    assert b.ipv4.udp.stats["InCsumErrors"] == 1


def test_UDP_RX_04_no_socket_port_unreachable():
    lab, a, b = pair()
    icmp = tap(lab, a, 1)
    cl = socket(a, SOCK_DGRAM)
    cl.sendto(b"x", (B, 5001))
    lab.engine.run_for(MS)
    assert len(icmp) == 1 and icmp[0][20] == 3 and icmp[0][21] == 3


def test_UDP_ERR_01_connected_socket_gets_econnrefused():
    lab, a, b = pair()
    cl = socket(a, SOCK_DGRAM)
    cl.connect((B, 5001))
    woke = []
    cl.on_event = lambda s: woke.append(s.err)
    cl.send(b"x")
    lab.engine.run_for(MS)
    assert woke == [errno.ECONNREFUSED]
    with pytest.raises(KernelError) as e:
        cl.recv()
    assert e.value.errno == errno.ECONNREFUSED
    with pytest.raises(KernelError) as e:             # reported once
        cl.recv()
    assert e.value.errno == errno.EAGAIN


def test_UDP_ERR_01_unconnected_socket_ignores_icmp():
    lab, a, b = pair()
    cl = socket(a, SOCK_DGRAM)
    cl.sendto(b"x", (B, 5001))
    lab.engine.run_for(MS)
    assert cl.err == 0
    cl.sendto(b"y", (B, 5001))                       # no error pending


def test_SOCK_02_udp_bind_conflicts():
    lab, a, b = pair()
    s1 = socket(a, SOCK_DGRAM)
    s1.bind((0, 6000))
    s2 = socket(a, SOCK_DGRAM)
    with pytest.raises(KernelError) as e:
        s2.bind((A, 6000))
    assert e.value.errno == errno.EADDRINUSE
    s3, s4 = socket(a, SOCK_DGRAM), socket(a, SOCK_DGRAM)
    s3.setsockopt_reuseaddr()
    s4.setsockopt_reuseaddr()
    s3.bind((0, 6001))
    s4.bind((0, 6001))                               # both SO_REUSEADDR: allowed
    with pytest.raises(KernelError) as e:
        s1.bind((0, 6002))                           # a second bind
    assert e.value.errno == errno.EINVAL
    with pytest.raises(KernelError) as e:
        socket(a, SOCK_DGRAM).bind((0x0A000063, 6003))
    assert e.value.errno == errno.EADDRNOTAVAIL


def test_UDP_RX_03_most_specific_socket_wins():
    lab, a, b = pair()
    wild = socket(b, SOCK_DGRAM)
    wild.setsockopt_reuseaddr()
    wild.bind((0, 7000))
    exact = socket(b, SOCK_DGRAM)
    exact.setsockopt_reuseaddr()
    exact.bind((B, 7000))
    socket(a, SOCK_DGRAM).sendto(b"q", (B, 7000))
    lab.engine.run_for(MS)
    assert exact.recv() == b"q" and not wild.rxq


def test_UDP_RX_02_tunnel_socket_first_and_port_taken():
    lab, a, b = pair()
    got = []
    t = udp_tunnel_open(b, 4789, lambda skb, off, s, d, sp, dp: got.append(
        (skb.data[off:], s, d, sp, dp)))
    with pytest.raises(KernelError) as e:
        socket(b, SOCK_DGRAM).bind((0, 4789))
    assert e.value.errno == errno.EADDRINUSE
    icmp = tap(lab, a, 1)
    cl = socket(a, SOCK_DGRAM)
    cl.bind((0, 50000))
    cl.sendto(b"vxlan!", (B, 4789))
    lab.engine.run_for(MS)
    assert got == [(b"vxlan!", A, B, 50000, 4789)] and not icmp
    t.close()
    socket(b, SOCK_DGRAM).bind((0, 4789))           # the port is free again
    s = socket(b, SOCK_DGRAM)
    s.bind((0, 4790))
    with pytest.raises(KernelError) as e:
        udp_tunnel_open(b, 4790, lambda *x: None)
    assert e.value.errno == errno.EADDRINUSE


def test_UDP_broadcast_reaches_every_socket():
    lab, a, b = pair()
    r1, r2 = socket(b, SOCK_DGRAM), socket(b, SOCK_DGRAM)
    for r in (r1, r2):
        r.setsockopt_reuseaddr()
        r.bind((0, 8000))
    cl = socket(a, SOCK_DGRAM)
    with pytest.raises(KernelError) as e:
        cl.sendto(b"b", (0xFFFFFFFF, 8000))
    assert e.value.errno == errno.EACCES                 # needs SO_BROADCAST
    cl.broadcast = True
    cl.sendto(b"b", (0x0A0000FF, 8000))
    lab.engine.run_for(MS)
    assert r1.recv() == b"b" and r2.recv() == b"b"


def test_SOCK_01_udp_ephemeral_ports_in_range():
    lab, a, b = pair()
    ports = set()
    for _ in range(50):
        s = socket(a, SOCK_DGRAM)
        s.sendto(b"", (B, 9))
        ports.add(s.lport)
    assert len(ports) == 50 and all(32768 <= p <= 60999 for p in ports)
