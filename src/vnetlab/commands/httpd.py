"""``vnetlab-httpd [-p PORT] [--text TEXT] [-b ADDR]``: a tiny HTTP server on the emulated TCP.

Not a real tool: the lab's stand-in for a web server on a real server node (the LVS examples'
``curl http://VIP/`` answered by each real server in turn). It answers every request with
``HTTP/1.0 200 OK``, ``Content-Type: text/plain``, ``Content-Length`` and a body of one line:
the host name - the netns name the command runs in (``vnetlab`` in the initial netns) - or TEXT
when ``--text`` is given. A ``HEAD`` gets the headers only. Each connection is closed after its
answer (HTTP/1.0). Port 80 by default, all local addresses (``-b`` binds one). It runs until it
is killed (``vnetlab-httpd & ... kill $!``), and prints nothing.

Errors: ``vnetlab-httpd: bind: Address already in use`` (status 1), ``vnetlab-httpd: bad port
'X'`` (status 2).
"""

from __future__ import annotations

from ..stack.errors import KernelError
from ..stack.sock import SOCK_STREAM, socket
from . import command
from .socat import drive, os, resolve

PROG = "vnetlab-httpd"
USAGE = f"usage: {PROG} [-p PORT] [-b ADDR] [--text TEXT]"


class Httpd:
    def __init__(self, ctx, port: int, addr: int, text: str):
        self.ctx = ctx
        self.text = text
        self.done = False
        self.conns: dict = {}
        s = self.sock = socket(ctx.ns, SOCK_STREAM)
        s.setsockopt_reuseaddr()
        s.bind((addr, port))
        s.listen(511)
        s.on_event = self.on_accept

    def on_accept(self, s) -> None:
        while True:
            try:
                c, _ = s.accept()
            except KernelError:
                return
            self.conns[c] = b""
            c.on_event = self.on_conn
            self.on_conn(c)

    def on_conn(self, c) -> None:
        if c not in self.conns:
            return
        while True:
            try:
                data = c.recv(65536)
            except KernelError as e:
                if e.errno == 11:
                    return
                data = b""
            if not data:
                self.conns.pop(c, None)
                c.close()
                return
            buf = self.conns[c] + data
            self.conns[c] = buf
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                end = buf.find(b"\n\n")
            if end >= 0:
                self.answer(c, buf)
                return

    def answer(self, c, req: bytes) -> None:
        method = req.split(b" ", 1)[0]
        body = (self.text + "\n").encode()
        head = (f"HTTP/1.0 200 OK\r\nServer: {PROG}\r\nContent-Type: text/plain\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        try:
            c.send(head if method == b"HEAD" else head + body)
        except KernelError:
            pass
        self.conns.pop(c, None)
        c.close()

    def stop(self, *_):
        self.sock.close()
        for c in list(self.conns):
            c.close()
        self.conns.clear()
        self.done = True


@command(PROG)
def main(ctx, argv: list[str]) -> int:
    port, addr, text = 80, 0, None
    args = list(argv)
    while args:
        a = args.pop(0)
        if a in ("-h", "--help"):
            ctx.print(USAGE)
            return 0
        if a in ("-p", "--port", "-b", "--bind", "--text") and not args:
            ctx.eprint(f"{PROG}: option {a} needs a value")
            ctx.eprint(USAGE)
            return 2
        if a in ("-p", "--port"):
            v = args.pop(0)
            if not (v.isascii() and v.isdigit()) or not 0 < int(v) < 65536:
                ctx.eprint(f"{PROG}: bad port '{v}'")
                return 2
            port = int(v)
        elif a in ("-b", "--bind"):
            v = args.pop(0)
            ip = resolve(v)
            if ip is None:
                ctx.eprint(f"{PROG}: bad address '{v}'")
                return 2
            addr = ip
        elif a == "--text":
            text = args.pop(0)
        else:
            ctx.eprint(f"{PROG}: unknown argument '{a}'")
            ctx.eprint(USAGE)
            return 2
    if text is None:
        text = ctx.ns.name or getattr(ctx.lab.kernel, "hostname", "vnetlab")
    try:
        h = Httpd(ctx, port, addr, text)
    except KernelError as e:
        ctx.eprint(f"{PROG}: bind: {os.strerror(e.errno)}")
        return 1

    def on_signal(sig):
        h.stop()
        h.code = 128 + sig

    h.code = 0
    if getattr(ctx, "spawn", None) is None:
        return 0            # from Python: the server stays up in the emulated world
    return drive(ctx, lambda: h.done, lambda: h.code, on_signal=on_signal, stream=False)
