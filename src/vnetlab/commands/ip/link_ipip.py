"""``type ipip`` (iproute2 6.1 ``ip/link_iptnl.c``, shared with sit).

* ``ipip_parse_opt()``: ``remote local dev ttl tos [no]pmtudisc mode fwmark external encap...``
  into ``LinkRequest.data`` (``link local remote ttl tos proto pmtudisc``, as devices/ipip.py
  takes it). Like iproute2 it always sends every attribute: a new tunnel gets ``proto`` 0
  ("any") unless ``mode`` is given; ``ip link set ... type ipip`` first reads the tunnel's
  current attributes, so the options not named keep their values. Errors: an unknown option
  prints the help to stderr (status 1); ``ttl != 0 and nopmtudisc are incompatible`` (255);
  get_addr32()'s ``Error: an IP address is expected rather than "X"`` (1); invarg() (255).
* ``ipip_print_opt()``: the ``-d`` details, ``any remote A local B [dev D] ttl inherit|N
  [tos inherit|0xN] pmtudisc|nopmtudisc`` (JSON keys proto remote local link ttl tos pmtudisc).
* ``ipip_print_help()``: ``ip link help ipip``.
"""

from __future__ import annotations

from .. import Exit
from .common import AF_INET, get_addr_1, get_u8, get_u16, get_unsigned, incomplete, invarg, \
    ll_index_to_name, ll_name_to_index, matches  # noqa: F401

IPPROTO_IPIP, IPPROTO_MPLS = 4, 137
_PROTO_NAMES = {IPPROTO_IPIP: "ipip", 41: "ip6ip", IPPROTO_MPLS: "mplsip", 0: "any"}


def _help_text(kind: str = "ipip") -> str:
    return ("Usage: ... %-6s\t[ remote ADDR ]\n" % kind +
            "".join("\t\t\t[ %s ]\n" % o for o in (
                "local ADDR", "ttl TTL", "tos TOS", "[no]pmtudisc", "6rd-prefix ADDR",
                "6rd-relay_prefix ADDR", "6rd-reset", "dev PHYS_DEV", "fwmark MARK", "external",
                "noencap", "encap { fou | gue | none }", "encap-sport PORT", "encap-dport PORT",
                "[no]encap-csum", "[no]encap-csum6", "[no]encap-remcsum",
                "mode { ipip | mplsip | any }")) +
            "\n"
            "Where:\tADDR := { IP_ADDRESS | any }\n"
            "\tTOS  := { NUMBER | inherit }\n"
            "\tTTL  := { 1..255 | inherit }\n"
            "\tMARK := { 0x0..0xffffffff }\n")


def ipip_print_help(ctx) -> None:
    ctx.print(_help_text(), end="")


def get_addr32(ctx, arg: str) -> int:
    """lib/utils.c get_addr32(): an IPv4 address (``any`` is 0) or exit(1)."""
    p = get_addr_1(arg, AF_INET)
    if p is None or p.family not in (AF_INET, 0) or (p.bytelen not in (0, 4)):
        ctx.fail(f'Error: an IP address is expected rather than "{arg}"', 1)
    return p.data if p.bytelen == 4 else 0


def dsfield_a2n(arg: str) -> int | None:
    """rtnl_dsfield_a2n(): a name of rt_dsfield or a hex number up to 255."""
    from .route import rtnl_dsfield_a2n
    return rtnl_dsfield_a2n(arg)


def ipip_parse_opt(ctx, argv: list[str], r) -> None:
    """link_iptnl.c: iptunnel_parse_opt() for ipip; sets ``r.data``."""
    ns = ctx.ns
    link = laddr = raddr = 0
    ttl = tos = 0
    pmtudisc = 1
    proto = 0
    metadata = False
    fwmark = 0
    if not r.create:
        dev = ns.by_index.get(r.ifi_index)
        info = dev.fill_info() if dev is not None and dev.kind == "ipip" else None
        if not info:
            ctx.fail("Failed to get existing tunnel info.", 1)
        laddr, raddr = info["local"], info["remote"]
        ttl, tos = info["ttl"], info["tos"]
        pmtudisc = int(info["pmtudisc"])
        link = info["link"]
        proto = info["proto"]
        metadata = bool(info.get("collect_md"))
        fwmark = info.get("fwmark", 0)
    i, n = 0, len(argv)

    def next_arg() -> str:
        nonlocal i
        i += 1
        if i >= n:
            incomplete(ctx)
        return argv[i]

    while i < n:
        a = argv[i]
        if a == "remote":
            raddr = get_addr32(ctx, next_arg())
        elif a == "local":
            laddr = get_addr32(ctx, next_arg())
        elif matches(a, "dev"):
            v = next_arg()
            link = ll_name_to_index(ns, v)
            if not link:
                ctx.fail(f'Cannot find device "{v}"', 255)          # exit(nodev(*argv))
        elif a in ("ttl", "hoplimit", "hlim"):
            v = next_arg()
            if v != "inherit":
                ttl = get_u8(v, 0)
                if ttl is None:
                    invarg(ctx, "invalid TTL\n", v)
            else:
                ttl = 0
        elif a in ("tos", "tclass") or matches(a, "dsfield"):
            v = next_arg()
            if v != "inherit":
                val = dsfield_a2n(v)
                if val is None:
                    invarg(ctx, "bad TOS value", v)
                tos = val
            else:
                tos = 1
        elif a == "nopmtudisc":
            pmtudisc = 0
        elif a == "pmtudisc":
            pmtudisc = 1
        elif a == "mode":
            v = next_arg()
            if v in ("ipv4/ipv4", "ipip", "ip4ip4"):
                proto = IPPROTO_IPIP
            elif v in ("mpls/ipv4", "mplsip"):
                proto = IPPROTO_MPLS
            elif v in ("any/ipv4", "any"):
                proto = 0
            else:
                invarg(ctx, "Cannot guess tunnel mode.", v)
        elif a == "noencap":
            pass
        elif a == "encap":
            v = next_arg()
            if v == "none":
                pass
            elif v in ("fou", "gue"):
                ctx.fail("vnetlab: fou/gue encapsulation is not emulated", 1)
            else:
                invarg(ctx, "Invalid encap type.", v)
        elif a == "encap-sport":
            v = next_arg()
            if v != "auto" and get_u16(v, 0) is None:
                invarg(ctx, "Invalid source port.", v)
        elif a == "encap-dport":
            v = next_arg()
            if get_u16(v, 0) is None:
                invarg(ctx, "Invalid destination port.", v)
        elif a in ("encap-csum", "noencap-csum", "encap-udp6-csum", "noencap-udp6-csum",
                   "encap-remcsum", "noencap-remcsum"):
            pass
        elif a == "external":
            metadata = True
        elif a in ("6rd-prefix", "6rd-relay_prefix"):
            next_arg()
            ctx.eprint(_help_text(), end="")
            raise Exit(1)
        elif a == "fwmark":
            v = next_arg()
            val = get_unsigned(v, 0)
            if val is None or val > 0xFFFFFFFF:
                invarg(ctx, "invalid fwmark\n", v)
            fwmark = val
        else:
            ctx.eprint(_help_text(), end="")
            raise Exit(1)
        i += 1
    if ttl and not pmtudisc:
        ctx.fail("ttl != 0 and nopmtudisc are incompatible", 255)
    data: dict = {"proto": proto}
    if metadata:
        data["collect_md"] = True                     # IFLA_IPTUN_COLLECT_METADATA only
    else:
        data.update(link=link, local=laddr, remote=raddr, ttl=ttl, tos=tos,
                    pmtudisc=bool(pmtudisc), fwmark=fwmark)
    r.data = data


def _ntoa(v: int) -> str:
    return "%d.%d.%d.%d" % (v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255)


def ipip_print_opt(lister, data: dict | None) -> None:
    """link_iptnl.c: iptunnel_print_opt() over the device's fill_info()."""
    if not data:
        return
    p = lister.p
    if data.get("collect_md"):
        p.any("external", "external ", True)            # 6.1 goes on with the rest
    proto = data.get("proto")
    if proto in _PROTO_NAMES:
        p.any("proto", "%s ", _PROTO_NAMES[proto])
    for key in ("remote", "local"):
        v = data.get(key, 0)
        val = _ntoa(v) if v else "any"
        if lister.json:
            p.jonly(key, val)
        else:
            p.text(f"{key} {val} ")
    link = data.get("link", 0)
    if link:
        p.any("link", "dev %s ", ll_index_to_name(lister.ns, link))
    ttl = data.get("ttl", 0)
    if lister.json or ttl:
        p.any("ttl", "ttl %u ", ttl)
    else:
        p.text("ttl inherit ")
    tos = data.get("tos", 0)
    if tos:
        if lister.json or tos != 1:
            p.any("tos", "tos %s ", "0x%x" % tos)
        else:
            p.text("tos inherit ")
    if data.get("pmtudisc"):
        p.any("pmtudisc", "pmtudisc ", True)
    else:
        p.any("pmtudisc", "nopmtudisc ", False)
    fwmark = data.get("fwmark", 0)
    if fwmark:
        p.any("fwmark", "fwmark %s ", "0x%x" % fwmark)


__all__ = ["ipip_parse_opt", "ipip_print_opt", "ipip_print_help", "get_addr32"]
