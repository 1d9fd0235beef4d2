"""``type macvlan`` / ``type macvtap`` (iproute2 6.1 ``ip/iplink_macvlan.c``).

* ``macvlan_parse_opt()`` turns ``mode M [flag F] nopromisc nodst macaddr OP ... bcqueuelen N``
  into the ``LinkRequest.data`` that devices/macvlan.py takes (``mode``, ``flags``, ``macaddr``,
  ``bcqueuelen``), with iplink_macvlan.c's messages and exit statuses (parse errors return -1
  from iplink_modify(): status 1; a missing argument is NEXT_ARG()'s exit(-1): 255).
  iproute2 6.1 has no ``bclim`` (IFLA_MACVLAN_BC_CUTOFF came in 6.3): it is an unknown option.
* ``macvlan_print_opt()`` prints the ``-d`` details from the device's ``fill_info()``
  (``mode bridge bcqueuelen 1000 usedbcqueuelen 1000``, ``remotes (N) MAC...`` in source
  mode; JSON keys mode, nopromisc, nodst, bcqueuelen, usedbcqueuelen, macaddr_count,
  macaddr_data). 6.1 does not print IFLA_MACVLAN_BC_CUTOFF.
* ``macvlan_print_help()`` is ``ip link help macvlan`` (stdout).
"""

from __future__ import annotations

from .. import Exit
from .common import get_u32, incomplete, matches

MACVLAN_MODE_PRIVATE, MACVLAN_MODE_VEPA, MACVLAN_MODE_BRIDGE = 1, 2, 4
MACVLAN_MODE_PASSTHRU, MACVLAN_MODE_SOURCE = 8, 16
MACVLAN_FLAG_NOPROMISC, MACVLAN_FLAG_NODST = 1, 2
_MODES = {"private": MACVLAN_MODE_PRIVATE, "vepa": MACVLAN_MODE_VEPA,
          "bridge": MACVLAN_MODE_BRIDGE, "passthru": MACVLAN_MODE_PASSTHRU,
          "source": MACVLAN_MODE_SOURCE}
_MODE_NAMES = {v: k for k, v in _MODES.items()}
ETH_ALEN = 6


def _explain_text(kind: str) -> str:
    return ("Usage: ... %s mode MODE [flag MODE_FLAG] MODE_OPTS [bcqueuelen BC_QUEUE_LEN]\n"
            "\n"
            "MODE: private | vepa | bridge | passthru | source\n"
            "MODE_FLAG: null | nopromisc | nodst\n"
            "MODE_OPTS: for mode \"source\":\n"
            "\tmacaddr { { add | del } <macaddr> | set [ <macaddr> [ <macaddr>  ... ] ] "
            "| flush }\n"
            "BC_QUEUE_LEN: Length of the rx queue for broadcast/multicast: [0-4294967295]\n"
            % kind)


def macvlan_print_help(ctx, kind: str) -> None:
    """print_explain(lu, stdout) (``ip link help macvlan``)."""
    ctx.print(_explain_text(kind), end="")


def _explain(ctx, kind: str) -> None:
    ctx.eprint(_explain_text(kind), end="")


def _scanf_hex(s: str):
    """sscanf(s, "%x", &int): leading blanks, a sign, an optional 0x, hex digits; the value as
    a C int (wraps), or None when no digit converts."""
    i, n = 0, len(s)
    while i < n and s[i] in " \t\n\v\f\r":
        i += 1
    neg = False
    if i < n and s[i] in "+-":
        neg = s[i] == "-"
        i += 1
    if s[i:i + 2].lower() == "0x" and i + 2 < n and s[i + 2] in "0123456789abcdefABCDEF":
        i += 2
    j = i
    while j < n and s[j] in "0123456789abcdefABCDEF":
        j += 1
    if j == i:
        return None
    v = int(s[i:j], 16)
    if neg:
        v = -v
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= 1 << 31 else v


def ll_addr_a2n_c(ctx, arg: str, maxlen: int = ETH_ALEN):
    """lib/ll_addr.c ll_addr_a2n() as C runs it: returns (length or -1, bytes, what is left of
    the argv string - the function overwrites each ':' it passes with a NUL)."""
    if "." in arg:
        from .common import get_addr_1, AF_INET
        p = get_addr_1(arg, AF_INET)
        if p is None:
            ctx.eprint(f'"{arg}" is invalid lladdr.')
            return -1, b"", arg
        return 4, p.data.to_bytes(4, "big"), arg
    out = bytearray()
    first_cut = None
    cur = arg
    i = 0
    while i < maxlen:
        part, sep, tail = cur.partition(":")
        if sep and first_cut is None:
            first_cut = part
        val = _scanf_hex(part)
        if val is None or not 0 <= val <= 255:
            ctx.eprint(f'"{part}" is invalid lladdr.')
            return -1, bytes(out), first_cut if first_cut is not None else arg
        out.append(val)
        if not sep:
            break
        cur = tail
        i += 1
    return i + 1, bytes(out), first_cut if first_cut is not None else arg


def macvlan_parse_opt(ctx, argv: list[str], r, kind: str = "macvlan") -> None:
    """iplink_macvlan.c: macvlan_parse_opt(); sets ``r.data``."""
    argv = list(argv)
    data: dict = {}
    mode = 0
    flags = 0
    has_flags = False
    i, n = 0, len(argv)

    def fail():
        raise Exit(1)                       # parse_opt() returned -1

    def next_arg():
        nonlocal i
        i += 1
        if i >= n:
            incomplete(ctx)

    while i < n:
        a = argv[i]
        if matches(a, "mode"):
            next_arg()
            mode = _MODES.get(argv[i], 0)
            if not mode:
                ctx.eprint('Error: argument of "mode" must be "private", "vepa", "bridge", '
                           f'"passthru" or "source", not "{argv[i]}"')
                fail()
        elif matches(a, "flag"):
            next_arg()
            v = argv[i]
            if v == "nopromisc":
                flags |= MACVLAN_FLAG_NOPROMISC
            elif v == "nodst":
                flags |= MACVLAN_FLAG_NODST
            elif v != "null":
                ctx.eprint('Error: argument of "flag" must be "nopromisc", "nodst" or "null", '
                           f'not "{v}"')
                fail()
            has_flags = True
        elif matches(a, "macaddr"):
            next_arg()
            op = argv[i]
            if op not in ("add", "del", "set", "flush"):
                _explain(ctx, kind)
                fail()
            if op in ("add", "del"):
                next_arg()
                ln, mac, argv[i] = ll_addr_a2n_c(ctx, argv[i])
                if ln != ETH_ALEN:
                    fail()
                data["macaddr"] = (op, mac)
            elif op == "set":
                macs = []
                while n - i - 1 > 0:               # NEXT_ARG_OK()
                    i += 1                          # NEXT_ARG_FWD()
                    ln, mac, argv[i] = ll_addr_a2n_c(ctx, argv[i])
                    if ln != ETH_ALEN:
                        i -= 1                      # PREV_ARG()
                        break
                    macs.append(mac)
                data["macaddr"] = ("set", macs)
            else:
                data["macaddr"] = ("flush",)
        elif matches(a, "nopromisc"):
            flags |= MACVLAN_FLAG_NOPROMISC
            has_flags = True
        elif matches(a, "nodst"):
            flags |= MACVLAN_FLAG_NODST
            has_flags = True
        elif matches(a, "bcqueuelen"):
            next_arg()
            v = get_u32(argv[i], 0)
            if v is None:
                ctx.eprint('Error: argument of "bcqueuelen" must be a positive integer '
                           f'[0-4294967295], not "{argv[i]}"')
                fail()
            data["bcqueuelen"] = v
        elif matches(a, "help"):
            _explain(ctx, kind)
            fail()
        else:
            ctx.eprint(f'{kind}: unknown option "{a}"?')
            _explain(ctx, kind)
            fail()
        i += 1
    if mode:
        data["mode"] = mode
    if has_flags:
        if flags & MACVLAN_FLAG_NOPROMISC and mode != MACVLAN_MODE_PASSTHRU:
            ctx.eprint(f"{kind}: nopromisc flag only valid in passthru mode")
            _explain(ctx, kind)
            fail()
        data["flags"] = flags
    r.data = data


def _mac(b: bytes) -> str:
    return ":".join("%.2x" % x for x in bytes(b))


def macvlan_print_opt(lister, data: dict | None) -> None:
    """iplink_macvlan.c: macvlan_print_opt() over the device's fill_info() dict."""
    if not data or "mode" not in data:
        return
    p = lister.p
    mode = data["mode"]
    p.any("mode", "mode %s ", _MODE_NAMES.get(mode, "unknown"))
    flags = data.get("flags", 0) or 0
    if flags & MACVLAN_FLAG_NOPROMISC:
        p.any("nopromisc", "nopromisc ", True)
    if flags & MACVLAN_FLAG_NODST:
        p.any("nodst", "nodst ", True)
    if "bc_queue_len" in data:
        p.any("bcqueuelen", "bcqueuelen %d ", int(data["bc_queue_len"]))
    if "bc_queue_len_used" in data:
        p.any("usedbcqueuelen", "usedbcqueuelen %d ", int(data["bc_queue_len_used"]))
    if mode != MACVLAN_MODE_SOURCE or "macaddr_count" not in data:
        return
    p.any("macaddr_count", "remotes (%d) ", int(data["macaddr_count"]))
    if "macaddr_data" not in data:
        return
    p.open_array("macaddr_data")
    for m in data["macaddr_data"]:
        if lister.json:
            p.jonly(None, _mac(m))
        else:
            p.text(_mac(m) + " ")
    p.close()


__all__ = ["macvlan_parse_opt", "macvlan_print_opt", "macvlan_print_help"]
