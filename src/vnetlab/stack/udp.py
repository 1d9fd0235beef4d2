"""UDP for one netns (net/ipv4/udp.c): receive and demultiplexing, datagram sockets, kernel-side
encapsulation sockets (``udp_tunnel_open``) and ICMP errors.

Rules (kernel functions):

* UDP-RX-01 A datagram is checked first (``__udp4_lib_rcv``): shorter than 8 bytes or a UDP length
  beyond the packet is dropped; a non-zero checksum must verify (0 means "none",
  ``udp4_csum_init``); a bad one is dropped silently (UDP_MIB_CSUMERRORS).
* UDP-RX-02 Encapsulation sockets (VXLAN, FOU, ...) bound to the destination port take the
  datagram before any user socket: ``udp_queue_rcv_one_skb()`` -> ``encap_rcv``.
* UDP-RX-03 Unicast goes to the one best socket (``compute_score``: a bound address, a connected
  peer address and port each make a socket more specific; ties go to the most recently bound).
  Broadcast and multicast go to every matching socket (``__udp4_lib_mcast_deliver``).
* UDP-RX-04 No socket: ICMP port unreachable (``icmp_send`` applies its suppression rules: none
  for broadcast / multicast), datagram dropped (UDP_MIB_NOPORTS).
* UDP-RX-05 A socket whose receive queue is over its buffer (rmem_default 212992, counted in
  truesize) drops the datagram (UDP_MIB_RCVBUFERRORS).
* UDP-ERR-01 An ICMP error about a datagram we sent (``__udp4_lib_err``) reaches the socket that
  sent it only if the socket is connected and the error is "fatal" (port unreachable ->
  ECONNREFUSED, ...); it becomes the socket's pending error, reported by the next send / recv.
* UDP-TX-01 Sending: default TTL, DF set unless the datagram must be fragmented
  (IP_PMTUDISC_WANT), IP ID from the socket's counter when connected, else 0 with DF; the
  checksum is always computed (0 is sent as 0xFFFF). A payload over 65507 bytes: EMSGSIZE.
"""

from __future__ import annotations

from collections import deque

from .errors import KernelError
from .sock import (EADDRINUSE, EAGAIN, EDESTADDRREQ, EINVAL, EMSGSIZE, ENOTCONN, INADDR_ANY,
                   SOCK_DGRAM, check_bind_addr, icmp_to_errno, pick_port)

IPPROTO_UDP = 17
ICMP_DEST_UNREACH = 3
ICMP_PORT_UNREACH = 3
UDP_MAX_PAYLOAD = 65507
RMEM_DEFAULT = 212992
SKB_OVERHEAD = 768            # truesize of a small datagram's skb beyond its data (approx.)


class UdpTunnel:
    """A kernel-side UDP encapsulation socket (see ``udp_tunnel_open``). ``close()`` releases the
    port."""

    __slots__ = ("table", "port", "addr", "handler", "closed")

    def __init__(self, table, port: int, addr: int, handler):
        self.table = table
        self.port = port
        self.addr = addr
        self.handler = handler
        self.closed = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            lst = self.table.tunnels.get(self.port)
            if lst and self in lst:
                lst.remove(self)
                if not lst:
                    del self.table.tunnels[self.port]


def udp_tunnel_open(ns, port: int, handler, addr: int = 0) -> UdpTunnel:
    """Open a kernel-side UDP encapsulation socket in netns ``ns`` (what ``udp_sock_create()`` +
    ``setup_udp_tunnel_sock()`` do for VXLAN, FOU, GUE, ...).

    Every UDP datagram delivered locally in ``ns`` whose destination port is ``port`` (and whose
    destination address is ``addr``, when ``addr`` is not 0 = INADDR_ANY) is handed to::

        handler(skb, off, saddr, daddr, sport, dport)

    before any user socket sees it (UDP-RX-02), after the UDP length and checksum checks
    (UDP-RX-01). ``skb.data`` is the whole frame; ``off`` is the index of the UDP *payload*
    (after the 8-byte UDP header) in ``skb.data``, ``skb.mac_len`` still gives the IP header's
    offset; addresses are ints, ports ints. The skb is the handler's to keep or re-inject
    (``encap_rcv`` consumes it); the return value is ignored.

    The port is taken like a bind() on ``addr``: a user socket already on it (or a later bind()
    to it) gets EADDRINUSE; two tunnels may share a port only on different addresses. Raises
    ``KernelError(EADDRINUSE)``. Call ``.close()`` on the result to release the port (e.g. when
    the VXLAN device goes down).
    """
    table = ns.ipv4.udp
    for t in table.tunnels.get(port, ()):
        if not t.addr or not addr or t.addr == addr:
            raise KernelError(EADDRINUSE)
    for s in table.ports.get(port, ()):
        if not s.laddr or not addr or s.laddr == addr:
            raise KernelError(EADDRINUSE)
    t = UdpTunnel(table, port, addr, handler)
    table.tunnels.setdefault(port, []).append(t)
    return t


class UdpTable:
    """Per-netns UDP state (``ns.ipv4.udp``): bound sockets by local port, tunnels by port."""

    def __init__(self, ipv4):
        self.ipv4 = ipv4
        self.ports: dict[int, list] = {}      # port -> sockets, most recently bound first
        self.tunnels: dict[int, list] = {}    # port -> [UdpTunnel]
        self.stats = {"InDatagrams": 0, "NoPorts": 0, "InErrors": 0, "OutDatagrams": 0,
                      "RcvbufErrors": 0, "InCsumErrors": 0}

    # ---- receive -----------------------------------------------------------------------
    def rcv(self, skb, m: int, ihl: int, saddr: int, daddr: int) -> None:
        """__udp4_lib_rcv()."""
        data = skb.data
        u = m + ihl
        n = len(data) - u
        ipv4 = self.ipv4
        if n < 8:
            return ipv4._drop(skb, skb.dev, "PKT_TOO_SMALL")
        ulen = (data[u + 4] << 8) | data[u + 5]
        if ulen > n or ulen < 8:
            return ipv4._drop(skb, skb.dev, "PKT_TOO_SMALL")
        if data[u + 6] or data[u + 7]:        # udp4_csum_init(): checksum 0 means none
            c = int.from_bytes(data[m + 12:m + 20] + b"\x00\x11" + ulen.to_bytes(2, "big")
                               + data[u:u + ulen] + (b"\x00" if ulen & 1 else b""), "big")
            if not c or c % 0xFFFF:
                self.stats["InCsumErrors"] += 1
                self.stats["InErrors"] += 1
                return ipv4._drop(skb, skb.dev, "UDP_CSUM")
        sport = (data[u] << 8) | data[u + 1]
        dport = (data[u + 2] << 8) | data[u + 3]
        tuns = self.tunnels.get(dport)
        if tuns:
            for t in tuns:
                if not t.addr or t.addr == daddr:
                    if ulen < n:
                        skb.data = data[:u + ulen]
                    t.handler(skb, u + 8, saddr, daddr, sport, dport)
                    return None
        payload = data[u + 8:u + ulen]
        socks = self.ports.get(dport)
        flags = skb.dst[0] if skb.dst else 0
        if flags & 0x30000000:                 # RTCF_BROADCAST | RTCF_MULTICAST
            hit = False
            for s in list(socks or ()):
                if s._match(daddr, saddr, sport, skb.dev) >= 0:
                    hit = True
                    s._queue(payload, saddr, sport, daddr)
            if hit:
                self.stats["InDatagrams"] += 1
            return None
        best = None
        score = -1
        if socks:
            for s in socks:
                sc = s._match(daddr, saddr, sport, skb.dev)
                if sc > score:
                    best, score = s, sc
        if best is None:
            self.stats["NoPorts"] += 1
            ipv4.icmp_send(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH)
            return ipv4._drop(skb, skb.dev, "NO_SOCKET")
        self.stats["InDatagrams"] += 1
        best._queue(payload, saddr, sport, daddr)

    def err(self, itype: int, code: int, inner: bytes, skb) -> None:
        """__udp4_lib_err(): ``inner`` is the quoted IP header + 8 bytes of our datagram."""
        ihl = (inner[0] & 15) * 4
        if len(inner) < ihl + 8:
            return
        saddr = int.from_bytes(inner[12:16], "big")
        daddr = int.from_bytes(inner[16:20], "big")
        sport = (inner[ihl] << 8) | inner[ihl + 1]
        dport = (inner[ihl + 2] << 8) | inner[ihl + 3]
        best, score = None, -1
        for s in self.ports.get(sport, ()):
            sc = s._match(saddr, daddr, dport, None)
            if sc > score:
                best, score = s, sc
        if best is None:
            return
        conv = icmp_to_errno(itype, code)
        if conv is None:
            return
        err, fatal = conv
        if itype == 3 and code == 4:
            return                             # frag needed: PMTU only (done by icmp_rcv)
        if not best.recverr and (not fatal or not best.raddr):
            return
        best.err = err
        best._wake()

    # ---- ports ---------------------------------------------------------------------------
    def in_use(self, port: int, addr: int, reuse: bool) -> bool:
        for t in self.tunnels.get(port, ()):
            if not t.addr or not addr or t.addr == addr:
                return True
        for s in self.ports.get(port, ()):
            if (not s.laddr or not addr or s.laddr == addr) and not (reuse and s.reuse):
                return True
        return False


def udp_init(ipv4) -> None:
    """Register UDP with an IPv4 instance (``inet_add_protocol(&udp_protocol)``)."""
    t = ipv4.udp = UdpTable(ipv4)
    ipv4.protos[IPPROTO_UDP] = t.rcv
    ipv4.protos[("err", IPPROTO_UDP)] = t.err


class UdpSocket:
    """socket(AF_INET, SOCK_DGRAM). Non-blocking; see ``stack.sock`` for the contract."""

    type = SOCK_DGRAM

    def __init__(self, ns):
        self.ns = ns
        self.ipv4 = ns.ipv4
        self.table = ns.ipv4.udp
        self.laddr = 0
        self.lport = 0
        self.raddr = 0
        self.rport = 0
        self.reuse = False
        self.recverr = False
        self.broadcast = False
        self.bound_dev = None
        self.rxq: deque = deque()
        self.rx_bytes = 0
        self.rcvbuf = RMEM_DEFAULT
        self.err = 0
        self.closed = False
        self.on_event = None
        self.inet_id = ns.kernel.rng.getrandbits(16)
        self.ttl = None
        self.drops = 0

    # ---- options -------------------------------------------------------------------------
    def setsockopt_reuseaddr(self, on: bool = True) -> None:
        self.reuse = bool(on)

    # ---- helpers ------------------------------------------------------------------------
    def _match(self, daddr: int, saddr: int, sport: int, dev) -> int:
        """compute_score(): -1 when the socket does not want the datagram."""
        score = 0
        if self.laddr:
            if self.laddr != daddr:
                return -1
            score += 4
        if self.raddr:
            if self.raddr != saddr:
                return -1
            score += 4
        if self.rport:
            if self.rport != sport:
                return -1
            score += 4
        if self.bound_dev is not None:
            if dev is not None and self.bound_dev is not dev:
                return -1
            score += 4
        return score

    def _queue(self, payload: bytes, saddr: int, sport: int, daddr: int) -> None:
        size = len(payload) + SKB_OVERHEAD
        if self.rx_bytes + size > self.rcvbuf and self.rxq:
            self.drops += 1
            self.table.stats["RcvbufErrors"] += 1
            return
        self.rxq.append((payload, (saddr, sport), daddr))
        self.rx_bytes += size
        self._wake()

    def _wake(self) -> None:
        cb = self.on_event
        if cb is not None:
            self.ipv4.engine.call_soon(cb, self)

    def _sock_error(self) -> None:
        e = self.err
        if e:
            self.err = 0
            raise KernelError(e)

    def _autobind(self) -> None:
        if not self.lport:
            tbl = self.table
            self.lport = pick_port(self.ipv4, lambda p: not tbl.in_use(p, self.laddr, False),
                                   None)
            tbl.ports.setdefault(self.lport, []).insert(0, self)

    # ---- calls --------------------------------------------------------------------------
    def bind(self, addr: tuple[int, int]) -> None:
        if self.closed:
            raise KernelError(EINVAL)
        ip, port = addr
        if self.lport:
            raise KernelError(EINVAL)
        check_bind_addr(self.ipv4, ip)
        tbl = self.table
        if port == 0:
            self.laddr = ip
            self._autobind()
            return
        if tbl.in_use(port, ip, self.reuse):
            raise KernelError(EADDRINUSE)
        self.laddr = ip
        self.lport = port
        tbl.ports.setdefault(port, []).insert(0, self)

    def connect(self, addr: tuple[int, int]) -> None:
        """ip4_datagram_connect(): route now, fix the source address, autobind."""
        ip, port = addr
        if ip == 0 and port == 0:           # AF_UNSPEC-like disconnect is not modelled
            self.raddr = self.rport = 0
            return
        route = self.ipv4.route_output(ip, self.laddr)
        if not self.laddr:
            # the source is fixed only when the socket was not bound to an address
            self._src = route[2]
        self.raddr = ip
        self.rport = port
        self._autobind()

    def getsockname(self) -> tuple[int, int]:
        src = self.laddr or (getattr(self, "_src", 0) if self.raddr else 0)
        return (src, self.lport)

    def getpeername(self) -> tuple[int, int]:
        if not self.raddr:
            raise KernelError(ENOTCONN)
        return (self.raddr, self.rport)

    def send(self, data: bytes) -> int:
        if not self.raddr:
            raise KernelError(EDESTADDRREQ)
        return self.sendto(data, None)

    def sendto(self, data: bytes, addr: tuple[int, int] | None) -> int:
        """udp_sendmsg()."""
        if self.closed:
            raise KernelError(9)
        self._sock_error()
        if addr is None:
            if not self.raddr:
                raise KernelError(EDESTADDRREQ)
            daddr, dport = self.raddr, self.rport
            connected = True
        else:
            daddr, dport = addr
            connected = False
            if dport == 0:
                raise KernelError(EINVAL)
        if len(data) > UDP_MAX_PAYLOAD:
            raise KernelError(EMSGSIZE)
        if daddr == 0xFFFFFFFF and not self.broadcast:
            raise KernelError(13)               # EACCES without SO_BROADCAST
        self._autobind()
        ipv4 = self.ipv4
        saddr = self.laddr
        route = ipv4.route_output(daddr, saddr, self.bound_dev)
        src = route[2]
        ulen = 8 + len(data)
        seg = bytes(((self.lport >> 8), self.lport & 255, dport >> 8, dport & 255,
                     ulen >> 8, ulen & 255, 0, 0)) + data
        c = int.from_bytes(src.to_bytes(4, "big") + daddr.to_bytes(4, "big") + b"\x00\x11"
                           + ulen.to_bytes(2, "big") + seg + (b"\x00" if ulen & 1 else b""),
                           "big") % 0xFFFF
        c = (~c & 0xFFFF) if c else 0xFFFF
        c = c or 0xFFFF
        seg = seg[:6] + c.to_bytes(2, "big") + seg[8:]
        ident = None
        if connected:
            ident = self.inet_id
            self.inet_id = (self.inet_id + 1) & 0xFFFF
        ipv4.ip_send(daddr, IPPROTO_UDP, seg, saddr=src, oif=self.bound_dev, ttl=self.ttl,
                     df=True, frag_ok=True, sk=self, ident=ident if ulen + 20 <= 1500 else None)
        self.table.stats["OutDatagrams"] += 1
        return len(data)

    def recvfrom(self) -> tuple[bytes, tuple[int, int]]:
        """One datagram and its sender; EAGAIN when none is queued."""
        if self.rxq:
            payload, src, _ = self.rxq.popleft()
            self.rx_bytes -= len(payload) + SKB_OVERHEAD
            return payload, src
        self._sock_error()
        raise KernelError(EAGAIN)

    def recv(self) -> bytes:
        return self.recvfrom()[0]

    @property
    def readable(self) -> bool:
        return bool(self.rxq) or bool(self.err)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.on_event = None
        if self.lport:
            lst = self.table.ports.get(self.lport)
            if lst and self in lst:
                lst.remove(self)
                if not lst:
                    del self.table.ports[self.lport]
        self.rxq.clear()
