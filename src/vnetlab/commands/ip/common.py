"""Shared pieces of the ``ip`` command: iproute2's argument matching, its JSON/text printer and
its error conventions. Text formats follow iproute2 6.1 (the version on these machines)."""

from __future__ import annotations

import json

from .. import Exit, Return


def matches(arg: str, word: str) -> bool:
    """iproute2's matches(): ``arg`` is a non-empty prefix of ``word``."""
    return bool(arg) and word.startswith(arg)


class Opts:
    """ip's global options (ip.c main)."""

    def __init__(self):
        self.family = 0          # 0 = unspec, 4, 6, "link" (0 via -0)
        self.json = False
        self.pretty = False
        self.brief = False
        self.details = 0
        self.stats = 0
        self.oneline = False
        self.force = False
        self.batch = None
        self.netns = None
        self.all = False
        self.numeric = False
        self.human = 0
        self.resolve = False
        self.timestamp = False

    @property
    def sl(self) -> str:
        """_SL_: the line separator; ``\\`` in oneline mode."""
        return "\\" if self.oneline else "\n"


class Printer:
    """A tiny version of iproute2's json_print: every print names a JSON key and a text format;
    text goes to the output unless in JSON mode, JSON keys build nested objects/arrays."""

    def __init__(self, ctx, opts: Opts):
        self.ctx = ctx
        self.opts = opts
        self.json = opts.json
        self.buf: list[str] = []
        self.stack: list = []        # JSON containers being built
        self.root: list = []

    # text -------------------------------------------------------------------------------
    def text(self, s: str) -> None:
        if not self.json:
            self.buf.append(s)

    def nl(self) -> None:
        """print_nl(): _SL_ in text mode, nothing in JSON."""
        if not self.json:
            self.buf.append(self.opts.sl)

    # json + text ------------------------------------------------------------------------
    def any(self, key: str | None, fmt: str, value) -> None:
        """print_*(PRINT_ANY, key, fmt, value)."""
        if self.json:
            if key is not None or (self.stack and isinstance(self.stack[-1], list)):
                self._put(key, value)
        elif fmt is not None:
            self.buf.append(fmt % (value,) if "%" in fmt else fmt)

    def item(self, fmt: str, value) -> None:
        """print_string(PRINT_ANY, NULL, fmt, value) inside an open JSON array: an array
        element in JSON, ``fmt % value`` in text."""
        if self.json:
            self._put(None, value)
        else:
            self.buf.append(fmt % (value,))

    def jonly(self, key: str, value) -> None:
        if self.json:
            self._put(key, value)

    def _put(self, key, value) -> None:
        top = self.stack[-1]
        if isinstance(top, list):
            top.append(value)
        else:
            top[key] = value

    def open_object(self, key: str | None = None) -> None:
        if not self.json:
            return
        obj: dict = {}
        if not self.stack:
            self.root.append(obj)
        else:
            self._put(key, obj)
        self.stack.append(obj)

    def open_array(self, key: str | None) -> None:
        if not self.json:
            return
        arr: list = []
        self._put(key, arr)
        self.stack.append(arr)

    def close(self) -> None:
        if self.json:
            self.stack.pop()

    def flush(self) -> None:
        ctx = self.ctx
        if self.json:
            ctx.out.append(jsonw_dump(self.root, self.opts.pretty) + "\n")
        else:
            ctx.out.append("".join(self.buf))
        self.buf = []
        self.root = []


def jsonw_dump(root, pretty: bool = False) -> str:
    """lib/json_writer.c replayed over a finished tree: the same separators, indentation and
    string escapes as iproute2's streaming writer (``[ {`` ... ``} ]`` when pretty)."""
    out: list[str] = []
    st = {"depth": 0, "sep": ""}

    def eol():
        if pretty:
            out.append("\n" + "    " * st["depth"])

    def eor():
        if st["sep"]:
            out.append(st["sep"])
        st["sep"] = ","

    def value(v):
        if isinstance(v, dict):
            eor()
            out.append("{")
            st["depth"] += 1
            st["sep"] = ""
            for k, x in v.items():
                eor()
                eol()
                st["sep"] = ""
                out.append(_jw_str(k) + (": " if pretty else ":"))
                value(x)
            st["depth"] -= 1
            if st["sep"]:
                eol()
            out.append("}")
            st["sep"] = ","
        elif isinstance(v, list):
            eor()
            out.append("[ " if pretty else "[")
            st["depth"] += 1
            st["sep"] = ""
            for x in v:
                value(x)
            if pretty and st["sep"]:
                out.append(" ")
            st["sep"] = ""
            st["depth"] -= 1
            out.append("]")
            st["sep"] = ","
        else:
            eor()
            if v is True or v is False:
                out.append("true" if v else "false")
            elif v is None:
                out.append("null")
            elif isinstance(v, str):
                out.append(_jw_str(v))
            elif isinstance(v, JsonRaw):
                out.append(v.text)
            else:
                out.append(str(v))

    value(root)
    return "".join(out)


class JsonRaw:
    """A preformatted JSON number (jsonw_printf with a custom format, e.g. bridge timers)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


_JW_ESC = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f", "\b": "\\b",
           "\\": "\\\\", '"': '\\"'}


def _jw_str(s: str) -> str:
    """jsonw_puts(): only these escapes; everything else is written as is."""
    return '"' + "".join(_JW_ESC.get(c, c) for c in s) + '"'


def _pretty(v, indent: int = 0) -> str:
    """iproute2's json_writer pretty style: 4-space indent, ``"key": value``."""
    pad = "    " * indent
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = [f'{pad}    {json.dumps(k)}: {_pretty(x, indent + 1)}' for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, list):
        if not v:
            return "[]"
        items = [f"{pad}    {_pretty(x, indent + 1)}" for x in v]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(v)


def incomplete(ctx) -> None:
    ctx.fail('Command line is not complete. Try option "help"', 255)


def invarg(ctx, msg: str, arg: str) -> None:
    """invarg(): 'Error: argument "X" is wrong: MSG' and exit(-1)."""
    ctx.fail(f'Error: argument "{arg}" is wrong: {msg}', 255)


def duparg(ctx, key: str, arg: str) -> None:
    ctx.fail(f'Error: duplicate "{key}": "{arg}" is the second value.', 255)


def duparg2(ctx, key: str, arg: str) -> None:
    ctx.fail(f'Error: either "{key}" is duplicate, or "{arg}" is a garbage.', 255)


def rtnl_error(ctx, err, code: int = 2) -> None:
    """rtnl_talk() failure: the extack message if the kernel gave one, else strerror."""
    msg = getattr(err, "extack", None)
    if msg:
        # print_ext_ack_msg() adds the final '.' when the kernel's message lacks one
        ctx.eprint(f"Error: {msg}" + ("" if msg.endswith(".") else "."))
    else:
        ctx.eprint(f"RTNETLINK answers: {strerror(err.errno)}")
    raise Return(code)


_STRERROR = {
    1: "Operation not permitted", 2: "No such file or directory", 3: "No such process",
    13: "Permission denied", 16: "Device or resource busy", 17: "File exists",
    19: "No such device", 22: "Invalid argument", 28: "No space left on device",
    34: "Numerical result out of range", 40: "Too many levels of symbolic links",
    90: "Message too long", 95: "Operation not supported", 98: "Address already in use",
    99: "Cannot assign requested address", 100: "Network is down",
    101: "Network is unreachable", 105: "No buffer space available", 113: "No route to host",
    23: "Too many open files in system", 7: "Argument list too long",
}


def strerror(e: int) -> str:
    """glibc's strerror() text (the table above, else the C library's own)."""
    if e in _STRERROR:
        return _STRERROR[e]
    import os
    return os.strerror(e)


def exit_(code: int):
    raise Exit(code)


# =============================================================================================
# Shared helpers for the ip objects (added for ip link / ip address; route/neigh may use them).
# Each mirrors the iproute2 6.1 function named in its docstring.
# =============================================================================================

AF_UNSPEC = 0
AF_INET = 2
AF_INET6 = 10
AF_PACKET = 17
AF_MPLS = 28
AF_BRIDGE = 7

PREFIXLEN_SPECIFIED = 1


def opt_family(opts: Opts) -> int:
    """preferred_family as an AF_* number (ip.c keeps it that way; Opts keeps 4/6/"link")."""
    return {0: AF_UNSPEC, 4: AF_INET, 6: AF_INET6, "link": AF_PACKET, "mpls": AF_MPLS,
            "bridge": AF_BRIDGE}.get(opts.family, AF_UNSPEC)


def family_name(af: int) -> str:
    """lib/utils.c: family_name()."""
    return {AF_INET: "inet", AF_INET6: "inet6", AF_PACKET: "link", AF_MPLS: "mpls",
            AF_BRIDGE: "bridge"}.get(af, "???")


# -- C number parsing ---------------------------------------------------------------------------

def strtol(s: str, base: int = 0) -> tuple[int, int]:
    """C strtol()/strtoul() core: (value, index of the first unparsed char); index 0 = no digits.
    Leading blanks and one sign are accepted; base 0 understands 0x and leading-0 octal."""
    i, n = 0, len(s)
    while i < n and s[i] in " \t\n\r\f\v":
        i += 1
    neg = False
    if i < n and s[i] in "+-":
        neg = s[i] == "-"
        i += 1
    if base in (0, 16) and s[i:i + 2].lower() == "0x" and i + 2 < n and \
            s[i + 2] in "0123456789abcdefABCDEF":
        base, i = 16, i + 2
    elif base == 0:
        base = 8 if s[i:i + 1] == "0" else 10
    start, val = i, 0
    while i < n:
        d = int(s[i], 36) if s[i].isalnum() and s[i].isascii() else 99
        if d >= base:
            break
        val = val * base + d
        i += 1
    if i == start:
        return 0, 0
    return (-val if neg else val), i


def _get_num(arg: str, base: int, lo: int, hi: int, unsigned: bool) -> int | None:
    if not arg:
        return None
    val, end = strtol(arg, base)
    if end == 0 or end != len(arg):
        return None
    if unsigned and val < 0:
        val &= 0xFFFFFFFFFFFFFFFF          # strtoul() negates in unsigned long
    if not lo <= val <= hi:
        return None
    return val


def get_integer(arg: str, base: int = 0) -> int | None:
    """lib/utils.c: get_integer(); None on error."""
    return _get_num(arg, base, -2**31, 2**31 - 1, False)


def get_unsigned(arg: str, base: int = 0) -> int | None:
    """lib/utils.c: get_unsigned()."""
    return _get_num(arg, base, 0, 0xFFFFFFFF, True)


get_u32 = get_unsigned


def get_u16(arg: str, base: int = 0) -> int | None:
    return _get_num(arg, base, 0, 0xFFFF, True)


def get_u8(arg: str, base: int = 0) -> int | None:
    return _get_num(arg, base, 0, 0xFF, True)


# -- device names and indexes (lib/ll_map.c) -----------------------------------------------------

IFNAMSIZ = 16


def check_ifname(name: str) -> bool:
    """lib/utils.c: check_ifname(); True when the name is acceptable."""
    if not name or len(name.encode("utf-8", "surrogateescape")) >= IFNAMSIZ:
        return False
    return not any(c == "/" or c.isspace() for c in name)


def check_altifname(name: str) -> bool:
    return bool(name) and not any(c == "/" or c.isspace() for c in name)


def ll_idx_a2n(name: str) -> int:
    """sscanf(name, "if%u"): ``if5`` (and ``if5x``) name ifindex 5."""
    if not name.startswith("if"):
        return 0
    val, end = strtol(name[2:], 10)
    if end == 0 or name[2:3] in ("+", "-", " "):
        return 0
    return val & 0xFFFFFFFF


def ll_name_to_index(ns, name: str | None) -> int:
    """ll_name_to_index(): a device name, else the ``ifN`` form; 0 when neither."""
    if name is None:
        return 0
    dev = ns.by_name.get(name)
    if dev is not None:
        return dev.ifindex
    # if_nametoindex(): dev_ioctl() cuts the name at a colon (an alias "lo:1" names lo), then
    # SIOCGIFINDEX runs dev_load(), which may load the module that provides the name
    # ("netdev-tunl0" is ipip) and then tries the name itself as a module
    k = ns.kernel
    base = name.split(":", 1)[0]
    dev = ns.by_name.get(base)
    if dev is not None:
        return dev.ifindex
    if base and (k.request_module("netdev-" + base) or k.request_module(base)):
        dev = ns.by_name.get(base)
        if dev is not None:
            return dev.ifindex
    return ll_idx_a2n(name)


def ll_index_to_name(ns, idx: int) -> str:
    """ll_index_to_name(): ``*`` for 0, the device name, else ``ifN``."""
    if idx == 0:
        return "*"
    dev = ns.by_index.get(idx)
    return dev.name if dev is not None else f"if{idx}"


def ll_index_to_flags(ns, idx: int) -> int:
    dev = ns.by_index.get(idx)
    return dev.get_flags() if dev is not None else 0


def nodev(ctx, dev: str) -> int:
    """nodev(): 'Cannot find device' and return -1 (exit status 1)."""
    ctx.eprint(f'Cannot find device "{dev}"')
    return 1


# -- link-layer addresses (lib/ll_addr.c, lib/ll_types.c) -------------------------------------

ARPHRD_NAMES = {0: "netrom", 1: "ether", 2: "eether", 3: "ax25", 4: "pronet", 5: "chaos",
                6: "ieee802", 7: "arcnet", 8: "appletlk", 15: "dlci", 19: "atm", 23: "metricom",
                24: "ieee1394", 27: "eui64", 32: "infiniband", 256: "slip", 257: "cslip",
                258: "slip6", 259: "cslip6", 260: "rsrvd", 264: "adapt", 270: "rose",
                271: "x25", 272: "hwx25", 280: "can", 512: "ppp", 513: "hdlc", 516: "lapb",
                517: "ddcmp", 518: "rawhdlc", 519: "rawip", 768: "ipip", 769: "tunnel6",
                770: "frad", 771: "skip", 772: "loopback", 773: "localtlk", 774: "fddi",
                775: "bif", 776: "sit", 777: "ip/ddp", 778: "gre", 779: "pimreg",
                780: "hippi", 781: "ash", 782: "econet", 783: "irda", 784: "fcpp",
                785: "fcal", 786: "fcpl", 787: "fcfb", 800: "tr", 801: "tr+rif",
                802: "ieee802.11", 803: "ieee802.11/prism", 804: "ieee802.11/radiotap",
                820: "ieee802.15.4", 821: "ieee802.15.4/monitor", 823: "gre6",
                824: "netlink", 825: "6lowpan", 826: "vsockmon", 0xFFFE: "none",
                0xFFFF: "void"}
ARPHRD_TUNNEL, ARPHRD_SIT, ARPHRD_IPGRE = 768, 776, 778


def ll_type_n2a(t: int, numeric: bool = False) -> str:
    """ll_type_n2a(): the link/... name of an ARPHRD_* type (``[N]`` with -N or if unknown)."""
    if numeric or t not in ARPHRD_NAMES:
        return f"[{t}]"
    return ARPHRD_NAMES[t]


def ll_addr_n2a(addr: bytes, t: int) -> str:
    """ll_addr_n2a(): IPv4 dotted quad for 4-byte tunnel addresses, else hex bytes with ':'."""
    if len(addr) == 4 and t in (ARPHRD_TUNNEL, ARPHRD_SIT, ARPHRD_IPGRE):
        return ".".join(str(b) for b in addr)
    if not addr:
        return "00"
    return ":".join(f"{b:02x}" for b in addr)


def ll_addr_a2n(ctx, arg: str, maxlen: int = 32) -> bytes | None:
    """ll_addr_a2n(): parse a link-layer address; prints the error and returns None if bad."""
    if "." in arg:
        p = get_addr_1(arg, AF_INET)
        if p is None:
            ctx.eprint(f'"{arg}" is invalid lladdr.')
            return None
        return p.data.to_bytes(4, "big")
    out = bytearray()
    rest = arg
    for _ in range(maxlen):
        part, sep, tail = rest.partition(":")
        val, end = strtol(part, 16)
        if end == 0:
            ctx.eprint(f'"{part}" is invalid lladdr.')
            return None
        if not 0 <= val <= 255:
            ctx.eprint(f'"{part}" is invalid lladdr.')
            return None
        out.append(val)
        if not sep:
            break
        rest = tail
    return bytes(out)


# -- inet addresses and prefixes (lib/utils.c) -------------------------------------------------

class InetPrefix:
    """inet_prefix: ``data`` is the IPv4 address as an int (host order)."""

    __slots__ = ("family", "bytelen", "bitlen", "data", "flags")

    def __init__(self, family=AF_UNSPEC, bytelen=0, bitlen=0, data=0, flags=0):
        self.family, self.bytelen, self.bitlen, self.data, self.flags = \
            family, bytelen, bitlen, data, flags


def _get_addr_ipv4(cp: str) -> int | None:
    """get_addr_ipv4(): the legacy parser (``10.8`` is 10.8.0.0, parts may be hex/octal)."""
    parts = [0, 0, 0, 0]
    for i in range(4):
        n, end = strtol(cp, 0)
        if end == 0:
            return None
        if n < 0:
            n &= 0xFFFFFFFFFFFFFFFF
        if n > 255:
            return None
        parts[i] = n
        if end == len(cp):
            break
        if i == 3 or cp[end] != ".":
            return None
        cp = cp[end + 1:]
    return (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]


def get_addr_1(name: str, family: int) -> InetPrefix | None:
    """get_addr_1() for the families the emulator knows (IPv6 is recognised, not stored)."""
    if name == "default":
        return InetPrefix(family, 4 if family == AF_INET else 16 if family == AF_INET6 else 0,
                          -2, 0, PREFIXLEN_SPECIFIED)
    if name in ("all", "any"):
        return InetPrefix(family, 0, -2, 0)
    if family == AF_PACKET:
        return None
    if ":" in name:
        if family not in (AF_UNSPEC, AF_INET6):
            return None
        import ipaddress
        try:
            a = ipaddress.IPv6Address(name)
        except ValueError:
            return None
        return InetPrefix(AF_INET6, 16, -1, int(a))
    if family not in (AF_UNSPEC, AF_INET):
        return None
    v = _get_addr_ipv4(name)
    if v is None:
        return None
    return InetPrefix(AF_INET, 4, -1, v)


def get_prefix_1(arg: str, family: int) -> InetPrefix | None:
    """get_prefix_1(): ADDR[/LEN] (LEN may be a dotted netmask)."""
    addr, slash, plen_s = arg.partition("/")
    p = get_addr_1(addr, family)
    if p is None:
        return None
    bitlen = 32 if p.family == AF_INET else 128 if p.family == AF_INET6 else 0
    if slash:
        if p.bitlen == -2:
            return None
        plen = get_unsigned(plen_s)
        if plen is None:
            m = get_addr_1(plen_s, AF_INET)
            if m is None or m.family != AF_INET:
                return None
            host = ~m.data & 0xFFFFFFFF
            if host & (host + 1):
                return None
            plen = 32 - bin(host).count("1")
        if plen > bitlen:
            return None
        p.flags |= PREFIXLEN_SPECIFIED
        bitlen = plen
    elif p.bitlen == -2:
        bitlen = 0
    p.bitlen = bitlen
    return p


def _family_name_verbose(family: int) -> str:
    return "any valid" if family == AF_UNSPEC else family_name(family)


def get_prefix(ctx, arg: str, family: int) -> InetPrefix:
    """get_prefix(): exit(1) with iproute2's message when ``arg`` is not a prefix."""
    if family == AF_PACKET:
        ctx.fail(f'Error: "{arg}" may be inet prefix, but it is not allowed in this context.', 1)
    p = get_prefix_1(arg, family)
    if p is None:
        ctx.fail(f'Error: {_family_name_verbose(family)} prefix is expected rather than '
                 f'"{arg}".', 1)
    return p


def get_addr(ctx, arg: str, family: int) -> InetPrefix:
    """get_addr(): exit(1) with iproute2's message when ``arg`` is not an address."""
    p = get_addr_1(arg, family)
    if p is None:
        ctx.fail(f'Error: {_family_name_verbose(family)} address is expected rather than '
                 f'"{arg}".', 1)
    return p


def ipv4_ntoa(v: int) -> str:
    return f"{v >> 24 & 255}.{v >> 16 & 255}.{v >> 8 & 255}.{v & 255}"


# -- names tables (lib/rt_names.c with the stock /etc/iproute2 files) ---------------------------

RT_SCOPES = {0: "global", 255: "nowhere", 254: "host", 253: "link", 200: "site"}


def rtnl_rtscope_n2a(scope: int, numeric: bool = False) -> str:
    if numeric or scope not in RT_SCOPES:
        return str(scope)
    return RT_SCOPES[scope]


def rtnl_rtscope_a2n(arg: str) -> int | None:
    for k, v in RT_SCOPES.items():
        if v == arg:
            return k
    val, end = strtol(arg, 0)
    if end == 0 or end != len(arg) or not 0 <= val <= 255:
        return None
    return val


RT_GROUPS = {0: "default"}


def rtnl_group_n2a(group: int, numeric: bool = False) -> str:
    if not numeric and group in RT_GROUPS:
        return RT_GROUPS[group]
    return str(group)


def rtnl_group_a2n(arg: str) -> int | None:
    for k, v in RT_GROUPS.items():
        if v == arg:
            return k
    val, end = strtol(arg, 0)
    if end == 0 or end != len(arg) or val < 0:
        return None
    return val & 0xFFFFFFFF


def netns_name_of(ns) -> str | None:
    """The name ``ip netns`` knows a namespace by (None for the unnamed init netns)."""
    return ns.name if ns is not None and ns.name and \
        ns.kernel.named.get(ns.name) is ns else None


def get_name_from_nsid(viewer, nsid: int) -> str | None:
    """lib/namespace: get_name_from_nsid(): the /run/netns name whose id (seen from the
    command's netns) is ``nsid``."""
    target = viewer.ids.get(nsid)
    return netns_name_of(target)


def settle(ctx) -> None:
    """Let the kernel's deferred work that is already due run (linkwatch events scheduled with no
    delay, the receive backlog): on a real system it runs while one command exits and the next
    starts, so every ``ip`` command begins and ends on a settled kernel. Virtual time does not
    advance."""
    eng = getattr(ctx.lab, "engine", None) or ctx.lab.kernel.engine
    eng.run_now()
