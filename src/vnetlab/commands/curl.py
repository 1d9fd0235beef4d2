"""curl (7.88.1) for http:// on the emulated TCP: GET / HEAD, HTTP/1.0 and 1.1 responses
(Content-Length, chunked, or until close), and curl's error texts and exit codes.

Options: ``-s -S -v -i -I -f -o FILE -w FORMAT -m/--max-time SECS --connect-timeout SECS
-H 'Name: value' -A UA -X METHOD --http1.0``. Errors (stderr unless ``-s`` without ``-S``):
``(1)`` unsupported protocol, ``(3)`` bad URL, ``(6)`` unresolvable host (the emulator resolves
dotted quads and localhost), ``(7)`` connection refused / unreachable, ``(8)`` malformed header,
``(18)`` short body, ``(22)`` ``-f`` and status >= 400, ``(28)`` timeouts, ``(52)`` empty reply,
``(56)`` reset while receiving. Times in messages are the engine's (virtual) milliseconds.
Not modelled: the progress meter (curl prints it on stderr when stdout is not a terminal and
``-s`` is not given), HTTPS, redirects, uploads.
"""

from __future__ import annotations

import os

from ..stack.errors import KernelError
from ..stack.sock import SOCK_STREAM, socket
from . import command
from .socat import drive, ip_text, out_bytes, resolve

MS = 1_000_000
SEC = 1_000_000_000
UA = "curl/7.88.1"
TRY = "curl: try 'curl --help' or 'curl --manual' for more information"
DEFAULT_CONNECT_TIMEOUT = 300 * SEC

SHORT_ARG = set("oHmAXwueTdr")
SHORT_FLAG = set("sSvIifLkN#")
LONG = {"--silent": "s", "--show-error": "S", "--verbose": "v", "--head": "I", "--include": "i",
        "--fail": "f", "--location": "L", "--insecure": "k", "--no-buffer": "N",
        "--output": "o", "--header": "H", "--max-time": "m", "--user-agent": "A",
        "--request": "X", "--write-out": "w", "--connect-timeout": "connect-timeout",
        "--http1.0": "http1.0", "--http1.1": "http1.1", "--url": "url"}
LONG_ARG = {"o", "H", "m", "A", "X", "w", "connect-timeout", "url"}


class Bad(Exception):
    pass


class Curl:
    def __init__(self, ctx, o: dict, url: str):
        self.ctx = ctx
        self.o = o
        self.url = url
        self.engine = ctx.lab.engine
        self.done = False
        self.code = 0
        self.errmsg = ""
        self.buf = b""
        self.headers_done = False
        self.status = 0
        self.body_len = 0
        self.clen = None
        self.chunked = False
        self.close_delim = True
        self.sock = None
        self.timers = []
        self.verbose = o.get("v", False)
        self.body = []
        self.t0 = self.engine.now
        self.connected = False

    def vlog(self, line: str) -> None:
        if self.verbose:
            self.ctx.eprint(line)

    def ms(self) -> int:
        return (self.engine.now - self.t0) // MS

    def fail(self, code: int, msg: str) -> None:
        if self.done:
            return
        self.code = code
        self.errmsg = msg
        self.end()

    def end(self) -> None:
        if self.done:
            return
        self.done = True
        for t in self.timers:
            t.cancel()
        if self.sock is not None:
            self.sock.on_event = None
            self.sock.close()
        if self.connected:
            self.vlog("* Closing connection 0")

    def start(self, host: str, ip: int, port: int, path: str) -> None:
        o = self.o
        self.host, self.port = host, port
        self.vlog(f"*   Trying {ip_text(ip)}:{port}...")
        s = self.sock = socket(self.ctx.ns, SOCK_STREAM)
        ct = o.get("connect-timeout")
        mt = o.get("m")
        self.connect_deadline = None
        if ct is not None and (mt is None or ct <= mt):
            self.timers.append(self.engine.call_later(int(ct * SEC), self._ct_fire))
        elif mt is None:
            self.timers.append(self.engine.call_later(DEFAULT_CONNECT_TIMEOUT, self._ct_fire))
        if mt is not None:
            self.timers.append(self.engine.call_later(int(mt * SEC), self._mt_fire))
        try:
            s.connect((ip, port))
        except KernelError:
            self.vlog(f"* connect to {ip_text(ip)} port {port} failed: "
                      f"{os.strerror(101)}")
            return self.fail(7, f"Failed to connect to {host} port {port} after {self.ms()} ms: "
                                f"Couldn't connect to server")
        s.on_event = self.on_event
        self.path = path
        self.ip = ip

    def _ct_fire(self) -> None:
        if not self.connected:
            self.fail(28, f"Failed to connect to {self.host} port {self.port} after {self.ms()} "
                          f"ms: Timeout was reached")

    def _mt_fire(self) -> None:
        if not self.connected:
            self.fail(28, f"Connection timed out after {self.ms()} milliseconds")
        else:
            got = self.body_len
            if self.clen is not None:
                self.fail(28, f"Operation timed out after {self.ms()} milliseconds with {got} "
                              f"out of {self.clen} bytes received")
            else:
                self.fail(28, f"Operation timed out after {self.ms()} milliseconds with {got} "
                              f"bytes received")

    def on_event(self, s) -> None:
        if self.done:
            return
        if not self.connected:
            if s.state == "SYN-SENT":
                return
            if s.state not in ("ESTAB", "CLOSE-WAIT"):
                e = s.err or 111
                s.err = 0
                self.vlog(f"* connect to {ip_text(self.ip)} port {self.port} failed: "
                          f"{os.strerror(e)}")
                return self.fail(7, f"Failed to connect to {self.host} port {self.port} after "
                                    f"{self.ms()} ms: Couldn't connect to server")
            self.connected = True
            for t in self.timers[:]:
                if t.fn == self._ct_fire:
                    t.cancel()
            self.vlog(f"* Connected to {self.host} ({ip_text(self.ip)}) port {self.port} (#0)")
            self.send_request()
        self.read()

    def send_request(self) -> None:
        o = self.o
        method = o.get("X") or ("HEAD" if o.get("I") else "GET")
        ver = "HTTP/1.0" if o.get("http1.0") else "HTTP/1.1"
        hostp = self.host if self.port == 80 else f"{self.host}:{self.port}"
        lines = [f"{method} {self.path} {ver}", f"Host: {hostp}"]
        user = {h.split(":", 1)[0].strip().lower(): h for h in o.get("H", [])}
        ua = o.get("A", UA)
        if "user-agent" not in user and ua:
            lines.append(f"User-Agent: {ua}")
        if "accept" not in user:
            lines.append("Accept: */*")
        for k, h in user.items():
            if k in ("host",):
                lines[1] = h
            else:
                lines.append(h)
        for ln in lines:
            self.vlog(f"> {ln}\r")               # the header as sent, CR included
        self.vlog("> \r")
        req = ("\r\n".join(lines) + "\r\n\r\n").encode()
        try:
            self.sock.send(req)
        except KernelError as e:
            self.fail(55, f"Failed sending data to the peer")
            return

    def read(self) -> None:
        s = self.sock
        while not self.done:
            try:
                data = s.recv(65536)
            except KernelError as e:
                if e.errno == 11:
                    return
                return self.fail(56, f"Recv failure: {os.strerror(e.errno)}")
            if not data:
                return self.eof()
            self.feed(data)

    def feed(self, data: bytes) -> None:
        if not self.headers_done:
            self.buf += data
            while not self.headers_done:
                i = self.buf.find(b"\n")
                if i < 0:
                    return
                line = self.buf[:i + 1]
                self.buf = self.buf[i + 1:]
                if not self.header_line(line):
                    return
            data, self.buf = self.buf, b""
            if not data:
                if self.o.get("I") or self.clen == 0 or self.status in (204, 304):
                    self.end()
                return
        self.body_data(data)

    def header_line(self, line: bytes) -> bool:
        text = line.rstrip(b"\r\n").decode("latin-1")
        shown = line.rstrip(b"\n").decode("latin-1")     # -v shows the line as received
        o = self.o
        if not self.status:
            parts = text.split(" ", 2)
            if not parts[0].startswith("HTTP/") or len(parts) < 2 or not (parts[1].isascii() and parts[1].isdigit()):
                self.fail(1, "Received HTTP/0.9 when not allowed")
                return False
            self.status = int(parts[1])
            self.version = parts[0]
            if parts[0] == "HTTP/1.0":
                self.vlog("* HTTP 1.0, assume close after body")
            self.vlog(f"< {shown}")
            self.raw_headers = line
            return True
        self.vlog(f"< {shown}")
        self.raw_headers += line
        if text == "":
            self.headers_done = True
            if o.get("f") and self.status >= 400:
                self.fail(22, f"The requested URL returned error: {self.status}")
                return False
            if o.get("I") or o.get("i"):
                out_bytes(self.ctx, self.raw_headers) if not o.get("o") else \
                    self.body.append(self.raw_headers)
            if o.get("I"):
                self.end()
                return False
            return True
        if ":" not in text:
            self.vlog("* Header without colon")
            self.fail(8, "Header without colon")
            return False
        k, v = text.split(":", 1)
        k = k.strip().lower()
        v = v.strip()
        if k == "content-length" and (v.isascii() and v.isdigit()):
            self.clen = int(v)
        elif k == "transfer-encoding" and "chunked" in v.lower():
            self.chunked = True
            self.cbuf = b""
        return True

    def body_data(self, data: bytes) -> None:
        if self.chunked:
            self.cbuf += data
            out = b""
            while True:
                i = self.cbuf.find(b"\r\n")
                if i < 0:
                    break
                try:
                    n = int(self.cbuf[:i].split(b";")[0], 16)
                except ValueError:
                    return self.fail(56, "Illegal or missing hexadecimal sequence in chunked-encoding")
                if n == 0:
                    self.emit(out)
                    return self.end()
                if len(self.cbuf) < i + 2 + n + 2:
                    break
                out += self.cbuf[i + 2:i + 2 + n]
                self.cbuf = self.cbuf[i + 2 + n + 2:]
            self.emit(out)
            return
        if self.clen is not None:
            room = self.clen - self.body_len
            data = data[:room]
        self.emit(data)
        if self.clen is not None and self.body_len >= self.clen:
            self.end()

    def emit(self, data: bytes) -> None:
        if not data:
            return
        self.body_len += len(data)
        self.vlog(f"{{ [{len(data)} bytes data]")
        if self.o.get("o") is not None:
            self.body.append(data)
        else:
            out_bytes(self.ctx, data)

    def eof(self) -> None:
        if not self.status:
            return self.fail(52, "Empty reply from server")
        if not self.headers_done:
            return self.end()
        if self.clen is not None and self.body_len < self.clen:
            return self.fail(18, f"transfer closed with {self.clen - self.body_len} bytes "
                                 f"remaining to read")
        self.end()


def _num(ctx, opt: str, val: str) -> float:
    try:
        v = float(val)
        if v < 0 or val.strip() != val or val.lower() in ("nan", "inf", "infinity"):
            raise ValueError
        return v
    except ValueError:
        ctx.eprint(f"curl: option {opt}: expected a proper numerical parameter")
        ctx.eprint(TRY)
        raise Bad()


def parse(ctx, argv: list[str]) -> tuple[dict, list[str]]:
    o: dict = {"H": []}
    urls: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a.startswith("--") and len(a) > 2:
            name, eq, val = a.partition("=")
            key = LONG.get(name)
            if key is None:
                ctx.eprint(f"curl: option {name}: is unknown")
                ctx.eprint(TRY)
                raise Bad()
            if key in LONG_ARG:
                if not eq:
                    if i >= len(argv):
                        ctx.eprint(f"curl: option {name}: requires parameter")
                        ctx.eprint(TRY)
                        raise Bad()
                    val = argv[i]
                    i += 1
                _set(ctx, o, key, name, val, urls)
            else:
                o[key] = True
            continue
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                ch = a[j]
                j += 1
                if ch in SHORT_FLAG:
                    o[ch] = True
                    continue
                if ch in SHORT_ARG:
                    val = a[j:]
                    if not val:
                        if i >= len(argv):
                            ctx.eprint(f"curl: option -{ch}: requires parameter")
                            ctx.eprint(TRY)
                            raise Bad()
                        val = argv[i]
                        i += 1
                    _set(ctx, o, ch, f"-{ch}", val, urls)
                    break
                ctx.eprint(f"curl: option -{a[1:] if len(a) == 2 else ch}: is unknown")
                ctx.eprint(TRY)
                raise Bad()
            continue
        urls.append(a)
    return o, urls


def _set(ctx, o, key, name, val, urls) -> None:
    if key in ("m", "connect-timeout"):
        o[key] = _num(ctx, name, val)
    elif key == "H":
        o["H"].append(val)
    elif key == "url":
        urls.append(val)
    else:
        o[key] = val


def split_url(url: str):
    """(scheme, host, port, path) or raises ValueError(code, text)."""
    scheme = "http"
    rest = url
    if "://" in url:
        scheme, rest = url.split("://", 1)
        scheme = scheme.lower()
    if scheme != "http":
        raise ValueError(1, f'Protocol "{scheme}" not supported or disabled in libcurl')
    hostport, slash, path = rest.partition("/")
    path = "/" + path if slash else "/"
    if "?" in hostport:
        hostport, q = hostport.split("?", 1)
        path = "/?" + q
    if "@" in hostport:
        hostport = hostport.rsplit("@", 1)[1]
    host, colon, port = hostport.partition(":")
    if not host:
        raise ValueError(3, "URL using bad/illegal format or missing URL")
    p = 80
    if colon:
        if port == "":
            p = 80
        elif not (port.isascii() and port.isdigit()) or int(port) > 65535:
            raise ValueError(3, "URL using bad/illegal format or missing URL")
        else:
            p = int(port)
    return scheme, host, p, path


@command("curl")
def main(ctx, argv: list[str]) -> int:
    if not argv:
        ctx.eprint(TRY)
        return 2
    try:
        o, urls = parse(ctx, argv)
    except Bad:
        return 2
    if not urls:
        ctx.eprint("curl: no URL specified!")
        ctx.eprint(TRY)
        return 2
    show_err = not o.get("s") or o.get("S")

    def report(code: int, msg: str) -> int:
        if show_err and msg:
            ctx.eprint(f"curl: ({code}) {msg}")
        return code

    try:
        scheme, host, port, path = split_url(urls[0])
    except ValueError as e:
        return report(e.args[0], e.args[1])
    ip = resolve(host)
    if ip is None:
        return report(6, f"Could not resolve host: {host}")
    c = Curl(ctx, o, urls[0])
    c.start(host, ip, port, path)

    def finish() -> int:
        if c.body and o.get("o") is not None and c.code == 0:
            path = o["o"]
            if path != "/dev/null":
                full = path if os.path.isabs(path) else os.path.join(
                    getattr(ctx, "cwd", None) or os.getcwd(), path)
                try:
                    with open(full, "wb") as f:
                        f.write(b"".join(c.body))
                except OSError:
                    return report(23, "Failure writing output to destination")
        if o.get("w") is not None and (c.code == 0 or c.status):
            ctx.print(_write_out(o["w"], c), end="")
        elif o.get("w") is not None:
            ctx.print(_write_out(o["w"], c), end="")
        return report(c.code, c.errmsg) if c.code else 0

    def on_signal(sig):
        c.end()
        c.code = 128 + sig
        c.errmsg = ""

    return drive(ctx, lambda: c.done, finish, on_signal=on_signal)


def _write_out(fmt: str, c: Curl) -> str:
    vals = {"http_code": f"{c.status:03d}", "response_code": f"{c.status:03d}",
            "size_download": str(c.body_len), "exitcode": str(c.code)}
    out = []
    i = 0
    while i < len(fmt):
        if fmt.startswith("%{", i):
            j = fmt.find("}", i)
            if j > 0:
                out.append(vals.get(fmt[i + 2:j], ""))
                i = j + 1
                continue
        if fmt[i] == "\\" and i + 1 < len(fmt) and fmt[i + 1] in "nrt\\":
            out.append({"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}[fmt[i + 1]])
            i += 2
            continue
        out.append(fmt[i])
        i += 1
    return "".join(out)
