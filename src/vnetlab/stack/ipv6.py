"""IPv6 for one netns: addrconf, DAD, router solicitation, MLDv2, neighbour discovery, fib6,
receive / local delivery / forwarding / output, ICMPv6.

Paths and the kernel functions they follow (net/ipv6/):

* device events  addrconf.c addrconf_notify(): REGISTER -> ipv6_add_dev (MTU >= 1280; joins
                 ff01::1 and ff02::1); UP/CHANGE with addrconf_link_ready() (operstate up and
                 the qdisc attached) -> addrconf_dev_config / init_loopback / tunnel config:
                 ff00::/8 multicast route (local table), link-local by addr_gen_mode (eui64 from
                 the MAC and dev_id; random / stable_secret by RFC 7217; none), DAD; DOWN ->
                 addrconf_ifdown: every address and route of the device goes (keep_addr_on_down 0).
* DAD            addrconf_dad_begin/kick/work/completed: join the solicited-node group, wait
                 rand(router_solicitation_delay), then dad_transmits NS (src ::, nonce option when
                 enhanced_dad) retrans_time apart; done -> the address loses TENTATIVE, its local
                 route goes in, MLD reports are re-sent from the link-local address, and the first
                 RS goes out. Skipped for NOARP/loopback devices, nodad addresses, accept_dad < 1
                 on both all and the device. A colliding NS (DAD of another node) or NA -> dadfailed.
* RS             addrconf_rs_timer(): RFC 7559 backoff (interval x [0.9, 1.1], then x [1.9, 2.1]
                 up to router_solicitation_max_interval), unlimited count (router_solicitations
                 -1). Background timers: they do not keep ``run_until_idle`` busy.
* MLDv2          mcast.c: joining a group -> a change report now and one more after
                 rand(mldv2_unsolicited_report_interval) (robustness 2); while DAD runs the
                 source is ::; after DAD the initial report is sent again twice.
* ND             ndisc.c: NS/NA, the neighbour table (stack/neigh.py's state machine), NA with
                 S/O/R flags and TLLAO as ndisc_send_na() builds them.
* fib6           route.c: tables main (254) and local (255); ``proto kernel`` prefix routes
                 metric 256, local routes metric 0, ff00::/8 multicast per device (local table).
* ICMPv6         icmp.c: echo reply, errors (unreachable, time exceeded, packet too big,
                 parameter problem) with RFC 4443 suppression; no reply to errors or multicast
                 (except packet too big / param problem code 2).
"""

from __future__ import annotations

import struct

from ..wire import icmpv6 as I6
from ..wire.ipv6 import (ALL_MLDV2_ROUTERS, ALL_NODES, ALL_ROUTERS, LOOPBACK, UNSPECIFIED,
                         prefix as ip6_prefix, solicited_node)
from .addrconf import (ADDR_GEN_MODE_NAMES, DAD, DEAD, DEVCONF_ALL_DEFAULTS, DEVCONF_DEFAULTS,
                       DEVCONF_READONLY, ERRDAD, IF_RA_RCVD, IF_READY, IF_RS_SENT,
                       IFA_F_DADFAILED, IFA_F_MANAGETEMPADDR, IFA_F_NODAD, IFA_F_NOPREFIXROUTE,
                       IFA_F_OPTIMISTIC, IFA_F_PERMANENT, IFA_F_STABLE_PRIVACY, IFA_F_TENTATIVE,
                       IN6_ADDR_GEN_MODE_EUI64, IN6_ADDR_GEN_MODE_NONE, IN6_ADDR_GEN_MODE_RANDOM,
                       IN6_ADDR_GEN_MODE_STABLE_PRIVACY, INFINITY_LIFE_TIME, NET_SYSCTL_DEFAULTS,
                       POSTDAD, PREDAD, RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_SITE,
                       RT_SCOPE_UNIVERSE, Inet6Dev, Inet6Ifaddr, _reserved_ifid, eui48_ifid,
                       isatap_ifid, stable_ifid)
from .errors import (EACCES, EADDRNOTAVAIL, EAFNOSUPPORT, EEXIST, EHOSTUNREACH, EINVAL, EIO,
                     ENETUNREACH, ENODEV, ENOENT, EPERM, ESRCH, KernelError)
from .neigh import (NEIGH_UPDATE_F_OVERRIDE, NEIGH_UPDATE_F_WEAK_OVERRIDE, NTF_ROUTER,
                    NUD_FAILED, NUD_NOARP, NUD_REACHABLE, NUD_STALE, NUD_VALID, NeighTable)
from .netdev import (ARPHRD_ETHER, ARPHRD_LOOPBACK, ARPHRD_NONE, ARPHRD_TUNNEL, IFF_LOOPBACK,
                     IFF_MULTICAST, IFF_NOARP, IFF_POINTOPOINT, IFF_UP, NETDEV_CHANGE,
                     NETDEV_CHANGEMTU, NETDEV_DOWN, NETDEV_REGISTER, NETDEV_UNREGISTER, NETDEV_UP,
                     dev_mc_add, dev_mc_del, dev_queue_xmit)
from .skb import PACKET_LOOPBACK, PACKET_OTHERHOST, Skb

ETH_P_IPV6 = 0x86DD
IPV6_MIN_MTU = 1280
IPPROTO_HOPOPTS = 0
IPPROTO_ICMPV6 = 58
IPPROTO_UDP = 17
IPPROTO_TCP = 6
IPPROTO_NONE = 59
SEC = 1_000_000_000
MSEC = 1_000_000

RT_TABLE_MAIN = 254
RT_TABLE_LOCAL = 255
RTN_UNICAST = 1
RTN_LOCAL = 2
RTN_ANYCAST = 4
RTN_MULTICAST = 5
RTN_BLACKHOLE = 6
RTN_UNREACHABLE = 7
RTN_PROHIBIT = 8
RTPROT_KERNEL = 2
RTPROT_BOOT = 3
RTPROT_STATIC = 4
RTPROT_RA = 9
RTNH_F_DEAD = 0x1
RTNH_F_LINKDOWN = 0x10
IP6_RT_PRIO_USER = 1024
IP6_RT_PRIO_ADDRCONF = 256

FF01_ALL_NODES = bytes.fromhex("ff010000000000000000000000000001")
FF01_ALL_ROUTERS = bytes.fromhex("ff010000000000000000000000000002")
FF05_ALL_ROUTERS = bytes.fromhex("ff050000000000000000000000000002")
FE80_PREFIX = b"\xfe\x80" + b"\x00" * 6

# HBH header carrying the router alert option (MLD): next header ICMPv6, len 0, RA (5) value 0
# (MLD), PadN of 0 bytes
HBH_RTALERT_MLD = bytes((IPPROTO_ICMPV6, 0, 5, 2, 0, 0, 1, 0))

# the neighbour parameters of nd_tbl (net.ipv6.neigh.*), times in ns
ND_PARMS_DEFAULTS = {
    "anycast_delay": 1 * SEC, "app_solicit": 0, "base_reachable_time": 30 * SEC,
    "delay_first_probe_time": 5 * SEC, "gc_stale_time": 60 * SEC,
    "interval_probe_time": 5 * SEC, "locktime": 0, "mcast_resolicit": 0,
    "mcast_solicit": 3, "proxy_delay": 800 * MSEC, "proxy_qlen": 64, "retrans_time": 1 * SEC,
    "ucast_solicit": 3, "unres_qlen_bytes": 212992,
}

_IP6H = struct.Struct("!IHBB16s16s")


# -- address classification (ipv6_addr_type / ipv6_addr_scope) --------------------------------

def addr_scope(a: bytes) -> int:
    """The rtnetlink scope of a unicast address (ipv6_addr_scope + rt_scope)."""
    if a == LOOPBACK:
        return RT_SCOPE_HOST
    if a[0] == 0xFE and a[1] & 0xC0 == 0x80:
        return RT_SCOPE_LINK
    if a[0] == 0xFE and a[1] & 0xC0 == 0xC0:
        return RT_SCOPE_SITE
    return RT_SCOPE_UNIVERSE


def _src_scope(a: bytes) -> int:
    """__ipv6_addr_src_scope(): 1 node, 2 link, 5 site, 14 global (multicast: its scope nibble)."""
    if a[0] == 0xFF:
        return a[1] & 0x0F
    if a == LOOPBACK:
        return 1
    if a[0] == 0xFE and a[1] & 0xC0 == 0x80:
        return 2
    if a[0] == 0xFE and a[1] & 0xC0 == 0xC0:
        return 5
    return 14


def _common_prefix(a: bytes, b: bytes) -> int:
    x = int.from_bytes(a, "big") ^ int.from_bytes(b, "big")
    return 128 - x.bit_length()


def _walk_key(r) -> str:
    return format(int.from_bytes(r.dst, "big"), "0128b")[:r.plen] + "2"


class Route6:
    """One fib6 entry (struct fib6_info + its nexthop)."""

    __slots__ = ("dst", "plen", "dev", "gw", "metric", "proto", "type", "table", "nh_flags",
                 "pref", "expires", "prefsrc", "flags", "ifa", "mtu")

    def __init__(self, dst: bytes, plen: int, dev, gw: bytes | None = None,
                 metric: int = IP6_RT_PRIO_USER, proto: int = RTPROT_BOOT,
                 type: int = RTN_UNICAST, table: int = RT_TABLE_MAIN):
        self.dst = dst
        self.plen = plen
        self.dev = dev
        self.gw = gw
        self.metric = metric
        self.proto = proto
        self.type = type
        self.table = table
        self.nh_flags = 0
        self.pref = 0          # medium
        self.expires = None
        self.prefsrc = None
        self.flags = 0
        self.ifa = None
        self.mtu = 0

    def matches(self, a: bytes) -> bool:
        p = self.plen
        if p == 128:
            return a == self.dst
        if p == 0:
            return True
        if p % 8 == 0:
            return a[:p // 8] == self.dst[:p // 8]
        return ip6_prefix(a, p) == self.dst

    def __repr__(self) -> str:
        from ..wire.ipv6 import ntoa
        dev = self.dev.name if self.dev is not None else None
        return f"<Route6 {ntoa(self.dst)}/{self.plen} dev {dev} table {self.table} metric {self.metric}>"


class RawSocket6:
    """A raw ICMPv6 socket (iputils ping -6): ``on_packet(ip6_bytes, skb)`` for every ICMPv6
    message delivered locally (echo replies, errors)."""

    __slots__ = ("proto", "on_packet", "bound_dev", "closed")

    def __init__(self, proto: int, on_packet, bound_dev=None):
        self.proto = proto
        self.on_packet = on_packet
        self.bound_dev = bound_dev
        self.closed = False


class IPv6:
    """The IPv6 state and paths of one network namespace (``ns.ipv6``)."""

    def __init__(self, ns):
        self.ns = ns
        self.kernel = ns.kernel
        self.engine = ns.kernel.engine
        self.rng = ns.kernel.rng
        # addrconf_init_net(): compiled-in values (devconf_inherit_init_net = 0)
        self.conf_all = dict(DEVCONF_ALL_DEFAULTS)
        self.conf_default = dict(DEVCONF_DEFAULTS)
        self.default_secret: bytes | None = None    # net.ipv6.conf.default.stable_secret
        self.sysctl = dict(NET_SYSCTL_DEFAULTS)
        self.tables: dict[int, list[Route6]] = {RT_TABLE_MAIN: [], RT_TABLE_LOCAL: []}
        self.nd = NeighTable(self)
        self.nd.parms = dict(ND_PARMS_DEFAULTS)
        self.nd.reachable_time = self.nd.rand_reach_time(ND_PARMS_DEFAULTS["base_reachable_time"])
        self.raw: list[RawSocket6] = []
        self.mib: dict[str, int] = {}
        self.protos: dict = {IPPROTO_ICMPV6: self.icmpv6_rcv}
        self.forwarded = 0
        ns.ptype[ETH_P_IPV6] = self.ipv6_rcv

    # ==========================================================================================
    # sysctl (net.ipv6.conf.{all,default,DEV}.KEY)
    # ==========================================================================================
    def _idev_of(self, target: str):
        dev = self.ns.get(target)
        if dev is None or dev.ip6 is None:
            raise KernelError(ENOENT)
        return dev.ip6

    def conf_read(self, target: str, key: str):
        if key == "stable_secret":
            if target == "all":
                raise KernelError(EIO)
            secret = self.default_secret if target == "default" else self._idev_of(
                target).stable_secret
            if secret is None:
                raise KernelError(EIO)
            return secret
        if key not in DEVCONF_DEFAULTS:
            raise KernelError(ENOENT)
        if target == "all":
            return self.conf_all[key]
        if target == "default":
            return self.conf_default[key]
        return self._idev_of(target).cnf[key]

    def conf_write(self, target: str, key: str, value) -> None:
        """A write with the kernel's side effects (addrconf_sysctl_* handlers)."""
        if key == "stable_secret":
            self._write_secret(target, value)
            return
        if key not in DEVCONF_DEFAULTS:
            raise KernelError(ENOENT)
        if key in DEVCONF_READONLY:
            raise KernelError(EPERM)
        if target == "all":
            conf, idev = self.conf_all, None
        elif target == "default":
            conf, idev = self.conf_default, None
        else:
            idev = self._idev_of(target)
            conf = idev.cnf
        if key == "disable_ipv6":
            self._write_disable(target, conf, idev, int(value))
        elif key == "forwarding":
            self._write_forwarding(target, conf, idev, int(value))
        elif key == "addr_gen_mode":
            self._write_addr_gen_mode(target, conf, idev, int(value))
        elif key == "mtu" and idev is not None:
            if not IPV6_MIN_MTU <= int(value) <= idev.dev.mtu:
                raise KernelError(EINVAL)
            conf[key] = int(value)
        else:
            conf[key] = value

    def _write_disable(self, target, conf, idev, new: int) -> None:
        """addrconf_disable_ipv6(): default only for devices to come; all also sets default and
        every device; a device toggles its own IPv6 (NETDEV_DOWN / NETDEV_UP semantics)."""
        old = conf["disable_ipv6"]
        conf["disable_ipv6"] = new
        if target == "default":
            return
        if target == "all":
            self.conf_default["disable_ipv6"] = new
            for dev in list(self.ns.devices):
                i6 = dev.ip6
                if i6 is not None:
                    changed = (not i6.cnf["disable_ipv6"]) != (not new)
                    i6.cnf["disable_ipv6"] = new
                    if changed:
                        self._disable_change(i6)
        elif (not new) != (not old):
            self._disable_change(idev)

    def _disable_change(self, idev) -> None:
        """dev_disable_change()."""
        if idev.cnf["disable_ipv6"]:
            self.netdev_event(NETDEV_DOWN, idev.dev)
        else:
            self.netdev_event(NETDEV_UP, idev.dev)

    def _write_forwarding(self, target, conf, idev, new: int) -> None:
        """addrconf_fixup_forwarding(): all sets default and every device; a device only
        itself; default nothing else. Routers join the all-routers groups."""
        old = conf["forwarding"]
        conf["forwarding"] = new
        if target == "default":
            return
        if target == "all":
            self.conf_default["forwarding"] = new
            for dev in self.ns.devices:
                i6 = dev.ip6
                if i6 is not None:
                    changed = (not i6.cnf["forwarding"]) != (not new)
                    i6.cnf["forwarding"] = new
                    if changed:
                        self._forward_change(i6)
        elif (not new) != (not old):
            self._forward_change(idev)

    def _forward_change(self, idev) -> None:
        """dev_forward_change(): join / leave ff02::2, ff01::2, ff05::2 (multicast devices)."""
        dev = idev.dev
        if not dev.flags & IFF_MULTICAST:
            return
        groups = (ALL_ROUTERS, FF01_ALL_ROUTERS, FF05_ALL_ROUTERS)
        for g in groups:
            if idev.cnf["forwarding"]:
                self.mc_inc(idev, g)
            else:
                self.mc_dec(idev, g)

    def _write_addr_gen_mode(self, target, conf, idev, new: int) -> None:
        if not IN6_ADDR_GEN_MODE_EUI64 <= new <= IN6_ADDR_GEN_MODE_RANDOM:
            raise KernelError(EINVAL)
        if new == IN6_ADDR_GEN_MODE_STABLE_PRIVACY and idev is not None and \
                idev.stable_secret is None and self.default_secret is None:
            raise KernelError(EINVAL)
        if target == "default":
            conf["addr_gen_mode"] = new
            return
        if target == "all":
            conf["addr_gen_mode"] = new
            self.conf_default["addr_gen_mode"] = new
            for dev in self.ns.devices:
                i6 = dev.ip6
                if i6 is not None and i6.cnf["addr_gen_mode"] != new:
                    i6.cnf["addr_gen_mode"] = new
                    self.init_auto_addrs(dev)
            return
        if conf["addr_gen_mode"] != new:
            conf["addr_gen_mode"] = new
            self.init_auto_addrs(idev.dev)

    def _write_secret(self, target: str, value) -> None:
        """addrconf_sysctl_stable_secret(): an IPv6 address as text or bytes; all is EIO."""
        if target == "all":
            raise KernelError(EIO)
        if isinstance(value, str):
            from ..wire.ipv6 import aton
            try:
                value = aton(value.strip())
            except ValueError:
                raise KernelError(EIO) from None
        if target == "default":
            self.default_secret = value
            for dev in self.ns.devices:
                if dev.ip6 is not None:
                    dev.ip6.cnf["addr_gen_mode"] = IN6_ADDR_GEN_MODE_STABLE_PRIVACY
            return
        idev = self._idev_of(target)
        idev.stable_secret = value
        idev.cnf["addr_gen_mode"] = IN6_ADDR_GEN_MODE_STABLE_PRIVACY

    def set_addr_gen_mode(self, dev, mode: int) -> None:
        """IFLA_INET6_ADDR_GEN_MODE (``ip link set DEV addrgenmode M``): only stored."""
        idev = dev.ip6
        if idev is None:
            raise KernelError(EAFNOSUPPORT)
        if not IN6_ADDR_GEN_MODE_EUI64 <= mode <= IN6_ADDR_GEN_MODE_RANDOM:
            raise KernelError(EINVAL)
        if mode == IN6_ADDR_GEN_MODE_STABLE_PRIVACY and idev.stable_secret is None and \
                self.default_secret is None:
            raise KernelError(EINVAL)
        idev.cnf["addr_gen_mode"] = mode

    @staticmethod
    def addr_gen_mode_name(mode: int) -> str:
        return ADDR_GEN_MODE_NAMES[mode]

    # ==========================================================================================
    # device events (addrconf_notify)
    # ==========================================================================================
    def link_ready(self, dev) -> bool:
        """addrconf_link_ready(): operstate up (or unknown) and a real qdisc attached."""
        return dev.oper_up() and bool(dev.flags & IFF_UP) and dev.qdisc_active

    def netdev_event(self, event: str, dev, **info) -> None:
        idev = dev.ip6
        if event == NETDEV_REGISTER:
            if idev is None and dev.mtu >= IPV6_MIN_MTU and getattr(dev, "inet6_dev", True):
                self.add_dev(dev)
            return
        if event == NETDEV_CHANGEMTU:
            if dev.mtu < IPV6_MIN_MTU:
                self.ifdown(dev, dev.type != ARPHRD_LOOPBACK)
                return
            if idev is not None:
                idev.cnf["mtu"] = dev.mtu
                return
            idev = self.add_dev(dev)
            if not idev.if_flags & IF_READY:
                return
            event = NETDEV_UP
        if event in (NETDEV_UP, NETDEV_CHANGE):
            if idev is not None and idev.cnf["disable_ipv6"]:
                return
            run_pending = False
            if event == NETDEV_UP:
                if not self.link_ready(dev):
                    return
                if idev is None and dev.mtu >= IPV6_MIN_MTU:
                    idev = self.add_dev(dev)
                if idev is not None:
                    idev.if_flags |= IF_READY
                    run_pending = True
            else:
                if not self.link_ready(dev):
                    self._sync_down(dev)
                    return
                if idev is not None:
                    if idev.if_flags & IF_READY:
                        self.mc_up(idev)
                        self._sync_up(dev)
                        return
                    idev.if_flags |= IF_READY
                run_pending = True
            self.init_auto_addrs(dev)
            idev = dev.ip6
            if idev is not None:
                if run_pending:
                    self.dad_run(idev)
                self._sync_up(dev)
                if idev.cnf["mtu"] != dev.mtu and dev.mtu >= IPV6_MIN_MTU:
                    idev.cnf["mtu"] = dev.mtu
            return
        if event in (NETDEV_DOWN, NETDEV_UNREGISTER):
            self.ifdown(dev, event == NETDEV_UNREGISTER)

    def add_dev(self, dev):
        """ipv6_add_dev()."""
        idev = Inet6Dev(dev, self.conf_default)
        idev.cnf["mtu"] = dev.mtu
        if dev.flags & (IFF_NOARP | IFF_LOOPBACK):
            idev.cnf["accept_dad"] = -1
        if dev.flags & IFF_LOOPBACK or dev.type in (ARPHRD_TUNNEL, ARPHRD_NONE):
            idev.cnf["use_tempaddr"] = -1
        if dev.start and dev.qdisc_active:
            idev.if_flags |= IF_READY
        idev.tstamp = self.engine.now
        dev.ip6 = idev
        self.mc_inc(idev, FF01_ALL_NODES)
        self.mc_inc(idev, ALL_NODES)
        if idev.cnf["forwarding"] and dev.flags & IFF_MULTICAST:
            self.mc_inc(idev, ALL_ROUTERS)
        return idev

    def find_idev(self, dev):
        """ipv6_find_idev()."""
        idev = dev.ip6
        if idev is None:
            if dev.mtu < IPV6_MIN_MTU:
                raise KernelError(ENOENT)
            idev = self.add_dev(dev)
        if dev.flags & IFF_UP:
            self.mc_up(idev)
        return idev

    def init_auto_addrs(self, dev) -> None:
        """addrconf_init_auto_addrs(): per device type."""
        t = dev.type
        if t == ARPHRD_LOOPBACK:
            self.init_loopback(dev)
        elif t == ARPHRD_TUNNEL and getattr(dev, "ipv6_tunnel_config", None) == "gre":
            self.dev_config(dev)
        else:
            self.dev_config(dev)

    def init_loopback(self, dev) -> None:
        """init_loopback(): ::1/128 scope host, no prefix route."""
        idev = self.find_idev(dev)
        for ifa in idev.addr_list:
            if ifa.addr == LOOPBACK:
                return
        ifa = self._add_addr(idev, LOOPBACK, 128, RT_SCOPE_HOST, IFA_F_PERMANENT)
        ifa.flags &= ~IFA_F_TENTATIVE
        self.ifa_notify_new(ifa)

    def dev_config(self, dev) -> None:
        """addrconf_dev_config(): Ethernet-like, tunnel and ARPHRD_NONE devices."""
        if dev.type not in (ARPHRD_ETHER, ARPHRD_TUNNEL, ARPHRD_NONE):
            idev = dev.ip6
            if idev is not None and dev.flags & IFF_UP and dev.flags & IFF_MULTICAST:
                self.mc_up(idev)
            return
        idev = self.add_dev_conf(dev)
        if idev is None:
            return
        if dev.type == ARPHRD_NONE and idev.cnf["addr_gen_mode"] == IN6_ADDR_GEN_MODE_EUI64:
            idev.cnf["addr_gen_mode"] = IN6_ADDR_GEN_MODE_RANDOM
        self.addr_gen(idev, False)

    def add_dev_conf(self, dev):
        """addrconf_add_dev(): the inet6_dev and the ff00::/8 route of the local table."""
        try:
            idev = self.find_idev(dev)
        except KernelError:
            return None
        if idev.cnf["disable_ipv6"]:
            return None
        if not dev.flags & IFF_LOOPBACK:
            self.add_mroute(dev)
        return idev

    def add_mroute(self, dev) -> None:
        """addrconf_add_mroute(): ff00::/8 dev DEV table local metric 256 (once)."""
        for r in self.tables[RT_TABLE_LOCAL]:
            if r.type == RTN_MULTICAST and r.dev is dev and r.plen == 8:
                return
        r = Route6(b"\xff" + b"\x00" * 15, 8, dev, metric=IP6_RT_PRIO_ADDRCONF,
                   proto=RTPROT_KERNEL, type=RTN_MULTICAST, table=RT_TABLE_LOCAL)
        self.fib_insert(r)

    def generate_eui64(self, dev) -> bytes | None:
        """ipv6_generate_eui64()."""
        t = dev.type
        if t == ARPHRD_ETHER:
            if len(dev.addr) != 6:
                return None
            return eui48_ifid(dev.addr, getattr(dev, "dev_id", 0))
        if t == ARPHRD_TUNNEL:
            local = getattr(dev, "ipv6_local_v4", None)
            return isatap_ifid(local) if local else None
        return None

    def addr_gen(self, idev, prefix_route: bool) -> None:
        """addrconf_addr_gen(): the link-local address by addr_gen_mode."""
        mode = idev.cnf["addr_gen_mode"]
        dev = idev.dev
        if mode in (IN6_ADDR_GEN_MODE_RANDOM, IN6_ADDR_GEN_MODE_STABLE_PRIVACY):
            if mode == IN6_ADDR_GEN_MODE_RANDOM:
                # ipv6_gen_mode_random_init(): a random secret once per device
                if idev.rndid_secret is None:
                    idev.rndid_secret = self.rng.getrandbits(128).to_bytes(16, "big")
                if idev.stable_secret is None:
                    idev.stable_secret = idev.rndid_secret
            addr = self.stable_address(idev, FE80_PREFIX, 0)
            if addr is not None:
                self.add_linklocal(idev, addr, IFA_F_STABLE_PRIVACY)
            elif prefix_route:
                self.prefix_route(FE80_PREFIX + b"\x00" * 8, 64, dev)
        elif mode == IN6_ADDR_GEN_MODE_EUI64:
            iid = self.generate_eui64(dev)
            if iid is not None:
                self.add_linklocal(idev, FE80_PREFIX + iid, 0)
            elif prefix_route:
                self.prefix_route(FE80_PREFIX + b"\x00" * 8, 64, dev)

    def stable_address(self, idev, prefix8: bytes, dad_count: int) -> bytes | None:
        """ipv6_generate_stable_address()."""
        secret = idev.stable_secret or self.default_secret
        if secret is None:
            return None
        perm = idev.dev.perm_addr or b""
        while True:
            iid = stable_ifid(secret, prefix8, perm, dad_count)
            if not _reserved_ifid(iid):
                return prefix8 + iid
            dad_count += 1
            if dad_count > self.sysctl["idgen_retries"]:
                return None

    def add_linklocal(self, idev, addr: bytes, flags: int) -> None:
        """addrconf_add_linklocal(): fe80::IID/64 permanent, its prefix route, DAD."""
        flags |= IFA_F_PERMANENT
        if self.conf_all["optimistic_dad"] or idev.cnf["optimistic_dad"]:
            if not idev.cnf["forwarding"]:
                flags |= IFA_F_OPTIMISTIC
        try:
            ifa = self._add_addr(idev, addr, 64, RT_SCOPE_LINK, flags)
        except KernelError:
            return
        self.prefix_route(FE80_PREFIX + b"\x00" * 8, 64, idev.dev)
        self.dad_start(ifa)

    # ==========================================================================================
    # addresses
    # ==========================================================================================
    def get_ifaddr(self, addr: bytes, dev=None) -> Inet6Ifaddr | None:
        devs = (dev,) if dev is not None else self.ns.devices
        for d in devs:
            i6 = d.ip6
            if i6 is None:
                continue
            for ifa in i6.addr_list:
                if ifa.addr == addr:
                    return ifa
        return None

    def _add_addr(self, idev, addr: bytes, plen: int, scope: int, flags: int,
                  valid: int = INFINITY_LIFE_TIME, prefered: int = INFINITY_LIFE_TIME,
                  proto: int = 0) -> Inet6Ifaddr:
        """ipv6_add_addr(): checks, TENTATIVE unless nodad, insertion by scope."""
        dev = idev.dev
        if addr == UNSPECIFIED or (addr[0] == 0xFF and not flags & 0x400) or \
                (addr == LOOPBACK and not dev.flags & IFF_LOOPBACK):
            raise KernelError(EADDRNOTAVAIL)
        if idev.dead:
            raise KernelError(ENODEV)
        if idev.cnf["disable_ipv6"]:
            raise KernelError(EACCES, "IPv6 is disabled on this device")
        for ifa in idev.addr_list:
            if ifa.addr == addr:
                raise KernelError(EEXIST)
        if not flags & IFA_F_NODAD:
            flags |= IFA_F_TENTATIVE
        ifa = Inet6Ifaddr(idev, addr, plen, scope, flags, valid, prefered, self.engine.now, proto)
        # ipv6_link_dev_addr(): before the first address of the same or a smaller scope
        key = _src_scope(addr)
        lst = idev.addr_list
        i = 0
        while i < len(lst) and key < _src_scope(lst[i].addr):
            i += 1
        lst.insert(i, ifa)
        return ifa

    def addr_add(self, dev, addr: bytes, plen: int, flags: int = 0,
                 valid: int = INFINITY_LIFE_TIME, prefered: int = INFINITY_LIFE_TIME,
                 proto: int = 0) -> Inet6Ifaddr:
        """inet6_rtm_newaddr() -> inet6_addr_add()."""
        if plen > 128:
            raise KernelError(EINVAL, "Invalid prefix length")
        flags &= (IFA_F_NODAD | 0x10 | IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE | 0x400 |
                  IFA_F_OPTIMISTIC)
        if flags & IFA_F_MANAGETEMPADDR and plen != 64:
            raise KernelError(EINVAL, 'address with "mngtmpaddr" flag must have a prefix '
                              'length of 64')
        if dev.ip6 is None and dev.mtu < IPV6_MIN_MTU:
            raise KernelError(ENOENT if False else EINVAL)
        if self.get_ifaddr(addr, dev) is not None:
            raise KernelError(EEXIST)
        if flags & IFA_F_NODAD and flags & IFA_F_OPTIMISTIC:
            raise KernelError(EINVAL, "IFA_F_NODAD and IFA_F_OPTIMISTIC are mutually exclusive")
        idev = self.find_idev(dev)
        if idev.cnf["disable_ipv6"]:
            raise KernelError(EACCES, "IPv6 is disabled on this device")
        if valid == 0 or prefered > valid:
            raise KernelError(EINVAL)
        if valid == INFINITY_LIFE_TIME:
            flags |= IFA_F_PERMANENT
        ifa = self._add_addr(idev, addr, plen, addr_scope(addr), flags, valid, prefered, proto)
        if not flags & IFA_F_NOPREFIXROUTE:
            self.prefix_route(ip6_prefix(addr, plen), plen, dev)
        self.dad_start(ifa)
        return ifa

    def addr_del(self, dev, addr: bytes, plen: int) -> None:
        """inet6_addr_del(): EADDRNOTAVAIL when not found (prefix length must match)."""
        idev = dev.ip6
        if idev is None:
            raise KernelError(ENODEV)
        for ifa in idev.addr_list:
            if ifa.addr == addr and ifa.prefix_len == plen:
                self.del_addr(ifa)
                return
        raise KernelError(EADDRNOTAVAIL)

    def del_addr(self, ifa: Inet6Ifaddr) -> None:
        """ipv6_del_addr(): leave the solicited-node group, remove the routes."""
        if ifa.state == DEAD:
            return
        ifa.state = DEAD
        self._del_dad_timer(ifa)
        idev = ifa.idev
        if ifa in idev.addr_list:
            idev.addr_list.remove(ifa)
        self.leave_solict(idev, ifa.addr)
        if ifa.rt is not None:
            self.fib_delete(ifa.rt)
            ifa.rt = None
        if ifa.flags & IFA_F_PERMANENT and not ifa.flags & IFA_F_NOPREFIXROUTE:
            # cleanup_prefix_route(): the prefix route goes with the last address of the prefix
            pfx = ip6_prefix(ifa.addr, ifa.prefix_len)
            others = [o for o in idev.addr_list if o.prefix_len == ifa.prefix_len and
                      ip6_prefix(o.addr, o.prefix_len) == pfx and
                      not o.flags & IFA_F_NOPREFIXROUTE]
            if not others:
                for r in list(self.tables[RT_TABLE_MAIN]):
                    if r.dev is idev.dev and r.dst == pfx and r.plen == ifa.prefix_len and \
                            r.proto == RTPROT_KERNEL and r.gw is None:
                        self.fib_delete(r)
                        break

    def ifdown(self, dev, unregister: bool) -> None:
        """addrconf_ifdown(): routes of the device, then every address (keep_addr_on_down is
        honoured for permanent global addresses), multicast down, timers stopped."""
        self.rt_disable(dev, unregister)
        idev = dev.ip6
        if idev is None:
            return
        if unregister:
            idev.dead = True
            dev.ip6 = None
        keep_cfg = self.conf_all["keep_addr_on_down"] or idev.cnf["keep_addr_on_down"]
        keep_addr = not unregister and keep_cfg > 0 and not idev.cnf["disable_ipv6"]
        self._del_rs_timer(idev)
        if not unregister:
            idev.if_flags &= ~(IF_RS_SENT | IF_RA_RCVD | IF_READY)
        for ifa in list(idev.addr_list):
            self._del_dad_timer(ifa)
            keep = keep_addr and ifa.flags & IFA_F_PERMANENT and \
                addr_scope(ifa.addr) == RT_SCOPE_UNIVERSE
            if keep:
                ifa.state = PREDAD
                if not ifa.flags & IFA_F_NODAD:
                    ifa.flags |= IFA_F_TENTATIVE
                ifa.rt = None
                continue
            ifa.state = DEAD
            self.leave_solict(idev, ifa.addr)
            idev.addr_list.remove(ifa)
        if unregister:
            for m in list(idev.mc_list):
                self._mc_drop(idev, m, report=False)
            idev.mc_list.clear()
            idev.mc_tomb.clear()
            self.nd.flush_dev(dev)
        else:
            self.mc_down(idev)
        self._cancel_mld_timers(idev)

    # ==========================================================================================
    # DAD
    # ==========================================================================================
    def _del_dad_timer(self, ifa) -> None:
        if ifa.dad_timer is not None:
            ifa.dad_timer.cancel()
            ifa.dad_timer = None

    def _mod_dad_timer(self, ifa, delay: int) -> None:
        self._del_dad_timer(ifa)
        ifa.dad_timer = self.engine.call_later(delay, self.dad_work, ifa)

    def dad_start(self, ifa) -> None:
        """addrconf_dad_start(): PREDAD, work queued now."""
        if ifa.state != DEAD:
            ifa.state = PREDAD
            self._mod_dad_timer(ifa, 0)

    def dad_begin(self, ifa) -> None:
        """addrconf_dad_begin()."""
        idev = ifa.idev
        dev = idev.dev
        self.join_solict(idev, ifa.addr)
        if ifa.state == DEAD:
            return
        if dev.flags & (IFF_NOARP | IFF_LOOPBACK) or \
                (self.conf_all["accept_dad"] < 1 and idev.cnf["accept_dad"] < 1) or \
                not ifa.flags & IFA_F_TENTATIVE or ifa.flags & IFA_F_NODAD:
            ifa.flags &= ~(IFA_F_TENTATIVE | IFA_F_OPTIMISTIC | IFA_F_DADFAILED)
            self.dad_completed(ifa)
            return
        if not idev.if_flags & IF_READY:
            # addrconf_dad_stop(ifp, 0): stays tentative until the link is ready
            self._del_dad_timer(ifa)
            ifa.flags |= IFA_F_TENTATIVE
            return
        if ifa.flags & IFA_F_OPTIMISTIC:
            self._insert_local(ifa)
        self.dad_kick(ifa)

    def dad_kick(self, ifa) -> None:
        """addrconf_dad_kick(): wait rand(router_solicitation_delay) first (not optimistic)."""
        idev = ifa.idev
        delay_s = idev.cnf["router_solicitation_delay"]
        if ifa.flags & IFA_F_OPTIMISTIC or delay_s == 0:
            delay = 0
        else:
            delay = self.rng.randrange(max(1, delay_s * SEC))
        nonce = 0
        if idev.cnf["enhanced_dad"] or self.conf_all["enhanced_dad"]:
            while nonce == 0:
                nonce = self.rng.getrandbits(48)
        ifa.dad_nonce = nonce
        ifa.dad_probes = idev.cnf["dad_transmits"]
        self._mod_dad_timer(ifa, delay)

    def dad_work(self, ifa) -> None:
        """addrconf_dad_work()."""
        ifa.dad_timer = None
        idev = ifa.idev
        if ifa.state == PREDAD:
            ifa.state = DAD
            self.dad_begin(ifa)
            return
        if ifa.state == ERRDAD:
            ifa.state = POSTDAD
            # addrconf_dad_stop(ifp, 1)
            ifa.flags |= IFA_F_DADFAILED
            if ifa.flags & IFA_F_PERMANENT:
                ifa.flags |= IFA_F_TENTATIVE
                ifa.flags &= ~IFA_F_OPTIMISTIC
            else:
                self.del_addr(ifa)
            if (self.conf_all["accept_dad"] > 1 or idev.cnf["accept_dad"] > 1) and \
                    not idev.cnf["disable_ipv6"] and not ifa.flags & IFA_F_STABLE_PRIVACY:
                iid = self.generate_eui64(idev.dev)
                if iid is not None and ifa.addr == FE80_PREFIX + iid:
                    idev.cnf["disable_ipv6"] = 1
                    self.ifdown(idev.dev, False)
            return
        if idev.dead or not idev.if_flags & IF_READY or ifa.state == DEAD:
            return
        if ifa.dad_probes == 0:
            ifa.flags &= ~(IFA_F_TENTATIVE | IFA_F_OPTIMISTIC | IFA_F_DADFAILED)
            self.dad_completed(ifa)
            return
        ifa.dad_probes -= 1
        retrans = max(self.nd.parm(idev.dev, "retrans_time"), 10 * MSEC)
        self._mod_dad_timer(ifa, retrans)
        self.send_ns(idev.dev, ifa.addr, solicited_node(ifa.addr), UNSPECIFIED, ifa.dad_nonce)

    def _lonely_lladdr(self, ifa) -> bool:
        """ipv6_lonely_lladdr(): no other usable permanent link-local address."""
        for o in reversed(ifa.idev.addr_list):
            if o.scope != RT_SCOPE_LINK:
                break
            if o is not ifa and o.flags & (IFA_F_PERMANENT | IFA_F_TENTATIVE |
                                           IFA_F_OPTIMISTIC | IFA_F_DADFAILED) == \
                    IFA_F_PERMANENT:
                return False
        return True

    def accept_ra(self, idev) -> bool:
        """ipv6_accept_ra()."""
        a = idev.cnf["accept_ra"]
        return a == 2 or (a == 1 and not idev.cnf["forwarding"])

    def dad_completed(self, ifa) -> None:
        """addrconf_dad_completed(): the address is usable; MLD again from it; first RS."""
        self._del_dad_timer(ifa)
        ifa.state = POSTDAD if ifa.state != DEAD else DEAD
        self.ifa_notify_new(ifa)
        idev = ifa.idev
        dev = idev.dev
        send_mld = ifa.scope == RT_SCOPE_LINK and self._lonely_lladdr(ifa)
        send_rs = (send_mld and self.accept_ra(idev) and
                   idev.cnf["router_solicitations"] != 0 and not dev.flags & IFF_LOOPBACK and
                   dev.type != ARPHRD_TUNNEL)
        if send_mld:
            self.mc_dad_complete(idev)
        if send_rs:
            ll = self.get_lladdr(dev)
            if ll is None:
                return
            self.send_rs(dev, ll)
            idev.rs_interval = self._backoff_init(idev.cnf["router_solicitation_interval"] * SEC)
            idev.rs_probes = 1
            idev.if_flags |= IF_RS_SENT
            self._mod_rs_timer(idev, idev.rs_interval)

    def dad_run(self, idev) -> None:
        """addrconf_dad_run(): kick the addresses that wait for the link."""
        for ifa in list(idev.addr_list):
            if ifa.flags & IFA_F_TENTATIVE and ifa.state == DAD:
                self.dad_kick(ifa)

    def dad_failure(self, ifa) -> None:
        """addrconf_dad_failure()."""
        if ifa.state in (POSTDAD, DEAD, ERRDAD) and not ifa.flags & IFA_F_TENTATIVE:
            return
        if ifa.state != DAD:       # addrconf_dad_end()
            return
        if ifa.flags & IFA_F_STABLE_PRIVACY:
            idev = ifa.idev
            ifa.dad_count += 1
            if ifa.dad_count <= self.sysctl["idgen_retries"]:
                new = self.stable_address(idev, ifa.addr[:8], ifa.dad_count)
                if new is not None:
                    ifa.state = ERRDAD
                    self._mod_dad_timer(ifa, 0)
                    # the kernel then adds the new address after idgen_delay seconds
                    self.engine.call_later(self.sysctl["idgen_delay"] * SEC,
                                           self._stable_retry, idev, new, ifa.dad_count)
                    return
        ifa.state = ERRDAD
        self._mod_dad_timer(ifa, 0)

    def _stable_retry(self, idev, addr: bytes, count: int) -> None:
        if idev.dead or idev.cnf["disable_ipv6"]:
            return
        try:
            ifa = self._add_addr(idev, addr, 64, RT_SCOPE_LINK,
                                 IFA_F_PERMANENT | IFA_F_STABLE_PRIVACY)
        except KernelError:
            return
        ifa.dad_count = count
        self.dad_start(ifa)

    def ifa_notify_new(self, ifa) -> None:
        """__ipv6_ifa_notify(RTM_NEWADDR): the local route goes in."""
        self._insert_local(ifa)
        if ifa.idev.cnf["forwarding"] and ifa.prefix_len < 127 and \
                addr_scope(ifa.addr) != RT_SCOPE_HOST:
            self._join_anycast(ifa)

    def _insert_local(self, ifa) -> None:
        if ifa.rt is not None or ifa.state == DEAD:
            return
        r = Route6(ifa.addr, 128, ifa.dev, metric=0, proto=RTPROT_KERNEL, type=RTN_LOCAL,
                   table=RT_TABLE_LOCAL)
        r.ifa = ifa
        ifa.rt = r
        self.fib_insert(r)

    def _join_anycast(self, ifa) -> None:
        """addrconf_join_anycast(): the subnet-router anycast address (a local-table route)."""
        pfx = ip6_prefix(ifa.addr, ifa.prefix_len)
        if pfx == ifa.addr:
            return
        for r in self.tables[RT_TABLE_LOCAL]:
            if r.type == RTN_ANYCAST and r.dst == pfx and r.dev is ifa.dev:
                return
        self.fib_insert(Route6(pfx, 128, ifa.dev, metric=0, proto=RTPROT_KERNEL,
                               type=RTN_ANYCAST, table=RT_TABLE_LOCAL))

    def get_lladdr(self, dev, banned: int = IFA_F_TENTATIVE | IFA_F_OPTIMISTIC) -> bytes | None:
        """ipv6_get_lladdr(): the first link-local address without the ``banned`` flags."""
        idev = dev.ip6
        if idev is None:
            return None
        for ifa in idev.addr_list:
            if ifa.scope == RT_SCOPE_LINK and not ifa.flags & banned:
                return ifa.addr
        return None

    # ==========================================================================================
    # router solicitation (addrconf_rs_timer)
    # ==========================================================================================
    def _backoff_init(self, irt: int) -> int:
        """rfc3315_s14_backoff_init(): irt x [0.9, 1.1]."""
        return irt * self.rng.randint(900000, 1100000) // 1000000

    def _backoff_update(self, rt: int, mrt: int) -> int:
        """rfc3315_s14_backoff_update(): rt x [1.9, 2.1], capped at mrt x [0.9, 1.1]."""
        t = rt * self.rng.randint(1900000, 2100000) // 1000000
        if t > mrt:
            t = mrt * self.rng.randint(900000, 1100000) // 1000000
        return t

    def _del_rs_timer(self, idev) -> None:
        if idev.rs_timer is not None:
            idev.rs_timer.cancel()
            idev.rs_timer = None

    def _mod_rs_timer(self, idev, delay: int) -> None:
        self._del_rs_timer(idev)
        idev.rs_timer = self.engine.call_later_background(delay, self.rs_timer, idev)

    def rs_timer(self, idev) -> None:
        idev.rs_timer = None
        if idev.dead or not idev.if_flags & IF_READY or not self.accept_ra(idev):
            return
        if idev.if_flags & IF_RA_RCVD:
            return
        n = idev.cnf["router_solicitations"]
        probes = idev.rs_probes
        idev.rs_probes += 1
        if probes < n or n < 0:
            ll = self.get_lladdr(idev.dev)
            if ll is None:
                return
            self.send_rs(idev.dev, ll)
            idev.rs_interval = self._backoff_update(
                idev.rs_interval, idev.cnf["router_solicitation_max_interval"] * SEC)
            self._mod_rs_timer(idev, idev.cnf["router_solicitation_delay"] * SEC
                               if idev.rs_probes == n else idev.rs_interval)

    # ==========================================================================================
    # multicast groups and MLDv2 (mcast.c)
    # ==========================================================================================
    def _mld_interval(self, idev) -> int:
        """unsolicited_report_interval() for MLDv2, ns (at least one jiffy)."""
        return max(idev.cnf["mldv2_unsolicited_report_interval"] * MSEC, 4 * MSEC)

    @staticmethod
    def _noreport(group: bytes) -> bool:
        return group == ALL_NODES or (group[1] & 0x0F) < 2

    def mc_find(self, idev, group: bytes):
        for m in idev.mc_list:
            if m[0] == group:
                return m
        return None

    def mc_inc(self, idev, group: bytes) -> None:
        """ipv6_dev_mc_inc(): one more user; a new group joins (link-layer filter + report)."""
        m = self.mc_find(idev, group)
        if m is not None:
            m[1] += 1
            return
        # [group, users, noreport, crcount]
        m = [group, 1, self._noreport(group), 0]
        idev.mc_list.insert(0, m)
        for t in idev.mc_tomb:
            if t[0] == group:
                idev.mc_tomb.remove(t)
                break
        dev = idev.dev
        if dev.has_eth_header and len(dev.addr) == 6:
            dev_mc_add(dev, b"\x33\x33" + group[12:16])
        self._group_added(idev, m)

    def mc_dec(self, idev, group: bytes) -> None:
        m = self.mc_find(idev, group)
        if m is None:
            return
        m[1] -= 1
        if m[1] > 0:
            return
        idev.mc_list.remove(m)
        self._mc_drop(idev, m, report=True)

    def _mc_drop(self, idev, m, report: bool) -> None:
        dev = idev.dev
        if dev.has_eth_header and len(dev.addr) == 6:
            dev_mc_del(dev, b"\x33\x33" + m[0][12:16])
        if report and not m[2] and dev.flags & IFF_UP and idev.if_flags & IF_READY:
            # mld_add_delrec(): a TO_IN record, robustness times
            idev.mc_tomb.append([m[0], idev.mc_qrv])
            self._ifc_event(idev)

    def _group_added(self, idev, m) -> None:
        """mld_group_added() (MLDv2, EXCLUDE mode with no sources)."""
        if m[2]:
            return
        if not idev.dev.flags & IFF_UP:
            return
        m[3] = idev.mc_qrv
        self._ifc_event(idev)

    def _ifc_event(self, idev) -> None:
        """mld_ifc_event(): robustness reports, the first one now."""
        idev.mc_ifc_count = idev.mc_qrv
        self._ifc_start(idev, 0)

    def _ifc_start(self, idev, delay: int) -> None:
        """mld_ifc_start_work(): at a random time below ``delay`` (kept if sooner)."""
        tv = self.rng.randrange(delay) if delay > 0 else 0
        t = idev.mc_ifc_timer
        when = self.engine.now + tv
        if t is not None and not t.cancelled:
            if t.when <= when:
                return
            t.cancel()
        idev.mc_ifc_timer = self.engine.call_at(when, self._ifc_work, idev)

    def _ifc_work(self, idev) -> None:
        idev.mc_ifc_timer = None
        if idev.dead:
            return
        self.mld_send_cr(idev)
        if idev.mc_ifc_count:
            idev.mc_ifc_count -= 1
            if idev.mc_ifc_count:
                self._ifc_start(idev, self._mld_interval(idev))

    def mc_dad_complete(self, idev) -> None:
        """ipv6_mc_dad_complete(): the initial report again, now from the link-local address."""
        idev.mc_dad_count = idev.mc_qrv
        if idev.mc_dad_count:
            self.mld_send_initial_cr(idev)
            idev.mc_dad_count -= 1
            if idev.mc_dad_count:
                self._dad_mld_start(idev, self._mld_interval(idev))

    def _dad_mld_start(self, idev, delay: int) -> None:
        tv = self.rng.randrange(delay) if delay > 0 else 0
        t = idev.mc_dad_timer
        if t is not None and not t.cancelled:
            t.cancel()
        idev.mc_dad_timer = self.engine.call_later(tv, self._dad_mld_work, idev)

    def _dad_mld_work(self, idev) -> None:
        idev.mc_dad_timer = None
        if idev.dead:
            return
        self.mld_send_initial_cr(idev)
        if idev.mc_dad_count:
            idev.mc_dad_count -= 1
            if idev.mc_dad_count:
                self._dad_mld_start(idev, self._mld_interval(idev))

    def _cancel_mld_timers(self, idev) -> None:
        for name in ("mc_ifc_timer", "mc_dad_timer"):
            t = getattr(idev, name)
            if t is not None:
                t.cancel()
                setattr(idev, name, None)

    def mc_up(self, idev) -> None:
        """ipv6_mc_up(): every group is (re)announced."""
        for m in reversed(idev.mc_list):
            self._group_added(idev, m)

    def mc_down(self, idev) -> None:
        """ipv6_mc_down(): timers stop, pending records are forgotten."""
        self._cancel_mld_timers(idev)
        idev.mc_tomb.clear()
        for m in idev.mc_list:
            m[3] = 0

    def join_solict(self, idev, addr: bytes) -> None:
        """addrconf_join_solict(): not for NOARP devices."""
        if idev.dev.flags & (IFF_LOOPBACK | IFF_NOARP):
            return
        self.mc_inc(idev, solicited_node(addr))

    def leave_solict(self, idev, addr: bytes) -> None:
        if idev.dev.flags & (IFF_LOOPBACK | IFF_NOARP):
            return
        self.mc_dec(idev, solicited_node(addr))

    def mc_joined(self, dev, group: bytes) -> bool:
        """ipv6_chk_mcast_addr()."""
        idev = dev.ip6
        if idev is None:
            return False
        for m in idev.mc_list:
            if m[0] == group:
                return True
        return False

    def mld_send_cr(self, idev) -> None:
        """mld_send_cr(): change records for left groups (TO_IN) and joined ones (TO_EX)."""
        recs = []
        for t in list(idev.mc_tomb):
            recs.append(I6.mld2_record(I6.MLD2_CHANGE_TO_INCLUDE, t[0]))
            t[1] -= 1
            if t[1] <= 0:
                idev.mc_tomb.remove(t)
        for m in idev.mc_list:
            if m[3] > 0 and not m[2]:
                recs.append(I6.mld2_record(I6.MLD2_CHANGE_TO_EXCLUDE, m[0]))
                m[3] -= 1
        if recs:
            self.mld_sendpack(idev, recs)

    def mld_send_initial_cr(self, idev) -> None:
        recs = [I6.mld2_record(I6.MLD2_CHANGE_TO_EXCLUDE, m[0]) for m in idev.mc_list
                if not m[2]]
        if recs:
            self.mld_sendpack(idev, recs)

    def mld_sendpack(self, idev, recs: list) -> None:
        """mld_newpack() + mld_sendpack(): from the link-local address (:: during DAD), to
        ff02::16, hop limit 1, hop-by-hop router alert."""
        dev = idev.dev
        src = self.get_lladdr(dev, IFA_F_TENTATIVE)
        if src is None:
            src = UNSPECIFIED
        dst = ALL_MLDV2_ROUTERS
        msg = I6.build(src, dst, I6.MLD2_REPORT, 0, len(recs), b"".join(recs))
        self.output_mc(dev, src, dst, IPPROTO_HOPOPTS, HBH_RTALERT_MLD + msg, hlim=1)

    # ==========================================================================================
    # fib6
    # ==========================================================================================
    def fib_insert(self, r: Route6) -> None:
        """fib6_add_rt2node(): after every route of the same prefix with metric <= r's. Prefixes
        are kept in the order of the kernel's dump, a post-order walk of the fib6 trie (a
        prefix after every more specific one inside it; ``::/0`` last)."""
        lst = self.tables.setdefault(r.table, [])
        key = _walk_key(r)
        i = 0
        n = len(lst)
        while i < n and _walk_key(lst[i]) < key:
            i += 1
        while i < n and _walk_key(lst[i]) == key and lst[i].metric <= r.metric:
            i += 1
        lst.insert(i, r)

    def fib_delete(self, r: Route6) -> None:
        lst = self.tables.get(r.table, [])
        if r in lst:
            lst.remove(r)

    def routes(self):
        """(table, route) in the order of a dump of all tables (main, then local, then others)."""
        order = [RT_TABLE_MAIN, RT_TABLE_LOCAL] + sorted(
            t for t in self.tables if t not in (RT_TABLE_MAIN, RT_TABLE_LOCAL))
        for t in order:
            for r in self.tables.get(t, ()):
                yield t, r

    def prefix_route(self, pfx: bytes, plen: int, dev, metric: int = IP6_RT_PRIO_ADDRCONF,
                     proto: int = RTPROT_KERNEL) -> None:
        """addrconf_prefix_route() (no duplicate of an existing one)."""
        pfx = ip6_prefix(pfx, plen)
        for r in self.tables[RT_TABLE_MAIN]:
            if r.dst == pfx and r.plen == plen and r.dev is dev and r.gw is None and \
                    r.metric == metric:
                return
        r = Route6(pfx, plen, dev, metric=metric, proto=proto)
        if not dev.flags & IFF_UP:
            r.nh_flags |= RTNH_F_DEAD        # fib6_nh_init(): hidden until the device is up
        elif not self.link_ready(dev):
            r.nh_flags |= RTNH_F_LINKDOWN
        self.fib_insert(r)

    def rt_disable(self, dev, unregister: bool) -> None:
        """rt6_disable_ip() / fib6_ifdown(): every route through the device goes."""
        for t in self.tables.values():
            t[:] = [r for r in t if r.dev is not dev]
        for ifa in (dev.ip6.addr_list if dev.ip6 is not None else ()):
            ifa.rt = None
        self.nd.flush_dev(dev)

    def _sync_down(self, dev) -> None:
        """rt6_sync_down_dev(NETDEV_CHANGE): nexthops through the device are linkdown."""
        for t in self.tables.values():
            for r in t:
                if r.dev is dev and r.type not in (RTN_LOCAL, RTN_ANYCAST):
                    r.nh_flags |= RTNH_F_LINKDOWN
        idev = dev.ip6
        if idev is not None and (idev.cnf["ndisc_evict_nocarrier"] and
                                 self.conf_all["ndisc_evict_nocarrier"]):
            self.nd.flush_dev(dev, skip_perm=True)

    def _sync_up(self, dev) -> None:
        """rt6_sync_up(): RTNH_F_DEAD and RTNH_F_LINKDOWN cleared."""
        for t in self.tables.values():
            for r in t:
                if r.dev is dev:
                    r.nh_flags &= ~(RTNH_F_LINKDOWN | RTNH_F_DEAD)

    def route_add(self, r: Route6, replace: bool = False, excl: bool = True) -> None:
        """ip6_route_add() for RTM_NEWROUTE from userspace."""
        lst = self.tables.setdefault(r.table, [])
        for o in lst:
            if o.dst == r.dst and o.plen == r.plen and o.metric == r.metric:
                same_nh = o.dev is r.dev and o.gw == r.gw
                if replace:
                    lst.remove(o)
                    break
                if same_nh or excl:
                    raise KernelError(EEXIST)
        self.fib_insert(r)

    def route_del(self, dst: bytes, plen: int, table: int | None = None, dev=None,
                  gw: bytes | None = None, metric: int | None = None) -> Route6:
        tables = [table] if table is not None else [RT_TABLE_MAIN, RT_TABLE_LOCAL]
        for t in tables:
            for r in self.tables.get(t, ()):
                if r.dst != dst or r.plen != plen:
                    continue
                if dev is not None and r.dev is not dev:
                    continue
                if gw is not None and r.gw != gw:
                    continue
                if metric is not None and r.metric != metric:
                    continue
                self.fib_delete(r)
                if r.ifa is not None:
                    r.ifa.rt = None
                return r
        raise KernelError(ESRCH)

    def _lookup_table(self, table: int, dst: bytes, oif, strict: bool):
        best = None
        for r in self.tables.get(table, ()):
            if best is not None and r.plen < best.plen:
                continue
            if not r.matches(dst):
                continue
            if r.type in (RTN_LOCAL, RTN_ANYCAST):
                pass
            elif oif is not None and r.dev is not None and r.dev is not oif:
                if strict or r.gw is None:
                    continue
            if r.nh_flags & RTNH_F_DEAD or (r.dev is not None and r.type not in (
                    RTN_LOCAL, RTN_ANYCAST) and not r.dev.flags & IFF_UP):
                continue
            if best is None or r.plen > best.plen or (r.plen == best.plen and
                                                      r.metric < best.metric):
                best = r
        return best

    def route_lookup(self, dst: bytes, oif=None) -> Route6 | None:
        """fib6 policy: the local table first, then main. Link-local and multicast destinations
        need the outgoing device to match (RT6_LOOKUP_F_IFACE)."""
        strict = oif is not None and (dst[0] == 0xFF or (dst[0] == 0xFE and dst[1] & 0xC0 == 0x80))
        r = self._lookup_table(RT_TABLE_LOCAL, dst, oif, strict)
        if r is not None:
            return r
        r = self._lookup_table(RT_TABLE_MAIN, dst, oif, strict)
        if r is not None:
            return r
        for t in sorted(self.tables):
            if t not in (RT_TABLE_MAIN, RT_TABLE_LOCAL):
                r = self._lookup_table(t, dst, oif, strict)
                if r is not None:
                    return r
        return None

    def is_local(self, addr: bytes) -> bool:
        for r in self.tables[RT_TABLE_LOCAL]:
            if r.type == RTN_LOCAL and r.dst == addr:
                return True
        return False

    # ==========================================================================================
    # source address selection (ipv6_dev_get_saddr, RFC 6724 rules 1, 2, 3, 5, 8)
    # ==========================================================================================
    def select_saddr(self, dst: bytes, dev=None) -> bytes | None:
        dscope = _src_scope(dst)
        best = None
        best_key = None
        devs = self.ns.devices
        for d in devs:
            i6 = d.ip6
            if i6 is None:
                continue
            for ifa in i6.addr_list:
                if ifa.flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED) and \
                        not ifa.flags & IFA_F_OPTIMISTIC:
                    continue
                s = _src_scope(ifa.addr)
                if dev is not None and s <= 2 and d is not dev:
                    continue        # link-local addresses only on the outgoing device
                if dscope <= 2 and dev is not None and d is not dev:
                    continue
                key = (ifa.addr == dst,
                       (s >= dscope, -s if s >= dscope else s),
                       not ifa.flags & 0x20,
                       dev is None or d is dev,
                       _common_prefix(ifa.addr, dst))
                if best_key is None or key > best_key:
                    best, best_key = ifa.addr, key
        return best

    # ==========================================================================================
    # receive (ip6_input.c, ip6_rcv_core / ip6_input_finish)
    # ==========================================================================================
    def _mib(self, key: str, n: int = 1) -> None:
        self.mib[key] = self.mib.get(key, 0) + n

    def _drop(self, skb, dev, reason: str) -> None:
        tr = self.kernel.trace
        if tr is not None:
            tr.drop(self.engine.now, self.ns, dev, skb, reason, None)

    def ipv6_rcv(self, skb: Skb) -> None:
        dev = skb.dev
        if skb.pkt_type == PACKET_OTHERHOST:
            dev.rx_otherhost_dropped += 1
            self._drop(skb, dev, "OTHERHOST")
            return
        idev = dev.ip6
        if idev is None or idev.cnf["disable_ipv6"]:
            self._mib("Ip6InDiscards")
            self._drop(skb, dev, "IPV6DISABLED")
            return
        data = skb.data[skb.mac_len:]
        if len(data) < 40 or data[0] >> 4 != 6:
            self._mib("Ip6InHdrErrors")
            self._drop(skb, dev, "IP_INHDR")
            return
        vtf, plen, nxt, hlim, src, dst = _IP6H.unpack_from(data)
        if 40 + plen > len(data):
            self._mib("Ip6InTruncatedPkts")
            self._drop(skb, dev, "PKT_TOO_SMALL")
            return
        data = data[:40 + plen]
        self._mib("Ip6InReceives")
        if dst == LOOPBACK and not dev.flags & IFF_LOOPBACK:
            self._drop(skb, dev, "IP_INADDRERRORS")
            return
        if src[0] == 0xFF:
            self._drop(skb, dev, "IP_INADDRERRORS")
            return
        if dst[0] == 0xFF:
            if (dst[1] & 0x0F) == 1 and not dev.flags & IFF_LOOPBACK:
                self._drop(skb, dev, "IP_INADDRERRORS")
                return
            if self.mc_joined(dev, dst) or dev.flags & IFF_LOOPBACK:
                self._mib("Ip6InMcastPkts")
                self.local_deliver(skb, data, nxt, src, dst, dev)
            else:
                self._drop(skb, dev, "IP_INADDRERRORS")
            return
        r = self.route_lookup(dst, dev if (dst[0] == 0xFE and dst[1] & 0xC0 == 0x80) else None)
        if r is not None and r.type == RTN_LOCAL:
            # a link-local destination is local only on its own device
            if dst[0] == 0xFE and dst[1] & 0xC0 == 0x80 and r.dev is not dev and \
                    not dev.flags & IFF_LOOPBACK:
                self._drop(skb, dev, "IP_INADDRERRORS")
                return
            self.local_deliver(skb, data, nxt, src, dst, dev)
            return
        if r is not None and r.type == RTN_ANYCAST:
            self.local_deliver(skb, data, nxt, src, dst, dev)
            return
        self.forward(skb, data, r, hlim, src, dst, dev)

    def local_deliver(self, skb, data: bytes, nxt: int, src: bytes, dst: bytes, dev) -> None:
        """ip6_input_finish(): skip the extension headers we know, then the protocol."""
        off = 40
        while nxt in (IPPROTO_HOPOPTS, 60, 43):
            if len(data) < off + 2:
                return
            nxt, hl = data[off], data[off + 1]
            off += (hl + 1) * 8
        self._mib("Ip6InDelivers")
        fn = self.protos.get(nxt)
        if fn is not None:
            fn(skb, data, off, src, dst, dev)
            return
        if nxt == IPPROTO_NONE:
            return
        # no protocol: ICMPv6 parameter problem (unrecognized next header) / port unreachable
        if nxt == IPPROTO_UDP:
            self.icmp6_send(data, dev, I6.DEST_UNREACH, I6.PORT_UNREACH)
        elif nxt != IPPROTO_TCP:
            self.icmp6_send(data, dev, I6.PARAMPROB, 1, 6 if off == 40 else 0)
        self._drop(skb, dev, "UNHANDLED_PROTO")

    def forward(self, skb, data: bytes, r, hlim: int, src: bytes, dst: bytes, dev) -> None:
        """ip6_forward()."""
        idev = dev.ip6
        if not self.conf_all["forwarding"] or (idev is not None and not idev.cnf["forwarding"]
                                                and not self.conf_all["forwarding"]):
            self._mib("Ip6InAddrErrors")
            self._drop(skb, dev, "IP_INADDRERRORS")
            return
        if skb.pkt_type != 0:        # PACKET_HOST only
            self._drop(skb, dev, "OTHERHOST")
            return
        if (src[0] == 0xFE and src[1] & 0xC0 == 0x80) or (dst[0] == 0xFE and
                                                          dst[1] & 0xC0 == 0x80):
            # ip6_forward(): link-local source or destination: beyond scope
            self.icmp6_send(data, dev, I6.DEST_UNREACH, 2)
            self._drop(skb, dev, "IP_INADDRERRORS")
            return
        if hlim <= 1:
            self.icmp6_send(data, dev, I6.TIME_EXCEED, I6.EXC_HOPLIMIT)
            self._mib("Ip6InHdrErrors")
            self._drop(skb, dev, "IP_INHDR")
            return
        if r is None or r.type in (RTN_UNREACHABLE, RTN_BLACKHOLE, RTN_PROHIBIT):
            if r is None or r.type == RTN_UNREACHABLE:
                self.icmp6_send(data, dev, I6.DEST_UNREACH, I6.NOROUTE)
            self._mib("Ip6InNoRoutes")
            self._drop(skb, dev, "IP_INNOROUTES")
            return
        odev = r.dev
        mtu = odev.ip6.cnf["mtu"] if odev.ip6 is not None else odev.mtu
        if r.mtu:
            mtu = min(mtu, r.mtu)
        if len(data) > mtu:
            self.icmp6_send(data, dev, I6.PKT_TOOBIG, 0, mtu)
            self._drop(skb, dev, "PKT_TOO_BIG")
            return
        self.forwarded += 1
        self._mib("Ip6OutForwDatagrams")
        out = data[:7] + bytes((hlim - 1,)) + data[8:]
        s = Skb(out, dev=odev, protocol=ETH_P_IPV6, mac_len=0)
        nh = r.gw if r.gw is not None else dst
        self.finish_output(s, odev, nh)

    # ==========================================================================================
    # output (ip6_output.c)
    # ==========================================================================================
    def ip6_send(self, dst: bytes, nxt: int, payload: bytes, saddr: bytes | None = None,
                 oif=None, hlim: int | None = None, tclass: int = 0, sk=None) -> None:
        """Local output: route (ENETUNREACH), source selection (EADDRNOTAVAIL), header."""
        if dst[0] == 0xFF:
            dev = oif
            if dev is None:
                r = self.route_lookup(dst, None)
                if r is None:
                    raise KernelError(ENETUNREACH)
                dev = r.dev
            if saddr is None:
                saddr = self.select_saddr(dst, dev) or UNSPECIFIED
            if hlim is None:
                hlim = 1
            self.output_mc(dev, saddr, dst, nxt, payload, hlim, tclass)
            return
        r = self.route_lookup(dst, oif)
        if r is None or r.type in (RTN_UNREACHABLE, RTN_PROHIBIT, RTN_BLACKHOLE):
            raise KernelError(ENETUNREACH)
        if r.type in (RTN_LOCAL, RTN_ANYCAST):
            dev = self.ns.lo
            out_dev = oif or r.dev
        else:
            dev = r.dev
            out_dev = dev
        if saddr is None:
            saddr = self.select_saddr(dst, out_dev if r.type not in (RTN_LOCAL,) else oif)
            if saddr is None:
                if r.type == RTN_LOCAL:
                    saddr = dst
                else:
                    raise KernelError(EADDRNOTAVAIL)
        if hlim is None:
            i6 = dev.ip6
            hlim = i6.cnf["hop_limit"] if i6 is not None else 64
        pkt = _IP6H.pack(0x60000000 | tclass << 20, len(payload), nxt, hlim, saddr, dst) + payload
        skb = Skb(pkt, dev=dev, protocol=ETH_P_IPV6, mac_len=0)
        skb.sk = sk
        self._mib("Ip6OutRequests")
        mtu = dev.ip6.cnf["mtu"] if dev.ip6 is not None else dev.mtu
        if len(pkt) > mtu and r.type not in (RTN_LOCAL, RTN_ANYCAST):
            raise KernelError(90)      # EMSGSIZE (no fragmentation of our own datagrams here)
        nh = r.gw if r.gw is not None else dst
        self.finish_output(skb, dev, nh)

    def output_mc(self, dev, src: bytes, dst: bytes, nxt: int, payload: bytes,
                  hlim: int = 255, tclass: int = 0) -> None:
        """A packet to a multicast (or link-scope) destination straight out of ``dev``."""
        pkt = _IP6H.pack(0x60000000 | tclass << 20, len(payload), nxt, hlim, src, dst) + payload
        skb = Skb(pkt, dev=dev, protocol=ETH_P_IPV6, mac_len=0)
        self._mib("Ip6OutMcastPkts" if dst[0] == 0xFF else "Ip6OutRequests")
        self.finish_output(skb, dev, dst)

    def finish_output(self, skb: Skb, dev, nexthop: bytes) -> None:
        """ip6_finish_output2(): the neighbour (multicast: NOARP, 33:33 + low 32 bits)."""
        skb.dev = dev
        skb.protocol = ETH_P_IPV6
        if not dev.has_eth_header:
            skb.mac_len = 0
            dev_queue_xmit(skb)
            return
        if dev.flags & IFF_LOOPBACK:
            skb.data = dev.addr + dev.addr + b"\x86\xdd" + skb.data
            skb.mac_len = 14
            dev_queue_xmit(skb)
            return
        nd = self.nd
        n = nd.entries.get((nexthop, dev))
        if n is None:
            n = nd.create(nexthop, dev)
        hh = n.hh
        if hh is not None:
            skb.data = hh + skb.data
            skb.mac_len = 14
            dev_queue_xmit(skb)
            return
        self.neigh_output(n, skb)

    # ---- neighbour glue (the NeighTable calls these, as it does for IPv4) ---------------------
    def arp_constructor(self, n) -> None:
        """ndisc_constructor()."""
        dev = n.dev
        key = n.key
        n.type = RTN_UNICAST
        if not dev.has_eth_header:
            n.state = NUD_NOARP
            n.hh = b""
            return
        if key[0] == 0xFF:
            n.state = NUD_NOARP
            n.ha = b"\x33\x33" + key[12:16]
            n.type = RTN_MULTICAST
        elif dev.flags & (IFF_NOARP | IFF_LOOPBACK):
            n.state = NUD_NOARP
            n.ha = dev.addr
        elif dev.flags & IFF_POINTOPOINT:
            n.state = NUD_NOARP
            n.ha = dev.broadcast
        if n.state & NUD_VALID:
            self.neigh_connect(n)

    def neigh_connect(self, n) -> None:
        dev = n.dev
        n.hh = n.ha + dev.addr + b"\x86\xdd" if dev.has_eth_header else b""

    def neigh_output(self, n, skb: Skb) -> None:
        if n.hh is not None:
            skb.data = n.hh + skb.data
            skb.mac_len = 14
            skb.dev = n.dev
            dev_queue_xmit(skb)
            return
        n.used = self.engine.now
        if self.nd.event_send(n, skb):
            return
        dev = n.dev
        skb.data = n.ha + dev.addr + b"\x86\xdd" + skb.data
        skb.mac_len = 14
        skb.dev = dev
        dev_queue_xmit(skb)

    def arp_error_report(self, n, skb: Skb) -> None:
        """ndisc_error_report(): address unreachable back to the sender."""
        data = skb.data[skb.mac_len:]
        self.icmp6_send(data, n.dev, I6.DEST_UNREACH, I6.ADDR_UNREACH)
        self._drop(skb, n.dev, "NEIGH_FAILED")

    def arp_solicit(self, n, skb) -> None:
        """ndisc_solicit(): unicast probes first (NUD_PROBE), then to the solicited-node group."""
        dev = n.dev
        target = n.key
        saddr = None
        if skb is not None:
            ip = skb.data[skb.mac_len:]
            if len(ip) >= 40:
                s = ip[8:24]
                ifa = self.get_ifaddr(s, dev)
                if ifa is not None and not ifa.flags & (IFA_F_TENTATIVE | IFA_F_OPTIMISTIC):
                    saddr = s
        probes = n.probes - self.nd.parm(dev, "ucast_solicit")
        if probes < 0:
            self.send_ns(dev, target, target, saddr)
        elif probes - self.nd.parm(dev, "app_solicit") < 0:
            return
        else:
            self.send_ns(dev, target, solicited_node(target), saddr)

    # ==========================================================================================
    # neighbour discovery (ndisc.c)
    # ==========================================================================================
    def _ndisc_send(self, dev, src: bytes, dst: bytes, msg: bytes) -> None:
        """ndisc_send_skb(): hop limit 255, straight out of the device."""
        if dst[0] == 0xFF:
            self.output_mc(dev, src, dst, IPPROTO_ICMPV6, msg, hlim=255)
            return
        pkt = _IP6H.pack(0x60000000, len(msg), IPPROTO_ICMPV6, 255, src, dst) + msg
        skb = Skb(pkt, dev=dev, protocol=ETH_P_IPV6, mac_len=0)
        self._mib("Ip6OutRequests")
        self.finish_output(skb, dev, dst)

    def send_ns(self, dev, target: bytes, dst: bytes, saddr: bytes | None,
                nonce: int = 0) -> None:
        """ndisc_send_ns()."""
        if saddr is None:
            saddr = self.get_lladdr(dev)
            if saddr is None:
                return
        opts = b""
        if saddr != UNSPECIFIED and dev.addr_len and dev.has_eth_header:
            opts += I6.opt_lladdr(I6.ND_OPT_SOURCE_LL_ADDR, dev.addr)
        if nonce:
            opts += bytes((14, 1)) + nonce.to_bytes(6, "big")
        msg = I6.build(saddr, dst, I6.NEIGHBOUR_SOLICIT, 0, 0, target + opts)
        self._ndisc_send(dev, saddr, dst, msg)

    def send_na(self, dev, daddr: bytes, target: bytes, router: bool, solicited: bool,
                override: bool, inc_opt: bool) -> None:
        """ndisc_send_na(): from the target when it is ours."""
        ifa = self.get_ifaddr(target, dev)
        if ifa is not None:
            src = target
            if ifa.flags & IFA_F_OPTIMISTIC:
                override = False
            inc_opt = inc_opt or bool(ifa.idev.cnf["force_tllao"])
        else:
            src = self.select_saddr(daddr, dev)
            if src is None:
                return
        if daddr == UNSPECIFIED:
            daddr = ALL_NODES
            solicited = False
        flags = (I6.NA_ROUTER if router else 0) | (I6.NA_SOLICITED if solicited else 0) | \
            (I6.NA_OVERRIDE if override else 0)
        opts = b""
        if inc_opt and dev.addr_len and dev.has_eth_header:
            opts = I6.opt_lladdr(I6.ND_OPT_TARGET_LL_ADDR, dev.addr)
        msg = I6.build(src, daddr, I6.NEIGHBOUR_ADVERT, 0, flags << 24, target + opts)
        self._ndisc_send(dev, src, daddr, msg)

    def send_rs(self, dev, saddr: bytes) -> None:
        """ndisc_send_rs(): to ff02::2 with the source link-layer address option."""
        opts = b""
        if saddr != UNSPECIFIED and dev.addr_len and dev.has_eth_header:
            opts = I6.opt_lladdr(I6.ND_OPT_SOURCE_LL_ADDR, dev.addr)
        msg = I6.build(saddr, ALL_ROUTERS, I6.ROUTER_SOLICIT, 0, 0, opts)
        self._ndisc_send(dev, saddr, ALL_ROUTERS, msg)

    def ndisc_rcv(self, skb, data: bytes, off: int, src: bytes, dst: bytes, dev, t: int) -> None:
        if data[7] != 255:          # hop limit must be 255
            return
        msg = data[off:]
        if t == I6.NEIGHBOUR_SOLICIT:
            self.recv_ns(skb, msg, src, dst, dev)
        elif t == I6.NEIGHBOUR_ADVERT:
            self.recv_na(skb, msg, src, dst, dev)
        elif t == I6.ROUTER_ADVERT:
            idev = dev.ip6
            if idev is not None and self.accept_ra(idev):
                idev.if_flags |= IF_RA_RCVD
                self._del_rs_timer(idev)

    def _opts(self, body: bytes):
        try:
            return I6.parse_options(body)
        except ValueError:
            return None

    def recv_ns(self, skb, msg: bytes, src: bytes, dst: bytes, dev) -> None:
        """ndisc_recv_ns()."""
        if len(msg) < 24:
            return
        target = msg[8:24]
        if target[0] == 0xFF:
            return
        dad = src == UNSPECIFIED
        if dad and dst[:13] != solicited_node(target)[:13]:
            return
        opts = self._opts(msg[24:])
        if opts is None:
            return
        lladdr = I6.option_lladdr(opts, I6.ND_OPT_SOURCE_LL_ADDR)
        if lladdr is not None and dad:
            return
        nonce = 0
        for tp, o in opts:
            if tp == 14 and len(o) >= 8:
                nonce = int.from_bytes(o[2:8], "big")
        inc = dst[0] == 0xFF
        ifa = self.get_ifaddr(target, dev)
        idev = dev.ip6
        if ifa is not None:
            if ifa.flags & (IFA_F_TENTATIVE | IFA_F_OPTIMISTIC):
                if dad:
                    if nonce and ifa.dad_nonce == nonce:
                        return       # our own NS looped back
                    self.dad_failure(ifa)
                    return
                if not ifa.flags & IFA_F_OPTIMISTIC:
                    return
        else:
            if not self._is_anycast(target, dev):
                return
        if idev is None:
            return
        is_router = bool(idev.cnf["forwarding"])
        if dad:
            self.send_na(dev, ALL_NODES, target, is_router, False, ifa is not None, True)
            return
        create = (not inc) or lladdr is not None or not dev.addr_len
        n = self.nd.entries.get((src, dev))
        if n is None and create:
            n = self.nd.create(src, dev)
        if n is not None:
            self.nd.update(n, lladdr, NUD_STALE,
                           NEIGH_UPDATE_F_WEAK_OVERRIDE | NEIGH_UPDATE_F_OVERRIDE)
        if n is not None or not dev.has_eth_header:
            self.send_na(dev, src, target, is_router, True, ifa is not None and inc, inc)

    def _is_anycast(self, addr: bytes, dev) -> bool:
        for r in self.tables[RT_TABLE_LOCAL]:
            if r.type == RTN_ANYCAST and r.dst == addr and r.dev is dev:
                return True
        return False

    def recv_na(self, skb, msg: bytes, src: bytes, dst: bytes, dev) -> None:
        """ndisc_recv_na()."""
        if len(msg) < 24:
            return
        flags = msg[4]
        target = msg[8:24]
        if target[0] == 0xFF:
            return
        if dst[0] == 0xFF and flags & I6.NA_SOLICITED:
            return
        opts = self._opts(msg[24:])
        if opts is None:
            return
        lladdr = I6.option_lladdr(opts, I6.ND_OPT_TARGET_LL_ADDR)
        ifa = self.get_ifaddr(target, dev)
        if ifa is not None:
            if skb.pkt_type != PACKET_LOOPBACK and ifa.flags & IFA_F_TENTATIVE:
                self.dad_failure(ifa)
            return
        n = self.nd.entries.get((target, dev))
        if n is None:
            return
        if n.state & NUD_FAILED:
            return
        new = NUD_REACHABLE if flags & I6.NA_SOLICITED else NUD_STALE
        uflags = NEIGH_UPDATE_F_WEAK_OVERRIDE | (NEIGH_UPDATE_F_OVERRIDE if flags &
                                                 I6.NA_OVERRIDE else 0)
        self.nd.update(n, lladdr, new, uflags)
        if flags & I6.NA_ROUTER:
            n.flags |= NTF_ROUTER
        elif flags & I6.NA_OVERRIDE or lladdr is None or lladdr == n.ha:
            n.flags &= ~NTF_ROUTER

    # ==========================================================================================
    # ICMPv6 (icmp.c)
    # ==========================================================================================
    def icmpv6_rcv(self, skb, data: bytes, off: int, src: bytes, dst: bytes, dev) -> None:
        msg = data[off:]
        if len(msg) < 8 or not I6.verify(src, dst, msg):
            self._mib("Icmp6InErrors")
            self._drop(skb, dev, "ICMP_CSUM")
            return
        self._mib("Icmp6InMsgs")
        t = msg[0]
        if t == I6.ECHO_REQUEST:
            if self.sysctl["icmp.echo_ignore_all"]:
                return
            if dst[0] == 0xFF and self.sysctl["icmp.echo_ignore_multicast"]:
                return
            self.echo_reply(data, off, src, dst, dev)
            return
        if t in (I6.NEIGHBOUR_SOLICIT, I6.NEIGHBOUR_ADVERT, I6.ROUTER_SOLICIT,
                 I6.ROUTER_ADVERT, I6.REDIRECT):
            self.ndisc_rcv(skb, data, off, src, dst, dev, t)
            return
        if t in (I6.MLD_QUERY, I6.MLD_REPORT, I6.MLD_DONE, I6.MLD2_REPORT):
            return
        for s in list(self.raw):
            if s.closed or (s.bound_dev is not None and s.bound_dev is not dev):
                continue
            s.on_packet(data, skb)

    def echo_reply(self, data: bytes, off: int, src: bytes, dst: bytes, dev) -> None:
        """icmpv6_echo_reply(): from the address asked (a multicast one: source selection)."""
        msg = data[off:]
        saddr = dst if dst[0] != 0xFF else None
        reply = I6.build(saddr or UNSPECIFIED, src, I6.ECHO_REPLY, 0,
                         int.from_bytes(msg[4:8], "big"), msg[8:])
        oif = dev if (src[0] == 0xFE and src[1] & 0xC0 == 0x80) or dst[0] == 0xFF or \
            (dst[0] == 0xFE and dst[1] & 0xC0 == 0x80) else None
        if saddr is None:
            saddr = self.select_saddr(src, dev)
            if saddr is None:
                return
            reply = I6.build(saddr, src, I6.ECHO_REPLY, 0, int.from_bytes(msg[4:8], "big"),
                             msg[8:])
        elif oif is None and dev.flags & IFF_LOOPBACK:
            oif = None
        try:
            self.ip6_send(src, IPPROTO_ICMPV6, reply, saddr=saddr, oif=oif)
            self._mib("Icmp6OutMsgs")
        except KernelError:
            pass

    def icmp6_send(self, offending: bytes, dev, type_: int, code: int, info: int = 0) -> None:
        """icmp6_send(): never about an ICMPv6 error, a multicast destination (except packet
        too big / parameter problem code 2) or an unspecified / multicast source."""
        if len(offending) < 40:
            return
        src, dst = offending[8:24], offending[24:40]
        if dst[0] == 0xFF and not (type_ == I6.PKT_TOOBIG or (type_ == I6.PARAMPROB and
                                                              code == 2)):
            return
        if src == UNSPECIFIED or src[0] == 0xFF:
            return
        if offending[6] == IPPROTO_ICMPV6 and len(offending) > 40:
            t = offending[40]
            if t < 128 or t == I6.REDIRECT:
                return
        saddr = dst if self.is_local(dst) and dst[0] != 0xFF else None
        if saddr is None:
            saddr = self.select_saddr(src, dev)
            if saddr is None:
                return
        oif = dev if (src[0] == 0xFE and src[1] & 0xC0 == 0x80) else None
        msg = I6.error(saddr, src, type_, code, offending, info)
        try:
            self.ip6_send(src, IPPROTO_ICMPV6, msg, saddr=saddr, oif=oif)
            self._mib("Icmp6OutErrors")
        except KernelError:
            pass

    # ---- raw ICMPv6 sockets (ping -6) -------------------------------------------------------
    def raw_open(self, proto: int, on_packet, bound_dev=None) -> RawSocket6:
        s = RawSocket6(proto, on_packet, bound_dev)
        self.raw.append(s)
        return s

    def raw_close(self, s: RawSocket6) -> None:
        s.closed = True
        if s in self.raw:
            self.raw.remove(s)


def ipv6_init(ns) -> None:
    """Per-netns setup (ipv6 is built into the kernel): before any device registers."""
    ns.ipv6 = IPv6(ns)


__all__ = ["IPv6", "Route6", "RawSocket6", "Inet6Dev", "Inet6Ifaddr", "ipv6_init",
           "ENETUNREACH", "EHOSTUNREACH", "EINVAL"]
