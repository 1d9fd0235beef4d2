"""IPv4 routing tables (net/ipv4/fib_*.c): tables ``local`` (255) and ``main`` (254), longest-prefix
match, route types, metrics (priority), ``via``/``dev``/``src``, connected and static routes.

Lookup (fib_lookup with the three default rules: local, main, default): in each table, prefixes are
tried longest first; within a prefix, routes in (tos, priority) order; a route is skipped when its
scope is narrower than asked, its nexthop is dead (device down) or (with
ignore_routes_with_linkdown) without carrier, or its device is not the requested oif. Types
unreachable / blackhole / prohibit end the lookup with their error; ``throw`` goes to the next table.
"""

from __future__ import annotations

from .errors import (EACCES, EAGAIN, EEXIST, EHOSTUNREACH, EINVAL, ENETUNREACH, ESRCH,
                     KernelError)
from .inet import RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_NOWHERE, RT_SCOPE_UNIVERSE, prefix_mask

RT_TABLE_UNSPEC = 0
RT_TABLE_DEFAULT = 253
RT_TABLE_MAIN = 254
RT_TABLE_LOCAL = 255

RTN_UNSPEC = 0
RTN_UNICAST = 1
RTN_LOCAL = 2
RTN_BROADCAST = 3
RTN_ANYCAST = 4
RTN_MULTICAST = 5
RTN_BLACKHOLE = 6
RTN_UNREACHABLE = 7
RTN_PROHIBIT = 8
RTN_THROW = 9
RTN_NAT = 10
RTN_XRESOLVE = 11
RTN_NAMES = ("unspec", "unicast", "local", "broadcast", "anycast", "multicast", "blackhole",
             "unreachable", "prohibit", "throw", "nat", "xresolve")

# fib_props[type].error
TYPE_ERROR = {RTN_BLACKHOLE: EINVAL, RTN_UNREACHABLE: EHOSTUNREACH, RTN_PROHIBIT: EACCES,
              RTN_THROW: EAGAIN}

RTPROT_UNSPEC = 0
RTPROT_REDIRECT = 1
RTPROT_KERNEL = 2
RTPROT_BOOT = 3
RTPROT_STATIC = 4

RTNH_F_DEAD = 1
RTNH_F_PERVASIVE = 2
RTNH_F_ONLINK = 4
RTNH_F_OFFLOAD = 8
RTNH_F_LINKDOWN = 16
RTNH_F_UNRESOLVED = 32


class Route:
    """One fib_alias + fib_info with a single nexthop."""

    __slots__ = ("table", "dst", "plen", "mask", "type", "scope", "proto", "prefsrc", "priority",
                 "tos", "dev", "gw", "nh_flags", "nh_scope", "metrics", "dead")

    def __init__(self, dst: int, plen: int, type_: int = RTN_UNICAST, dev=None, gw: int = 0,
                 scope: int = RT_SCOPE_UNIVERSE, proto: int = RTPROT_BOOT, prefsrc: int = 0,
                 priority: int = 0, tos: int = 0, table: int = RT_TABLE_MAIN,
                 metrics: dict | None = None, onlink: bool = False):
        self.table = table
        self.mask = prefix_mask(plen)
        self.dst = dst & self.mask
        self.plen = plen
        self.type = type_
        self.scope = scope
        self.proto = proto
        self.prefsrc = prefsrc
        self.priority = priority
        self.tos = tos
        self.dev = dev
        self.gw = gw
        self.nh_flags = RTNH_F_ONLINK if onlink else 0
        # nexthop scope: host for a directly connected route, link for a gateway route
        self.nh_scope = RT_SCOPE_LINK if gw else RT_SCOPE_HOST
        self.metrics = metrics or {}
        self.dead = False

    def key(self):
        return (self.table, self.dst, self.plen, self.tos, self.priority)

    @property
    def linkdown(self) -> bool:
        return bool(self.nh_flags & RTNH_F_LINKDOWN)

    def __repr__(self) -> str:
        from ..wire.ipv4 import from_int, ntoa
        via = f" via {ntoa(from_int(self.gw))}" if self.gw else ""
        dev = f" dev {self.dev.name}" if self.dev is not None else ""
        return f"<Route {RTN_NAMES[self.type]} {ntoa(from_int(self.dst))}/{self.plen}{via}{dev} table {self.table}>"


class Table:
    __slots__ = ("id", "by_plen", "plens", "count")

    def __init__(self, tid: int):
        self.id = tid
        self.by_plen: dict[int, dict[int, list[Route]]] = {}
        self.plens: list[int] = []          # present prefix lengths, longest first
        self.count = 0

    def routes(self) -> list[Route]:
        out = []
        for plen in self.plens:
            for dst in sorted(self.by_plen[plen]):
                out.extend(self.by_plen[plen][dst])
        out.sort(key=lambda r: (r.dst, -r.plen))
        return out

    def aliases(self, dst: int, plen: int) -> list[Route]:
        return self.by_plen.get(plen, {}).get(dst & prefix_mask(plen), [])

    def insert(self, r: Route, replace: bool, excl: bool, append: bool) -> None:
        bucket = self.by_plen.get(r.plen)
        if bucket is None:
            bucket = self.by_plen[r.plen] = {}
            self.plens.append(r.plen)
            self.plens.sort(reverse=True)
        lst = bucket.setdefault(r.dst, [])
        same = [x for x in lst if x.tos == r.tos and x.priority == r.priority]
        if same:
            if excl:
                raise KernelError(EEXIST)
            if replace:
                lst[lst.index(same[0])] = r
                return
            for x in same:
                if _same_nh(x, r) and x.type == r.type and x.scope == r.scope \
                        and x.prefsrc == r.prefsrc:
                    raise KernelError(EEXIST)
        lst.append(r)
        lst.sort(key=lambda x: (-x.tos, x.priority))
        self.count += 1

    def remove(self, r: Route) -> None:
        bucket = self.by_plen[r.plen]
        lst = bucket[r.dst]
        lst.remove(r)
        self.count -= 1
        if not lst:
            del bucket[r.dst]
            if not bucket:
                del self.by_plen[r.plen]
                self.plens.remove(r.plen)


def _same_nh(a: Route, b: Route) -> bool:
    return a.dev is b.dev and a.gw == b.gw


class FibResult:
    __slots__ = ("route", "type", "dev", "gw", "prefsrc", "table", "scope")

    def __init__(self, route: Route):
        self.route = route
        self.type = route.type
        self.dev = route.dev
        self.gw = route.gw
        self.prefsrc = route.prefsrc
        self.table = route.table
        self.scope = route.scope


class Fib:
    """The routing tables of one netns, with the default rules local -> main -> default."""

    def __init__(self, ipv4):
        self.ipv4 = ipv4
        self.tables: dict[int, Table] = {RT_TABLE_LOCAL: Table(RT_TABLE_LOCAL),
                                         RT_TABLE_MAIN: Table(RT_TABLE_MAIN)}
        self.rules = [RT_TABLE_LOCAL, RT_TABLE_MAIN, RT_TABLE_DEFAULT]
        self.genid = 0
        self.has_custom_local = False

    def table(self, tid: int, create: bool = False) -> Table | None:
        t = self.tables.get(tid)
        if t is None and create:
            t = self.tables[tid] = Table(tid)
        return t

    def changed(self) -> None:
        self.genid += 1
        self.ipv4.route_cache_flush()

    # -- changes ------------------------------------------------------------------------------
    def add(self, r: Route, replace: bool = False, excl: bool = True, append: bool = False) -> None:
        t = self.table(r.table, create=True)
        if r.dev is not None and not r.dev.carrier and r.scope != RT_SCOPE_HOST:
            r.nh_flags |= RTNH_F_LINKDOWN
        t.insert(r, replace, excl, append)
        self.changed()

    def delete(self, dst: int, plen: int, table: int = RT_TABLE_MAIN, tos: int | None = None,
               priority: int | None = None, type_: int | None = None, dev=None,
               gw: int | None = None, proto: int | None = None, scope: int | None = None,
               prefsrc: int | None = None) -> Route:
        t = self.table(table)
        if t is None:
            raise KernelError(ESRCH)
        for r in t.aliases(dst, plen):
            if r.dst != dst & prefix_mask(plen):
                continue
            if tos is not None and r.tos != tos:
                continue
            if priority is not None and r.priority != priority:
                continue
            if type_ is not None and r.type != type_:
                continue
            if dev is not None and r.dev is not dev:
                continue
            if gw is not None and r.gw != gw:
                continue
            if proto is not None and r.proto != proto:
                continue
            if scope is not None and r.scope != scope:
                continue
            if prefsrc is not None and r.prefsrc != prefsrc:
                continue
            t.remove(r)
            self.changed()
            return r
        raise KernelError(ESRCH)

    def remove_where(self, pred) -> int:
        n = 0
        for t in self.tables.values():
            for r in t.routes():
                if pred(r):
                    t.remove(r)
                    n += 1
        if n:
            self.changed()
        return n

    def all_routes(self, table: int | None = None) -> list[Route]:
        if table is not None:
            t = self.tables.get(table)
            return t.routes() if t else []
        out = []
        for tid in sorted(self.tables):
            out.extend(self.tables[tid].routes())
        return out

    # -- lookup -------------------------------------------------------------------------------
    def lookup(self, dst: int, oif=None, scope: int = RT_SCOPE_UNIVERSE, tos: int = 0,
               ignore_linkdown: bool = False) -> Route:
        """fib_lookup(); raises KernelError(ENETUNREACH / EHOSTUNREACH / EINVAL / EACCES)."""
        for tid in self.rules:
            t = self.tables.get(tid)
            if t is None:
                continue
            r = self._table_lookup(t, dst, oif, scope, tos, ignore_linkdown)
            if r is None:
                continue
            err = TYPE_ERROR.get(r.type)
            if err is not None:
                if err == EAGAIN:
                    continue
                raise KernelError(err)
            return r
        raise KernelError(ENETUNREACH)

    def _table_lookup(self, t: Table, dst: int, oif, scope: int, tos: int,
                      ignore_linkdown: bool) -> Route | None:
        by_plen = t.by_plen
        for plen in t.plens:
            lst = by_plen[plen].get(dst & (((0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF) if plen else 0))
            if not lst:
                continue
            for r in lst:
                if r.tos and r.tos != tos:
                    continue
                if r.scope < scope:
                    continue
                if r.type in TYPE_ERROR:
                    return r
                if r.dead:
                    continue
                if ignore_linkdown and r.nh_flags & RTNH_F_LINKDOWN:
                    continue
                if oif is not None and r.dev is not oif:
                    continue
                return r
        return None

    def addr_type(self, addr: int, dev=None) -> int:
        """inet_addr_type(): the type of ``addr`` in the local table (or unicast)."""
        if addr == 0xFFFFFFFF or (addr >> 28) == 0xE:
            return RTN_BROADCAST if addr == 0xFFFFFFFF else RTN_MULTICAST
        if addr == 0:
            return RTN_BROADCAST
        t = self.tables[RT_TABLE_LOCAL]
        r = self._table_lookup(t, addr, None, RT_SCOPE_UNIVERSE, 0, False)
        if r is not None and r.type in (RTN_LOCAL, RTN_BROADCAST):
            if dev is None or r.type == RTN_LOCAL or r.dev is dev:
                return r.type
        return RTN_UNICAST


__all__ = ["Fib", "Route", "Table", "RT_TABLE_MAIN", "RT_TABLE_LOCAL", "RT_SCOPE_LINK",
           "RT_SCOPE_HOST", "RT_SCOPE_NOWHERE", "RT_SCOPE_UNIVERSE"]
