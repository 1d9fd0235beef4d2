"""``ip neigh`` as iproute2 6.1 has it (ip/ipneigh.c): show / flush with their filter,
add / del / change / replace, get; text and ``-j``.

The kernel side (neigh_add / neigh_delete and the proxy table) is in ``vnetlab.api``; the ARP
table itself is ``ns.ipv4.arp`` (vnetlab.stack.neigh). Entries are listed in the table's own
order; the kernel lists them in hash-bucket order, which no emulator can reproduce.
"""

from __future__ import annotations

from ... import api
from ...stack.errors import KernelError
from ...stack.neigh import (NTF_PROXY, NTF_ROUTER, NUD_DELAY, NUD_FAILED, NUD_INCOMPLETE,
                            NUD_NOARP, NUD_NONE, NUD_PERMANENT, NUD_PROBE, NUD_REACHABLE,
                            NUD_STALE, NUD_VALID)
from .. import Exit
from .common import (AF_INET, AF_INET6, AF_UNSPEC, InetPrefix, Printer, duparg, duparg2,
                     get_addr, get_prefix, get_unsigned, incomplete, invarg, ipv4_ntoa,
                     ll_addr_a2n, ll_addr_n2a, ll_name_to_index, matches, nodev, opt_family,
                     rtnl_error)
from .route import inet_addr_match, rtnl_rtprot_a2n, rtnl_rtprot_n2a

USAGE = """\
Usage: ip neigh { add | del | change | replace }
                { ADDR [ lladdr LLADDR ] [ nud STATE ] proxy ADDR }
                [ dev DEV ] [ router ] [ use ] [ managed ] [ extern_learn ]
                [ protocol PROTO ]

	ip neigh { show | flush } [ proxy ] [ to PREFIX ] [ dev DEV ] [ nud STATE ]
				  [ vrf NAME ] [ nomaster ]
	ip neigh get { ADDR | proxy ADDR } dev DEV

STATE := { delay | failed | incomplete | noarp | none |
           permanent | probe | reachable | stale }
"""

NTF_USE = 0x01
NTF_OFFLOADED = 0x20
NTF_EXT_LEARNED = 0x10
NTF_EXT_MANAGED = 0x01
MAX_ROUNDS = 10
USER_HZ = 100
SEC = 1_000_000_000

_STATE_NAMES = ((NUD_INCOMPLETE, "INCOMPLETE"), (NUD_REACHABLE, "REACHABLE"),
                (NUD_STALE, "STALE"), (NUD_DELAY, "DELAY"), (NUD_PROBE, "PROBE"),
                (NUD_FAILED, "FAILED"), (NUD_NOARP, "NOARP"), (NUD_PERMANENT, "PERMANENT"))


def usage(ctx) -> None:
    ctx.eprint(USAGE, end="")
    raise Exit(255)


def nud_state_a2n(arg: str) -> int | None:
    """ipneigh.c: nud_state_a2n()."""
    if matches(arg, "permanent"):
        return NUD_PERMANENT
    if matches(arg, "reachable"):
        return NUD_REACHABLE
    named = {"noarp": NUD_NOARP, "none": NUD_NONE, "stale": NUD_STALE,
             "incomplete": NUD_INCOMPLETE, "delay": NUD_DELAY, "probe": NUD_PROBE}
    if arg in named:
        return named[arg]
    if matches(arg, "failed"):
        return NUD_FAILED
    state = get_unsigned(arg)
    if state is None or state >= 0x100 or state & (state - 1):
        return None
    return state


class _Argv:
    def __init__(self, ctx, argv):
        self.ctx, self.argv, self.i = ctx, argv, 0

    def more(self):
        return self.i < len(self.argv)

    @property
    def cur(self):
        return self.argv[self.i]

    def next(self):
        self.i += 1
        if self.i >= len(self.argv):
            incomplete(self.ctx)
        return self.argv[self.i]

    def step(self):
        self.i += 1


# =============================================================================================
# add / change / replace / delete (ipneigh_modify)
# =============================================================================================

def ipneigh_modify(ctx, opts, delete: bool, nlflags: int, argv: list[str]) -> int:
    """ipneigh.c: ipneigh_modify() -> RTM_NEWNEIGH / RTM_DELNEIGH."""
    family = opt_family(opts)
    state = NUD_PERMANENT
    ndm_flags = 0
    protocol = 0
    dev = None
    dst = None
    dev_ok = lladdr_ok = False
    lla = None
    a = _Argv(ctx, argv)
    while a.more():
        arg = a.cur
        if matches(arg, "lladdr"):
            a.next()
            if lladdr_ok:
                duparg(ctx, "lladdr", a.cur)
            lla, lladdr_ok = a.cur, True
        elif arg == "nud":
            s = nud_state_a2n(a.next())
            if s is None:
                invarg(ctx, "nud state is bad", a.cur)
            state = s
        elif matches(arg, "proxy"):
            a.next()
            if matches(a.cur, "help"):
                usage(ctx)
            if dst is not None:
                duparg(ctx, "address", a.cur)
            dst = get_addr(ctx, a.cur, family)
            dev_ok = True
            ndm_flags |= NTF_PROXY
        elif arg == "router":
            ndm_flags |= NTF_ROUTER
        elif arg == "use":
            ndm_flags |= NTF_USE
        elif arg == "managed":
            state = NUD_NONE
        elif matches(arg, "extern_learn"):
            ndm_flags |= NTF_EXT_LEARNED
        elif arg == "dev":
            dev = a.next()
            dev_ok = True
        elif matches(arg, "protocol"):
            p = rtnl_rtprot_a2n(a.next())
            if p is None:
                invarg(ctx, '"protocol" value is invalid\n', a.cur)
            protocol = p
        else:
            if arg == "to":
                arg = a.next()
            if matches(arg, "help"):
                arg = a.next()
            if dst is not None:
                duparg2(ctx, "to", arg)
            dst = get_addr(ctx, arg, family)
        a.step()
    if not dev_ok or dst is None or dst.family == AF_UNSPEC:
        ctx.fail("Device and destination are required arguments.", 255)
    if dst.family == AF_INET6 and getattr(ctx.ns, "ipv6", None) is None:
        ctx.fail("vnetlab: IPv6 neighbours are not provided by the emulator yet", 2)
    lladdr = None
    if lla is not None and lla != "null":
        lladdr = ll_addr_a2n(ctx, lla, 20)
        if lladdr is None:
            return 1
    d = None
    if dev is not None:
        idx = ll_name_to_index(ctx.ns, dev)
        if not idx:
            return nodev(ctx, dev)
        d = ctx.ns.by_index.get(idx)
        if d is None:
            ctx.fail("RTNETLINK answers: No such device", 2)
    try:
        if dst.family == AF_INET6:
            key = dst.data.to_bytes(16, "big")
            if delete:
                neigh6_delete(ctx.ns, key, d)
            else:
                neigh6_add(ctx.ns, key, d, lladdr, state, ndm_flags, nlflags, protocol)
        elif delete:
            api.neigh_delete(ctx.ns, dst.data, d, bool(ndm_flags & NTF_PROXY))
        else:
            api.neigh_add(ctx.ns, dst.data, d, lladdr, state, ndm_flags, nlflags, protocol)
    except KernelError as e:
        rtnl_error(ctx, e, 2)
    return 0


def neigh6_add(ns, dst: bytes, dev, lladdr, state: int, ndm_flags: int, nlflags: int,
               protocol: int) -> None:
    """RTM_NEWNEIGH on nd_tbl (neigh_add() + __neigh_update() with NEIGH_UPDATE_F_ADMIN)."""
    from ...stack.errors import EEXIST, EINVAL, ENOENT
    from ...stack.neigh import NEIGH_UPDATE_F_ADMIN, NEIGH_UPDATE_F_OVERRIDE, NTF_ROUTER
    if dev is None:
        raise KernelError(EINVAL, "Device not specified")
    if lladdr is not None and len(lladdr) < dev.addr_len:
        raise KernelError(EINVAL, "Invalid link address")
    tbl = ns.ipv6.nd
    n = tbl.lookup(dst, dev)
    flags = NEIGH_UPDATE_F_ADMIN | NEIGH_UPDATE_F_OVERRIDE
    if n is None:
        if not nlflags & api.NLM_F_CREATE:
            raise KernelError(ENOENT)
        n = tbl.create(dst, dev)
    else:
        if nlflags & api.NLM_F_EXCL:
            raise KernelError(EEXIST)
        if not nlflags & api.NLM_F_REPLACE:
            flags &= ~NEIGH_UPDATE_F_OVERRIDE
    if protocol:
        n.protocol = protocol
    if state & NUD_VALID and lladdr is None and dev.addr_len and not n.state & NUD_VALID:
        raise KernelError(EINVAL, "No link layer address given")
    tbl.update(n, lladdr, state, flags)
    if ndm_flags & NTF_ROUTER:
        n.flags |= NTF_ROUTER


def neigh6_delete(ns, dst: bytes, dev) -> None:
    from ...stack.errors import EINVAL, ENOENT
    from ...stack.neigh import NEIGH_UPDATE_F_ADMIN, NEIGH_UPDATE_F_OVERRIDE, NUD_FAILED
    if dev is None:
        raise KernelError(EINVAL)
    tbl = ns.ipv6.nd
    n = tbl.lookup(dst, dev)
    if n is None:
        raise KernelError(ENOENT)
    tbl.update(n, None, NUD_FAILED, NEIGH_UPDATE_F_OVERRIDE | NEIGH_UPDATE_F_ADMIN)
    tbl.remove(n)


def _dst_text(dst) -> str:
    if isinstance(dst, bytes):
        from ...wire.ipv6 import ntoa
        return ntoa(dst)
    return ipv4_ntoa(dst)


# =============================================================================================
# show / flush (do_show_or_flush, print_neigh)
# =============================================================================================

class NeighMsg:
    """One RTM_NEWNEIGH as neigh_fill_info() / pneigh_fill_info() would send it."""

    __slots__ = ("dst", "dev", "state", "flags", "lladdr", "protocol", "probes", "cacheinfo",
                 "entry")

    def __init__(self, dst, dev, state, flags, lladdr=None, protocol=0, probes=None,
                 cacheinfo=None, entry=None):
        self.dst, self.dev, self.state, self.flags = dst, dev, state, flags
        self.lladdr, self.protocol, self.probes = lladdr, protocol, probes
        self.cacheinfo, self.entry = cacheinfo, entry


def neigh_fill_info(n, now: int) -> NeighMsg:
    """neigh_fill_info(): the link-layer address only while the entry is NUD_VALID."""
    ci = ((now - n.used) * USER_HZ // SEC, (now - n.confirmed) * USER_HZ // SEC,
          (now - n.updated) * USER_HZ // SEC, 0)
    return NeighMsg(n.key, n.dev, n.state, n.flags,
                    n.ha if n.state & NUD_VALID else None, n.protocol, n.probes, ci, n)


class Filter:
    def __init__(self):
        self.family = AF_UNSPEC
        self.index = 0
        self.state = ~0
        self.unused_only = False
        self.pfx = InetPrefix()
        self.master = 0
        self.protocol = 0
        self.ndm_flags = 0
        self.flush = False


def _dump(ctx, f: Filter) -> list[NeighMsg]:
    """RTM_GETNEIGH dump: neigh_dump_table() (or pneigh_dump_table() with NTF_PROXY)."""
    ns = ctx.ns
    if f.family == AF_INET6 or (f.family == AF_UNSPEC and getattr(ns, "ipv6", None) is not None):
        v6 = _dump6(ctx, f)
        if f.family == AF_INET6:
            return v6
        f.family = AF_INET
        try:
            return _dump(ctx, f) + v6
        finally:
            f.family = AF_UNSPEC
    if f.family not in (AF_UNSPEC, AF_INET):
        return []
    out = []
    if f.ndm_flags & NTF_PROXY:
        for (key, dev), flags in api.pneigh_table(ns).items():
            if f.index and (dev is None or dev.ifindex != f.index):
                continue
            out.append(NeighMsg(key, dev, NUD_NONE, flags | NTF_PROXY))
        return out
    now = ctx.lab.engine.now
    for n in list(ns.ipv4.arp.entries.values()):
        if f.index and n.dev.ifindex != f.index:
            continue
        out.append(neigh_fill_info(n, now))
    return out


def _dump6(ctx, f: Filter) -> list[NeighMsg]:
    ns = ctx.ns
    if getattr(ns, "ipv6", None) is None or f.ndm_flags & NTF_PROXY:
        return []
    now = ctx.lab.engine.now
    out = []
    for n in list(ns.ipv6.nd.entries.values()):
        if f.index and n.dev.ifindex != f.index:
            continue
        out.append(neigh_fill_info(n, now))
    return out


def _filtered(f: Filter, m: NeighMsg) -> bool:
    """The filter half of print_neigh(): True when the message is to be shown/flushed."""
    if f.index and (m.dev is None or f.index != m.dev.ifindex):
        return False
    if not (f.state & m.state) and not (m.flags & NTF_PROXY) and \
            not (m.flags & NTF_EXT_LEARNED) and (m.state or not (f.state & 0x100)):
        return False
    if f.pfx.family:
        if isinstance(m.dst, bytes) != (f.pfx.family == AF_INET6):
            return False
        if isinstance(m.dst, bytes):
            bits = max(0, min(f.pfx.bitlen, 128))
            if bits and int.from_bytes(m.dst, "big") >> (128 - bits) != \
                    (f.pfx.data or 0) >> (128 - bits):
                return False
        elif not inet_addr_match(m.dst, f.pfx.data, f.pfx.bitlen):
            return False
    if f.protocol and f.protocol != m.protocol:
        return False
    return True


def print_neigh_state(p: Printer, nud: int) -> None:
    """ipneigh.c: print_neigh_state()."""
    p.open_array("state")
    for bit, name in _STATE_NAMES:
        if nud & bit:
            p.item("%s ", name)
    p.close()


def print_neigh(p: Printer, opts, f: Filter, m: NeighMsg) -> None:
    """ipneigh.c: print_neigh() for a message that passed the filter."""
    p.open_object(None)
    if opts.brief:
        p.any("dst", "%-39s ", _dst_text(m.dst))
        if not f.index and m.dev is not None:
            p.any("dev", "%-16s ", m.dev.name)
        if m.lladdr is not None:
            p.any("lladdr", "%s", ll_addr_n2a(m.lladdr, m.dev.type))
        p.text("\n")
        p.close()
        return
    p.any("dst", "%s ", _dst_text(m.dst))
    if not f.index and m.dev is not None:
        p.text("dev ")
        p.any("dev", "%s ", m.dev.name)
    if m.lladdr is not None:
        p.text("lladdr ")
        p.any("lladdr", "%s ", ll_addr_n2a(m.lladdr, m.dev.type))
    if m.flags & NTF_ROUTER:
        p.any("router", "router ", None)
    if m.flags & NTF_PROXY:
        p.any("proxy", "proxy ", None)
    if m.flags & NTF_EXT_LEARNED:
        p.any("extern_learn", "extern_learn ", None)
    if m.flags & NTF_OFFLOADED:
        p.any("offload", "offload ", None)
    if opts.stats and m.cacheinfo is not None:
        used, confirmed, updated, refcnt = m.cacheinfo
        if refcnt:
            p.any("refcnt", " ref %u", refcnt)
        p.any("used", " used %u", used // USER_HZ)
        p.any("confirmed", "/%u", confirmed // USER_HZ)
        p.any("updated", "/%u", updated // USER_HZ)
        if m.probes is not None:
            p.any("probes", "probes %u ", m.probes)
    if m.state:
        print_neigh_state(p, m.state)
    if m.protocol:
        p.any("protocol", "proto %s ", rtnl_rtprot_n2a(m.protocol, opts.numeric))
    p.text("\n")
    p.close()


def do_show_or_flush(ctx, opts, argv: list[str], flush: bool) -> int:
    """ipneigh.c: do_show_or_flush()."""
    f = Filter()
    f.family = opt_family(opts)
    filter_dev = None
    state_given = False
    if flush:
        if not argv:
            ctx.eprint("Flush requires arguments.")
            return 1
        f.state = ~(NUD_PERMANENT | NUD_NOARP)
    else:
        f.state = 0xFF & ~NUD_NOARP
    a = _Argv(ctx, argv)
    while a.more():
        arg = a.cur
        if arg == "dev":
            a.next()
            if filter_dev is not None:
                duparg(ctx, "dev", a.cur)
            filter_dev = a.cur
        elif arg in ("master", "vrf"):
            a.next()
            if not ll_name_to_index(ctx.ns, a.cur):
                invarg(ctx, "Device does not exist\n" if arg == "master"
                       else "Not a valid VRF name\n", a.cur)
            if arg == "vrf":
                invarg(ctx, "Not a valid VRF name\n", a.cur)
            f.master = ll_name_to_index(ctx.ns, a.cur)
        elif arg == "nomaster":
            f.master = -1
        elif arg == "unused":
            f.unused_only = True
        elif arg == "nud":
            v = a.next()
            if not state_given:
                state_given = True
                f.state = 0
            state = nud_state_a2n(v)
            if state is None:
                if v != "all":
                    invarg(ctx, "nud state is bad", v)
                state = ~0
                if flush:
                    state &= ~NUD_NOARP
            if state == 0:
                state = 0x100
            f.state |= state
        elif arg == "proxy":
            f.ndm_flags = NTF_PROXY
        elif matches(arg, "protocol"):
            v = a.next()
            prot = rtnl_rtprot_a2n(v)
            if prot is None:
                if v != "all":
                    invarg(ctx, 'invalid "protocol"\n', v)
                prot = 0
            f.protocol = prot
        else:
            if arg == "to":
                arg = a.next()
            if matches(arg, "help"):
                usage(ctx)
            f.pfx = get_prefix(ctx, arg, f.family)
            if f.family == AF_UNSPEC:
                f.family = f.pfx.family
        a.step()
    if filter_dev is not None:
        f.index = ll_name_to_index(ctx.ns, filter_dev)
        if not f.index:
            return nodev(ctx, filter_dev)

    if flush:
        return _flush(ctx, opts, f)
    p = Printer(ctx, opts)
    for m in _dump(ctx, f):
        if _filtered(f, m):
            print_neigh(p, opts, f, m)
    p.flush()
    return 0


def _flush(ctx, opts, f: Filter) -> int:
    """The flush loop of do_show_or_flush(): RTM_DELNEIGH for every match, up to 10 rounds."""
    rnd = 0
    p = Printer(ctx, opts)
    while rnd < MAX_ROUNDS:
        victims = [m for m in _dump(ctx, f) if _filtered(f, m)]
        if opts.stats >= 2:
            for m in victims:
                print_neigh(p, opts, f, m)
            p.flush()
        if not victims:
            if opts.stats:
                if rnd == 0:
                    ctx.print("Nothing to flush.")
                else:
                    ctx.print(f"*** Flush is complete after {rnd} round"
                              f"{'s' if rnd > 1 else ''} ***")
            return 0
        rnd += 1
        for m in victims:
            try:
                if isinstance(m.dst, bytes):
                    neigh6_delete(ctx.ns, m.dst, m.dev)
                else:
                    api.neigh_delete(ctx.ns, m.dst, m.dev, bool(m.flags & NTF_PROXY))
            except KernelError:
                pass
        if opts.stats:
            ctx.print(f"\n*** Round {rnd}, deleting {len(victims)} entries ***")
        f.state &= ~NUD_FAILED
    ctx.print(f"*** Flush not complete bailing out after {MAX_ROUNDS} rounds")
    return 1


# =============================================================================================
# get (ipneigh_get)
# =============================================================================================

def ipneigh_get(ctx, opts, argv: list[str]) -> int:
    """ipneigh.c: ipneigh_get() -> RTM_GETNEIGH for one entry."""
    family = opt_family(opts)
    d = None
    dst = None
    dev_ok = False
    proxy = False
    a = _Argv(ctx, argv)
    while a.more():
        arg = a.cur
        if arg == "dev":
            d = a.next()
            dev_ok = True
        elif matches(arg, "proxy"):
            a.next()
            if matches(a.cur, "help"):
                usage(ctx)
            if dst is not None:
                duparg(ctx, "address", a.cur)
            dst = get_addr(ctx, a.cur, family)
            dev_ok = proxy = True
        else:
            if arg == "to":
                arg = a.next()
            if matches(arg, "help"):
                usage(ctx)
            if dst is not None:
                duparg2(ctx, "to", arg)
            dst = get_addr(ctx, arg, family)
        a.step()
    if not dev_ok or dst is None or dst.family == AF_UNSPEC:
        ctx.eprint("Device and address are required arguments.")
        return 1
    dev = None
    if d is not None:
        idx = ll_name_to_index(ctx.ns, d)
        if not idx:
            ctx.eprint(f'Cannot find device "{d}"')
            return 1
        dev = ctx.ns.by_index.get(idx)
    f = Filter()
    if proxy:
        flags = api.pneigh_table(ctx.ns).get((dst.data, dev))
        if flags is None:
            rtnl_error(ctx, KernelError(2, "Proxy neighbour entry not found"), 2)
        m = NeighMsg(dst.data, dev, NUD_NONE, flags | NTF_PROXY)
    else:
        n = ctx.ns.ipv4.arp.lookup(dst.data, dev) if dev is not None else None
        if n is None:
            rtnl_error(ctx, KernelError(2, "Neighbour entry not found"), 2)
        m = neigh_fill_info(n, ctx.lab.engine.now)
    # the answer is printed without new_json_obj(): plain text even with -j
    from .common import Opts
    text_opts = Opts()
    text_opts.__dict__.update(opts.__dict__)
    text_opts.json = False
    p = Printer(ctx, text_opts)
    print_neigh(p, text_opts, f, m)
    p.flush()
    return 0


# =============================================================================================
# dispatch (do_ipneigh)
# =============================================================================================

def run(ctx, opts, argv: list[str]) -> int:
    """ipneigh.c: do_ipneigh()."""
    if not argv:
        return do_show_or_flush(ctx, opts, [], False)
    cmd, rest = argv[0], argv[1:]
    if matches(cmd, "add"):
        return ipneigh_modify(ctx, opts, False, api.NLM_F_CREATE | api.NLM_F_EXCL, rest)
    if matches(cmd, "change") or cmd == "chg":
        return ipneigh_modify(ctx, opts, False, api.NLM_F_REPLACE, rest)
    if matches(cmd, "replace"):
        return ipneigh_modify(ctx, opts, False, api.NLM_F_CREATE | api.NLM_F_REPLACE, rest)
    if matches(cmd, "delete"):
        return ipneigh_modify(ctx, opts, True, 0, rest)
    if matches(cmd, "get"):
        return ipneigh_get(ctx, opts, rest)
    if matches(cmd, "show") or matches(cmd, "lst") or matches(cmd, "list"):
        return do_show_or_flush(ctx, opts, rest, False)
    if matches(cmd, "flush"):
        return do_show_or_flush(ctx, opts, rest, True)
    if matches(cmd, "help"):
        usage(ctx)
    ctx.fail(f'Command "{cmd}" is unknown, try "ip neigh help".', 255)
    return 255
