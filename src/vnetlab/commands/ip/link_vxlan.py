"""``type vxlan`` (iproute2 6.1 ``ip/iplink_vxlan.c``), kernel-spec §8.2.

* ``vxlan_parse_opt()``: ``id|vni group remote local dev ttl tos df flowlabel ageing maxaddress
  srcport dstport [no]learning [no]proxy [no]rsc [no]l2miss [no]l3miss [no]udpcsum ...`` into
  ``LinkRequest.data`` for devices/vxlan.py (keys ``id group remote local link ttl tos
  ageing limit port_min port_max port learning proxy rsc l2miss l3miss udp_csum``). Its messages:
  ``vxlan: missing virtual network identifier``, ``vxlan: 'group' requires 'dev' to be
  specified``, ``vxlan: both group and remote cannot be specified`` (status 1), invarg()s (255),
  and on a create without ``dstport`` the four-line warning about the kernel's default port
  8472 (VXL-01), printed and ignored.
* ``vxlan_print_opt()``: the ``-d`` details (``id N remote|group A local B dev D srcport L H
  dstport P [nolearning] ... ttl auto|N ageing S udpcsum noudp6zerocsumtx noudp6zerocsumrx``).
* ``vxlan_print_help()``: ``ip link help vxlan``.
"""

from __future__ import annotations

from .. import Exit
from .common import (AF_INET, AF_INET6, duparg2, get_addr_1, get_u16, get_u32, get_unsigned,
                     incomplete, invarg, ll_index_to_name, ll_name_to_index, matches)

HELP = ("Usage: ... vxlan id VNI\n"
        + "".join("\t\t[ %s ]\n" % o for o in (
            "{ group | remote } IP_ADDRESS", "local ADDR", "ttl TTL", "tos TOS", "df DF",
            "flowlabel LABEL", "dev PHYS_DEV", "dstport PORT", "srcport MIN MAX",
            "[no]learning", "[no]proxy", "[no]rsc", "[no]l2miss", "[no]l3miss",
            "ageing SECONDS", "maxaddress NUMBER", "[no]udpcsum", "[no]udp6zerocsumtx",
            "[no]udp6zerocsumrx"))
        + "\t\t[ [no]remcsumtx ] [ [no]remcsumrx ]\n"
        "\t\t[ [no]external ] [ gbp ] [ gpe ]\n"
        "\t\t[ [no]vnifilter ]\n"
        "\n"
        "Where:\tVNI\t:= 0-16777215\n"
        "\tADDR\t:= { IP_ADDRESS | any }\n"
        "\tTOS\t:= { NUMBER | inherit }\n"
        "\tTTL\t:= { 1..255 | auto | inherit }\n"
        "\tDF\t:= { unset | set | inherit }\n"
        "\tLABEL := 0-1048575\n")

# keyword -> (data key, value) for the boolean options, in the parser's order
_BOOLS = [("nolearning", "learning", False), ("learning", "learning", True),
          ("noproxy", "proxy", False), ("proxy", "proxy", True),
          ("norsc", "rsc", False), ("rsc", "rsc", True),
          ("nol2miss", "l2miss", False), ("l2miss", "l2miss", True),
          ("nol3miss", "l3miss", False), ("l3miss", "l3miss", True),
          ("udpcsum", "udp_csum", True), ("noudpcsum", "udp_csum", False),
          ("udp6zerocsumtx", "udp6zerocsumtx", True), ("noudp6zerocsumtx", "udp6zerocsumtx", False),
          ("udp6zerocsumrx", "udp6zerocsumrx", True), ("noudp6zerocsumrx", "udp6zerocsumrx", False),
          ("remcsumtx", "remcsumtx", True), ("noremcsumtx", "remcsumtx", False),
          ("remcsumrx", "remcsumrx", True), ("noremcsumrx", "remcsumrx", False)]


def vxlan_print_help(ctx) -> None:
    ctx.print(HELP, end="")


def _explain(ctx) -> None:
    ctx.eprint(HELP, end="")
    raise Exit(1)


def vxlan_parse_opt(ctx, argv: list[str], r) -> None:
    """iplink_vxlan.c: vxlan_parse_opt(); sets ``r.data``."""
    ns = ctx.ns
    data: dict = {}
    seen: set = set()
    daddr = None            # (family, value, multicast)
    saddr = None
    dstport = None
    set_op = not r.create
    i, n = 0, len(argv)

    def next_arg() -> str:
        nonlocal i
        i += 1
        if i >= n:
            incomplete(ctx)
        return argv[i]

    def dup(attr: str, key: str, arg: str) -> None:
        if attr in seen:
            duparg2(ctx, key, arg)
        seen.add(attr)

    def addr(arg: str, family: int):
        p = get_addr_1(arg, family)
        if p is None:
            ctx.fail(f'Error: inet address is expected rather than "{arg}".', 1)
        return p

    while i < n:
        a = argv[i]
        if matches(a, "id") or matches(a, "vni"):
            v = next_arg()
            dup("id", "id", v)
            vni = get_u32(v)
            if vni is None or vni >= 1 << 24:
                invarg(ctx, "invalid id", v)
            data["id"] = vni
        elif matches(a, "group"):
            if daddr is not None and daddr.bytelen and not _mc(daddr):
                ctx.fail("vxlan: both group and remote cannot be specified", 1)
            v = next_arg()
            dup("group", "group", v)
            daddr = addr(v, saddr.family if saddr is not None else 0)
            if not (daddr.bytelen and _mc(daddr)):
                invarg(ctx, "invalid group address", v)
        elif matches(a, "remote"):
            if daddr is not None and daddr.bytelen and _mc(daddr):
                ctx.fail("vxlan: both group and remote cannot be specified", 1)
            v = next_arg()
            dup("group", "remote", v)
            daddr = addr(v, saddr.family if saddr is not None else 0)
            if not daddr.bytelen or _mc(daddr):
                invarg(ctx, "invalid remote address", v)
        elif matches(a, "local"):
            v = next_arg()
            dup("local", "local", v)
            saddr = addr(v, daddr.family if daddr is not None else 0)
            if saddr.bytelen and _mc(saddr):
                invarg(ctx, "invalid local address", v)
        elif matches(a, "dev"):
            v = next_arg()
            dup("link", "dev", v)
            link = ll_name_to_index(ns, v)
            if not link:
                ctx.fail(f'Cannot find device "{v}"', 255)
            data["link"] = link
        elif matches(a, "ttl") or matches(a, "hoplimit"):
            v = next_arg()
            dup("ttl", "ttl", v)
            if v == "inherit":
                data["ttl_inherit"] = True
            elif v == "auto":
                data["ttl"] = 0
            else:
                u = get_unsigned(v, 0)
                if u is None:
                    invarg(ctx, "invalid TTL", v)
                if u > 255:
                    invarg(ctx, "TTL must be <= 255", v)
                data["ttl"] = u
        elif matches(a, "tos") or matches(a, "dsfield"):
            v = next_arg()
            dup("tos", "tos", v)
            if v != "inherit":
                from .route import rtnl_dsfield_a2n
                u = rtnl_dsfield_a2n(v)
                if u is None:
                    invarg(ctx, "bad TOS value", v)
                data["tos"] = u
            else:
                data["tos"] = 1
        elif a == "df":
            v = next_arg()
            dup("df", "df", v)
            df = {"unset": 0, "set": 1, "inherit": 2}.get(v)
            if df is None:
                invarg(ctx, "DF must be 'unset', 'set' or 'inherit'", v)
            data["df"] = df
        elif matches(a, "label") or matches(a, "flowlabel"):
            v = next_arg()
            dup("label", "flowlabel", v)
            u = get_u32(v)
            if u is None or u & ~0xFFFFF:
                invarg(ctx, "invalid flowlabel", v)
            data["label"] = u
        elif matches(a, "ageing"):
            v = next_arg()
            dup("ageing", "ageing", v)
            if v == "none":
                age = 0
            else:
                age = get_u32(v)
                if age is None:
                    invarg(ctx, "ageing timer", v)
            data["ageing"] = age
        elif matches(a, "maxaddress"):
            v = next_arg()
            dup("limit", "maxaddress", v)
            if v == "unlimited":
                lim = 0
            else:
                lim = get_u32(v)
                if lim is None:
                    invarg(ctx, "max addresses", v)
            data["limit"] = lim
        elif matches(a, "port") or matches(a, "srcport"):
            v = next_arg()
            dup("port_range", "srcport", v)
            lo = get_u16(v, 0)
            if lo is None:
                invarg(ctx, "min port", v)
            v = next_arg()
            hi = get_u16(v, 0)
            if hi is None:
                invarg(ctx, "max port", v)
            if lo or hi:
                data["port_min"], data["port_max"] = lo, hi
        elif matches(a, "dstport"):
            v = next_arg()
            dup("port", "dstport", v)
            p = get_u16(v, 0)
            if p is None:
                invarg(ctx, "dst port", v)
            dstport = p
        elif a in ("external", "noexternal", "gbp", "gpe", "vnifilter", "novnifilter") or \
                any(matches(a, w) for w in ("external", "noexternal", "gbp", "gpe")):
            ctx.fail(f'vnetlab: vxlan "{a}" is not emulated', 1)
        elif matches(a, "help"):
            _explain(ctx)
        else:
            for word, key, val in _BOOLS:
                if matches(a, word):
                    dup(key, a, a)
                    data[key] = val
                    break
            else:
                ctx.eprint(f'vxlan: unknown command "{a}"?')
                _explain(ctx)
        i += 1

    if "id" not in seen and not set_op:
        ctx.fail("vxlan: missing virtual network identifier", 1)
    if daddr is not None and daddr.bytelen and _mc(daddr) and "link" not in seen:
        ctx.fail("vxlan: 'group' requires 'dev' to be specified", 1)
    if "port" not in seen and not set_op:
        ctx.eprint("vxlan: destination port not specified\n"
                   "Will use Linux kernel default (non-standard value)\n"
                   "Use 'dstport 4789' to get the IANA assigned value\n"
                   "Use 'dstport 0' to get default and quiet this message")
    for p in (saddr, daddr):
        if p is not None and p.family == AF_INET6:
            ctx.fail("vnetlab: IPv6 VXLAN endpoints are not emulated", 1)
    if saddr is not None and saddr.bytelen:
        data["local"] = saddr.data
    if daddr is not None and daddr.bytelen:
        data["group" if _mc(daddr) else "remote"] = daddr.data
    if "learning" not in data and not set_op:
        data["learning"] = True
    if dstport:
        data["port"] = dstport
    r.data = data


def _mc(p) -> bool:
    return p.family == AF_INET and (p.data & 0xF0000000) == 0xE0000000


def _ntoa(v: int) -> str:
    return "%d.%d.%d.%d" % (v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255)


def vxlan_print_opt(lister, d: dict | None) -> None:
    """iplink_vxlan.c: vxlan_print_opt() over the device's fill_info()."""
    if not d:
        return
    p = lister.p
    p.any("id", "id %u ", d["id"])
    if d.get("group"):
        p.any("group", "group %s ", _ntoa(d["group"]))
    elif d.get("remote"):
        p.any("remote", "remote %s ", _ntoa(d["remote"]))
    if d.get("local"):
        p.any("local", "local %s ", _ntoa(d["local"]))
    if d.get("link"):
        p.any("link", "dev %s ", ll_index_to_name(lister.ns, d["link"]))
    lo, hi = d.get("port_range", (0, 0))
    if lister.json:
        p.open_object("port_range")
        p.jonly("low", lo)
        p.jonly("high", hi)
        p.close()
    else:
        p.text(f"srcport {lo} {hi} ")
    p.any("port", "dstport %u ", d["port"])
    learning = d.get("learning", True)
    p.jonly("learning", learning)
    if not learning:
        p.text("nolearning ")
    for key in ("proxy", "rsc", "l2miss", "l3miss"):
        if d.get(key):
            p.any(key, key + " ", True)
    tos = d.get("tos", 0)
    if tos:
        if lister.json or tos != 1:
            p.any("tos", "tos %s ", "0x%x" % tos)
        else:
            p.text("tos inherit ")
    if d.get("ttl_inherit"):
        p.any("ttl", "ttl %s ", "inherit")
    else:
        ttl = d.get("ttl", 0)
        if lister.json or ttl:
            p.any("ttl", "ttl %u ", ttl)
        else:
            p.text("ttl auto ")
    df = d.get("df", 0)
    if df == 0:
        p.jonly("df", "unset")
    else:
        p.any("df", "df %s ", "set" if df == 1 else "inherit")
    age = d.get("ageing", 300)
    p.any("ageing", "ageing none " if age == 0 else "ageing %u ", age)
    if d.get("limit"):
        p.any("limit", "maxaddr %u ", d["limit"])
    for key, jkey, val in (("udpcsum", "udp_csum", d.get("udp_csum", True)),
                           ("udp6zerocsumtx", "udp_zero_csum6_tx", False),
                           ("udp6zerocsumrx", "udp_zero_csum6_rx", False)):
        if lister.json:
            p.jonly(jkey, bool(val))
        else:
            p.text(("" if val else "no") + key + " ")


__all__ = ["vxlan_parse_opt", "vxlan_print_opt", "vxlan_print_help"]
