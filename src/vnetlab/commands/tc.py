"""``tc`` (iproute2 6.1 tc/): qdisc, filter and the actions the emulator has.

* ``tc [OPTIONS] qdisc {add|change|replace|link|delete|show} ...`` (tc_qdisc.c): parent
  ``root`` / ``ingress`` / ``clsact`` / ``parent H:M``, ``handle H:``, kinds ``tbf`` (q_tbf.c),
  ``netem`` (q_netem.c), ``pfifo_fast`` (no options), ``ingress``, ``clsact``. The option parsers
  turn text into what tc would send (tbf: the tc_tbf_qopt in psched ticks plus BURST/PBURST, as
  tc_core.c computes them from /proc/net/psched: 64 ns ticks), and the printers turn what the
  kernel dumps back into text the way tc does (tc_calc_xmitsize, sprint_size, sprint_time...).
* ``tc [OPTIONS] filter {add|change|replace|delete|show} dev X [ingress|egress|parent P|root]
  [protocol P] [pref N] u32|matchall ...`` (tc_filter.c, f_u32.c, f_matchall.c) with actions
  ``mirred {egress|ingress} {redirect|mirror} dev X`` (m_mirred.c) and gact ``drop``/``pass``/
  ``ok``/``continue``/``pipe``/``reclassify`` (m_gact.c).
* Global options ``-s -d -j -p -r -i -n NETNS -V``; errors are tc's text and exit statuses
  (parse errors 1, NEXT_ARG / unknown words 255, kernel refusals 2 with ``Error: ...`` from the
  extack or ``RTNETLINK answers: ...``; filter refusals add ``We have an error talking to the
  kernel``).
"""

from __future__ import annotations

import math
import re

from . import Exit, command
from .ip.common import JsonRaw, Opts, Printer, get_u16, get_u32, get_u8, matches, \
    strerror
from ..stack import tc as T
from ..stack.errors import KernelError

TIME_UNITS_PER_SEC = 1_000_000
TICK_IN_USEC = 15.625            # /proc/net/psched: t2us 1000, us2t 64, clock_res 1e6
LINKLAYER_ETHERNET = 1
LINKLAYER_ATM = 2

ETH_PROTOS = {"all": 0x0003, "ip": 0x0800, "arp": 0x0806, "ipv6": 0x86DD, "802_3": 0x0001,
              "802.1Q": 0x8100, "802.1ad": 0x88A8, "rarp": 0x8035, "mpls_uc": 0x8847,
              "mpls_mc": 0x8848, "lldp": 0x88CC, "loop": 0x0060, "pup": 0x0200, "x25": 0x0805,
              "ieeepup": 0x0A00, "dec": 0x6000, "ipx": 0x8137, "atalk": 0x809B,
              "802_2": 0x0004, "snap": 0x0005, "tipc": 0x88CA, "8021ah": 0x88E7,
              "macsec": 0x88E5}
ETH_PROTO_NAMES = {v: k for k, v in ETH_PROTOS.items()}

USAGE = (
    "Usage:\ttc [ OPTIONS ] OBJECT { COMMAND | help }\n"
    "\ttc [-force] -batch filename\n"
    "where  OBJECT := { qdisc | class | filter | chain |\n"
    "\t\t    action | monitor | exec }\n"
    "       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[aw] |\n"
    "\t\t    -o[neline] | -j[son] | -p[retty] | -c[olor]\n"
    "\t\t    -b[atch] [filename] | -n[etns] name | -N[umeric] |\n"
    "\t\t     -nm | -nam[es] | { -cf | -conf } path\n"
    "\t\t     -br[ief] }\n")

QDISC_USAGE = (
    "Usage: tc qdisc [ add | del | replace | change | show ] dev STRING\n"
    "       [ handle QHANDLE ] [ root | ingress | clsact | parent CLASSID ]\n"
    "       [ estimator INTERVAL TIME_CONSTANT ]\n"
    "       [ stab [ help | STAB_OPTIONS] ]\n"
    "       [ ingress_block BLOCK_INDEX ] [ egress_block BLOCK_INDEX ]\n"
    "       [ [ QDISC_KIND ] [ help | OPTIONS ] ]\n"
    "\n"
    "       tc qdisc { show | list } [ dev STRING ] [ QDISC_ID ] [ invisible ]\n"
    "Where:\n"
    "QDISC_KIND := { [p|b]fifo | tbf | prio | cbq | red | etc. }\n"
    "OPTIONS := ... try tc qdisc add <desired QDISC_KIND> help\n"
    "STAB_OPTIONS := ... try tc qdisc add stab help\n"
    "QDISC_ID := { root | ingress | handle QHANDLE | parent CLASSID }\n")

FILTER_USAGE = (
    "Usage: tc filter [ add | del | change | replace | show ] [ dev STRING ]\n"
    "       tc filter [ add | del | change | replace | show ] [ block BLOCK_INDEX ]\n"
    "       tc filter get dev STRING parent CLASSID protocol PROTO handle FILTERID pref PRIO FILTER_TYPE\n"
    "       tc filter get block BLOCK_INDEX protocol PROTO handle FILTERID pref PRIO FILTER_TYPE\n"
    "       [ pref PRIO ] protocol PROTO [ chain CHAIN_INDEX ]\n"
    "       [ estimator INTERVAL TIME_CONSTANT ]\n"
    "       [ root | ingress | egress | parent CLASSID ]\n"
    "       [ handle FILTERID ] [ [ FILTER_TYPE ] [ help | OPTIONS ] ]\n"
    "\n"
    "       tc filter show [ dev STRING ] [ root | ingress | egress | parent CLASSID ]\n"
    "       tc filter show [ block BLOCK_INDEX ]\n"
    "Where:\n"
    "FILTER_TYPE := { u32 | bpf | fw | route | etc. }\n"
    "FILTERID := ... format depends on classifier, see there\n"
    "OPTIONS := ... try tc filter add <desired FILTER_KIND> help\n")

TBF_USAGE = ("Usage: ... tbf limit BYTES burst BYTES[/BYTES] rate KBPS [ mtu BYTES[/BYTES] ]\n"
             "\t[ peakrate KBPS ] [ latency TIME ] [ overhead BYTES ] [ linklayer TYPE ]\n")

GACT_USAGE = ("Usage: ... gact <ACTION> [RAND] [INDEX]\n"
              "Where: \tACTION := reclassify | drop | continue | pass | pipe |\n"
              "       \t          goto chain <CHAIN_INDEX> | jump <JUMP_COUNT>\n"
              "\tRAND := random <RANDTYPE> <ACTION> <VAL>\n"
              "\tRANDTYPE := netrand | determ\n"
              "\tVAL : = value not exceeding 10000\n"
              "\tJUMP_COUNT := Absolute jump from start of action list\n"
              "\tINDEX := index value used\n"
              "\n")

NETEM_USAGE = (
    "Usage: ... netem [ limit PACKETS ]\n"
    "                 [ delay TIME [ JITTER [CORRELATION]]]\n"
    "                 [ distribution {uniform|normal|pareto|paretonormal} ]\n"
    "                 [ corrupt PERCENT [CORRELATION]]\n"
    "                 [ duplicate PERCENT [CORRELATION]]\n"
    "                 [ loss random PERCENT [CORRELATION]]\n"
    "                 [ loss state P13 [P31 [P32 [P23 P14]]]\n"
    "                 [ loss gemodel PERCENT [R [1-H [1-K]]]\n"
    "                 [ ecn ]\n"
    "                 [ reorder PERCENT [CORRELATION] [ gap DISTANCE ]]\n"
    "                 [ rate RATE [PACKETOVERHEAD] [CELLSIZE] [CELLOVERHEAD]]\n"
    "                 [ slot MIN_DELAY [MAX_DELAY] [packets MAX_PACKETS] [bytes MAX_BYTES]]\n"
    "                 [ slot distribution {uniform|normal|pareto|paretonormal|custom}\n"
    "                   DELAY JITTER [packets MAX_PACKETS] [bytes MAX_BYTES]]\n")


class DupKey(str):
    """A JSON key tc may print more than once in one object (u32 "match")."""

    __hash__ = object.__hash__

    def __eq__(self, other):
        return self is other


class TcOpts(Opts):
    def __init__(self):
        super().__init__()
        self.raw = 0
        self.iec = 0


# =============================================================================================
# number parsing and printing (lib/utils.c, tc/tc_core.c, tc/tc_util.c, lib/json_print.c)
# =============================================================================================

_FLOAT = re.compile(r"[ \t\n\r\f\v]*([+-]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
                    r"|inf(?:inity)?|nan))", re.I)


def strtod(s: str) -> tuple[float, str] | None:
    """C strtod(): (value, rest) or None when nothing converts."""
    m = _FLOAT.match(s)
    if not m:
        return None
    t = m.group(1)
    try:
        v = float(int(t, 16)) if t.lower().lstrip("+-").startswith("0x") else float(t)
        if t.startswith("-") and t.lower().lstrip("+-").startswith("0x"):
            v = -float(int(t[1:], 16))
    except ValueError:
        return None
    return v, s[m.end():]


def _u32(v: float) -> int:
    """C's conversion of a double to unsigned (truncation; wraps like x86 for our ranges)."""
    if v != v or v in (math.inf, -math.inf):
        return 0
    return int(v) & 0xFFFFFFFF


def get_size(s: str) -> int | None:
    r = strtod(s)
    if r is None:
        return None
    sz, p = r
    if p:
        pl = p.lower()
        if pl in ("kb", "k"):
            sz *= 1024
        elif pl in ("gb", "g"):
            sz *= 1024 * 1024 * 1024
        elif pl == "gbit":
            sz *= 1024 * 1024 * 1024 / 8
        elif pl in ("mb", "m"):
            sz *= 1024 * 1024
        elif pl == "mbit":
            sz *= 1024 * 1024 / 8
        elif pl == "kbit":
            sz *= 1024 / 8
        elif pl != "b":
            return None
    return _u32(sz)


def get_size_and_cell(s: str) -> tuple[int, int] | None:
    """(size, cell_log or -1)."""
    cell_log = -1
    if "/" in s:
        s, cell = s.split("/", 1)
        size = get_size(s)
        if size is None:
            return None
        from .ip.common import get_integer
        c = get_integer(cell, 0)
        if c is None:
            return None
        for i in range(32):
            if (1 << i) == c:
                return size, i
        return None
    size = get_size(s)
    if size is None:
        return None
    return size, cell_log


_RATE_SUFFIXES = (("bit", 1.), ("Kibit", 1024.), ("kbit", 1000.), ("mibit", 1024. * 1024.),
                  ("mbit", 1000000.), ("gibit", 1024. ** 3), ("gbit", 1e9),
                  ("tibit", 1024. ** 4), ("tbit", 1e12), ("Bps", 8.), ("KiBps", 8. * 1024.),
                  ("KBps", 8000.), ("MiBps", 8. * 1024 * 1024), ("MBps", 8e6),
                  ("GiBps", 8. * 1024 ** 3), ("GBps", 8e9), ("TiBps", 8. * 1024 ** 4),
                  ("TBps", 8e12))


def get_rate64(s: str) -> int | None:
    r = strtod(s)
    if r is None:
        return None
    bps, p = r
    for name, scale in _RATE_SUFFIXES:
        if name.lower() == p.lower():
            bps *= scale
            p = ""
            break
    if p:
        return None
    bps /= 8
    if bps != bps or bps < 0 or bps == math.inf:
        return None
    return int(bps) & 0xFFFFFFFFFFFFFFFF


def get_time(s: str) -> int | None:
    """get_time(): microseconds (unsigned)."""
    r = strtod(s)
    if r is None:
        return None
    t, p = r
    if p:
        pl = p.lower()
        if pl in ("s", "sec", "secs"):
            t *= TIME_UNITS_PER_SEC
        elif pl in ("ms", "msec", "msecs"):
            t *= TIME_UNITS_PER_SEC / 1000
        elif pl in ("us", "usec", "usecs"):
            t *= 1
        else:
            return None
    return _u32(t)


def get_time64(s: str) -> int | None:
    """get_time64(): nanoseconds (signed 64)."""
    r = strtod(s)
    if r is None:
        return None
    t, p = r
    if p:
        pl = p.lower()
        if pl in ("s", "sec", "secs"):
            t *= 1e9
        elif pl in ("ms", "msec", "msecs"):
            t *= 1e6
        elif pl in ("us", "usec", "usecs"):
            t *= 1e3
        elif pl in ("ns", "nsec", "nsecs"):
            t *= 1
        else:
            return None
    if t != t or abs(t) == math.inf:
        return None
    return int(t)


def time2tick(t: int) -> int:
    return _u32(t * TICK_IN_USEC)


def tick2time(tick: int) -> int:
    return _u32(tick / TICK_IN_USEC)


def calc_xmittime(rate: int, size: int) -> int:
    """tc_calc_xmittime(): ticks to send ``size`` bytes at ``rate`` B/s."""
    return time2tick(_u32(TIME_UNITS_PER_SEC * (size / rate)))


def calc_xmitsize(rate: int, ticks: int) -> int:
    return _u32(rate * tick2time(ticks) / TIME_UNITS_PER_SEC)


def sprint_rate(rate: int, iec: bool = False) -> str:
    kilo = 1024 if iec else 1000
    s = "i" if iec else ""
    units = ("", "K", "M", "G", "T")
    rate = (rate << 3) & 0xFFFFFFFFFFFFFFFF
    i = 0
    while i < len(units) - 1:
        if rate < kilo:
            break
        if rate % kilo and rate < 1000 * kilo:
            break
        rate //= kilo
        i += 1
    return "%.0f%s%sbit" % (rate, units[i], s)


def _g(v: float, prec: int = 6) -> str:
    return "%.*g" % (prec, v)


def sprint_size(sz: int) -> str:
    sz &= 0xFFFFFFFF
    if sz >= 1024 * 1024 and abs(1024 * 1024 * round_half_even(sz / (1024 * 1024)) - sz) < 1024:
        return _g(round_half_even(sz / (1024 * 1024))) + "Mb"
    if sz >= 1024 and abs(1024 * round_half_even(sz / 1024) - sz) < 16:
        return _g(round_half_even(sz / 1024)) + "Kb"
    return "%ub" % sz


def round_half_even(x: float) -> float:
    """C rint() in the default rounding mode."""
    return float(round(x))


def sprint_time(t: int) -> str:
    t &= 0xFFFFFFFF
    if t >= TIME_UNITS_PER_SEC:
        return _g(t / TIME_UNITS_PER_SEC, 3) + "s"
    if t >= TIME_UNITS_PER_SEC / 1000:
        return _g(t / (TIME_UNITS_PER_SEC / 1000), 3) + "ms"
    return "%uus" % t


def sprint_time64(ns: int) -> str:
    """print_time64(): nanoseconds."""
    if ns >= 1_000_000_000:
        return _g(ns / 1e9, 3) + "s"
    if ns >= 1_000_000:
        return _g(ns / 1e6, 3) + "ms"
    if ns >= 1_000:
        return _g(ns / 1e3, 3) + "us"
    return "%dns" % ns


def sprint_classid(h: int) -> str:
    if h == T.TC_H_ROOT:
        return "root"
    if h == 0:
        return "none"
    if h & 0xFFFF0000 == 0:
        return ":%x" % (h & 0xFFFF)
    if h & 0xFFFF == 0:
        return "%x:" % (h >> 16)
    return "%x:%x" % (h >> 16, h & 0xFFFF)


def get_qdisc_handle(s: str) -> int | None:
    if s == "none":
        return 0
    m = re.match(r"[ \t]*([+-]?)(?:0[xX])?([0-9a-fA-F]+)", s)
    if not m:
        return None
    maj = int(m.group(2), 16)
    if m.group(1) == "-":
        maj = (-maj) & 0xFFFFFFFFFFFFFFFF
    rest = s[m.end():]
    if maj >= 1 << 16:
        return None
    if rest and rest[0] != ":":
        return None
    return maj << 16


def get_tc_classid(s: str) -> int | None:
    if s == "root":
        return T.TC_H_ROOT
    if s == "none":
        return 0
    m = re.match(r"[ \t]*(?:0[xX])?([0-9a-fA-F]*)", s)
    digits = m.group(1)
    rest = s[m.end():]
    if not digits:
        maj = 0
        if not rest.startswith(":"):
            return None
    else:
        maj = int(digits, 16)
    if rest.startswith(":"):
        if maj >= 1 << 16:
            return None
        maj <<= 16
        rest = rest[1:]
        m2 = re.match(r"[ \t]*(?:0[xX])?([0-9a-fA-F]*)", rest)
        mn = int(m2.group(1), 16) if m2.group(1) else 0
        if rest[m2.end():]:
            return None
        if mn >= 1 << 16:
            return None
        return maj | mn
    if rest:
        return None
    return maj


def ll_proto_a2n(s: str) -> int | None:
    for name, v in ETH_PROTOS.items():
        if name.lower() == s.lower():
            return v
    v = get_u16(s, 0)
    if v is None:
        return None
    return v


def ll_proto_n2a(p: int) -> str:
    name = ETH_PROTO_NAMES.get(p)
    return name if name is not None else "[%d]" % p


# =============================================================================================
# entry
# =============================================================================================

class Ctx2:
    """tc's per-run state: options, the netns, a printer."""

    def __init__(self, ctx, opts: TcOpts, ns):
        self.ctx = ctx
        self.opts = opts
        self.ns = ns


def _kerr(ctx, e: KernelError, talking: bool = False) -> int:
    msg = e.extack
    if msg:
        ctx.eprint("Error: " + msg + ("" if msg.endswith(".") else "."))
    else:
        ctx.eprint("RTNETLINK answers: " + strerror(e.errno))
    if talking:
        ctx.eprint("We have an error talking to the kernel")
    return 2


@command("tc")
def tc(ctx, argv: list[str]) -> int:
    opts = TcOpts()
    ns = ctx.ns
    args = list(argv)
    while args and args[0].startswith("-"):
        a = args[0]
        if matches(a, "-stats") or matches(a, "-statistics"):
            opts.stats += 1
        elif matches(a, "-details"):
            opts.details += 1
        elif matches(a, "-raw"):
            opts.raw += 1
        elif matches(a, "-pretty"):
            opts.pretty = True
        elif matches(a, "-graph"):
            pass
        elif matches(a, "-Version"):
            ctx.print("tc utility, iproute2-6.1.0, libbpf 1.1.2")
            return 0
        elif matches(a, "-iec"):
            opts.iec += 1
        elif matches(a, "-help"):
            ctx.eprint(USAGE, end="")
            return 0
        elif matches(a, "-force"):
            pass
        elif matches(a, "-netns"):
            if len(args) < 2:
                ctx.eprint('Command line is not complete. Try option "help"')
                return 255
            name = args[1]
            target = ctx.lab.kernel.named.get(name)
            if target is None:
                ctx.eprint(f'Cannot open network namespace "{name}": No such file or directory')
                return 255
            ns = target
            args.pop(0)
        elif matches(a, "-names") or matches(a, "-nm"):
            pass
        elif matches(a, "-timestamp") or matches(a, "-tshort"):
            pass
        elif matches(a, "-json"):
            opts.json = True
        elif matches(a, "-oneline"):
            opts.oneline = True
        elif matches(a, "-brief"):
            opts.brief = True
        else:
            ctx.eprint(f'Option "{a}" is unknown, try "tc -help".')
            return 255
        args.pop(0)
    if not args:
        ctx.eprint(USAGE, end="")
        return 0
    if not opts.json:
        opts.pretty = opts.pretty     # -p alone: pretty u32 keys (not emulated)
    t = Ctx2(ctx, opts, ns)
    obj, rest = args[0], args[1:]
    try:
        if matches(obj, "qdisc"):
            return do_qdisc(t, rest)
        if matches(obj, "class"):
            return do_class(t, rest)
        if matches(obj, "filter"):
            return do_filter(t, rest)
        if matches(obj, "help"):
            ctx.eprint(USAGE, end="")
            return 0
    except Exit as e:
        return e.code
    ctx.eprint(f'Object "{obj}" is unknown, try "tc help".')
    return 255


def _need(t, args: list, i: int) -> str:
    """NEXT_ARG(): the word at ``i`` or exit 255."""
    if i >= len(args):
        t.ctx.eprint('Command line is not complete. Try option "help"')
        raise Exit(255)
    return args[i]


def _dev(t, name: str):
    dev = t.ns.by_name.get(name)
    return dev


class _Refused(Exception):
    """An option parser printed its error: the caller returns None."""


class _Args:
    """A cursor over an option list, walked the way tc's parsers walk argv: ``for a in w``
    visits each word, ``w.next()`` is NEXT_ARG(), ``w.value()`` is NEXT_ARG() plus one of
    the get_*() parsers with its error message (``{v}`` is the offending word)."""

    __slots__ = ("t", "args", "i")

    def __init__(self, t, args: list):
        self.t, self.args, self.i = t, args, 0

    def __iter__(self):
        args = self.args
        while self.i < len(args):
            yield args[self.i]
            self.i += 1

    def next(self) -> str:
        self.i += 1
        return _need(self.t, self.args, self.i)

    def next_is_number(self) -> bool:
        j = self.i + 1
        return j < len(self.args) and (self.args[j][:1].isascii() and self.args[j][:1].isdigit())

    def fail(self, msg: str, end: str = "\n"):
        self.t.ctx.eprint(msg, end=end)
        raise _Refused

    def value(self, parse, err: str, dup: str | None = None, have=0, clash: str | None = None):
        """The next word through ``parse``; ``dup`` is printed when ``have`` is already set,
        then ``clash`` (an option that excludes this one was given) when it is not None."""
        v = self.next()
        if dup is not None and have:
            self.fail(dup)
        if clash is not None:
            self.fail(clash)
        x = parse(v)
        if x is None:
            self.fail(err.format(v=v))
        return x


def _dec32(s: str):
    return get_u32(s, 10)


def _dec16(s: str):
    return get_u16(s, 10)



# =============================================================================================
# qdisc
# =============================================================================================

def do_qdisc(t, args: list) -> int:
    if not args:
        return qdisc_list(t, [])
    c = args[0]
    if matches(c, "add"):
        return qdisc_modify(t, "new", T.NLM_F_EXCL | T.NLM_F_CREATE, args[1:])
    if matches(c, "change"):
        return qdisc_modify(t, "new", 0, args[1:])
    if matches(c, "replace"):
        return qdisc_modify(t, "new", T.NLM_F_CREATE | T.NLM_F_REPLACE, args[1:])
    if matches(c, "link"):
        return qdisc_modify(t, "new", T.NLM_F_REPLACE, args[1:])
    if matches(c, "delete"):
        return qdisc_modify(t, "del", 0, args[1:])
    if matches(c, "list") or matches(c, "show") or matches(c, "lst"):
        return qdisc_list(t, args[1:])
    if matches(c, "help"):
        t.ctx.eprint(QDISC_USAGE, end="")
        return 0
    t.ctx.eprint(f'Command "{c}" is unknown, try "tc qdisc help".')
    return 255


KNOWN_QDISCS = ("tbf", "netem", "htb", "pfifo_fast", "ingress", "clsact", "noqueue")

HTB_USAGE = (
    "Usage: ... qdisc add ... htb [default N] [r2q N]\n"
    "                      [direct_qlen P] [offload]\n"
    " default  minor id of class to which unclassified packets are sent {0}\n"
    " r2q      DRR quantums are computed as rate in Bps/r2q {10}\n"
    " debug    string of 16 numbers each 0-3 {0}\n"
    "\n"
    " direct_qlen  Limit of the direct queue {in packets}\n"
    " offload  enable hardware offload\n"
    "... class add ... htb rate R1 [burst B1] [mpu B] [overhead O]\n"
    "                      [prio P] [slot S] [pslot PS]\n"
    "                      [ceil R2] [cburst B2] [mtu MTU] [quantum Q]\n"
    " rate     rate allocated to this class (class can still borrow)\n"
    " burst    max bytes burst which can be accumulated during idle period {computed}\n"
    " mpu      minimum packet size used in rate computations\n"
    " overhead per-packet size overhead used in rate computations\n"
    " linklay  adapting to a linklayer e.g. atm\n"
    " ceil     definite upper class rate (no borrows) {rate}\n"
    " cburst   burst but for ceil {computed}\n"
    " mtu      max packet size we create rate map for {1600}\n"
    " prio     priority of leaf; lower are served first {0}\n"
    " quantum  how much bytes to serve from leaf at once {use r2q}\n"
    "\n"
    "TC HTB version 3.3\n")
HTB_EXPLAIN = HTB_USAGE[:-1].replace("{", "{{").replace("}", "}}")   # a value() message
PSCHED_HZ = 1_000_000_000        # get_hz(): the 4th field of /proc/net/psched


def parse_htb(t, args: list) -> dict | None:
    """htb_parse_opt()."""
    o: dict = {"default": 0, "r2q": 10}
    w = _Args(t, args)
    try:
        for a in w:
            if matches(a, "r2q"):
                o["r2q"] = w.value(_dec32, 'Illegal "r2q"\n' + HTB_EXPLAIN)
            elif matches(a, "default"):
                o["default"] = w.value(lambda v: get_u32(v, 16),
                                       'Illegal "default"\n' + HTB_EXPLAIN)
            elif matches(a, "direct_qlen"):
                o["direct_qlen"] = w.value(_dec32, 'Illegal "direct_qlen"\n' + HTB_EXPLAIN)
            elif matches(a, "debug") or matches(a, "offload"):
                w.fail(f'vnetlab: htb "{a}" is not emulated')
            else:
                t.ctx.eprint(f'What is "{a}"?')
                w.fail(HTB_USAGE, end="")
    except _Refused:
        return None
    return o


# htb_parse_class_opt()'s numeric options: keyword (a prefix), parser, the field.
HTB_CLASS_NUMS = (("prio", _dec32), ("mtu", _dec32), ("mpu", _dec16), ("overhead", _dec16),
                  ("quantum", _dec32))


def parse_htb_class(t, args: list) -> dict | None:
    """htb_parse_class_opt()."""
    o = {"rate": 0, "ceil": 0, "buffer": 0, "cbuffer": 0, "mtu": 1600, "mpu": 0,
         "overhead": 0, "quantum": 0, "prio": 0}
    w = _Args(t, args)
    try:
        for a in w:
            for key, parse in HTB_CLASS_NUMS:
                if matches(a, key):
                    o[key] = w.value(parse, f'Illegal "{key}"\n' + HTB_EXPLAIN)
                    break
            else:
                if matches(a, "burst") or a in ("buffer", "maxburst"):
                    o["buffer"] = w.value(get_size_and_cell,
                                          'Illegal "burst"\n' + HTB_EXPLAIN)[0]
                elif matches(a, "cburst") or a in ("cbuffer", "cmaxburst"):
                    o["cbuffer"] = w.value(get_size_and_cell,
                                           'Illegal "cburst"\n' + HTB_EXPLAIN)[0]
                elif a in ("ceil", "rate"):
                    o[a] = w.value(get_rate64, f'Illegal "{a}"\n' + HTB_EXPLAIN,
                                   f'Double "{a}" spec', o[a])
                elif a == "help":
                    w.fail(HTB_USAGE, end="")
                else:
                    t.ctx.eprint(f'What is "{a}"?')
                    w.fail(HTB_USAGE, end="")
    except _Refused:
        return None
    rate64, mtu = o["rate"], o["mtu"]
    if not rate64:
        t.ctx.eprint('"rate" is required.')
        return None
    ceil64 = o["ceil"] or rate64
    buffer = o["buffer"] or _u32(rate64 / PSCHED_HZ + mtu)
    cbuffer = o["cbuffer"] or _u32(ceil64 / PSCHED_HZ + mtu)
    return {"rate": rate64, "ceil": ceil64, "buffer": calc_xmittime(min(rate64, 0xFFFFFFFF),
                                                                    buffer),
            "cbuffer": calc_xmittime(min(ceil64, 0xFFFFFFFF), cbuffer),
            "quantum": o["quantum"], "prio": o["prio"], "mpu": o["mpu"],
            "overhead": o["overhead"]}


def qdisc_modify(t, cmd: str, flags: int, args: list) -> int:
    ctx = t.ctx
    d = None
    handle = 0
    parent = 0
    kind = None
    i = 0
    n = len(args)
    while i < n:
        a = args[i]
        if a == "dev":
            i += 1
            v = _need(t, args, i)
            if d is not None:
                ctx.eprint(f'Error: duplicate "dev": "{v}" is the second value.')
                return 255
            d = v
        elif a == "handle":
            if handle:
                ctx.eprint(f'Error: duplicate "handle": "{a}" is the second value.')
                return 255
            i += 1
            v = _need(t, args, i)
            h = get_qdisc_handle(v)
            if h is None:
                ctx.eprint(f'Error: argument "{v}" is wrong: invalid qdisc ID')
                return 255
            handle = h
        elif a == "root":
            if parent:
                ctx.eprint('Error: "root" is duplicate parent ID')
                return 255
            parent = T.TC_H_ROOT
        elif a in ("clsact", "ingress"):
            if parent:
                ctx.eprint(f'Error: "{a}" is a duplicate parent ID')
                return 255
            parent = T.TC_H_INGRESS
            kind = a
            handle = T.tc_h(T.TC_H_INGRESS, 0)
            i += 1
            break
        elif a == "parent":
            i += 1
            v = _need(t, args, i)
            if parent:
                ctx.eprint(f'Error: duplicate "parent": "{v}" is the second value.')
                return 255
            h = get_tc_classid(v)
            if h is None:
                ctx.eprint(f'Error: argument "{v}" is wrong: invalid parent ID')
                return 255
            parent = h
        elif matches(a, "estimator") or matches(a, "stab") or matches(a, "ingress_block") \
                or matches(a, "egress_block"):
            ctx.eprint(f'vnetlab: tc qdisc "{a}" is not emulated')
            return 1
        elif matches(a, "help"):
            ctx.eprint(QDISC_USAGE, end="")
            return 255
        else:
            kind = a
            i += 1
            break
        i += 1
    rest = args[i:]
    opts = None
    if kind is not None:
        if kind == "tbf":
            opts = parse_tbf(t, rest)
            if opts is None:
                return 1
            if opts == {}:
                opts = None
        elif kind == "netem":
            opts = parse_netem(t, rest)
            if opts is None:
                return 1
        elif kind in ("ingress", "clsact"):
            if rest:
                j = 0
                while j < len(rest):
                    if rest[j] == "handle":
                        j += 2
                        continue
                    ctx.eprint(f'What is "{rest[j]}"?')
                    ctx.eprint(f"Usage: ... {kind}")
                    return 1
        elif kind == "htb":
            opts = parse_htb(t, rest)
            if opts is None:
                return 1
        elif kind in ("pfifo_fast",):
            if rest:
                ctx.eprint(f"qdisc '{kind}' does not support option parsing")
                return 255
        elif kind not in KNOWN_QDISCS:
            if rest:
                ctx.eprint(f'Unknown qdisc "{kind}", hence option "{rest[0]}" is unparsable')
                return 1
    elif rest:
        ctx.eprint(f'Garbage instead of arguments "{rest[0]} ...". Try "tc qdisc help".')
        return 255
    dev = None
    if d is not None:
        dev = _dev(t, d)
        if dev is None:
            ctx.eprint(f'Cannot find device "{d}"')
            return 1
    if dev is None:
        ctx.eprint("RTNETLINK answers: No such device")
        return 2
    try:
        if cmd == "del":
            T.qdisc_delete(dev, parent, handle, kind)
        else:
            T.qdisc_modify(dev, parent, handle, kind, opts, flags)
    except KernelError as e:
        return _kerr(ctx, e)
    return 0


def parse_tbf(t, args: list) -> dict | None:
    """tbf_parse_opt(): the qopt iproute2 sends ({} when no option at all)."""
    ctx = t.ctx
    ok = 0
    limit = latency = 0
    buffer = mtu = mpu = 0
    rcell = pcell = -1
    overhead = 0
    linklayer = LINKLAYER_ETHERNET
    rate64 = prate64 = 0
    w = _Args(t, args)

    def opt(parse, name, have, what=None, clash=None):
        """NEXT_ARG(), the duplicate check, then the value or 'illegal value'."""
        return w.value(parse, f'tbf: illegal value for "{name}": "{{v}}"',
                       f'tbf: duplicate "{what or name}" specification', have, clash)

    try:
        for a in w:
            if matches(a, "limit"):
                limit = opt(get_size, "limit", limit, clash='tbf: specifying both "latency" '
                            'and "limit" is not allowed' if latency else None)
                ok += 1
            elif matches(a, "latency"):
                latency = opt(get_time, "latency", latency, clash='tbf: specifying both '
                              '"limit" and "/latency" is not allowed' if limit else None)
                ok += 1
            elif matches(a, "burst") or a in ("buffer", "maxburst"):
                buffer, rcell = opt(get_size_and_cell, a, buffer, "buffer/burst/maxburst")
                ok += 1
            elif a in ("mtu", "minburst"):
                mtu, pcell = opt(get_size_and_cell, a, mtu, "mtu/minburst")
                ok += 1
            elif a == "mpu":
                mpu = opt(get_size, "mpu", mpu)
                ok += 1
            elif a == "rate":
                rate64 = opt(get_rate64, "rate", rate64)
                ok += 1
            elif matches(a, "peakrate"):
                prate64 = opt(get_rate64, "peakrate", prate64)
                ok += 1
            elif matches(a, "overhead"):
                overhead = opt(_dec16, "overhead", overhead)
            elif matches(a, "linklayer"):
                v = w.next()
                if matches(v, "ethernet"):
                    linklayer = LINKLAYER_ETHERNET
                elif matches(v, "atm") or matches(v, "adsl"):
                    linklayer = LINKLAYER_ATM
                else:
                    w.fail(f'tbf: illegal value for "linklayer": "{v}"')
            elif a == "help":
                w.fail(TBF_USAGE, end="")
            else:
                ctx.eprint(f'tbf: unknown parameter "{a}"')
                w.fail(TBF_USAGE, end="")
    except _Refused:
        return None
    bad = False
    if rate64 == 0:
        ctx.eprint('tbf: the "rate" parameter is mandatory.')
        bad = True
    if not buffer:
        ctx.eprint('tbf: the "burst" parameter is mandatory.')
        bad = True
    if prate64 and not mtu:
        ctx.eprint('tbf: when "peakrate" is specified, "mtu" must also be specified.')
        bad = True
    if limit == 0 and latency == 0:
        ctx.eprint('tbf: either "limit" or "latency" is required.')
        bad = True
    if bad:
        ctx.eprint(TBF_USAGE, end="")
        return None
    rate = min(rate64, 0xFFFFFFFF)
    prate = min(prate64, 0xFFFFFFFF)
    if limit == 0:
        lim = rate64 * latency / TIME_UNITS_PER_SEC + buffer
        if prate64:
            lim2 = prate64 * latency / TIME_UNITS_PER_SEC + mtu
            if lim2 < lim:
                lim = lim2
        limit = _u32(lim)
    o = {"rate": rate64, "limit": limit, "mpu": mpu, "overhead": overhead,
         "linklayer": linklayer, "buffer": calc_xmittime(rate, buffer), "burst": buffer,
         "mtu": 0, "peakrate": 0}
    if prate:
        o["peakrate"] = prate64
        o["mtu"] = calc_xmittime(prate, mtu)
        o["pburst"] = mtu
    return o


def _percent(v: str) -> int | None:
    """get_percent(): a fraction of UINT32_MAX."""
    r = strtod(v)
    if r is None:
        return None
    per, p = r
    per /= 100.
    if per > 1.0 or per < 0.0:
        return None
    if p and p != "%":
        return None
    return int(round(per * 0xFFFFFFFF))


TC_LIB = "/usr/lib/x86_64-linux-gnu/tc"


def _load_dist(ctx, name: str):
    """get_distribution(): the s16 table of ``TC_LIB/NAME.dist`` (iproute2's own files)."""
    path = f"{TC_LIB}/{name}.dist"
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError as e:
        ctx.eprint(f"No distribution data for {name} ({path}: {strerror(e.errno)})")
        return None
    data = []
    for line in lines:
        if not line or line.startswith("#"):
            continue
        for w in line.split():
            try:
                x = int(w, 0)
            except ValueError:
                break
            if len(data) >= 65536:
                ctx.eprint(f"{path}: too much data")
                return None
            data.append(((x + 0x8000) & 0xFFFF) - 0x8000)
    return tuple(data)


def parse_netem(t, args: list) -> dict | None:
    """netem_parse_opt() (random loss, uniform or no jitter, rate): the qopt (latency and
    jitter in psched ticks, via get_ticks) plus the optional REORDER / CORRUPT / RATE."""
    ctx = t.ctx
    o: dict = {"limit": 1000, "latency": 0, "jitter": 0, "loss": 0, "gap": 0, "duplicate": 0}
    cor = [0, 0, 0]
    dist = False
    w = _Args(t, args)

    def ticks(v: str):
        x = get_time(v)
        return None if x is None else time2tick(x)

    def num(parse, what: str):
        return w.value(parse, f'Illegal "{what}"')

    def more(parse, what: str, default=0):
        """An optional numeric word after the value (a correlation, jitter, overhead)."""
        return num(parse, what) if w.next_is_number() else default

    try:
        for a in w:
            if matches(a, "limit"):
                o["limit"] = num(lambda v: get_u32(v, 0), "limit")
            elif matches(a, "latency") or matches(a, "delay"):
                o["latency"] = num(ticks, "latency")
                if w.next_is_number():
                    o["jitter"] = num(ticks, "jitter")
                    cor[0] = more(_percent, "latency")
            elif matches(a, "loss"):
                v = w.next()
                if v != "random" and not (v[:1].isascii() and v[:1].isdigit()):
                    w.fail(f'vnetlab: netem loss model "{v}" is not emulated')
                if v == "random":
                    v = w.next()
                x = _percent(v)
                if x is None:
                    w.fail('Illegal "loss percent"')
                o["loss"] = x
                cor[1] = more(_percent, "loss correlation")
            elif matches(a, "ecn"):
                o["ecn"] = 1
            elif matches(a, "reorder") or matches(a, "corrupt"):
                what = "reorder" if matches(a, "reorder") else "corrupt"
                x = num(_percent, what)
                o[what] = (x, more(_percent, what))
            elif matches(a, "gap"):
                o["gap"] = num(lambda v: get_u32(v, 0), "gap")
            elif matches(a, "duplicate"):
                o["duplicate"] = num(_percent, "duplicate")
                cor[2] = more(_percent, "duplicate")
            elif matches(a, "distribution"):
                table = _load_dist(ctx, w.next())
                if table is None:
                    raise _Refused
                o["dist"] = table
                dist = True
            elif matches(a, "rate"):
                from .ip.common import get_integer
                x = num(get_rate64, "rate")
                o["rate"] = (x, more(lambda v: get_integer(v, 0), "rate"))
            elif matches(a, "help"):
                w.fail(NETEM_USAGE, end="")
            else:
                ctx.eprint(f'What is "{a}"?')
                w.fail(NETEM_USAGE, end="")
    except _Refused:
        return None
    if dist and (not o["latency"] or not o["jitter"]):
        ctx.eprint("distribution specified but no latency and jitter values")
        ctx.eprint(NETEM_USAGE, end="")
        return None
    if o.get("reorder") and o["reorder"][0]:
        if not o["latency"]:
            ctx.eprint("reordering not possible without specifying some delay")
            ctx.eprint(NETEM_USAGE, end="")
            return None
        if not o["gap"]:
            o["gap"] = 1
    elif o["gap"] > 0:
        ctx.eprint("gap specified without reorder probability")
        ctx.eprint(NETEM_USAGE, end="")
        return None
    o["corr"] = tuple(cor)
    return o


# -- show ------------------------------------------------------------------------------------

def qdisc_list(t, args: list) -> int:
    ctx = t.ctx
    d = None
    filter_parent = None
    filter_handle = None
    i = 0
    while i < len(args):
        a = args[i]
        if a == "dev":
            i += 1
            d = _need(t, args, i)
        elif a == "root":
            filter_parent = T.TC_H_ROOT
        elif a in ("ingress", "clsact"):
            filter_parent = T.TC_H_INGRESS
        elif a == "parent":
            i += 1
            v = _need(t, args, i)
            h = get_tc_classid(v)
            if h is None:
                ctx.eprint(f'Error: argument "{v}" is wrong: invalid parent ID')
                return 255
            filter_parent = h
        elif a == "handle":
            i += 1
            v = _need(t, args, i)
            h = get_qdisc_handle(v)
            if h is None:
                ctx.eprint(f'Error: argument "{v}" is wrong: invalid handle ID')
                return 255
            filter_handle = h
        elif matches(a, "help"):
            ctx.eprint(QDISC_USAGE, end="")
            return 255
        elif matches(a, "invisible"):
            pass
        else:
            ctx.eprint(f'What is "{a}"? Try "tc qdisc help".')
            return 255
        i += 1
    devs = None
    if d is not None:
        dev = _dev(t, d)
        if dev is None:
            ctx.eprint(f'Cannot find device "{d}"')
            return 1
        devs = [dev]
    else:
        devs = list(t.ns.devices)
    p = Printer(ctx, t.opts)
    for dev in devs:
        for q in T.qdiscs(dev):
            if filter_parent is not None and q.parent != filter_parent:
                continue
            if filter_handle is not None and q.handle != filter_handle:
                continue
            print_qdisc(t, p, dev, q, show_dev=d is None)
    p.flush()
    return 0


def print_qdisc(t, p: Printer, dev, q, show_dev: bool) -> None:
    opts = t.opts
    p.open_object()
    p.any("kind", "qdisc %s", q.kind)
    p.any("handle", " %s", "%x:" % (q.handle >> 16))
    p.text("[%08x] " % q.handle if opts.raw else " ")
    if show_dev:
        p.text("dev ")
        p.any("dev", "%s ", dev.name)
    if q.parent == T.TC_H_ROOT:
        p.any("root", "root ", True)
    elif q.parent:
        p.any("parent", "parent %s ", sprint_classid(q.parent))
    if not isinstance(q, T.Ingress):
        p.any("refcnt", "refcnt %u ", _refcnt(dev, q))
    p.open_object("options")
    if isinstance(q, T.Ingress):
        if q.kind == "ingress":
            p.text("---------------- ")
    elif isinstance(q, T.PfifoFast):
        print_prio(t, p, q)
    elif isinstance(q, T.Tbf):
        print_tbf(t, p, q)
    elif isinstance(q, T.Netem):
        print_netem(t, p, q)
    elif isinstance(q, T.Htb):
        d = q.dump()
        p.any("r2q", "r2q %d", d["r2q"])
        p.any("default", " default %s", "%#x" % d["defcls"] if d["defcls"] else "0")
        p.any("direct_packets_stat", " direct_packets_stat %u", d["direct_pkts"])
        if t.opts.details:
            p.text(" ver 3.17")
        p.any("direct_qlen", " direct_qlen %u", d["direct_qlen"])
    p.close()
    p.nl()
    if opts.stats:
        print_stats(p, q.stats, " ", queue=True)
        p.nl()
    p.close()


def _refcnt(dev, q) -> int:
    """tcm_info: the root qdisc's refcount, one per tx queue plus the device's own."""
    if q.default:
        return 2
    return 1 + max(1, dev.num_tx_queues)


def print_stats(p: Printer, st, prefix: str, queue: bool = True) -> None:
    """print_tcstats2_attr()."""
    p.text(prefix)
    p.any("bytes", "Sent %s bytes", st.bytes)
    p.any("packets", " %s pkt", st.packets)
    p.any("drops", " (dropped %s", st.drops)
    p.any("overlimits", ", overlimits %s", st.overlimits)
    p.any("requeues", " requeues %s) ", st.requeues)
    p.nl()
    p.text(prefix)
    if p.json:
        p.jonly("backlog", st.backlog)
    else:
        p.text("backlog %s" % sprint_size(st.backlog))
    p.any("qlen", " %sp", st.qlen)
    p.text(" requeues %s" % st.requeues)


def print_prio(t, p: Printer, q) -> None:
    d = q.dump()
    p.any("bands", "bands %u ", d["bands"])
    p.text("priomap")
    p.open_array("priomap")
    for v in d["priomap"]:
        p.item(" %d", v)
    p.close()
    p.jonly("multiqueue", False)


def print_tbf(t, p: Printer, q) -> None:
    """tbf_print_opt()."""
    d = q.dump()
    opts = t.opts
    rate64 = d["rate"]
    p.jonly("rate", rate64)
    p.text("rate %s " % sprint_rate(rate64, bool(opts.iec)))
    buffer = calc_xmitsize(rate64, d["buffer"])
    if opts.details:
        p.any("burst", "burst %s ", "%s/%u" % (sprint_size(buffer), 1))
        p.any("mpu", "mpu %s ", d["mpu"]) if p.json else p.text("mpu %s " % sprint_size(d["mpu"]))
    else:
        p.any("burst", "burst %s ", buffer) if p.json else p.text("burst %s " % sprint_size(buffer))
    if opts.raw:
        p.text("[%08x] " % d["buffer"])
    prate64 = d["peakrate"]
    if prate64:
        p.text("peakrate %s " % sprint_rate(prate64, bool(opts.iec)))
        if d["mtu"] or d.get("pmpu"):
            mtu = calc_xmitsize(prate64, d["mtu"])
            if opts.details:
                p.any("mtu", "mtu %s ", "%s/%u" % (sprint_size(mtu), 1))
                p.any("mpu", "mpu %s ", d.get("pmpu", 0)) if p.json else \
                    p.text("mpu %s " % sprint_size(d.get("pmpu", 0)))
            else:
                p.jonly("minburst", mtu)
                p.text("minburst %s " % sprint_size(mtu))
            if opts.raw:
                p.text("[%08x] " % d["mtu"])
    latency = TIME_UNITS_PER_SEC * (d["limit"] / rate64) - tick2time(d["buffer"])
    if prate64:
        lat2 = TIME_UNITS_PER_SEC * (d["limit"] / prate64) - tick2time(d["mtu"])
        if lat2 > latency:
            latency = lat2
    if latency >= 0.0:
        p.jonly("lat", _u32(latency))
        p.text("lat %s " % sprint_time(_u32(latency)))
    if opts.raw or latency < 0.0:
        p.jonly("limit", d["limit"])
        p.text("limit %s " % sprint_size(d["limit"]))
    if d["overhead"]:
        p.any("overhead", "overhead %d ", d["overhead"])
    if d["linklayer"] > LINKLAYER_ETHERNET or opts.details:
        ll = {0: "unspec", 1: "ethernet", 2: "atm"}.get(d["linklayer"], "unknown")
        p.any("linklayer", "linklayer %s ", ll)


def _pct(v: int) -> str:
    return "%g%%" % (100.0 * v / 0xFFFFFFFF)


def _jf(v: float) -> JsonRaw:
    return JsonRaw("%g" % v)


def print_netem(t, p: Printer, q) -> None:
    """netem_print_opt()."""
    d = q.dump()
    p.any("limit", "limit %d", d["limit"])

    def corr(present: bool, v: int) -> None:
        if p.json:
            p.jonly("correlation", _jf(_pctval(v) / 100))
        elif present:
            p.text(" %s" % _pct(v))

    if d["latency"]:
        p.open_object("delay")
        if p.json:
            p.jonly("delay", _jf(d["latency_ns"] / 1e9))
            p.jonly("jitter", _jf(d["jitter_ns"] / 1e9))
        else:
            p.text(" delay %s" % sprint_time(tick2time(d["latency"])))
            if d["jitter"]:
                p.text("  %s" % sprint_time(tick2time(d["jitter"])))
        corr(bool(d["jitter"] and d["delay_corr"]), d["delay_corr"])
        p.close()
    for key, jkey, word, ckey in (("loss", "loss-random", "loss", "loss_corr"),
                                  ("duplicate", "duplicate", "duplicate", "dup_corr"),
                                  ("reorder", "reorder", "reorder", "reorder_corr"),
                                  ("corrupt", "corrupt", "corrupt", "corrupt_corr")):
        if d[key]:
            p.open_object(jkey)
            if p.json:
                p.jonly(word, _jf(_pctval(d[key]) / 100))
            else:
                p.text(" %s %s" % (word, _pct(d[key])))
            corr(bool(d[ckey]), d[ckey])
            p.close()
    if d["rate"]:
        p.open_object("rate")
        if p.json:
            p.jonly("rate", d["rate"])
            p.jonly("packetoverhead", d["packet_overhead"])
            p.jonly("cellsize", 0)
            p.jonly("celloverhead", 0)
        else:
            p.text(" rate %s" % sprint_rate(d["rate"], bool(t.opts.iec)))
            if d["packet_overhead"]:
                p.text(" packetoverhead %d" % d["packet_overhead"])
        p.close()
    if p.json:
        p.jonly("ecn", bool(d["ecn"]))
        p.jonly("gap", d["gap"])
    else:
        if d["ecn"]:
            p.text(" ecn ")
        if d["gap"]:
            p.text(" gap %u" % d["gap"])


def _pctval(v: int) -> float:
    return 100.0 * v / 0xFFFFFFFF


# =============================================================================================
# class (htb is not emulated: every qdisc we have is classless)
# =============================================================================================

def do_class(t, args: list) -> int:
    ctx = t.ctx
    if not args:
        return class_list(t, [])
    c = args[0]
    if matches(c, "add"):
        return class_modify(t, "new", T.NLM_F_EXCL | T.NLM_F_CREATE, args[1:])
    if matches(c, "change"):
        return class_modify(t, "new", 0, args[1:])
    if matches(c, "replace"):
        return class_modify(t, "new", T.NLM_F_CREATE, args[1:])
    if matches(c, "delete"):
        return class_modify(t, "del", 0, args[1:])
    if matches(c, "list") or matches(c, "show") or matches(c, "lst"):
        return class_list(t, args[1:])
    if matches(c, "help"):
        return 0
    ctx.eprint(f'Command "{c}" is unknown, try "tc class help".')
    return 255


def class_modify(t, cmd: str, flags: int, args: list) -> int:
    """tc_class_modify()."""
    ctx = t.ctx
    d = None
    parent = 0
    classid = 0
    kind = None
    i = 0
    while i < len(args):
        a = args[i]
        if a == "dev":
            i += 1
            v = _need(t, args, i)
            if d is not None:
                ctx.eprint(f'Error: duplicate "dev": "{v}" is the second value.')
                return 255
            d = v
        elif a == "classid":
            i += 1
            v = _need(t, args, i)
            if classid:
                ctx.eprint(f'Error: duplicate "classid": "{v}" is the second value.')
                return 255
            h = get_tc_classid(v)
            if h is None:
                ctx.eprint(f'Error: argument "{v}" is wrong: invalid class ID')
                return 255
            classid = h
        elif a == "handle":
            ctx.eprint('Error: try "classid" instead of "handle"')
            return 255
        elif a == "root":
            if parent:
                ctx.eprint('Error: "root" is duplicate parent ID.')
                return 255
            parent = T.TC_H_ROOT
        elif a == "parent":
            i += 1
            v = _need(t, args, i)
            if parent:
                ctx.eprint(f'Error: duplicate "parent": "{v}" is the second value.')
                return 255
            h = get_tc_classid(v)
            if h is None:
                ctx.eprint(f'Error: argument "{v}" is wrong: invalid parent ID')
                return 255
            parent = h
        elif matches(a, "estimator"):
            ctx.eprint('vnetlab: tc class "estimator" is not emulated')
            return 1
        elif matches(a, "help"):
            return 255
        else:
            kind = a
            i += 1
            break
        i += 1
    rest = args[i:]
    opts = None
    if kind is not None:
        if kind == "htb":
            opts = parse_htb_class(t, rest)
            if opts is None:
                return 1
        elif kind in KNOWN_QDISCS:
            ctx.eprint(f'Error: Qdisc "{kind}" is classless.')
            return 1
        elif rest:
            ctx.eprint(f'Unknown qdisc "{kind}", hence option "{rest[0]}" is unparsable')
            return 1
    elif rest:
        ctx.eprint(f'Garbage instead of arguments "{rest[0]} ...". Try "tc class help".')
        return 255
    dev = None
    if d is not None:
        dev = _dev(t, d)
        if dev is None:
            ctx.eprint(f'Cannot find device "{d}"')
            return 1
    if dev is None:
        ctx.eprint("RTNETLINK answers: No such device")
        return 2
    try:
        if cmd == "del":
            T.class_delete(dev, parent, classid)
        else:
            warning = T.class_modify(dev, parent, classid, kind, opts, flags)
            if warning:
                ctx.eprint("Warning: " + warning)
    except KernelError as e:
        return _kerr(ctx, e)
    return 0


def class_list(t, args: list) -> int:
    """tc_class_list(): htb classes, and the one class of a tbf."""
    ctx = t.ctx
    d = None
    filter_classid = None
    i = 0
    while i < len(args):
        a = args[i]
        if a == "dev":
            i += 1
            d = _need(t, args, i)
        elif a == "classid":
            i += 1
            v = _need(t, args, i)
            h = get_tc_classid(v)
            if h is None:
                ctx.eprint(f'Error: argument "{v}" is wrong: invalid class ID')
                return 255
            filter_classid = h
        elif a in ("root", "parent", "qdisc"):
            i += 0 if a == "root" else 1
        elif matches(a, "help"):
            return 255
        else:
            ctx.eprint(f'What is "{a}"? Try "tc class help"')
            return 255
        i += 1
    if d is None:
        return 0
    dev = _dev(t, d)
    if dev is None:
        ctx.eprint(f'Cannot find device "{d}"')
        return 1
    p = Printer(ctx, t.opts)
    p.json = False                    # tc 6.1 prints classes as text even with -j
    for q in T.qdiscs(dev):
        if isinstance(q, T.Htb):
            for cl in q.walk():
                if filter_classid is not None and cl.classid != filter_classid:
                    continue
                _print_htb_class(t, p, cl)
        elif isinstance(q, T.Tbf) and q.child is not None:
            cid = T.tc_h(q.handle, 1)
            if filter_classid is not None and cid != filter_classid:
                continue
            p.text("class tbf %s parent %s \n" % (sprint_classid(cid), sprint_classid(q.handle)))
    p.flush()
    return 0


def _print_htb_class(t, p: Printer, cl) -> None:
    """htb_print_opt() for a class (the text form; tc 6.1 prints it as text even with -j)."""
    d = cl.dump()
    iec = bool(t.opts.iec)
    out = ["class htb %s root " % sprint_classid(cl.classid)]
    out.append("prio %d " % d["prio"])
    if t.opts.details:
        out.append("quantum %d " % d["quantum"])
    out.append("rate %s " % sprint_rate(d["rate"], iec))
    if d.get("overhead"):
        out.append("overhead %d " % d["overhead"])
    out.append("ceil %s " % sprint_rate(d["ceil"], iec))
    if t.opts.details:
        out.append("linklayer ethernet ")
    buffer = calc_xmitsize(d["rate"], d["buffer"])
    cbuffer = calc_xmitsize(d["ceil"], d["cbuffer"])
    if t.opts.details:
        out.append("burst %s/1 mpu %s " % (sprint_size(buffer), sprint_size(d["mpu"])))
        out.append("cburst %s/1 mpu %s " % (sprint_size(cbuffer), sprint_size(d["mpu"])))
        out.append("level 0 ")
    else:
        out.append("burst %s " % sprint_size(buffer))
        out.append("cburst %s " % sprint_size(cbuffer))
    if t.opts.raw:
        out.append("buffer [%08x] cbuffer [%08x] " % (d["buffer"], d["cbuffer"]))
    p.buf.append("".join(out) + "\n")
    if t.opts.stats:
        st = cl.stats
        p.buf.append(" Sent %d bytes %d pkt (dropped %d, overlimits %d requeues %d) \n"
                     % (st.bytes, st.packets, st.drops, st.overlimits, st.requeues))
        p.buf.append(" backlog %s %dp requeues %d\n" % (sprint_size(st.backlog), st.qlen,
                                                          st.requeues))
        p.buf.append(" lended: %d borrowed: 0 giants: 0\n" % st.packets)
        p.buf.append(" tokens: %d ctokens: %d\n\n" % (d["tokens"], d["ctokens"]))


# =============================================================================================
# filter
# =============================================================================================

def do_filter(t, args: list) -> int:
    if not args:
        return filter_list(t, [])
    c = args[0]
    if matches(c, "add"):
        return filter_modify(t, "new", T.NLM_F_EXCL | T.NLM_F_CREATE, args[1:])
    if matches(c, "change"):
        return filter_modify(t, "new", 0, args[1:])
    if matches(c, "replace"):
        return filter_modify(t, "new", T.NLM_F_CREATE, args[1:])
    if matches(c, "delete"):
        return filter_modify(t, "del", 0, args[1:])
    if matches(c, "get"):
        t.ctx.eprint("vnetlab: tc filter get is not emulated")
        return 1
    if matches(c, "list") or matches(c, "show") or matches(c, "lst"):
        return filter_list(t, args[1:])
    if matches(c, "help"):
        t.ctx.eprint(FILTER_USAGE, end="")
        return 0
    t.ctx.eprint(f'Command "{c}" is unknown, try "tc filter help".')
    return 255


def filter_modify(t, cmd: str, flags: int, args: list) -> int:
    ctx = t.ctx
    d = None
    parent = 0
    prio = 0
    protocol = None
    fhandle = None
    kind = None
    i = 0
    n = len(args)
    while i < n:
        a = args[i]
        if a == "dev":
            i += 1
            v = _need(t, args, i)
            if d is not None:
                ctx.eprint(f'Error: duplicate "dev": "{v}" is the second value.')
                return 255
            d = v
        elif a == "root":
            if parent:
                ctx.eprint('Error: "root" is duplicate parent ID')
                return 255
            parent = T.TC_H_ROOT
        elif a == "ingress":
            if parent:
                ctx.eprint('Error: "ingress" is duplicate parent ID')
                return 255
            parent = T.tc_h(T.TC_H_CLSACT, T.TC_H_MIN_INGRESS)
        elif a == "egress":
            if parent:
                ctx.eprint('Error: "egress" is duplicate parent ID')
                return 255
            parent = T.tc_h(T.TC_H_CLSACT, T.TC_H_MIN_EGRESS)
        elif a == "parent":
            i += 1
            v = _need(t, args, i)
            if parent:
                ctx.eprint(f'Error: duplicate "parent": "{v}" is the second value.')
                return 255
            h = get_tc_classid(v)
            if h is None:
                ctx.eprint(f'Error: argument "{v}" is wrong: Invalid parent ID')
                return 255
            parent = h
        elif a == "handle":
            i += 1
            v = _need(t, args, i)
            if fhandle is not None:
                ctx.eprint(f'Error: duplicate "handle": "{v}" is the second value.')
                return 255
            fhandle = v
        elif matches(a, "preference") or matches(a, "priority"):
            i += 1
            v = _need(t, args, i)
            if prio:
                ctx.eprint(f'Error: duplicate "priority": "{v}" is the second value.')
                return 255
            x = get_u32(v, 0)
            if x is None or x > 0xFFFF:
                ctx.eprint(f'Error: argument "{v}" is wrong: invalid priority value')
                return 255
            prio = x
        elif matches(a, "protocol"):
            i += 1
            v = _need(t, args, i)
            if protocol is not None:
                ctx.eprint(f'Error: duplicate "protocol": "{v}" is the second value.')
                return 255
            x = ll_proto_a2n(v)
            if x is None:
                ctx.eprint(f'Error: argument "{v}" is wrong: invalid protocol')
                return 255
            protocol = x
        elif matches(a, "chain") or matches(a, "estimator") or a == "block":
            ctx.eprint(f'vnetlab: tc filter "{a}" is not emulated')
            return 1
        elif matches(a, "help"):
            ctx.eprint(FILTER_USAGE, end="")
            return 0
        else:
            kind = a
            i += 1
            break
        i += 1
    rest = args[i:]
    if protocol is None:
        protocol = T.ETH_P_ALL if cmd == "new" and flags & T.NLM_F_CREATE else 0
    dev = None
    if d is not None:
        dev = _dev(t, d)
        if dev is None:
            ctx.eprint(f'Cannot find device "{d}"')
            return 1
    spec = None
    actions = []
    if kind is not None:
        if kind == "u32":
            spec = parse_u32(t, rest, fhandle)
        elif kind == "matchall":
            spec = parse_matchall(t, rest, fhandle)
        elif rest:
            ctx.eprint(f'Unknown filter "{kind}", hence option "{rest[0]}" is unparsable')
            return 1
        else:
            spec = {}
        if spec is None:
            return 1
    else:
        if fhandle is not None:
            ctx.eprint('Must specify filter type when using "handle"')
            return 255
        if rest:
            ctx.eprint(f'Garbage instead of arguments "{rest[0]} ...". Try "tc filter help".')
            return 255
    if dev is None:
        ctx.eprint("RTNETLINK answers: No such device")
        ctx.eprint("We have an error talking to the kernel")
        return 2
    ns = t.ns
    try:
        if cmd == "del":
            if parent == 0:
                parent = 0
            T.filter_delete(dev, parent, prio, protocol, kind)
            return 0
        if kind is None:
            raise KernelError(22, "Filter kind and protocol must be specified")
        if kind not in T.FILTER_KINDS:
            T.filter_block(dev, parent)
            raise KernelError(2, "TC classifier not found")
        T.filter_block(dev, parent)
        if kind == "u32" and not spec.get("sel"):
            raise KernelError(22, "cls_u32: Selector not specified")
        created = []
        try:
            for a in spec.get("actions", []):
                created.append(T.make_action(ns, a))
        except KernelError:
            for a in created:
                T.release_action(a)
            raise
        try:
            T.filter_add(dev, parent, prio, protocol, kind, spec, created,
                         spec.get("handle", 0))
        except KernelError:
            for a in created:
                T.release_action(a)
            raise
    except KernelError as e:
        return _kerr(ctx, e, talking=True)
    return 0


# -- u32 (f_u32.c) -------------------------------------------------------------------------

def _pack_key(keys: list, key: int, mask: int, off: int, offmask: int) -> bool:
    key &= mask
    for k in keys:
        if k[2] == off and k[3] == offmask:
            if (key ^ k[1]) & (mask & k[0]):
                return False
            k[1] |= key
            k[0] |= mask
            return True
    if len(keys) >= 128 or off % 4:
        return False
    keys.append([mask, key, off, offmask])
    return True


def _pack_key16(keys, key, mask, off, offmask) -> bool:
    if key > 0xFFFF or mask > 0xFFFF:
        return False
    if off & 3 == 0:
        key <<= 16
        mask <<= 16
    return _pack_key(keys, key, mask, off & ~3, offmask)


def _pack_key8(keys, key, mask, off, offmask) -> bool:
    if key > 0xFF or mask > 0xFF:
        return False
    sh = (24, 16, 8, 0)[off & 3]
    return _pack_key(keys, key << sh, mask << sh, off & ~3, offmask)


def _parse_at(args, j, off, offmask):
    """parse_at(): ``at [nexthdr+]OFF`` (nexthdr+ not emulated)."""
    v = args[j] if j < len(args) else None
    if v is None:
        return None
    from .ip.common import get_integer
    if v.startswith("nexthdr+"):
        return None
    x = get_integer(v, 0)
    if x is None:
        return None
    return x, offmask


def _parse_uN(args, j, keys, off, offmask, bits):
    """parse_u32 / parse_u16 / parse_u8: ``VAL MASK [at OFF]``; the next index or None."""
    if len(args) - j < 2:
        return None
    getter = {32: get_u32, 16: get_u16, 8: get_u8}[bits]
    key = getter(args[j], 0)
    if key is None:
        return None
    mask = getter(args[j + 1], 16)
    if mask is None:
        return None
    j += 2
    if j < len(args) and args[j] == "at":
        j += 1
        r = _parse_at(args, j, off, offmask)
        if r is None:
            return None
        off, offmask = r
        j += 1
    ok = {32: _pack_key, 16: _pack_key16, 8: _pack_key8}[bits](keys, key, mask, off, offmask)
    return j if ok else None


def _parse_ip_addr(args, j, keys, off):
    from .ip.common import AF_INET, get_prefix_1
    if j >= len(args):
        return None
    pfx = get_prefix_1(args[j], AF_INET)
    if pfx is None:
        return None
    bitlen = pfx.bitlen
    mask = (0xFFFFFFFF << (32 - bitlen)) & 0xFFFFFFFF if bitlen else 0
    addr = pfx.data if isinstance(pfx.data, int) else int.from_bytes(bytes(pfx.data[:4]), "big")
    if not _pack_key(keys, addr, mask, off, 0):
        return None
    return j + 1


def _parse_selector(args, j, keys):
    if j >= len(args):
        return None
    a = args[j]
    if matches(a, "u32"):
        return _parse_uN(args, j + 1, keys, 0, 0, 32)
    if matches(a, "u16"):
        return _parse_uN(args, j + 1, keys, 0, 0, 16)
    if matches(a, "u8"):
        return _parse_uN(args, j + 1, keys, 0, 0, 8)
    if matches(a, "ip"):
        j += 1
        if j >= len(args):
            return None
        w = args[j]
        j += 1
        if w == "src":
            return _parse_ip_addr(args, j, keys, 12)
        if w == "dst":
            return _parse_ip_addr(args, j, keys, 16)
        if w == "tos" or matches(w, "dsfield") or matches(w, "precedence"):
            return _parse_uN(args, j, keys, 1, 0, 8)
        if w == "ihl":
            return _parse_uN(args, j, keys, 0, 0, 8)
        if w == "protocol":
            return _parse_uN(args, j, keys, 9, 0, 8)
        if w == "nofrag":
            return j if _pack_key16(keys, 0, 0x3FFF, 6, 0) else None
        if w == "firstfrag":
            return j if _pack_key16(keys, 0x2000, 0x3FFF, 6, 0) else None
        if w == "df":
            return j if _pack_key16(keys, 0x4000, 0x4000, 6, 0) else None
        if w == "mf":
            return j if _pack_key16(keys, 0x2000, 0x2000, 6, 0) else None
        if w == "dport":
            return _parse_uN(args, j, keys, 22, 0, 16)
        if w == "sport":
            return _parse_uN(args, j, keys, 20, 0, 16)
        if w == "icmp_type":
            return _parse_uN(args, j, keys, 20, 0, 8)
        if w == "icmp_code":
            return _parse_uN(args, j, keys, 21, 0, 8)
        return None
    return None


def parse_u32(t, args: list, fhandle) -> dict | None:
    ctx = t.ctx
    keys: list = []
    sel_ok = False
    terminal = False
    spec: dict = {"keys": [], "actions": []}
    if fhandle is not None:
        m = re.fullmatch(r"([0-9a-fA-F]*):([0-9a-fA-F]*)(?::([0-9a-fA-F]+))?", fhandle)
        if not m or not m.group(3):
            ctx.eprint(f'Illegal "handle"')
            return None
        spec["handle"] = int(m.group(3), 16)
    i = 0
    n = len(args)
    while i < n:
        a = args[i]
        if matches(a, "match"):
            i += 1
            _need(t, args, i)
            j = _parse_selector(args, i, keys)
            if j is None:
                ctx.eprint('Illegal "match"')
                return None
            sel_ok = True
            i = j
            continue
        if matches(a, "classid") or a == "flowid":
            i += 1
            v = _need(t, args, i)
            h = get_tc_classid(v)
            if h is None:
                ctx.eprint('Illegal "classid"')
                return None
            spec["classid"] = h
        elif matches(a, "action") or matches(a, "actions"):
            r = parse_actions(t, args, i)
            if r is None:
                ctx.eprint('Illegal "action"')
                return None
            spec["actions"], i = r
            terminal = True
            continue
        elif a == "skip_hw" or a == "skip_sw":
            pass
        elif matches(a, "help"):
            _u32_explain(ctx)
            return None
        else:
            ctx.eprint(f'What is "{a}"?')
            _u32_explain(ctx)
            return None
        i += 1
    spec["keys"] = [(k[0], k[1], k[2]) for k in keys]
    spec["sel"] = sel_ok
    spec["terminal"] = terminal
    return spec


def _u32_explain(ctx) -> None:
    ctx.eprint(
        "Usage: ... u32 [ match SELECTOR ... ] [ link HTID ] [ classid CLASSID ]\n"
        "               [ action ACTION_SPEC ] [ offset OFFSET_SPEC ]\n"
        "               [ ht HTID ] [ hashkey HASHKEY_SPEC ]\n"
        "               [ sample SAMPLE ] [skip_hw | skip_sw]\n"
        "or         u32 divisor DIVISOR\n"
        "\n"
        "Where: SELECTOR := SAMPLE SAMPLE ...\n"
        "       SAMPLE := { ip | ip6 | udp | tcp | icmp | u{32|16|8} | mark }\n"
        "                 SAMPLE_ARGS [ divisor DIVISOR ]\n"
        "       FILTERID := X:Y:Z\n"
        "\n"
        "NOTE: CLASSID is parsed at hexadecimal input.")


def parse_matchall(t, args: list, fhandle) -> dict | None:
    ctx = t.ctx
    spec: dict = {"actions": []}
    if fhandle is not None:
        h = get_u32(fhandle, 0)
        if h is None:
            ctx.eprint(f'Illegal "handle"')
            return None
        spec["handle"] = h
    i = 0
    n = len(args)
    while i < n:
        a = args[i]
        if matches(a, "classid") or matches(a, "flowid"):
            i += 1
            v = _need(t, args, i)
            h = get_tc_classid(v)
            if h is None:
                ctx.eprint('Illegal "classid"')
                return None
            spec["classid"] = h
        elif matches(a, "action"):
            r = parse_actions(t, args, i)
            if r is None:
                ctx.eprint('Illegal "action"')
                return None
            spec["actions"], i = r
            continue
        elif a in ("skip_hw", "skip_sw"):
            pass
        else:
            ctx.eprint(f'What is "{a}"?')
            ctx.eprint("Usage: ... matchall [skip_sw | skip_hw]\n"
                       "                 [ action ACTION_SPEC ] [ classid CLASSID ]\n"
                       "\n"
                       "Where: SELECTOR := SAMPLE SAMPLE ...\n"
                       "       FILTERID := X:Y:Z\n"
                       "       ACTION_SPEC := ... look at individual actions\n"
                       "\n"
                       "NOTE: CLASSID is parsed as hexadecimal input.")
            return None
        i += 1
    spec["sel"] = True
    return spec


# -- actions (m_action.c, m_mirred.c, m_gact.c) ------------------------------------------------

_GACT = (("continue", T.TC_ACT_UNSPEC), ("drop", T.TC_ACT_SHOT), ("shot", T.TC_ACT_SHOT),
         ("pass", T.TC_ACT_OK), ("ok", T.TC_ACT_OK), ("reclassify", T.TC_ACT_RECLASSIFY),
         ("pipe", T.TC_ACT_PIPE), ("goto", None), ("jump", None), ("trap", T.TC_ACT_TRAP))
_NEW_CMDS = ("change", "replace", "delete", "add", "get", "list", "show", "flush")


def _action_a2n(w: str):
    for name, v in _GACT:
        if matches(w, name):
            return name, v
    return None


def parse_actions(t, args: list, i: int):
    """parse_action(): a list of action specs and the index after them, or None."""
    ctx = t.ctx
    out = []
    eap = 0
    ok = 0
    n = len(args)
    while i < n:
        a = args[i]
        if a == "action":
            i += 1
            eap = 1
            continue
        if a in ("flowid", "classid"):
            break
        if a == "help":
            return None
        if a in _NEW_CMDS:
            break
        r = _action_a2n(a)
        k = "gact" if r is not None else a
        eap = 0
        if k == "mirred":
            res = parse_mirred(t, args, i)
        elif k == "gact":
            res = parse_gact(t, args, i)
        else:
            # an unknown kind falls back to gact (get_action_kind), whose parser rejects it
            res = parse_gact(t, args, i)
        if res is None or res == "bad":
            ctx.eprint("bad action parsing")
            ctx.eprint(f"parse_action: bad value ({n - i}:{args[i]})!")
            return None
        spec, i = res
        out.append(spec)
        ok += 1
    if eap > 0:
        ctx.eprint(f"bad action empty {eap}")
        ctx.eprint(f"parse_action: bad value ({n - i}:{args[i] if i < n else '(null)'})!")
        return None
    return out, i


def parse_gact(t, args: list, i: int):
    ctx = t.ctx
    if i < len(args) and args[i] == "gact":
        i += 1
    w = args[i] if i < len(args) else None
    r = _action_a2n(w) if w is not None else None
    if r is None or r[1] is None:
        ctx.eprint(f"Bad action type {w}")
        ctx.eprint(GACT_USAGE, end="")
        raise Exit(255)
    i += 1
    spec = {"kind": "gact", "control": r[1]}
    if i < len(args) and args[i] == "index":
        i += 1
        v = _need(t, args, i)
        x = get_u32(v, 10)
        if x is None:
            ctx.eprint('Illegal "index"')
            return "bad"
        spec["index"] = x
        i += 1
    return spec, i


def parse_mirred(t, args: list, i: int):
    ctx = t.ctx
    i += 1                              # "mirred"
    n = len(args)
    egress = ingress = mirror = redir = False
    ok = iok = 0
    eaction = 0
    control = 0
    d = None
    index = 0
    while i < n:
        a = args[i]
        if matches(a, "action"):
            i += 1
            break
        if not egress and matches(a, "egress"):
            egress = True
            if ingress:
                ctx.eprint("Can't have both egress and ingress")
                return "bad"
            i += 1
            _need(t, args, i)
            ok += 1
            continue
        if not ingress and matches(a, "ingress"):
            ingress = True
            if egress:
                ctx.eprint("Can't have both egress and ingress")
                return "bad"
            i += 1
            _need(t, args, i)
            ok += 1
            continue
        if matches(a, "index"):
            i += 1
            v = _need(t, args, i)
            x = get_u32(v, 10)
            if x is None:
                ctx.eprint('Illegal "index"')
                return "bad"
            index = x
            iok += 1
            if not ok:
                i += 1
                break
        elif ok and not mirror and matches(a, "mirror"):
            mirror = True
            if redir:
                ctx.eprint("Can't have both mirror and redir")
                return "bad"
            eaction = T.TCA_EGRESS_MIRROR if egress else T.TCA_INGRESS_MIRROR
            control = T.TC_ACT_PIPE
            ok += 1
        elif ok and not redir and matches(a, "redirect"):
            redir = True
            if mirror:
                ctx.eprint("Can't have both mirror and redir")
                return "bad"
            eaction = T.TCA_EGRESS_REDIR if egress else T.TCA_INGRESS_REDIR
            control = T.TC_ACT_STOLEN
            ok += 1
        elif (redir or mirror) and matches(a, "dev"):
            i += 1
            v = _need(t, args, i)
            if d is not None:
                ctx.eprint(f'Error: duplicate "dev": "{v}" is the second value.')
                raise Exit(255)
            d = v
            i += 1
            break
        else:
            ctx.eprint(f"mirred option not supported {a}")
            break
        i += 1
        _need(t, args, i)
    if not ok and not iok:
        return "bad"
    if not eaction or d is None:
        if not iok:
            return "bad"
    spec = {"kind": "mirred", "eaction": eaction, "control": control, "index": index}
    if d is not None:
        dev = t.ns.by_name.get(d)
        if dev is None:
            ctx.eprint(f'Cannot find device "{d}"')
            return "bad"
        spec["ifindex"] = dev.ifindex
    if mirror and i < n:
        r = _action_a2n(args[i])
        if r is not None and r[1] is not None:
            spec["control"] = r[1]
            i += 1
    if i < n:
        if iok and matches(args[i], "index"):
            ctx.eprint("mirred: Illegal double index")
            return "bad"
        if matches(args[i], "index"):
            i += 1
            v = _need(t, args, i)
            x = get_u32(v, 10)
            if x is None:
                ctx.eprint('mirred: Illegal "index"')
                return "bad"
            spec["index"] = x
            i += 1
    return spec, i


# -- show --------------------------------------------------------------------------------------

def filter_list(t, args: list) -> int:
    ctx = t.ctx
    d = None
    parent = 0
    prio = 0
    protocol = 0
    i = 0
    while i < len(args):
        a = args[i]
        if a == "dev":
            i += 1
            d = _need(t, args, i)
        elif a == "root":
            parent = T.TC_H_ROOT
        elif a == "ingress":
            parent = T.tc_h(T.TC_H_CLSACT, T.TC_H_MIN_INGRESS)
        elif a == "egress":
            parent = T.tc_h(T.TC_H_CLSACT, T.TC_H_MIN_EGRESS)
        elif a == "parent":
            i += 1
            v = _need(t, args, i)
            h = get_tc_classid(v)
            if h is None:
                ctx.eprint(f'Error: argument "{v}" is wrong: invalid parent ID')
                return 255
            parent = h
        elif matches(a, "preference") or matches(a, "priority"):
            i += 1
            v = _need(t, args, i)
            x = get_u32(v, 0)
            if x is None or x > 0xFFFF:
                ctx.eprint(f'Error: argument "{v}" is wrong: invalid preference')
                return 255
            prio = x
        elif matches(a, "protocol"):
            i += 1
            v = _need(t, args, i)
            x = ll_proto_a2n(v)
            if x is None:
                ctx.eprint(f'Error: argument "{v}" is wrong: invalid protocol')
                return 255
            protocol = x
        elif a == "handle" or matches(a, "chain"):
            i += 1
            _need(t, args, i)
        elif matches(a, "help"):
            ctx.eprint(FILTER_USAGE, end="")
            return 255
        else:
            ctx.eprint(f'What is "{a}"? Try "tc filter help"')
            return 255
        i += 1
    if d is None:
        return 0                      # a dump with ifindex 0 answers nothing
    dev = _dev(t, d)
    if dev is None:
        ctx.eprint(f'Cannot find device "{d}"')
        return 1
    p = Printer(ctx, t.opts)
    tcd = dev.tc
    chain = None
    reply_parent = parent
    ing = tcd.ingress if tcd is not None else None
    if ing is not None:
        if parent in (T.tc_h(T.TC_H_INGRESS, 0), T.tc_h(T.TC_H_CLSACT, T.TC_H_MIN_INGRESS)):
            if ing.kind == "ingress" or parent & 0xFFFF:
                chain = ing.chains[T.TC_H_MIN_INGRESS]
            if ing.kind == "ingress":
                reply_parent = T.tc_h(T.TC_H_INGRESS, 0)
        elif parent == T.tc_h(T.TC_H_CLSACT, T.TC_H_MIN_EGRESS) and \
                T.TC_H_MIN_EGRESS in ing.chains:
            chain = ing.chains[T.TC_H_MIN_EGRESS]
    root = tcd.root if tcd is not None else None
    if isinstance(root, T.Htb) and (parent in (0, T.TC_H_ROOT) or parent == root.handle):
        chain = root.chains[0]
        reply_parent = root.handle
    if chain:
        for f in chain:
            if prio and f.prio != prio:
                continue
            if protocol and f.protocol != protocol:
                continue
            print_tp(t, p, dev, f, parent, reply_parent, prio, protocol)
    p.flush()
    return 0


def _filter_head(t, p, f, filter_parent, reply_parent, fprio, fproto) -> None:
    p.open_object()
    p.text("filter ")
    if not filter_parent or filter_parent != reply_parent:
        if reply_parent == T.TC_H_ROOT:
            p.any("root", "root ", True)
        elif reply_parent == T.tc_h(T.TC_H_CLSACT, T.TC_H_MIN_INGRESS):
            p.any("ingress", "ingress ", True)
        elif reply_parent == T.tc_h(T.TC_H_CLSACT, T.TC_H_MIN_EGRESS):
            p.any("egress", "egress ", True)
        else:
            p.any("parent", "parent %s ", sprint_classid(reply_parent))
    if not fproto or fproto != f.protocol:
        p.any("protocol", "protocol %s ", ll_proto_n2a(f.protocol))
    if not fprio or fprio != f.prio:
        p.any("pref", "pref %u ", f.prio)
    p.any("kind", "%s ", f.kind)
    p.any("chain", "chain %u ", f.chain)


def print_tp(t, p: Printer, dev, f, filter_parent, reply_parent, fprio, fproto) -> None:
    if isinstance(f, T.U32):
        # the tcf_proto, its root hash table, then each node
        _filter_head(t, p, f, filter_parent, reply_parent, fprio, fproto)
        p.nl()
        p.close()
        _filter_head(t, p, f, filter_parent, reply_parent, fprio, fproto)
        p.open_object("options")
        p.any("fh", "fh %s ", "%x:" % f.htid)
        p.any("ht_divisor", "ht divisor %d ", 1)
        p.close()
        p.nl()
        p.close()
        for node in f.nodes:
            _filter_head(t, p, f, filter_parent, reply_parent, fprio, fproto)
            p.open_object("options")
            p.any("fh", "fh %s ", "%x::%x" % (f.htid, node.handle & 0xFFF))
            p.any("order", "order %d ", node.handle & 0xFFF)
            p.any("key_ht", "key ht %s ", "%x" % f.htid)
            p.any("bkt", "bkt %s ", "0")
            if node.classid:
                p.any("flowid", "*flowid %s ", sprint_classid(node.classid))
            elif node.actions:
                p.text("terminal flowid ")
            p.any("not_in_hw", "not_in_hw ", True)
            for mask, val, off in node.keys:
                p.nl()
                p.open_object(DupKey("match"))
                p.any("value", "  match %s", "%08x" % val if not p.json else "%x" % val)
                p.any("mask", "/%s ", "%08x" % mask if not p.json else "%x" % mask)
                p.any("offmask", "at %s", "")
                p.any("off", "%d", off)
                p.close()
            print_actions(t, p, node.actions)
            p.close()
            p.nl()
            p.close()
        return
    # matchall: the tcf_proto, then its one node
    _filter_head(t, p, f, filter_parent, reply_parent, fprio, fproto)
    p.nl()
    p.close()
    for node in f.nodes:
        _filter_head(t, p, f, filter_parent, reply_parent, fprio, fproto)
        p.open_object("options")
        if p.json:
            p.jonly("handle", node.handle)
        else:
            p.text("handle 0x%x " % node.handle)
        if node.classid:
            p.any("flowid", "flowid %s ", sprint_classid(node.classid))
        p.nl()
        p.any("not_in_hw", "  not_in_hw", True)
        if t.opts.stats:
            p.any("rule_hit", " (rule hit %s)", node.hits)
        print_actions(t, p, node.actions)
        p.close()
        p.nl()
        p.close()


_ACT_NAMES = {T.TC_ACT_UNSPEC: "continue", T.TC_ACT_OK: "pass", T.TC_ACT_SHOT: "drop",
              T.TC_ACT_RECLASSIFY: "reclassify", T.TC_ACT_PIPE: "pipe",
              T.TC_ACT_STOLEN: "stolen", T.TC_ACT_TRAP: "trap"}


def _tm(p: Printer, a) -> None:
    """print_tm() over tcf_tm_dump(): clock_t (USER_HZ 100) deltas, printed in seconds."""
    now = a.ns.kernel.engine.now
    install = (now - a.install) // 10_000_000
    lastuse = (now - (a.lastuse or a.install)) // 10_000_000
    firstuse = (now - a.firstuse) // 10_000_000 if a.firstuse else 0
    if install:
        p.any("installed", " installed %u sec", install // T.HZ)
    if lastuse:
        p.any("last_used", " used %u sec", lastuse // T.HZ)
    if firstuse:
        p.any("first_used", " firstused %u sec", firstuse // T.HZ)


def print_actions(t, p: Printer, actions: list) -> None:
    if not actions:
        return
    p.open_array("actions")
    for order, a in enumerate(actions, 1):
        p.open_object()
        p.nl()
        p.any("order", "\taction order %u: ", order)
        if isinstance(a, T.Mirred):
            p.any("kind", "%s ", "mirred")
            names = {T.TCA_EGRESS_REDIR: "Egress Redirect", T.TCA_EGRESS_MIRROR: "Egress Mirror",
                     T.TCA_INGRESS_REDIR: "Ingress Redirect",
                     T.TCA_INGRESS_MIRROR: "Ingress Mirror"}
            p.text("(%s" % names[a.eaction])
            p.jonly("mirred_action", "redirect" if a.is_redirect else "mirror")
            p.jonly("direction", "ingress" if a.wants_ingress else "egress")
            p.any("to_dev", " to device %s)", a.dev.name if a.dev is not None else "*")
            p.text(" ")
            p.open_object("control_action")
            p.any("type", "%s", _ACT_NAMES.get(a.control, str(a.control)))
            p.close()
            p.nl()
            p.any("index", "\tindex %u", a.index)
            p.any("ref", " ref %d", a.refcnt)
            p.any("bind", " bind %d", a.bindcnt)
            if t.opts.stats:
                _tm(p, a)
            p.nl()
        else:
            p.any("kind", "%s ", "gact")
            p.text("action ")
            p.open_object("control_action")
            p.any("type", "%s", _ACT_NAMES.get(a.control, str(a.control)))
            p.close()
            p.nl()
            p.text("\t random type none pass val 0")
            p.open_object("prob")
            p.jonly("random_type", "none")
            p.open_object("control_action")
            p.jonly("type", "pass")
            p.close()
            p.jonly("val", 0)
            p.close()
            p.nl()
            p.any("index", "\t index %u", a.index)
            p.any("ref", " ref %d", a.refcnt)
            p.any("bind", " bind %d", a.bindcnt)
            if t.opts.stats:
                _tm(p, a)
            p.nl()
        if t.opts.stats:
            p.text("\tAction statistics:")
            p.nl()
            p.open_object("stats")
            print_stats(p, a.stats, "\t")
            p.close()
            p.nl()
        p.close()
    p.close()
