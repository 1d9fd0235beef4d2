"""The socket layer of one emulated netns: ``socket(ns, SOCK_STREAM | SOCK_DGRAM)``, the pieces
UDP and TCP share (addresses, SO_REUSEADDR, ephemeral ports, error conversion), and the
readiness contract.

The engine is event-driven, so nothing here blocks. A socket call either succeeds at once or
raises ``KernelError`` with the errno the kernel returns (``EAGAIN`` where a blocking call would
wait, ``EINPROGRESS`` from ``connect`` on a stream socket). Whenever a socket becomes readable,
writable, gets a connection to accept, or an error, its ``on_event(sock)`` callback (if set) is
called from the engine; the program then retries its call. This is the non-blocking
socket + epoll pattern of real programs (socat, curl and nc all use it).

Addresses are ``(ipv4 as int, port)`` tuples. ``sock.err`` is ``sk_err``: the pending error
(ECONNREFUSED, ETIMEDOUT, ...), reported once by the next call (``sock_error()``).

Rules (kernel functions):

* SOCK-01 Ephemeral ports come from net.ipv4.ip_local_port_range (32768 60999): ``connect()``
  tries even ports first, ``bind(port 0)`` odd ones first (``__inet_hash_connect``,
  ``inet_csk_find_open_port``), from a random offset; UDP takes any free port from a random
  start (``udp_lib_get_port``). No port left: EADDRNOTAVAIL (connect) / EAGAIN (UDP bind 0).
* SOCK-02 A port is taken for ``bind()`` when another socket of the protocol holds it on the same
  or a wildcard address, unless both set SO_REUSEADDR (and, for TCP, neither is listening):
  EADDRINUSE (``inet_csk_bind_conflict``, ``udp_lib_lport_inuse``).
* SOCK-03 ``bind()`` to an address that is not local: EADDRNOTAVAIL (``inet_addr_valid_or_nonlocal``);
  a second ``bind()``: EINVAL.
* SOCK-04 ICMP errors map to errno as ``icmp_err_convert[]`` says; only "fatal" ones (port /
  protocol unreachable, ...) are hard errors.
"""

from __future__ import annotations

import errno as _errno

from .errors import KernelError

SOCK_STREAM = 1
SOCK_DGRAM = 2
AF_INET = 2
SHUT_RD, SHUT_WR, SHUT_RDWR = 0, 1, 2
INADDR_ANY = 0

EINPROGRESS = _errno.EINPROGRESS
EALREADY = _errno.EALREADY
EISCONN = _errno.EISCONN
ENOTCONN = _errno.ENOTCONN
ECONNREFUSED = _errno.ECONNREFUSED
ECONNRESET = _errno.ECONNRESET
ETIMEDOUT = _errno.ETIMEDOUT
EPIPE = _errno.EPIPE
EADDRINUSE = _errno.EADDRINUSE
EADDRNOTAVAIL = _errno.EADDRNOTAVAIL
EAGAIN = _errno.EAGAIN
EINVAL = _errno.EINVAL
EDESTADDRREQ = _errno.EDESTADDRREQ
EMSGSIZE = _errno.EMSGSIZE
EOPNOTSUPP = _errno.EOPNOTSUPP
EBADF = _errno.EBADF

# icmp_err_convert[] (net/ipv4/icmp.c): ICMP_DEST_UNREACH code -> (errno, fatal)
ICMP_UNREACH_ERR = (
    (_errno.ENETUNREACH, 0), (_errno.EHOSTUNREACH, 0), (_errno.ENOPROTOOPT, 1),
    (ECONNREFUSED, 1), (EMSGSIZE, 0), (_errno.EOPNOTSUPP, 0), (_errno.ENETUNREACH, 1),
    (_errno.EHOSTDOWN, 1), (_errno.ENONET, 1), (_errno.ENETUNREACH, 1),
    (_errno.EHOSTUNREACH, 1), (_errno.ENETUNREACH, 0), (_errno.EHOSTUNREACH, 0),
    (_errno.EHOSTUNREACH, 1), (_errno.EHOSTUNREACH, 1), (_errno.EHOSTUNREACH, 1),
)


def icmp_to_errno(itype: int, code: int) -> tuple[int, bool] | None:
    """(errno, fatal) for an ICMP error, or None when it means nothing to a socket."""
    if itype == 3:
        if code < len(ICMP_UNREACH_ERR):
            e, fatal = ICMP_UNREACH_ERR[code]
            return e, bool(fatal)
        return _errno.EHOSTUNREACH, False
    if itype == 11:
        return _errno.EHOSTUNREACH, False
    if itype == 12:
        return _errno.EPROTO, True
    return None


def port_range(ipv4) -> tuple[int, int]:
    lo, hi = ipv4.sysctl.get("ip_local_port_range", (32768, 60999))
    return lo, hi


def pick_port(ipv4, free, parity: int | None) -> int:
    """A free ephemeral port: ``free(port) -> bool``; ``parity`` 0 = even first, 1 = odd first,
    None = any (UDP)."""
    lo, hi = port_range(ipv4)
    n = hi - lo + 1
    off = ipv4.kernel.rng.randrange(n)
    if parity is None:
        for i in range(n):
            p = lo + (off + i) % n
            if free(p):
                return p
        raise KernelError(EAGAIN)
    for par in (parity, parity ^ 1):
        for i in range(n):
            p = lo + (off + i) % n
            if (p & 1) == par and free(p):
                return p
    raise KernelError(EADDRNOTAVAIL)


def check_bind_addr(ipv4, addr: int) -> None:
    """SOCK-03: a local, broadcast/multicast or wildcard address only."""
    if addr == INADDR_ANY or addr in ipv4.local_addrs:
        return
    if addr == 0xFFFFFFFF or (addr & 0xF0000000) == 0xE0000000:
        return
    if (addr >> 24) == 127:
        return                      # 127/8 is all local (the lo route)
    if ipv4.sysctl.get("ip_nonlocal_bind"):
        return
    raise KernelError(EADDRNOTAVAIL)


def socket(ns, type_: int):
    """socket(AF_INET, type_, 0) in netns ``ns``."""
    if type_ == SOCK_DGRAM:
        from .udp import UdpSocket
        return UdpSocket(ns)
    if type_ == SOCK_STREAM:
        from .tcp import TcpSocket
        return TcpSocket(ns)
    raise KernelError(_errno.ESOCKTNOSUPPORT)
