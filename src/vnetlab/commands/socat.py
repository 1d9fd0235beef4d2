"""socat (1.7.4.4) on the emulated sockets: two addresses joined by a bidirectional relay.

Addresses: ``-`` / ``STDIO`` / ``STDIN`` / ``STDOUT``; ``TCP:host:port`` (``TCP4``,
``TCP-CONNECT``); ``TCP-LISTEN:port`` (``TCP4-LISTEN``, ``TCP-L``); ``UDP:host:port``
(``UDP4``, ``UDP-CONNECT``, ``UDP-SENDTO``); ``UDP-LISTEN:port``; ``UDP-RECV:port``;
``UDP-RECVFROM:port``; ``SYSTEM:cmd`` and ``EXEC:cmd``. Options: ``fork``, ``reuseaddr``,
``bind=ADDR[:PORT]``, ``sourceport=P``, ``backlog=N``, ``crlf``. Global flags: ``-u``, ``-U``,
``-d``..., ``-t SECS``, ``-T SECS``, ``-V``, ``-h``.

The relay follows socat's xioengine: data read on one side is written to the other; an EOF on
one side shuts down writing on the other, and socat ends ``-t`` seconds (0.5) later, or as soon
as the other direction ends too. Error lines are socat's: ``YYYY/MM/DD HH:MM:SS socat[PID] E
text``, exit status 1.

SYSTEM / EXEC (kept simple): the command runs once per connection, when the connection is
accepted or made, to completion (at most 5 s), with stdin from /dev/null and in its own empty
network namespace (``unshare --net``), so it can never reach the host's network; its output is
sent and then the connection is shut down, as socat does when the child exits. Programs that
read the connection (a shell loop answering requests) are not modelled.

Also here: the helpers the other socket tools (curl, nc, vnetlab-httpd) share: ``drive`` runs
a command over virtual time (or hands it to ``vnetlab sh`` through ``ctx.spawn``), ``resolve``
turns a host into an address as the emulator can (dotted quads, ``localhost``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from ..stack.errors import KernelError
from ..stack.sock import SOCK_DGRAM, SOCK_STREAM, socket
from . import Exit, command

SEC = 1_000_000_000
PROG = "socat"

STRERROR = {
    111: "Connection refused", 113: "No route to host", 101: "Network is unreachable",
    110: "Connection timed out", 104: "Connection reset by peer", 98: "Address already in use",
    99: "Cannot assign requested address", 32: "Broken pipe", 22: "Invalid argument",
    13: "Permission denied", 90: "Message too long", 11: "Resource temporarily unavailable",
    112: "Host is down", 64: "Machine is not on the network", 92: "Protocol not available",
}


def strerror(e: int) -> str:
    return STRERROR.get(e, os.strerror(e))


# ==========================================================================================
# helpers shared by the socket tools
# ==========================================================================================
def ip_text(a: int) -> str:
    return f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}"


def parse_ipv4(s: str) -> int | None:
    """inet_aton()'s common form: a dotted quad."""
    parts = s.split(".")
    if len(parts) != 4:
        return None
    v = 0
    for p in parts:
        if not (p.isascii() and p.isdigit()) or int(p) > 255:
            return None
        v = (v << 8) | int(p)
    return v


def resolve(host: str) -> int | None:
    """getaddrinfo() as far as the emulator goes: numeric addresses and localhost."""
    if host in ("localhost", "localhost.localdomain"):
        return 0x7F000001
    return parse_ipv4(host)


def drive(ctx, is_done, finish, on_signal=None, stream: bool = True) -> int:
    """Run a command over time: under ``vnetlab sh`` the server finishes it (``ctx.spawn``);
    from Python the engine runs until it is done or nothing is left to happen."""
    spawn = getattr(ctx, "spawn", None)
    if spawn is not None:
        if on_signal is not None:
            ctx.on_signal = on_signal
        ctx.stream = stream
        spawn(ctx, is_done, finish)
        return 0
    eng = ctx.lab.engine
    while not is_done():
        eng.run_now()
        if is_done():
            break
        nxt = eng.next_deadline()
        if nxt is None:
            break
        eng.run_until(nxt)
    return finish()


def run_system(cmd: str, ns_name: str, argv: list[str] | None = None) -> bytes:
    """SYSTEM:/EXEC: run ``cmd`` to completion in an empty network namespace; its stdout."""
    if os.geteuid() == 0:
        pre = ["unshare", "--net"]
    else:
        pre = ["unshare", "--user", "--map-root-user", "--net"]
    if shutil.which("unshare") is None:
        return b""
    args = pre + (argv if argv is not None else ["sh", "-c", cmd])
    env = dict(os.environ, VNETLAB_NS=ns_name or "")
    env.pop("VNETLAB_SOCK", None)
    try:
        p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=5, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return b""
    return p.stdout


def out_bytes(ctx, data: bytes) -> None:
    """Bytes to the command's stdout (str in ctx.out; the shim writes them back as bytes)."""
    ctx.out.append(data.decode("utf-8", "surrogateescape"))


def stdin_bytes(ctx) -> bytes:
    s = ctx.stdin or ""
    if isinstance(s, bytes):
        return s
    return s.encode("utf-8", "surrogateescape")


# ==========================================================================================
# socat
# ==========================================================================================
class Msg:
    def __init__(self, ctx, debug: int):
        self.ctx = ctx
        self.debug = debug
        self.pid = os.getpid()

    def log(self, level: str, text: str) -> None:
        if level == "E" or (level == "W" and self.debug >= 1) or \
                (level == "N" and self.debug >= 2) or (level in "ID" and self.debug >= 3):
            stamp = time.strftime("%Y/%m/%d %H:%M:%S")
            self.ctx.eprint(f"{stamp} {PROG}[{self.pid}] {level} {text}")

    def error(self, text: str):
        self.log("E", text)
        self.log("N", "exit(1)")
        raise Exit(1)


ADDR_KINDS = {
    "-": "STDIO", "STDIO": "STDIO", "STDIN": "STDIN", "STDOUT": "STDOUT",
    "TCP": "TCP", "TCP4": "TCP", "TCP-CONNECT": "TCP", "TCP4-CONNECT": "TCP",
    "TCP-LISTEN": "TCP-LISTEN", "TCP4-LISTEN": "TCP-LISTEN", "TCP-L": "TCP-LISTEN",
    "TCP4-L": "TCP-LISTEN",
    "UDP": "UDP", "UDP4": "UDP", "UDP-CONNECT": "UDP", "UDP4-CONNECT": "UDP",
    "UDP-SENDTO": "UDP-SENDTO", "UDP4-SENDTO": "UDP-SENDTO",
    "UDP-LISTEN": "UDP-LISTEN", "UDP4-LISTEN": "UDP-LISTEN", "UDP-L": "UDP-LISTEN",
    "UDP-RECV": "UDP-RECV", "UDP4-RECV": "UDP-RECV",
    "UDP-RECVFROM": "UDP-RECVFROM", "UDP4-RECVFROM": "UDP-RECVFROM",
    "SYSTEM": "SYSTEM", "EXEC": "EXEC",
}
NPARAMS = {"STDIO": 0, "STDIN": 0, "STDOUT": 0, "TCP": 2, "TCP-LISTEN": 1, "UDP": 2,
           "UDP-SENDTO": 2, "UDP-LISTEN": 1, "UDP-RECV": 1, "UDP-RECVFROM": 1, "SYSTEM": 1,
           "EXEC": 1}
KNOWN_OPTS = {"fork", "reuseaddr", "bind", "sourceport", "sp", "backlog", "crlf", "nodelay",
              "so-reuseaddr", "reuseport", "ignoreeof", "keepalive", "ttl", "pf", "retry",
              "interval", "connect-timeout", "max-children", "stderr", "pty"}


class Address:
    def __init__(self, kind: str, params: list[str], opts: dict, text: str):
        self.kind = kind
        self.params = params
        self.opts = opts
        self.text = text


def parse_address(m: Msg, text: str) -> Address:
    """xioopen(): keyword, colon-separated parameters, comma-separated options."""
    if text == "-":
        return Address("STDIO", [], {}, text)
    head, _, rest = text.partition(":")
    kw = head.split(",")[0].upper()
    kind = ADDR_KINDS.get(kw)
    if kind is None:
        m.error(f'unknown device/address "{head.split(",")[0]}"')
    if kind in ("SYSTEM", "EXEC"):
        # the command runs to the first unquoted comma that starts options: keep it whole
        cmd, opts = rest, {}
        if "," in rest and not rest.strip().startswith(("'", '"')):
            cmd, _, o = rest.partition(",")
            opts = _parse_opts(m, o.split(","))
        return Address(kind, [cmd], opts, text)
    parts = (head + ":" + rest if rest or text.count(":") else head).split(",")
    main, optl = parts[0], parts[1:]
    fields = main.split(":")[1:] if ":" in main else []
    if kind in ("STDIO", "STDIN", "STDOUT"):
        optl = text.split(",")[1:]
    n = NPARAMS[kind]
    if len(fields) != n:
        m.error(f"{kw}: wrong number of parameters ({len(fields)} instead of {n})")
    return Address(kind, fields, _parse_opts(m, optl), text)


def _parse_opts(m: Msg, items: list[str]) -> dict:
    opts = {}
    for it in items:
        if not it:
            continue
        k, eq, v = it.partition("=")
        if k.lower() not in KNOWN_OPTS:
            m.error(f'parseopts_table(): unknown option "{k}"')
        opts[k.lower()] = v if eq else "1"
    return opts


def _port(m: Msg, s: str) -> int:
    if not (s.isascii() and s.isdigit()) or int(s) > 65535:
        m.error(f'getaddrinfo("NULL", "{s}", {{1,0,1,6}}, {{}}): Servname not supported for '
                f'ai_socktype')
    return int(s)


def _host(m: Msg, s: str, port: str) -> int:
    a = resolve(s)
    if a is None:
        m.error(f'getaddrinfo("{s}", "NULL", {{1,0,1,6}}, {{}}): Temporary failure in name '
                f'resolution')
    return a


class End:
    """One side of a relay: ``read()`` -> bytes, b"" at EOF, None when nothing now;
    ``write(data)``; ``shut()`` (no more writes); ``close()``."""

    eof = False

    def read(self):
        return b""

    def write(self, data: bytes) -> None:
        pass

    def shut(self) -> None:
        pass

    def close(self) -> None:
        pass


class StdioEnd(End):
    def __init__(self, ctx, kind: str, crlf: bool = False):
        self.ctx = ctx
        self.data = stdin_bytes(ctx) if kind in ("STDIO", "STDIN") else b""
        self.writable = kind in ("STDIO", "STDOUT")
        self.crlf = crlf
        self.done = False

    def read(self):
        if self.done:
            return b""
        live = getattr(self.ctx, "stdin_stream", None)
        if live is not None:
            return live.read()
        self.done = True
        return self.data

    def write(self, data: bytes) -> None:
        if self.writable:
            out_bytes(self.ctx, data)


class TcpEnd(End):
    def __init__(self, sock, relay=None):
        self.sock = sock
        self.pending = b""

    def read(self):
        try:
            return self.sock.recv(65536)
        except KernelError as e:
            if e.errno == 11:
                return None
            self.error = e.errno
            return b""

    def write(self, data: bytes) -> None:
        self.pending += data
        self.flush()

    def flush(self) -> None:
        while self.pending:
            try:
                n = self.sock.send(self.pending)
            except KernelError:
                self.pending = b""
                return
            self.pending = self.pending[n:]

    def shut(self) -> None:
        try:
            self.sock.shutdown(1)
        except KernelError:
            pass

    def close(self) -> None:
        self.sock.close()


class UdpEnd(End):
    def __init__(self, sock, peer=None, recv_only=False, learn=False):
        self.sock = sock
        self.peer = peer
        self.recv_only = recv_only
        self.learn = learn

    def read(self):
        try:
            data, src = self.sock.recvfrom()
        except KernelError as e:
            if e.errno == 11:
                return None
            self.error = e.errno
            return None
        if self.learn and self.sock.raddr == 0 and self.peer is None and not self.recv_only:
            self.peer = src
        if self.learn and self.peer is None:
            self.peer = src
        return data

    def write(self, data: bytes) -> None:
        if self.recv_only or not data:
            return
        try:
            if self.sock.raddr:
                self.sock.send(data)
            elif self.peer is not None:
                self.sock.sendto(data, self.peer)
        except KernelError as e:
            self.error = e.errno

    def close(self) -> None:
        self.sock.close()


class BufEnd(End):
    """SYSTEM / EXEC: the child's output, then EOF; what is written to it is discarded."""

    def __init__(self, data: bytes):
        self.data = data
        self.done = False

    def read(self):
        if self.done:
            return b""
        self.done = True
        return self.data


class Relay:
    """_socat(): transfer both ways until both directions end (or -t after the first EOF)."""

    def __init__(self, app, left: End, right: End, on_end=None):
        self.app = app
        self.left, self.right = left, right
        self.eof_l = self.eof_r = False
        self.closed = False
        self.on_end = on_end
        self.timer = None
        self.skip_l = app.unidir == 2           # -U: right to left only
        self.skip_r = app.unidir == 1           # -u: left to right only

    def pump(self, *_):
        if self.closed:
            return
        for src, dst, which in ((self.left, self.right, "l"), (self.right, self.left, "r")):
            if (which == "l" and (self.eof_l or self.skip_l)) or \
                    (which == "r" and (self.eof_r or self.skip_r)):
                continue
            while True:
                data = src.read()
                err = getattr(src, "error", 0)
                if err:
                    src.error = 0
                    self.app.fail(f"read({5 if src is self.right else 3}, 0x55d3fc08c000, 8192): "
                                  f"{strerror(err)}")
                    return
                if data is None:
                    break
                if data == b"":
                    if which == "l":
                        self.eof_l = True
                    else:
                        self.eof_r = True
                    dst.shut()
                    break
                dst.write(data)
        done_l = self.eof_l or self.skip_l
        done_r = self.eof_r or self.skip_r
        if done_l and done_r:
            self.finish()
        elif (self.eof_l or self.eof_r) and self.timer is None:
            self.timer = self.app.engine.call_later(self.app.t_ns, self.finish)

    def finish(self, *_):
        if self.closed:
            return
        self.closed = True
        if self.timer is not None:
            self.timer.cancel()
        self.left.close()
        self.right.close()
        if self.on_end is not None:
            self.on_end(self)


class Socat:
    def __init__(self, ctx, m: Msg, a1: Address, a2: Address, unidir: int, t_ns: int):
        self.ctx = ctx
        self.m = m
        self.ns = ctx.ns
        self.engine = ctx.lab.engine
        self.a1, self.a2 = a1, a2
        self.unidir = unidir
        self.t_ns = t_ns
        self.done = False
        self.code = 0
        self.listener = None
        self.relays = []

    def fail(self, text: str) -> None:
        """An error after start: report and end with status 1."""
        self.m.log("E", text)
        self.m.log("N", "exit(1)")
        self.code = 1
        self.stop()

    def stop(self, *_):
        for r in list(self.relays):
            r.finish()
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        self.done = True

    # ---- opening --------------------------------------------------------------------
    def open_simple(self, a: Address, fdno: int, then) -> None:
        """Open a non-listening address; ``then(end)`` when ready (connect completes)."""
        k = a.kind
        if k in ("STDIO", "STDIN", "STDOUT"):
            self.m.log("N", "reading from and writing to stdio")
            return then(StdioEnd(self.ctx, k, "crlf" in a.opts))
        if k in ("SYSTEM", "EXEC"):
            out = run_system(a.params[0], self.ns.name,
                             None if k == "SYSTEM" else a.params[0].split())
            return then(BufEnd(out))
        if k == "TCP":
            host, port = a.params
            ip = _host(self.m, host, port)
            p = _port(self.m, port)
            s = socket(self.ns, SOCK_STREAM)
            self._bind_opts(s, a)
            self.m.log("N", f"opening connection to AF=2 {ip_text(ip)}:{p}")
            try:
                s.connect((ip, p))
            except KernelError as e:
                s.close()
                self.m.error(f"connect({fdno}, AF=2 {ip_text(ip)}:{p}, 16): {strerror(e.errno)}")

            def ev(sock):
                if sock.state == "SYN-SENT":
                    return
                if sock.err and sock.state == "CLOSED" and not getattr(sock, "_opened", False):
                    e = sock.err
                    sock.err = 0
                    self.m.log("W", "recvmsg(): Resource temporarily unavailable")
                    self.fail(f"connect({fdno}, AF=2 {ip_text(ip)}:{p}, 16): {strerror(e)}")
                    return
                if not getattr(sock, "_opened", False):
                    sock._opened = True
                    self.m.log("N", f"successfully connected from local address AF=2 "
                                    f"{ip_text(sock.laddr)}:{sock.lport}")
                    then(TcpEnd(sock))
            s.on_event = ev
            return None
        if k in ("UDP", "UDP-SENDTO"):
            host, port = a.params
            ip = _host(self.m, host, port)
            p = _port(self.m, port)
            s = socket(self.ns, SOCK_DGRAM)
            self._bind_opts(s, a)
            try:
                if k == "UDP":
                    s.connect((ip, p))
            except KernelError as e:
                self.m.error(f"connect({fdno}, AF=2 {ip_text(ip)}:{p}, 16): {strerror(e.errno)}")
            return then(UdpEnd(s, None if k == "UDP" else (ip, p)))
        if k in ("UDP-RECV", "UDP-RECVFROM", "UDP-LISTEN"):
            p = _port(self.m, a.params[0])
            s = socket(self.ns, SOCK_DGRAM)
            if "reuseaddr" in a.opts:
                s.setsockopt_reuseaddr()
            try:
                s.bind((self._bind_ip(a), p))
            except KernelError as e:
                self.m.error(f"bind({fdno}, {{AF=2 0.0.0.0:{p}}}, 16): {strerror(e.errno)}")
            return then(UdpEnd(s, recv_only=k == "UDP-RECV", learn=True))
        self.m.error(f'unknown device/address "{a.text}"')

    def _bind_ip(self, a: Address) -> int:
        b = a.opts.get("bind")
        if b:
            ip = resolve(b.split(":")[0])
            if ip is None:
                self.m.error(f'getaddrinfo("{b}", "NULL", {{1,0,1,6}}, {{}}): Temporary failure '
                             f'in name resolution')
            return ip
        return 0

    def _bind_opts(self, s, a: Address) -> None:
        b = a.opts.get("bind")
        sp = a.opts.get("sourceport") or a.opts.get("sp")
        if "reuseaddr" in a.opts:
            s.setsockopt_reuseaddr()
        if b or sp:
            ip = self._bind_ip(a) if b else 0
            port = int(sp) if sp and (sp.isascii() and sp.isdigit()) else (
                int(b.split(":")[1]) if b and ":" in b and (b.split(":")[1].isascii() and b.split(":")[1].isdigit()) else 0)
            try:
                s.bind((ip, port))
            except KernelError as e:
                self.m.error(f"bind(5, {{AF=2 {ip_text(ip)}:{port}}}, 16): {strerror(e.errno)}")

    def start(self) -> None:
        a1, a2 = self.a1, self.a2
        if a1.kind == "TCP-LISTEN" or (a2.kind == "TCP-LISTEN" and a1.kind != "TCP-LISTEN"):
            lst, other, first = (a1, a2, True) if a1.kind == "TCP-LISTEN" else (a2, a1, False)
            return self.listen(lst, other, first)
        holder = {}

        def got(which, end):
            holder[which] = end
            if which == 1:
                self.open_simple(a2, 5, lambda e: got(2, e))
            elif which == 2:
                self.connect_relay(holder[1], holder[2])
        self.open_simple(a1, 3, lambda e: got(1, e))

    def connect_relay(self, left: End, right: End, fork: bool = False) -> None:
        def ended(r):
            if r in self.relays:
                self.relays.remove(r)
            if not fork:
                self.stop()
        r = Relay(self, left, right, ended)
        self.relays.append(r)
        for e in (left, right):
            sock = getattr(e, "sock", None)
            if sock is not None:
                sock.on_event = r.pump
        self.engine.call_soon(r.pump)

    def listen(self, lst: Address, other: Address, first: bool) -> None:
        p = _port(self.m, lst.params[0])
        s = socket(self.ns, SOCK_STREAM)
        if "reuseaddr" in lst.opts:
            s.setsockopt_reuseaddr()
        ip = self._bind_ip(lst)
        try:
            s.bind((ip, p))
        except KernelError as e:
            self.m.error(f"bind(5, {{AF=2 {ip_text(ip)}:{p}}}, 16): {strerror(e.errno)}")
        backlog = int(lst.opts.get("backlog", "5") or 5)
        try:
            s.listen(backlog)
        except KernelError as e:
            self.m.error(f"listen(5, {backlog}): {strerror(e.errno)}")
        self.m.log("N", f"listening on AF=2 {ip_text(ip)}:{p}")
        self.listener = s
        fork = "fork" in lst.opts

        def on_accept(sock):
            while self.listener is not None:
                try:
                    c, (ra, rp) = sock.accept()
                except KernelError:
                    return
                self.m.log("N", f"accepting connection from AF=2 {ip_text(ra)}:{rp} on AF=2 "
                                f"{ip_text(c.laddr)}:{c.lport}")
                if not fork:
                    self.listener.close()
                    self.listener = None
                tcp_end = TcpEnd(c)

                def opened(end, tcp_end=tcp_end):
                    if first:
                        self.connect_relay(tcp_end, end, fork)
                    else:
                        self.connect_relay(end, tcp_end, fork)
                try:
                    self.open_simple(other, 6, opened)
                except Exit:
                    c.close()
                    if not fork:
                        raise
        s.on_event = on_accept


@command("socat")
def main(ctx, argv: list[str]) -> int:
    debug = 0
    unidir = 0
    t_ns = SEC // 2
    args = list(argv)
    m = Msg(ctx, 0)
    while args and args[0].startswith("-") and args[0] != "-":
        a = args.pop(0)
        if a == "-V":
            ctx.print("socat by Gerhard Rieger and contributors - see www.dest-unreach.org")
            ctx.print("socat version 1.7.4.4 on 06 Nov 2022 08:15:51")
            return 0
        if a in ("-h", "-?", "--help"):
            ctx.print("socat by Gerhard Rieger and contributors - see www.dest-unreach.org")
            ctx.print("Usage:")
            ctx.print("socat [options] <bi-address> <bi-address>")
            return 0
        if a.startswith("-d"):
            debug += a.count("d")
            m.debug = debug
        elif a == "-u":
            unidir = 1
        elif a == "-U":
            unidir = 2
        elif a in ("-t", "-T"):
            if not args:
                m.error(f'option "{a}" requires an argument')
            v = args.pop(0)
            try:
                secs = float(v)
            except ValueError:
                m.error(f'option "{a}": invalid number "{v}"')
            if a == "-t":
                t_ns = int(secs * SEC)
        elif a in ("-v", "-x", "-lu", "-lh", "-s", "-4"):
            continue
        else:
            m.error(f"unknown option \"{a}\"; use option \"-h\" for help")
    if len(args) != 2:
        m.error(f'exactly 2 addresses required (there are {len(args)}); use option "-h" for '
                f'help')
    a1 = parse_address(m, args[0])
    a2 = parse_address(m, args[1])
    app = Socat(ctx, m, a1, a2, unidir, t_ns)

    def finish():
        if app.code == 0:
            m.log("N", "exit(0)")
        return app.code

    def on_signal(sig):
        m.log("N", f"exiting on signal {sig}")
        app.code = 128 + sig
        app.stop()

    try:
        app.start()
    except Exit as e:
        app.stop()
        return e.code
    return drive(ctx, lambda: app.done, finish, on_signal=on_signal)
