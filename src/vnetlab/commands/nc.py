"""nc: OpenBSD netcat (Debian 1.219) on the emulated sockets.

``nc [-u] [-N] [-w SECS] [-v] [-z] [-s ADDR] [-p PORT] HOST PORT`` connects and relays stdin to
the connection and the connection to stdout, until the peer closes (``-N`` shuts the
connection down for writing at stdin's EOF). ``nc -l [-u] [-p] PORT`` (or ``nc -l [ADDR] PORT``)
accepts one connection (or, with ``-u``, the first datagram's sender) and relays. ``-z`` only
tests the connect (status 0 / 1; ``-v`` prints netcat's success or failure line). ``-w`` bounds
the connect and idle time. Errors and usage text are netcat's, status 1.
"""

from __future__ import annotations

from ..stack.errors import KernelError
from ..stack.sock import SOCK_DGRAM, SOCK_STREAM, socket
from . import command
from .socat import StdioEnd, drive, out_bytes, resolve, strerror

SEC = 1_000_000_000
USAGE = """usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]
	  [-m minttl] [-O length] [-P proxy_username] [-p source_port]
	  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]
	  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]
	  [destination] [port]"""
FLAGS = set("46CDdFhklNnrStUuvZz")
WITH_ARG = set("IiMmOPpqsTVWwXx")


class Fail(Exception):
    pass


def _err(ctx, text: str):
    ctx.eprint(f"nc: {text}")
    raise Fail()


class Nc:
    def __init__(self, ctx, o: dict):
        self.ctx = ctx
        self.o = o
        self.engine = ctx.lab.engine
        self.done = False
        self.code = 0
        self.sock = None
        self.listener = None
        self.stdin = StdioEnd(ctx, "STDIO")
        self.stdin_eof = False
        self.timer = None
        self.peer = None

    def finish_with(self, code: int) -> None:
        if self.done:
            return
        self.code = code
        self.done = True
        for s in (self.sock, self.listener):
            if s is not None:
                s.on_event = None
                s.close()
        if self.timer is not None:
            self.timer.cancel()

    def arm_idle(self) -> None:
        w = self.o.get("w")
        if w is None:
            return
        if self.timer is not None:
            self.timer.cancel()
        self.timer = self.engine.call_later(int(w * SEC), self.timeout)

    def timeout(self) -> None:
        self.timer = None
        self.finish_with(1 if self.sock is not None and not self.connected() else 0)

    def connected(self) -> bool:
        s = self.sock
        return s is not None and (s.type == SOCK_DGRAM or s.state not in ("SYN-SENT", "CLOSED"))

    # ---- client -------------------------------------------------------------------------
    def connect(self, host: str, ip: int, port: int) -> None:
        o = self.o
        udp = o.get("u")
        s = self.sock = socket(self.ctx.ns, SOCK_DGRAM if udp else SOCK_STREAM)
        self.host, self.port, self.proto = host, port, "udp" if udp else "tcp"
        if o.get("s") or o.get("p"):
            src = resolve(o["s"]) if o.get("s") else 0
            try:
                s.bind((src or 0, int(o.get("p") or 0)))
            except KernelError as e:
                _err(self.ctx, f"bind failed: {strerror(e.errno)}")
        try:
            s.connect((ip, port))
        except KernelError as e:
            return self.conn_failed(e.errno)
        if udp:
            return self.established()
        s.on_event = self.on_event
        self.arm_idle()

    def conn_failed(self, errno: int) -> None:
        if self.o.get("v") or not self.o.get("z"):
            self.ctx.eprint(f"nc: connect to {self.host} port {self.port} ({self.proto}) failed: "
                            f"{strerror(errno)}")
        self.finish_with(1)

    def established(self) -> None:
        o = self.o
        if o.get("v"):
            svc = _service(self.port, self.proto)
            self.ctx.eprint(f"Connection to {self.host} {self.port} port [{self.proto}/{svc}] "
                            f"succeeded!")
        if o.get("z"):
            return self.finish_with(0)
        self.arm_idle()
        self.pump()

    def on_event(self, s) -> None:
        if self.done:
            return
        if not getattr(self, "_up", False):
            if s.state == "SYN-SENT":
                return
            if s.state == "CLOSED" or s.err:
                e = s.err or 111
                s.err = 0
                return self.conn_failed(e)
            self._up = True
            return self.established()
        self.pump()

    def pump(self, *_) -> None:
        if self.done:
            return
        s = self.sock
        if not self.stdin_eof:
            data = self.stdin.read()
            if data == b"":
                self.stdin_eof = True
                if self.o.get("N") and s.type == SOCK_STREAM:
                    try:
                        s.shutdown(1)
                    except KernelError:
                        pass
            elif data:
                try:
                    s.send(data) if s.type == SOCK_STREAM or s.raddr else s.sendto(data, self.peer)
                except KernelError as e:
                    if s.type == SOCK_DGRAM:
                        return self.finish_with(1)
        while True:
            try:
                if s.type == SOCK_DGRAM:
                    data, src = s.recvfrom()
                else:
                    data = s.recv(65536)
            except KernelError as e:
                if e.errno == 11:
                    break
                if s.type == SOCK_DGRAM:
                    break                       # ECONNREFUSED on UDP: nc keeps going
                return self.finish_with(0 if e.errno == 104 else 1)
            if not data:
                if s.type == SOCK_STREAM:
                    return self.finish_with(0)
                break
            out_bytes(self.ctx, data)
            self.arm_idle()

    # ---- server -------------------------------------------------------------------------
    def listen(self, addr: int, port: int) -> None:
        o = self.o
        udp = o.get("u")
        s = socket(self.ctx.ns, SOCK_DGRAM if udp else SOCK_STREAM)
        s.setsockopt_reuseaddr()
        try:
            s.bind((addr, port))
            if not udp:
                s.listen(1)
        except KernelError as e:
            _err(self.ctx, f"Address already in use" if e.errno == 98 else strerror(e.errno))
        if udp:
            self.sock = s
            s.on_event = self.udp_first
            return
        self.listener = s
        s.on_event = self.on_accept

    def udp_first(self, s) -> None:
        try:
            data, src = s.recvfrom()
        except KernelError:
            return
        out_bytes(self.ctx, data)
        try:
            s.connect(src)
        except KernelError:
            pass
        if self.o.get("v"):
            self.ctx.eprint(f"Connection received on {_ip(src[0])} {src[1]}")
        s.on_event = self.pump
        self.pump()

    def on_accept(self, ls) -> None:
        try:
            c, (ra, rp) = ls.accept()
        except KernelError:
            return
        if self.o.get("v"):
            self.ctx.eprint(f"Connection received on {_ip(ra)} {rp}")
        ls.close()
        self.listener = None
        self.sock = c
        self._up = True
        c.on_event = self.on_event
        self.pump()


def _service(port: int, proto: str) -> str:
    """getservbyport(): the name /etc/services gives the port, else '*'."""
    import socket as _pysocket           # a lookup in /etc/services, not a network socket
    try:
        return _pysocket.getservbyport(port, proto)
    except (OSError, OverflowError):
        return "*"


def _ip(a: int) -> str:
    return f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}"


def parse(ctx, argv: list[str]):
    o: dict = {}
    pos: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a.startswith("-") and len(a) > 1 and a != "--":
            j = 1
            while j < len(a):
                ch = a[j]
                j += 1
                if ch in FLAGS:
                    o[ch] = True
                    continue
                if ch in WITH_ARG:
                    val = a[j:]
                    if not val:
                        if i >= len(argv):
                            ctx.eprint(f"nc: option requires an argument -- '{ch}'")
                            ctx.eprint(USAGE)
                            raise Fail()
                        val = argv[i]
                        i += 1
                    o[ch] = val
                    break
                ctx.eprint(f"nc: invalid option -- '{ch}'")
                ctx.eprint(USAGE)
                raise Fail()
            continue
        pos.append(a)
    return o, pos


def _portnum(ctx, s: str) -> int:
    if not (s.isascii() and s.isdigit()):
        _err(ctx, f"getaddrinfo for host \"{s}\" port: Servname not supported for ai_socktype")
    v = int(s)
    if v > 65535:
        _err(ctx, f"port number too large: {s}")
    if v == 0:
        _err(ctx, "port number invalid: 0")
    return v


@command("nc")
def main(ctx, argv: list[str]) -> int:
    try:
        o, pos = parse(ctx, argv)
        if "w" in o:
            w = o["w"]
            if not (w.isascii() and w.isdigit()):
                _err(ctx, f"timeout invalid: {w}")
            o["w"] = int(w)
        if o.get("h"):
            ctx.eprint(USAGE)
            return 1
        nc = Nc(ctx, o)
        if o.get("l"):
            if "p" in o and not pos:
                pos = [o.pop("p")]
            if not pos:
                _err(ctx, "missing port number")
            port = _portnum(ctx, pos[-1])
            addr = 0
            if len(pos) > 1:
                addr = resolve(pos[0])
                if addr is None:
                    _err(ctx, f"getaddrinfo: Temporary failure in name resolution")
            nc.listen(addr, port)
        else:
            if not pos:
                ctx.eprint(USAGE)
                return 1
            if len(pos) < 2:
                _err(ctx, "missing port number")
            host = pos[0]
            port = _portnum(ctx, pos[1])
            ip = resolve(host)
            if ip is None:
                _err(ctx, f'getaddrinfo for host "{host}" port {pos[1]}: Temporary failure in '
                          f'name resolution')
            nc.connect(host, ip, port)
    except Fail:
        return 1

    def on_signal(sig):
        nc.finish_with(128 + sig)

    return drive(ctx, lambda: nc.done, lambda: nc.code, on_signal=on_signal)
