"""TCP for one netns (net/ipv4/tcp*.c), as Linux 6.18 implements RFC 9293 / 5681 / 6298 / 7323.

One state machine per connection (``TcpSocket``), driven by three inputs only: segments
(``TcpTable.rcv`` -> ``_rcv``), the application's calls (connect / send / recv / shutdown /
close) and timers armed on the engine (retransmission, delayed ACK, TIME_WAIT, FIN_WAIT2). Time
is the engine's ``now``; nothing here blocks or does I/O.

States and transitions (RFC 9293 figure 5, as tcp_rcv_state_process() / tcp_close() do them)::

    CLOSED      --connect / send SYN-->                         SYN_SENT
    CLOSED      --listen-->                                     LISTEN
    LISTEN      --rcv SYN / send SYN-ACK (child)-->             SYN_RECV   (child socket)
    SYN_SENT    --rcv SYN-ACK / send ACK-->                     ESTABLISHED
    SYN_SENT    --rcv RST+ACK-->                                CLOSED     (ECONNREFUSED)
    SYN_RECV    --rcv ACK of SYN-->                             ESTABLISHED (to accept queue)
    ESTABLISHED --close or shutdown(WR) / send FIN-->           FIN_WAIT1
    ESTABLISHED --rcv FIN / ACK (delayed)-->                    CLOSE_WAIT
    FIN_WAIT1   --rcv ACK of FIN-->                             FIN_WAIT2
    FIN_WAIT1   --rcv FIN / send ACK-->                         CLOSING   (TIME_WAIT if it acks ours)
    FIN_WAIT2   --rcv FIN / send ACK-->                         TIME_WAIT
    CLOSING     --rcv ACK of FIN-->                             TIME_WAIT
    CLOSE_WAIT  --close / send FIN-->                           LAST_ACK
    LAST_ACK    --rcv ACK of FIN-->                             CLOSED
    TIME_WAIT   --60 s (TCP_TIMEWAIT_LEN)-->                    CLOSED
    any synchronized state --rcv RST in window-->               CLOSED    (ECONNRESET / EPIPE)

Rules (kernel functions):

* TCP-SYN-01 A SYN carries MSS, SACK_PERM, TS, NOP, WS in that order (20 option bytes:
  ``02 04 mss 04 02 08 0a tsval tsecr 01 03 03 ws``), window rounddown(65535, mss), and the
  window scale that fits tcp_rmem[2] (33554432 -> 10 on 6.18; 6291456 -> 7 on 6.1)
  (``tcp_syn_options``, ``tcp_select_initial_window``). The SYN-ACK answers with the same
  layout; its window uses the MSS less the 12 timestamp bytes (65160 for MSS 1460).
* TCP-MSS-01 Advertised MSS = route MTU - 40, at most 65495 (``ipv4_default_advmss``); the
  sending MSS is min(peer MSS, path MTU - 40) less 12 with timestamps.
* TCP-ISN-01 ISN = keyed hash of the 4-tuple + ns/64 (``secure_tcp_seq``); TS value = ms clock +
  a keyed per-address-pair offset (``secure_tcp_ts_off``).
* TCP-IPID-01 Segments of a connected socket carry DF and the socket's IP ID counter (random
  start); SYN-ACKs and resets carry DF and ID 0 (``ip_select_ident_segs``).
* TCP-RST-01 A segment for no socket gets a reset (``tcp_v4_send_reset``): with ACK, seq = its
  ack; else RST|ACK with ack = seq + SYN + FIN + len; window 0, no options; never for a RST.
* TCP-RTO-01 RTO starts at 1 s (TCP_TIMEOUT_INIT); then srtt + max(4 * mdev, 200 ms)
  (``tcp_rtt_estimator``, ``__tcp_set_rto``), doubled on each timeout up to 120 s. A SYN is
  retried tcp_syn_retries (6) times (ETIMEDOUT after 1+2+...+64 = 127 s), a SYN-ACK
  tcp_synack_retries (5) times, data tcp_retries2 (15) times (count model of
  ``retransmits_timed_out``).
* TCP-CC-01 Initial cwnd 10 segments; slow start, then congestion avoidance; a timeout drops cwnd
  to 1 and ssthresh to half the flight (``tcp_enter_loss``); three duplicate ACKs retransmit
  the first unacked segment (fast retransmit, Reno).
* TCP-ACK-01 ACKs are immediate in quick-ACK mode (the first 16 after the first data, unless the
  connection turned interactive: pingpong), when more than one full segment is unacked, or for
  out-of-order data; else delayed 40 ms (TCP_ATO_MIN) (``__tcp_ack_snd_check``). A FIN puts the
  connection in pingpong mode, so its ACK is delayed (and usually rides on our FIN).
* TCP-WIN-01 The advertised window is min(free space, rcv_ssthresh) rounded up to the scale
  unit, never shrinking the right edge already offered (``__tcp_select_window``,
  ``tcp_select_window``).
* TCP-NAGLE-01 Nagle, Minshall's variant: a sub-MSS segment waits while an earlier sub-MSS
  segment is unacknowledged, i.e. snd_una < snd_sml <= snd_nxt (``tcp_minshall_check``);
  snd_sml starts at the ISN (``tcp_connect_init``, ``tcp_create_openreq_child``), so a new
  connection never waits for a small segment it did not send.
* TCP-CLOSE-01 close() with unread data sends RST (``tcp_close``); data arriving after close()
  is answered with RST (TCPAbortOnData); an orphaned FIN_WAIT2 lasts tcp_fin_timeout (60 s).
* TCP-TW-01 TIME_WAIT lasts 60 s; it re-ACKs a retransmitted FIN; a new SYN kills it and goes
  to the listener (``tcp_timewait_state_process``).
* TCP-ERR-01 An ICMP unreachable in SYN_SENT ends the connect with its errno (ECONNREFUSED for
  port unreachable, EHOSTUNREACH, ...); in other states only fatal errors are reported, soft
  ones are remembered (``tcp_v4_err``).
"""

from __future__ import annotations

import hashlib
import struct

from .errors import KernelError
from .sock import (EADDRINUSE, EADDRNOTAVAIL, EAGAIN, ECONNREFUSED, ECONNRESET, EINVAL, EISCONN,
                   ENOTCONN, EPIPE, ETIMEDOUT, SOCK_STREAM, check_bind_addr, icmp_to_errno,
                   pick_port)

IPPROTO_TCP = 6
FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20

CLOSED, LISTEN, SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT1, FIN_WAIT2, CLOSING, TIME_WAIT, \
    CLOSE_WAIT, LAST_ACK = ("CLOSED", "LISTEN", "SYN-SENT", "SYN-RECV", "ESTAB", "FIN-WAIT-1",
                            "FIN-WAIT-2", "CLOSING", "TIME-WAIT", "CLOSE-WAIT", "LAST-ACK")

US = 1_000
MS = 1_000_000
SEC = 1_000_000_000
TCP_TIMEOUT_INIT = 1 * SEC
TCP_RTO_MIN_US = 200_000
TCP_RTO_MAX = 120 * SEC
TCP_DELACK = 40 * MS
TCP_TIMEWAIT_LEN = 60 * SEC
TCP_INIT_CWND = 10
TCP_MAX_QUICKACKS = 16
SNDBUF = 4 * 1024 * 1024
RCVBUF = 131072                       # tcp_rmem[1]

_HDR = struct.Struct("!HHIIBBHHH")
_TS = struct.Struct("!BBBBII")

SYSCTL_DEFAULTS = {"tcp_syn_retries": 6, "tcp_synack_retries": 5, "tcp_retries2": 15,
                   "tcp_fin_timeout": 60, "tcp_rmem": (4096, 131072, 33554432),
                   "tcp_timestamps": 1, "tcp_sack": 1, "tcp_window_scaling": 1,
                   "ip_local_port_range": (32768, 60999), "somaxconn": 4096,
                   "rmem_max": 4194304}


def _after(a: int, b: int) -> bool:
    return 0 < ((a - b) & 0xFFFFFFFF) < 0x80000000


def _before(a: int, b: int) -> bool:
    return _after(b, a)


def _sub(a: int, b: int) -> int:
    """a - b in sequence space, as a signed int."""
    d = (a - b) & 0xFFFFFFFF
    return d - 0x100000000 if d & 0x80000000 else d


def _csum(src: int, dst: int, seg: bytes) -> int:
    n = len(seg)
    v = int.from_bytes(src.to_bytes(4, "big") + dst.to_bytes(4, "big") + b"\x00\x06"
                       + n.to_bytes(2, "big") + seg + (b"\x00" if n & 1 else b""), "big") % 0xFFFF
    return (~v & 0xFFFF) if v else 0xFFFF if not any(seg) else 0


def build_segment(src: int, dst: int, sport: int, dport: int, seq: int, ack: int, flags: int,
                  window: int, options: bytes = b"", payload: bytes = b"") -> bytes:
    hlen = 20 + len(options)
    seg = _HDR.pack(sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, (hlen // 4) << 4,
                    flags, window, 0, 0) + options + payload
    c = _csum(src, dst, seg)
    return seg[:16] + c.to_bytes(2, "big") + seg[18:]


class TcpTable:
    """Per-netns TCP state (``ns.ipv4.tcp``): the bind, listen and established hashes."""

    def __init__(self, ipv4):
        self.ipv4 = ipv4
        self.engine = ipv4.engine
        self.bhash: dict[int, list] = {}          # port -> sockets holding it
        self.listeners: dict[int, list] = {}      # port -> listening sockets
        self.ehash: dict[tuple, "TcpSocket"] = {}  # (laddr, lport, raddr, rport)
        self._secret = None
        self.stats = {"ActiveOpens": 0, "PassiveOpens": 0, "AttemptFails": 0,
                      "EstabResets": 0, "InSegs": 0, "OutSegs": 0, "RetransSegs": 0,
                      "InErrs": 0, "OutRsts": 0, "InCsumErrors": 0}

    @property
    def secret(self) -> bytes:
        if self._secret is None:
            self._secret = self.ipv4.kernel.rng.getrandbits(128).to_bytes(16, "big")
        return self._secret

    def _hash(self, *vals: int) -> int:
        h = hashlib.blake2b(b"".join(v.to_bytes(4, "big") for v in vals), digest_size=4,
                            key=self.secret)
        return int.from_bytes(h.digest(), "big")

    def isn(self, saddr, daddr, sport, dport) -> int:
        """secure_tcp_seq(): keyed hash + the clock in 64 ns units."""
        return (self._hash(saddr, daddr, sport, dport) + (self.engine.now >> 6)) & 0xFFFFFFFF

    def ts_off(self, saddr, daddr) -> int:
        return self._hash(saddr, daddr, 0xFFFFFFFF)

    def sysctl(self, key):
        return self.ipv4.sysctl.get(key, SYSCTL_DEFAULTS[key])

    # ---- ports ------------------------------------------------------------------------
    def bind_conflict(self, sk, port: int, addr: int) -> bool:
        """inet_csk_bind_conflict() (SOCK-02)."""
        for s in self.bhash.get(port, ()):
            if s is sk:
                continue
            if s.laddr and addr and s.laddr != addr:
                continue
            if sk.reuse and s.reuse and s.state != LISTEN and sk.state != LISTEN:
                continue
            return True
        return False

    def hash_port(self, sk, port: int) -> None:
        sk.lport = port
        self.bhash.setdefault(port, []).append(sk)

    def unhash(self, sk) -> None:
        lst = self.bhash.get(sk.lport)
        if lst and sk in lst:
            lst.remove(sk)
            if not lst:
                del self.bhash[sk.lport]
        lst = self.listeners.get(sk.lport)
        if lst and sk in lst:
            lst.remove(sk)
            if not lst:
                del self.listeners[sk.lport]
        k = sk.key
        if k is not None and self.ehash.get(k) is sk:
            del self.ehash[k]

    # ---- receive ------------------------------------------------------------------------
    def rcv(self, skb, m: int, ihl: int, saddr: int, daddr: int) -> None:
        """tcp_v4_rcv()."""
        ipv4 = self.ipv4
        data = skb.data
        t = m + ihl
        seg = data[t:]
        n = len(seg)
        if n < 20:
            return ipv4._drop(skb, skb.dev, "PKT_TOO_SMALL")
        doff = (seg[12] >> 4) * 4
        if doff < 20 or doff > n:
            return ipv4._drop(skb, skb.dev, "PKT_TOO_SMALL")
        v = int.from_bytes(data[m + 12:m + 20] + b"\x00\x06" + n.to_bytes(2, "big") + seg
                           + (b"\x00" if n & 1 else b""), "big")
        if not v or v % 0xFFFF:
            self.stats["InCsumErrors"] += 1
            self.stats["InErrs"] += 1
            return ipv4._drop(skb, skb.dev, "TCP_CSUM")
        flags = skb.dst[0] if skb.dst else 0
        if flags & 0x30000000:                # broadcast / multicast: not for TCP
            return ipv4._drop(skb, skb.dev, "NOT_SPECIFIED")
        self.stats["InSegs"] += 1
        sport, dport = (seg[0] << 8) | seg[1], (seg[2] << 8) | seg[3]
        sk = self.ehash.get((daddr, dport, saddr, sport))
        if sk is not None:
            if sk.state == TIME_WAIT and seg[13] & SYN and not seg[13] & (RST | ACK):
                lst = self.listeners.get(dport)
                if lst:
                    sk._tw_kill()
                    sk = None
            if sk is not None:
                return sk._rcv(seg, doff, saddr, daddr, skb)
        lst = self.listeners.get(dport)
        if lst:
            best = None
            for s in lst:
                if not s.laddr or s.laddr == daddr:
                    if best is None or (s.laddr and not best.laddr):
                        best = s
            if best is not None:
                return best._listen_rcv(seg, doff, saddr, daddr, skb)
        self.send_reset(seg, saddr, daddr, skb)
        ipv4._drop(skb, skb.dev, "NO_SOCKET")

    def send_reset(self, seg: bytes, saddr: int, daddr: int, skb=None) -> None:
        """tcp_v4_send_reset() (TCP-RST-01): ``seg`` is the offending segment from saddr."""
        fl = seg[13]
        if fl & RST:
            return
        if skb is not None and skb.dst and not skb.dst[0] & 0x80000000:   # not RTCF_LOCAL
            return
        sport, dport, sseq, sack = struct.unpack_from("!HHII", seg)
        doff = (seg[12] >> 4) * 4
        if fl & ACK:
            seq, ack, f = sack, 0, RST
        else:
            seq = 0
            ack = (sseq + (1 if fl & SYN else 0) + (1 if fl & FIN else 0) + len(seg) - doff)
            f = RST | ACK
        out = build_segment(daddr, saddr, dport, sport, seq, ack, f, 0)
        tos = skb.data[skb.mac_len + 1] if skb is not None else 0
        self.stats["OutRsts"] += 1
        self.stats["OutSegs"] += 1
        try:
            self.ipv4.ip_send(saddr, IPPROTO_TCP, out, saddr=daddr, tos=tos, df=True, ident=0)
        except KernelError:
            pass

    def err(self, itype: int, code: int, inner: bytes, skb) -> None:
        """tcp_v4_err() (TCP-ERR-01)."""
        ihl = (inner[0] & 15) * 4
        if len(inner) < ihl + 8:
            return
        saddr = int.from_bytes(inner[12:16], "big")
        daddr = int.from_bytes(inner[16:20], "big")
        sport = (inner[ihl] << 8) | inner[ihl + 1]
        dport = (inner[ihl + 2] << 8) | inner[ihl + 3]
        seq = int.from_bytes(inner[ihl + 4:ihl + 8], "big")
        sk = self.ehash.get((saddr, sport, daddr, dport))
        if sk is None or sk.state in (TIME_WAIT, LISTEN, CLOSED):
            return
        if itype == 3 and code == 4:
            sk._mtu_reduced()
            return
        conv = icmp_to_errno(itype, code)
        if conv is None:
            return
        err, fatal = conv
        if sk.state != SYN_RECV and (_before(seq, sk.snd_una) or _after(seq, sk.snd_nxt)):
            return                                  # not about anything in flight
        if sk.state in (SYN_SENT, SYN_RECV):
            if sk.state == SYN_RECV:
                sk._done()
                return
            sk.err = err
            sk._done()
            return
        if fatal:
            sk.err = err
            sk._wake()
        else:
            sk.err_soft = err


def tcp_init(ipv4) -> None:
    """Register TCP with an IPv4 instance (``inet_add_protocol(&tcp_protocol)``)."""
    t = ipv4.tcp = TcpTable(ipv4)
    ipv4.protos[IPPROTO_TCP] = t.rcv
    ipv4.protos[("err", IPPROTO_TCP)] = t.err


class TcpSocket:
    """socket(AF_INET, SOCK_STREAM). Non-blocking; see ``stack.sock`` for the contract.

    ``connect()`` starts the handshake and returns; completion is ``state == ESTAB`` (or
    ``err`` set) when ``on_event`` fires."""

    type = SOCK_STREAM

    def __init__(self, ns, table: TcpTable | None = None):
        self.ns = ns
        self.ipv4 = ns.ipv4
        self.table = table or ns.ipv4.tcp
        self.engine = self.ipv4.engine
        self.state = CLOSED
        self.laddr = self.lport = self.raddr = self.rport = 0
        self.key = None
        self.reuse = False
        self.nodelay = False
        self.on_event = None
        self.err = 0
        self.err_soft = 0
        self.closed = False            # the application closed it (orphan)
        self.shut_rd = self.shut_wr = False
        self.parent = None             # listener, while in SYN_RECV / accept queue
        self.accept_q: list = []
        self.backlog = 0
        self.syn_q = 0
        self.inet_id = 0
        self.ttl = None
        # send side
        self.iss = self.snd_una = self.snd_nxt = self.snd_max = 0
        self.sndbuf = bytearray()      # bytes from snd_una on (unacked + unsent)
        self.fin_queued = False
        self.fin_sent = False
        self.snd_wnd = 0
        self.snd_wl1 = self.snd_wl2 = 0
        self.snd_wscale = 0
        self.snd_sml = 0
        self.cwnd = TCP_INIT_CWND
        self.ssthresh = 0x7FFFFFFF
        self.cwnd_cnt = 0
        self.dupacks = 0
        self.mss = 536
        self.peer_mss = 536
        self.advmss = 1460
        # receive side
        self.irs = self.rcv_nxt = self.rcv_wup = 0
        self.rcvq = bytearray()
        self.ooo: dict[int, bytes] = {}
        self.rcv_fin = False
        self.rcv_wnd = 0
        self.rcv_ssthresh = 0
        self.window_clamp = 0
        self.rcv_wscale = 0
        self.rcv_adv_right = 0         # right edge of the window last advertised
        # options
        self.ts_ok = False
        self.sack_ok = False
        self.ws_ok = False
        self.ts_recent = 0
        self.ts_off = 0
        # timers and RTT
        self.rto = TCP_TIMEOUT_INIT
        self.srtt_us = 0
        self.mdev_us = 0
        self.mdev_max_us = 0
        self.rttvar_us = 0
        self.rtt_seq = 0
        self.rtt_timing = None         # (end_seq, sent_at)
        self.retransmits = 0
        self.rtx_timer = None
        self.delack_timer = None
        self.tw_timer = None
        self.ack_pending = False
        self.quick = 0
        self.ato_init = False
        self.pingpong = 0
        self.lrcvtime = 0
        self._wake_pending = False

    # ==================================================================================
    # application calls
    # ==================================================================================
    def setsockopt_reuseaddr(self, on: bool = True) -> None:
        self.reuse = bool(on)

    def bind(self, addr: tuple[int, int]) -> None:
        ip, port = addr
        if self.lport or self.state != CLOSED:
            raise KernelError(EINVAL)
        check_bind_addr(self.ipv4, ip)
        tbl = self.table
        if port == 0:
            port = pick_port(self.ipv4, lambda p: not tbl.bind_conflict(self, p, ip), 1)
        elif tbl.bind_conflict(self, port, ip):
            raise KernelError(EADDRINUSE)
        self.laddr = ip
        tbl.hash_port(self, port)

    def listen(self, backlog: int = 128) -> None:
        if self.state not in (CLOSED, LISTEN) or self.closed:
            raise KernelError(EINVAL)
        self.backlog = min(max(backlog, 0), self.table.sysctl("somaxconn"))
        if self.state == LISTEN:
            return
        tbl = self.table
        self.state = LISTEN
        if not self.lport:
            self.bind((0, 0))
        elif tbl.bind_conflict(self, self.lport, self.laddr):
            self.state = CLOSED
            raise KernelError(EADDRINUSE)
        tbl.listeners.setdefault(self.lport, []).append(self)

    def accept(self):
        """The next established connection as (socket, (addr, port)); EAGAIN when none."""
        if self.state != LISTEN:
            raise KernelError(EINVAL)
        while self.accept_q:
            c = self.accept_q.pop(0)
            c.parent = None
            return c, (c.raddr, c.rport)
        raise KernelError(EAGAIN)

    def connect(self, addr: tuple[int, int]) -> None:
        """tcp_v4_connect(): route, pick the source and an ephemeral port, send the SYN."""
        ip, port = addr
        if self.state != CLOSED or self.key is not None:
            raise KernelError(114 if self.state == SYN_SENT else EISCONN)   # EALREADY
        if self.closed:
            raise KernelError(9)
        ipv4 = self.ipv4
        tbl = self.table
        route, rtype, src, dev, nh = ipv4.route_output(ip, self.laddr)
        if not self.laddr:
            self.laddr = src
        if not self.lport:
            def free(p):
                return p not in tbl.bhash and \
                    (self.laddr, p, ip, port) not in tbl.ehash
            tbl.hash_port(self, pick_port(ipv4, free, 0))
        elif (self.laddr, self.lport, ip, port) in tbl.ehash:
            raise KernelError(EADDRNOTAVAIL)     # __inet_check_established()
        self.raddr, self.rport = ip, port
        self.key = (self.laddr, self.lport, ip, port)
        tbl.ehash[self.key] = self
        self._init_route(dev, route)
        self.iss = tbl.isn(self.laddr, ip, self.lport, port)
        self.ts_off = tbl.ts_off(self.laddr, ip)
        self.snd_una = self.snd_nxt = self.snd_max = self.snd_sml = self.iss   # tcp_connect_init
        self.inet_id = ipv4.kernel.rng.getrandbits(16)
        self._init_rcv_wnd(self.advmss)
        self.state = SYN_SENT
        tbl.stats["ActiveOpens"] += 1
        self.rto = TCP_TIMEOUT_INIT
        self._send_syn()

    def send(self, data: bytes) -> int:
        """Queue ``data``; returns how much was taken (EAGAIN when the buffer is full)."""
        self._sock_error()
        if self.shut_wr or self.closed:
            raise KernelError(EPIPE)
        if self.state in (SYN_SENT, SYN_RECV):
            raise KernelError(EAGAIN)
        if self.state not in (ESTABLISHED, CLOSE_WAIT):
            raise KernelError(EPIPE if self.state != CLOSED or self.key else ENOTCONN)
        room = SNDBUF - len(self.sndbuf)
        if room <= 0:
            raise KernelError(EAGAIN)
        data = bytes(data[:room])
        self.sndbuf += data
        self._push()
        return len(data)

    def recv(self, n: int = 65536) -> bytes:
        """Up to ``n`` bytes; b"" at end of stream; EAGAIN when nothing yet."""
        if self.rcvq:
            out = bytes(self.rcvq[:n])
            del self.rcvq[:n]
            self._window_update_check()
            return out
        self._sock_error()
        if self.rcv_fin or self.shut_rd or self.state in (CLOSED, TIME_WAIT) and self.key:
            return b""
        if self.state in (CLOSED, LISTEN):
            raise KernelError(ENOTCONN)
        raise KernelError(EAGAIN)

    @property
    def readable(self) -> bool:
        return bool(self.rcvq) or self.rcv_fin or bool(self.err) or bool(self.accept_q) or \
            self.state == CLOSED and self.key is not None

    @property
    def writable(self) -> bool:
        return self.state in (ESTABLISHED, CLOSE_WAIT) and len(self.sndbuf) < SNDBUF

    @property
    def connected(self) -> bool:
        return self.state in (ESTABLISHED, CLOSE_WAIT)

    def shutdown(self, how: int) -> None:
        if self.state in (CLOSED, LISTEN, SYN_SENT) and how != 0:
            if self.state == LISTEN:
                self.close()
                return
            raise KernelError(ENOTCONN)
        if how in (0, 2):
            self.shut_rd = True
        if how in (1, 2) and not self.shut_wr:
            self.shut_wr = True
            self._send_fin()

    def getsockname(self) -> tuple[int, int]:
        return (self.laddr, self.lport)

    def getpeername(self) -> tuple[int, int]:
        if self.state in (CLOSED, LISTEN, SYN_SENT):
            raise KernelError(ENOTCONN)
        return (self.raddr, self.rport)

    def close(self) -> None:
        """tcp_close() (TCP-CLOSE-01)."""
        if self.closed:
            return
        self.closed = True
        self.on_event = None
        st = self.state
        if st == LISTEN:
            self.table.unhash(self)
            self.state = CLOSED
            for c in self.accept_q:
                c.closed = True
                c._reset_and_close()
            self.accept_q.clear()
            return
        if st in (CLOSED, SYN_SENT):
            self._done(silent=True)
            return
        if self.rcvq:
            self.rcvq.clear()
            self._reset_and_close()
            return
        if not self.shut_wr:
            self.shut_wr = True
            self._send_fin()
        if self.state == FIN_WAIT2:
            self._orphan_fin_wait2()

    # ==================================================================================
    # helpers
    # ==================================================================================
    def _sock_error(self) -> None:
        e = self.err
        if e:
            self.err = 0
            raise KernelError(e)

    def _wake(self) -> None:
        if self.parent is not None:
            p = self.parent
            if self.state == ESTABLISHED and self in p.accept_q:
                p._wake()
            return
        cb = self.on_event
        if cb is not None and not self._wake_pending:
            self._wake_pending = True
            self.engine.call_soon(self._do_wake)

    def _do_wake(self) -> None:
        self._wake_pending = False
        cb = self.on_event
        if cb is not None:
            cb(self)

    def _init_route(self, dev, route) -> None:
        mtu = dev.mtu
        if route is not None and route.metrics:
            mtu = route.metrics.get("mtu") or mtu
            adv = route.metrics.get("advmss")
        else:
            adv = None
        self.advmss = min(adv or (mtu - 40), 65495)
        self.pmtu = self.ipv4.path_mtu(self.raddr, mtu) if self.ipv4.pmtu else mtu

    def _init_rcv_wnd(self, mss: int) -> None:
        """tcp_select_initial_window()."""
        space = RCVBUF
        rmem_max = self.table.sysctl("tcp_rmem")[2]
        space = max(rmem_max, self.table.sysctl("rmem_max"))
        self.rcv_wscale = min(max(space.bit_length() - 16, 0), 14) if \
            self.table.sysctl("tcp_window_scaling") else 0
        win = min(65535, max(space, 65535))
        if win > mss:
            win = (win // mss) * mss
        self.rcv_wnd = win
        self.rcv_ssthresh = win
        self.window_clamp = 65535 << self.rcv_wscale

    def _syn_options(self, synack: bool, tsecr: int = 0) -> bytes:
        mss = self.advmss
        opts = bytes((2, 4, mss >> 8, mss & 255))
        ts = self.ts_ok if synack else bool(self.table.sysctl("tcp_timestamps"))
        sack = self.sack_ok if synack else bool(self.table.sysctl("tcp_sack"))
        ws = self.ws_ok if synack else bool(self.table.sysctl("tcp_window_scaling"))
        if ts:
            opts += _TS.pack(4 if sack else 1, 2 if sack else 1, 8, 10, self._tsval(), tsecr)
        elif sack:
            opts += b"\x01\x01\x04\x02"
        if ws:
            opts += bytes((1, 3, 3, self.rcv_wscale))
        return opts

    def _tsval(self) -> int:
        return (self.engine.now // MS + self.ts_off) & 0xFFFFFFFF

    def _send_syn(self) -> None:
        opts = self._syn_options(False)
        self._syn_at = self.engine.now
        self._xmit(SYN, self.iss, 0, min(self.rcv_wnd, 65535), opts, b"")
        self.snd_nxt = (self.iss + 1) & 0xFFFFFFFF
        self.snd_max = self.snd_nxt
        self._arm_rtx()

    def _send_synack(self) -> None:
        opts = self._syn_options(True, self.ts_recent)
        self._xmit(SYN | ACK, self.iss, self.rcv_nxt, min(self.rcv_wnd, 65535), opts, b"",
                   ident=0)
        self.snd_nxt = self.snd_max = (self.iss + 1) & 0xFFFFFFFF
        self._arm_rtx()

    def _xmit(self, flags: int, seq: int, ack: int, window: int, options: bytes,
              payload: bytes, ident: int | None = None) -> None:
        seg = build_segment(self.laddr, self.raddr, self.lport, self.rport, seq, ack, flags,
                            window, options, payload)
        if ident is None:
            ident = self.inet_id
            self.inet_id = (self.inet_id + 1) & 0xFFFF
        self.table.stats["OutSegs"] += 1
        try:
            self.ipv4.ip_send(self.raddr, IPPROTO_TCP, seg, saddr=self.laddr, df=True,
                              ident=ident, sk=self, ttl=self.ttl)
        except KernelError as e:
            self.err_soft = e.errno

    def _ts_opt(self) -> bytes:
        if not self.ts_ok:
            return b""
        return _TS.pack(1, 1, 8, 10, self._tsval(), self.ts_recent)

    def _select_window(self) -> int:
        """__tcp_select_window() + tcp_select_window() (TCP-WIN-01): the 16-bit field."""
        free = (RCVBUF - 2 * len(self.rcvq)) // 2 if len(self.rcvq) else RCVBUF // 2
        free = max(free, 0)
        win = min(free, self.rcv_ssthresh)
        mss = self.advmss
        if win < min(mss, RCVBUF // 4) and free < RCVBUF // 4:
            win = 0
        sc = self.rcv_wscale
        if sc and win:
            win = ((win + (1 << sc) - 1) >> sc) << sc
        cur = _sub(self.rcv_adv_right, self.rcv_nxt)
        if cur > win:
            win = ((cur + (1 << sc) - 1) >> sc) << sc if sc else cur
        win = min(win, 65535 << sc)
        self.rcv_adv_right = (self.rcv_nxt + win) & 0xFFFFFFFF
        self.rcv_wnd = win
        return win >> sc

    def _send_ack(self) -> None:
        self._xmit(ACK, self.snd_nxt, self.rcv_nxt, self._select_window(), self._ts_opt(), b"")
        self._acked()

    def _acked(self) -> None:
        """Bookkeeping after any segment that carried our ACK (tcp_event_ack_sent)."""
        if self.quick:
            self.quick -= 1
        self.ack_pending = False
        self.rcv_wup = self.rcv_nxt
        if self.delack_timer is not None:
            self.delack_timer.cancel()
            self.delack_timer = None

    def _arm_rtx(self) -> None:
        if self.rtx_timer is not None:
            self.rtx_timer.cancel()
        self.rtx_timer = self.engine.call_later(self.rto, self._rtx_fire)

    def _stop_rtx(self) -> None:
        if self.rtx_timer is not None:
            self.rtx_timer.cancel()
            self.rtx_timer = None

    def _in_flight(self) -> int:
        return _sub(self.snd_nxt, self.snd_una)

    # ---- output ---------------------------------------------------------------------
    def _push(self) -> None:
        """tcp_write_xmit(): send what cwnd, the peer's window and Nagle allow."""
        if self.state not in (ESTABLISHED, CLOSE_WAIT, FIN_WAIT1, CLOSING, LAST_ACK):
            return
        mss = self.mss
        buf = self.sndbuf
        sent_any = False
        while True:
            off = _sub(self.snd_nxt, self.snd_una)
            avail = len(buf) - off
            fin_pending = self.fin_queued and not self.fin_sent_upto()
            if avail <= 0 and not fin_pending:
                break
            flight = off
            cwnd_room = self.cwnd * mss - flight
            wnd_room = self.snd_wnd - flight
            size = min(avail, mss) if avail > 0 else 0
            if size > 0:
                if cwnd_room < min(size, mss) and flight > 0:
                    break
                if wnd_room < size:
                    if wnd_room <= 0:
                        if flight == 0:
                            self._arm_persist()
                        break
                    size = wnd_room
                if size < mss and size == avail and flight > 0 and not self.nodelay and \
                        not self.fin_queued and _after(self.snd_sml, self.snd_una) and \
                        not _after(self.snd_sml, self.snd_nxt):
                    break       # Nagle (Minshall): a small segment is already unacked
            payload = bytes(buf[off:off + size])
            flags = ACK
            end = off + size == len(buf)
            if end and size:
                flags |= PSH
            if end and self.fin_queued:
                flags |= FIN
            seq = self.snd_nxt
            self._xmit(flags, seq, self.rcv_nxt, self._select_window(), self._ts_opt(),
                       payload)
            self._acked()
            sent_any = True
            nxt = (seq + size + (1 if flags & FIN else 0)) & 0xFFFFFFFF
            if size < mss:
                self.snd_sml = (seq + size) & 0xFFFFFFFF
            if _after(nxt, self.snd_max):
                if self.rtt_timing is None:
                    self.rtt_timing = (nxt, self.engine.now)
                self.snd_max = nxt
            else:
                self.table.stats["RetransSegs"] += 1
            self.snd_nxt = nxt
            if flags & FIN:
                self.fin_sent = True
                break
            if self.lrcvtime and self.engine.now - self.lrcvtime < TCP_DELACK and self.ato_init:
                self.pingpong = 1
        if sent_any and (self.rtx_timer is None or not self.rtx_timer.active):
            self._arm_rtx()

    def fin_sent_upto(self) -> bool:
        """True when the FIN has been sent at the current snd_nxt or before it."""
        if not self.fin_sent:
            return False
        fin_seq = (self.snd_una + len(self.sndbuf)) & 0xFFFFFFFF
        return _after(self.snd_nxt, fin_seq)

    def _send_fin(self) -> None:
        """tcp_send_fin(): FIN after the queued data (on its last segment if unsent)."""
        st = self.state
        if st == ESTABLISHED:
            self.state = FIN_WAIT1
        elif st == CLOSE_WAIT:
            self.state = LAST_ACK
        elif st == SYN_RECV:
            self.state = FIN_WAIT1
        else:
            return
        self.fin_queued = True
        self._push()

    def _arm_persist(self) -> None:
        if self.rtx_timer is None or not self.rtx_timer.active:
            self.rtx_timer = self.engine.call_later(max(self.rto, 200 * MS), self._probe)

    def _probe(self) -> None:
        """Zero-window probe: an ACK with an old sequence number (tcp_xmit_probe_skb)."""
        self.rtx_timer = None
        if self.snd_wnd == 0 and self.state in (ESTABLISHED, CLOSE_WAIT, FIN_WAIT1):
            self._xmit(ACK, (self.snd_una - 1) & 0xFFFFFFFF, self.rcv_nxt, self._select_window(),
                       self._ts_opt(), b"")
            self.rto = min(self.rto * 2, TCP_RTO_MAX)
            self._arm_persist()
        else:
            self._push()

    # ---- timers ---------------------------------------------------------------------
    def _rtx_fire(self) -> None:
        """tcp_retransmit_timer() (TCP-RTO-01)."""
        self.rtx_timer = None
        st = self.state
        if st == SYN_SENT:
            if self.retransmits >= self.table.sysctl("tcp_syn_retries"):
                self.err = self.err_soft or ETIMEDOUT
                self.table.stats["AttemptFails"] += 1
                self._done()
                return
            self.retransmits += 1
            self.rto = min(self.rto * 2, TCP_RTO_MAX)
            self.table.stats["RetransSegs"] += 1
            self._xmit(SYN, self.iss, 0, min(self.rcv_wnd, 65535), self._syn_options(False), b"")
            self._arm_rtx()
            return
        if st == SYN_RECV:
            if self.retransmits >= self.table.sysctl("tcp_synack_retries"):
                self._done(silent=True)
                return
            self.retransmits += 1
            self.rto = min(self.rto * 2, TCP_RTO_MAX)
            self.table.stats["RetransSegs"] += 1
            self._xmit(SYN | ACK, self.iss, self.rcv_nxt, min(self.rcv_wnd, 65535),
                       self._syn_options(True, self.ts_recent), b"", ident=0)
            self._arm_rtx()
            return
        if self._in_flight() <= 0:
            return
        if self.retransmits >= self.table.sysctl("tcp_retries2"):
            self.err = self.err_soft or ETIMEDOUT
            self._reset_and_close(send=False)
            return
        self.retransmits += 1
        # tcp_enter_loss(): go back to snd_una with cwnd 1
        self.ssthresh = max(self._in_flight() // max(self.mss, 1) // 2, 2)
        self.cwnd = 1
        self.cwnd_cnt = 0
        self.dupacks = 0
        self.rtt_timing = None
        self.snd_nxt = self.snd_una
        self.fin_sent = False
        self.rto = min(self.rto * 2, TCP_RTO_MAX)
        self._push()
        self._arm_rtx()

    def _delack_fire(self) -> None:
        self.delack_timer = None
        if self.ack_pending and self.state not in (CLOSED, TIME_WAIT, LISTEN):
            if self.pingpong:
                self.pingpong = 0
            self._send_ack()

    def _schedule_ack(self, now_: bool) -> None:
        if now_:
            self._send_ack()
            return
        self.ack_pending = True
        if self.delack_timer is None:
            self.delack_timer = self.engine.call_later(TCP_DELACK, self._delack_fire)

    def _enter_time_wait(self, timeout: int = TCP_TIMEWAIT_LEN) -> None:
        self.state = TIME_WAIT
        self._stop_rtx()
        if self.delack_timer is not None:
            self.delack_timer.cancel()
            self.delack_timer = None
        if self.tw_timer is not None:
            self.tw_timer.cancel()
        self.tw_timer = self.engine.call_later(timeout, self._tw_kill)
        self._wake()

    def _orphan_fin_wait2(self) -> None:
        if self.tw_timer is None:
            t = self.table.sysctl("tcp_fin_timeout") * SEC
            self.tw_timer = self.engine.call_later(t, self._tw_kill)

    def _tw_kill(self) -> None:
        if self.tw_timer is not None:
            self.tw_timer.cancel()
            self.tw_timer = None
        self.state = CLOSED
        self.table.unhash(self)

    def _done(self, silent: bool = False) -> None:
        """tcp_done(): CLOSED, off the tables, timers stopped, waiters woken."""
        self._stop_rtx()
        if self.delack_timer is not None:
            self.delack_timer.cancel()
            self.delack_timer = None
        if self.tw_timer is not None:
            self.tw_timer.cancel()
            self.tw_timer = None
        self.state = CLOSED
        self.table.unhash(self)
        p = self.parent
        if p is not None:
            if self in p.accept_q:
                p.accept_q.remove(self)
            p.syn_q = max(0, p.syn_q - 1) if not silent else p.syn_q
            self.parent = None
        if not silent:
            self._wake()

    def _reset_and_close(self, send: bool = True) -> None:
        if send and self.state not in (CLOSED, LISTEN, SYN_SENT, TIME_WAIT):
            self._xmit(RST | ACK, self.snd_nxt, self.rcv_nxt, 0, b"", b"")
            self.table.stats["OutRsts"] += 1
        if self.state in (ESTABLISHED, CLOSE_WAIT):
            self.table.stats["EstabResets"] += 1
        self._done()

    def _mtu_reduced(self) -> None:
        mtu = self.ipv4.path_mtu(self.raddr, self.pmtu)
        if mtu < self.pmtu:
            self.pmtu = mtu
            self.mss = min(self.peer_mss, mtu - 40) - (12 if self.ts_ok else 0)
            self.snd_nxt = self.snd_una          # tcp_simple_retransmit()
            self.fin_sent = False
            self._push()

    # ==================================================================================
    # input
    # ==================================================================================
    @staticmethod
    def _parse_opts(seg: bytes, doff: int) -> dict:
        o = {}
        i = 20
        while i < doff:
            k = seg[i]
            if k == 0:
                break
            if k == 1:
                i += 1
                continue
            if i + 1 >= doff:
                break
            ln = seg[i + 1]
            if ln < 2 or i + ln > doff:
                break
            if k == 2 and ln == 4:
                o["mss"] = (seg[i + 2] << 8) | seg[i + 3]
            elif k == 3 and ln == 3:
                o["ws"] = min(seg[i + 2], 14)
            elif k == 4 and ln == 2:
                o["sack"] = True
            elif k == 8 and ln == 10:
                o["ts"] = struct.unpack_from("!II", seg, i + 2)
            i += ln
        return o

    def _listen_rcv(self, seg: bytes, doff: int, saddr: int, daddr: int, skb) -> None:
        """tcp_v4_conn_request(): a SYN makes a child in SYN_RECV and gets a SYN-ACK."""
        fl = seg[13]
        if fl & RST:
            return
        if fl & ACK:
            return self.table.send_reset(seg, saddr, daddr, skb)
        if not fl & SYN:
            return
        if len(self.accept_q) + self.syn_q > self.backlog:
            return                                     # ListenOverflows / drops
        tbl = self.table
        sport, dport, seq = struct.unpack_from("!HHI", seg)
        o = self._parse_opts(seg, doff)
        c = TcpSocket(self.ns, tbl)
        c.parent = self
        c.reuse = self.reuse
        c.nodelay = self.nodelay
        c.laddr, c.lport, c.raddr, c.rport = daddr, dport, saddr, sport
        c.key = (daddr, dport, saddr, sport)
        tbl.ehash[c.key] = c
        tbl.bhash.setdefault(dport, []).append(c)
        try:
            route, rtype, src, dev, nh = self.ipv4.route_output(saddr, daddr)
        except KernelError:
            c._done(silent=True)
            return
        c._init_route(dev, route)
        c.irs = seq
        c.rcv_nxt = c.rcv_wup = (seq + 1) & 0xFFFFFFFF
        c.iss = tbl.isn(daddr, saddr, dport, sport)
        c.snd_una = c.snd_nxt = c.iss
        c.snd_sml = (c.iss + 1) & 0xFFFFFFFF        # tcp_create_openreq_child
        c.snd_wnd = (seg[14] << 8) | seg[15]
        c.snd_wl1, c.snd_wl2 = seq, c.iss
        c.ts_ok = "ts" in o and bool(tbl.sysctl("tcp_timestamps"))
        c.sack_ok = o.get("sack", False) and bool(tbl.sysctl("tcp_sack"))
        c.ws_ok = "ws" in o and bool(tbl.sysctl("tcp_window_scaling"))
        if c.ts_ok:
            c.ts_recent = o["ts"][0]
            c.ts_off = tbl.ts_off(daddr, saddr)
        c.snd_wscale = o["ws"] if c.ws_ok else 0
        c.peer_mss = o.get("mss", 536)
        c._init_rcv_wnd(c.advmss - (12 if c.ts_ok else 0))
        if not c.ws_ok:
            c.rcv_wscale = 0
        c.mss = min(c.peer_mss, c.pmtu - 40) - (12 if c.ts_ok else 0)
        c.state = SYN_RECV
        c.rcv_adv_right = (c.rcv_nxt + c.rcv_wnd) & 0xFFFFFFFF
        self.syn_q += 1
        c.rto = TCP_TIMEOUT_INIT
        c.synack_at = self.engine.now
        c._send_synack()

    def _rtt_sample(self, us: int) -> None:
        """tcp_rtt_estimator() + tcp_set_rto()."""
        m = max(us, 1)
        if self.srtt_us:
            m -= self.srtt_us >> 3
            self.srtt_us += m
            if m < 0:
                m = -m
                m -= self.mdev_us >> 2
                if m > 0:
                    m >>= 3
            else:
                m -= self.mdev_us >> 2
            self.mdev_us += m
            if self.mdev_us > self.mdev_max_us:
                self.mdev_max_us = self.mdev_us
                if self.mdev_max_us > self.rttvar_us:
                    self.rttvar_us = self.mdev_max_us
            if _after(self.snd_una, self.rtt_seq):
                if self.mdev_max_us < self.rttvar_us:
                    self.rttvar_us -= (self.rttvar_us - self.mdev_max_us) >> 2
                self.rtt_seq = self.snd_nxt
                self.mdev_max_us = TCP_RTO_MIN_US
        else:
            self.srtt_us = m << 3
            self.mdev_us = m << 1
            self.rttvar_us = self.mdev_max_us = max(self.mdev_us, TCP_RTO_MIN_US)
            self.rtt_seq = self.snd_nxt
        self.srtt_us = max(1, self.srtt_us)
        self.rto = min(((self.srtt_us >> 3) + self.rttvar_us) * US, TCP_RTO_MAX)

    def _rcv(self, seg: bytes, doff: int, saddr: int, daddr: int, skb) -> None:
        """tcp_rcv_state_process() / tcp_rcv_established()."""
        fl = seg[13]
        seq, ack = struct.unpack_from("!II", seg, 4)
        win = (seg[14] << 8) | seg[15]
        payload = seg[doff:]
        st = self.state
        o = self._parse_opts(seg, doff) if doff > 20 else {}
        if st == SYN_SENT:
            return self._rcv_synsent(seg, fl, seq, ack, win, o)
        if st == TIME_WAIT:
            return self._rcv_timewait(seg, fl, seq, ack, payload, saddr, daddr, skb)
        if st == CLOSED:
            return self.table.send_reset(seg, saddr, daddr, skb)
        plen = len(payload)
        # sequence check (tcp_sequence): acceptable if it overlaps the window
        rwnd = max(self.rcv_wnd, 1)
        end = (seq + plen + (1 if fl & SYN else 0) + (1 if fl & FIN else 0)) & 0xFFFFFFFF
        ok = not _before(end, self.rcv_wup) and not _after(seq, (self.rcv_nxt + rwnd) & 0xFFFFFFFF)
        if not ok:
            if not fl & RST:
                self._send_ack()
            return
        if fl & RST:
            if seq == self.rcv_nxt:
                self._on_reset()
            else:
                self._send_ack()                    # challenge ACK (RFC 5961)
            return
        if fl & SYN:
            if st == SYN_RECV and seq == self.irs:
                self._send_synack_again()
                return
            self._send_ack()                        # challenge ACK
            return
        if not fl & ACK:
            return
        if self.ts_ok and "ts" in o and not _after(seq, self.rcv_wup):
            self.ts_recent = o["ts"][0]             # tcp_store_ts_recent()
        if st == SYN_RECV:
            if not (_after(ack, self.snd_una) and not _after(ack, self.snd_nxt)):
                self.table.send_reset(seg, saddr, daddr, skb)
                return
            self._established_from_synrecv(ack, win)
        self._ack(ack, win, seq, plen, fl)
        if self.state == CLOSED:
            return
        if plen or fl & FIN:
            self._data(seq, payload, fl, saddr, daddr, seg, skb)

    def _send_synack_again(self) -> None:
        self._xmit(SYN | ACK, self.iss, self.rcv_nxt, min(self.rcv_wnd, 65535),
                   self._syn_options(True, self.ts_recent), b"", ident=0)

    def _established_from_synrecv(self, ack: int, win: int) -> None:
        """tcp_check_req() -> tcp_v4_syn_recv_sock(): the child becomes ESTABLISHED."""
        self._stop_rtx()
        self.state = ESTABLISHED
        self.inet_id = self.ipv4.kernel.rng.getrandbits(16)
        self.snd_una = ack
        self.snd_wnd = win << self.snd_wscale
        self.snd_wl1, self.snd_wl2 = self.rcv_nxt, ack
        if self.retransmits == 0:
            self._rtt_sample((self.engine.now - self.synack_at) // US)
        else:
            self.rto = TCP_TIMEOUT_INIT
        self.retransmits = 0
        self.table.stats["PassiveOpens"] += 1
        p = self.parent
        if p is not None:
            p.syn_q = max(0, p.syn_q - 1)
            if p.state == LISTEN and not p.closed:
                p.accept_q.append(self)
                p._wake()
            else:
                self._reset_and_close()

    def _rcv_synsent(self, seg, fl, seq, ack, win, o) -> None:
        """tcp_rcv_synsent_state_process()."""
        if fl & ACK:
            if not _after(ack, self.iss) or _after(ack, self.snd_nxt):
                if not fl & RST:
                    self.table.send_reset(seg, self.raddr, self.laddr)
                return
        if fl & RST:
            if fl & ACK:
                self.err = ECONNREFUSED
                self.table.stats["AttemptFails"] += 1
                self._done()
            return
        if not fl & SYN:
            return
        self.irs = seq
        self.rcv_nxt = self.rcv_wup = (seq + 1) & 0xFFFFFFFF
        self.ts_ok = "ts" in o and bool(self.table.sysctl("tcp_timestamps"))
        self.sack_ok = o.get("sack", False)
        self.ws_ok = "ws" in o
        if self.ts_ok:
            self.ts_recent = o["ts"][0]
        self.snd_wscale = o["ws"] if self.ws_ok else 0
        if not self.ws_ok:
            self.rcv_wscale = 0
        self.peer_mss = o.get("mss", 536)
        self.mss = min(self.peer_mss, self.pmtu - 40) - (12 if self.ts_ok else 0)
        if not fl & ACK:
            return                                   # simultaneous open: not modelled
        self.snd_una = ack
        self.snd_wnd = win                          # the window of a SYN is never scaled
        self.snd_wl1, self.snd_wl2 = seq, ack
        self._stop_rtx()
        if self.retransmits == 0:
            self._rtt_sample((self.engine.now - self._syn_at) // US)
        else:
            self.rto = TCP_TIMEOUT_INIT
        self.retransmits = 0
        self.rtt_timing = None
        self.state = ESTABLISHED
        self.rcv_adv_right = self.rcv_nxt
        self._send_ack()
        self._wake()

    def _rcv_timewait(self, seg, fl, seq, ack, payload, saddr, daddr, skb) -> None:
        """tcp_timewait_state_process() (TCP-TW-01), for TIME_WAIT and orphan FIN_WAIT2."""
        if fl & RST:
            self._tw_kill()
            return
        if fl & FIN or payload or fl & ACK:
            self._send_ack()
            if self.tw_timer is not None and fl & FIN:
                self.tw_timer.cancel()
                self.tw_timer = self.engine.call_later(TCP_TIMEWAIT_LEN, self._tw_kill)

    def _on_reset(self) -> None:
        """tcp_reset()."""
        st = self.state
        if st == SYN_RECV:
            self._done(silent=True)
            return
        self.err = EPIPE if st == CLOSE_WAIT else ECONNRESET
        if st in (ESTABLISHED, CLOSE_WAIT):
            self.table.stats["EstabResets"] += 1
        if self.closed:
            self.err = 0
        self._done()

    def _ack(self, ack: int, win: int, seq: int, plen: int, fl: int) -> None:
        """tcp_ack(): advance snd_una, the window, RTT, cwnd; retransmission timer."""
        if _after(ack, self.snd_max):
            self._send_ack()
            return
        acked = _sub(ack, self.snd_una)
        # window update (tcp_may_update_window)
        nwin = win << self.snd_wscale
        if _after(seq, self.snd_wl1) or (seq == self.snd_wl1 and not _before(ack, self.snd_wl2)) \
                or (ack == self.snd_wl2 and nwin > self.snd_wnd):
            grew = nwin > self.snd_wnd
            self.snd_wnd = nwin
            self.snd_wl1, self.snd_wl2 = seq, ack
        else:
            grew = False
        if acked > 0:
            data_acked = min(acked, len(self.sndbuf))
            fin_acked = self.fin_sent and acked > len(self.sndbuf)
            del self.sndbuf[:data_acked]
            self.snd_una = ack
            if _after(ack, self.snd_nxt):
                self.snd_nxt = ack
            self.dupacks = 0
            t = self.rtt_timing
            if t is not None and not _before(ack, t[0]):
                if self.retransmits == 0:
                    self._rtt_sample((self.engine.now - t[1]) // US)
                self.rtt_timing = None
            self.retransmits = 0
            # congestion control: slow start / congestion avoidance (Reno)
            segs = max(1, (acked + self.mss - 1) // self.mss)
            if self.cwnd < self.ssthresh:
                self.cwnd += segs
            else:
                self.cwnd_cnt += segs
                if self.cwnd_cnt >= self.cwnd:
                    self.cwnd_cnt -= self.cwnd
                    self.cwnd += 1
            if self._in_flight() > 0:
                self._arm_rtx()
            else:
                self._stop_rtx()
            if fin_acked:
                st = self.state
                if st == FIN_WAIT1:
                    self.state = FIN_WAIT2
                    if self.closed:
                        self._orphan_fin_wait2()
                elif st == CLOSING:
                    self._enter_time_wait()
                    return
                elif st == LAST_ACK:
                    self._done(silent=self.closed)
                    return
            self._wake()
        elif acked == 0 and not plen and not fl & FIN and self._in_flight() > 0 and not grew:
            self.dupacks += 1
            if self.dupacks == 3:
                # fast retransmit (Reno): the first unacked segment again
                self.ssthresh = max(self._in_flight() // self.mss // 2, 2)
                self.cwnd = self.ssthresh + 3
                n = min(self.mss, len(self.sndbuf))
                if n:
                    self.table.stats["RetransSegs"] += 1
                    self._xmit(ACK | (PSH if n == len(self.sndbuf) else 0), self.snd_una,
                               self.rcv_nxt, self._select_window(), self._ts_opt(),
                               bytes(self.sndbuf[:n]))
                    self.rtt_timing = None
        if self.sndbuf or self.fin_queued:
            self._push()
        if grew:
            self._wake()

    def _data(self, seq, payload, fl, saddr, daddr, seg, skb) -> None:
        """tcp_data_queue() + tcp_fin() + __tcp_ack_snd_check()."""
        plen = len(payload)
        st = self.state
        if self.shut_rd and self.closed and plen and st in (FIN_WAIT1, FIN_WAIT2, CLOSING,
                                                            LAST_ACK):
            # data after close(): TCPAbortOnData, answered with a reset
            self.table.send_reset(seg, saddr, daddr, skb)
            self._done(silent=True)
            return
        if self.closed and plen and st in (FIN_WAIT1, FIN_WAIT2):
            self.table.send_reset(seg, saddr, daddr, skb)
            self._done(silent=True)
            return
        fin = bool(fl & FIN)
        d = _sub(seq, self.rcv_nxt)
        if d > 0:
            # out of order: keep it, duplicate ACK at once
            self.ooo[seq] = (payload, fin)
            self._send_ack()
            return
        if d < 0:
            payload = payload[-d:] if -d < plen else b""
            if not payload and not fin:
                self._send_ack()                    # a duplicate: ACK it at once (D-SACK)
                return
        now = self.engine.now
        if payload:
            if not self.ato_init:
                self.ato_init = True
                self.quick = TCP_MAX_QUICKACKS
            self.lrcvtime = now
            self.rcvq += payload
            self.rcv_nxt = (self.rcv_nxt + len(payload)) & 0xFFFFFFFF
            if len(payload) >= self.advmss - 12 and self.rcv_ssthresh < self.window_clamp:
                # tcp_grow_window(): full-sized segments open the window by 2 * advmss
                self.rcv_ssthresh = min(self.rcv_ssthresh + 2 * self.advmss, self.window_clamp)
        if fin:
            self._fin()
        # drain the out-of-order queue
        had_ooo = bool(self.ooo)
        while self.ooo and not self.rcv_fin:
            hit = None
            for s in self.ooo:
                if not _after(s, self.rcv_nxt):
                    hit = s
                    break
            if hit is None:
                break
            p, f = self.ooo.pop(hit)
            cut = _sub(self.rcv_nxt, hit)
            p = p[cut:] if cut < len(p) else b""
            if p:
                self.rcvq += p
                self.rcv_nxt = (self.rcv_nxt + len(p)) & 0xFFFFFFFF
            if f:
                self._fin()
        if self.state == CLOSED:
            return
        if self.rcv_wup == self.rcv_nxt:            # already acknowledged (tcp_fin's ACK)
            self._wake()
            return
        quick = self.quick > 0 and not self.pingpong
        full = _sub(self.rcv_nxt, self.rcv_wup) > self.advmss
        self._schedule_ack(full or quick or had_ooo)
        self._wake()

    def _fin(self) -> None:
        """tcp_fin()."""
        self.rcv_nxt = (self.rcv_nxt + 1) & 0xFFFFFFFF
        self.rcv_fin = True
        st = self.state
        if st in (SYN_RECV, ESTABLISHED):
            self.state = CLOSE_WAIT
            self.pingpong = 1
        elif st == FIN_WAIT1:
            # our FIN is unacked (else we would be in FIN_WAIT2): simultaneous close
            self.state = CLOSING
            self._send_ack()
        elif st == FIN_WAIT2:
            self._send_ack()
            self._enter_time_wait()
        self.ooo.clear()

    def _window_update_check(self) -> None:
        """tcp_cleanup_rbuf(): after the app read, announce a window that opened a lot."""
        if self.state not in (ESTABLISHED, FIN_WAIT1, FIN_WAIT2):
            return
        cur = _sub(self.rcv_adv_right, self.rcv_nxt)
        free = (RCVBUF - 2 * len(self.rcvq)) // 2
        if cur < self.advmss and free >= 2 * cur + self.advmss:
            self._send_ack()
