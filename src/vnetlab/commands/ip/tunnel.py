"""``ip tunnel`` for IPv4 (iproute2 6.1 ``ip/iptunnel.c`` + ``ip/tunnel.c``), ipip mode.

The tool speaks the old ioctl interface: ``add``/``change``/``del``/``show`` name a device
(``tunl0`` by default for ipip, the base device of the mode) and the kernel's dev_ioctl() runs
dev_load() on that name first, so ``ip tunnel add ... mode ipip`` loads ipip (TNL-01). The
kernel side is ``devices.ipip.tunnel_ioctl()``. Texts and statuses: ``add tunnel "tunl0" failed:
File exists`` (1), ``get tunnel "X" failed: No such device`` (1), the parse errors of
parse_args() (``exit(-1)``: 255, ``return -1``: 1).

Modes other than ipip (gre, sit, isatap, vti) are parsed as iproute2 does but their kernel
modules are not emulated: the ioctl on their base device fails as on a kernel without them.
"""

from __future__ import annotations

from .. import Exit
from .common import (AF_INET, get_addr_1, get_u8, ll_index_to_name, ll_name_to_index, matches,
                     strerror)
from ...stack.errors import ENODEV, KernelError

IPPROTO_IPIP, IPPROTO_GRE, IPPROTO_IPV6, IPPROTO_MPLS = 4, 47, 41, 137
IP_DF = 0x4000
GRE_KEY, GRE_SEQ, GRE_CSUM = 0x2000, 0x1000, 0x8000
VTI_ISVTI = 0x1
SIT_ISATAP = 0x1

USAGE = """Usage: ip tunnel { add | change | del | show | prl | 6rd } [ NAME ]
        [ mode { gre | ipip | isatap | sit | vti } ]
        [ remote ADDR ] [ local ADDR ]
        [ [i|o]seq ] [ [i|o]key KEY ] [ [i|o]csum ]
        [ prl-default ADDR ] [ prl-nodefault ADDR ] [ prl-delete ADDR ]
        [ 6rd-prefix ADDR ] [ 6rd-relay_prefix ADDR ] [ 6rd-reset ]
        [ ttl TTL ] [ tos TOS ] [ [no]pmtudisc ] [ dev PHYS_DEV ]

Where: NAME := STRING
       ADDR := { IP_ADDRESS | any }
       TOS  := { STRING | 00..ff | inherit | inherit/STRING | inherit/00..ff }
       TTL  := { 1..255 | inherit }
       KEY  := { DOTTED_QUAD | NUMBER }
"""

SIOCGETTUNNEL, SIOCADDTUNNEL, SIOCDELTUNNEL, SIOCCHGTUNNEL = 0x89F0, 0x89F1, 0x89F2, 0x89F3


class Parm:
    """struct ip_tunnel_parm as the tool fills it."""

    def __init__(self):
        self.name = ""
        self.link = 0
        self.i_flags = self.o_flags = 0
        self.i_key = self.o_key = 0
        self.version, self.ihl = 4, 5
        self.tos = self.ttl = self.protocol = 0
        self.frag_off = IP_DF
        self.saddr = self.daddr = 0


def _ipip():
    from ...devices import ipip
    return ipip


def _to_kernel(p: Parm):
    t = _ipip().TunnelParms(name=p.name, link=p.link, local=p.saddr, remote=p.daddr,
                            ttl=p.ttl, tos=p.tos, protocol=p.protocol, frag_off=p.frag_off,
                            version=p.version, ihl=p.ihl)
    return t


def _from_kernel(t) -> Parm:
    p = Parm()
    p.name, p.link, p.saddr, p.daddr = t.name, t.link, t.local, t.remote
    p.ttl, p.tos, p.protocol, p.frag_off = t.ttl, t.tos, t.protocol, t.frag_off
    p.version, p.ihl = t.version, t.ihl
    return p


def _usage(ctx):
    ctx.eprint(USAGE, end="")
    raise Exit(255)


def _dev_load(ns, name: str) -> None:
    """dev_load(): netdev-NAME, then NAME as a module."""
    if name and name not in ns.by_name:
        if not ns.kernel.request_module("netdev-" + name):
            ns.kernel.request_module(name)


def _ioctl(ctx, name: str, cmd: int, p: Parm | None) -> Parm:
    """The tunnel SIOCs on ``name`` (IFNAMSIZ-1 bytes of it); raises KernelError."""
    ns = ctx.ns
    name = name.encode("utf-8", "surrogateescape")[:15].decode("utf-8", "surrogateescape")
    _dev_load(ns, name)
    dev = ns.by_name.get(name)
    if dev is None:
        raise KernelError(ENODEV)
    from ...stack.errors import EOPNOTSUPP
    if dev.kind != "ipip":
        raise KernelError(EOPNOTSUPP)
    t = _ipip().tunnel_ioctl(ns, name, cmd, _to_kernel(p) if p is not None else None)
    return _from_kernel(t)


def _get(ctx, name: str, quiet: bool = False) -> Parm | None:
    """tnl_get_ioctl(): prints ``get tunnel "NAME" failed: ...`` on error."""
    try:
        return _ioctl(ctx, name, SIOCGETTUNNEL, Parm())
    except KernelError as e:
        if not quiet:
            ctx.eprint(f'get tunnel "{name}" failed: {strerror(e.errno)}')
        return None


def _get_addr32(ctx, arg: str) -> int:
    p = get_addr_1(arg, AF_INET)
    if p is None or p.bytelen not in (0, 4):
        ctx.fail(f'Error: an IP address is expected rather than "{arg}"', 1)
    return p.data if p.bytelen == 4 else 0


def _parse_key(ctx, name: str, key: str) -> int:
    from .common import get_unsigned
    if "." in key:
        return _get_addr32(ctx, key)
    v = get_unsigned(key, 0)
    if v is None or v > 0xFFFFFFFF:
        ctx.fail(f'invalid value for "{name}": "{key}"; it should be an unsigned integer', 255)
    return v


def _set_proto(ctx, p: Parm, proto: int) -> None:
    if p.protocol and p.protocol != proto:
        ctx.fail("You managed to ask for more than one tunnel mode.", 255)
    p.protocol = proto


def parse_args(ctx, argv: list[str], cmd: int) -> Parm | None:
    """iptunnel.c: parse_args(). None when it returned -1 (message already printed)."""
    from .route import rtnl_dsfield_a2n
    p = Parm()
    medium = ""
    isatap = 0
    count = 0
    i, n = 0, len(argv)

    def next_arg() -> str:
        nonlocal i
        i += 1
        if i >= n:
            ctx.fail('Command line is not complete. Try option "help"', 255)
        return argv[i]

    while i < n:
        a = argv[i]
        if a == "mode":
            v = next_arg()
            if v in ("ipip", "ip/ip"):
                _set_proto(ctx, p, IPPROTO_IPIP)
            elif v in ("gre", "gre/ip"):
                _set_proto(ctx, p, IPPROTO_GRE)
            elif v in ("sit", "ipv6/ip"):
                _set_proto(ctx, p, IPPROTO_IPV6)
            elif v == "isatap":
                _set_proto(ctx, p, IPPROTO_IPV6)
                isatap += 1
            elif v == "vti":
                _set_proto(ctx, p, IPPROTO_IPIP)
                p.i_flags |= VTI_ISVTI
            else:
                ctx.fail(f'Unknown tunnel mode "{v}"', 255)
        elif a == "key":
            v = next_arg()
            p.i_flags |= GRE_KEY
            p.o_flags |= GRE_KEY
            p.i_key = p.o_key = _parse_key(ctx, "key", v)
        elif a == "ikey":
            p.i_flags |= GRE_KEY
            p.i_key = _parse_key(ctx, "ikey", next_arg())
        elif a == "okey":
            p.o_flags |= GRE_KEY
            p.o_key = _parse_key(ctx, "okey", next_arg())
        elif a == "seq":
            p.i_flags |= GRE_SEQ
            p.o_flags |= GRE_SEQ
        elif a == "iseq":
            p.i_flags |= GRE_SEQ
        elif a == "oseq":
            p.o_flags |= GRE_SEQ
        elif a == "csum":
            p.i_flags |= GRE_CSUM
            p.o_flags |= GRE_CSUM
        elif a == "icsum":
            p.i_flags |= GRE_CSUM
        elif a == "ocsum":
            p.o_flags |= GRE_CSUM
        elif a == "nopmtudisc":
            p.frag_off = 0
        elif a == "pmtudisc":
            p.frag_off = IP_DF
        elif a == "remote":
            v = next_arg()
            p.daddr = _get_addr32(ctx, v) if v != "any" else 0
        elif a == "local":
            v = next_arg()
            p.saddr = _get_addr32(ctx, v) if v != "any" else 0
        elif a == "dev":
            medium = next_arg()[:15]
        elif a in ("ttl", "hoplimit", "hlim"):
            v = next_arg()
            if v != "inherit":
                u = get_u8(v, 0)
                if u is None:
                    ctx.fail(f'Error: argument "{v}" is wrong: invalid TTL\n', 255)
                p.ttl = u
            else:
                p.ttl = 0
        elif a in ("tos", "tclass") or matches(a, "dsfield"):
            v = next_arg()
            head, slash, rest = v.partition("/")
            if head != "inherit":
                dsfield = v
                p.tos = 0
            else:
                dsfield = rest if slash else None
                p.tos = 1
            if dsfield is not None:
                u = rtnl_dsfield_a2n(dsfield)
                if u is None:
                    ctx.fail(f'Error: argument "{v}" is wrong: bad TOS value', 255)
                p.tos |= u
        else:
            if a == "name":
                a = next_arg()
            elif matches(a, "help"):
                _usage(ctx)
            if p.name:
                ctx.fail(f'Error: either "name" is duplicate, or "{a}" is a garbage.', 255)
            p.name = a.encode("utf-8", "surrogateescape")[:15].decode("utf-8", "surrogateescape")
            if cmd == SIOCCHGTUNNEL and count == 0:
                old = _get(ctx, a)
                if old is None:
                    return None
                p = old
        count += 1
        i += 1

    if p.protocol == 0:
        if p.name.startswith("gre"):
            p.protocol = IPPROTO_GRE
        elif p.name.startswith("ipip"):
            p.protocol = IPPROTO_IPIP
        elif p.name.startswith("sit"):
            p.protocol = IPPROTO_IPV6
        elif p.name.startswith("isatap"):
            p.protocol = IPPROTO_IPV6
            isatap += 1
        elif p.name.startswith("vti"):
            p.protocol = IPPROTO_IPIP
            p.i_flags |= VTI_ISVTI
    if (p.i_flags & GRE_KEY) or (p.o_flags & GRE_KEY):
        if not p.i_flags & VTI_ISVTI and p.protocol != IPPROTO_GRE:
            ctx.eprint("Keys are not allowed with ipip and sit tunnels")
            return None
    if medium:
        p.link = ll_name_to_index(ctx.ns, medium)
        if not p.link:
            ctx.eprint(f'Cannot find device "{medium}"')
            return None
    mc = (p.daddr & 0xF0000000) == 0xE0000000
    if p.i_key == 0 and mc:
        p.i_key = p.daddr
        p.i_flags |= GRE_KEY
    if p.o_key == 0 and mc:
        p.o_key = p.daddr
        p.o_flags |= GRE_KEY
    if mc and not p.saddr:
        ctx.eprint("A broadcast tunnel requires a source address")
        return None
    if isatap:
        p.i_flags |= SIT_ISATAP
    return p


def tnl_defname(p: Parm) -> str | None:
    if p.protocol == IPPROTO_IPIP:
        return "ip_vti0" if p.i_flags & VTI_ISVTI else "tunl0"
    if p.protocol == IPPROTO_GRE:
        return "gre0"
    if p.protocol == IPPROTO_IPV6:
        return "sit0"
    return None


def do_add(ctx, cmd: int, argv: list[str]) -> int:
    p = parse_args(ctx, argv, cmd)
    if p is None:
        return 1
    if p.ttl and p.frag_off == 0:
        ctx.eprint("ttl != 0 and nopmtudisc are incompatible")
        return 1
    basedev = tnl_defname(p)
    if basedev is None:
        ctx.eprint("cannot determine tunnel mode (ipip, gre, vti or sit)")
        return 1
    name = p.name if cmd == SIOCCHGTUNNEL and p.name else basedev
    try:
        _ioctl(ctx, name, cmd, p)
    except KernelError as e:
        ctx.eprint(f'add tunnel "{name}" failed: {strerror(e.errno)}')
        return 1
    return 0


def do_del(ctx, argv: list[str]) -> int:
    p = parse_args(ctx, argv, SIOCDELTUNNEL)
    if p is None:
        return 1
    name = p.name or tnl_defname(p) or ""
    try:
        _ioctl(ctx, name, SIOCDELTUNNEL, p)
    except KernelError as e:
        ctx.eprint(f'delete tunnel "{name}" failed: {strerror(e.errno)}')
        return 1
    return 0


def _ntoa(v: int) -> str:
    return "%d.%d.%d.%d" % (v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255)


def print_tunnel(ctx, p: Parm) -> str:
    """iptunnel.c: print_tunnel() (text)."""
    from .route import rtnl_dsfield_n2a
    proto = {IPPROTO_IPIP: "ip", IPPROTO_GRE: "gre", IPPROTO_IPV6: "ipv6", 50: "esp",
             0: "any"}.get(p.protocol, "unknown")
    s = (f"{p.name}: {proto}/ip remote {_ntoa(p.daddr) if p.daddr else 'any'} "
         f"local {_ntoa(p.saddr) if p.saddr else 'any'}")
    if p.link:
        name = ll_index_to_name(ctx.ns, p.link)
        if name:
            s += f" dev {name}"
    s += f" ttl {p.ttl}" if p.ttl else " ttl inherit"
    if p.tos:
        if p.tos != 1:
            if p.tos & 1:
                s += " tos inherit/" + rtnl_dsfield_n2a(p.tos & ~1)
            else:
                s += " tos " + rtnl_dsfield_n2a(p.tos)
        else:
            s += " tos inherit"
    if not p.frag_off & IP_DF:
        s += " nopmtudisc"
    return s


def _stats(dev) -> str:
    """tnl_print_stats() over the /proc/net/dev line, with its own sscanf quirk: the seventh
    rx field it keeps (shown as Mcasts) is "compressed"."""
    st = dev.get_stats64()
    frame = st["rx_length_errors"] + st["rx_over_errors"] + st["rx_crc_errors"] + \
        st["rx_frame_errors"]
    carrier = st["tx_carrier_errors"] + st["tx_aborted_errors"] + st["tx_window_errors"] + \
        st["tx_heartbeat_errors"]
    return ("\nRX: Packets    Bytes        Errors CsumErrs OutOfSeq Mcasts\n"
            "    %-10d %-12d %-6d %-8d %-8d %-8d\n"
            "TX: Packets    Bytes        Errors DeadLoop NoRoute  NoBufs\n"
            "    %-10d %-12d %-6d %-8d %-8d %-6d"
            % (st["rx_packets"], st["rx_bytes"], st["rx_errors"], frame,
               st["rx_fifo_errors"], st["rx_compressed"], st["tx_packets"], st["tx_bytes"],
               st["tx_errors"], st["collisions"], carrier, st["tx_dropped"]))


def do_tunnels_list(ctx, opts, p: Parm) -> int:
    """do_tunnels_list(): every ipip/gre/sit device of the netns (in /proc/net/dev order)
    matching the filter."""
    ns = ctx.ns
    for dev in list(ns.devices):
        if p.name and p.name != dev.name:
            continue
        if dev.type not in (768, 778, 776):
            continue
        p1 = _get(ctx, dev.name, quiet=False)
        if p1 is None:
            continue
        if (p.link and p1.link != p.link) or (p.name and p1.name != p.name) or \
                (p.daddr and p1.daddr != p.daddr) or (p.saddr and p1.saddr != p.saddr) or \
                (p.i_key and p1.i_key != p.i_key):
            continue
        line = print_tunnel(ctx, p1)
        if opts.stats:
            line += _stats(dev)
        ctx.print(line)
    return 0


def do_show(ctx, opts, argv: list[str]) -> int:
    p = parse_args(ctx, argv, SIOCGETTUNNEL)
    if p is None:
        return 1
    basedev = tnl_defname(p)
    if basedev is None:
        return do_tunnels_list(ctx, opts, p)
    got = _get(ctx, p.name or basedev)
    if got is None:
        return 1
    ctx.print(print_tunnel(ctx, got))
    return 0


def run(ctx, opts, argv: list[str]) -> int:
    """iptunnel.c: do_iptunnel()."""
    fam = opts.family
    if fam == 6:
        # do_ip6tunnel(): the emulator has no ip6_tunnel module, so there is nothing to list
        if not argv or (matches(argv[0], "show") or matches(argv[0], "lst")
                        or matches(argv[0], "list")) and len(argv) == 1:
            return 0
        ctx.fail('vnetlab: "ip -6 tunnel" is not emulated (no IPv6)', 1)
    if fam not in (None, 0, 4):
        ctx.fail(f"Unsupported protocol family: {fam}", 255)
    if not argv:
        return do_show(ctx, opts, [])
    a, rest = argv[0], argv[1:]
    if matches(a, "add"):
        return do_add(ctx, SIOCADDTUNNEL, rest)
    if matches(a, "change"):
        return do_add(ctx, SIOCCHGTUNNEL, rest)
    if matches(a, "delete"):
        return do_del(ctx, rest)
    if matches(a, "show") or matches(a, "lst") or matches(a, "list"):
        return do_show(ctx, opts, rest)
    if matches(a, "prl") or matches(a, "6rd"):
        ctx.fail(f'vnetlab: "ip tunnel {a}" is not emulated (sit/isatap only)', 1)
    if matches(a, "help"):
        _usage(ctx)
    ctx.fail(f'Command "{a}" is unknown, try "ip tunnel help"', 255)
    return 255
