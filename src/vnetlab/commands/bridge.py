"""``bridge`` (iproute2 6.1: ``bridge/bridge.c``, ``bridge/link.c``, ``bridge/fdb.c``) on the
emulator: global options, ``bridge link [show|set]`` and ``bridge fdb [show|add|append|replace|
del|get|flush]`` with iproute2's exact text, JSON, errors and exit statuses.

One Python function per C function of iproute2 (same names), plus the kernel side of the
netlink requests, named after the kernel functions they mirror (``rtnl_bridge_getlink``,
``br_setport``, ``rtnl_fdb_dump``, ``rtnl_fdb_add``, ``br_fdb_add``, ``ndo_dflt_fdb_add`` ...).
The bridge itself is ``vnetlab.devices.bridge``; this module only reads and changes it through
its API (``port_of``, ``fdb_entries``, ``fdb_add``, ``fdb_del``, ``port_set``,
``set_port_state``).

Kernel facts reproduced here (observed on the host kernel 6.18 with iproute2 6.1):

* ``bridge link`` lists bridge ports only (the bridge device itself answers a dump without
  VLAN filter with nothing), in ifindex order. ``IFLA_LINK`` comes without a netnsid, so a
  veth whose peer lives in another netns is printed ``name@<local device with the peer's
  ifindex>`` or ``name@ifN``; ``M-DOWN`` when that local device exists and is down.
* ``bridge fdb show`` walks the devices in ifindex order: a port gives first the bridge's
  entries that point at it (the bridge's fdb list, newest first), then its own address lists
  (``self permanent``: unicast list, then multicast list); a bridge gives its own lists, then
  the entries that point at the bridge itself. Devices that are not Ethernet (``lo``) give none.
* [EMU] The multicast lists hold what the kernel's protocols put there and the emulator does not
  model as such: ``33:33:00:00:00:01`` (IPv6 all-nodes, joined when the device registers with an
  MTU >= 1280, even with disable_ipv6=1), ``01:00:5e:00:00:6a`` and ``33:33:00:00:00:6a`` on an
  up bridge with mcast_snooping (the multicast-router snoopers), ``01:00:5e:00:00:01`` (IPv4
  all-hosts, joined on NETDEV_UP), then the device's real ``mc`` list. The order is the kernel's
  for the usual life of a device (register, up); toggling snooping or the MTU later re-appends
  entries in the kernel, which this model does not track. The emulator has no IPv6, so the lists
  are those of a netns with disable_ipv6=1 (no solicited-node groups 33:33:ff:...). Deleting one
  of these synthesized entries with ``bridge fdb del ... self`` succeeds and changes nothing (the
  kernel holds two references to 33:33:00:00:00:01).
* [EMU] ``Bridge.set_port_state()`` refuses a bridge that is down; the kernel does not look at
  the bridge (``br_set_port_state()``), so this module applies the state itself then.
* Helpers of ``vnetlab.devices.bridge`` used beyond its public API: ``Bridge._fdb_update()``
  (``bridge fdb add ... use`` is the kernel's br_fdb_update()) and ``Bridge._state_selection()``
  (the case above).
* Port options the emulated bridge has no behaviour for (guard, root_block, fastleave,
  mcast_to_unicast, vlan_tunnel, mcast_router, learning_sync, backup_port) are stored and shown;
  ``neigh_suppress on`` and ``locked on`` change forwarding in the kernel and are refused with a
  ``vnetlab:`` message (exit 255) rather than silently ignored; ``extern_learn`` FDB entries too.

Devices other than the bridge may take part in ``self`` FDB operations by defining
``ndo_fdb_add(mac, state, flags, nlflags, vid, attrs)``, ``ndo_fdb_del(mac, state, vid, attrs)``
and ``ndo_fdb_dump() -> list[FdbMsg]`` (a VXLAN device will: ``attrs`` carries ``dst``, ``port``,
``vni``, ``src_vni``, ``via``, ``nhid`` as parsed); without them the kernel's default
(``ndo_dflt_fdb_*``: the device's unicast / multicast address lists) applies.
"""

from __future__ import annotations

from ..devices.bridge import (BR_STATE_DISABLED, BR_STATE_FORWARDING, BR_STATE_LEARNING,
                              Bridge, port_of)
from ..stack.errors import (EEXIST, EINVAL, ENETDOWN, ENODEV, ENOENT, EOPNOTSUPP, EPERM, ERANGE,
                            KernelError)
from ..stack.netdev import (ARPHRD_ETHER, IFF_UP, dev_mc_add, dev_mc_del, dev_uc_add,
                            dev_uc_del)
from . import Exit, Return, command
from .batch import do_batch
from .ip.addr import print_link_flags
from .ip.common import (AF_INET, AF_INET6, AF_UNSPEC, Opts, Printer, duparg, duparg2, get_addr,
                        get_u32, incomplete, invarg, ipv4_ntoa, ll_name_to_index, matches,
                        rtnl_error, settle, strerror, strtol)

VERSION = "bridge utility, 6.1.0"

USAGE = """Usage: bridge [ OPTIONS ] OBJECT { COMMAND | help }
       bridge [ -force ] -batch filename
where  OBJECT := { link | fdb | mdb | vlan | monitor }
       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] |
                    -o[neline] | -t[imestamp] | -n[etns] name |
                    -c[ompressvlans] -color -p[retty] -j[son] }
"""

LINK_USAGE = """Usage: bridge link set dev DEV [ cost COST ] [ priority PRIO ] [ state STATE ]
                               [ guard {on | off} ]
                               [ hairpin {on | off} ]
                               [ fastleave {on | off} ]
                               [ root_block {on | off} ]
                               [ learning {on | off} ]
                               [ learning_sync {on | off} ]
                               [ flood {on | off} ]
                               [ mcast_router MULTICAST_ROUTER ]
                               [ mcast_flood {on | off} ]
                               [ bcast_flood {on | off} ]
                               [ mcast_to_unicast {on | off} ]
                               [ neigh_suppress {on | off} ]
                               [ vlan_tunnel {on | off} ]
                               [ isolated {on | off} ]
                               [ locked {on | off} ]
                               [ hwmode {vepa | veb} ]
                               [ backup_port DEVICE ] [ nobackup_port ]
                               [ self ] [ master ]
       bridge link show [dev DEV]
"""

FDB_USAGE = """Usage: bridge fdb { add | append | del | replace } ADDR dev DEV
              [ self ] [ master ] [ use ] [ router ] [ extern_learn ]
              [ sticky ] [ local | static | dynamic ] [ vlan VID ]
              { [ dst IPADDR ] [ port PORT] [ vni VNI ] | [ nhid NHID ] }
	       [ via DEV ] [ src_vni VNI ]
       bridge fdb [ show [ br BRDEV ] [ brport DEV ] [ vlan VID ]
              [ state STATE ] [ dynamic ] ]
       bridge fdb get [ to ] LLADDR [ br BRDEV ] { brport | dev } DEV
              [ vlan VID ] [ vni VNI ] [ self ] [ master ] [ dynamic ]
       bridge fdb flush dev DEV [ brport DEV ] [ vlan VID ]
              [ self ] [ master ] [ [no]permanent | [no]static | [no]dynamic ]
              [ [no]added_by_user ] [ [no]extern_learn ] [ [no]sticky ]
              [ [no]offloaded ]
"""

STP_STATES = ("disabled", "listening", "learning", "forwarding", "blocking")

# include/uapi/linux/neighbour.h
NTF_USE, NTF_SELF, NTF_MASTER, NTF_PROXY = 0x01, 0x02, 0x04, 0x08
NTF_EXT_LEARNED, NTF_OFFLOADED, NTF_STICKY, NTF_ROUTER = 0x10, 0x20, 0x40, 0x80
NUD_REACHABLE, NUD_STALE, NUD_NOARP, NUD_PERMANENT = 0x02, 0x04, 0x40, 0x80
# netlink request flags (as names)
F_CREATE, F_EXCL, F_REPLACE, F_APPEND, F_BULK = "create", "excl", "replace", "append", "bulk"

USER_HZ = 100
NSEC_PER_CS = 10_000_000
IPV6_MIN_MTU = 1280
VLAN_VID_MASK = 0x0FFF

# lib/color.c, light background palette: COLOR_IFNAME cyan, COLOR_MAC yellow, COLOR_INET magenta,
# COLOR_INET6 blue
_COLORS = {"ifname": "\x1b[36m", "mac": "\x1b[33m", "inet": "\x1b[35m", "inet6": "\x1b[34m"}
_CLEAR = "\x1b[0m"

_V6_ALLNODES = b"\x33\x33\x00\x00\x00\x01"
_V6_SNOOPERS = b"\x33\x33\x00\x00\x00\x6a"
_V4_SNOOPERS = b"\x01\x00\x5e\x00\x00\x6a"
_V4_ALLHOSTS = b"\x01\x00\x5e\x00\x00\x01"


class BrOpts(Opts):
    """bridge.c's globals."""

    def __init__(self):
        super().__init__()
        self.color = False
        self.compress_vlans = 0


def _usage(ctx) -> None:
    ctx.eprint(USAGE, end="")
    raise Exit(255)


def _mac(m: bytes) -> str:
    return ":".join(f"{b:02x}" for b in m)


def _atoi(s: str) -> int:
    """C atoi() (strtol() saturated to long, then truncated to int)."""
    val, end = strtol(s, 10)
    if not end:
        return 0
    val = max(min(val, 2**63 - 1), -2**63)
    return _trunc(val, 32)


def _trunc(v: int, bits: int) -> int:
    """Store ``v`` in a signed C integer of ``bits`` bits."""
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def _strtoul(s: str) -> tuple[int, bool]:
    """strtoul(s, &end, 0): (value as unsigned long, whole string consumed)."""
    val, end = strtol(s, 0)
    if val < 0:
        val &= 0xFFFFFFFFFFFFFFFF
    if val > 0xFFFFFFFFFFFFFFFF:
        val = 0xFFFFFFFFFFFFFFFF
    return val, end == len(s)


def sscanf_mac(s: str) -> bytes | None:
    """sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx") == 6: each field skips blanks, takes an
    optional sign and 0x, at least one hex digit (stored in 8 bits); the rest is ignored."""
    out = bytearray()
    i, n = 0, len(s)
    for k in range(6):
        if k:
            if i >= n or s[i] != ":":
                return None
            i += 1
        while i < n and s[i] in " \t\n\r\f\v":
            i += 1
        neg = False
        if i < n and s[i] in "+-":
            neg = s[i] == "-"
            i += 1
        if s[i:i + 2].lower() == "0x" and i + 2 < n and s[i + 2] in "0123456789abcdefABCDEF":
            i += 2
        start = i
        val = 0
        while i < n and s[i] in "0123456789abcdefABCDEF":
            val = (val * 16 + int(s[i], 16)) & 0xFFFFFFFFFFFFFFFF
            i += 1
        if i == start:
            return None
        out.append((-val if neg else val) & 0xFF)
    return bytes(out)


def parse_on_off(ctx, msg: str, val: str) -> bool:
    """lib/utils.c parse_on_off() -> parse_one_of(): prefix match on "off" then "on"; on error
    the caller returns -EINVAL, so the tool exits with 234."""
    for i, word in enumerate(("off", "on")):
        if matches(val, word):
            return bool(i)
    ctx.eprint(f'Error: argument of "{msg}" must be one of "off", "on", not "{val}"')
    raise Exit(-22 & 0xFF)


def _color(o: BrOpts, kind: str, text: str) -> str:
    if o.color and not o.json and kind in _COLORS:
        return _COLORS[kind] + text + _CLEAR
    return text


# =============================================================================================
# bridge.c
# =============================================================================================

@command("bridge")
def main(ctx, argv: list[str]) -> int:
    """bridge.c: main()."""
    o = BrOpts()
    i = 0
    while i < len(argv):
        opt = argv[i]
        if opt == "--":
            i += 1
            break
        if not opt.startswith("-"):
            break
        if opt.startswith("--"):
            opt = opt[1:]
        if matches(opt, "-help"):
            _usage(ctx)
        elif matches(opt, "-Version"):
            ctx.print(VERSION)
            return 0
        elif matches(opt, "-stats") or matches(opt, "-statistics"):
            o.stats += 1
        elif matches(opt, "-details"):
            o.details += 1
        elif matches(opt, "-oneline"):
            o.oneline = True
        elif matches(opt, "-timestamp"):
            o.timestamp = True
        elif matches(opt, "-family"):
            i += 1
            if i >= len(argv):
                _usage(ctx)
            f = argv[i]
            if f == "inet":
                o.family = 4
            elif f == "inet6":
                o.family = 6
            elif f == "help":
                _usage(ctx)
            else:
                invarg(ctx, "invalid protocol family", f)
        elif opt == "-4":
            o.family = 4
        elif opt == "-6":
            o.family = 6
        elif matches(opt, "-netns"):
            i += 1
            # NEXT_ARG() counts argv[0]: a missing name reaches netns_switch() as NULL
            name = argv[i] if i < len(argv) else "(null)"
            ns = ctx.lab.kernel.named.get(name) if i < len(argv) else None
            if ns is None:
                ctx.fail(f'Cannot open network namespace "{name}": No such file or directory',
                         255)
            ctx.ns = ns
        elif _matches_color(opt) is not None:
            o.color = _matches_color(opt)
        elif matches(opt, "-compressvlans"):
            o.compress_vlans += 1
        elif matches(opt, "-force"):
            o.force = True
        elif matches(opt, "-json"):
            o.json = True
        elif matches(opt, "-pretty"):
            o.pretty = True
        elif matches(opt, "-batch"):
            i += 1
            if i >= len(argv):
                _usage(ctx)
            o.batch = argv[i]
        else:
            ctx.fail(f'Option "{opt}" is unknown, try "bridge help".', 255)
        i += 1
    settle(ctx)
    try:
        if o.batch is not None:
            return _batch(ctx, o)
        rest = argv[i:]
        if rest:
            return do_cmd(ctx, o, rest)
        _usage(ctx)
    finally:
        settle(ctx)
    return 255


def _matches_color(opt: str):
    """lib/color.c matches_color(): None when ``opt`` is not -color[=WHEN], else whether color
    is enabled (always; auto is off, since the emulator's stdout is never a terminal)."""
    name, eq, when = opt.partition("=")
    if not matches(name, "-color"):
        return None
    if not eq or when == "always":
        return True
    if when in ("auto", "never"):
        return False
    return None


def do_cmd(ctx, o: BrOpts, argv: list[str]) -> int:
    """bridge.c: do_cmd(): the first object that ``argv[0]`` is a prefix of."""
    obj = argv[0]
    for name in ("link", "fdb", "mdb", "vlan", "vni", "monitor", "help"):
        if matches(obj, name):
            if name == "link":
                return do_link(ctx, o, argv[1:])
            if name == "fdb":
                return do_fdb(ctx, o, argv[1:])
            if name == "help":
                _usage(ctx)
            ctx.fail(f'vnetlab: "bridge {name}" is not provided by the emulator yet', 1)
    ctx.eprint(f'Object "{obj}" is unknown, try "bridge help".')
    return 255


def _batch(ctx, o: BrOpts) -> int:
    """lib/utils.c: do_batch() with br_batch_cmd()."""
    return do_batch(ctx, o.batch, o.force, lambda args: do_cmd(ctx, o, args))


# =============================================================================================
# link.c
# =============================================================================================

def do_link(ctx, o: BrOpts, argv: list[str]) -> int:
    """link.c: do_link()."""
    if argv:
        a = argv[0]
        if matches(a, "set") or matches(a, "change"):
            return brlink_modify(ctx, o, argv[1:])
        if matches(a, "show") or matches(a, "lst") or matches(a, "list"):
            return brlink_show(ctx, o, argv[1:])
        if matches(a, "help"):
            _link_usage(ctx)
    else:
        return brlink_show(ctx, o, [])
    ctx.fail(f'Command "{argv[0]}" is unknown, try "bridge link help".', 255)
    return 255


def _link_usage(ctx) -> None:
    ctx.eprint(LINK_USAGE, end="")
    raise Exit(255)


def brlink_show(ctx, o: BrOpts, argv: list[str]) -> int:
    """link.c: brlink_show()."""
    filter_dev = None
    i = 0
    while i < len(argv):
        if argv[i] == "dev":
            i += 1
            if i >= len(argv):
                incomplete(ctx)
            if filter_dev is not None:
                duparg(ctx, "dev", argv[i])
            filter_dev = argv[i]
        i += 1
    filter_index = 0
    if filter_dev is not None:
        filter_index = ll_name_to_index(ctx.ns, filter_dev)
        if not filter_index:
            ctx.eprint(f'Cannot find device "{filter_dev}"')
            raise Return(255)
    p = Printer(ctx, o)
    for dev in rtnl_bridge_getlink(ctx.ns):
        if filter_index and filter_index != dev.ifindex:
            continue
        print_linkinfo(ctx, o, p, dev)
    p.flush()
    return 0


def rtnl_bridge_getlink(ns) -> list:
    """rtnetlink.c rtnl_bridge_getlink() for a PF_BRIDGE dump without filter mask: every
    device, in ifindex order, that is a bridge port (br_getlink() answers for ports only)."""
    return [d for d in sorted(ns.devices, key=lambda d: d.ifindex) if port_of(d) is not None]


def _ll_index_to_flags(ns, idx: int) -> int:
    """lib/ll_map.c ll_index_to_flags(): -1 for an index the cache does not know."""
    if idx == 0:
        return 0
    dev = ns.by_index.get(idx)
    return dev.get_flags() if dev is not None else -1


def print_name_and_link(o: BrOpts, p: Printer, ns, name: str, iflink: int | None) -> bool:
    """lib/utils.c: print_name_and_link() for a bridge message (IFLA_LINK without netnsid)."""
    mflag = False
    if iflink is not None:
        if iflink:
            dev = ns.by_index.get(iflink)
            link = dev.name if dev is not None else f"if{iflink}"
            if p.json:
                p.jonly("link", link)
                link = None
            mflag = not _ll_index_to_flags(ns, iflink) & IFF_UP
        elif p.json:
            p.jonly("link", None)
            link = None
        else:
            link = "NONE"
        if link:
            name = f"{name}@{link}"
    if p.json:
        p.jonly("ifname", name)
    else:
        p.text(_color(o, "ifname", f"{name}: "))
    return mflag


def print_linkinfo(ctx, o: BrOpts, p: Printer, dev) -> None:
    """link.c: print_linkinfo() over what br_fill_ifinfo() reports for a port."""
    port = port_of(dev)
    p.open_object()
    p.any("ifindex", "%d: ", dev.ifindex)
    iflink = dev.get_iflink()
    mflag = print_name_and_link(o, p, ctx.ns, dev.name,
                                iflink if iflink != dev.ifindex else None)
    print_link_flags(p, dev.get_flags(), mflag)
    p.any("mtu", "mtu %u ", dev.mtu)
    p.any("master", "master %s ", port.br.name)
    print_protinfo(o, p, port)
    if not p.json:
        p.text("\n")
    p.close()


def print_protinfo(o: BrOpts, p: Printer, port) -> None:
    """link.c: print_protinfo() over br_port_fill_attrs()."""
    print_stp_state(p, port.state)
    p.any("priority", "priority %u ", port.priority)
    p.any("cost", "cost %u ", port.path_cost)
    if not o.details:
        return
    if not p.json:
        p.text(o.sl + "    ")
    x = _port_extra(port)

    def on_off(key: str, v) -> None:
        if p.json:
            p.jonly(key, bool(v))
        else:
            p.text(f"{key} {'on' if v else 'off'} ")

    on_off("hairpin", port.hairpin)
    on_off("guard", x["guard"])
    on_off("root_block", x["root_block"])
    on_off("fastleave", x["fastleave"])
    on_off("learning", port.learning)
    on_off("flood", port.flood)
    on_off("mcast_flood", port.mcast_flood)
    on_off("bcast_flood", port.bcast_flood)
    p.any("mcast_router", "mcast_router %u ", x["mcast_router"])
    on_off("mcast_to_unicast", x["mcast_to_unicast"])
    on_off("neigh_suppress", x["neigh_suppress"])
    on_off("vlan_tunnel", x["vlan_tunnel"])
    backup = x["backup_port"]
    if backup is not None and port_of(backup) is not None and port_of(backup).br is port.br:
        p.any("backup_port", "backup_port %s ", backup.name)
    on_off("isolated", port.isolated)
    on_off("locked", x["locked"])


def print_stp_state(p: Printer, state: int) -> None:
    """link.c: print_stp_state()."""
    if state <= 4:
        p.any("state", "state %s ", STP_STATES[state])
    else:
        p.any("state", "state (%d) ", state)


def parse_stp_state(arg: str) -> int:
    """link.c: parse_stp_state()."""
    return STP_STATES.index(arg) if arg in STP_STATES else -1


# the port options the emulated bridge stores without behaviour, kept per port object
_EXTRA_DEFAULTS = {"guard": False, "root_block": False, "fastleave": False,
                   "mcast_to_unicast": False, "neigh_suppress": False, "vlan_tunnel": False,
                   "locked": False, "mcast_router": 1, "learning_sync": False,
                   "backup_port": None}


def _port_extra(port) -> dict:
    """The stored extra options of ``port`` (reset when the device becomes a new port)."""
    store = port.br.__dict__.setdefault("_vnetlab_port_extra", {})
    got = store.get(port.dev)
    if got is None or got[0] is not port:
        got = (port, dict(_EXTRA_DEFAULTS))
        store[port.dev] = got
    return got[1]


def brlink_modify(ctx, o: BrOpts, argv: list[str]) -> int:
    """link.c: brlink_modify(): parse, then RTM_SETLINK (PF_BRIDGE) to the kernel."""
    ns = ctx.ns
    d = None
    req: dict = {}
    backup_port_idx = -1
    cost = 0
    priority = -1
    state = -1
    mode = -1
    flags = 0
    i, n = 0, len(argv)

    def next_arg():
        nonlocal i
        i += 1
        if i >= n:
            incomplete(ctx)
        return argv[i]

    onoff = {"guard", "hairpin", "fastleave", "root_block", "learning", "learning_sync",
             "flood", "mcast_flood", "bcast_flood", "mcast_to_unicast", "neigh_suppress",
             "vlan_tunnel", "isolated", "locked"}
    while i < n:
        a = argv[i]
        if a == "dev":
            d = next_arg()
        elif a in onoff:
            req[a] = parse_on_off(ctx, a, next_arg())
        elif a == "mcast_router":
            req["mcast_router"] = _trunc(_atoi(next_arg()), 8)
        elif a == "cost":
            cost = _atoi(next_arg()) & 0xFFFFFFFF
        elif a == "priority":
            priority = _trunc(_atoi(next_arg()), 16)
        elif a == "state":
            v = next_arg()
            num, end = strtol(v, 10)
            if v and end == len(v):
                state = _trunc(max(min(num, 2**63 - 1), -2**63), 8)
            else:
                state = parse_stp_state(v)
                if state == -1:
                    ctx.eprint("Error: invalid STP port state")
                    return 255
        elif a == "hwmode":
            v = next_arg()
            flags = 0x1                           # BRIDGE_FLAGS_SELF
            if v == "vepa":
                mode = 1
            elif v == "veb":
                mode = 0
            else:
                ctx.eprint('Mode argument must be "vepa" or "veb".')
                return 255
        elif a == "self":
            flags |= 0x1
        elif a == "master":
            flags |= 0x2                          # BRIDGE_FLAGS_MASTER
        elif a == "backup_port":
            v = next_arg()
            backup_port_idx = ll_name_to_index(ns, v)
            if not backup_port_idx:
                ctx.eprint(f"Error: device {v} does not exist")
                return 255
        elif a == "nobackup_port":
            backup_port_idx = 0
        else:
            _link_usage(ctx)
        i += 1
    if d is None:
        ctx.eprint("Device is a required argument.")
        return 255
    ifindex = ll_name_to_index(ns, d)
    if not ifindex:
        ctx.eprint(f'Cannot find bridge device "{d}"')
        return 255
    # the nested IFLA_PROTINFO, as the kernel receives it
    if req.get("mcast_router", -1) < 0:
        req.pop("mcast_router", None)
    if cost > 0:
        req["cost"] = cost
    if priority >= 0:
        req["priority"] = priority & 0xFFFF
    if state >= 0:
        req["state"] = state & 0xFF
    if backup_port_idx != -1:
        req["backup_port"] = backup_port_idx
    try:
        rtnl_bridge_setlink(ns, ifindex, req, flags, mode)
    except KernelError as e:
        rtnl_error(ctx, e, 255)
    return 0


def rtnl_bridge_setlink(ns, ifindex: int, protinfo: dict, flags: int, mode: int) -> None:
    """rtnetlink.c: rtnl_bridge_setlink(): the master's br_setlink() for a port (no flags or
    BRIDGE_FLAGS_MASTER), the device's own ndo_bridge_setlink for ``self`` (none here)."""
    dev = ns.by_index.get(ifindex)
    if dev is None:
        raise KernelError(ENODEV)
    port = port_of(dev)
    err = EOPNOTSUPP
    if not flags or flags & 0x2:
        if port is None:
            raise KernelError(EOPNOTSUPP)
        br_setlink(port, protinfo)
        flags &= ~0x2
        err = 0
    if flags & 0x1:
        raise KernelError(EOPNOTSUPP)            # no emulated device has ndo_bridge_setlink
    if err:
        raise KernelError(err)


def br_setlink(port, tb: dict) -> None:
    """br_netlink.c: br_setlink() -> br_setport(): flags first, then cost, priority, state,
    multicast router, backup port (each may fail after the previous ones were applied)."""
    br = port.br
    x = _port_extra(port)
    for key in ("neigh_suppress", "locked"):
        if tb.get(key):
            raise KernelError(EOPNOTSUPP, f"vnetlab: {key} is not emulated")
    flags = {}
    for key in ("hairpin", "learning", "flood", "mcast_flood", "bcast_flood", "isolated"):
        if key in tb:
            flags[key] = tb[key]
    if flags:
        br.port_set(port.dev, **flags)
    for key in ("guard", "fastleave", "root_block", "mcast_to_unicast", "vlan_tunnel",
                "neigh_suppress", "locked", "learning_sync"):
        if key in tb:
            x[key] = tb[key]
    if "cost" in tb:
        br.port_set(port.dev, cost=tb["cost"])     # br_stp_set_path_cost(): ERANGE
    if "priority" in tb:
        br.port_set(port.dev, priority=tb["priority"])
    if "state" in tb:
        br_set_port_state(port, tb["state"])
    if "mcast_router" in tb:
        if not 0 <= tb["mcast_router"] <= 3:    # br_multicast_set_port_router()
            raise KernelError(EINVAL)
        x["mcast_router"] = tb["mcast_router"]
    if "backup_port" in tb:
        nbp_backup_change(port, tb["backup_port"])


def br_set_port_state(port, state: int) -> None:
    """br_netlink.c: br_set_port_state(): the port's device must be running, and oper-up for
    any state but disabled (the bridge's own state does not matter)."""
    br, dev = port.br, port.dev
    if state > 4:
        raise KernelError(EINVAL)
    if br.stp_enabled:
        from ..stack.errors import EBUSY
        raise KernelError(EBUSY)
    if not dev.running or (not dev.oper_up() and state != BR_STATE_DISABLED):
        raise KernelError(ENETDOWN)
    if br.flags & IFF_UP:
        br.set_port_state(dev, state)
    else:
        # [EMU] Bridge.set_port_state() refuses a down bridge; the kernel does not
        port.state = state
        br._state_selection()


def nbp_backup_change(port, ifindex: int) -> None:
    """br_if.c: nbp_backup_change() (stored; failover to the backup port is not emulated)."""
    x = _port_extra(port)
    if not ifindex:
        x["backup_port"] = None
        return
    dev = port.dev.ns.by_index.get(ifindex)
    if dev is None:
        raise KernelError(ENOENT)
    bp = port_of(dev)
    if bp is None or bp.br is not port.br:
        raise KernelError(EINVAL)
    if bp is port:
        raise KernelError(EINVAL)
    x["backup_port"] = dev


# =============================================================================================
# fdb.c
# =============================================================================================

class FdbMsg:
    """One RTM_NEWNEIGH of family AF_BRIDGE as the kernel fills it."""

    __slots__ = ("mac", "ifindex", "state", "flags", "master", "cache", "vlan", "dst", "port",
                 "vni", "src_vni", "via", "nhid", "link_netnsid")

    def __init__(self, mac: bytes, ifindex: int, state: int, flags: int = 0,
                 master: int | None = None, cache: tuple[int, int] | None = None, **attrs):
        self.mac = mac
        self.ifindex = ifindex
        self.state = state
        self.flags = flags
        self.master = master
        self.cache = cache                 # (ndm_used, ndm_updated) in clock_t (1/100 s)
        for k in ("vlan", "dst", "port", "vni", "src_vni", "via", "nhid", "link_netnsid"):
            setattr(self, k, attrs.get(k))

    def __repr__(self) -> str:
        return f"<FdbMsg {_mac(self.mac)} if{self.ifindex} state={self.state:#x}>"


class FdbFilter:
    """fdb.c's filter_* globals."""

    def __init__(self):
        self.index = 0
        self.dynamic = False
        self.master = 0
        self.state = 0
        self.vlan = 0


def do_fdb(ctx, o: BrOpts, argv: list[str]) -> int:
    """fdb.c: do_fdb()."""
    if argv:
        a, rest = argv[0], argv[1:]
        if matches(a, "add"):
            return fdb_modify(ctx, o, "new", {F_CREATE, F_EXCL}, rest)
        if matches(a, "append"):
            return fdb_modify(ctx, o, "new", {F_CREATE, F_APPEND}, rest)
        if matches(a, "replace"):
            return fdb_modify(ctx, o, "new", {F_CREATE, F_REPLACE}, rest)
        if matches(a, "delete"):
            return fdb_modify(ctx, o, "del", set(), rest)
        if matches(a, "get"):
            return fdb_get(ctx, o, rest)
        if matches(a, "show") or matches(a, "lst") or matches(a, "list"):
            return fdb_show(ctx, o, rest)
        if a == "flush":
            return fdb_flush(ctx, o, rest)
        if matches(a, "help"):
            _fdb_usage(ctx)
    else:
        return fdb_show(ctx, o, [])
    ctx.fail(f'Command "{argv[0]}" is unknown, try "bridge fdb help".', 255)
    return 255


def _fdb_usage(ctx) -> None:
    ctx.eprint(FDB_USAGE, end="")
    raise Exit(255)


def state_n2a(s: int, json: bool) -> str:
    """fdb.c: state_n2a()."""
    if s & NUD_PERMANENT:
        return "permanent"
    if s & NUD_NOARP:
        return "static"
    if s & NUD_STALE:
        return "stale"
    if s & NUD_REACHABLE:
        return ""
    return f"{s:#x}" if json else f"state={s:#x}"


def state_a2n(arg: str) -> int | None:
    """fdb.c: state_a2n()."""
    if matches(arg, "permanent"):
        return NUD_PERMANENT
    if matches(arg, "static") or matches(arg, "temp"):
        return NUD_NOARP
    if matches(arg, "stale"):
        return NUD_STALE
    if matches(arg, "reachable") or matches(arg, "dynamic"):
        return NUD_REACHABLE
    if arg == "all":
        return 0xFFFFFFFF
    return get_u32(arg)


def fdb_print_flags(p: Printer, flags: int) -> None:
    """fdb.c: fdb_print_flags()."""
    p.open_array("flags")
    for bit, name in ((NTF_SELF, "self"), (NTF_ROUTER, "router"),
                      (NTF_EXT_LEARNED, "extern_learn"), (NTF_OFFLOADED, "offload"),
                      (NTF_MASTER, "master"), (NTF_STICKY, "sticky")):
        if flags & bit:
            p.item("%s ", name)
    p.close()


def print_fdb(ctx, o: BrOpts, p: Printer, m: FdbMsg, flt: FdbFilter) -> None:
    """fdb.c: print_fdb()."""
    ns = ctx.ns
    if flt.index and flt.index != m.ifindex:
        return
    if flt.state and not m.state & flt.state:
        return
    vid = m.vlan or 0
    if flt.vlan and flt.vlan != vid:
        return
    if flt.dynamic and m.state & NUD_PERMANENT:
        return
    p.open_object()
    p.any("mac", None, _mac(m.mac))
    p.text(_color(o, "mac", _mac(m.mac) + " "))
    if not flt.index and m.ifindex:
        p.text("dev ")
        name = _ll_index_to_name(ns, m.ifindex)
        p.jonly("ifname", name)
        p.text(_color(o, "ifname", name + " "))
    if m.dst is not None:
        fam, text = m.dst
        p.text("dst ")
        p.jonly("dst", text)
        p.text(_color(o, "inet" if fam == AF_INET else "inet6", text + " "))
    if vid:
        p.any("vlan", "vlan %u ", vid)
    if m.port:
        p.any("port", "port %u ", m.port)
    if m.vni is not None:
        p.any("vni", "vni %u ", m.vni)
    if m.src_vni is not None:
        p.any("src_vni", "src_vni %u ", m.src_vni)
    if m.via is not None:
        if m.link_netnsid is not None:
            p.any("viaIfIndex", "via ifindex %u ", m.via)
        else:
            p.any("viaIf", "via %s ", _ll_index_to_name(ns, m.via))
    if m.nhid is not None:
        p.any("nhid", "nhid %u ", m.nhid)
    if m.link_netnsid is not None:
        p.any("linkNetNsId", "link-netnsid %d ", m.link_netnsid)
    if o.stats and m.cache is not None:
        used, updated = m.cache
        if p.json:
            p.jonly("used", used // USER_HZ)
            p.jonly("updated", updated // USER_HZ)
        else:
            p.text(f"used {used // USER_HZ}/{updated // USER_HZ} ")
    fdb_print_flags(p, m.flags)
    if m.master is not None:
        p.any("master", "master %s ", _ll_index_to_name(ns, m.master))
    p.any("state", "%s\n", state_n2a(m.state, p.json))
    p.close()


def _ll_index_to_name(ns, idx: int) -> str:
    if idx == 0:
        return "*"
    dev = ns.by_index.get(idx)
    return dev.name if dev is not None else f"if{idx}"


def fdb_show(ctx, o: BrOpts, argv: list[str]) -> int:
    """fdb.c: fdb_show() (a strict-checked RTM_GETNEIGH dump, as on kernels since 4.20)."""
    ns = ctx.ns
    flt = FdbFilter()
    filter_dev = br = None
    i, n = 0, len(argv)

    def next_arg():
        nonlocal i
        i += 1
        if i >= n:
            incomplete(ctx)
        return argv[i]

    while i < n:
        a = argv[i]
        if a in ("brport", "dev"):
            filter_dev = next_arg()
        elif a == "br":
            br = next_arg()
        elif a == "vlan":
            v = next_arg()
            if flt.vlan:
                duparg(ctx, "vlan", v)
            flt.vlan = _atoi(v)
        elif a == "state":
            v = next_arg()
            s = state_a2n(v)
            if s is None:
                invarg(ctx, "invalid state", v)
            flt.state |= s
        elif a == "dynamic":
            flt.dynamic = True
        elif matches(a, "help"):
            _fdb_usage(ctx)
        i += 1
    if br is not None:
        idx = ll_name_to_index(ns, br)
        if not idx:
            ctx.eprint(f'Cannot find bridge device "{br}"')
            return 255
        flt.master = idx
    if filter_dev is not None:
        flt.index = ll_name_to_index(ns, filter_dev)
        if not flt.index:
            ctx.eprint(f'Cannot find device "{filter_dev}"')
            raise Return(255)
    try:
        msgs = rtnl_fdb_dump(ns, flt.master, flt.index)
    except KernelError as e:
        ctx.eprint(f"Error: {e.extack}." if e.extack else f"RTNETLINK answers: "
                                                          f"{strerror(e.errno)}")
        ctx.eprint("Dump terminated")
        return 1
    p = Printer(ctx, o)
    for m in msgs:
        print_fdb(ctx, o, p, m, flt)
    p.flush()
    return 0


# -- the kernel side: address lists and the FDB dump ------------------------------------------

def hw_mc_list(dev) -> list[bytes]:
    """The device's multicast address list as the kernel would hold it (see the module
    docstring: [EMU] the protocol joins are synthesized, then ``dev.mc``)."""
    out: list[bytes] = []
    if dev.mtu >= IPV6_MIN_MTU:
        out.append(_V6_ALLNODES)
    up = dev.flags & IFF_UP
    if up and isinstance(dev, Bridge) and dev.mcast_snooping:
        out += [_V4_SNOOPERS, _V6_SNOOPERS]
    if up and dev.ip is not None:
        out.append(_V4_ALLHOSTS)
    for a in dev.mc:
        if a not in out:
            out.append(a)
    return out


def hw_uc_list(dev) -> list[bytes]:
    """dev->uc without the per-reference duplicates."""
    return list(dict.fromkeys(dev.uc))


def ndo_dflt_fdb_dump(dev) -> list[FdbMsg]:
    """rtnetlink.c: ndo_dflt_fdb_dump(): the unicast then multicast list of an Ethernet device
    as ``self permanent`` entries (nothing for other device types)."""
    if dev.type != ARPHRD_ETHER:
        return []
    return [FdbMsg(a, dev.ifindex, NUD_PERMANENT, NTF_SELF)
            for a in hw_uc_list(dev) + hw_mc_list(dev)]


def fdb_fill_info(br: Bridge, e) -> FdbMsg:
    """br_fdb.c: fdb_fill_info() for one entry (a FdbInfo snapshot)."""
    if e.is_local:
        state = NUD_PERMANENT
    elif e.is_static:
        state = NUD_NOARP
    elif e.age_ns >= br.ageing_time_ns:       # has_expired(): not yet collected
        state = NUD_STALE
    else:
        state = NUD_REACHABLE
    flags = NTF_STICKY if e.sticky else 0
    return FdbMsg(e.mac, e.dev.ifindex, state, flags, master=br.ifindex,
                  cache=(e.used_ns // NSEC_PER_CS, e.age_ns // NSEC_PER_CS))


def br_fdb_dump(br: Bridge, filter_dev=None) -> list[FdbMsg]:
    """br_fdb.c: br_fdb_dump(): with ``filter_dev`` (a port) the entries pointing at it; without,
    the bridge's own address lists and the entries pointing at the bridge itself."""
    out = [] if filter_dev is not None else ndo_dflt_fdb_dump(br)
    for e in br.fdb_entries():
        if filter_dev is not None:
            if e.dev is not filter_dev:
                continue
        elif e.dev is not br:
            continue
        out.append(fdb_fill_info(br, e))
    return out


def dev_fdb_dump(dev) -> list[FdbMsg]:
    """dev->netdev_ops->ndo_fdb_dump, else ndo_dflt_fdb_dump()."""
    if isinstance(dev, Bridge):
        return br_fdb_dump(dev)
    fn = getattr(dev, "ndo_fdb_dump", None)
    if fn is not None:
        return [m if isinstance(m, FdbMsg) else _fdb_msg_of(m) for m in fn()]
    return ndo_dflt_fdb_dump(dev)


def _fdb_msg_of(d: dict) -> FdbMsg:
    """A device's FDB entry given as a dict (devices/ knows no text): ``dst`` an IPv4 int."""
    attrs = {k: v for k, v in d.items() if k not in ("mac", "ifindex", "state", "flags",
                                                     "master", "cache")}
    if attrs.get("dst") is not None:
        attrs["dst"] = (AF_INET, ipv4_ntoa(attrs["dst"]))
    return FdbMsg(d["mac"], d["ifindex"], d["state"], d.get("flags", 0), d.get("master"),
                  d.get("cache"), **attrs)


def rtnl_fdb_dump(ns, br_idx: int = 0, brport_idx: int = 0) -> list[FdbMsg]:
    """rtnetlink.c: rtnl_fdb_dump() (strict request: ndm_ifindex = brport, NDA_MASTER = br)."""
    br_dev = None
    if br_idx:
        br_dev = ns.by_index.get(br_idx)
        if br_dev is None:
            raise KernelError(ENODEV)
    out: list[FdbMsg] = []
    for dev in sorted(ns.devices, key=lambda d: d.ifindex):
        if brport_idx and dev.ifindex != brport_idx:
            continue
        port = port_of(dev)
        master = port.br if port is not None else None
        if br_idx:
            if dev is not br_dev and port is None:
                continue
            if br_dev is not master and not isinstance(dev, Bridge):
                continue
            if port is not None and isinstance(br_dev, Bridge):
                out += br_fdb_dump(br_dev, dev)
        elif port is not None:
            out += br_fdb_dump(master, dev)
        out += dev_fdb_dump(dev)
    return out


# -- add / append / replace / del -------------------------------------------------------------

def fdb_modify(ctx, o: BrOpts, cmd: str, nlflags: set, argv: list[str]) -> int:
    """fdb.c: fdb_modify()."""
    ns = ctx.ns
    ndm_state = NUD_NOARP
    ndm_flags = 0
    addr = d = None
    dst = None
    port = 0
    vni = src_vni = None
    via = 0
    vid = -1
    nhid = 0
    i, n = 0, len(argv)

    def next_arg():
        nonlocal i
        i += 1
        if i >= n:
            incomplete(ctx)
        return argv[i]

    while i < n:
        a = argv[i]
        if a == "dev":
            d = next_arg()
        elif a == "dst":
            v = next_arg()
            if dst is not None:
                duparg2(ctx, "dst", v)
            fam = {4: AF_INET, 6: AF_INET6}.get(o.family, AF_UNSPEC)
            pfx = get_addr(ctx, v, fam)
            dst = (pfx.family, ipv4_ntoa(pfx.data) if pfx.family == AF_INET else
                   _ipv6_ntoa(pfx.data))
        elif a == "nhid":
            v = next_arg()
            val = get_u32(v)
            if val is None:
                invarg(ctx, '"id" value is invalid\n', v)
            nhid = val
        elif a == "port":
            v = next_arg()
            val, whole = _strtoul(v)
            if not whole:
                svc = _getservbyname(v, "udp")
                if svc is None:
                    invarg(ctx, "invalid port\n", v)
                val = svc
            elif val > 0xFFFF:
                invarg(ctx, "invalid port\n", v)
            port = val
        elif a == "vni":
            v = next_arg()
            val, whole = _strtoul(v)
            if not whole or val >> 24:
                invarg(ctx, "invalid VNI\n", v)
            vni = val
        elif a == "src_vni":
            v = next_arg()
            val, whole = _strtoul(v)
            if not whole or val >> 24:
                invarg(ctx, "invalid src VNI\n", v)
            src_vni = val
        elif a == "via":
            v = next_arg()
            via = ll_name_to_index(ns, v)
            if not via:
                ctx.fail(f'Cannot find device "{v}"', 255)
        elif a == "self":
            ndm_flags |= NTF_SELF
        elif matches(a, "master"):
            ndm_flags |= NTF_MASTER
        elif matches(a, "router"):
            ndm_flags |= NTF_ROUTER
        elif matches(a, "local") or matches(a, "permanent"):
            ndm_state |= NUD_PERMANENT
        elif matches(a, "temp") or matches(a, "static"):
            ndm_state |= NUD_REACHABLE
        elif matches(a, "dynamic"):
            ndm_state |= NUD_REACHABLE
            ndm_state &= ~NUD_NOARP
        elif matches(a, "vlan"):
            if vid >= 0:
                duparg2(ctx, "vlan", a)
            vid = _trunc(_atoi(next_arg()), 16)
        elif matches(a, "use"):
            ndm_flags |= NTF_USE
        elif matches(a, "extern_learn"):
            ndm_flags |= NTF_EXT_LEARNED
        elif matches(a, "sticky"):
            ndm_flags |= NTF_STICKY
        else:
            if a == "to":
                a = next_arg()
            if matches(a, "help"):
                _fdb_usage(ctx)
            if addr is not None:
                duparg2(ctx, "to", a)
            addr = a
        i += 1
    if d is None or addr is None:
        ctx.eprint("Device and address are required arguments.")
        return 255
    if nhid and (dst is not None or port or vni is not None):
        ctx.eprint("dst, port, vni are mutually exclusive with nhid")
        return 255
    if not ndm_flags & (NTF_SELF | NTF_MASTER):
        ndm_flags |= NTF_SELF
    if not ndm_state & (NUD_PERMANENT | NUD_REACHABLE):
        ndm_state |= NUD_PERMANENT
    mac = sscanf_mac(addr)
    if mac is None:
        ctx.eprint(f"Invalid mac address {addr}")
        return 255
    attrs = {"dst": dst, "port": port or None, "vni": vni, "src_vni": src_vni,
             "via": via or None, "nhid": nhid or None}
    ifindex = ll_name_to_index(ns, d)
    if not ifindex:
        ctx.eprint(f'Cannot find device "{d}"')
        raise Return(255)
    try:
        if cmd == "new":
            rtnl_fdb_add(ns, ifindex, mac, ndm_state, ndm_flags, nlflags,
                         vid if vid >= 0 else None, attrs)
        else:
            rtnl_fdb_del(ns, ifindex, mac, ndm_state, ndm_flags,
                         vid if vid >= 0 else None, attrs)
    except KernelError as e:
        rtnl_error(ctx, e, 255)
    return 0


def _ipv6_ntoa(v: int) -> str:
    import ipaddress
    return str(ipaddress.IPv6Address(v))


def _getservbyname(name: str, proto: str) -> int | None:
    """getservbyname() over /etc/services."""
    try:
        with open("/etc/services") as f:    # the command layer may read files
            for line in f:
                fields = line.split("#", 1)[0].split()
                if len(fields) < 2 or "/" not in fields[1]:
                    continue
                num, _, pr = fields[1].partition("/")
                if pr == proto and (fields[0] == name or name in fields[2:]):
                    return int(num)
    except (OSError, ValueError):
        return None
    return None


def _fdb_dev(ns, ifindex: int, what: str):
    """The start of rtnl_fdb_add() / rtnl_fdb_del(): the device, which must be Ethernet."""
    dev = ns.by_index.get(ifindex)
    if dev is None:
        raise KernelError(ENODEV, "unknown ifindex")
    if dev.type != ARPHRD_ETHER:
        raise KernelError(EINVAL, f"FDB {what} only supported for Ethernet devices")
    return dev


def fdb_vid_parse(vid: int | None) -> int:
    """rtnetlink.c: fdb_vid_parse()."""
    if vid is None:
        return 0
    if not 0 < vid < VLAN_VID_MASK:
        raise KernelError(EINVAL, "invalid vlan id")
    return vid


def rtnl_fdb_add(ns, ifindex: int, mac: bytes, state: int, flags: int, nlflags: set,
                 vid: int | None, attrs: dict) -> None:
    """rtnetlink.c: rtnl_fdb_add(): the master bridge for a port (no flags or NTF_MASTER),
    then the device itself for NTF_SELF."""
    dev = _fdb_dev(ns, ifindex, "add")
    vid = fdb_vid_parse(vid)
    err = EOPNOTSUPP
    port = port_of(dev)
    if (not flags or flags & NTF_MASTER) and port is not None:
        br_fdb_add(port.br, dev, mac, state, flags, nlflags, vid)
        flags &= ~NTF_MASTER
        err = 0
    if flags & NTF_SELF:
        if isinstance(dev, Bridge):
            br_fdb_add(dev, dev, mac, state, flags, nlflags, vid)
        elif getattr(dev, "ndo_fdb_add", None) is not None:
            dev.ndo_fdb_add(mac, state, flags, nlflags, vid, attrs)
        else:
            ndo_dflt_fdb_add(dev, mac, state, nlflags, vid)
        err = 0
    if err:
        raise KernelError(err)


def br_fdb_add(br: Bridge, dev, mac: bytes, state: int, flags: int, nlflags: set,
               vid: int) -> None:
    """br_fdb.c: br_fdb_add() -> __br_fdb_add() -> fdb_add_entry()."""
    if not state & (NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE):
        raise KernelError(EINVAL)
    if mac == b"\x00" * 6:
        raise KernelError(EINVAL)
    p = None if dev is br else port_of(dev)
    if dev is not br and p is None:
        raise KernelError(EINVAL)
    if vid:
        raise KernelError(EINVAL)                 # no VLAN is configured (not emulated)
    if flags & NTF_USE:
        if p is None:
            raise KernelError(EINVAL)
        if p.state not in (BR_STATE_LEARNING, BR_STATE_FORWARDING):
            return
        # br_fdb_update(..., BR_FDB_ADDED_BY_USER)
        br._fdb_update(p, mac, br.fdb.get(mac))
        return
    if flags & NTF_EXT_LEARNED:
        raise KernelError(EOPNOTSUPP, "vnetlab: extern_learn FDB entries are not emulated")
    # fdb_add_entry()
    sticky = bool(flags & NTF_STICKY)
    if (p is not None and not state & (NUD_PERMANENT | NUD_NOARP)
            and p.state not in (BR_STATE_LEARNING, BR_STATE_FORWARDING)):
        raise KernelError(EPERM)
    if p is None and not state & NUD_PERMANENT:
        raise KernelError(EINVAL)
    if sticky and state & NUD_PERMANENT:
        raise KernelError(EINVAL)
    if br.fdb.get(mac) is not None and F_EXCL in nlflags:
        raise KernelError(EEXIST)
    kind = ("permanent" if state & NUD_PERMANENT else "static" if state & NUD_NOARP
            else "dynamic")
    br.fdb_add(mac, p.dev if p is not None else None, kind, sticky=sticky,
               replace=F_EXCL not in nlflags)


def ndo_dflt_fdb_add(dev, mac: bytes, state: int, nlflags: set, vid: int) -> None:
    """rtnetlink.c: ndo_dflt_fdb_add(): local (permanent) addresses only, into the device's
    unicast or multicast list; a duplicate is an error only with NLM_F_EXCL."""
    if state and not state & NUD_PERMANENT:
        raise KernelError(EINVAL)
    if vid:
        raise KernelError(EINVAL)
    if not mac[0] & 1 or mac[:5] == b"\x01\x80\xc2\x00\x00" and mac[5] < 16:
        exists = mac in dev.uc
        if not exists:
            dev_uc_add(dev, mac)
    else:
        exists = mac in hw_mc_list(dev)
        if not exists:
            dev_mc_add(dev, mac)
    if exists and F_EXCL in nlflags:
        raise KernelError(EEXIST)


def rtnl_fdb_del(ns, ifindex: int, mac: bytes, state: int, flags: int, vid: int | None,
                 attrs: dict) -> None:
    """rtnetlink.c: rtnl_fdb_del() (one address)."""
    dev = _fdb_dev(ns, ifindex, "delete")
    vid = fdb_vid_parse(vid)
    err = EOPNOTSUPP
    port = port_of(dev)
    if (not flags or flags & NTF_MASTER) and port is not None:
        br_fdb_delete(port.br, dev, mac, vid)
        flags &= ~NTF_MASTER
        err = 0
    if flags & NTF_SELF:
        if isinstance(dev, Bridge):
            br_fdb_delete(dev, dev, mac, vid)
        elif getattr(dev, "ndo_fdb_del", None) is not None:
            dev.ndo_fdb_del(mac, state, vid, attrs)
        else:
            ndo_dflt_fdb_del(dev, mac, state, vid)
        err = 0
    if err:
        raise KernelError(err)


def br_fdb_delete(br: Bridge, dev, mac: bytes, vid: int) -> None:
    """br_fdb.c: br_fdb_delete() -> fdb_delete_by_addr_and_port()."""
    p = None if dev is br else port_of(dev)
    if dev is not br and p is None:
        raise KernelError(EINVAL)
    if vid:
        raise KernelError(ENOENT)
    br.fdb_del(mac, p.dev if p is not None else None)


def ndo_dflt_fdb_del(dev, mac: bytes, state: int, vid: int) -> None:
    """rtnetlink.c: ndo_dflt_fdb_del()."""
    if not state & NUD_PERMANENT:
        raise KernelError(EINVAL)
    if not mac[0] & 1 or mac[:5] == b"\x01\x80\xc2\x00\x00" and mac[5] < 16:
        if mac not in dev.uc:
            raise KernelError(ENOENT)
        dev_uc_del(dev, mac)
    elif mac in dev.mc:
        dev_mc_del(dev, mac)
    elif mac not in hw_mc_list(dev):
        raise KernelError(ENOENT)


# -- get ----------------------------------------------------------------------------------------

def fdb_get(ctx, o: BrOpts, argv: list[str]) -> int:
    """fdb.c: fdb_get()."""
    ns = ctx.ns
    flt = FdbFilter()
    d = br = addr = None
    flags = 0
    vlan = -1
    vni = None
    i, n = 0, len(argv)

    def next_arg():
        nonlocal i
        i += 1
        if i >= n:
            incomplete(ctx)
        return argv[i]

    while i < n:
        a = argv[i]
        if a in ("brport", "dev"):
            d = next_arg()
        elif a == "br":
            br = next_arg()
        elif a == "vni":
            v = next_arg()
            val, whole = _strtoul(v)
            if not whole or val >> 24:
                invarg(ctx, "invalid VNI\n", v)
            vni = val               # NDA_VNI: only a VXLAN device's ndo_fdb_get reads it
        elif a == "self":
            flags |= NTF_SELF
        elif matches(a, "master"):
            flags |= NTF_MASTER
        elif matches(a, "vlan"):
            if vlan >= 0:
                duparg2(ctx, "vlan", a)
            vlan = _trunc(_atoi(next_arg()), 16)
        elif matches(a, "dynamic"):
            flt.dynamic = True
        else:
            if a == "to":
                a = next_arg()
            if matches(a, "help"):
                _fdb_usage(ctx)
            if addr is not None:
                duparg2(ctx, "to", a)
            addr = a
        i += 1
    if (d is None and br is None) or addr is None:
        ctx.eprint("Device or master and address are required arguments.")
        return 255
    mac = sscanf_mac(addr)
    if mac is None:
        ctx.eprint(f"Invalid mac address {addr}")
        return 255
    brport_idx = br_idx = 0
    if d is not None:
        brport_idx = ll_name_to_index(ns, d)
        if not brport_idx:
            ctx.eprint(f'Cannot find device "{d}"')
            return 255
    if br is not None:
        br_idx = ll_name_to_index(ns, br)
        if not br_idx:
            ctx.eprint(f'Cannot find bridge device "{br}"')
            return 255
    try:
        m = rtnl_fdb_get(ns, mac, flags, brport_idx, br_idx, vlan if vlan >= 0 else None, vni)
    except KernelError as e:
        rtnl_error(ctx, e, 254)
    p = Printer(ctx, o)
    print_fdb(ctx, o, p, m, flt)
    p.flush()
    return 0


def rtnl_fdb_get(ns, mac: bytes, flags: int, brport_idx: int, br_idx: int,
                 vid: int | None, vni: int | None = None) -> FdbMsg:
    """rtnetlink.c: rtnl_fdb_get() + br_fdb_get()."""
    dev = br_dev = None
    vid = fdb_vid_parse(vid)
    if brport_idx:
        dev = ns.by_index.get(brport_idx)
        if dev is None:
            raise KernelError(ENODEV, "Unknown device ifindex")
    if br_idx:
        if dev is not None:
            raise KernelError(EINVAL, "Master and device are mutually exclusive")
        br_dev = ns.by_index.get(br_idx)
        if br_dev is None:
            raise KernelError(EINVAL, "Invalid master ifindex")
    if dev is not None:
        if not flags or flags & NTF_MASTER:
            port = port_of(dev)
            if port is None:
                raise KernelError(EINVAL, "Device is not a bridge port")
            br_dev = port.br
        else:
            if not flags & NTF_SELF:
                raise KernelError(EINVAL, "Missing NTF_SELF")
            br_dev = dev
    if br_dev is None:
        raise KernelError(ENODEV, "No device specified")
    if not isinstance(br_dev, Bridge):
        raise KernelError(EOPNOTSUPP, "Fdb get operation not supported by device")
    e = br_dev.fdb_lookup(mac) if not vid else None
    if e is None:
        raise KernelError(ENOENT, "Fdb entry not found")
    return fdb_fill_info(br_dev, e)


# -- flush ----------------------------------------------------------------------------------------

def fdb_flush(ctx, o: BrOpts, argv: list[str]) -> int:
    """fdb.c: fdb_flush()."""
    ns = ctx.ns
    state = state_mask = 0
    flags = flags_mask = 0
    vid = port_ifidx = -1
    d = port = None
    i, n = 0, len(argv)

    def next_arg():
        nonlocal i
        i += 1
        if i >= n:
            incomplete(ctx)
        return argv[i]

    simple = {
        "permanent": (NUD_PERMANENT, 0, NUD_PERMANENT, 0),
        "static": (NUD_NOARP, 0, NUD_NOARP | NUD_PERMANENT, 0),
        "added_by_user": (0, NTF_USE, 0, NTF_USE),
        "extern_learn": (0, NTF_EXT_LEARNED, 0, NTF_EXT_LEARNED),
        "sticky": (0, NTF_STICKY, 0, NTF_STICKY),
        "offloaded": (0, NTF_OFFLOADED, 0, NTF_OFFLOADED),
    }
    while i < n:
        a = argv[i]
        if a == "dev":
            d = next_arg()
        elif a == "master":
            flags |= NTF_MASTER
        elif a == "self":
            flags |= NTF_SELF
        elif a in simple:
            s, f, sm, fm = simple[a]
            state |= s
            flags |= f
            state_mask |= sm
            flags_mask |= fm
        elif a == "nopermanent":
            state &= ~NUD_PERMANENT
            state_mask |= NUD_PERMANENT
        elif a == "nostatic":
            state &= ~NUD_NOARP
            state_mask |= NUD_NOARP
        elif a == "dynamic":
            state &= ~NUD_NOARP | NUD_PERMANENT
            state_mask |= NUD_NOARP | NUD_PERMANENT
        elif a == "nodynamic":
            state |= NUD_NOARP
            state_mask |= NUD_NOARP
        elif a in ("noadded_by_user", "noextern_learn", "nosticky", "nooffloaded"):
            bit = {"noadded_by_user": NTF_USE, "noextern_learn": NTF_EXT_LEARNED,
                   "nosticky": NTF_STICKY, "nooffloaded": NTF_OFFLOADED}[a]
            flags &= ~bit
            flags_mask |= bit
        elif a == "brport":
            if port is not None:
                duparg2(ctx, "brport", a)
            port = next_arg()
        elif a == "vlan":
            if vid >= 0:
                duparg2(ctx, "vlan", a)
            vid = _trunc(_atoi(next_arg()), 16)
        elif a == "help":
            next_arg()
        i += 1
    if d is None:
        ctx.eprint("Device is a required argument.")
        return 255
    ifindex = ll_name_to_index(ns, d)
    if not ifindex:
        ctx.eprint(f'Cannot find bridge device "{d}"')
        return 255
    if port is not None:
        port_ifidx = _trunc(ll_name_to_index(ns, port), 16)
        if port_ifidx == 0:
            ctx.eprint(f'Cannot find bridge port device "{port}"')
            return 255
    if vid >= 4096:
        ctx.eprint(f'Invalid VLAN ID "{vid & 0xFFFF}"')
        return 255
    if not flags & (NTF_SELF | NTF_MASTER):
        flags |= NTF_SELF
    try:
        rtnl_fdb_flush(ns, ifindex, flags, state, state_mask, flags_mask,
                       port_ifidx if port_ifidx > -1 else None, vid if vid > -1 else None)
    except KernelError as e:
        rtnl_error(ctx, e, 255)
    return 0


def rtnl_fdb_flush(ns, ifindex: int, flags: int, state: int, state_mask: int,
                   flags_mask: int, port_ifidx: int | None, vid: int | None) -> None:
    """rtnetlink.c: rtnl_fdb_del() with NLM_F_BULK: ndo_fdb_del_bulk of the master (port,
    no flags or NTF_MASTER), then of the device itself (NTF_SELF)."""
    dev = ns.by_index.get(ifindex)
    if dev is None:
        raise KernelError(ENODEV, "unknown ifindex")
    if dev.type != ARPHRD_ETHER:
        raise KernelError(EINVAL, "FDB delete only supported for Ethernet devices")
    if vid is not None and not 1 <= vid <= 4094:
        raise KernelError(ERANGE, "integer out of range")   # fdb_del_bulk_policy
    err = EOPNOTSUPP
    port = port_of(dev)
    if (not flags or flags & NTF_MASTER) and port is not None:
        br_fdb_delete_bulk(port.br, dev, flags, state, state_mask, flags_mask, port_ifidx, vid)
        flags &= ~NTF_MASTER
        err = 0
    if flags & NTF_SELF:
        if not isinstance(dev, Bridge):
            raise KernelError(EOPNOTSUPP)
        br_fdb_delete_bulk(dev, dev, flags, state, state_mask, flags_mask, port_ifidx, vid)
        err = 0
    if err:
        raise KernelError(err)


def br_fdb_delete_bulk(br: Bridge, dev, flags: int, state: int, state_mask: int,
                       flags_mask: int, port_ifidx: int | None, vid: int | None) -> None:
    """br_fdb.c: br_fdb_delete_bulk() -> br_fdb_flush()."""
    p = None if dev is br else port_of(dev)

    def to_fdb(st: int, fl: int) -> set:
        out = set()
        if st & NUD_PERMANENT:
            out.add("local")
        if st & NUD_NOARP:
            out.add("static")
        if fl & NTF_USE:
            out.add("user")
        if fl & NTF_EXT_LEARNED:
            out.add("ext")
        if fl & NTF_OFFLOADED:
            out.add("offloaded")
        if fl & NTF_STICKY:
            out.add("sticky")
        return out

    want = to_fdb(state, flags & ~(NTF_MASTER | NTF_SELF))
    mask = to_fdb(state_mask, flags_mask)
    target = 0
    if port_ifidx is not None:
        tdev = br.ns.by_index.get(port_ifidx)
        if tdev is None:
            raise KernelError(ENODEV, "bridge: Unknown flush device ifindex")
        tport = port_of(tdev)
        if not isinstance(tdev, Bridge) and tport is None:
            raise KernelError(EINVAL, "bridge: Flush device is not a bridge or bridge port")
        if isinstance(tdev, Bridge) and tdev is not br:
            raise KernelError(EINVAL,
                              "bridge: Flush bridge device does not match target bridge device")
        if tport is not None and tport.br is not br:
            raise KernelError(EINVAL, "bridge: Port belongs to a different bridge device")
        target = port_ifidx
    elif p is not None:
        target = dev.ifindex
    if vid:
        return                                      # no VLAN entries exist
    for e in br.fdb_entries():
        if target and e.dev.ifindex != target:
            continue
        have = set()
        if e.is_local:
            have.add("local")
        if e.is_static:
            have.add("static")
        if e.added_by_user:
            have.add("user")
        if e.sticky:
            have.add("sticky")
        if mask and (have & mask) != want:
            continue
        br.fdb_del(e.mac, None if e.dev is br else e.dev)


__all__ = ["main", "rtnl_fdb_dump", "rtnl_bridge_getlink", "hw_mc_list", "FdbMsg",
           "sscanf_mac"]
