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

    def __init__(self, seed: int = 0, trace=None, engine: Engine | None = None):
        self.kernel = Kernel(engine=engine, seed=seed, trace=trace)
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
        ipv4 = n.ipv4
        if rtype in (RTN_UNICAST, 2, 3, 4, 5):
            if gw:
                if not onlink:
                    try:
                        r = ipv4.fib.lookup(gw, oif=d, scope=sc + 1 if sc < 255 else sc)
                    except KernelError:
                        raise KernelError(ENETUNREACH_, "Nexthop has invalid gateway.") from None
                    if r.type != RTN_UNICAST:
                        raise KernelError(EINVAL, "Nexthop has invalid gateway.")
                    if d is None:
                        d = r.dev
                    elif r.dev is not d:
                        raise KernelError(EINVAL, "Nexthop has invalid gateway.")
                elif d is None:
                    raise KernelError(EINVAL, "Nexthop device required for onlink")
                if not d.flags & 1:
                    raise KernelError(ENETDOWN_, "Nexthop device is not up.")
            else:
                if d is None:
                    raise KernelError(EINVAL, "Device only routes require a device")
                if not d.flags & 1:
                    raise KernelError(ENETDOWN_, "Device for nexthop is not up.")
        prefsrc = parse_ip(src) if src else 0
        if prefsrc and not ipv4.is_local(prefsrc) and tid != RT_TABLE_LOCAL:
            raise KernelError(EINVAL, "Invalid prefsrc address.")
        r = Route(dst, plen, rtype, dev=d, gw=gw, scope=sc, proto=proto, prefsrc=prefsrc,
                  priority=metric, table=tid, metrics={"mtu": mtu} if mtu else None,
                  onlink=onlink)
        ipv4.fib.add(r, replace=replace, excl=not replace)
        return r

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
        from .wire.ethernet import mac_str
        out = []
        for (key, dev), n in self.ns(ns).ipv4.arp.entries.items():
            out.append((fmt_ip(key), dev.name, mac_str(n.ha) if n.ha else "", n.state_name))
        return out

    # -- traffic -------------------------------------------------------------------------------
    def ping(self, dst: str, ns=None, *, count: int = 1, interval: float = 1.0, size: int = 56,
             ttl: int | None = None, wait: float = 10.0, dev=None, src: str | None = None,
             run: bool = True) -> PingResult:
        """Run ``ping -c COUNT DST`` in virtual time and return what it saw."""
        n = self.ns(ns)
        p = Ping(n, parse_ip(dst), count=count, interval_ns=int(interval * SEC), size=size,
                 ttl=ttl, wait_ns=int(wait * SEC), dev=self.dev(dev, n) if dev else None,
                 src=parse_ip(src) if src else 0)
        p.start()
        if run:
            while not p.done:
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
