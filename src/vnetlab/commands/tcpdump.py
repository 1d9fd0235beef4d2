"""``tcpdump`` (4.99.3 with libpcap 1.10.3) on the emulator: live capture on a device of the
command's netns through a packet tap (``dev.ptype_all``), reading and writing classic pcap
files (``-r`` / ``-w``), tcpdump's one-line text (``vnetlab.commands.netdissect``) and its
stderr banners, statistics and exit statuses.

How a capture behaves, and why (libpcap on Linux uses a TPACKET_V3 ring):

* The tap sees every frame the device receives (before any rx_handler: a bridge port shows what
  enters the bridge) and every frame it transmits, as AF_PACKET does. The filter expression runs
  "in the kernel": only matching frames count in "packets received by filter"; the outgoing copy
  on ``lo`` and the direction of ``-Q`` are dropped afterwards by libpcap, so they still count.
* Frames reach tcpdump when the kernel retires the ring block: at the next tick of the block
  timer, which runs every 1 s from the start of the capture (every 100 ms with ``-l`` or when
  stdout is a terminal; at once with ``--immediate-mode``). So ``-c N`` ends at that tick, "N
  packets captured" but possibly more "received by filter"; and a capture ended by SIGINT /
  SIGTERM loses the frames of the block not yet retired (exactly what the real tool does), then
  prints an extra newline to stdout (pcap_loop() returned -2).
* Promiscuous mode (unless ``-p``): the device's promiscuity is raised for the capture, which a
  bridge device honours (it then passes flooded unicast up).
* [EMU] Timestamps are the engine's virtual time: a live capture prints them as the time of day
  of ``now`` counted from midnight (UTC, ``00:00:01.234567`` one and a quarter second into the
  run), and ``-w`` writes the same instants as seconds since the epoch, so the real ``tcpdump
  -r`` shows the same times when TZ is UTC. ``-r`` prints file timestamps in local time as the
  real tool does.
* [EMU] "received by filter" counts the frames that matched while the capture ran; the real
  count also depends on when libpcap last read the kernel counters.

Under ``vnetlab sh`` the command runs over real time through ``ctx.spawn`` and ends after ``-c``
frames, or when the shim forwards SIGINT / SIGTERM / SIGHUP (``ctx.on_signal``): the statistics
and the output then reach the script like the real tool's. With ``-l`` (or a terminal) the lines
are streamed as they are printed (``ctx.stream``). Without ``ctx.spawn`` (the Python API) it
drives the engine in virtual time and ends after ``-c`` frames or when nothing is left to happen
(as if interrupted).

Filter expressions: ``ip``, ``arp``, ``rarp``, ``icmp``, ``tcp``, ``udp``, ``ip proto P``,
``[ip|arp|rarp] [src|dst] host A``, ``[src|dst] net N/LEN``, ``[tcp|udp] [src|dst] port P``,
``ether [src|dst|host] MAC``, ``[ether] broadcast``, ``and``/``&&``, ``or``/``||``,
``not``/``!``, parentheses, and a bare address inheriting the previous qualifiers
(``host A or B``). Anything else is refused with a ``vnetlab:`` message.
"""

from __future__ import annotations

import os
import struct

from ..stack.netdev import (ARPHRD_ETHER, ARPHRD_LOOPBACK, IFF_LOOPBACK, IFF_UP,
                            dev_set_promiscuity)
from ..trace import pcap
from ..wire.ipv6 import aton as ip6_aton
from . import Exit, command
from .netdissect import Ndo, Resolver, pretty_print_packet

PROG = "tcpdump"
VERSION = ("tcpdump version 4.99.3\nlibpcap version 1.10.3 (with TPACKET_V3)\n"
           "OpenSSL 3.0.19 27 Jan 2026\n")
USAGE = """Usage: tcpdump [-AbdDefhHIJKlLnNOpqStuUvxX#] [ -B size ] [ -c count ] [--count]
\t\t[ -C file_size ] [ -E algo:secret ] [ -F file ] [ -G seconds ]
\t\t[ -i interface ] [ --immediate-mode ] [ -j tstamptype ]
\t\t[ -M secret ] [ --number ] [ --print ] [ -Q in|out|inout ]
\t\t[ -r file ] [ -s snaplen ] [ -T type ] [ --version ]
\t\t[ -V file ] [ -w file ] [ -W filecount ] [ -y datalinktype ]
\t\t[ --time-stamp-precision precision ] [ --micro ] [ --nano ]
\t\t[ -z postrotate-command ] [ -Z user ] [ expression ]
"""

# getopt(3) string of tcpdump 4.99 on Linux
SHORTOPTS = "aAbB:c:C:dDeE:fF:G:hHi:IjJ:KlLm:M:nNOpqQ:r:s:StT:uUvV:w:W:xXy:Yz:Z:#"
LONGOPTS = {"buffer-size": "B", "count": "count", "interface": "i",
            "immediate-mode": "immediate", "list-interfaces": "D",
            "no-promiscuous-mode": "p", "number": "#", "print": "print", "direction": "Q",
            "snapshot-length": "s", "version": "version", "micro": "micro", "nano": "nano",
            "time-stamp-precision": "tsprec", "relinquish-privileges": "Z",
            "list-time-stamp-types": "J", "time-stamp-type": "j", "fp-type": "fp"}
LONG_WITH_ARG = {"buffer-size", "interface", "direction", "snapshot-length",
                 "time-stamp-precision", "relinquish-privileges", "time-stamp-type"}
# options that change the output in ways the emulator does not reproduce
UNSUPPORTED = {"A", "b", "B", "C", "d", "D", "E", "f", "F", "G", "H", "I", "j", "J", "K", "L",
               "m", "M", "N", "O", "T", "u", "v", "V", "W", "y", "Y", "z", "Z", "nano",
               "tsprec", "fp", "count"}

NSEC_PER_SEC = 1_000_000_000


class Opts:
    def __init__(self):
        self.device = None
        self.count = 0
        self.eflag = self.nflag = self.qflag = self.Sflag = self.tflag = 0
        self.xflag = self.Xflag = 0
        self.lflag = False
        self.pflag = False
        self.Uflag = False
        self.immediate = False
        self.number = False
        self.print = False
        self.direction = None         # "in" / "out" / None (inout)
        self.snaplen = 0
        self.rfile = None
        self.wfile = None
        self.expr: list[str] = []


def _error(ctx, msg: str, code: int = 1):
    """tcpdump's error(): ``tcpdump: MSG`` and exit 1."""
    ctx.eprint(f"{PROG}: {msg}")
    raise Exit(code)


def _usage_error(ctx, msg: str):
    ctx.eprint(f"{PROG}: {msg}")
    ctx.eprint(VERSION + USAGE, end="")
    raise Exit(1)


def _atoi(s: str) -> int:
    s = s.lstrip(" \t\n\r\f\v")
    i = 1 if s[:1] in ("+", "-") else 0
    while i < len(s) and (s[i].isascii() and s[i].isdigit()):
        i += 1
    try:
        v = int(s[:i])
    except ValueError:
        return 0
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >> 31 else v


def parse_args(ctx, argv: list[str]) -> Opts:
    """getopt_long() as glibc runs it for tcpdump (options may follow the expression)."""
    o = Opts()
    opts: list[tuple[str, str | None]] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            rest += argv[i + 1:]
            break
        if a.startswith("--") and len(a) > 2:
            name, eq, val = a[2:].partition("=")
            cands = [k for k in LONGOPTS if k.startswith(name)]
            exact = [k for k in cands if k == name]
            if exact:
                cands = exact
            if not cands:
                _usage_error(ctx, f"unrecognized option '{a}'")
            if len(cands) > 1:
                _usage_error(ctx, f"option '{a}' is ambiguous; possibilities:" +
                             "".join(f" '--{c}'" for c in cands))
            key = cands[0]
            if key in LONG_WITH_ARG:
                if not eq:
                    i += 1
                    if i >= len(argv):
                        _usage_error(ctx, f"option '--{key}' requires an argument")
                    val = argv[i]
            elif eq:
                _usage_error(ctx, f"option '--{key}' doesn't allow an argument")
            opts.append((LONGOPTS[key], val if key in LONG_WITH_ARG else None))
        elif a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                ch = a[j]
                k = SHORTOPTS.find(ch)
                if k < 0 or ch == ":":
                    _usage_error(ctx, f"invalid option -- '{ch}'")
                if SHORTOPTS[k + 1:k + 2] == ":":
                    val = a[j + 1:]
                    if not val:
                        i += 1
                        if i >= len(argv):
                            _usage_error(ctx, f"option requires an argument -- '{ch}'")
                        val = argv[i]
                    opts.append((ch, val))
                    break
                opts.append((ch, None))
                j += 1
        else:
            rest.append(a)
        i += 1
    for ch, val in opts:
        if ch == "c":
            o.count = _atoi(val)
            if o.count <= 0:
                _error(ctx, f"invalid packet count {val}")
        elif ch == "e":
            o.eflag += 1
        elif ch == "h":
            ctx.print(VERSION + USAGE, end="")
            raise Exit(0)
        elif ch == "version":
            ctx.print(VERSION, end="")
            raise Exit(0)
        elif ch == "i":
            o.device = val
        elif ch == "l":
            o.lflag = True
        elif ch == "n":
            o.nflag += 1
        elif ch == "p":
            o.pflag = True
        elif ch == "q":
            o.qflag += 1
        elif ch == "Q":
            d = val.lower()
            if d not in ("in", "out", "inout"):
                _error(ctx, f"unknown capture direction `{val}'")
            o.direction = None if d == "inout" else d
        elif ch == "r":
            o.rfile = val
        elif ch == "s":
            try:
                n = int(val, 0)
            except ValueError:
                n = -1
            if not 0 <= n <= pcap.DEFAULT_SNAPLEN:
                _error(ctx, f"invalid snaplen {val} (must be >= 0 and <= "
                            f"{pcap.DEFAULT_SNAPLEN})")
            o.snaplen = n
        elif ch == "S":
            o.Sflag += 1
        elif ch == "t":
            o.tflag += 1
        elif ch == "U":
            o.Uflag = True
        elif ch == "w":
            o.wfile = val
        elif ch == "x":
            o.xflag += 1
        elif ch == "X":
            o.Xflag += 1
        elif ch == "#":
            o.number = True
        elif ch == "immediate":
            o.immediate = True
        elif ch == "print":
            o.print = True
        elif ch == "micro":
            pass
        elif ch in UNSUPPORTED:
            flag = f"--{[k for k, v in LONGOPTS.items() if v == ch][0]}" if len(ch) > 1 \
                else f"-{ch}"
            _error(ctx, f"vnetlab: option {flag} is not emulated", 1)
        else:   # -a (obsolete, ignored)
            pass
    o.expr = rest
    return o


# =============================================================================================
# the filter (libpcap's gencode, for the primitives listed in the module docstring)
# =============================================================================================

class FilterError(Exception):
    pass


def _ip4(frame: bytes):
    """(offset of the IPv4 header, header) for an untagged IPv4 frame, else None."""
    if len(frame) >= 34 and frame[12] == 0x08 and frame[13] == 0x00:
        return frame
    return None


def _is_type(t: int):
    return lambda f: len(f) >= 14 and (f[12] << 8 | f[13]) == t


class FilterCompiler:
    """A recursive-descent parser of the pcap-filter grammar subset, producing a predicate on
    frame bytes (DLT_EN10MB, untagged, as libpcap's generated code checks)."""

    PROTOS = ("ether", "ip", "arp", "rarp", "tcp", "udp", "icmp", "ip6", "icmp6")

    def __init__(self, words: list[str], resolver: Resolver):
        self.toks = self._lex(" ".join(words))
        if any(c in t for t in self.toks for c in "[]<>=") or any(
                t in ("+", "-", "*", "/", "&", "|", "%", "^") for t in self.toks):
            raise FilterError("vnetlab: filter expressions on packet bytes ([...]) and "
                              "arithmetic are not emulated")
        self.i = 0
        self.resolver = resolver
        self.last = (None, None, "host")

    @staticmethod
    def _lex(s: str) -> list[str]:
        out, i = [], 0
        while i < len(s):
            c = s[i]
            if c.isspace():
                i += 1
            elif c in "()":
                out.append(c)
                i += 1
            elif s.startswith("&&", i) or s.startswith("||", i):
                out.append(s[i:i + 2])
                i += 2
            elif c == "!":
                out.append("!")
                i += 1
            else:
                j = i
                while j < len(s) and not s[j].isspace() and s[j] not in "()!" and \
                        not s.startswith("&&", j) and not s.startswith("||", j):
                    j += 1
                out.append(s[i:j])
                i = j
        return out

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self):
        t = self.peek()
        if t is None:
            raise FilterError("can't parse filter expression: syntax error")
        self.i += 1
        return t

    def compile(self):
        if not self.toks:
            return None
        fn = self.expr()
        if self.peek() is not None:
            raise FilterError("can't parse filter expression: syntax error")
        return fn

    def expr(self):
        fn = self.term()
        while self.peek() in ("or", "||"):
            self.take()
            a, b = fn, self.term()
            fn = (lambda a, b: lambda f: a(f) or b(f))(a, b)
        return fn

    def term(self):
        fn = self.unary()
        while self.peek() in ("and", "&&"):
            self.take()
            a, b = fn, self.unary()
            fn = (lambda a, b: lambda f: a(f) and b(f))(a, b)
        return fn

    def unary(self):
        t = self.peek()
        if t in ("not", "!"):
            self.take()
            a = self.unary()
            return lambda f: not a(f)
        if t == "(":
            self.take()
            fn = self.expr()
            if self.take() != ")":
                raise FilterError("can't parse filter expression: syntax error")
            return fn
        return self.primitive()

    def primitive(self):
        proto = dirq = typ = None
        t = self.peek()
        if t is None or t in (")", "and", "or", "&&", "||"):
            raise FilterError("can't parse filter expression: syntax error")
        if t in self.PROTOS:
            proto = self.take()
            nxt = self.peek()
            if nxt in (None, ")", "and", "or", "&&", "||"):
                return self._proto_only(proto)
            if proto == "ip" and nxt == "proto":
                self.take()
                return self._ip_proto(self.take())
            if proto == "ether" and nxt == "broadcast":
                self.take()
                return lambda f: f[:6] == b"\xff" * 6
            if proto == "ip6" and nxt == "multicast":
                self.take()
                return lambda f: _ip6(f) and f[38] == 0xFF
        if self.peek() in ("src", "dst"):
            dirq = self.take()
        if self.peek() in ("host", "net", "port"):
            typ = self.take()
        if proto is None and dirq is None and typ is None:
            if t == "broadcast":
                self.take()
                return lambda f: f[:6] == b"\xff" * 6
            if t in ("host", "net", "port", "src", "dst", "proto", "portrange", "less",
                     "greater", "vlan", "gateway", "multicast", "len"):
                raise FilterError(f"vnetlab: the filter primitive '{t}' is not emulated")
            if not ((t[:1].isascii() and t[:1].isdigit()) or t[:1].isalpha()):
                raise FilterError("can't parse filter expression: syntax error")
            proto, dirq, typ = self.last                 # a bare id: previous qualifiers
        self.last = (proto, dirq, typ or "host")
        arg = self.take()
        if arg in (")", "and", "or", "&&", "||", "not", "!", "("):
            raise FilterError("can't parse filter expression: syntax error")
        typ = typ or "host"
        if proto == "ether":
            return self._ether(dirq, arg)
        if typ == "port":
            return self._port(proto, dirq, arg)
        if typ == "net":
            return self._net(proto, dirq, arg)
        return self._host(proto, dirq, arg)

    # -- primitives --------------------------------------------------------------------------
    @staticmethod
    def _proto_only(proto: str):
        if proto == "ip":
            return _is_type(0x0800)
        if proto == "arp":
            return _is_type(0x0806)
        if proto == "rarp":
            return _is_type(0x8035)
        if proto == "ether":
            raise FilterError("can't parse filter expression: syntax error")
        if proto == "ip6":
            return _ip6
        if proto == "icmp6":
            return lambda f: _ip6_proto(f, 58)
        num = {"icmp": 1, "tcp": 6, "udp": 17}[proto]
        if num == 1:
            return lambda f: _ip4(f) is not None and f[23] == num
        # libpcap's gen_proto(): IPv4, or IPv6 with the protocol as next header (directly or
        # after a fragment header)
        return lambda f: (_ip4(f) is not None and f[23] == num) or _ip6_proto(f, num)

    def _ip_proto(self, arg: str):
        num = {"icmp": 1, "tcp": 6, "udp": 17, "igmp": 2, "ipip": 4}.get(arg)
        if num is None:
            if not (arg.isascii() and arg.isdigit()):
                raise FilterError(f"unknown ip proto '{arg}'")
            num = int(arg)
            if num > 255:
                raise FilterError(f"ip proto {num} > 255")
        return lambda f: _ip4(f) is not None and f[23] == num

    def _addr(self, arg: str) -> bytes:
        parts = arg.split(".")
        if parts and all((p.isascii() and p.isdigit()) for p in parts) and (arg[:1].isascii() and arg[:1].isdigit()):
            if len(parts) != 4 or any(int(p) > 255 for p in parts):
                raise FilterError(f"invalid IPv4 address '{arg}'")
            return bytes(int(p) for p in parts)
        if (arg[:1].isascii() and arg[:1].isdigit()) and all((c.isascii() and c.isdigit()) or c == "." for c in arg):
            raise FilterError(f"invalid IPv4 address '{arg}'")
        for line_addr, name in self._hosts():
            if name == arg:
                return line_addr
        raise FilterError(f"unknown host '{arg}'")

    def _hosts(self):
        for fields in self.resolver._lines("hosts"):
            try:
                a = bytes(int(x) for x in fields[0].split("."))
            except ValueError:
                continue
            if len(a) == 4:
                for name in fields[1:]:
                    yield a, name

    def _host(self, proto, dirq, arg: str):
        if ":" in arg:
            try:
                a6 = ip6_aton(arg)
            except ValueError:
                raise FilterError(f"invalid ip6 address {arg}") from None
            return self._match_ip6(proto, dirq, lambda x: x == a6)
        a = self._addr(arg)
        return self._match_ip(proto, dirq, lambda x: x == a)

    @staticmethod
    def _match_ip6(proto, dirq, test):
        if proto in ("tcp", "udp", "icmp", "icmp6"):
            raise FilterError(f"'{proto}' modifier applied to host")
        if proto not in (None, "ip6"):
            raise FilterError(f"'{proto}' modifier applied to ip6 host")

        def m(f):
            if not _ip6(f):
                return False
            s, d = f[22:38], f[38:54]
            if dirq == "src":
                return test(s)
            if dirq == "dst":
                return test(d)
            return test(s) or test(d)
        return m

    def _net(self, proto, dirq, arg: str):
        addr, slash, plen = arg.partition("/")
        if not addr or (slash and not (plen.isascii() and plen.isdigit())):
            raise FilterError("can't parse filter expression: syntax error")
        if ":" in addr:
            try:
                a6 = int.from_bytes(ip6_aton(addr), "big")
            except ValueError:
                raise FilterError(f"invalid ip6 address {addr}") from None
            bits = int(plen) if plen else 128
            if bits > 128:
                raise FilterError("mask length must be <= 128")
            mask6 = ((1 << 128) - 1) ^ ((1 << (128 - bits)) - 1)
            if a6 & ~mask6:
                raise FilterError("non-network bits set in \"%s\"" % arg)
            return self._match_ip6(proto, dirq,
                                   lambda x: int.from_bytes(x, "big") & mask6 == a6)
        parts = addr.split(".")
        if not all(p.isascii() and p.isdigit() for p in parts) or len(parts) > 4 or \
                any(int(p) > 255 for p in parts):
            raise FilterError(f"invalid IPv4 address '{addr}'")
        base = bytes(int(p) for p in parts) + b"\x00" * (4 - len(parts))
        bits = int(plen) if plen else 8 * len(parts)
        if bits > 32:
            raise FilterError("mask length must be <= 32")
        mask = (0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF
        net = int.from_bytes(base, "big")
        if net & ~mask & 0xFFFFFFFF:
            raise FilterError("non-network bits set in \"%s\"" % arg)
        return self._match_ip(proto, dirq, lambda x: int.from_bytes(x, "big") & mask == net)

    @staticmethod
    def _match_ip(proto, dirq, test):
        def ip_m(f):
            if _ip4(f) is None:
                return False
            s, d = f[26:30], f[30:34]
            if dirq == "src":
                return test(s)
            if dirq == "dst":
                return test(d)
            return test(s) or test(d)

        def arp_m(f, t):
            if len(f) < 42 or (f[12] << 8 | f[13]) != t:
                return False
            s, d = f[28:32], f[38:42]
            if dirq == "src":
                return test(s)
            if dirq == "dst":
                return test(d)
            return test(s) or test(d)

        if proto in ("tcp", "udp", "icmp"):
            raise FilterError(f"'{proto}' modifier applied to host")
        if proto == "ip":
            return ip_m
        if proto == "arp":
            return lambda f: arp_m(f, 0x0806)
        if proto == "rarp":
            return lambda f: arp_m(f, 0x8035)
        return lambda f: ip_m(f) or arp_m(f, 0x0806) or arp_m(f, 0x8035)

    def _port(self, proto, dirq, arg: str):
        if (arg.isascii() and arg.isdigit()):
            port = int(arg)
            if port > 65535:
                raise FilterError(f"illegal port number {port} > 65535")
        else:
            port = None
            for pr in ("tcp", "udp"):
                got = _service_port(self.resolver, arg, pr)
                if got is not None:
                    port = got
                    break
            if port is None:
                raise FilterError(f"unknown port '{arg}'")
        if proto in ("arp", "rarp", "icmp", "ether"):
            raise FilterError("illegal qualifier of 'port'")
        nums = {"tcp": (6,), "udp": (17,)}.get(proto, (6, 17, 132))

        def ports(sp, dp):
            if dirq == "src":
                return sp == port
            if dirq == "dst":
                return dp == port
            return sp == port or dp == port

        def m(f):
            if proto != "ip" and _ip6(f):          # libpcap gen_port6(): no fragment check
                if f[20] not in nums or len(f) < 58:
                    return False
                return ports(*struct.unpack_from("!HH", f, 54))
            if proto == "ip6":
                return False
            if _ip4(f) is None or f[23] not in nums:
                return False
            if struct.unpack_from("!H", f, 20)[0] & 0x1FFF:
                return False
            off = 14 + (f[14] & 0x0F) * 4
            if len(f) < off + 4:
                return False
            sp, dp = struct.unpack_from("!HH", f, off)
            if dirq == "src":
                return sp == port
            if dirq == "dst":
                return dp == port
            return sp == port or dp == port
        return m

    def _ether(self, dirq, arg: str):
        from ..wire.ethernet import mac_parse
        try:
            mac = mac_parse(arg)
        except Exception:
            raise FilterError(f"unknown ether host '{arg}'") from None
        if dirq == "src":
            return lambda f: f[6:12] == mac
        if dirq == "dst":
            return lambda f: f[:6] == mac
        return lambda f: f[:6] == mac or f[6:12] == mac


def _ip6(f: bytes) -> bool:
    return len(f) >= 54 and f[12] == 0x86 and f[13] == 0xDD


def _ip6_proto(f: bytes, num: int) -> bool:
    """libpcap gen_proto() for Q_IPV6: the next header is ``num``, or a fragment header whose
    next header is ``num`` (other extension headers are not skipped: an MLD report after a
    hop-by-hop header is not ``icmp6``)."""
    if not _ip6(f):
        return False
    return f[20] == num or (f[20] == 44 and len(f) > 54 and f[54] == num)


def _service_port(resolver: Resolver, name: str, proto: str) -> int | None:
    for fields in resolver._lines("services"):
        if len(fields) >= 2 and "/" in fields[1]:
            num, _, pr = fields[1].partition("/")
            if pr == proto and (fields[0] == name or name in fields[2:]) and (num.isascii() and num.isdigit()):
                return int(num)
    return None


def compile_filter(ctx, words: list[str], resolver: Resolver):
    try:
        return FilterCompiler(words, resolver).compile()
    except FilterError as e:
        _error(ctx, str(e))


# =============================================================================================
# live capture
# =============================================================================================

class Capture:
    """One tcpdump process capturing on ``dev`` (see the module docstring for the timing)."""

    def __init__(self, ctx, o: Opts, dev, flt, ndo: Ndo, wfile, tov_ns: int):
        self.ctx = ctx
        self.o = o
        self.dev = dev
        self.flt = flt
        self.ndo = ndo
        self.wfile = wfile
        self.tov = tov_ns
        self.engine = ctx.lab.engine
        self.t0 = self.engine.now
        self.block: list[tuple[int, bytes]] = []
        self.timer = None
        self.received = 0
        self.captured = 0
        self.done = False
        self.interrupted = False
        self.promisc = False
        self.snaplen = o.snaplen or pcap.DEFAULT_SNAPLEN
        self.ns = dev.ns
        self.error = None

    def start(self) -> None:
        if not self.o.pflag:
            dev_set_promiscuity(self.dev, 1)
            self.promisc = True
        self.dev.ptype_all.append(self.tap)

    # the packet_type.func of the AF_PACKET socket
    def tap(self, skb, dev, is_tx: bool) -> None:
        if self.done or dev.ns is not self.ns:
            return
        data = skb.data
        if self.flt is not None and not self.flt(data):
            return
        self.received += 1
        # libpcap drops outgoing frames on lo, and those of the other direction with -Q, in
        # userland: the kernel has counted them
        if is_tx and dev.flags & IFF_LOOPBACK:
            return
        if self.o.direction == "in" and is_tx or self.o.direction == "out" and not is_tx:
            return
        self.block.append((self.engine.now, data))
        if self.o.immediate:
            self.retire()
        elif self.timer is None:
            now = self.engine.now
            k = (now - self.t0) // self.tov + 1
            self.timer = self.engine.call_at(self.t0 + k * self.tov, self.retire)

    def retire(self) -> None:
        """The block is handed to libpcap: tcpdump prints / writes its frames."""
        self.timer = None
        block, self.block = self.block, []
        for ts, data in block:
            if self.done:
                break
            self.captured += 1
            self.output(ts, data)
            if self.o.count and self.captured >= self.o.count:
                self.done = True

    def output(self, ts: int, data: bytes) -> None:
        sec, rem = divmod(ts, NSEC_PER_SEC)
        cap = data[:self.snaplen]
        if self.wfile is not None:
            self.wfile.write(pcap.record(ts, data, self.snaplen))
            if self.o.Uflag:
                self.wfile.flush()
            if not self.o.print:
                return
        self.ctx.out.append(pretty_print_packet(self.ndo, sec, rem // 1000, cap, len(data),
                                                self.captured))

    def is_done(self) -> bool:
        """Done after -c frames, a signal, or when the device left the netns (unregistered or
        moved): libpcap then reads what the ring holds and fails with "The interface
        disappeared". A device that is merely down keeps the capture going, as on Linux."""
        if not self.done and (self.dev.reg_state != "REGISTERED" or self.dev.ns is not self.ns):
            self.retire()
            if not self.done:
                self.done = True
                self.error = "The interface disappeared"
        return self.done

    def interrupt(self, signum: int = 2) -> None:
        """cleanup() on SIGINT / SIGTERM / SIGHUP: pcap_breakloop(); the frames of the block
        that was not retired yet are never read. SIGPIPE means the reader of stdout is gone: the
        next printf fails and ndo_error() exits at once with status 14."""
        if signum == 13 and self.wfile is None:
            self.error = "write"
        if not self.done:
            self.done = True
            self.interrupted = True

    def finish(self) -> int:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        try:
            self.dev.ptype_all.remove(self.tap)
        except ValueError:
            pass
        if self.promisc and self.dev.reg_state == "REGISTERED":
            dev_set_promiscuity(self.dev, -1)
            self.promisc = False
        if self.error == "write":
            self.ctx.eprint(f"{PROG}: Unable to write output: Broken pipe")
            return 14
        if self.wfile is not None:
            self.wfile.close()
        elif self.interrupted:
            self.ctx.out.append("\n")
        if self.error:
            self.ctx.eprint(f"{PROG}: pcap_loop: {self.error}")
        info(self.ctx, self.captured, self.received)
        return 1 if self.error else 0


def _plural(n: int) -> str:
    return "" if n == 1 else "s"


def info(ctx, captured: int, received: int) -> None:
    """tcpdump.c: info(1)."""
    ctx.eprint(f"{captured} packet{_plural(captured)} captured")
    ctx.eprint(f"{received} packet{_plural(received)} received by filter")
    ctx.eprint("0 packets dropped by kernel")


def _path(ctx, name: str) -> str:
    cwd = getattr(ctx, "cwd", None)
    return os.path.join(cwd, name) if cwd and not os.path.isabs(name) else name


def _figure_of_merit(dev) -> int:
    """libpcap pcap-linux / fad-helpers: get_figure_of_merit() (lower is better)."""
    name = dev.name
    j = len(name)
    while j > 0 and (name[j - 1].isascii() and name[j - 1].isdigit()):
        j -= 1
    n = int(name[j:]) + 1 if j < len(name) else 0
    flags = dev.get_flags()
    if not flags & IFF_UP:
        n |= 0x80000000
    if not flags & 0x40:
        n |= 0x40000000
    if not flags & IFF_LOOPBACK and dev.reported_operstate() == 2:   # IF_OPER_DOWN
        n |= 0x20000000
    if flags & IFF_LOOPBACK:
        n |= 0x10000000
    return n


def default_device(ns):
    """pcap_findalldevs()'s first device (the pseudo-device "any" ranks after every up,
    running, non-loopback one)."""
    devs = sorted(ns.devices, key=lambda d: d.ifindex)
    best = min(devs, key=_figure_of_merit, default=None)
    if best is None or _figure_of_merit(best) > 0x1FFFFFFF:
        return "any"
    return best.name


@command("tcpdump")
def main(ctx, argv: list[str]) -> int:
    o = parse_args(ctx, argv)
    resolver = Resolver()
    ndo = Ndo(eflag=o.eflag, nflag=o.nflag, qflag=o.qflag, Sflag=o.Sflag, tflag=o.tflag,
              xflag=o.xflag, Xflag=o.Xflag, packet_number=o.number, resolver=resolver)
    if o.rfile is not None:
        return read_file(ctx, o, ndo, resolver)
    ndo.utc = True                          # virtual time, counted from midnight UTC
    ns = ctx.ns
    name = o.device or default_device(ns)
    if name == "any":
        _error(ctx, "vnetlab: capturing on the \"any\" device is not emulated")
    dev = ns.by_name.get(name)
    if dev is None and (name.isascii() and name.isdigit()) and int(name) > 0:
        devs = sorted(ns.devices, key=lambda d: (_figure_of_merit(d), d.ifindex))
        if int(name) <= len(devs):
            dev = devs[int(name) - 1]
            name = dev.name
        else:
            _error(ctx, "Invalid adapter index")
    if dev is None:
        _error(ctx, f"{name}: No such device exists\n(No such device exists)")
    if not dev.flags & IFF_UP:
        _error(ctx, f"{name}: That device is not up")
    if dev.type not in (ARPHRD_ETHER, ARPHRD_LOOPBACK):
        _error(ctx, f"vnetlab: capturing on a device of link type {dev.type} is not emulated")
    flt = compile_filter(ctx, o.expr, resolver)
    wfile = None
    if o.wfile is not None:
        try:
            wfile = open(_path(ctx, o.wfile), "wb")     # the command layer does the file I/O
        except OSError as e:
            _error(ctx, f"{o.wfile}: {e.strerror}")
        wfile.write(pcap.file_header(o.snaplen or pcap.DEFAULT_SNAPLEN))
        if o.Uflag:
            wfile.flush()
    snap = o.snaplen or pcap.DEFAULT_SNAPLEN
    if o.wfile is None or o.print:
        ctx.eprint(f"{PROG}: verbose output suppressed, use -v[v]... for full protocol decode")
        ctx.eprint(f"listening on {name}, link-type EN10MB (Ethernet), snapshot length {snap} "
                   f"bytes")
    else:
        ctx.eprint(f"{PROG}: listening on {name}, link-type EN10MB (Ethernet), snapshot length "
                   f"{snap} bytes")
    tty = bool(getattr(ctx, "isatty", False))
    tov = 100_000_000 if (o.wfile is None or o.print) and (tty or o.lflag) else NSEC_PER_SEC
    cap = Capture(ctx, o, dev, flt, ndo, wfile, tov)
    cap.start()
    spawn = getattr(ctx, "spawn", None)
    if spawn is not None:
        # under `vnetlab sh`: the server finishes us after -c frames or on a signal
        ctx.on_signal = cap.interrupt
        ctx.stream = bool(o.lflag or tty)
        spawn(ctx, cap.is_done, cap.finish)
        return 0
    eng = ctx.lab.engine
    while not cap.is_done():
        nxt = eng.next_deadline()
        if nxt is None:
            eng.run_now()
            if cap.is_done() or eng.next_deadline() is not None:
                continue
            cap.interrupt()                 # nothing left to happen: as if interrupted
            break
        eng.run_until(nxt)
    return cap.finish()


def read_file(ctx, o: Opts, ndo: Ndo, resolver: Resolver) -> int:
    """``tcpdump -r FILE``: print (or with -w copy) the file's packets."""
    ndo.utc = False
    path = _path(ctx, o.rfile)
    try:
        with open(path, "rb") as f:                   # the command layer does the file I/O
            data = f.read()
    except OSError as e:
        _error(ctx, f"{o.rfile}: {e.strerror}")
    try:
        h = pcap.parse_header(data)
    except pcap.PcapError as e:
        _error(ctx, str(e))
    name, desc = pcap.LINKTYPE_NAMES.get(h.linktype, (None, None))
    if name is None:
        ctx.eprint(f"reading from file {o.rfile}, link-type {h.linktype}, snapshot length "
                   f"{h.snaplen}")
    else:
        ctx.eprint(f"reading from file {o.rfile}, link-type {name} ({desc}), snapshot length "
                   f"{h.snaplen}")
    if h.linktype != pcap.LINKTYPE_ETHERNET:
        _error(ctx, f"vnetlab: reading link-type {h.linktype} is not emulated")
    flt = compile_filter(ctx, o.expr, resolver)
    out = None
    if o.wfile is not None:
        try:
            out = open(_path(ctx, o.wfile), "wb")
        except OSError as e:
            _error(ctx, f"{o.wfile}: {e.strerror}")
        out.write(pcap.file_header(h.snaplen))
    n = 0
    try:
        for r in pcap.records(data):
            if flt is not None and not flt(r.data):
                continue
            n += 1
            usec = r.ts_frac // 1000 if h.nanosecond else r.ts_frac
            if out is not None:
                out.write(pcap.record(r.ts_sec * NSEC_PER_SEC + usec * 1000, r.data,
                                      h.snaplen, r.length))
                if not o.print:
                    if o.count and n >= o.count:
                        break
                    continue
            ctx.out.append(pretty_print_packet(ndo, r.ts_sec, usec, r.data, r.length, n))
            if o.count and n >= o.count:
                break
    except pcap.PcapError as e:
        if out is not None:
            out.close()
        _error(ctx, f"pcap_loop: {e}")
    if out is not None:
        out.close()
    return 0
