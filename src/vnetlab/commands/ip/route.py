"""``ip route`` as iproute2 6.1 has it (ip/iproute.c): list / flush with the SELECTOR filter,
add / del / change / append / replace / prepend / test, get; text, ``-j`` and ``-j -p``.

Each function names the iproute2 function it mirrors. The kernel side of every request (checks,
errno, extack text) lives in ``vnetlab.api`` (fib_newroute, fib_delroute, route_get); this module
only parses argv into those requests and prints the answers the way ``print_route()`` does.
"""

from __future__ import annotations

from ... import api
from .. import Exit
from ...stack.errors import KernelError
from ...stack.fib import (RT_TABLE_LOCAL, RT_TABLE_MAIN, RTN_ANYCAST, RTN_BLACKHOLE,
                          RTN_BROADCAST, RTN_LOCAL, RTN_MULTICAST, RTN_NAT, RTN_PROHIBIT,
                          RTN_UNICAST, RTN_UNREACHABLE, RTN_UNSPEC, RTNH_F_DEAD,
                          RTNH_F_LINKDOWN, RTNH_F_ONLINK, RTPROT_BOOT)
from ...stack.inet import RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_NOWHERE, RT_SCOPE_UNIVERSE
from .common import (AF_INET, AF_INET6, AF_UNSPEC, PREFIXLEN_SPECIFIED, InetPrefix, Printer,
                     duparg2, get_addr, get_prefix, get_u32, get_unsigned, incomplete, invarg,
                     ipv4_ntoa, ll_name_to_index, matches, nodev, opt_family,
                     rtnl_error, rtnl_rtscope_a2n, rtnl_rtscope_n2a, strtol)

USAGE = """\
Usage: ip route { list | flush } SELECTOR
       ip route save SELECTOR
       ip route restore
       ip route showdump
       ip route get [ ROUTE_GET_FLAGS ] ADDRESS
                            [ from ADDRESS iif STRING ]
                            [ oif STRING ] [ tos TOS ]
                            [ mark NUMBER ] [ vrf NAME ]
                            [ uid NUMBER ] [ ipproto PROTOCOL ]
                            [ sport NUMBER ] [ dport NUMBER ]
       ip route { add | del | change | append | replace } ROUTE
SELECTOR := [ root PREFIX ] [ match PREFIX ] [ exact PREFIX ]
            [ table TABLE_ID ] [ vrf NAME ] [ proto RTPROTO ]
            [ type TYPE ] [ scope SCOPE ]
ROUTE := NODE_SPEC [ INFO_SPEC ]
NODE_SPEC := [ TYPE ] PREFIX [ tos TOS ]
             [ table TABLE_ID ] [ proto RTPROTO ]
             [ scope SCOPE ] [ metric METRIC ]
             [ ttl-propagate { enabled | disabled } ]
INFO_SPEC := { NH | nhid ID } OPTIONS FLAGS [ nexthop NH ]...
NH := [ encap ENCAPTYPE ENCAPHDR ] [ via [ FAMILY ] ADDRESS ]
      [ dev STRING ] [ weight NUMBER ] NHFLAGS
FAMILY := [ inet | inet6 | mpls | bridge | link ]
OPTIONS := FLAGS [ mtu NUMBER ] [ advmss NUMBER ] [ as [ to ] ADDRESS ]
           [ rtt TIME ] [ rttvar TIME ] [ reordering NUMBER ]
           [ window NUMBER ] [ cwnd NUMBER ] [ initcwnd NUMBER ]
           [ ssthresh NUMBER ] [ realms REALM ] [ src ADDRESS ]
           [ rto_min TIME ] [ hoplimit NUMBER ] [ initrwnd NUMBER ]
           [ features FEATURES ] [ quickack BOOL ] [ congctl NAME ]
           [ pref PREF ] [ expires TIME ] [ fastopen_no_cookie BOOL ]
TYPE := { unicast | local | broadcast | multicast | throw |
          unreachable | prohibit | blackhole | nat }
TABLE_ID := [ local | main | default | all | NUMBER ]
SCOPE := [ host | link | global | NUMBER ]
NHFLAGS := [ onlink | pervasive ]
RTPROTO := [ kernel | boot | static | NUMBER ]
PREF := [ low | medium | high ]
TIME := NUMBER[s|ms]
BOOL := [1|0]
FEATURES := ecn
ENCAPTYPE := [ mpls | ip | ip6 | seg6 | seg6local | rpl | ioam6 | xfrm ]
ENCAPHDR := [ MPLSLABEL | SEG6HDR | SEG6LOCAL | IOAM6HDR | XFRMINFO ]
SEG6HDR := [ mode SEGMODE ] segs ADDR1,ADDRi,ADDRn [hmac HMACKEYID] [cleanup]
SEGMODE := [ encap | encap.red | inline | l2encap | l2encap.red ]
SEG6LOCAL := action ACTION [ OPTIONS ] [ count ]
ACTION := { End | End.X | End.T | End.DX2 | End.DX6 | End.DX4 |
            End.DT6 | End.DT4 | End.DT46 | End.B6 | End.B6.Encaps |
            End.BM | End.S | End.AS | End.AM | End.BPF }
OPTIONS := OPTION [ OPTIONS ]
OPTION := { flavors FLAVORS | srh SEG6HDR | nh4 ADDR | nh6 ADDR | iif DEV | oif DEV |
            table TABLEID | vrftable TABLEID | endpoint PROGNAME }
FLAVORS := { FLAVOR[,FLAVOR] }
FLAVOR := { psp | usp | usd | next-csid }
IOAM6HDR := trace prealloc type IOAM6_TRACE_TYPE ns IOAM6_NAMESPACE size IOAM6_TRACE_SIZE
XFRMINFO := if_id IF_ID [ link_dev LINK ]
ROUTE_GET_FLAGS := [ fibmatch ]
"""

RTM_F_NOTIFY = 0x100
RTM_F_CLONED = 0x200
RTM_F_OFFLOAD = 0x4000
RTM_F_TRAP = 0x8000
RTM_F_OFFLOAD_FAILED = 0x20000000
RTNH_F_PERVASIVE = 2
RTNH_F_OFFLOAD = 8
RTNH_F_UNRESOLVED = 32
RTNH_F_TRAP = 64

# RTCF_* (include/uapi/linux/in_route.h) in print_cache_flags() order
_RTCF_NAMES = ((0x80000000, "local"), (0x40000000, "reject"), (0x20000000, "mc"),
               (0x10000000, "brd"), (0x08000000, "dst-nat"), (0x00800000, "src-nat"),
               (0x00400000, "masq"), (0x00020000, "dst-direct"), (0x04000000, "src-direct"),
               (0x00040000, "redirected"), (0x01000000, "redirect"), (0x00200000, "fastroute"),
               (0x00010000, "notify"), (0x00080000, "proxy"))

# RTAX_* metrics in kernel order (mx_names[] of iproute.c)
RTAX_NAMES = {2: "mtu", 3: "window", 4: "rtt", 5: "rttvar", 6: "ssthresh", 7: "cwnd",
              8: "advmss", 9: "reordering", 10: "hoplimit", 11: "initcwnd", 12: "features",
              13: "rto_min", 14: "initrwnd", 15: "quickack", 16: "congctl",
              17: "fastopen_no_cookie"}
RTAX_BY_NAME = {v: k for k, v in RTAX_NAMES.items()}
RTAX_FEATURE_ECN = 1


# =============================================================================================
# names (lib/rt_names.c, ip/rtm_map.c) with Debian's /etc/iproute2 files of iproute2 6.1
# =============================================================================================

RT_PROTOS = {0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 8: "gated",
             9: "ra", 10: "mrt", 11: "zebra", 12: "bird", 13: "dnrouted", 14: "xorp",
             15: "ntk", 16: "dhcp", 18: "keepalived", 42: "babel", 99: "openr", 186: "bgp",
             187: "isis", 188: "ospf", 189: "rip", 192: "eigrp"}
RT_TABLES = {255: "local", 254: "main", 253: "default", 0: "unspec"}
RT_DSFIELD = {0x0: "default", 0x28: "AF11", 0x30: "AF12", 0x38: "AF13", 0x48: "AF21",
              0x50: "AF22", 0x58: "AF23", 0x68: "AF31", 0x70: "AF32", 0x78: "AF33",
              0x88: "AF41", 0x90: "AF42", 0x98: "AF43", 0x20: "CS1", 0x40: "CS2", 0x60: "CS3",
              0x80: "CS4", 0xA0: "CS5", 0xC0: "CS6", 0xE0: "CS7", 0xB8: "EF"}
RTN_TYPE_NAMES = ("none", "unicast", "local", "broadcast", "anycast", "multicast", "blackhole",
                  "unreachable", "prohibit", "throw", "nat", "xresolve")


def _strtoul_full(arg: str, base: int = 0) -> int | None:
    """strtoul() that must consume the whole (non-empty) argument."""
    val, end = strtol(arg, base)
    if end == 0 or end != len(arg):
        return None
    return val & 0xFFFFFFFFFFFFFFFF if val < 0 else val


def rtnl_rtprot_n2a(proto: int, numeric: bool = False) -> str:
    if numeric or proto not in RT_PROTOS:
        return str(proto)
    return RT_PROTOS[proto]


def rtnl_rtprot_a2n(arg: str) -> int | None:
    for k, v in RT_PROTOS.items():
        if v == arg:
            return k
    val = _strtoul_full(arg)
    return val if val is not None and val <= 255 else None


def rtnl_rttable_n2a(table: int, numeric: bool = False) -> str:
    if not numeric and table in RT_TABLES:
        return RT_TABLES[table]
    return str(table)


def rtnl_rttable_a2n(arg: str) -> int | None:
    for k, v in RT_TABLES.items():
        if v == arg:
            return k
    val = _strtoul_full(arg)
    return val if val is not None and val <= 0xFFFFFFFF else None


def rtnl_rtntype_n2a(t: int, numeric: bool = False) -> str:
    if numeric or not 0 <= t < len(RTN_TYPE_NAMES):
        return str(t)
    return RTN_TYPE_NAMES[t]


def rtnl_rtntype_a2n(arg: str) -> int | None:
    """rtm_map.c: rtnl_rtntype_a2n() (note: ``u`` is unreachable, not unicast)."""
    if arg == "local":
        return RTN_LOCAL
    if arg == "nat":
        return RTN_NAT
    if matches(arg, "broadcast") or arg == "brd":
        return RTN_BROADCAST
    for word, t in (("anycast", RTN_ANYCAST), ("multicast", RTN_MULTICAST), ("prohibit", 8),
                    ("unreachable", 7), ("blackhole", 6), ("xresolve", 11),
                    ("unicast", RTN_UNICAST)):
        if matches(arg, word):
            return t
    if arg == "throw":
        return 9
    val = _strtoul_full(arg)
    return val if val is not None and val <= 255 else None


def rtnl_dsfield_n2a(tos: int, numeric: bool = False) -> str:
    if not numeric and tos in RT_DSFIELD:
        return RT_DSFIELD[tos]
    return f"0x{tos:02x}"


def rtnl_dsfield_a2n(arg: str) -> int | None:
    for k, v in RT_DSFIELD.items():
        if v == arg:
            return k
    val = _strtoul_full(arg, 16)
    return val if val is not None and val <= 255 else None


def read_family(name: str) -> int:
    """lib/utils.c: read_family()."""
    return {"inet": AF_INET, "inet6": AF_INET6, "link": 17, "mpls": 28,
            "bridge": 7}.get(name, AF_UNSPEC)


def get_time_rtt(arg: str) -> tuple[int, bool] | None:
    """lib/utils.c: get_time_rtt(): (milliseconds, raw) where raw means "no unit given"."""
    if "." in arg:
        import re
        m = re.match(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", arg)
        if not m:
            return None
        t = float(m.group(0))
        if t < 0:
            return None
        rest = arg[m.end():]
    else:
        val, end = strtol(arg, 0)
        if end == 0:
            return None
        t, rest = float(val & 0xFFFFFFFFFFFFFFFF if val < 0 else val), arg[end:]
    raw = True
    if rest:
        raw = False
        if rest.lower() in ("s", "sec", "secs"):
            t *= 1000
        elif rest.lower() not in ("ms", "msec", "msecs"):
            return None
    v = int(t) & 0xFFFFFFFF
    if v < t:
        v += 1
    return v, raw


# =============================================================================================
# the route messages print_route() reads (what fib_dump_info() / rt_fill_info() put)
# =============================================================================================

class RouteMsg:
    """One RTM_NEWROUTE as the kernel would send it (attributes None when absent)."""

    __slots__ = ("type", "dst", "dst_len", "src", "src_len", "tos", "table", "protocol",
                 "scope", "flags", "gw", "oif", "prefsrc", "priority", "metrics", "uid",
                 "route")

    def __init__(self, **kw):
        for k in self.__slots__:
            setattr(self, k, kw.get(k))
        self.dst_len = self.dst_len or 0
        self.src_len = self.src_len or 0
        self.tos = self.tos or 0
        self.flags = self.flags or 0
        self.metrics = self.metrics or {}


def _ignore_linkdown(dev) -> bool:
    """ip_ignore_linkdown(): net.ipv4.conf.{all,DEV}.ignore_routes_with_linkdown."""
    if dev is None or dev.ip is None:
        return False
    return bool(dev.ns.ipv4.eff(dev.ip, "ignore_routes_with_linkdown"))


def fib_dump_info(r) -> RouteMsg:
    """fib_dump_info() + fib_nexthop_info() for one fib alias with a single nexthop."""
    flags = 0
    if r.dev is not None:
        nhf = r.nh_flags
        if r.dead or nhf & RTNH_F_DEAD:
            flags |= RTNH_F_DEAD
        if nhf & RTNH_F_LINKDOWN:
            flags |= RTNH_F_LINKDOWN
            if _ignore_linkdown(r.dev):
                flags |= RTNH_F_DEAD
        flags |= nhf & (RTNH_F_ONLINK | RTNH_F_OFFLOAD | RTNH_F_TRAP)
    return RouteMsg(type=r.type, dst=r.dst if r.plen else None, dst_len=r.plen, tos=r.tos,
                    table=r.table, protocol=r.proto, scope=r.scope, flags=flags,
                    gw=r.gw or None, oif=r.dev, prefsrc=r.prefsrc or None,
                    priority=r.priority or None,
                    metrics={k: v for k, v in (r.metrics or {}).items() if v}, route=r)


def _routes_in_dump_order(fib, table: int | None) -> list:
    """inet_dump_fib(): tables by hash bucket (id & 255), each in trie order."""
    if table:
        t = fib.tables.get(table)
        return t.routes() if t is not None else []
    out = []
    for tid in sorted(fib.tables, key=lambda x: (x & 255, x)):
        out.extend(fib.tables[tid].routes())
    return out


# =============================================================================================
# the SELECTOR filter (the static ``filter`` of iproute.c)
# =============================================================================================

class Filter:
    def __init__(self):
        self.tb = 0
        self.cloned = 0
        self.protocol = self.protocolmask = 0
        self.scope = self.scopemask = 0
        self.typemask = 0
        self.tos = self.tosmask = 0
        self.oif = self.oifmask = 0
        self.iif = self.iifmask = 0
        self.metric = self.metricmask = 0
        self.rdst = InetPrefix()
        self.mdst = InetPrefix(bitlen=-1)
        self.rsrc = InetPrefix()
        self.msrc = InetPrefix(bitlen=-1)
        self.rvia = InetPrefix()
        self.rprefsrc = InetPrefix()
        self.flush = None            # list of routes to delete while flushing


def inet_addr_match(a: int, b: int, bits: int) -> bool:
    """lib/utils.c: inet_addr_match(), True when the first ``bits`` bits are equal."""
    if bits <= 0:
        return True
    bits = min(bits, 32)
    mask = (0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF
    return (a & mask) == (b & mask)


def _prefix_active(p: InetPrefix) -> bool:
    return bool(p.family or p.flags & PREFIXLEN_SPECIFIED)


def filter_nlmsg(f: Filter, m: RouteMsg, family: int) -> bool:
    """iproute.c: filter_nlmsg(), IPv4 messages only."""
    if family not in (AF_UNSPEC, AF_INET):
        return False
    if f.cloned == (not (m.flags & RTM_F_CLONED)):
        return False
    if f.tb > 0 and f.tb != m.table:
        return False
    if (f.protocol ^ (m.protocol or 0)) & f.protocolmask:
        return False
    if (f.scope ^ (m.scope or 0)) & f.scopemask:
        return False
    if f.typemask and not f.typemask & (1 << m.type):
        return False
    if (f.tos ^ m.tos) & f.tosmask:
        return False
    if _prefix_active(f.rdst) and f.rdst.bitlen > m.dst_len:
        return False
    if _prefix_active(f.mdst) and 0 <= f.mdst.bitlen < m.dst_len:
        return False
    if _prefix_active(f.rsrc) and f.rsrc.bitlen > m.src_len:
        return False
    if _prefix_active(f.msrc) and 0 <= f.msrc.bitlen < m.src_len:
        return False
    dst = m.dst or 0
    if _prefix_active(f.rdst) and not inet_addr_match(dst, f.rdst.data, f.rdst.bitlen):
        return False
    if _prefix_active(f.mdst) and not inet_addr_match(dst, f.mdst.data, m.dst_len):
        return False
    src = m.src or 0
    if _prefix_active(f.rsrc) and not inet_addr_match(src, f.rsrc.data, f.rsrc.bitlen):
        return False
    if _prefix_active(f.msrc) and f.msrc.bitlen >= 0 and \
            not inet_addr_match(src, f.msrc.data, m.src_len):
        return False
    if f.rvia.family:
        via = (m.gw or 0) if f.rvia.bitlen > 0 else 0
        if not inet_addr_match(via, f.rvia.data, f.rvia.bitlen):
            return False
    if f.rprefsrc.family:
        psrc = (m.prefsrc or 0) if f.rprefsrc.bitlen > 0 else 0
        if not inet_addr_match(psrc, f.rprefsrc.data, f.rprefsrc.bitlen):
            return False
    if f.iifmask and f.iif:          # fib routes carry no RTA_IIF (iif 0)
        return False
    if f.oifmask:
        oif = m.oif.ifindex if m.oif is not None else 0
        if (oif ^ f.oif) & f.oifmask:
            return False
    if f.metricmask and ((m.priority or 0) ^ f.metric) & f.metricmask:
        return False
    return True


# =============================================================================================
# printing (print_route() and its helpers)
# =============================================================================================

def print_rt_flags(p: Printer, flags: int) -> None:
    """iproute.c: print_rt_flags()."""
    p.open_array("flags")
    for bit, name in ((RTNH_F_DEAD, "dead"), (RTNH_F_ONLINK, "onlink"),
                      (RTNH_F_PERVASIVE, "pervasive"), (RTNH_F_OFFLOAD, "offload"),
                      (RTNH_F_TRAP, "trap"), (RTM_F_NOTIFY, "notify"),
                      (RTNH_F_LINKDOWN, "linkdown"), (RTNH_F_UNRESOLVED, "unresolved"),
                      (RTM_F_OFFLOAD, "rt_offload"), (RTM_F_TRAP, "rt_trap"),
                      (RTM_F_OFFLOAD_FAILED, "rt_offload_failed")):
        if flags & bit:
            p.item("%s ", name)
    p.close()


def print_cache_flags(p: Printer, opts, flags: int) -> None:
    """iproute.c: print_cache_flags()."""
    flags &= ~0xFFFF & 0xFFFFFFFF
    if p.json:
        p.open_array("cache")
    else:
        p.text(f"{opts.sl}    cache ")
        if flags == 0:
            return
        p.text("<")
    for bit, name in _RTCF_NAMES:
        if flags & bit:
            flags &= ~bit
            if p.json:
                p.item("%s", name)
            else:
                p.text(name + ("," if flags else "> "))
    if flags:
        p.any("flags", "%x>", flags)
    if p.json:
        p.close()


def print_rta_metrics(p: Printer, metrics: dict) -> None:
    """iproute.c: print_rta_metrics()."""
    p.open_array("metrics")
    p.open_object(None)
    lock = metrics.get("lock", 0)
    for i in range(2, 18):
        name = RTAX_NAMES[i]
        val = metrics.get(name)
        if val is None and not lock & (1 << i):
            continue
        val = val or 0
        if i == 10 and val == 0xFFFFFFFF:
            continue
        p.text(f"{name} ")
        if lock & (1 << i):
            p.text("lock ")
        if i == 12:
            if val & RTAX_FEATURE_ECN:
                p.any("ecn", "ecn ", None)
            if val & ~RTAX_FEATURE_ECN:
                p.any("features", "%#x ", val)
        elif i in (4, 5, 13):
            val = val // 8 if i == 4 else val // 4 if i == 5 else val
            if p.json:
                p.jonly(name, val)
            elif val >= 1000:
                p.text(f"{_fmt_g(val / 1e3)}s ")
            else:
                p.text(f"{val}ms ")
        elif i == 16:
            p.any("congestion", "%s ", val)
        else:
            p.any(name, "%u ", val)
    p.close()
    p.close()


def _fmt_g(x: float) -> str:
    """printf's %g."""
    return f"{x:g}"


def print_route(p: Printer, opts, f: Filter, m: RouteMsg) -> None:
    """iproute.c: print_route() for one IPv4 route message."""
    num = opts.numeric
    details = opts.details
    p.open_object(None)
    if (m.type != RTN_UNICAST or details) and (not f.typemask or f.typemask & (1 << m.type)):
        p.any("type", "%s ", rtnl_rtntype_n2a(m.type, num))
    if m.dst is not None:
        b1 = ipv4_ntoa(m.dst) if m.dst_len == 32 else f"{ipv4_ntoa(m.dst)}/{m.dst_len}"
    elif m.dst_len:
        b1 = f"0/{m.dst_len} "
    else:
        b1 = "default"
    p.any("dst", "%s ", b1)
    if m.src is not None:
        b1 = ipv4_ntoa(m.src) if m.src_len == 32 else f"{ipv4_ntoa(m.src)}/{m.src_len}"
        p.any("from", "from %s ", b1)
    elif m.src_len:
        p.any("src", "from %s ", f"0/{m.src_len}")
    if m.tos and f.tosmask != -1:
        p.any("tos", "tos %s ", rtnl_dsfield_n2a(m.tos, num))
    if m.gw is not None and f.rvia.bitlen != 32:
        p.any("gateway", "via %s ", ipv4_ntoa(m.gw))
    if m.oif is not None and f.oifmask != -1:
        p.any("dev", "dev %s ", m.oif.name)
    if m.table and (m.table != RT_TABLE_MAIN or details) and not f.tb:
        p.any("table", "table %s ", rtnl_rttable_n2a(m.table, num))
    if not m.flags & RTM_F_CLONED:
        if (m.protocol != RTPROT_BOOT or details) and f.protocolmask != -1:
            p.any("protocol", "proto %s ", rtnl_rtprot_n2a(m.protocol, num))
        if (m.scope != RT_SCOPE_UNIVERSE or details) and f.scopemask != -1:
            p.any("scope", "scope %s ", rtnl_rtscope_n2a(m.scope, num))
    if m.prefsrc is not None and f.rprefsrc.bitlen != 32:
        p.any("prefsrc", "src %s ", ipv4_ntoa(m.prefsrc))
    if m.priority is not None and f.metricmask != -1:
        p.any("metric", "metric %u ", m.priority)
    print_rt_flags(p, m.flags)
    if m.uid is not None:
        p.any("uid", "uid %u ", m.uid)
    if m.flags & RTM_F_CLONED:
        print_cache_flags(p, opts, m.flags)
    if m.metrics:
        print_rta_metrics(p, m.metrics)
    p.text("\n")
    p.close()


# =============================================================================================
# ip route add | change | replace | prepend | append | test | delete (iproute_modify)
# =============================================================================================

class _Argv:
    """argc/argv with iproute2's NEXT_ARG() (incomplete command -> exit 255)."""

    def __init__(self, ctx, argv: list[str]):
        self.ctx, self.argv, self.i = ctx, argv, 0

    def more(self) -> bool:
        return self.i < len(self.argv)

    @property
    def cur(self) -> str:
        return self.argv[self.i]

    def next(self) -> str:
        self.i += 1
        if self.i >= len(self.argv):
            incomplete(self.ctx)
        return self.argv[self.i]

    def step(self) -> None:
        self.i += 1


def usage(ctx) -> None:
    """usage(): the text on stderr, exit(-1)."""
    ctx.eprint(USAGE, end="")
    raise Exit(255)


def _unsupported(ctx, what: str) -> None:
    ctx.fail(f'vnetlab: "ip route ... {what}" is not provided by the emulator yet', 2)


def _need_ipv4(ctx, family: int) -> None:
    if family == AF_INET6 and getattr(ctx.ns, "ipv6", None) is None:
        ctx.fail("vnetlab: IPv6 routes are not provided by the emulator yet", 2)


# The metric keywords of iproute_modify() in its if-chain order: (keyword, exact?) -> RTAX name.
# ``exact`` keywords are strcmp()ed, the others accept any prefix (matches()).
_METRIC_WORDS = (("mtu", True), ("hoplimit", True), ("advmss", True), ("reordering", False),
                 ("rtt", True), ("rto_min", True), ("window", False), ("cwnd", False),
                 ("initcwnd", False), ("initrwnd", False), ("features", False),
                 ("quickack", False), ("congctl", False), ("rttvar", False),
                 ("ssthresh", False))


def _metric_keyword(arg: str) -> str | None:
    for word, exact in _METRIC_WORDS:
        if arg == word or (not exact and matches(arg, word)):
            return word
    return None


def _parse_metric(ctx, a: "_Argv", name: str, metrics: dict) -> int:
    """One RTA_METRICS option of iproute_modify(); returns the RTAX_LOCK bits it sets."""
    i = RTAX_BY_NAME[name]
    lock = 0
    if name == "features":
        if a.next() != "ecn":
            invarg(ctx, '"features" value not valid\n', a.cur)
        metrics[name] = RTAX_FEATURE_ECN
        return 0
    if name == "quickack":
        val = get_unsigned(a.next())
        if val is None:
            invarg(ctx, '"quickack" value is invalid\n', a.cur)
        if val not in (0, 1):
            invarg(ctx, '"quickack" value should be 0 or 1\n', a.cur)
        metrics[name] = val
        return 0
    if name == "rto_min":
        lock = 1 << i                      # rto_min is always locked
        a.next()
    elif a.next() == "lock":
        lock = 1 << i
        a.next()
    if name == "congctl":
        metrics[name] = a.cur
        return lock
    if name in ("rtt", "rttvar", "rto_min"):
        t = get_time_rtt(a.cur)
        if t is None:
            invarg(ctx, f'"{name}" value is invalid\n', a.cur)
        val, raw = t
        if not raw:
            val *= 8 if name == "rtt" else 4 if name == "rttvar" else 1
        metrics[name] = val & 0xFFFFFFFF
        return lock
    val = get_unsigned(a.cur)
    if val is None or (name == "hoplimit" and val > 255):
        invarg(ctx, '"mss" value is invalid\n' if name == "advmss"
               else f'"{name}" value is invalid\n', a.cur)
    metrics[name] = val
    return lock


def iproute_modify(ctx, opts, cmd: str, nlflags: int, argv: list[str]) -> int:
    """iproute.c: iproute_modify() -> RTM_NEWROUTE / RTM_DELROUTE."""
    family = opt_family(opts)
    delete = cmd == "del"
    cfg = api.RouteConfig(table=RT_TABLE_MAIN, scope=RT_SCOPE_NOWHERE, type=RTN_UNSPEC,
                          protocol=0, nlflags=nlflags)
    if not delete:
        cfg.protocol, cfg.scope, cfg.type = RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST
    metrics: dict = {}
    lock = 0
    d = None
    gw_ok = dst_ok = scope_ok = table_ok = False
    a = _Argv(ctx, argv)
    while a.more():
        arg = a.cur
        if arg == "src":
            addr = get_addr(ctx, a.next(), family)
            if family == AF_UNSPEC:
                family = addr.family
            cfg.prefsrc = addr.data
        elif arg == "via":
            if gw_ok:
                invarg(ctx, "use nexthop syntax to specify multiple via\n", arg)
            gw_ok = True
            fam = read_family(a.next())
            if fam == AF_UNSPEC:
                fam = family
            else:
                a.next()
            addr = get_addr(ctx, a.cur, fam)
            if family == AF_UNSPEC:
                family = addr.family
            _need_ipv4(ctx, addr.family)
            cfg.gw = addr.data
        elif arg == "as":
            if a.next() == "to":
                a.next()
            get_addr(ctx, a.cur, family)
            _unsupported(ctx, "as (MPLS destination)")
        elif arg == "from":
            get_prefix(ctx, a.next(), family)
            _unsupported(ctx, "from (source-specific routes)")
        elif arg == "tos" or matches(arg, "dsfield"):
            tos = rtnl_dsfield_a2n(a.next())
            if tos is None:
                invarg(ctx, '"tos" value is invalid\n', a.cur)
            cfg.tos = tos
        elif arg == "expires":
            if get_u32(a.next()) is None:
                invarg(ctx, '"expires" value is invalid\n', a.cur)
        elif matches(arg, "metric") or matches(arg, "priority") or arg == "preference":
            metric = get_u32(a.next())
            if metric is None:
                invarg(ctx, '"metric" value is invalid\n', a.cur)
            cfg.priority = metric
        elif arg == "scope":
            scope = rtnl_rtscope_a2n(a.next())
            if scope is None:
                invarg(ctx, 'invalid "scope" value\n', a.cur)
            cfg.scope = scope
            scope_ok = True
        elif _metric_keyword(arg) is not None:
            name = _metric_keyword(arg)
            lock |= _parse_metric(ctx, a, name, metrics)
        elif matches(arg, "realms"):
            a.next()
            _unsupported(ctx, "realms")
        elif arg == "onlink":
            cfg.flags |= RTNH_F_ONLINK
        elif arg == "nexthop":
            _unsupported(ctx, "nexthop (multipath)")
        elif arg == "nhid":
            if get_u32(a.next()) is None:
                invarg(ctx, '"id" value is invalid\n', a.cur)
            _unsupported(ctx, "nhid")
        elif matches(arg, "protocol"):
            proto = rtnl_rtprot_a2n(a.next())
            if proto is None:
                invarg(ctx, '"protocol" value is invalid\n', a.cur)
            cfg.protocol = proto
        elif matches(arg, "table"):
            tid = rtnl_rttable_a2n(a.next())
            if tid is None:
                invarg(ctx, '"table" value is invalid\n', a.cur)
            cfg.table = tid
            table_ok = True
        elif matches(arg, "vrf"):
            a.next()
            invarg(ctx, "Invalid VRF\n", a.cur)
        elif arg in ("dev", "oif"):
            d = a.next()
        elif matches(arg, "pref"):
            a.next()
        elif arg == "encap":
            _unsupported(ctx, "encap")
        elif arg == "ttl-propagate":
            v = a.next()
            if not (matches(v, "enabled") or matches(v, "disabled")):
                invarg(ctx, '"ttl-propagate" value is invalid\n', v)
        elif matches(arg, "fastopen_no_cookie"):
            val = get_unsigned(a.next())
            if val is None:
                invarg(ctx, '"fastopen_no_cookie" value is invalid\n', a.cur)
            if val not in (0, 1):
                invarg(ctx, '"fastopen_no_cookie" value should be 0 or 1\n', a.cur)
            metrics["fastopen_no_cookie"] = val
        else:
            if arg == "to":
                arg = a.next()
            if (not arg or not "0" <= arg[0] <= "9") and rtnl_rtntype_a2n(arg) is not None:
                cfg.type = rtnl_rtntype_a2n(arg)
                arg = a.next()
            if matches(arg, "help"):
                usage(ctx)
            if dst_ok:
                duparg2(ctx, "to", arg)
            dst = get_prefix(ctx, arg, family)
            if family == AF_UNSPEC:
                family = dst.family
            _need_ipv4(ctx, dst.family)
            cfg.dst, cfg.dst_len = dst.data, dst.bitlen
            dst_ok = True
        a.step()

    if not dst_ok:
        usage(ctx)
    if d is not None:
        idx = ll_name_to_index(ctx.ns, d)
        if not idx:
            return nodev(ctx, d)
        cfg.oif = ctx.ns.by_index.get(idx)
    if metrics:
        if lock:
            metrics["lock"] = lock
        cfg.metrics = _kernel_metrics(metrics)
    if not table_ok and cfg.type in (RTN_LOCAL, RTN_BROADCAST, RTN_NAT, RTN_ANYCAST):
        cfg.table = RT_TABLE_LOCAL
    if not scope_ok:
        if cfg.type in (RTN_LOCAL, RTN_NAT):
            cfg.scope = RT_SCOPE_HOST
        elif cfg.type in (RTN_BROADCAST, RTN_MULTICAST, RTN_ANYCAST):
            cfg.scope = RT_SCOPE_LINK
        elif cfg.type in (RTN_UNICAST, RTN_UNSPEC):
            if delete:
                cfg.scope = RT_SCOPE_NOWHERE
            elif not gw_ok:
                cfg.scope = RT_SCOPE_LINK
    try:
        if family == AF_INET6:
            inet6_rtm_route(ctx.ns, cfg, delete, gw_ok, table_ok)
        elif delete:
            api.fib_delroute(ctx.ns, cfg)
        else:
            api.fib_newroute(ctx.ns, cfg)
    except KernelError as e:
        rtnl_error(ctx, e, 2)
    return 0


def _b6(v) -> bytes | None:
    if v is None:
        return None
    return v.to_bytes(16, "big") if isinstance(v, int) else bytes(v)


def inet6_rtm_route(ns, cfg, delete: bool, gw_ok: bool, table_ok: bool) -> None:
    """net/ipv6/route.c: inet6_rtm_newroute() / ip6_route_add() / ip6_route_del()."""
    from ...stack.errors import EHOSTUNREACH, EINVAL, ESRCH
    from ...stack.ipv6 import IP6_RT_PRIO_USER, Route6
    from ...stack.netdev import IFF_UP as _UP
    ipv6 = ns.ipv6
    dst = _b6(cfg.dst) or b"\x00" * 16
    plen = cfg.dst_len or 0
    gw = _b6(cfg.gw) if gw_ok else None
    table = cfg.table if (table_ok or cfg.table) else RT_TABLE_MAIN
    if delete:
        r = None
        for t, cand in ipv6.routes():
            if t != table or cand.dst != dst or cand.plen != plen:
                continue
            if cfg.oif is not None and cand.dev is not cfg.oif:
                continue
            if gw is not None and cand.gw != gw:
                continue
            if cfg.priority and cand.metric != cfg.priority:
                continue
            if cfg.protocol and cand.proto != cfg.protocol:
                continue
            r = cand
            break
        if r is None:
            raise KernelError(ESRCH)
        ipv6.fib_delete(r)
        if r.ifa is not None:
            r.ifa.rt = None
        return
    rtype = cfg.type or RTN_UNICAST
    dev = cfg.oif
    if rtype in (RTN_UNREACHABLE, RTN_BLACKHOLE, RTN_PROHIBIT):
        dev = ns.lo
    else:
        if gw is not None:
            if gw[0] == 0xFE and gw[1] & 0xC0 == 0x80:
                if dev is None:
                    raise KernelError(EINVAL, "Egress device not specified")
            else:
                r = ipv6.route_lookup(gw, dev)
                if r is None or r.gw is not None or r.type != RTN_UNICAST:
                    raise KernelError(EHOSTUNREACH)
                if dev is None:
                    dev = r.dev
        if dev is None:
            raise KernelError(19)            # ENODEV
        if not dev.flags & _UP:
            raise KernelError(EINVAL, "Nexthop device is not up")
        if dev.ip6 is None:
            raise KernelError(19)
    r = Route6(ipv6_prefix_bytes(dst, plen), plen, dev, gw=gw,
               metric=cfg.priority or IP6_RT_PRIO_USER, proto=cfg.protocol or RTPROT_BOOT,
               type=rtype, table=table)
    if cfg.prefsrc:
        r.prefsrc = _b6(cfg.prefsrc)
    nlflags = cfg.nlflags
    ipv6.route_add(r, replace=bool(nlflags & api.NLM_F_REPLACE),
                   excl=bool(nlflags & api.NLM_F_EXCL))


def ipv6_prefix_bytes(a: bytes, plen: int) -> bytes:
    from ...wire.ipv6 import prefix
    return prefix(a, plen)


def _kernel_metrics(metrics: dict) -> dict:
    """ip_metrics_convert(): the kernel clamps some values and keeps only non-zero ones."""
    out = {}
    for name, val in metrics.items():
        if name == "advmss" and val > 65535 - 40:
            val = 65535 - 40
        if name == "mtu" and val > 65535 - 15:
            val = 65535 - 15
        if name == "hoplimit" and val > 255:
            val = 255
        if val:
            out[name] = val
    return out


# =============================================================================================
# ip route list / flush (iproute_list_flush_or_save)
# =============================================================================================

def iproute_list_flush(ctx, opts, argv: list[str], flush: bool) -> int:
    """iproute.c: iproute_list_flush_or_save() for IPROUTE_LIST and IPROUTE_FLUSH."""
    f = Filter()
    f.tb = RT_TABLE_MAIN
    dump_family = opt_family(opts)
    if flush and not argv:
        ctx.eprint('"ip route flush" requires arguments.')
        return 1
    od = idev = None
    a = _Argv(ctx, argv)
    while a.more():
        arg = a.cur
        if matches(arg, "table"):
            v = a.next()
            tid = rtnl_rttable_a2n(v)
            if tid is None:
                if v == "all":
                    f.tb = 0
                elif v == "cache":
                    f.cloned = 1
                elif v == "help":
                    usage(ctx)
                else:
                    invarg(ctx, "table id value is invalid\n", v)
            else:
                f.tb = tid
        elif matches(arg, "vrf"):
            a.next()
            invarg(ctx, "Invalid VRF\n", a.cur)
        elif matches(arg, "cached") or matches(arg, "cloned"):
            f.cloned = 1
        elif arg == "tos" or matches(arg, "dsfield"):
            tos = rtnl_dsfield_a2n(a.next())
            if tos is None:
                invarg(ctx, "TOS value is invalid\n", a.cur)
            f.tos, f.tosmask = tos, -1
        elif matches(arg, "protocol"):
            v = a.next()
            f.protocolmask = -1
            prot = rtnl_rtprot_a2n(v)
            if prot is None:
                if v != "all":
                    invarg(ctx, 'invalid "protocol"\n', v)
                prot, f.protocolmask = 0, 0
            f.protocol = prot
        elif matches(arg, "scope"):
            v = a.next()
            f.scopemask = -1
            scope = rtnl_rtscope_a2n(v)
            if scope is None:
                if v != "all":
                    invarg(ctx, 'invalid "scope"\n', v)
                scope, f.scopemask = RT_SCOPE_NOWHERE, 0
            f.scope = scope
        elif matches(arg, "type"):
            t = rtnl_rtntype_a2n(a.next())
            if t is None:
                invarg(ctx, "node type value is invalid\n", a.cur)
            f.typemask = 1 << t
        elif arg in ("dev", "oif"):
            od = a.next()
        elif arg == "iif":
            idev = a.next()
        elif arg == "mark":
            if get_unsigned(a.next()) is None:
                invarg(ctx, "invalid mark value", a.cur)
        elif matches(arg, "metric") or matches(arg, "priority") or arg == "preference":
            metric = get_u32(a.next())
            if metric is None:
                invarg(ctx, '"metric" value is invalid\n', a.cur)
            f.metric, f.metricmask = metric, -1
        elif arg == "via":
            fam = read_family(a.next())
            if fam == AF_UNSPEC:
                fam = dump_family
            else:
                a.next()
            f.rvia = get_prefix(ctx, a.cur, fam)
        elif arg == "src":
            f.rprefsrc = get_prefix(ctx, a.next(), dump_family)
        elif matches(arg, "realms"):
            a.next()
        elif matches(arg, "from"):
            v = a.next()
            if matches(v, "root"):
                f.rsrc = get_prefix(ctx, a.next(), dump_family)
            elif matches(v, "match"):
                f.msrc = get_prefix(ctx, a.next(), dump_family)
            else:
                if matches(v, "exact"):
                    v = a.next()
                f.msrc = get_prefix(ctx, v, dump_family)
                f.rsrc = f.msrc
        else:
            v = arg
            if matches(v, "to"):
                v = a.next()
            if matches(v, "root"):
                f.rdst = get_prefix(ctx, a.next(), dump_family)
            elif matches(v, "match"):
                f.mdst = get_prefix(ctx, a.next(), dump_family)
            else:
                if matches(v, "exact"):
                    v = a.next()
                f.mdst = get_prefix(ctx, v, dump_family)
                f.rdst = f.mdst
        a.step()

    if dump_family == AF_UNSPEC and f.tb:
        dump_family = AF_INET
    for name, attr in ((idev, "iif"), (od, "oif")):
        if name is not None:
            idx = ll_name_to_index(ctx.ns, name)
            if not idx:
                return nodev(ctx, name)
            setattr(f, attr, idx)
            setattr(f, attr + "mask", -1)
    if flush:
        return iproute_flush(ctx, opts, f, dump_family)

    p = Printer(ctx, opts)
    msgs = _dump(ctx, f, dump_family)
    if msgs is None:
        if opts.json:
            ctx.out.append("[")
        ctx.eprint("Error: ipv4: FIB table does not exist.")
        ctx.eprint("Dump terminated")
        return 2
    for m in msgs:
        if isinstance(m, RouteMsg6):
            print_route6(p, opts, f, m)
        else:
            print_route(p, opts, f, m)
    p.flush()
    return 0


def _dump(ctx, f: Filter, family: int) -> list[RouteMsg] | None:
    """RTM_GETROUTE dump (inet_dump_fib with the strict filter) + filter_nlmsg(); None when
    the requested table does not exist (ENOENT, "ipv4: FIB table does not exist"). An
    AF_UNSPEC dump is the IPv4 one followed by the IPv6 one (rtnl_dump_all)."""
    if family == AF_INET6:
        return _dump6(ctx, f)
    if family not in (AF_UNSPEC, AF_INET):
        return []
    if family == AF_UNSPEC and getattr(ctx.ns, "ipv6", None) is not None:
        v4 = _dump(ctx, f, AF_INET)
        v6 = _dump6(ctx, f)
        return (v4 or []) + (v6 or []) if v4 is not None else v4
    if f.cloned:
        return []                    # IPv4 has no route cache entries to dump
    fib = ctx.ns.ipv4.fib
    if f.tb and f.tb not in fib.tables:
        if f.tb == RT_TABLE_MAIN:
            return []
        return None
    out = []
    for r in _routes_in_dump_order(fib, f.tb or None):
        if f.oif and (r.dev is None or r.dev.ifindex != f.oif):
            continue
        m = fib_dump_info(r)
        if filter_nlmsg(f, m, family):
            out.append(m)
    return out


class RouteMsg6(RouteMsg):
    """An RTM_NEWROUTE of fib6 (rt6_fill_node): RTA_PRIORITY and RTA_PREF always present."""

    __slots__ = ("pref",)

    def __init__(self, **kw):
        for k in RouteMsg.__slots__:
            setattr(self, k, kw.get(k))
        self.dst_len = self.dst_len or 0
        self.src_len = 0
        self.tos = 0
        self.flags = self.flags or 0
        self.metrics = self.metrics or {}
        self.pref = kw.get("pref", 0)


def fib6_dump_info(r) -> RouteMsg6:
    flags = 0
    if r.nh_flags & RTNH_F_LINKDOWN:
        flags |= RTNH_F_LINKDOWN
    return RouteMsg6(type=r.type, dst=r.dst, dst_len=r.plen, table=r.table, protocol=r.proto,
                     scope=RT_SCOPE_UNIVERSE, flags=flags, gw=r.gw, oif=r.dev,
                     prefsrc=r.prefsrc, priority=r.metric, route=r, pref=r.pref,
                     metrics={"mtu": r.mtu} if r.mtu else {})


def _match6(a: bytes | None, pfx: InetPrefix, bits: int) -> bool:
    if bits <= 0:
        return True
    n = int.from_bytes(a or b"\x00" * 16, "big")
    sh = 128 - min(bits, 128)
    return (n >> sh) == ((pfx.data or 0) >> sh)


def filter_nlmsg6(f: Filter, m: RouteMsg6) -> bool:
    """filter_nlmsg() for an IPv6 message."""
    if f.cloned:
        return False
    if f.tb > 0 and f.tb != m.table:
        return False
    if (f.protocol ^ (m.protocol or 0)) & f.protocolmask:
        return False
    if f.typemask and not f.typemask & (1 << m.type):
        return False
    if f.rdst.family not in (AF_UNSPEC, AF_INET6) or f.mdst.family not in (AF_UNSPEC, AF_INET6):
        return False
    if _prefix_active(f.rdst) and f.rdst.bitlen > m.dst_len:
        return False
    if _prefix_active(f.mdst) and 0 <= f.mdst.bitlen < m.dst_len:
        return False
    if _prefix_active(f.rdst) and not _match6(m.dst, f.rdst, f.rdst.bitlen):
        return False
    if _prefix_active(f.mdst) and not _match6(m.dst, f.mdst, m.dst_len):
        return False
    if f.rvia.family and not _match6(m.gw, f.rvia, f.rvia.bitlen):
        return False
    if f.oifmask:
        oif = m.oif.ifindex if m.oif is not None else 0
        if (oif ^ f.oif) & f.oifmask:
            return False
    if f.metricmask and ((m.priority or 0) ^ f.metric) & f.metricmask:
        return False
    return True


def _dump6(ctx, f: Filter) -> list[RouteMsg] | None:
    ipv6 = getattr(ctx.ns, "ipv6", None)
    if ipv6 is None:
        return []
    if f.tb and f.tb not in ipv6.tables:
        return []
    out = []
    for t, r in ipv6.routes():
        if r.nh_flags & 0x1:           # RTNH_F_DEAD: routes of a device that is down
            continue
        if f.oif and (r.dev is None or r.dev.ifindex != f.oif):
            continue
        m = fib6_dump_info(r)
        if filter_nlmsg6(f, m):
            out.append(m)
    return out


def print_route6(p: Printer, opts, f: Filter, m: RouteMsg6) -> None:
    """print_route() for one IPv6 route message."""
    from ...wire.ipv6 import ntoa
    num = opts.numeric
    details = opts.details
    p.open_object(None)
    if (m.type != RTN_UNICAST or details) and (not f.typemask or f.typemask & (1 << m.type)):
        p.any("type", "%s ", rtnl_rtntype_n2a(m.type, num))
    if m.dst_len:
        b1 = ntoa(m.dst) if m.dst_len == 128 else f"{ntoa(m.dst)}/{m.dst_len}"
    else:
        b1 = "default"
    p.any("dst", "%s ", b1)
    if m.gw is not None and f.rvia.bitlen != 128:
        p.any("gateway", "via %s ", ntoa(m.gw))
    if m.oif is not None and f.oifmask != -1:
        p.any("dev", "dev %s ", m.oif.name)
    if m.table and (m.table != RT_TABLE_MAIN or details) and not f.tb:
        p.any("table", "table %s ", rtnl_rttable_n2a(m.table, num))
    if (m.protocol != RTPROT_BOOT or details) and f.protocolmask != -1:
        p.any("protocol", "proto %s ", rtnl_rtprot_n2a(m.protocol, num))
    if details and f.scopemask != -1:
        p.any("scope", "scope %s ", rtnl_rtscope_n2a(m.scope, num))
    if m.prefsrc is not None:
        p.any("prefsrc", "src %s ", ntoa(m.prefsrc))
    if m.priority is not None and f.metricmask != -1:
        p.any("metric", "metric %u ", m.priority)
    print_rt_flags(p, m.flags)
    if m.metrics:
        print_rta_metrics(p, m.metrics)
    p.any("pref", "pref %s", {0: "medium", 1: "high", 3: "low"}.get(m.pref, "%u" % m.pref))
    p.text("\n")
    p.close()


def iproute_flush(ctx, opts, f: Filter, family: int) -> int:
    """iproute.c: iproute_flush(): dump, delete what matched, repeat until nothing matches."""
    if f.cloned:
        if family != AF_INET6:
            ctx.ns.ipv4.route_cache_flush()
            if opts.stats:
                ctx.print("*** IPv4 routing cache is flushed.")
        if family == AF_INET:
            return 0
    fib = ctx.ns.ipv4.fib
    rnd = 0
    p = Printer(ctx, opts)
    while True:
        msgs = _dump(ctx, f, family)
        if msgs is None:
            ctx.eprint("Error: ipv4: FIB table does not exist.")
            ctx.eprint("Flush terminated")
            return 2
        if opts.stats >= 2:
            for m in msgs:
                print_route(p, opts, f, m)
            p.flush()
        if not msgs:
            if opts.stats:
                if rnd == 0 and (not f.cloned or family == AF_INET6):
                    ctx.print("Nothing to flush.")
                else:
                    ctx.print(f"*** Flush is complete after {rnd} round"
                              f"{'s' if rnd > 1 else ''} ***")
            return 0
        rnd += 1
        for m in msgs:
            if isinstance(m, RouteMsg6):
                ctx.ns.ipv6.fib_delete(m.route)
                continue
            fib.remove_where(lambda r, target=m.route: r is target)
        if opts.stats:
            ctx.print(f"\n*** Round {rnd}, deleting {len(msgs)} entries ***")


# =============================================================================================
# ip route get (iproute_get)
# =============================================================================================

def _route_get6(ctx, opts, f: Filter, dst, src, oif) -> int:
    """RTM_GETROUTE for IPv6 (inet6_rtm_getroute -> rt6_fill_node of the route used)."""
    from ...stack.errors import ENETUNREACH
    from ...wire.ipv6 import ntoa
    ipv6 = ctx.ns.ipv6
    d = _b6(dst.data)
    r = ipv6.route_lookup(d, oif)
    if r is None or r.type in (RTN_UNREACHABLE, RTN_BLACKHOLE, RTN_PROHIBIT):
        rtnl_error(ctx, KernelError(ENETUNREACH), 2)
    p = Printer(ctx, opts)
    p.open_object(None)
    if r.type != RTN_UNICAST:
        p.any("type", "%s ", rtnl_rtntype_n2a(r.type, opts.numeric))
    p.any("dst", "%s ", ntoa(d))
    s = _b6(src.data) if src is not None else b"\x00" * 16
    p.any("from", "from %s ", ntoa(s))
    if r.gw is not None:
        p.any("gateway", "via %s ", ntoa(r.gw))
    dev = ctx.ns.lo if r.type == RTN_LOCAL else r.dev
    if dev is not None:
        p.any("dev", "dev %s ", dev.name)
    if r.table != RT_TABLE_MAIN:
        p.any("table", "table %s ", rtnl_rttable_n2a(r.table, opts.numeric))
    if r.proto != RTPROT_BOOT:
        p.any("protocol", "proto %s ", rtnl_rtprot_n2a(r.proto, opts.numeric))
    if src is None:
        pref = ipv6.select_saddr(d, None if r.type == RTN_LOCAL else r.dev)
        if pref is not None:
            p.any("prefsrc", "src %s ", ntoa(pref))
    p.any("metric", "metric %u ", r.metric)
    p.any("pref", "pref %s", "medium")
    p.text("\n")
    p.close()
    p.flush()
    return 0


def iproute_get(ctx, opts, argv: list[str]) -> int:
    """iproute.c: iproute_get() -> RTM_GETROUTE, printed with print_route()."""
    family = opt_family(opts)
    f = Filter()
    f.cloned = 2
    idev = odev = None
    src = None
    dst = None
    uid = 0
    notify = 0
    fib_match = False
    a = _Argv(ctx, argv)
    while a.more():
        arg = a.cur
        if arg == "tos" or matches(arg, "dsfield"):
            if rtnl_dsfield_a2n(a.next()) is None:
                invarg(ctx, "TOS value is invalid\n", a.cur)
        elif matches(arg, "from"):
            v = a.next()
            if matches(v, "help"):
                usage(ctx)
            addr = get_prefix(ctx, v, family)
            if family == AF_UNSPEC:
                family = addr.family
            src = addr
        elif matches(arg, "iif"):
            idev = a.next()
        elif matches(arg, "mark"):
            if get_unsigned(a.next()) is None:
                invarg(ctx, "invalid mark value", a.cur)
        elif matches(arg, "oif") or arg == "dev":
            odev = a.next()
        elif matches(arg, "notify"):
            notify = RTM_F_NOTIFY | 0x00010000        # the reply carries RTCF_NOTIFY too
        elif matches(arg, "connected"):
            pass
        elif matches(arg, "vrf"):
            a.next()
            invarg(ctx, "Invalid VRF\n", a.cur)
        elif matches(arg, "uid"):
            uid = get_unsigned(a.next())
            if uid is None:
                invarg(ctx, "invalid UID\n", a.cur)
        elif matches(arg, "fibmatch"):
            fib_match = True
        elif arg == "as":
            if a.next() == "to":
                a.next()
            get_addr(ctx, a.cur, family)
        elif matches(arg, "sport") or matches(arg, "dport"):
            name = "sport" if matches(arg, "sport") else "dport"
            if get_unsigned(a.next()) is None or get_unsigned(a.cur) > 0xFFFF:
                invarg(ctx, f"invalid {name}\n", a.cur)
        elif matches(arg, "ipproto"):
            a.next()
        else:
            if arg == "to":
                arg = a.next()
            if matches(arg, "help"):
                usage(ctx)
            addr = get_prefix(ctx, arg, family)
            if family == AF_UNSPEC:
                family = addr.family
            if addr.family == AF_INET and addr.bitlen != 32:
                ctx.eprint(f"Warning: /{addr.bitlen} as prefix is invalid, only /32 (or none) "
                           "is supported.")
            dst = addr
        a.step()

    if dst is None:
        ctx.eprint("need at least a destination address")
        return 1
    oif = None
    for name in (idev, odev):
        if name is not None:
            idx = ll_name_to_index(ctx.ns, name)
            if not idx:
                return nodev(ctx, name)
    if idev is not None:
        _unsupported(ctx, "get ... iif (input route lookup)")
    if odev is not None:
        oif = ctx.ns.by_index.get(ll_name_to_index(ctx.ns, odev))
    if family == AF_INET6 and getattr(ctx.ns, "ipv6", None) is not None:
        return _route_get6(ctx, opts, f, dst, src, oif)
    _need_ipv4(ctx, family)
    try:
        res = api.route_get(ctx.ns, dst.data, src.data if src is not None else 0, oif)
    except KernelError as e:
        rtnl_error(ctx, e, 2)
    p = Printer(ctx, opts)
    if fib_match and res.type not in (RTN_BROADCAST, RTN_MULTICAST):
        route = _fib_route_of(ctx.ns, res)
        if route is not None:
            m = fib_dump_info(route)
            m.table = res.table
            print_route(p, opts, f, m)
            p.flush()
            return 0
    m = RouteMsg(type=res.type, dst=res.dst, dst_len=32, table=res.table,
                 src=src.data if src is not None else None, src_len=32 if src else 0,
                 protocol=0, scope=RT_SCOPE_UNIVERSE, flags=res.flags | RTM_F_CLONED | notify,
                 gw=res.gw or None, oif=res.dev, uid=uid,
                 prefsrc=res.prefsrc if res.prefsrc != (src.data if src else 0) else None,
                 metrics={k: v for k, v in res.metrics.items() if v})
    print_route(p, opts, f, m)
    p.flush()
    return 0


def _fib_route_of(ns, res):
    """The fib entry behind a route_get() answer (RTM_F_FIB_MATCH)."""
    try:
        return ns.ipv4.fib.lookup(res.dst)
    except KernelError:
        return None


# =============================================================================================
# dispatch (do_iproute)
# =============================================================================================

def run(ctx, opts, argv: list[str]) -> int:
    """iproute.c: do_iproute()."""
    if not argv:
        return iproute_list_flush(ctx, opts, [], False)
    cmd, rest = argv[0], argv[1:]
    if matches(cmd, "add"):
        return iproute_modify(ctx, opts, "new", api.NLM_F_CREATE | api.NLM_F_EXCL, rest)
    if matches(cmd, "change") or cmd == "chg":
        return iproute_modify(ctx, opts, "new", api.NLM_F_REPLACE, rest)
    if matches(cmd, "replace"):
        return iproute_modify(ctx, opts, "new", api.NLM_F_CREATE | api.NLM_F_REPLACE, rest)
    if matches(cmd, "prepend"):
        return iproute_modify(ctx, opts, "new", api.NLM_F_CREATE, rest)
    if matches(cmd, "append"):
        return iproute_modify(ctx, opts, "new", api.NLM_F_CREATE | api.NLM_F_APPEND, rest)
    if matches(cmd, "test"):
        return iproute_modify(ctx, opts, "new", api.NLM_F_EXCL, rest)
    if matches(cmd, "delete"):
        return iproute_modify(ctx, opts, "del", 0, rest)
    if matches(cmd, "list") or matches(cmd, "show") or matches(cmd, "lst"):
        return iproute_list_flush(ctx, opts, rest, False)
    if matches(cmd, "get"):
        return iproute_get(ctx, opts, rest)
    if matches(cmd, "flush"):
        return iproute_list_flush(ctx, opts, rest, True)
    if matches(cmd, "save") or matches(cmd, "restore") or matches(cmd, "showdump"):
        ctx.fail(f'vnetlab: "ip route {cmd}" (binary dumps) is not provided by the emulator',
                 1)
    if matches(cmd, "help"):
        usage(ctx)
    ctx.fail(f'Command "{cmd}" is unknown, try "ip route help".', 255)
    return 255
