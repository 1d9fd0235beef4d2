"""TCP (vnetlab.stack.tcp) against the rules in its module banner, with the host kernel as the
judge where the wire can be compared: tests/golden/host-6.18/tcp-handshake.txt holds one curl GET
and one refused connection captured on a 6.18 veth (tcp-gen.sh made it).

Expected values come from the kernel (the capture, the constants the kernel defines:
TCP_TIMEOUT_INIT 1 s, TCP_RTO_MIN 200 ms, tcp_syn_retries 6, TCP_TIMEWAIT_LEN 60 s), never from
the emulator's own output.
"""

from __future__ import annotations

import errno
import struct
from pathlib import Path

import pytest

from vnetlab.api import Lab
from vnetlab.stack.errors import KernelError
from vnetlab.stack.sock import SOCK_STREAM, socket

SEC = 1_000_000_000
MS = 1_000_000
A, B = 0x0A000001, 0x0A000002
GOLDEN = Path(__file__).parent / "golden" / "host-6.18" / "tcp-handshake.txt"


def pair(mtu: int | None = None):
    lab = Lab()
    a, b = lab.netns("a"), lab.netns("b")
    lab.add_veth("eth0", "eth0", ns=a, peer_ns=b)
    for ns, ip in ((a, "10.0.0.1/24"), (b, "10.0.0.2/24")):
        if mtu:
            lab.set_link("eth0", ns=ns, mtu=mtu)
        lab.set_link("eth0", ns=ns, up=True)
        lab.set_link("lo", ns=ns, up=True)
        lab.add_addr("eth0", ip, ns=ns)
    lab.engine.run_for(2 * SEC)
    return lab, a, b


def tap(lab, *nss):
    """Every TCP packet delivered in the given netns, in arrival order: (time, ip bytes)."""
    seen = []
    for ns in nss:
        ns.ipv4.raw_open(6, lambda ip, skb: seen.append((lab.engine.now, bytes(ip))))
    return seen


def server(ns, port=80, reply=b"HTTP/1.0 200 OK\r\n\r\nhello\n"):
    """Like the capture's Python server: accept, read the request, answer, close."""
    srv = socket(ns, SOCK_STREAM)
    srv.setsockopt_reuseaddr()
    srv.bind((0, port))
    srv.listen(5)
    got = []

    def on_conn(c):
        try:
            d = c.recv()
        except KernelError:
            return
        if d and reply is not None:
            got.append(d)
            c.send(reply)
            c.close()

    def on_accept(s):
        while True:
            try:
                c, _ = s.accept()
            except KernelError:
                return
            c.on_event = on_conn
            on_conn(c)
    srv.on_event = on_accept
    return srv, got


def client(ns, dst, port, request: bytes):
    """Like curl: connect, send the request, read to EOF, close."""
    c = socket(ns, SOCK_STREAM)
    state = {"sent": False, "data": b"", "eof": False, "err": 0}

    def ev(s):
        if s.err and s.state == "CLOSED":
            state["err"] = s.err
            return
        if s.state == "ESTAB" and not state["sent"]:
            state["sent"] = True
            s.send(request)
        while True:
            try:
                d = s.recv()
            except KernelError as e:
                if e.errno != errno.EAGAIN:
                    state["err"] = e.errno
                return
            if not d:
                state["eof"] = True
                s.close()
                return
            state["data"] += d
    c.on_event = ev
    c.connect((dst, port))
    return c, state


def fields(ip: bytes) -> dict:
    ihl = (ip[0] & 15) * 4
    t = ip[ihl:]
    doff = (t[12] >> 4) * 4
    opts = t[20:doff]
    return {"tos": ip[1], "len": len(ip), "id": struct.unpack_from("!H", ip, 4)[0],
            "frag": struct.unpack_from("!H", ip, 6)[0], "ttl": ip[8], "proto": ip[9],
            "src": ip[12:16], "sport": struct.unpack_from("!H", t, 0)[0],
            "dport": struct.unpack_from("!H", t, 2)[0], "seq": struct.unpack_from("!I", t, 4)[0],
            "ack": struct.unpack_from("!I", t, 8)[0], "doff": doff, "flags": t[13],
            "win": struct.unpack_from("!H", t, 14)[0], "opts": opts, "payload": t[doff:]}


def opt_layout(opts: bytes) -> bytes:
    """The option bytes with TS values zeroed (they carry a random per-connection offset)."""
    out = bytearray(opts)
    i = 0
    while i < len(out):
        k = out[i]
        if k in (0, 1):
            i += 1
            continue
        ln = out[i + 1]
        if k == 8:
            out[i + 2:i + 10] = bytes(8)
        i += ln
    return bytes(out)


def golden_packets():
    return [fields(bytes.fromhex(line)) for line in GOLDEN.read_text().split()]


def emulate_capture():
    lab, a, b = pair()
    seen = tap(lab, a, b)
    gold = golden_packets()
    request = gold[3]["payload"]              # curl's GET, byte for byte
    reply = gold[5]["payload"]
    server(b, 80, reply)
    c, st = client(a, B, 80, request)
    lab.engine.run_for(SEC)
    c2, st2 = client(a, B, 81, b"")
    lab.engine.run_for(SEC)
    return [fields(ip) for _, ip in seen], gold, st, st2


def test_TCP_SYN_01_exchange_matches_linux_capture():
    """One GET and one refused connect: the same packets as Linux 6.18 sends - flags, windows,
    lengths, options layout (MSS, SACK_PERM, TS, NOP, WS 10), IP DF/TTL, payloads and the
    relative sequence numbers; IP IDs 0 on SYN-ACK and RST, consecutive per socket else."""
    ours, gold, st, st2 = emulate_capture()
    assert st["data"] == gold[5]["payload"] and st["eof"]
    assert st2["err"] == errno.ECONNREFUSED
    assert len(ours) == len(gold) == 12
    # compare direction by direction (the interleaving of the two sides is timing)
    for side in ("client", "server"):
        def pick(pkts):
            c = pkts[0]["src"]
            return [p for p in pkts[:10] if (p["src"] == c) == (side == "client")]
        o_l, g_l = pick(ours), pick(gold)
        assert len(o_l) == len(g_l) == 5
        o_isn, g_isn = o_l[0]["seq"], g_l[0]["seq"]
        o_peer, g_peer = pick_peer_isn(ours), pick_peer_isn(gold)
        for n, (o, g) in enumerate(zip(o_l, g_l)):
            for k in ("tos", "len", "frag", "ttl", "proto", "doff", "flags", "win", "payload"):
                assert o[k] == g[k], (side, n, k, o[k], g[k])
            assert opt_layout(o["opts"]) == opt_layout(g["opts"]), (side, n)
            assert (o["id"] == 0) == (g["id"] == 0), (side, n)
            assert (o["seq"] - o_isn) & 0xFFFFFFFF == (g["seq"] - g_isn) & 0xFFFFFFFF
            if o["flags"] & 0x10:
                peer_o = o_peer[0] if side == "client" else o_peer[1]
                peer_g = g_peer[0] if side == "client" else g_peer[1]
                assert (o["ack"] - peer_o) & 0xFFFFFFFF == (g["ack"] - peer_g) & 0xFFFFFFFF
        # IP IDs count up per socket (the SYN-ACK, from the request socket, has 0)
        ids = [p["id"] for p in o_l if p["id"]]
        assert ids == [(ids[0] + k) & 0xFFFF for k in range(len(ids))]


def pick_peer_isn(pkts):
    """(server ISN, client ISN): what each side's ACKs count from."""
    return pkts[1]["seq"], pkts[0]["seq"]


def test_TCP_RST_01_closed_port_answer():
    """tcp_v4_send_reset(): RST|ACK, seq 0, ack = ISN + 1, window 0, no options, ID 0, DF."""
    ours, gold, _, _ = emulate_capture()
    syn, rst = ours[10], ours[11]
    assert rst["flags"] == 0x14 and rst["seq"] == 0
    assert rst["ack"] == (syn["seq"] + 1) & 0xFFFFFFFF
    assert rst["win"] == 0 and rst["opts"] == b"" and rst["id"] == 0 and rst["frag"] == 0x4000
    assert rst["len"] == 40 == gold[11]["len"]


@pytest.mark.parametrize("mtu,mss", [(1500, 1460), (1400, 1360), (9000, 8960)])
def test_TCP_MSS_01_mss_from_mtu(mtu, mss):
    lab, a, b = pair(mtu)
    seen = tap(lab, b)
    c = socket(a, SOCK_STREAM)
    c.connect((B, 80))
    lab.engine.run_for(MS)
    syn = fields(seen[0][1])
    assert syn["opts"][:4] == bytes((2, 4, mss >> 8, mss & 255))
    # tcp_select_initial_window(): the SYN's window is 65535 rounded down to the MSS
    assert syn["win"] == 65535 // mss * mss


def test_TCP_MSS_01_loopback():
    lab = Lab()
    ns = lab.netns("l")
    lab.set_link("lo", ns=ns, up=True)
    seen = tap(lab, ns)
    s, _ = server(ns, 80)
    c = socket(ns, SOCK_STREAM)
    c.connect((0x7F000001, 80))
    lab.engine.run_for(MS)
    syn, synack = fields(seen[0][1]), fields(seen[1][1])
    assert syn["opts"][:4] == bytes((2, 4, 0xFF, 0xD7))          # 65495
    assert syn["win"] == 65495 and synack["win"] == 65483
    assert c.state == "ESTAB"


def test_TCP_RTO_01_syn_retries_schedule():
    """SYN at 0, 1, 3, 7, 15, 31, 63 s (TCP_TIMEOUT_INIT doubled, tcp_syn_retries 6), then
    ETIMEDOUT at 127 s."""
    lab, a, b = pair()
    b.ipv4.protos[6] = lambda *args: None          # the peer's TCP swallows everything
    seen = tap(lab, b)
    c = socket(a, SOCK_STREAM)
    events = []
    c.on_event = lambda s: events.append((lab.engine.now, s.state, s.err))
    t0 = lab.engine.now
    c.connect((B, 80))
    lab.engine.run_for(200 * SEC)
    assert [(t - t0) // SEC for t, _ in seen] == [0, 1, 3, 7, 15, 31, 63]
    assert [(t - t0) for t, _ in seen] == [x * SEC for x in (0, 1, 3, 7, 15, 31, 63)]
    assert events and events[0][0] - t0 == 127 * SEC and events[0][2] == errno.ETIMEDOUT


def test_TCP_RTO_01_data_retransmission_schedule():
    """A data segment lost repeatedly: resent after RTO = srtt + 200 ms (the handshake measured
    an RTT of 0 us -> 1 us: srtt 1 us, rttvar TCP_RTO_MIN), then doubled each time."""
    lab, a, b = pair()
    srv, got = server(b, 80, reply=None)
    c, st = client(a, B, 80, b"x" * 100)
    lab.engine.run_for(MS)
    assert c.state == "ESTAB"
    real = b.ipv4.protos[6]
    seen = []

    def lossy(skb, m, ihl, saddr, daddr):
        doff = (skb.data[m + ihl + 12] >> 4) * 4
        if len(skb.data) - m - ihl - doff > 0 and len(seen) < 3:
            seen.append(lab.engine.now)
            return None
        return real(skb, m, ihl, saddr, daddr)
    b.ipv4.protos[6] = lossy
    t0 = lab.engine.now
    c.send(b"y" * 10)
    lab.engine.run_for(5 * SEC)
    rto = 200_001_000
    assert [t - t0 for t in seen] == [0, rto, 3 * rto]


def test_TCP_data_both_ways_bulk_and_fin():
    lab, a, b = pair()
    blob = bytes(range(256)) * 2000                 # 512 kB, more than one window
    srv = socket(b, SOCK_STREAM)
    srv.bind((0, 9000))
    srv.listen()
    rx = bytearray()
    conns = []

    def on_conn(c):
        while True:
            try:
                d = c.recv()
            except KernelError:
                return
            if not d:
                c.send(b"done %d" % len(rx))
                c.close()
                return
            rx.extend(d)

    def on_accept(s):
        c, _ = s.accept()
        conns.append(c)
        c.on_event = on_conn
    srv.on_event = on_accept
    cl = socket(a, SOCK_STREAM)
    back = bytearray()
    pos = [0]

    def ev(s):
        while pos[0] < len(blob) and s.state == "ESTAB":
            try:
                pos[0] += s.send(blob[pos[0]:pos[0] + 65536])
            except KernelError:
                break
            if pos[0] >= len(blob):
                s.shutdown(1)
        while True:
            try:
                d = s.recv()
            except KernelError:
                return
            if not d:
                s.close()
                return
            back.extend(d)
    cl.on_event = ev
    cl.connect((B, 9000))
    lab.engine.run_for(5 * SEC)
    assert bytes(rx) == blob
    assert bytes(back) == b"done %d" % len(blob)
    assert cl.state == "TIME-WAIT"          # the side that sent the first FIN waits
    assert conns[0].state == "CLOSED"


def test_TCP_TW_01_time_wait_lasts_60_s():
    lab, a, b = pair()
    server(b, 80)
    c, st = client(a, B, 80, b"GET / HTTP/1.0\r\n\r\n")
    lab.engine.run_for(MS)
    # the server closed first: it holds TIME_WAIT; the client is CLOSED
    tw = [s for s in b.ipv4.tcp.ehash.values() if s.state == "TIME-WAIT"]
    assert len(tw) == 1 and st["eof"]
    lab.engine.run_for(60 * SEC - 2 * MS)
    assert tw[0].state == "TIME-WAIT"
    lab.engine.run_for(3 * MS)
    assert tw[0].state == "CLOSED" and not b.ipv4.tcp.ehash


def test_TCP_CLOSE_01_unread_data_close_sends_rst():
    lab, a, b = pair()
    seen = tap(lab, a)
    srv = socket(b, SOCK_STREAM)
    srv.bind((0, 80))
    srv.listen()
    c, st = client(a, B, 80, b"unread")
    lab.engine.run_for(MS)
    conn, _ = srv.accept()
    lab.engine.run_for(MS)
    conn.close()                                    # 6 bytes never read
    lab.engine.run_for(MS)
    last = fields(seen[-1][1])
    assert last["flags"] & 0x04
    assert st["err"] == errno.ECONNRESET


def test_SOCK_02_eaddrinuse_and_reuseaddr():
    lab, a, b = pair()
    s1 = socket(a, SOCK_STREAM)
    s1.bind((0, 8080))
    s1.listen()
    s2 = socket(a, SOCK_STREAM)
    with pytest.raises(KernelError) as e:
        s2.bind((A, 8080))
    assert e.value.errno == errno.EADDRINUSE
    s2.setsockopt_reuseaddr()
    s1.setsockopt_reuseaddr()
    with pytest.raises(KernelError) as e:            # the holder listens: still in use
        s2.bind((0, 8080))
    assert e.value.errno == errno.EADDRINUSE
    s1.close()
    s2.bind((0, 8080))
    s3 = socket(a, SOCK_STREAM)
    with pytest.raises(KernelError) as e:
        s3.bind((0x0A0000FE, 1))
    assert e.value.errno == errno.EADDRNOTAVAIL


def test_SOCK_01_ephemeral_port_range_and_parity():
    lab, a, b = pair()
    server(b, 80)
    ports = []
    for _ in range(20):
        c = socket(a, SOCK_STREAM)
        c.connect((B, 80))
        ports.append(c.lport)
    assert all(32768 <= p <= 60999 for p in ports)
    assert all(p % 2 == 0 for p in ports)          # connect() takes even ports first
    s = socket(a, SOCK_STREAM)
    s.bind((0, 0))
    assert 32768 <= s.lport <= 60999 and s.lport % 2 == 1


def test_TCP_ERR_01_host_unreachable_ends_connect():
    """No ARP answer: the neighbour fails, the stack sends itself ICMP host unreachable, and
    the connect ends with EHOSTUNREACH (about 3 s: ucast/mcast probes, 1 s apart)."""
    lab, a, b = pair()
    c = socket(a, SOCK_STREAM)
    ev = []
    c.on_event = lambda s: ev.append((lab.engine.now, s.err))
    c.connect((0x0A000009, 80))
    lab.engine.run_for(10 * SEC)
    assert ev and ev[0][1] == errno.EHOSTUNREACH
    assert c.state == "CLOSED"


def test_TCP_WIN_01_windows_after_handshake():
    """Windows in the capture: 63 from the client (64240 rounded up to 1024), 64 from the
    server (65160 -> 65536), wscale 10 (tcp_rmem[2] = 32 MB)."""
    ours, gold, _, _ = emulate_capture()
    assert ours[0]["opts"][-1] == gold[0]["opts"][-1] == 10
    assert ours[2]["win"] == gold[2]["win"] == 63
    assert ours[4]["win"] == gold[4]["win"] == 64


def test_TCP_WIN_01_zero_window_then_reopen():
    """A receiver that does not read: its window closes (the sender stops with nothing in
    flight); once the application reads, the window reopens and every byte arrives in order."""
    lab, a, b = pair()
    srv = socket(b, SOCK_STREAM)
    srv.bind((0, 9000))
    srv.listen()
    cl = socket(a, SOCK_STREAM)
    blob = bytes(range(256)) * 4000
    pos = [0]

    def ev(s):
        while pos[0] < len(blob) and s.state == "ESTAB":
            try:
                pos[0] += s.send(blob[pos[0]:pos[0] + 65536])
            except KernelError:
                break
    cl.on_event = ev
    cl.connect((B, 9000))
    lab.engine.run_for(2 * SEC)
    c, _ = srv.accept()
    assert cl.snd_wnd == 0 and cl._in_flight() == 0 and 0 < len(c.rcvq) <= 131072
    got = bytearray()

    def rd(s):
        while True:
            try:
                d = s.recv()
            except KernelError:
                return
            if not d:
                return
            got.extend(d)
    c.on_event = rd
    rd(c)
    lab.engine.run_for(30 * SEC)
    assert bytes(got) == blob
