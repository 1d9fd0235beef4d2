"""The typed Python API over the emulated stack.

Every method maps to one kernel request (RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE, a sysctl write,
...) and raises ``KernelError`` with the kernel's errno when the kernel would refuse it. Nothing
here prints; the command layer turns errors into iproute2's text.

    lab = Lab()
    a, b = lab.netns("a"), lab.netns("b")
    lab.add_bridge("br0")
    lab.add_veth("v-a", "eth0", peer_ns=a)       # v-a in the init netns, its peer eth0 in a
    lab.set_link("v-a", master="br0", up=True)
    lab.add_addr("eth0", "10.0.0.1/24", ns=a)
    lab.ping("10.0.0.2", ns=a, count=3).received
"""

from __future__ import annotations

from . import devices  # noqa: F401  (registers every device kind)
from .apps.ping import SEC, Ping, PingResult
from .sim import Engine
from .stack.errors import EINVAL, ENODEV, ENOENT, EOPNOTSUPP, KernelError
from .stack.fib import (RT_TABLE_LOCAL, RT_TABLE_MAIN, RTN_NAMES, RTN_UNICAST, RTPROT_BOOT,
                        Route)
from .stack.inet import (RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE, IfAddr, prefix_mask)
from .stack.kernel import Kernel, LinkRequest, Namespace
from .stack.netdev import NetDevice
from .wire.ethernet import mac_parse

NsLike = "Namespace | str | None"


def parse_ip(text: str) -> int:
    parts = text.split(".")
    if len(parts) != 4:
        raise KernelError(EINVAL)
    try:
        vals = [int(p) for p in parts]
    except ValueError:
        raise KernelError(EINVAL) from None
    if any(v < 0 or v > 255 for v in vals) or any(not p.isdigit() for p in parts):
        raise KernelError(EINVAL)
    return (vals[0] << 24) | (vals[1] << 16) | (vals[2] << 8) | vals[3]


def fmt_ip(n: int) -> str:
    return f"{n >> 24 & 255}.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def parse_prefix(text: str) -> tuple[int, int]:
    if text == "default":
        return 0, 0
    if "/" in text:
        a, p = text.split("/", 1)
        if not p.isdigit() or int(p) > 32:
            raise KernelError(EINVAL)
        return parse_ip(a), int(p)
    return parse_ip(text), 32


SCOPES = {"global": RT_SCOPE_UNIVERSE, "universe": RT_SCOPE_UNIVERSE, "site": 200,
          "link": RT_SCOPE_LINK, "host": RT_SCOPE_HOST, "nowhere": 255}
TABLES = {"main": RT_TABLE_MAIN, "local": RT_TABLE_LOCAL, "default": 253}


class Lab:
    """One emulated machine (a kernel) with its engine; namespaces are looked up by name."""

    def __init__(self, seed: int = 0, trace=None, engine: Engine | None = None, cpus: int = 1):
        self.kernel = Kernel(engine=engine, seed=seed, trace=trace, cpus=cpus)
        self.engine = self.kernel.engine

    # -- namespaces ------------------------------------------------------------------------
    def netns(self, name: str) -> Namespace:
        """``ip netns add NAME`` (returns the existing one if already there)."""
        ns = self.kernel.named.get(name)
        return ns if ns is not None else self.kernel.netns_add(name)

    def netns_del(self, name: str) -> None:
        self.kernel.netns_del(name)

    def ns(self, ns=None) -> Namespace:
        if ns is None or ns == "":
            return self.kernel.init_ns
        if isinstance(ns, Namespace):
            return ns
        got = self.kernel.named.get(ns)
        if got is None:
            raise KernelError(ENOENT)
        return got

    def dev(self, name: str | NetDevice, ns=None) -> NetDevice:
        if isinstance(name, NetDevice):
            return name
        return self.ns(ns).dev(name)

    # -- links ---------------------------------------------------------------------------------
    def add_link(self, name: str | None, kind: str, ns=None, *, link=None, mtu: int | None = None,
                 address: str | None = None, txqlen: int | None = None, up: bool = False,
                 master=None, peer: LinkRequest | None = None, **data) -> NetDevice:
        n = self.ns(ns)
        req = LinkRequest(name=name, kind=kind, mtu=mtu, txqlen=txqlen, up=up, data=data,
                          peer=peer,
                          address=mac_parse(address) if address else None,
                          link=self.dev(link, n) if link is not None else None,
                          master=self.dev(master, n) if master is not None else None)
        return self.kernel.newlink(n, req)

    def add_veth(self, name: str, peer: str, ns=None, peer_ns=None, *, mtu: int | None = None,
                 peer_mtu: int | None = None, address: str | None = None,
                 peer_address: str | None = None, up: bool = False) -> tuple[NetDevice, NetDevice]:
        """``ip [-n NS] link add NAME type veth peer name PEER [netns PEER_NS]``: both ends are
        created in ``ns`` unless ``peer_ns`` names another netns for the peer."""
        n = self.ns(ns)
        preq = LinkRequest(name=peer, net_ns=self.ns(peer_ns) if peer_ns is not None else None,
                           mtu=peer_mtu, address=mac_parse(peer_address) if peer_address else None)
        dev = self.kernel.newlink(n, LinkRequest(
            name=name, kind="veth", peer=preq, mtu=mtu, up=up,
            address=mac_parse(address) if address else None))
        return dev, dev.peer

    def add_bridge(self, name: str, ns=None, up: bool = False, **opts) -> NetDevice:
        return self.add_link(name, "bridge", ns, up=up, **opts)

    def del_link(self, name, ns=None) -> None:
        self.kernel.dellink(self.dev(name, ns))

    def set_link(self, name, ns=None, *, up: bool | None = None, mtu: int | None = None,
                 address: str | None = None, master=..., netns=None, rename: str | None = None,
                 txqlen: int | None = None, alias: str | None = None) -> NetDevice:
        """``ip link set``: applied in iproute2's order (netns, name, mtu, address, master, up)."""
        k = self.kernel
        dev = self.dev(name, ns)
        if netns is not None:
            k.dev_change_net_namespace(dev, self.ns(netns))
        if rename is not None:
            k.dev_change_name(dev, rename)
        if txqlen is not None:
            if txqlen < 0:
                raise KernelError(EINVAL)
            dev.tx_queue_len = txqlen
        if mtu is not None:
            k.dev_set_mtu(dev, mtu)
        if address is not None:
            k.dev_set_mac(dev, mac_parse(address))
        if alias is not None:
            dev.alias = alias
        if master is not ...:
            k.set_master(dev, self.dev(master, dev.ns) if master is not None else None)
        if up is True:
            k.dev_open(dev)
        elif up is False:
            k.dev_close(dev)
        return dev

    # -- addresses -----------------------------------------------------------------------------
    def add_addr(self, dev, cidr: str, ns=None, *, broadcast: str | None = None,
                 scope: str | int = "global", label: str | None = None, peer: str | None = None,
                 metric: int = 0, noprefixroute: bool = False) -> IfAddr:
        d = self.dev(dev, ns)
        local, plen = parse_prefix(cidr) if "/" in cidr else (parse_ip(cidr), 32)
        address = None
        if peer is not None:
            address, plen = parse_prefix(peer) if "/" in peer else (parse_ip(peer), 32)
        brd = 0
        if broadcast == "+":
            brd = (local | ~prefix_mask(plen)) & 0xFFFFFFFF if plen < 31 else 0
        elif broadcast == "-":
            brd = 0
        elif broadcast is not None:
            brd = parse_ip(broadcast)
        sc = SCOPES[scope] if isinstance(scope, str) else scope
        if d.ip is None:
            raise KernelError(ENODEV)
        from .stack.inet import IFA_F_NOPREFIXROUTE, IFA_F_PERMANENT
        flags = IFA_F_PERMANENT | (IFA_F_NOPREFIXROUTE if noprefixroute else 0)
        ifa = IfAddr(d, local, plen, address=address, broadcast=brd, scope=sc, label=label,
                     rt_priority=metric, flags=flags)
        d.ns.ipv4.addr_add(d, ifa)
        return ifa

    def del_addr(self, dev, cidr: str, ns=None) -> None:
        d = self.dev(dev, ns)
        local, plen = parse_prefix(cidr) if "/" in cidr else (parse_ip(cidr), None)
        if d.ip is None:
            raise KernelError(ENODEV)
        ifa = d.ip.find(local, plen)
        if ifa is None:
            from .stack.errors import EADDRNOTAVAIL
            raise KernelError(EADDRNOTAVAIL)
        d.ns.ipv4.addr_del(d, ifa)

    def addrs(self, dev, ns=None) -> list[str]:
        d = self.dev(dev, ns)
        return [f"{fmt_ip(a.local)}/{a.prefixlen}" for a in (d.ip.ifa_list if d.ip else [])]

    # -- routes --------------------------------------------------------------------------------
    def add_route(self, prefix: str, ns=None, *, via: str | None = None, dev=None,
                  src: str | None = None, metric: int = 0, table: str | int = "main",
                  type: str = "unicast", scope: str | None = None, proto: int = RTPROT_BOOT,
                  onlink: bool = False, mtu: int | None = None, replace: bool = False) -> Route:
        """``ip route add``: gateway and device checks as fib_check_nh()."""
        n = self.ns(ns)
        dst, plen = parse_prefix(prefix)
        tid = TABLES[table] if isinstance(table, str) else table
        rtype = RTN_NAMES.index(type)
        d = self.dev(dev, n) if dev is not None else None
        gw = parse_ip(via) if via else 0
        if scope is None:
            sc = RT_SCOPE_HOST if type == "local" else (
                RT_SCOPE_LINK if not gw and rtype == RTN_UNICAST else RT_SCOPE_UNIVERSE)
            if type in ("broadcast", "multicast"):
                sc = RT_SCOPE_LINK
        else:
            sc = SCOPES[scope]
        # one implementation of RTM_NEWROUTE: fib_newroute() below (fib_create_info() and
        # fib_check_nh*(): the kernel's checks, errno and extack text)
        cfg = RouteConfig(dst=dst, dst_len=plen, table=tid, protocol=proto, scope=sc,
                          type=rtype, prefsrc=parse_ip(src) if src else 0, priority=metric,
                          oif=d, gw=gw, flags=_RTNH_F_ONLINK if onlink else 0,
                          metrics={"mtu": mtu} if mtu else None,
                          nlflags=NLM_F_CREATE | (NLM_F_REPLACE if replace else NLM_F_EXCL))
        return fib_newroute(n, cfg)

    def del_route(self, prefix: str, ns=None, *, table: str | int = "main", dev=None,
                  via: str | None = None, metric: int | None = None) -> None:
        n = self.ns(ns)
        dst, plen = parse_prefix(prefix)
        tid = TABLES[table] if isinstance(table, str) else table
        n.ipv4.fib.delete(dst, plen, table=tid, dev=self.dev(dev, n) if dev else None,
                          gw=parse_ip(via) if via else None, priority=metric)

    def routes(self, ns=None, table: str | int = "main") -> list[Route]:
        tid = TABLES[table] if isinstance(table, str) else table
        return self.ns(ns).ipv4.fib.all_routes(tid)

    def route_get(self, dst: str, ns=None):
        """``ip route get``: (type, dev name, source, gateway) of the output route."""
        n = self.ns(ns)
        route, rtype, src, dev, nh = n.ipv4.route_output(parse_ip(dst))
        return RTN_NAMES[rtype], dev.name, fmt_ip(src), (fmt_ip(route.gw) if route and route.gw
                                                         else None)

    # -- sysctl --------------------------------------------------------------------------------
    def sysctl_set(self, key: str, value: int, ns=None) -> None:
        n = self.ns(ns)
        parts = key.replace("/", ".").split(".")
        if parts[:2] == ["net", "ipv4"]:
            if parts[2:] == ["ip_forward"]:
                return n.ipv4.conf_write("all", "forwarding", int(value))
            if len(parts) == 5 and parts[2] == "conf":
                return n.ipv4.conf_write(parts[3], parts[4], int(value))
            if len(parts) == 3 and parts[2] in n.ipv4.sysctl:
                n.ipv4.sysctl[parts[2]] = int(value)
                return
            if len(parts) == 5 and parts[2] == "neigh":
                return self._neigh_parm(n, parts[3], parts[4], int(value))
        raise KernelError(ENOENT)

    def sysctl_get(self, key: str, ns=None) -> int:
        n = self.ns(ns)
        parts = key.replace("/", ".").split(".")
        if parts[:2] == ["net", "ipv4"]:
            if parts[2:] == ["ip_forward"]:
                return n.ipv4.conf_all["forwarding"]
            if len(parts) == 5 and parts[2] == "conf":
                return n.ipv4.conf_read(parts[3], parts[4])
            if len(parts) == 3 and parts[2] in n.ipv4.sysctl:
                return n.ipv4.sysctl[parts[2]]
        raise KernelError(ENOENT)

    def _neigh_parm(self, n: Namespace, target: str, key: str, value: int) -> None:
        tbl = n.ipv4.arp
        conv = {"base_reachable_time_ms": ("base_reachable_time", 1_000_000),
                "retrans_time_ms": ("retrans_time", 1_000_000),
                "delay_first_probe_time": ("delay_first_probe_time", SEC),
                "gc_stale_time": ("gc_stale_time", SEC), "ucast_solicit": ("ucast_solicit", 1),
                "mcast_solicit": ("mcast_solicit", 1), "app_solicit": ("app_solicit", 1),
                "unres_qlen_bytes": ("unres_qlen_bytes", 1), "locktime": ("locktime", 10_000_000)}
        if key not in conv:
            raise KernelError(ENOENT)
        name, mul = conv[key]
        if target == "default":
            tbl.parms[name] = value * mul
        else:
            d = n.dev(target)
            tbl.dev_parms.setdefault(d.ifindex, {})[name] = value * mul
        if name == "base_reachable_time":
            tbl.reachable_time = tbl.rand_reach_time(value * mul)

    # -- neighbours ----------------------------------------------------------------------------
    def neighbours(self, ns=None) -> list[tuple[str, str, str, str]]:
        """(ip, dev, lladdr, state) like ``ip neigh``."""
        from .stack.neigh import NUD_VALID
        from .wire.ethernet import mac_str
        out = []
        for (key, dev), n in self.ns(ns).ipv4.arp.entries.items():
            # neigh_fill_info(): NDA_LLADDR only for a valid entry (not INCOMPLETE/FAILED)
            ll = mac_str(n.ha) if n.ha and n.state & NUD_VALID else ""
            out.append((fmt_ip(key), dev.name, ll, n.state_name))
        return out

    # -- traffic -------------------------------------------------------------------------------
    def ping(self, dst: str, ns=None, *, count: int = 1, interval: float = 1.0, size: int = 56,
             ttl: int | None = None, wait: float = 10.0, dev=None, src: str | None = None,
             run: bool = True, pmtudisc: str = "want") -> PingResult:
        """Run ``ping -c COUNT DST`` in virtual time and return what it saw (``pmtudisc`` is
        ping's -M: want, do or dont)."""
        n = self.ns(ns)
        p = Ping(n, parse_ip(dst), count=count, interval_ns=int(interval * SEC), size=size,
                 ttl=ttl, wait_ns=int(wait * SEC), dev=self.dev(dev, n) if dev else None,
                 src=parse_ip(src) if src else 0, pmtudisc=pmtudisc)
        p.start()
        if run:
            while not p.done:
                # the work due now first: a reply on a zero-delay link ends ping at this
                # instant, not at the next timer (as the real ping -c1 exits on its reply)
                self.engine.run_now()
                if p.done:
                    break
                nxt = self.engine.next_deadline()
                if nxt is None:
                    break
                self.engine.run_until(nxt)
        return p.result

    def run_until_idle(self) -> None:
        self.engine.run_until_idle()

    def run_for(self, seconds: float) -> None:
        self.engine.run_for(int(seconds * SEC))

    @property
    def now(self) -> int:
        return self.engine.now


import errno as _errno  # noqa: E402

ENETUNREACH_ = _errno.ENETUNREACH
ENETDOWN_ = _errno.ENETDOWN
__all__ = ["Lab", "KernelError", "parse_ip", "fmt_ip", "PingResult", "EOPNOTSUPP"]


# =============================================================================================
# rtnetlink requests for the command layer (``ip route``, ``ip neigh``). Each function mirrors
# the kernel handler named in its docstring: the same checks in the same order, the same errno
# and extack text. Nothing here knows iproute2's syntax; commands/ip/ builds the requests.
# =============================================================================================

from dataclasses import dataclass as _dataclass  # noqa: E402

from .stack.errors import (EEXIST as _EEXIST, ENETDOWN as _ENETDOWN,  # noqa: E402
                           ENETUNREACH as _ENETUNREACH, ESRCH as _ESRCH)
from .stack.fib import (RTN_ANYCAST as _RTN_ANYCAST, RTN_BROADCAST as _RTN_BROADCAST,  # noqa: E402
                        RTN_LOCAL as _RTN_LOCAL, RTN_MULTICAST as _RTN_MULTICAST,
                        RTNH_F_ONLINK as _RTNH_F_ONLINK, TYPE_ERROR as _TYPE_ERROR)
from .stack.inet import RT_SCOPE_NOWHERE as _RT_SCOPE_NOWHERE  # noqa: E402
from .stack.neigh import (NEIGH_UPDATE_F_ADMIN as _NU_ADMIN,  # noqa: E402
                          NEIGH_UPDATE_F_OVERRIDE as _NU_OVERRIDE, NTF_PROXY as _NTF_PROXY,
                          NTF_ROUTER as _NTF_ROUTER, NUD_FAILED as _NUD_FAILED,
                          NUD_VALID as _NUD_VALID)

NLM_F_REPLACE = 0x100
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
NLM_F_APPEND = 0x800

# route cache flags of an output route (include/uapi/linux/in_route.h)
RTCF_LOCAL = 0x80000000
RTCF_BROADCAST = 0x10000000
RTCF_MULTICAST = 0x20000000

# the TCP congestion controls a route's ``congctl`` may name (built into the kernel here)
TCP_CONGESTION = ("reno", "cubic")

# fib_props[type].scope (net/ipv4/fib_semantics.c): the narrowest scope a type allows
_FIB_PROPS_SCOPE = {0: 0, 1: 0, 2: RT_SCOPE_HOST, 3: RT_SCOPE_LINK, 4: RT_SCOPE_LINK, 5: 0,
                    6: 0, 7: 0, 8: 0, 9: 0, 10: _RT_SCOPE_NOWHERE, 11: _RT_SCOPE_NOWHERE}


@_dataclass
class RouteConfig:
    """struct fib_config, as rtm_to_fib_config() fills it from an RTM_NEWROUTE/DELROUTE."""

    dst: int = 0
    dst_len: int = 0
    tos: int = 0
    table: int = RT_TABLE_MAIN
    protocol: int = 0
    scope: int = RT_SCOPE_UNIVERSE
    type: int = RTN_UNICAST
    prefsrc: int = 0
    priority: int = 0
    oif: NetDevice | None = None
    gw: int = 0
    flags: int = 0                    # RTNH_F_ONLINK
    metrics: dict | None = None       # RTAX name -> value ("lock" -> set of names)
    nlflags: int = 0


def _check_key_len(cfg: RouteConfig) -> None:
    """fib_valid_key_len()."""
    if cfg.dst_len > 32:
        raise KernelError(EINVAL, "Invalid prefix length")
    if cfg.dst & ~prefix_mask(cfg.dst_len) & 0xFFFFFFFF:
        raise KernelError(EINVAL, "Invalid prefix for given prefix length")


def _fib_check_nh_v4_gw(ns: Namespace, cfg: RouteConfig) -> tuple[NetDevice, int]:
    """fib_check_nh_v4_gw(): (device, nexthop scope) of a gateway nexthop."""
    fib = ns.ipv4.fib
    if cfg.flags & _RTNH_F_ONLINK:
        if cfg.scope >= RT_SCOPE_LINK:
            raise KernelError(EINVAL, "Nexthop has invalid scope")
        dev = cfg.oif
        if dev is None:
            raise KernelError(ENODEV, "Nexthop device required for onlink")
        if not dev.flags & 1:
            raise KernelError(_ENETDOWN, "Nexthop device is not up")
        if fib.addr_type(cfg.gw, dev) != RTN_UNICAST:
            raise KernelError(EINVAL, "Nexthop has invalid gateway")
        return dev, RT_SCOPE_LINK
    scope = max(cfg.scope + 1, RT_SCOPE_LINK)
    r = None
    if cfg.table and cfg.table != RT_TABLE_MAIN:
        t = fib.table(cfg.table)
        if t is not None:
            r = fib._table_lookup(t, cfg.gw, cfg.oif, scope, 0, False)
            if r is not None and r.type in _TYPE_ERROR:
                r = None
    if r is None:
        try:
            r = fib.lookup(cfg.gw, oif=cfg.oif, scope=scope)
        except KernelError as e:
            raise KernelError(e.errno, "Nexthop has invalid gateway") from None
    if r.type not in (RTN_UNICAST, _RTN_LOCAL):
        raise KernelError(EINVAL, "Nexthop has invalid gateway")
    dev = r.dev
    if dev is None:
        raise KernelError(EINVAL, "No egress device for nexthop gateway")
    if not dev.flags & 1:
        raise KernelError(_ENETDOWN)
    return dev, r.scope


def _fib_check_nh_nongw(cfg: RouteConfig) -> tuple[NetDevice, int]:
    """fib_check_nh_nongw()."""
    if cfg.flags & _RTNH_F_ONLINK:
        raise KernelError(EINVAL, "Invalid flags for nexthop - PERVASIVE and ONLINK can not be set")
    dev = cfg.oif
    if dev is None or dev.ip is None:
        raise KernelError(ENODEV)
    if not dev.flags & 1:
        raise KernelError(_ENETDOWN, "Device for nexthop is not up")
    return dev, RT_SCOPE_HOST


def _fib_valid_prefsrc(ns: Namespace, cfg: RouteConfig) -> bool:
    """fib_valid_prefsrc(): the preferred source must be a local address (in the local table)."""
    if cfg.type == _RTN_LOCAL and cfg.dst and cfg.prefsrc == cfg.dst:
        return True
    return ns.ipv4.fib.addr_type(cfg.prefsrc) == _RTN_LOCAL


def fib_create_info(ns: Namespace, cfg: RouteConfig) -> Route:
    """fib_create_info() with fib_check_nh(): validate the nexthop, build the route."""
    if cfg.type > 11:
        raise KernelError(EINVAL, "Invalid route type")
    if _FIB_PROPS_SCOPE[cfg.type] > cfg.scope:
        raise KernelError(EINVAL, "Invalid scope")
    dev, nh_scope = None, RT_SCOPE_HOST
    if cfg.type in _TYPE_ERROR:
        if cfg.gw or cfg.oif is not None:
            raise KernelError(EINVAL, "Gateway, device and multipath can not be specified for "
                                      "this route type")
    else:
        if cfg.type not in (RTN_UNICAST, _RTN_LOCAL, _RTN_BROADCAST, _RTN_ANYCAST,
                            _RTN_MULTICAST):
            raise KernelError(EINVAL, "Invalid route type")
        if cfg.scope > RT_SCOPE_HOST:
            raise KernelError(EINVAL, "Invalid scope")
        if cfg.scope == RT_SCOPE_HOST:
            if cfg.gw:
                raise KernelError(EINVAL, "Route with host scope can not have a gateway")
            if cfg.oif is None:
                raise KernelError(ENODEV)
            dev, nh_scope = cfg.oif, _RT_SCOPE_NOWHERE
        elif cfg.gw:
            dev, nh_scope = _fib_check_nh_v4_gw(ns, cfg)
        else:
            dev, nh_scope = _fib_check_nh_nongw(cfg)
    if cfg.prefsrc and not _fib_valid_prefsrc(ns, cfg):
        raise KernelError(EINVAL, "Invalid prefsrc address")
    if cfg.metrics and cfg.metrics.get("congctl") not in (None, *TCP_CONGESTION):
        raise KernelError(ENOENT, "Unknown tcp congestion algorithm")
    r = Route(cfg.dst, cfg.dst_len, cfg.type, dev=dev, gw=cfg.gw, scope=cfg.scope,
              proto=cfg.protocol, prefsrc=cfg.prefsrc, priority=cfg.priority, tos=cfg.tos,
              table=cfg.table, metrics=dict(cfg.metrics) if cfg.metrics else None,
              onlink=bool(cfg.flags & _RTNH_F_ONLINK))
    r.nh_scope = nh_scope
    return r


def _same_fib_info(a: Route, b: Route) -> bool:
    """fib_find_info()'s identity test: the two routes would share one fib_info."""
    return (a.dev is b.dev and a.gw == b.gw and a.scope == b.scope and a.prefsrc == b.prefsrc
            and a.proto == b.proto and (a.metrics or {}) == (b.metrics or {})
            and (a.nh_flags & _RTNH_F_ONLINK) == (b.nh_flags & _RTNH_F_ONLINK))


def fib_newroute(ns: Namespace, cfg: RouteConfig) -> Route:
    """RTM_NEWROUTE: fib_nl_newroute() -> fib_table_insert(). ``cfg.nlflags`` carries
    NLM_F_CREATE / EXCL / REPLACE / APPEND as ``ip route add|change|replace|prepend|append``
    send them."""
    fib = ns.ipv4.fib
    fib.table(cfg.table, create=True)            # fib_new_table(): even if the insert fails
    _check_key_len(cfg)
    r = _fib_insert(ns, cfg, fib_create_info(ns, cfg))
    if cfg.type == _RTN_LOCAL:
        # inet_rtm_newroute(): once a user local route is in, fib_validate_source()'s fast
        # path ("is the source one of our addresses") is no longer enough (RPF-01)
        fib.has_custom_local = True
    return r


def _fib_insert(ns: Namespace, cfg: RouteConfig, r: Route) -> Route:
    """fib_table_insert()."""
    fib = ns.ipv4.fib
    t = fib.table(cfg.table)
    same = [x for x in t.aliases(r.dst, r.plen) if x.tos == r.tos and x.priority == r.priority]
    nl = cfg.nlflags
    if same:
        if nl & NLM_F_EXCL:
            raise KernelError(_EEXIST)
        match = next((x for x in same if x.type == r.type and _same_fib_info(x, r)), None)
        if nl & NLM_F_REPLACE:
            if match is not None:
                if match is same[0]:
                    return match
                raise KernelError(_EEXIST)
            fib.add(r, replace=True, excl=False)
            return r
        if match is not None:
            raise KernelError(_EEXIST)
        if not nl & NLM_F_CREATE:
            raise KernelError(ENOENT)
        fib.add(r, excl=False, append=True)
        if not nl & NLM_F_APPEND:
            # without NLM_F_APPEND the new alias goes before the first one of its key
            lst = t.aliases(r.dst, r.plen)
            lst.remove(r)
            lst.insert(lst.index(same[0]), r)
        return r
    if not nl & NLM_F_CREATE:
        raise KernelError(ENOENT)
    fib.add(r, excl=False)
    return r


def fib_delroute(ns: Namespace, cfg: RouteConfig) -> Route:
    """RTM_DELROUTE: fib_nl_delroute() -> fib_table_delete(). Unset fields match anything:
    type 0, scope RT_SCOPE_NOWHERE, protocol 0, priority 0, no gateway, no device."""
    fib = ns.ipv4.fib
    if fib.table(cfg.table) is None:
        raise KernelError(_ESRCH, "FIB table does not exist")
    _check_key_len(cfg)
    return fib.delete(cfg.dst, cfg.dst_len, table=cfg.table, tos=cfg.tos,
                      priority=cfg.priority or None, type_=cfg.type or None, dev=cfg.oif,
                      gw=cfg.gw or None, proto=cfg.protocol or None,
                      scope=None if cfg.scope == _RT_SCOPE_NOWHERE else cfg.scope,
                      prefsrc=cfg.prefsrc or None)


@_dataclass
class RouteGetResult:
    """What rt_fill_info() reports for ``RTM_GETROUTE``: one output route."""

    type: int
    dst: int
    src: int                 # the requested source (RTA_SRC), 0 if none
    prefsrc: int             # the chosen source (fl4.saddr)
    dev: NetDevice
    gw: int
    flags: int               # RTCF_* (rt_flags & ~0xFFFF)
    table: int
    metrics: dict


def _is_multicast(a: int) -> bool:
    return (a & 0xF0000000) == 0xE0000000


def route_get(ns: Namespace, daddr: int, saddr: int = 0, oif: NetDevice | None = None
              ) -> RouteGetResult:
    """RTM_GETROUTE without iif: inet_rtm_getroute() -> ip_route_output_key_hash_rcu() ->
    __mkroute_output(). Raises the lookup's KernelError (ENETUNREACH, EHOSTUNREACH, ...)."""
    ipv4 = ns.ipv4
    if saddr:
        if _is_multicast(saddr) or saddr == 0xFFFFFFFF or not saddr >> 24:
            raise KernelError(EINVAL)
        if saddr not in ipv4.local_addrs:           # __ip_dev_find() failed
            raise KernelError(_ENETUNREACH)
    route, rtype, src, dev, nexthop = ipv4.route_output(daddr, saddr, oif)
    flags, gw = 0, 0
    if rtype == _RTN_LOCAL:
        flags = RTCF_LOCAL
    elif daddr == 0xFFFFFFFF or rtype == _RTN_BROADCAST:
        rtype, flags = _RTN_BROADCAST, RTCF_LOCAL | RTCF_BROADCAST
        route = None
    elif _is_multicast(daddr):
        rtype, flags = _RTN_MULTICAST, RTCF_MULTICAST
        joined = dev is not None and dev.ip is not None and dev.flags & 1 and (
            daddr == 0xE0000001 or daddr in dev.ip.mc_list)
        if joined:
            flags |= RTCF_LOCAL
        route = None
    elif route is not None and route.nh_scope == RT_SCOPE_LINK:
        gw = route.gw                                # rt_uses_gateway (rt_set_nexthop)
    if dev is not None and dev.flags & 0x8:          # IFF_LOOPBACK (__mkroute_output)
        flags |= RTCF_LOCAL
    table = route.table if route is not None else RT_TABLE_MAIN
    if table == RT_TABLE_LOCAL:
        table = RT_TABLE_MAIN       # no custom rules: local and main are one merged trie
    return RouteGetResult(rtype, daddr, saddr, src, dev, gw, flags, table,
                          dict(route.metrics) if route is not None and route.metrics else {})


def neigh_add(ns: Namespace, dst: int, dev: NetDevice | None, lladdr: bytes | None,
              state: int, ndm_flags: int = 0, nlflags: int = NLM_F_CREATE | NLM_F_EXCL,
              protocol: int = 0) -> None:
    """RTM_NEWNEIGH: neigh_add() then __neigh_update() with NEIGH_UPDATE_F_ADMIN."""
    if dev is not None and lladdr is not None and len(lladdr) < dev.addr_len:
        raise KernelError(EINVAL, "Invalid link address")
    tbl = ns.ipv4.arp
    if ndm_flags & _NTF_PROXY:
        pneigh_table(ns)[(dst, dev)] = ndm_flags
        return
    if dev is None:
        raise KernelError(EINVAL, "Device not specified")
    n = tbl.lookup(dst, dev)
    flags = _NU_ADMIN | _NU_OVERRIDE
    if n is None:
        if not nlflags & NLM_F_CREATE:
            raise KernelError(ENOENT)
        n = tbl.create(dst, dev)
    else:
        if nlflags & NLM_F_EXCL:
            raise KernelError(_EEXIST)
        if not nlflags & NLM_F_REPLACE:
            flags &= ~_NU_OVERRIDE
    if protocol:
        n.protocol = protocol
    if state & _NUD_VALID and lladdr is None and dev.addr_len and not n.state & _NUD_VALID:
        raise KernelError(EINVAL, "No link layer address given")
    tbl.update(n, lladdr, state, flags)
    if ndm_flags & _NTF_ROUTER:
        n.flags |= _NTF_ROUTER
    elif nlflags & NLM_F_REPLACE or n.state & _NUD_VALID:
        n.flags &= ~_NTF_ROUTER


def neigh_delete(ns: Namespace, dst: int, dev: NetDevice | None, proxy: bool = False) -> None:
    """RTM_DELNEIGH: neigh_delete(): the entry goes FAILED, then leaves the table."""
    if proxy:
        if pneigh_table(ns).pop((dst, dev), None) is None:
            raise KernelError(ENOENT)
        return
    if dev is None:
        raise KernelError(EINVAL)
    tbl = ns.ipv4.arp
    n = tbl.lookup(dst, dev)
    if n is None:
        raise KernelError(ENOENT)
    tbl.update(n, None, _NUD_FAILED, _NU_OVERRIDE | _NU_ADMIN)
    tbl.remove(n)


def pneigh_table(ns: Namespace) -> dict:
    """The proxy-neighbour entries (``ip neigh add proxy``) of a netns: (address, device) ->
    ndm flags. [EMU] kept beside the ARP table; the stack's proxy ARP does not consult them."""
    tbl = ns.ipv4.arp
    p = getattr(tbl, "pneigh", None)
    if p is None:
        p = tbl.pneigh = {}
    return p
