"""IPv4 for one netns: receive, route input, local delivery, forwarding, output, ARP and ICMP.

Paths and the kernel functions they follow:

* ``ip_rcv``        net/ipv4/ip_input.c: ip_rcv_core() - OTHERHOST drop (CORE-04), header checks,
                    checksum, trim; then ``route_input`` (route.c: ip_route_input_slow()): martian
                    checks, fib lookup, fib_validate_source() (RPF-01/02), local / broadcast /
                    forward / unreachable (ip_error()).
* ``ip_forward``    ip_forward.c: TTL (ICMP time exceeded), DF + MTU (frag needed), TTL decrement.
* ``ip_send``       local output: route.c ip_route_output_key_hash_rcu() (source selection with
                    inet_select_addr), header build, ``ip_finish_output`` -> neighbour output.
* ARP               arp.c: arp_rcv/arp_process (ARP-01..07, arp_ignore/arp_filter/arp_accept),
                    arp_solicit (arp_announce), arp_constructor.
* ICMP              icmp.c: echo reply, __icmp_send() with its suppression rules and the per-peer
                    rate limit (icmp_ratelimit / icmp_ratemask).
"""

from __future__ import annotations

import struct

from ..wire.checksum import checksum
from .errors import (EACCES, EADDRNOTAVAIL, EEXIST, EHOSTUNREACH, EINVAL, EMSGSIZE,
                     ENETUNREACH, KernelError)
from .fib import (RT_TABLE_LOCAL, RT_TABLE_MAIN, RTN_BROADCAST, RTN_LOCAL, RTN_MULTICAST,
                  RTN_UNICAST, RTNH_F_LINKDOWN, RTPROT_KERNEL, Fib, Route)
from .inet import (CONF_ALL_DEFAULTS, CONF_DEFAULTS, CONF_READONLY, IFA_F_SECONDARY,
                   RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_NOWHERE, RT_SCOPE_UNIVERSE, IfAddr,
                   InDevice, effective)
from .neigh import (NEIGH_UPDATE_F_OVERRIDE, NUD_CONNECTED, NUD_NOARP, NUD_REACHABLE, NUD_STALE,
                    NUD_VALID, NeighTable)
from .netdev import (IFF_LOOPBACK, IFF_NOARP, IFF_POINTOPOINT, IFF_UP, NETDEV_CHANGE,
                     NETDEV_CHANGEADDR, NETDEV_CHANGEMTU, NETDEV_CHANGENAME, NETDEV_DOWN,
                     NETDEV_REGISTER, NETDEV_UNREGISTER, NETDEV_UP, dev_queue_xmit)
from .skb import (PACKET_BROADCAST, PACKET_HOST, PACKET_LOOPBACK, PACKET_MULTICAST,
                  PACKET_OTHERHOST, Skb)

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
IPPROTO_ICMP = 1
IPPROTO_TCP = 6
IPPROTO_UDP = 17

IP_DF = 0x4000
IP_MF = 0x2000
IP_OFFSET = 0x1FFF

# route cache flags on skb.dst
RTCF_LOCAL = 0x80000000
RTCF_BROADCAST = 0x10000000
RTCF_MULTICAST = 0x20000000
RTCF_FORWARD = 0x1

ICMP_ECHOREPLY = 0
ICMP_DEST_UNREACH = 3
ICMP_REDIRECT = 5
ICMP_ECHO = 8
ICMP_TIME_EXCEEDED = 11
ICMP_PARAMETERPROB = 12
ICMP_NET_UNREACH = 0
ICMP_HOST_UNREACH = 1
ICMP_PROT_UNREACH = 2
ICMP_PORT_UNREACH = 3
ICMP_FRAG_NEEDED = 4
ICMP_PKT_FILTERED = 13
ICMP_EXC_TTL = 0
ICMP_ERROR_TYPES = {ICMP_DEST_UNREACH, 4, ICMP_REDIRECT, ICMP_TIME_EXCEEDED, ICMP_PARAMETERPROB}
IPTOS_PREC_INTERNETCONTROL = 0xC0

_IPH = struct.Struct("!BBHHHBBHII")
_TTL_CSUM = struct.Struct("!BBH")
_ARP = struct.Struct("!HHBBH6sI6sI")

SEC = 1_000_000_000
RT_ERROR_COST = SEC                 # net.ipv4.route.error_cost (HZ)
IP_RT_MIN_PMTU = 552                # net.ipv4.route.min_pmtu
IP_RT_MTU_EXPIRES = 600 * SEC       # net.ipv4.route.mtu_expires
RT_ERROR_BURST = 5 * SEC            # net.ipv4.route.error_burst (5 * HZ)
INADDR_LOOPBACK = 0x7F000001
INADDR_BROADCAST = 0xFFFFFFFF


def _is_multicast(a: int) -> bool:
    return (a & 0xF0000000) == 0xE0000000


def _is_loopback(a: int) -> bool:
    return (a & 0xFF000000) == 0x7F000000


def _is_zeronet(a: int) -> bool:
    return (a & 0xFF000000) == 0


def ip_build(src: int, dst: int, proto: int, payload: bytes, ttl: int, tos: int = 0,
             ident: int = 0, frag: int = 0) -> bytes:
    hdr = _IPH.pack(0x45, tos, 20 + len(payload), ident, frag, ttl, proto, 0, src, dst)
    n = int.from_bytes(hdr, "big") % 0xFFFF
    c = (~n & 0xFFFF) if n else 0
    if not any(hdr):
        c = 0xFFFF
    return hdr[:10] + c.to_bytes(2, "big") + hdr[12:] + payload


class RawSocket:
    """A raw IPv4 socket for one protocol (iputils ping uses one for ICMP): receives a copy of
    every packet of that protocol delivered locally; ``on_packet(ip_bytes, skb)``."""

    __slots__ = ("proto", "on_packet", "bound_dev", "closed")

    def __init__(self, proto: int, on_packet, bound_dev=None):
        self.proto = proto
        self.on_packet = on_packet
        self.bound_dev = bound_dev
        self.closed = False


class IPv4:
    """The IPv4 state and paths of one network namespace."""

    def __init__(self, ns):
        self.ns = ns
        self.kernel = ns.kernel
        self.engine = ns.kernel.engine
        # devinet_init_net(): with net.core.devconf_inherit_init_net = 0 (the default) a new
        # netns copies init_net's current all/default values, not the compiled-in ones
        init = getattr(ns.kernel, "init_ns", None)
        if init is not None and init.ipv4 is not None:
            self.conf_all = dict(init.ipv4.conf_all)
            self.conf_default = dict(init.ipv4.conf_default)
        else:
            self.conf_all = dict(CONF_ALL_DEFAULTS)
            self.conf_default = dict(CONF_DEFAULTS)
        self.sysctl = {
            "ip_default_ttl": 64, "icmp_echo_ignore_all": 0, "icmp_echo_ignore_broadcasts": 1,
            "icmp_ratelimit": 1000, "icmp_ratemask": 6168, "icmp_errors_use_inbound_ifaddr": 0,
            "icmp_ignore_bogus_error_responses": 1, "icmp_msgs_per_sec": 1000,
            "icmp_msgs_burst": 50, "ip_no_pmtu_disc": 0, "ip_forward_use_pmtu": 0,
        }
        self.fib = Fib(self)
        self.arp = NeighTable(self)
        self.local_addrs: dict[int, int] = {}     # address -> number of devices holding it
        self.raw: dict[int, list[RawSocket]] = {}
        self.protos: dict = {IPPROTO_ICMP: self.icmp_rcv}
        self.ipvs_in = None                       # IPVS LOCAL_IN hook (stack/ipvs.py), when loaded
        self.ipvs_fwd = None                      # IPVS FORWARD hook (NAT replies)
        from .tcp import tcp_init   # UDP and TCP register in protos, with their ICMP error handlers
        from .udp import udp_init
        udp_init(self)
        tcp_init(self)
        self.peers: dict[int, list] = {}          # inet_peer rate-limit state
        self.icmp_global = [0, None]              # icmp_global_credit, icmp_global_stamp
        self.ident = self.kernel.rng.getrandbits(16)
        self.forwarded = 0                        # IpForwDatagrams
        self.cached: set = set()                  # in_devs whose input route cache is filled
        self.ocache: dict = {}                    # output route cache (daddr, saddr, oif, tos)
        self.pmtu: dict = {}                      # daddr -> (path mtu, expiry): PMTU exceptions
        ns.ptype[ETH_P_IP] = self.ip_rcv
        ns.ptype[ETH_P_ARP] = self.arp_rcv

    # ======================================================================================
    # sysctl
    # ======================================================================================
    def conf_write(self, target: str, key: str, value: int) -> None:
        """net.ipv4.conf.{all,default,DEV}.KEY = value (SYS-00, SYS-00b)."""
        if key not in CONF_DEFAULTS:
            raise KernelError(ENOENT_)
        if key in CONF_READONLY:
            raise KernelError(EPERM_)
        if target == "all":
            self.conf_all[key] = value
            if key == "forwarding":
                # inet_forward_change(): also all.accept_redirects = !forwarding
                self.conf_all["accept_redirects"] = 0 if value else 1
                self.conf_default[key] = value
                for dev in self.ns.devices:
                    if dev.ip is not None:
                        dev.ip.conf[key] = value
            self.route_cache_flush()
            return
        if target == "default":
            self.conf_default[key] = value
            if key != "forwarding":
                for dev in self.ns.devices:
                    if dev.ip is not None and key not in dev.ip.conf_set:
                        dev.ip.conf[key] = value
            return
        dev = self.ns.get(target)
        if dev is None or dev.ip is None:
            raise KernelError(ENOENT_)
        dev.ip.conf[key] = value
        dev.ip.conf_set.add(key)
        self.route_cache_flush()

    def conf_read(self, target: str, key: str) -> int:
        if key not in CONF_DEFAULTS:
            raise KernelError(ENOENT_)
        if target == "all":
            return self.conf_all[key]
        if target == "default":
            return self.conf_default[key]
        dev = self.ns.get(target)
        if dev is None or dev.ip is None:
            raise KernelError(ENOENT_)
        return dev.ip.conf[key]

    @property
    def ip_forward(self) -> int:
        return self.conf_all["forwarding"]

    def eff(self, in_dev: InDevice, key: str) -> int:
        return effective(self, in_dev, key)

    def route_cache_flush(self) -> None:
        self.ocache.clear()
        for in_dev in self.cached:
            in_dev.rcache.clear()
        self.cached.clear()

    # ======================================================================================
    # device events (inetdev_event, fib_netdev_event, arp_netdev_event)
    # ======================================================================================
    def netdev_event(self, event: str, dev, **info) -> None:
        if event == NETDEV_REGISTER:
            if dev.mtu >= 68 or dev.flags & IFF_LOOPBACK:
                dev.ip = InDevice(dev, self.conf_default)
                if dev.flags & IFF_LOOPBACK:
                    dev.ip.conf["disable_policy"] = 1
                    dev.ip.conf["disable_xfrm"] = 1
                    dev.ip.conf_set.update(("disable_policy", "disable_xfrm"))   # IN_DEV_CONF_SET
            return
        in_dev = dev.ip
        if in_dev is None:
            return
        if event == NETDEV_UP:
            if dev.flags & IFF_LOOPBACK and not in_dev.find(INADDR_LOOPBACK):
                # inetdev_event(): ipv4_devconf_setall() marks every lo key as written, so
                # later writes of `default` no longer reach lo (SYS-00)
                in_dev.conf_set.update(CONF_DEFAULTS)
                self.addr_add(dev, IfAddr(dev, INADDR_LOOPBACK, 8, scope=RT_SCOPE_HOST))
            for ifa in list(in_dev.ifa_list):
                self.fib_add_ifaddr(ifa)
            self.route_cache_flush()
        elif event == NETDEV_DOWN:
            # fib_disable_ip(): nexthops through dev die, except host-scope ones (local routes)
            self.fib.remove_where(lambda r: r.dev is dev and r.nh_scope != RT_SCOPE_NOWHERE
                                  and r.scope != RT_SCOPE_HOST)
            self.fib.remove_where(lambda r: r.dev is dev and r.type == RTN_BROADCAST)
            self.arp.flush_dev(dev)
            self.route_cache_flush()
        elif event == NETDEV_CHANGE:
            for r in self.fib.all_routes():
                if r.dev is dev and r.scope != RT_SCOPE_HOST:
                    if dev.carrier:
                        r.nh_flags &= ~RTNH_F_LINKDOWN
                    else:
                        r.nh_flags |= RTNH_F_LINKDOWN
            if not dev.carrier and self.eff(in_dev, "arp_evict_nocarrier"):
                self.arp.flush_dev(dev, skip_perm=True)
            self.route_cache_flush()
        elif event == NETDEV_UNREGISTER:
            while in_dev.ifa_list:      # inetdev_destroy(): the head, until none is left
                self.addr_del(dev, in_dev.ifa_list[0], notify=False)
            self.fib.remove_where(lambda r: r.dev is dev)
            self.arp.flush_dev(dev)
            dev.ip = None
            self.route_cache_flush()
        elif event == NETDEV_CHANGEADDR:
            self.arp.flush_dev(dev, skip_perm=True)
        elif event == NETDEV_CHANGENAME:
            # inetdev_changename(): the first address takes the new name, the others keep
            # their ':alias' suffix (or get ':N', N their position), cut to fit IFNAMSIZ
            for named, ifa in enumerate(in_dev.ifa_list, 1):
                old = ifa.label or ""
                if named == 1:
                    ifa.label = dev.name
                    continue
                dot = old[old.index(":"):] if ":" in old else f":{named}"
                name, suffix = (x.encode("utf-8", "surrogateescape") for x in (dev.name, dot))
                if len(suffix) + len(name) < 16:
                    ifa.label = dev.name + dot
                else:
                    ifa.label = (name[:max(0, 15 - len(suffix))] + suffix).decode(
                        "utf-8", "surrogateescape")
        elif event == NETDEV_CHANGEMTU:
            if dev.mtu < 68 and not dev.flags & IFF_LOOPBACK:
                while in_dev.ifa_list:  # inetdev_destroy()
                    self.addr_del(dev, in_dev.ifa_list[0])
            self.route_cache_flush()

    # ======================================================================================
    # addresses
    # ======================================================================================
    def addr_add(self, dev, ifa: IfAddr) -> None:
        """__inet_insert_ifa()."""
        in_dev = dev.ip
        if in_dev is None:
            raise KernelError(ENOBUFS_)
        if ifa.local == 0:
            raise KernelError(EINVAL)
        last_primary = 0
        for i, a in enumerate(in_dev.ifa_list):
            if not a.flags & IFA_F_SECONDARY and ifa.scope <= a.scope:
                last_primary = i + 1
            if a.mask == ifa.mask and a.match(ifa.address):
                if a.local == ifa.local:
                    raise KernelError(EEXIST, "ipv4: Address already assigned.")
                if a.scope != ifa.scope:
                    raise KernelError(EINVAL, "ipv4: Invalid scope value.")
                ifa.flags |= IFA_F_SECONDARY
        self.kernel.notify("IFA_VALIDATE", dev, ifa=ifa)
        if ifa.flags & IFA_F_SECONDARY:
            in_dev.ifa_list.append(ifa)
        else:
            in_dev.ifa_list.insert(last_primary, ifa)
        ifa.cstamp = ifa.tstamp = self.engine.now
        self.local_addrs[ifa.local] = self.local_addrs.get(ifa.local, 0) + 1
        self.fib_add_ifaddr(ifa)
        self.kernel.notify("IFA_UP", dev, ifa=ifa)
        self.route_cache_flush()

    def addr_del(self, dev, ifa: IfAddr, notify: bool = True) -> None:
        """__inet_del_ifa(): deleting a primary deletes its secondaries (promote_secondaries=0)."""
        in_dev = dev.ip
        if ifa not in in_dev.ifa_list:
            raise KernelError(EADDRNOTAVAIL)
        # the secondaries of a deleted primary go first, while the primary is still listed
        victims = [ifa]
        promoted = None
        subs: list[IfAddr] = []
        if not ifa.flags & IFA_F_SECONDARY:
            subs = [a for a in in_dev.ifa_list if a.flags & IFA_F_SECONDARY
                    and a.mask == ifa.mask and ifa.match(a.address)]
            if subs and self.eff(in_dev, "promote_secondaries"):
                promoted = subs[0]
            else:
                victims = subs + victims
        for v in victims:
            in_dev.ifa_list.remove(v)
            c = self.local_addrs.get(v.local, 0) - 1
            if c > 0:
                self.local_addrs[v.local] = c
            else:
                self.local_addrs.pop(v.local, None)
            self.fib_del_ifaddr(v)
            self.kernel.notify("IFA_DOWN", dev, ifa=v)
        if promoted is not None:
            # the promoted address moves behind the last primary and its subnet's routes are
            # added back with the new preferred source (NETDEV_UP + fib_add_ifaddr)
            in_dev.ifa_list.remove(promoted)
            promoted.flags &= ~IFA_F_SECONDARY
            pos = 0
            for i, a in enumerate(in_dev.ifa_list):
                if not a.flags & IFA_F_SECONDARY:
                    pos = i + 1
            in_dev.ifa_list.insert(pos, promoted)
            for a in subs:
                self.fib_add_ifaddr(a)
        elif not in_dev.ifa_list:
            # fib_inetaddr_event(): the last address is gone, so IP on the device is disabled:
            # every route through it dies (fib_disable_ip(dev, force)) and its ARP cache goes
            self.fib.remove_where(lambda r: r.dev is dev)
            self.arp.flush_dev(dev)
        self.route_cache_flush()

    def _prim(self, ifa: IfAddr) -> IfAddr:
        if not ifa.flags & IFA_F_SECONDARY:
            return ifa
        for a in ifa.dev.ip.ifa_list:
            if not a.flags & IFA_F_SECONDARY and a.mask == ifa.mask and a.match(ifa.address):
                return a
        return ifa

    def _magic(self, type_: int, dst: int, plen: int, ifa: IfAddr, prim: IfAddr,
               priority: int = 0) -> None:
        table = RT_TABLE_MAIN if type_ == RTN_UNICAST else RT_TABLE_LOCAL
        scope = RT_SCOPE_HOST if type_ == RTN_LOCAL else RT_SCOPE_LINK
        r = Route(dst, plen, type_, dev=ifa.dev, scope=scope, proto=RTPROT_KERNEL,
                  prefsrc=prim.local, priority=priority, table=table)
        try:
            self.fib.add(r, excl=False, append=True)
        except KernelError:
            pass

    def fib_add_ifaddr(self, ifa: IfAddr) -> None:
        dev = ifa.dev
        prim = self._prim(ifa)
        self._magic(RTN_LOCAL, ifa.local, 32, ifa, prim)
        if not dev.flags & IFF_UP:
            return
        if ifa.broadcast and ifa.broadcast != INADDR_BROADCAST:
            self._magic(RTN_BROADCAST, ifa.broadcast, 32, ifa, prim)
        prefix = ifa.address & ifa.mask
        if not _is_zeronet(prefix) and not ifa.flags & IFA_F_SECONDARY and \
                (prefix != ifa.local or ifa.prefixlen < 32):
            if not ifa.flags & 0x200:  # IFA_F_NOPREFIXROUTE
                self._magic(RTN_LOCAL if dev.flags & IFF_LOOPBACK else RTN_UNICAST, prefix,
                            ifa.prefixlen, ifa, prim, ifa.rt_priority)
            # the network broadcast address, "when it makes sense" (also with noprefixroute)
            if ifa.prefixlen < 31:
                self._magic(RTN_BROADCAST, prefix | (~ifa.mask & 0xFFFFFFFF), 32, ifa, prim)

    def _local_table_implied(self, ifa: IfAddr, prim: IfAddr) -> set:
        """(type, dst, prefsrc) of the local-table routes fib_add_ifaddr() adds for ``ifa``."""
        out = {(RTN_LOCAL, ifa.local, prim.local)}
        if ifa.dev.flags & IFF_UP:
            if ifa.broadcast and ifa.broadcast != INADDR_BROADCAST:
                out.add((RTN_BROADCAST, ifa.broadcast, prim.local))
            prefix = ifa.address & ifa.mask
            if not _is_zeronet(prefix) and not ifa.flags & IFA_F_SECONDARY and \
                    ifa.prefixlen < 31:
                out.add((RTN_BROADCAST, prefix | (~ifa.mask & 0xFFFFFFFF), prim.local))
        return out

    def fib_del_ifaddr(self, ifa: IfAddr) -> None:
        """fib_del_ifaddr(): remove the local/broadcast routes this address implied, unless another
        address of the device (with the same preferred source) still implies them."""
        dev = ifa.dev
        fib = self.fib
        gone = self._local_table_implied(ifa, self._prim(ifa))
        for a in dev.ip.ifa_list:
            gone -= self._local_table_implied(a, self._prim(a))
        if gone:
            fib.remove_where(lambda r: r.table == RT_TABLE_LOCAL and r.dev is dev and r.plen == 32
                             and r.proto == RTPROT_KERNEL and (r.type, r.dst, r.prefsrc) in gone)
        if not ifa.flags & IFA_F_SECONDARY:
            prefix = ifa.address & ifa.mask
            fib.remove_where(lambda r: r.proto == RTPROT_KERNEL and r.dev is dev
                             and r.dst == prefix and r.plen == ifa.prefixlen
                             and r.prefsrc == ifa.local)
        # routes whose preferred source vanished die too (fib_sync_down_addr)
        if ifa.local not in self.local_addrs:
            fib.remove_where(lambda r: r.prefsrc == ifa.local)

    def is_local(self, addr: int) -> bool:
        return addr in self.local_addrs

    def select_addr(self, dev, dst: int, scope: int) -> int:
        """inet_select_addr()."""
        in_dev = dev.ip if dev is not None else None
        addr = 0
        if in_dev is not None:
            localnet_scope = RT_SCOPE_LINK if self.eff(in_dev, "route_localnet") else RT_SCOPE_HOST
            for ifa in in_dev.ifa_list:
                if ifa.flags & IFA_F_SECONDARY:
                    continue
                if min(ifa.scope, localnet_scope) > scope:
                    continue
                if not dst or ifa.match(dst):
                    return ifa.local
                if not addr:
                    addr = ifa.local
            if addr:
                return addr
        for d in self.ns.devices:
            if d.ip is None:
                continue
            for ifa in d.ip.ifa_list:
                if not ifa.flags & IFA_F_SECONDARY and ifa.scope != RT_SCOPE_LINK \
                        and ifa.scope <= scope:
                    return ifa.local
        return 0

    # ======================================================================================
    # receive
    # ======================================================================================
    def _drop(self, skb, dev, reason: str, rule: str | None = None) -> None:
        tr = self.kernel.trace
        if tr is not None:
            tr.drop(self.engine.now, self.ns, dev, skb, reason, rule)

    def ip_rcv(self, skb: Skb) -> None:
        dev = skb.dev
        if skb.pkt_type == PACKET_OTHERHOST:
            dev.rx_otherhost_dropped += 1
            return self._drop(skb, dev, "OTHERHOST", "CORE-04")
        data = skb.data
        m = skb.mac_len
        try:
            vihl, tos, tot, ident, frag, ttl, proto, csum, saddr, daddr = _IPH.unpack_from(data, m)
        except struct.error:
            return self._drop(skb, dev, "PKT_TOO_SMALL")
        if vihl == 0x45:
            ihl = 20
        else:
            ihl = (vihl & 15) << 2
            if vihl >> 4 != 4 or ihl < 20:
                return self._drop(skb, dev, "IP_INHDR")
        n = len(data) - m
        if n < tot or tot < ihl:
            return self._drop(skb, dev, "PKT_TOO_SMALL")
        if int.from_bytes(data[m:m + ihl], "big") % 0xFFFF:
            return self._drop(skb, dev, "IP_CSUM")
        if n > tot:
            skb.data = data = data[:m + tot]
        in_dev = dev.ip
        if in_dev is None:
            return self._drop(skb, dev, "NOT_SPECIFIED")
        ent = skb.dst
        if ent is not None:
            # looped back by lo: the output route is kept (skb_valid_dst), no input lookup
            if ent[0] & RTCF_LOCAL:
                return self.ip_local_deliver(skb, m, ihl, proto, saddr, daddr, frag)
            skb.dst = None
        # route input, cached per (device, daddr): [flags, route, neighbour, must_validate]
        ent = in_dev.rcache.get(daddr)
        if ent is None:
            ent = self.route_input(skb, daddr, saddr, tos, dev, in_dev)
            if ent is None:
                return
        flags = ent[0]
        # martian sources, then fib_validate_source() unless its fast path applies (RPF-01)
        if saddr >= 0xE0000000 or saddr < 0x01000000 or (saddr >> 24) == 127:
            if not self._source_ok_martian(saddr, dev, in_dev, flags):
                return self._drop(skb, dev, "IP_INVALID_SOURCE")
        if ent[3] or saddr in self.local_addrs:
            route = ent[1]
            if saddr and not self.validate_source(skb, saddr, daddr, dev, in_dev,
                                                  route.dev if flags & RTCF_FORWARD else None):
                local = saddr in self.local_addrs
                return self._drop(skb, dev, "IP_LOCAL_SOURCE" if local else "IP_RPFILTER",
                                  "RPF-01" if local else "RPF-02")
        skb.dst = ent
        if flags & RTCF_FORWARD:
            return self.ip_forward(skb, ent, m, ttl, proto, frag, tot)
        return self.ip_local_deliver(skb, m, ihl, proto, saddr, daddr, frag)

    def _source_ok_martian(self, saddr: int, dev, in_dev, flags: int) -> bool:
        if _is_multicast(saddr) or saddr == INADDR_BROADCAST:
            return False
        if saddr == 0:
            return bool(flags & RTCF_BROADCAST)
        if _is_loopback(saddr) and not dev.flags & IFF_LOOPBACK and \
                not self.eff(in_dev, "route_localnet"):
            return False
        return True

    def route_input(self, skb, daddr: int, saddr: int, tos: int, dev, in_dev):
        """ip_route_input_slow(): returns (flags, route) or None after handling a drop."""
        if daddr == INADDR_BROADCAST or (saddr == 0 and daddr == 0):
            return [RTCF_LOCAL | RTCF_BROADCAST, None, None, self._must_validate(in_dev, None, dev)]
        if _is_multicast(daddr):
            if daddr == 0xE0000001 or daddr in in_dev.mc_list:
                return [RTCF_LOCAL | RTCF_MULTICAST, None, None,
                        self._must_validate(in_dev, None, dev)]
            self._drop(skb, dev, "IP_INADDRERRORS")
            return None
        if _is_zeronet(daddr):
            self._drop(skb, dev, "IP_INVALID_DEST")
            return None
        if _is_loopback(daddr) and not dev.flags & IFF_LOOPBACK and \
                not self.eff(in_dev, "route_localnet"):
            self._drop(skb, dev, "IP_INVALID_DEST")
            return None
        forwarding = in_dev.conf["forwarding"]
        try:
            r = self.fib.lookup(daddr, tos=tos,
                                ignore_linkdown=bool(self.eff(in_dev, "ignore_routes_with_linkdown")))
        except KernelError as e:
            err = e.errno if forwarding else EHOSTUNREACH
            self.ip_error(skb, dev, err, forwarding)
            return None
        if r.type == RTN_BROADCAST:
            res = [RTCF_LOCAL | RTCF_BROADCAST, r, None, self._must_validate(in_dev, None, dev)]
        elif r.type == RTN_LOCAL:
            res = [RTCF_LOCAL, r, None, self._must_validate(in_dev, None, dev)]
        elif not forwarding:
            self.ip_error(skb, dev, EHOSTUNREACH, False)
            return None
        elif r.type != RTN_UNICAST:
            self._drop(skb, dev, "IP_INVALID_DEST")
            return None
        else:
            res = [RTCF_FORWARD, r, None, self._must_validate(in_dev, r.dev, dev)]
        in_dev.rcache[daddr] = res
        self.cached.add(in_dev)
        return res

    def _must_validate(self, in_dev, out_dev, dev) -> bool:
        """Whether fib_validate_source() must run its full check for this route (not only the
        "is the source one of our addresses" fast path)."""
        return bool(self.eff(in_dev, "rp_filter") or self.fib.has_custom_local
                    or (out_dev is dev and self.eff(in_dev, "send_redirects")))

    def ip_error(self, skb, dev, err: int, forwarding: bool) -> None:
        """ip_error(): ICMP unreachable for a failed input route, only when forwarding."""
        if not forwarding:
            return self._drop(skb, dev, "IP_INADDRERRORS" if err == EHOSTUNREACH
                              else "IP_INNOROUTES")
        code = {EHOSTUNREACH: ICMP_HOST_UNREACH, ENETUNREACH: ICMP_NET_UNREACH,
                EACCES: ICMP_PKT_FILTERED}.get(err)
        if code is not None and self._rt_error_allow(skb):
            skb.dst = [RTCF_FORWARD, None, None, False]
            self.icmp_send(skb, ICMP_DEST_UNREACH, code)
        self._drop(skb, dev, "IP_INNOROUTES")

    def _rt_error_allow(self, skb) -> bool:
        """ip_error()'s own limit on the sender's inet_peer, before icmp_send() applies the ICMP
        one to the same tokens: burst net.ipv4.route.error_burst (5 s), cost error_cost (1 s).
        So a new peer gets 2 unreachables in a burst (observed on 6.18), then one per 2 s."""
        p = self._peer(int.from_bytes(skb.data[skb.mac_len + 12:skb.mac_len + 16], "big"))
        now = self.engine.now
        token = min(p[0] + now - p[1], RT_ERROR_BURST)
        p[1] = now
        if token < RT_ERROR_COST:
            p[0] = token
            return False
        p[0] = token - RT_ERROR_COST
        return True

    def validate_source(self, skb, saddr: int, daddr: int, dev, in_dev, oif_dev) -> bool:
        """fib_validate_source() (RPF-01, RPF-02). True when the source is acceptable."""
        rpf = self.eff(in_dev, "rp_filter")
        accept_local = self.eff(in_dev, "accept_local")
        if not rpf and (oif_dev is not dev or not self.eff(in_dev, "send_redirects")):
            if accept_local:
                return True
            if self.fib.has_custom_local:
                return self._validate_full(saddr, daddr, dev, in_dev, rpf, accept_local)
            return saddr not in self.local_addrs
        return self._validate_full(saddr, daddr, dev, in_dev, rpf, accept_local)

    def _validate_full(self, saddr, daddr, dev, in_dev, rpf, accept_local) -> bool:
        try:
            r = self.fib.lookup(saddr)
        except KernelError:
            return not rpf
        if r.type != RTN_UNICAST and (r.type != RTN_LOCAL or not accept_local):
            return False
        if r.dev is dev or (r.type == RTN_LOCAL and dev.flags & IFF_LOOPBACK):
            return True
        if not in_dev.ifa_list:
            return not rpf
        if rpf == 1:
            return False
        return True

    # ---- local delivery --------------------------------------------------------------------
    def ip_local_deliver(self, skb, m: int, ihl: int, proto: int, saddr: int, daddr: int,
                         frag: int) -> None:
        if frag & (IP_MF | IP_OFFSET):
            skb = self.defrag(skb, m)
            if skb is None:
                return
        if self.ipvs_in is not None and self.ipvs_in(skb, m, ihl, proto, saddr, daddr):
            return
        tr = self.kernel.trace
        if tr is not None:
            tr.hop(self.engine.now, self.ns, skb.dev, skb, "ip_local_deliver", f"proto {proto}")
        data = skb.data
        raws = self.raw.get(proto)
        if raws:
            ip = data[m:]
            for s in raws:
                if not s.closed and (s.bound_dev is None or s.bound_dev is skb.dev):
                    s.on_packet(ip, skb)
        fn = self.protos.get(proto)
        if fn is not None:
            return fn(skb, m, ihl, saddr, daddr)
        if raws:
            return
        if proto == IPPROTO_TCP:
            # [EMU] tcp_v4_rcv() is always registered and answers a RST (tcp_v4_send_reset);
            # without a TCP module here the segment is dropped, never protocol-unreachable
            return self._drop(skb, skb.dev, "NO_SOCKET")
        self.icmp_send(skb, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH)
        self._drop(skb, skb.dev, "IP_NOPROTO")

    def defrag(self, skb, m: int):
        """ip_defrag(): reassemble fragments (queue keyed by src, dst, id, proto; 30 s timeout)."""
        data = skb.data
        vihl, tos, tot, ident, frag, ttl, proto, csum, saddr, daddr = _IPH.unpack_from(data, m)
        ihl = (vihl & 15) << 2
        key = (saddr, daddr, ident, proto)
        q = self.__dict__.setdefault("_frags", {})
        ent = q.get(key)
        if ent is None:
            ent = q[key] = {"parts": {}, "last": None, "first": None,
                            "timer": self.engine.call_later(30 * SEC, q.pop, key, None)}
        off = (frag & IP_OFFSET) * 8
        ent["parts"][off] = data[m + ihl:m + tot]
        if off == 0:
            ent["first"] = data[m:m + ihl]
        if not frag & IP_MF:
            ent["last"] = off + tot - ihl
        if ent["last"] is None or ent["first"] is None:
            return None
        buf = b""
        for o in sorted(ent["parts"]):
            if o != len(buf):
                if o > len(buf):
                    return None
                buf = buf[:o]
            buf += ent["parts"][o]
        if len(buf) < ent["last"]:
            return None
        ent["timer"].cancel()
        del q[key]
        hdr = ent["first"]
        h = bytearray(hdr)
        total = len(hdr) + len(buf)
        h[2:4] = total.to_bytes(2, "big")
        h[6:8] = b"\x00\x00"
        h[10:12] = b"\x00\x00"
        h[10:12] = checksum(bytes(h)).to_bytes(2, "big")
        skb.data = data[:m] + bytes(h) + buf
        return skb

    # ---- forwarding --------------------------------------------------------------------------
    def ip_forward(self, skb, ent, m: int, ttl: int, proto: int, frag: int, tot: int) -> None:
        dev = skb.dev
        if skb.pkt_type != PACKET_HOST:
            return self._drop(skb, dev, "OTHERHOST")
        if ttl <= 1:
            self.icmp_send(skb, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL)
            return self._drop(skb, dev, "IP_INHDR")
        route = ent[1]
        out = route.dev
        mtu = route.metrics.get("mtu") or out.mtu if route.metrics else out.mtu
        if tot > mtu and frag & IP_DF:
            self.icmp_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu)
            return self._drop(skb, dev, "PKT_TOO_BIG")
        if self.ipvs_fwd is not None and self.ipvs_fwd(skb, m):
            return
        data = skb.data
        # ip_decrease_ttl(): incremental checksum update
        c = ((data[m + 10] << 8) | data[m + 11]) + 0x0100
        c = (c + (c >> 16)) & 0xFFFF
        mid = _TTL_CSUM.pack(ttl - 1, proto, c)
        self.forwarded += 1
        skb.priority = 0
        tr = self.kernel.trace
        if tr is not None:
            tr.hop(self.engine.now, self.ns, dev, skb, "forward", repr(route))
        n = ent[2]
        if n is None or n.dead:
            # rt_set_nexthop(): the gateway is used only with a link-scope nexthop (a gateway
            # that is a local address has host scope: the destination is reached directly)
            nh = (route.gw if route.gw and route.nh_scope == RT_SCOPE_LINK
                  else int.from_bytes(data[m + 16:m + 20], "big"))
            n = self.arp.entries.get((nh, out))
            if n is None:
                n = self.arp.create(nh, out)
            ent[2] = n
        hh = n.hh
        if hh is not None and tot <= out.mtu and out.qdisc_active and not out.ptype_all \
                and out.egress_hook is None:
            skb.data = b"".join((hh, data[m:m + 8], mid, data[m + 12:]))
            skb.mac_len = len(hh)           # 0 on an L3 device (ipip, tun): hh is empty
            skb.dev = out
            skb.protocol = ETH_P_IP
            out.ndo_start_xmit(skb)
            return
        skb.data = data[m:m + 8] + mid + data[m + 12:]
        skb.mac_len = 0
        self.ip_finish_output(skb, out, n.key)

    # ======================================================================================
    # output
    # ======================================================================================
    def route_output(self, daddr: int, saddr: int = 0, oif=None, tos: int = 0,
                     anysrc: bool = False):
        """ip_route_output_key_hash_rcu(): (route or None, type, saddr, dev_out, nexthop)."""
        if saddr:
            if _is_multicast(saddr) or saddr == INADDR_BROADCAST or _is_zeronet(saddr):
                raise KernelError(EINVAL)
            if not anysrc and saddr not in self.local_addrs:
                raise KernelError(EINVAL)
        if oif is not None:
            if not oif.flags & IFF_UP or oif.ip is None:
                raise KernelError(ENETUNREACH)
            if daddr == INADDR_BROADCAST or (daddr & 0xFFFFFF00) == 0xE0000000:
                if not saddr:
                    saddr = self.select_addr(oif, 0, RT_SCOPE_LINK)
                return (None, RTN_BROADCAST if daddr == INADDR_BROADCAST else RTN_MULTICAST,
                        saddr, oif, daddr)
            if not saddr and _is_multicast(daddr):
                saddr = self.select_addr(oif, 0, RT_SCOPE_LINK)
        if not daddr:
            daddr = saddr or INADDR_LOOPBACK
            if not saddr:
                saddr = INADDR_LOOPBACK
            return (None, RTN_LOCAL, saddr, self.ns.lo, daddr)
        try:
            r = self.fib.lookup(daddr, oif=oif, tos=tos)
        except KernelError as e:
            if oif is not None and e.errno == ENETUNREACH:
                # "assume the destination is on link"
                if not saddr:
                    saddr = self.select_addr(oif, 0, RT_SCOPE_LINK)
                return (None, RTN_UNICAST, saddr, oif, daddr)
            raise
        if r.type == RTN_LOCAL:
            if not saddr:
                saddr = r.prefsrc or daddr
            return (r, RTN_LOCAL, saddr, self.ns.lo, daddr)
        if not saddr:
            # fib_result_prefsrc(): inet_select_addr() with the route's own scope
            saddr = r.prefsrc or self.select_addr(r.dev, r.gw, r.scope)
        if r.type == RTN_BROADCAST:
            return (r, RTN_BROADCAST, saddr, r.dev, daddr)
        # rt_set_nexthop(): only a link-scope nexthop makes the gateway the next hop
        return (r, r.type, saddr, r.dev,
                r.gw if r.gw and r.nh_scope == RT_SCOPE_LINK else daddr)

    def next_ident(self) -> int:
        self.ident = (self.ident + 1) & 0xFFFF
        return self.ident

    def ip_send(self, daddr: int, proto: int, payload: bytes, saddr: int = 0, oif=None,
                tos: int = 0, ttl: int | None = None, df: bool = True, ident: int | None = None,
                sk=None, mark: int = 0, frag_ok: bool = False) -> Skb:
        """Build and send one locally generated IPv4 packet. Raises KernelError when routing
        fails (ENETUNREACH, EHOSTUNREACH, EINVAL, EACCES) or the packet is too big with DF.
        ``frag_ok`` is IP_PMTUDISC_WANT (the socket default): DF only on a packet that fits the
        MTU, a bigger one is fragmented locally (__ip_make_skb(): ignore_df)."""
        key = (daddr, saddr, oif, tos)
        ent = self.ocache.get(key)
        if ent is None:
            route, rtype, src, dev, nexthop = self.route_output(daddr, saddr, oif, tos)
            # [flags, route, rtype, src, dev, nexthop, neighbour]: the output dst cache entry
            ent = [RTCF_LOCAL if rtype == RTN_LOCAL else
                   RTCF_BROADCAST if rtype == RTN_BROADCAST else
                   RTCF_MULTICAST if rtype == RTN_MULTICAST else 0,
                   route, rtype, src, dev, nexthop, None]
            self.ocache[key] = ent
        src = ent[3]
        dev = ent[4]
        mtu = dev.mtu
        if self.pmtu:                       # a learned path MTU (ICMP frag needed)
            mtu = self.path_mtu(daddr, mtu)
        if ttl is None:
            ttl = self.sysctl["ip_default_ttl"]
        frag = IP_DF if df and (ent[2] == RTN_LOCAL or not self.sysctl["ip_no_pmtu_disc"]) else 0
        if frag and frag_ok and len(payload) + 20 > mtu:
            frag = 0
        if ident is None:
            ident = 0 if frag else self.next_ident()
        ip = ip_build(src, daddr, proto, payload, ttl, tos, ident, frag)
        if frag and len(ip) > mtu:
            raise KernelError(EMSGSIZE)
        skb = Skb(ip, dev, ETH_P_IP, 0)
        skb.sk = sk
        skb.mark = mark
        skb.dst = ent
        tr = self.kernel.trace
        if tr is not None:
            tr.hop(self.engine.now, self.ns, dev, skb, "ip_output", repr(ent[1]))
        n = ent[6]
        if n is not None and not n.dead and n.hh is not None and dev.qdisc_active \
                and not dev.ptype_all and dev.egress_hook is None and len(ip) <= mtu:
            skb.data = n.hh + ip
            skb.mac_len = 14
            dev.ndo_start_xmit(skb)
            return skb
        if dev.has_eth_header and (n is None or n.dead):
            n = self.arp.entries.get((ent[5], dev))
            if n is None:
                n = self.arp.create(ent[5], dev)
            ent[6] = n
        self.ip_finish_output(skb, dev, ent[5], mtu)
        return skb

    def path_mtu(self, daddr: int, mtu: int) -> int:
        """The route's MTU lowered by a live PMTU exception for ``daddr`` (fib_nh_exception)."""
        pm = self.pmtu.get(daddr)
        if pm is None:
            return mtu
        if pm[1] <= self.engine.now:        # ip_rt_mtu_expires passed
            del self.pmtu[daddr]
            return mtu
        return pm[0] if pm[0] < mtu else mtu

    def update_pmtu(self, daddr: int, mtu: int) -> None:
        """__ip_rt_update_pmtu(), for an ICMP frag needed about a packet we sent to ``daddr``:
        only ever lowers the path MTU, not below min_pmtu (552), for mtu_expires (600 s)."""
        try:
            old = self.route_output(daddr)[3].mtu
        except KernelError:
            return
        old = self.path_mtu(daddr, old)
        if old < mtu:
            return
        if mtu < IP_RT_MIN_PMTU:
            mtu = min(old, IP_RT_MIN_PMTU)
        self.pmtu[daddr] = (mtu, self.engine.now + IP_RT_MTU_EXPIRES)
        self.ocache.clear()

    def ip_finish_output(self, skb: Skb, dev, nexthop: int, mtu: int | None = None) -> None:
        ip = skb.data
        if mtu is None:
            mtu = dev.mtu
        if len(ip) > mtu:
            frags = self.fragment(skb, mtu)
            if frags is None:
                return
            for f in frags:
                self._output_one(f, dev, nexthop)
            return
        self._output_one(skb, dev, nexthop)

    def _output_one(self, skb: Skb, dev, nexthop: int) -> None:
        skb.dev = dev
        skb.protocol = ETH_P_IP
        if not dev.has_eth_header:
            skb.mac_len = 0
            dev_queue_xmit(skb)
            return
        n = self.arp.entries.get((nexthop, dev))
        if n is None:
            n = self.arp.create(nexthop, dev)
        hh = n.hh
        if hh is not None:
            skb.data = hh + skb.data
            skb.mac_len = 14
            dev_queue_xmit(skb)
            return
        self.neigh_output(n, skb)

    def neigh_output(self, n, skb: Skb) -> None:
        """neigh_resolve_output(): resolve, then send with the neighbour's address."""
        if n.hh is not None:
            skb.data = n.hh + skb.data
            skb.mac_len = 14
            skb.dev = n.dev
            dev_queue_xmit(skb)
            return
        n.used = self.engine.now
        tr = self.kernel.trace
        if tr is not None:
            tr.hop(self.engine.now, self.ns, n.dev, skb, "neigh_resolve_output", repr(n))
        if self.arp.event_send(n, skb):
            return
        dev = n.dev
        skb.data = n.ha + dev.addr + b"\x08\x00" + skb.data
        skb.mac_len = 14
        skb.dev = dev
        dev_queue_xmit(skb)

    def fragment(self, skb: Skb, mtu: int):
        """ip_fragment(): split a non-DF packet; DF packets get ICMP frag needed / EMSGSIZE."""
        ip = skb.data
        vihl, tos, tot, ident, frag, ttl, proto, csum, saddr, daddr = _IPH.unpack_from(ip, 0)
        if frag & IP_DF:
            self.icmp_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu)
            self._drop(skb, skb.dev, "PKT_TOO_BIG")
            return None
        ihl = (vihl & 15) << 2
        payload = ip[ihl:tot]
        step = ((mtu - ihl) // 8) * 8
        if step <= 0:
            return None
        base_off = (frag & IP_OFFSET) * 8
        more = frag & IP_MF
        out = []
        for i in range(0, len(payload), step):
            chunk = payload[i:i + step]
            last = i + step >= len(payload)
            f = ((base_off + i) // 8) | (0 if last and not more else IP_MF)
            fip = ip_build(saddr, daddr, proto, chunk, ttl, tos, ident, f)
            s = skb.clone()
            s.data = fip
            s.mac_len = 0
            s.sk = skb.sk
            out.append(s)
        return out

    # ---- neighbour glue ----------------------------------------------------------------------
    def arp_constructor(self, n) -> None:
        dev = n.dev
        n.type = self.fib.addr_type(n.key, dev)
        if not dev.has_eth_header:
            n.state = NUD_NOARP
            n.hh = b""
            return
        if n.type == RTN_MULTICAST:
            n.state = NUD_NOARP
            k = n.key
            n.ha = bytes((0x01, 0x00, 0x5E, (k >> 16) & 0x7F, (k >> 8) & 0xFF, k & 0xFF))
        elif dev.flags & (IFF_NOARP | IFF_LOOPBACK):
            n.state = NUD_NOARP
            n.ha = dev.addr
        elif n.type == RTN_BROADCAST or dev.flags & IFF_POINTOPOINT:
            n.state = NUD_NOARP
            n.ha = dev.broadcast
        if n.state & NUD_VALID:
            self.neigh_connect(n)

    def neigh_connect(self, n) -> None:
        dev = n.dev
        n.hh = n.ha + dev.addr + b"\x08\x00" if dev.has_eth_header else b""

    def arp_error_report(self, n, skb: Skb) -> None:
        """ipv4_link_failure(): a packet whose neighbour failed gets ICMP host unreachable."""
        if skb.mac_len:
            skb.data = skb.data[skb.mac_len:]
            skb.mac_len = 0
        skb.pkt_type = PACKET_HOST
        self.icmp_send(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH)
        self._drop(skb, n.dev, "NEIGH_FAILED")

    def arp_solicit(self, n, skb) -> None:
        """arp_solicit() with arp_announce (ARP-06)."""
        dev = n.dev
        in_dev = dev.ip
        if in_dev is None:
            return
        target = n.key
        saddr = 0
        level = self.eff(in_dev, "arp_announce")
        if skb is not None and level < 2:
            ip = skb.data[skb.mac_len:]
            src = int.from_bytes(ip[12:16], "big")
            if self.fib.addr_type(src, dev) == RTN_LOCAL:
                if level == 0 or _addr_onlink(in_dev, target, src):
                    saddr = src
        if not saddr:
            saddr = self.select_addr(dev, target, RT_SCOPE_LINK)
        probes = n.probes - self.arp.parm(dev, "ucast_solicit")
        dst_ha = None
        if probes < 0:
            dst_ha = n.ha
        elif probes - self.arp.parm(dev, "app_solicit") < 0:
            return
        # arp_send_dst(..., dst_hw, dev_addr, target_hw=NULL): the target field stays zero
        self.arp_send(1, target, dev, saddr, dst_ha, dev.addr, None)

    def arp_send(self, op: int, tip: int, dev, sip: int, dest_hw, src_hw, target_hw) -> None:
        if dev.flags & IFF_NOARP:
            return
        frame = (dest_hw or dev.broadcast) + src_hw + b"\x08\x06" + _ARP.pack(
            1, ETH_P_IP, 6, 4, op, src_hw, sip, target_hw or b"\x00" * 6, tip)
        skb = Skb(frame, dev=dev, protocol=ETH_P_ARP, mac_len=14)
        dev_queue_xmit(skb)

    # ======================================================================================
    # ARP receive (ARP-01..07)
    # ======================================================================================
    def arp_rcv(self, skb: Skb) -> None:
        dev = skb.dev
        if skb.pkt_type in (PACKET_OTHERHOST, PACKET_LOOPBACK) or dev.flags & IFF_NOARP:
            return self._drop(skb, dev, "NOT_SPECIFIED", "ARP-01")
        data = skb.data
        m = skb.mac_len
        if len(data) - m < 28:
            return self._drop(skb, dev, "PKT_TOO_SMALL")
        htype, ptype, hln, pln, op, sha, sip, tha, tip = _ARP.unpack_from(data, m)
        if hln != dev.addr_len or pln != 4 or ptype != ETH_P_IP or htype not in (1, 6):
            return self._drop(skb, dev, "NOT_SPECIFIED")
        in_dev = dev.ip
        if in_dev is None:
            return self._drop(skb, dev, "NOT_SPECIFIED")
        self.arp_process(skb, dev, in_dev, op, sha, sip, tha, tip)

    def arp_process(self, skb, dev, in_dev, op, sha, sip, tha, tip) -> None:
        if _is_multicast(tip) or (not self.eff(in_dev, "route_localnet") and _is_loopback(tip)):
            return self._drop(skb, dev, "NOT_SPECIFIED", "ARP-01")
        if op not in (1, 2):
            return self._drop(skb, dev, "NOT_SPECIFIED")
        if self.eff(in_dev, "drop_gratuitous_arp") and sip == tip:
            return self._drop(skb, dev, "NOT_SPECIFIED")
        tr = self.kernel.trace
        # ARP-02: DAD probe
        if sip == 0:
            if op == 1 and self.fib.addr_type(tip, dev) == RTN_LOCAL and \
                    not self.arp_ignore(in_dev, dev, sip, tip):
                self.arp_send(2, sip, dev, tip, sha, dev.addr, sha)
            return
        if op == 1:
            # ARP-03: input route lookup (rp_filter and martian checks apply, RPF-03)
            res = self._arp_route(skb, dev, in_dev, sip, tip)
            if res is not None:
                rtype = res
                if rtype == RTN_LOCAL:
                    dont = self.arp_ignore(in_dev, dev, sip, tip)
                    if not dont and self.eff(in_dev, "arp_filter"):
                        dont = self.arp_filter(sip, tip, dev)
                    if tr is not None:
                        tr.hop(self.engine.now, self.ns, dev, skb, "arp",
                               "ignored (arp_ignore/arp_filter)" if dont else "reply")
                    if not dont:
                        n = self.neigh_event_ns(sha, sip, dev)
                        if n is not None:
                            self.arp_send(2, sip, dev, tip, sha, dev.addr, sha)
                    return
                if in_dev.conf["forwarding"] and rtype == RTN_UNICAST and \
                        self.eff(in_dev, "proxy_arp"):
                    if self._proxy_ok(dev, tip):
                        n = self.neigh_event_ns(sha, sip, dev)
                        if n is not None:
                            self.arp_send(2, sip, dev, tip, sha, dev.addr, sha)
                    return
        # update our tables from what we heard
        n = self.arp.lookup(sip, dev)
        is_garp = False
        addr_type = -1
        accept = self._arp_accept(in_dev, sip)
        if n is not None or accept:
            # arp_is_garp(): sip == tip, a reply also needs tha == sha, and sip must be unicast
            is_garp = tip == sip and (op != 2 or tha == sha)
            if is_garp:
                addr_type = self.fib.addr_type(sip, dev)
                if addr_type != RTN_UNICAST:
                    is_garp = False
        if accept and n is None:
            if is_garp or (op == 2 and (addr_type == RTN_UNICAST or (
                    addr_type < 0 and self.fib.addr_type(sip, dev) == RTN_UNICAST))):
                n = self.arp.create(sip, dev)
        if n is not None:
            override = self.engine.now > n.updated + self.arp.parm(dev, "locktime") or is_garp
            state = NUD_REACHABLE if op == 2 and skb.pkt_type == PACKET_HOST else NUD_STALE
            self.arp.update(n, sha, state, NEIGH_UPDATE_F_OVERRIDE if override else 0)

    def _arp_route(self, skb, dev, in_dev, sip: int, tip: int):
        """ip_route_input_noref(tip, sip, dev) as arp_process uses it: the route type, or None."""
        if _is_multicast(sip) or sip == INADDR_BROADCAST or _is_zeronet(sip):
            return None
        if _is_loopback(sip) and not self.eff(in_dev, "route_localnet"):
            return None
        try:
            r = self.fib.lookup(tip, ignore_linkdown=bool(
                self.eff(in_dev, "ignore_routes_with_linkdown")))
        except KernelError:
            return None
        if r.type == RTN_LOCAL:
            if not self.validate_source(skb, sip, tip, dev, in_dev, None):
                self._drop(skb, dev, "IP_RPFILTER", "RPF-03")
                return None
            return RTN_LOCAL
        if r.type == RTN_BROADCAST:
            return RTN_BROADCAST
        if not in_dev.conf["forwarding"]:
            return None
        if not self.validate_source(skb, sip, tip, dev, in_dev, r.dev):
            self._drop(skb, dev, "IP_RPFILTER", "RPF-03")
            return None
        return r.type

    def _arp_accept(self, in_dev, sip: int) -> bool:
        """arp_accept() (ARP-07): 1 always, 2 only for a sender inside a subnet of the interface
        (inet_confirm_addr(in_dev, sip, 0, RT_SCOPE_LINK)), anything else never."""
        level = self.eff(in_dev, "arp_accept")
        if level == 1:
            return True
        if level == 2:
            return bool(_confirm_addr_indev(self, in_dev, sip, 0, RT_SCOPE_LINK))
        return False

    def _proxy_ok(self, dev, tip: int) -> bool:
        try:
            r = self.fib.lookup(tip)
        except KernelError:
            return False
        return r.dev is not dev

    def neigh_event_ns(self, sha: bytes, sip: int, dev):
        n = self.arp.create(sip, dev)
        self.arp.update(n, sha, NUD_STALE, NEIGH_UPDATE_F_OVERRIDE)
        return n

    def arp_ignore(self, in_dev, dev, sip: int, tip: int) -> bool:
        """arp_ignore() (ARP-04). True means: do not reply."""
        level = self.eff(in_dev, "arp_ignore")
        if level == 0:
            return False
        if level == 1:
            sip, scope, dev_only = 0, RT_SCOPE_HOST, True
        elif level == 2:
            scope, dev_only = RT_SCOPE_HOST, True
        elif level == 3:
            sip, scope, dev_only = 0, RT_SCOPE_LINK, False
        elif level == 8:
            return True
        else:
            return False
        if dev_only:
            return not _confirm_addr_indev(self, in_dev, sip, tip, scope)
        for d in self.ns.devices:
            if d.ip is not None and _confirm_addr_indev(self, d.ip, sip, tip, scope):
                return False
        return True

    def arp_filter(self, sip: int, tip: int, dev) -> bool:
        """arp_filter() (ARP-05): True (suppress) unless the route back to sip leaves via dev."""
        try:
            r = self.fib.lookup(sip)
        except KernelError:
            return True
        out = self.ns.lo if r.type == RTN_LOCAL else r.dev
        return out is not dev

    # ======================================================================================
    # ICMP
    # ======================================================================================
    def icmp_rcv(self, skb, m: int, ihl: int, saddr: int, daddr: int) -> None:
        data = skb.data
        icmp = data[m + ihl:]
        if len(icmp) < 8:
            return self._drop(skb, skb.dev, "PKT_TOO_SMALL")
        if int.from_bytes(icmp if not len(icmp) & 1 else icmp + b"\x00", "big") % 0xFFFF:
            return self._drop(skb, skb.dev, "ICMP_CSUM")
        itype = icmp[0]
        if itype == ICMP_ECHO:
            flags = skb.dst[0] if skb.dst else 0
            if self.sysctl["icmp_echo_ignore_all"]:
                return
            if flags & (RTCF_BROADCAST | RTCF_MULTICAST) and \
                    self.sysctl["icmp_echo_ignore_broadcasts"]:
                return
            self.icmp_reply(skb, m, ihl, saddr, daddr, b"\x00\x00" + b"\x00\x00" + icmp[4:])
            return
        if itype in ICMP_ERROR_TYPES:
            inner = icmp[8:]
            if itype == ICMP_DEST_UNREACH and icmp[1] == ICMP_FRAG_NEEDED and \
                    len(inner) >= 20 and not self.sysctl["ip_no_pmtu_disc"]:
                # icmp_unreach() -> the inner protocol's err_handler -> ipv4_update_pmtu()
                # [EMU] done for every inner protocol, socket or not
                self.update_pmtu(int.from_bytes(inner[16:20], "big"), (icmp[6] << 8) | icmp[7])
            if len(inner) >= 28 and inner[9] == IPPROTO_UDP:
                h = self.protos.get(("err", IPPROTO_UDP))
                if h is not None:
                    h(itype, icmp[1], inner, skb)
            elif len(inner) >= 28 and inner[9] == IPPROTO_TCP:
                h = self.protos.get(("err", IPPROTO_TCP))
                if h is not None:
                    h(itype, icmp[1], inner, skb)
            elif len(inner) >= 20:
                # other protocols' err_handler (ipip_err for IPPROTO_IPIP)
                h = self.protos.get(("err", inner[9]))
                if h is not None:
                    h(itype, icmp[1], inner, skb)

    def icmp_reply(self, skb, m, ihl, saddr, daddr, body_without_type: bytes) -> None:
        """icmp_reply(): answer an echo from the address it was sent to."""
        flags = skb.dst[0] if skb.dst else 0
        src = daddr
        if flags & (RTCF_BROADCAST | RTCF_MULTICAST):
            src = self.select_addr(skb.dev, saddr, RT_SCOPE_UNIVERSE)
        tos = skb.data[m + 1]
        body = b"\x00\x00" + body_without_type[2:]
        c = checksum(body)
        body = body[:2] + c.to_bytes(2, "big") + body[4:]
        try:
            self.ip_send(saddr, IPPROTO_ICMP, body, saddr=src, tos=tos, df=False,
                         ident=self._hash_ident())
        except KernelError:
            self._drop(skb, skb.dev, "IP_OUTNOROUTES")

    def _hash_ident(self) -> int:
        return self.kernel.rng.getrandbits(16)

    def icmp_send(self, skb_in: Skb, itype: int, code: int, info: int = 0) -> None:
        """__icmp_send(): the suppression rules, source choice and rate limits."""
        data = skb_in.data
        m = skb_in.mac_len
        if len(data) - m < 20:
            return
        flags = skb_in.dst[0] if skb_in.dst else 0
        if skb_in.pkt_type != PACKET_HOST:
            return
        if flags & (RTCF_BROADCAST | RTCF_MULTICAST):
            return
        vihl, tos, tot, ident, frag, ttl, proto, csum, saddr, daddr = _IPH.unpack_from(data, m)
        if frag & IP_OFFSET:
            return
        ihl = (vihl & 15) << 2
        if _is_multicast(saddr) or saddr == 0 or saddr == INADDR_BROADCAST:
            return
        if proto == IPPROTO_ICMP and itype in ICMP_ERROR_TYPES:
            if len(data) < m + ihl + 1:
                return
            inner = data[m + ihl]
            if inner > 18 or inner in ICMP_ERROR_TYPES:
                return
        src = daddr if flags & RTCF_LOCAL else 0
        if not flags & RTCF_LOCAL and self.sysctl["icmp_errors_use_inbound_ifaddr"] and \
                skb_in.dev is not None:
            src = self.select_addr(skb_in.dev, 0, RT_SCOPE_LINK)
        if src and src not in self.local_addrs:
            src = 0
        try:
            route, rtype, rsrc, odev, nh = self.route_output(saddr, src)
        except KernelError:
            return
        if not self.icmp_rate_allow(odev, itype, saddr, code, skb_in.dev):
            return
        room = min(576, odev.mtu if odev is not None else 576) - 20 - 8
        quoted = data[m:m + tot][:room]
        rest = (info & 0xFFFF) if itype == ICMP_DEST_UNREACH and code == ICMP_FRAG_NEEDED else \
            (info << 24 if itype == ICMP_PARAMETERPROB else info)
        body = bytes((itype, code, 0, 0)) + (rest & 0xFFFFFFFF).to_bytes(4, "big") + quoted
        c = checksum(body)
        body = body[:2] + c.to_bytes(2, "big") + body[4:]
        try:
            self.ip_send(saddr, IPPROTO_ICMP, body, saddr=rsrc, tos=(tos & 0x1E) | IPTOS_PREC_INTERNETCONTROL,
                         df=False, ident=self._hash_ident())
        except KernelError:
            pass

    def icmp_rate_allow(self, odev, itype: int, peer: int, code: int = 0,
                        in_dev=None) -> bool:
        """icmpv4_global_allow() + icmpv4_xrlim_allow(): types outside icmp_ratemask, and frag
        needed, are never limited (icmpv4_mask_allow); the rest pass the netns-wide credit
        (icmp_msgs_per_sec / icmp_msgs_burst, checked unless the offending packet came in on
        loopback) and then, unless the error leaves via loopback, the per-peer token bucket
        (icmp_ratelimit, burst 6: inet_peer_xrlim_allow); an allowed one consumes 0-2 global
        credits (icmp_global_consume)."""
        if itype > 18 or not (self.sysctl["icmp_ratemask"] >> itype) & 1:
            return True
        if itype == ICMP_DEST_UNREACH and code == ICMP_FRAG_NEEDED:
            return True
        if not (in_dev is not None and in_dev.flags & IFF_LOOPBACK) and \
                not self._icmp_global_allow():
            return False
        if odev is not None and odev.flags & IFF_LOOPBACK:
            ok = True
        else:
            ok = self.peer_xrlim_allow(peer, self.sysctl["icmp_ratelimit"] * 1_000_000)
        if ok:
            credits = self.kernel.rng.randrange(3)
            if credits:
                self.icmp_global[0] -= credits
        return ok

    def _icmp_global_allow(self) -> bool:
        """icmp_global_allow(): refill the credit at most every 20 ms, by msgs_per_sec * dt."""
        g = self.icmp_global          # [credit, stamp or None]
        if g[0] > 0:
            return True
        now = self.engine.now
        delta = SEC if g[1] is None else min(now - g[1], SEC)
        if delta < SEC // 50:
            return False
        incr = self.sysctl["icmp_msgs_per_sec"] * delta // SEC
        if not incr:
            return False
        g[1] = now
        g[0] = min(g[0] + incr, self.sysctl["icmp_msgs_burst"])
        return True

    def _peer(self, addr: int) -> list:
        """inet_getpeer_v4(): [rate_tokens, rate_last]; a new peer starts a minute back."""
        p = self.peers.get(addr)
        if p is None:
            p = self.peers[addr] = [0, self.engine.now - 60 * SEC]
        return p

    def peer_xrlim_allow(self, addr: int, timeout: int) -> bool:
        """inet_peer_xrlim_allow(): tokens grow with time up to 6 * timeout; a message costs
        one timeout. A timeout of 0 never limits."""
        if not timeout:
            return True
        p = self._peer(addr)
        now = self.engine.now
        token = p[0]
        delta = now - p[1]
        if delta:
            p[1] = now
            token += delta
            if token > 6 * timeout:
                token = 6 * timeout
        ok = token >= timeout
        if ok:
            token -= timeout
        p[0] = token
        return ok

    # ---- sockets ------------------------------------------------------------------------------
    def raw_open(self, proto: int, on_packet, bound_dev=None) -> RawSocket:
        s = RawSocket(proto, on_packet, bound_dev)
        self.raw.setdefault(proto, []).append(s)
        return s

    def raw_close(self, s: RawSocket) -> None:
        s.closed = True
        lst = self.raw.get(s.proto, [])
        if s in lst:
            lst.remove(s)


def _addr_onlink(in_dev, a: int, b: int) -> bool:
    """inet_addr_onlink(): some address prefix on the device contains both a and b."""
    for ifa in in_dev.ifa_list:
        if ifa.match(a) and (not b or ifa.match(b)):
            return True
    return False


def _confirm_addr_indev(ipv4, in_dev, dst: int, local: int, scope: int) -> int:
    """confirm_addr_indev() from net/ipv4/devinet.c, behaviour only."""
    localnet_scope = RT_SCOPE_LINK if ipv4.eff(in_dev, "route_localnet") else RT_SCOPE_HOST
    addr = 0
    same = False
    for ifa in in_dev.ifa_list:
        min_scope = min(ifa.scope, localnet_scope)
        if not addr and (local == ifa.local or not local) and min_scope <= scope:
            addr = ifa.local
            if same:
                break
        if not same:
            same = (not local or ifa.match(local)) and (not dst or ifa.match(dst))
            if same and addr:
                if local or not dst:
                    break
                if ifa.match(addr):
                    break
                if min_scope <= scope:
                    addr = ifa.local
                    break
                same = False
    return addr if same else 0


import errno as _errno  # noqa: E402

ENOENT_ = _errno.ENOENT
EPERM_ = _errno.EPERM
ENOBUFS_ = _errno.ENOBUFS
