"""``ip address`` and the link listing ``ip link show`` shares with it (iproute2 6.1
``ip/ipaddress.c``), over the emulated kernel.

Two halves, as on a real system:

* the kernel side -- ``fill_ifinfo()`` / ``fill_ifaddr()`` build what ``rtnl_fill_ifinfo()`` and
  ``inet_fill_ifaddr()`` would put in an RTM_NEWLINK / RTM_NEWADDR message (``LinkMsg``,
  ``AddrMsg``: attribute present = field not None);
* the iproute2 side -- ``Lister`` mirrors ``ipaddr_list_flush_or_save()`` and the printers
  (``print_linkinfo``, ``print_link_flags``, ``print_stats64``, ``print_addrinfo``...), one
  method per iproute2 function, writing through the ``Printer`` (text, ``-o``, ``-br``, ``-j``).

``ipaddr_modify()`` turns ``ip addr add/change/replace/del`` into IPv4 address requests.
"""

from __future__ import annotations

from .. import Exit
from ...stack.errors import EADDRNOTAVAIL, EEXIST, ENOBUFS, KernelError
from ...stack.inet import (IFA_F_MCAUTOJOIN, IFA_F_PERMANENT, IFA_F_SECONDARY,
                           INFINITY_LIFE_TIME, IfAddr, prefix_mask)
from ...stack.netdev import IFF_UP
from .common import (AF_INET, AF_INET6, AF_PACKET, AF_UNSPEC, PREFIXLEN_SPECIFIED, Printer,
                     duparg, duparg2, family_name, get_addr, get_name_from_nsid, get_prefix,
                     get_u32, incomplete, invarg, ipv4_ntoa, ll_addr_n2a, ll_index_to_name,
                     ll_name_to_index, ll_type_n2a, matches, nodev, opt_family, rtnl_error,
                     rtnl_group_a2n, rtnl_group_n2a, rtnl_rtscope_a2n, rtnl_rtscope_n2a)

# include/uapi/linux/if.h flag bits, in print_link_flags() order
_IFF_ORDER = (("LOOPBACK", 0x8), ("BROADCAST", 0x2), ("POINTOPOINT", 0x10),
              ("MULTICAST", 0x1000), ("NOARP", 0x80), ("ALLMULTI", 0x200),
              ("PROMISC", 0x100), ("MASTER", 0x400), ("SLAVE", 0x800), ("DEBUG", 0x4),
              ("DYNAMIC", 0x8000), ("AUTOMEDIA", 0x4000), ("PORTSEL", 0x2000),
              ("NOTRAILERS", 0x20), ("UP", 0x1), ("LOWER_UP", 0x10000), ("DORMANT", 0x20000),
              ("ECHO", 0x40000))
IFF_RUNNING = 0x40


def print_link_flags(p, flags: int, mdown: bool) -> None:
    """print_link_flags() (ip/ipaddress.c; bridge/link.c has the same): <FLAG,...> in the
    kernel's bit order, NO-CARRIER for an up device without carrier, M-DOWN for a lower
    device that is down."""
    if p.json:
        p.open_array("flags")
    else:
        p.text("<")
    if flags & IFF_UP and not flags & IFF_RUNNING:
        p.any(None, "%s," if flags else "%s", "NO-CARRIER")
    flags &= ~IFF_RUNNING
    for name, bit in _IFF_ORDER:
        if flags & bit:
            flags &= ~bit
            p.any(None, "%s," if flags else "%s", name)
    if flags:
        p.any(None, "%s", f"{flags:x}")
    if mdown:
        p.any(None, ",%s", "M-DOWN")
    if p.json:
        p.close()
    else:
        p.text("> ")


OPER_STATES = ("UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP")
LINK_MODES = ("DEFAULT", "DORMANT")

# the host's net.core.default_qdisc (what dev_activate() attaches to a queueing device)
DEFAULT_QDISC = "pfifo_fast"
IPV6_MIN_MTU = 1280

USAGE = """Usage: ip address {add|change|replace} IFADDR dev IFNAME [ LIFETIME ]
                                                      [ CONFFLAG-LIST ]
       ip address del IFADDR dev IFNAME [mngtmpaddr]
       ip address {save|flush} [ dev IFNAME ] [ scope SCOPE-ID ]
                            [ to PREFIX ] [ FLAG-LIST ] [ label LABEL ] [up]
       ip address [ show [ dev IFNAME ] [ scope SCOPE-ID ] [ master DEVICE ]
                         [ nomaster ]
                         [ type TYPE ] [ to PREFIX ] [ FLAG-LIST ]
                         [ label LABEL ] [up] [ vrf NAME ] ]
       ip address {showdump|restore}
IFADDR := PREFIX | ADDR peer PREFIX
          [ broadcast ADDR ] [ anycast ADDR ]
          [ label IFNAME ] [ scope SCOPE-ID ] [ metric METRIC ]
SCOPE-ID := [ host | link | global | NUMBER ]
FLAG-LIST := [ FLAG-LIST ] FLAG
FLAG  := [ permanent | dynamic | secondary | primary |
           [-]tentative | [-]deprecated | [-]dadfailed | temporary |
           CONFFLAG-LIST ]
CONFFLAG-LIST := [ CONFFLAG-LIST ] CONFFLAG
CONFFLAG  := [ home | nodad | mngtmpaddr | noprefixroute | autojoin ]
LIFETIME := [ valid_lft LFT ] [ preferred_lft LFT ]
LFT := forever | SECONDS
"""

TYPES_USAGE = """TYPE := { amt | bareudp | bond | bond_slave | bridge | bridge_slave |
          dsa | dummy | erspan | geneve | gre | gretap | gtp | ifb |
          ip6erspan | ip6gre | ip6gretap | ip6tnl |
          ipip | ipoib | ipvlan | ipvtap |
          macsec | macvlan | macvtap |
          netdevsim | nlmon | rmnet | sit | team | team_slave |
          vcan | veth | vlan | vrf | vti | vxcan | vxlan | wwan |
          xfrm | virt_wifi }
"""


def usage(ctx, do_link: bool = False):
    """ipaddress.c usage(): prints ip link's usage first when listing links; exit(-1)."""
    if do_link:
        from .link import usage as iplink_usage
        iplink_usage(ctx)                          # iplink_usage() exits itself
    ctx.eprint(USAGE + TYPES_USAGE, end="")
    raise Exit(255)


# =============================================================================================
# the kernel side: what RTM_NEWLINK / RTM_NEWADDR messages carry
# =============================================================================================

class LinkMsg:
    """One RTM_NEWLINK message (struct ifinfomsg + the IFLA_* attributes ip reads)."""

    __slots__ = ("dev", "ifindex", "type", "flags", "name", "txqlen", "operstate", "linkmode",
                 "mtu", "min_mtu", "max_mtu", "group", "promiscuity", "allmulti",
                 "num_tx_queues", "num_rx_queues", "gso_max_size", "gso_max_segs",
                 "tso_max_size", "tso_max_segs", "gro_max_size", "link", "link_netnsid",
                 "master", "qdisc", "address", "broadcast", "perm_address", "carrier_changes",
                 "stats64", "ifalias", "kind", "info_data", "slave_kind", "slave_data",
                 "addrgenmode")

    def __init__(self):
        for f in self.__slots__:
            setattr(self, f, None)


def qdisc_name(dev) -> str:
    """IFLA_QDISC: dev->qdisc->ops->id. noop until the first dev_open() attached the default
    (noqueue for IFF_NO_QUEUE devices); a tc layer may name the root qdisc in ``qdisc_kind``."""
    kind = getattr(dev, "qdisc_kind", None)
    if kind:
        return kind
    if not getattr(dev, "qdisc_attached", False):
        return "noop"
    return "noqueue" if dev.no_queue else DEFAULT_QDISC


def fill_ifinfo(dev, ns) -> LinkMsg:
    """net/core/rtnetlink.c: rtnl_fill_ifinfo() as seen from netns ``ns``."""
    m = LinkMsg()
    m.dev = dev
    m.ifindex = dev.ifindex
    m.type = dev.type
    m.flags = dev.get_flags()
    m.name = dev.name
    m.txqlen = dev.tx_queue_len & 0xFFFFFFFF
    m.operstate = dev.reported_operstate()
    m.linkmode = dev.link_mode
    m.mtu = dev.mtu
    m.min_mtu = dev.min_mtu
    m.max_mtu = dev.max_mtu
    m.group = dev.group
    m.promiscuity = dev.promiscuity
    m.allmulti = dev.allmulti
    m.num_tx_queues = dev.num_tx_queues
    m.num_rx_queues = dev.num_rx_queues
    m.gso_max_size = dev.gso_max_size
    m.gso_max_segs = dev.gso_max_segs
    m.tso_max_size = getattr(dev, "tso_max_size", 65536)      # TSO_LEGACY_MAX_SIZE
    m.tso_max_segs = getattr(dev, "tso_max_segs", 65535)      # GSO_MAX_SEGS
    m.gro_max_size = getattr(dev, "gro_max_size", 65536)
    # nla_put_iflink() + rtnl_fill_link_netnsid()
    iflink = dev.get_iflink()
    link_net = dev.get_link_net()
    cross = link_net is not None and link_net is not dev.ns
    if iflink != dev.ifindex or cross:
        m.link = iflink
    if cross:
        m.link_netnsid = dev.ns.peernet_id(link_net)
    if dev.master is not None:
        m.master = dev.master.ifindex
    m.qdisc = qdisc_name(dev)
    if dev.addr_len:
        m.address = bytes(dev.addr)
        m.broadcast = bytes(dev.broadcast)
        perm = bytes(getattr(dev, "perm_addr", b"") or b"")
        if perm and any(perm):
            m.perm_address = perm
    m.carrier_changes = getattr(dev, "carrier_changes", 0)
    m.stats64 = dev.get_stats64()
    if dev.alias:
        m.ifalias = dev.alias
    if dev.kind:
        m.kind = dev.kind
        m.info_data = dev.fill_info() or None
    master = dev.master
    if master is not None and master.kind:
        m.slave_kind = master.kind
        fill = getattr(master, "fill_slave_info", None)
        m.slave_data = fill(dev) if fill is not None else None
    # inet6_fill_link_af(): an inet6_dev exists while mtu >= IPV6_MIN_MTU (a device may have
    # missed its creation: ``inet6_dev`` False, e.g. ipip's tunl0, registered with MTU 0)
    i6 = getattr(dev, "ip6", None)
    if i6 is not None:
        m.addrgenmode = i6.cnf["addr_gen_mode"]
    elif dev.ns is not None and getattr(dev.ns, "ipv6", None) is not None:
        pass                     # a kernel with IPv6 and no inet6_dev: no IFLA_INET6 at all
    elif dev.mtu >= IPV6_MIN_MTU and getattr(dev, "inet6_dev", True):
        m.addrgenmode = 0
    return m


def fill_ifinfo6(dev, ns):
    """inet6_fill_ifinfo() (RTM_GETLINK dump of family AF_INET6, what ``ip -6 addr`` reads):
    only devices with an inet6_dev; name, address, mtu, IFLA_LINK when iflink != ifindex,
    operstate. (iproute2 fetches the queue length it does not get with SIOCGIFTXQLEN.)"""
    if dev.ip6 is None:
        return None
    m = fill_ifinfo(dev, ns)
    m.qdisc = None
    m.group = None
    m.master = None
    m.link_netnsid = None
    iflink = dev.get_iflink()
    m.link = iflink if iflink != dev.ifindex else None
    return m


class AddrMsg:
    """One RTM_NEWADDR message for an IPv4 address (inet_fill_ifaddr)."""

    __slots__ = ("family", "prefixlen", "flags", "scope", "index", "address", "local",
                 "broadcast", "label", "rt_priority", "valid", "preferred", "ifa")

    def __init__(self, ifa: IfAddr):
        self.ifa = ifa
        self.family = AF_INET
        self.prefixlen = ifa.prefixlen
        self.flags = ifa.flags
        self.scope = ifa.scope
        self.index = ifa.dev.ifindex
        self.address = ifa.address
        self.local = ifa.local
        self.broadcast = ifa.broadcast or None
        self.label = ifa.label or None
        self.rt_priority = ifa.rt_priority or None
        self.valid = ifa.valid_lft
        self.preferred = ifa.preferred_lft


def fill_ifaddr(ifa: IfAddr) -> AddrMsg:
    return AddrMsg(ifa)


def fill_ifaddr6(ifa, now: int = 0) -> AddrMsg:
    """inet6_fill_ifaddr(): IFA_ADDRESS only (no peer), IFA_FLAGS, IFA_CACHEINFO (the remaining
    lifetimes of a non-permanent address)."""
    a = AddrMsg.__new__(AddrMsg)
    a.ifa = ifa
    a.family = AF_INET6
    a.prefixlen = ifa.prefix_len
    a.flags = ifa.flags
    a.scope = ifa.scope
    a.index = ifa.dev.ifindex
    a.address = ifa.addr
    a.local = ifa.addr
    a.broadcast = None
    a.label = None
    a.rt_priority = None
    valid, pref = ifa.valid_lft, ifa.prefered_lft
    if not ifa.flags & IFA_F_PERMANENT or pref != INFINITY_LIFE_TIME:
        age = max(0, (now - ifa.tstamp) // 1_000_000_000)
        if valid != INFINITY_LIFE_TIME:
            valid = max(0, valid - age)
        if pref != INFINITY_LIFE_TIME:
            pref = max(0, pref - age)
    a.valid = valid
    a.preferred = pref
    return a


def dump_links(ns) -> list:
    """RTM_GETLINK dump: every device, in ifindex order (for_each_netdev_dump)."""
    return sorted(ns.devices, key=lambda d: d.ifindex)


def dump_addrs(ns, family: int, ifindex: int = 0) -> list[AddrMsg]:
    """RTM_GETADDR dump: IPv4 addresses of every device, then IPv6 ones (rtnl_dump_all walks
    the families in order)."""
    out = []
    links = dump_links(ns)
    if family in (AF_UNSPEC, AF_INET):
        for dev in links:
            if ifindex and dev.ifindex != ifindex:
                continue
            if dev.ip is not None:
                out.extend(fill_ifaddr(a) for a in dev.ip.ifa_list)
    if family in (AF_UNSPEC, AF_INET6) and getattr(ns, "ipv6", None) is not None:
        now = ns.kernel.engine.now
        for dev in links:
            if ifindex and dev.ifindex != ifindex:
                continue
            if dev.ip6 is not None:
                out.extend(fill_ifaddr6(a, now) for a in dev.ip6.addr_list)
    return out


def _addr_text(family: int, v) -> str:
    if family == AF_INET6:
        from ...wire.ipv6 import ntoa
        return ntoa(v)
    return ipv4_ntoa(v)


# =============================================================================================
# the iproute2 side
# =============================================================================================

class Filter:
    """struct link_filter (ipaddress.c), reset by ipaddr_reset_filter()."""

    def __init__(self, oneline: bool):
        self.oneline = oneline
        self.ifindex = 0
        self.family = AF_UNSPEC
        self.scope = 0
        self.scopemask = 0
        self.flags = 0
        self.flagmask = 0
        self.up = False
        self.label = None
        self.group = -1
        self.master = 0
        self.kind = None
        self.slave_kind = None
        self.pfx = None
        self.showqueue = True
        self.flushb = False


# ifa_flag_data[] in ipaddress.c order: (name, mask, readonly, v6only)
IFA_FLAG_DATA = (("secondary", 0x01, True, False), ("temporary", 0x01, True, False),
                 ("nodad", 0x02, False, True), ("optimistic", 0x04, False, True),
                 ("dadfailed", 0x08, True, True), ("home", 0x10, False, True),
                 ("deprecated", 0x20, True, True), ("tentative", 0x40, True, True),
                 ("permanent", 0x80, True, True), ("mngtmpaddr", 0x100, False, True),
                 ("noprefixroute", 0x200, False, False), ("autojoin", 0x400, False, False),
                 ("stable-privacy", 0x800, True, True))


def lookup_flag_data_by_name(name: str):
    for fd in IFA_FLAG_DATA:
        if fd[0] == name:
            return fd
    return None


class Lister:
    """ipaddr_list_flush_or_save() and the printers it calls."""

    def __init__(self, ctx, opts, do_link: bool):
        self.ctx = ctx
        self.opts = opts
        self.ns = ctx.ns
        self.do_link = do_link
        self.p = Printer(ctx, opts)
        self.json = opts.json
        self.brief = opts.brief
        self.details = opts.details
        self.show_stats = opts.stats
        self.numeric = opts.numeric
        self.filter = Filter(opts.oneline)

    def print_link_flags(self, flags: int, mdown: bool) -> None:
        print_link_flags(self.p, flags, mdown)

    # -- print_operstate() ---------------------------------------------------------------------
    def print_operstate(self, state: int) -> None:
        p = self.p
        if state >= len(OPER_STATES):
            if self.json:
                p.jonly("operstate_index", state)
            else:
                p.text("state %#x" % state)
        elif self.brief:
            p.any("operstate", "%-14s ", OPER_STATES[state])
        elif self.json:
            p.jonly("operstate", OPER_STATES[state])
        else:
            p.text("state %s " % OPER_STATES[state])

    # -- lib/utils.c: print_name_and_link() ----------------------------------------------------
    def print_name_and_link(self, fmt: str, name: str, m: LinkMsg) -> bool:
        p = self.p
        mdown = False
        link = None
        if m.link is not None:
            iflink = m.link
            if iflink:
                if m.link_netnsid is not None:
                    if self.json:
                        p.jonly("link_index", iflink)
                    else:
                        link = f"if{iflink}"
                else:
                    link = ll_index_to_name(self.ns, iflink)
                    if self.json:
                        p.jonly("link", link)
                        link = None
                    peer = self.ns.by_index.get(iflink)
                    # ll_index_to_flags() of an unknown index is -1: no M-DOWN
                    mdown = not (peer.get_flags() & IFF_UP) if peer is not None else False
            elif self.json:
                p.jonly("link", None)
            else:
                link = "NONE"
            if link:
                name = f"{name}@{link}"
        p.any("ifname", fmt, name)
        return mdown

    # -- print_linkinfo_brief() ----------------------------------------------------------------
    def print_linkinfo_brief(self, m: LinkMsg) -> None:
        p = self.p
        mdown = self.print_name_and_link("%-16s ", m.name, m)
        self.print_operstate(m.operstate)
        if self.filter.family == AF_PACKET:
            if m.address is not None:
                p.any("address", "%s ", ll_addr_n2a(m.address, m.type))
            self.print_link_flags(m.flags, mdown)
            p.text("\n")

    # -- print_linkinfo() -----------------------------------------------------------------------
    def link_filtered(self, m: LinkMsg) -> bool:
        """The filter checks at the top of print_linkinfo() (True = not printed, -1)."""
        f = self.filter
        if f.ifindex and m.ifindex != f.ifindex:
            return True
        if f.up and not m.flags & IFF_UP:
            return True
        if f.group != -1 and m.group != f.group:
            return True
        if m.master is not None:
            if f.master > 0 and m.master != f.master:
                return True
        elif f.master > 0:
            return True
        if f.kind and m.kind != f.kind:
            return True
        if f.slave_kind and m.slave_kind != f.slave_kind:
            return True
        return False

    def print_linkinfo(self, m: LinkMsg) -> int:
        """Returns iproute2's value: -1 filtered out, 0 filtered by label / brief, 1 printed."""
        p = self.p
        if self.link_filtered(m):
            return -1
        if self.filter.label:
            return 0
        if self.brief:
            self.print_linkinfo_brief(m)
            return 0
        p.any("ifindex", "%d: ", m.ifindex)
        mdown = self.print_name_and_link("%s: ", m.name, m)
        self.print_link_flags(m.flags, mdown)
        p.any("mtu", "mtu %u ", m.mtu)
        if m.qdisc is not None:
            p.any("qdisc", "qdisc %s ", m.qdisc)
        if m.master is not None:
            p.any("master", "master %s ", ll_index_to_name(self.ns, m.master))
        self.print_operstate(m.operstate)
        if self.do_link:
            self.print_linkmode(m.linkmode)
        if m.group is not None:
            p.any("group", "group %s ", rtnl_group_n2a(m.group, self.numeric))
        if self.filter.showqueue:
            self.print_queuelen(m.txqlen)
        if not self.filter.family or self.filter.family == AF_PACKET or self.details:
            self.print_link_addresses(m)
        if m.link_netnsid is not None:
            self.print_link_netnsid(m.link_netnsid)
        if self.details:
            self.print_details(m)
        if (self.do_link or self.details) and m.ifalias is not None:
            p.text(self.opts.sl + "    ")
            p.any("ifalias", "alias %s", m.ifalias)
        if self.do_link and self.show_stats:
            p.nl()
            self.print_stats64(m)
        p.text("\n")
        return 1

    def print_linkmode(self, mode: int) -> None:
        if mode >= len(LINK_MODES):
            self.p.any("linkmode_index", "mode %d ", mode)
        else:
            self.p.any("linkmode", "mode %s ", LINK_MODES[mode])

    def print_queuelen(self, qlen: int) -> None:
        """print_queuelen(): ``qlen %d`` (a u32 printed signed), nothing when 0."""
        if qlen:
            if qlen >= 2**31:
                qlen -= 2**32
            self.p.any("txqlen", "qlen %d", qlen)

    def print_link_addresses(self, m: LinkMsg) -> None:
        p = self.p
        p.nl()
        p.any("link_type", "    link/%s ", ll_type_n2a(m.type, self.numeric))
        if m.address is not None:
            p.any("address", "%s", ll_addr_n2a(m.address, m.type))
        if m.broadcast is not None:
            if m.flags & 0x10:                       # IFF_POINTOPOINT
                p.text(" peer ")
                p.jonly("link_pointtopoint", True)
            else:
                p.text(" brd ")
            p.any("broadcast", "%s", ll_addr_n2a(m.broadcast, m.type))
        if m.perm_address is not None and m.perm_address != m.address:
            p.text(" permaddr ")
            p.any("permaddr", "%s", ll_addr_n2a(m.perm_address, m.type))

    def print_link_netnsid(self, nsid: int) -> None:
        if self.json:
            self.p.jonly("link_netnsid", nsid)
            return
        name = get_name_from_nsid(self.ns, nsid)
        if name:
            self.p.text(" link-netns %s" % name)
        else:
            self.p.text(" link-netnsid %d" % nsid)

    def print_details(self, m: LinkMsg) -> None:
        """The ``-d`` part of print_linkinfo()."""
        p = self.p
        p.any("promiscuity", " promiscuity %u ", m.promiscuity)
        p.any("allmulti", " allmulti %u ", m.allmulti)
        p.any("min_mtu", "minmtu %u ", m.min_mtu)
        p.any("max_mtu", "maxmtu %u ", m.max_mtu)
        if m.kind is not None or m.slave_kind is not None:
            self.print_linktype(m)
        if self.do_link and m.addrgenmode is not None:
            p.any("inet6_addr_gen_mode", "addrgenmode %s ",
                  ("eui64", "none", "stable_secret", "random")[m.addrgenmode])
        p.any("num_tx_queues", "numtxqueues %u ", m.num_tx_queues)
        p.any("num_rx_queues", "numrxqueues %u ", m.num_rx_queues)
        p.any("gso_max_size", "gso_max_size %u ", m.gso_max_size)
        p.any("gso_max_segs", "gso_max_segs %u ", m.gso_max_segs)
        p.any("tso_max_size", "tso_max_size %u ", m.tso_max_size)
        p.any("tso_max_segs", "tso_max_segs %u ", m.tso_max_segs)
        p.any("gro_max_size", "gro_max_size %u ", m.gro_max_size)

    def print_linktype(self, m: LinkMsg) -> None:
        """print_linktype(): ``    KIND `` + the kind's print_opt, then the slave kind."""
        from .link import print_kind_opt, print_slave_opt
        p = self.p
        p.open_object("linkinfo")
        if m.kind is not None:
            p.nl()
            p.any("info_kind", "    %s ", m.kind)
            print_kind_opt(self, m.kind, m.info_data)
        if m.slave_kind is not None:
            p.nl()
            p.any("info_slave_kind", "    %s_slave ", m.slave_kind)
            print_slave_opt(self, m.slave_kind, m.slave_data)
        p.close()

    # -- size_columns() / print_num() / print_stats64() ---------------------------------------
    def size_columns(self, cols: list[int], *vals: int) -> None:
        for i, val in enumerate(vals):
            if self.opts.human:
                continue
            n = len(str(val)) if val > 0 else 1
            if n > cols[i]:
                cols[i] = n

    def print_num(self, width: int, count: int) -> str:
        """print_num(): a right-aligned counter; -h scales by 1000 (-iec: 1024) with a suffix."""
        human = self.opts.human
        use_iec = getattr(self.opts, "iec", False)
        base = 1024 if use_iec else 1000
        if not human or count < base:
            return "%*d " % (width, count)
        prefixes = "kMGTPE"
        k = 0
        powi = 1
        while True:
            powi *= base
            if count // base < powi:
                break
            if k + 1 >= len(prefixes):
                break
            k += 1
        precision = 2
        powj = 1
        while precision > 0:
            powj *= 10
            if count // powi < powj:
                break
            precision -= 1
        buf = "%.*f%s%s" % (precision, count / powi, prefixes[k], "i" if use_iec else "")
        return "%*s " % (width, buf)

    def print_stats64(self, m: LinkMsg) -> None:
        """print_stats64() for IFLA_STATS64 (+ IFLA_CARRIER_CHANGES)."""
        s = m.stats64
        cc = m.carrier_changes
        p = self.p
        if self.json:
            self._stats64_json(s, cc)
            return
        show = self.show_stats
        cols = [len("*X errors:"), len("packets"), len("errors"), len("dropped"),
                len("heartbt"), len("overrun"), len("compressed"), len("otherhost")]
        g = s.get
        self.size_columns(cols, g("rx_bytes"), g("rx_packets"), g("rx_errors"),
                          g("rx_dropped"), g("rx_missed_errors"), g("multicast"),
                          g("rx_compressed"), 0)
        if show > 1:
            self.size_columns(cols, 0, g("rx_length_errors"), g("rx_crc_errors"),
                              g("rx_frame_errors"), g("rx_fifo_errors"), g("rx_over_errors"),
                              g("rx_nohandler"), g("rx_otherhost_dropped"))
        self.size_columns(cols, g("tx_bytes"), g("tx_packets"), g("tx_errors"),
                          g("tx_dropped"), g("tx_carrier_errors"), g("collisions"),
                          g("tx_compressed"), 0)
        if show > 1:
            self.size_columns(cols, 0, 0, g("tx_aborted_errors"), g("tx_fifo_errors"),
                              g("tx_window_errors"), g("tx_heartbeat_errors"), cc or 0, 0)
        sl = self.opts.sl
        num = self.print_num
        out = ["    RX: %*s %*s %*s %*s %*s %*s %*s%s" % (
            cols[0] - 4, "bytes", cols[1], "packets", cols[2], "errors", cols[3], "dropped",
            cols[4], "missed", cols[5], "mcast", cols[6],
            "compressed" if g("rx_compressed") else "", sl)]
        out.append("    ")
        out += [num(cols[0], g("rx_bytes")), num(cols[1], g("rx_packets")),
                num(cols[2], g("rx_errors")), num(cols[3], g("rx_dropped")),
                num(cols[4], g("rx_missed_errors")), num(cols[5], g("multicast"))]
        if g("rx_compressed"):
            out.append(num(cols[6], g("rx_compressed")))
        if show > 1:
            nh, oh = g("rx_nohandler"), g("rx_otherhost_dropped")
            out.append(sl)
            out.append("    RX errors:%*s %*s %*s %*s %*s %*s%*s%*s%s" % (
                cols[0] - 10, "", cols[1], "length", cols[2], "crc", cols[3], "frame",
                cols[4], "fifo", cols[5], "overrun",
                cols[6] + 1 if nh else 0, " nohandler" if nh else "",
                cols[7] + 1 if oh else 0, " otherhost" if oh else "", sl))
            out.append("%*s" % (cols[0] + 5, ""))
            out += [num(cols[1], g("rx_length_errors")), num(cols[2], g("rx_crc_errors")),
                    num(cols[3], g("rx_frame_errors")), num(cols[4], g("rx_fifo_errors")),
                    num(cols[5], g("rx_over_errors"))]
            if nh:
                out.append(num(cols[6], nh))
            if oh:
                out.append(num(cols[7], oh))
        out.append(sl)
        out.append("    TX: %*s %*s %*s %*s %*s %*s %*s%s" % (
            cols[0] - 4, "bytes", cols[1], "packets", cols[2], "errors", cols[3], "dropped",
            cols[4], "carrier", cols[5], "collsns", cols[6],
            "compressed" if g("tx_compressed") else "", sl))
        out.append("    ")
        out += [num(cols[0], g("tx_bytes")), num(cols[1], g("tx_packets")),
                num(cols[2], g("tx_errors")), num(cols[3], g("tx_dropped")),
                num(cols[4], g("tx_carrier_errors")), num(cols[5], g("collisions"))]
        if g("tx_compressed"):
            out.append(num(cols[6], g("tx_compressed")))
        if show > 1:
            out.append(sl)
            out.append("    TX errors:%*s %*s %*s %*s %*s %*s%s" % (
                cols[0] - 10, "", cols[1], "aborted", cols[2], "fifo", cols[3], "window",
                cols[4], "heartbt", cols[5], "transns" if cc is not None else "", sl))
            out.append("%*s" % (cols[0] + 5, ""))
            out += [num(cols[1], g("tx_aborted_errors")), num(cols[2], g("tx_fifo_errors")),
                    num(cols[3], g("tx_window_errors")), num(cols[4], g("tx_heartbeat_errors"))]
            if cc is not None:
                out.append(num(cols[5], cc))
        p.text("".join(out))

    def _stats64_json(self, s: dict, cc) -> None:
        p = self.p
        g = s.get
        show = self.show_stats
        p.open_object("stats64")
        p.open_object("rx")
        for k, f in (("bytes", "rx_bytes"), ("packets", "rx_packets"), ("errors", "rx_errors"),
                     ("dropped", "rx_dropped"), ("over_errors", "rx_over_errors"),
                     ("multicast", "multicast")):
            p.jonly(k, g(f))
        if g("rx_compressed"):
            p.jonly("compressed", g("rx_compressed"))
        if show > 1:
            for k, f in (("length_errors", "rx_length_errors"), ("crc_errors", "rx_crc_errors"),
                         ("frame_errors", "rx_frame_errors"), ("fifo_errors", "rx_fifo_errors"),
                         ("missed_errors", "rx_missed_errors")):
                p.jonly(k, g(f))
            if g("rx_nohandler"):
                p.jonly("nohandler", g("rx_nohandler"))
            if g("rx_otherhost_dropped"):
                p.jonly("otherhost", g("rx_otherhost_dropped"))
        p.close()
        p.open_object("tx")
        for k, f in (("bytes", "tx_bytes"), ("packets", "tx_packets"), ("errors", "tx_errors"),
                     ("dropped", "tx_dropped"), ("carrier_errors", "tx_carrier_errors"),
                     ("collisions", "collisions")):
            p.jonly(k, g(f))
        if g("tx_compressed"):
            p.jonly("compressed", g("tx_compressed"))
        if show > 1:
            for k, f in (("aborted_errors", "tx_aborted_errors"),
                         ("fifo_errors", "tx_fifo_errors"),
                         ("window_errors", "tx_window_errors"),
                         ("heartbeat_errors", "tx_heartbeat_errors")):
                p.jonly(k, g(f))
            if cc is not None:
                p.jonly("carrier_changes", cc)
        p.close()
        p.close()

    # -- addresses --------------------------------------------------------------------------------
    def addr_filtered(self, a: AddrMsg) -> bool:
        """The filter part of print_addrinfo() / ipaddr_filter()."""
        f = self.filter
        if f.ifindex and f.ifindex != a.index:
            return True
        if (f.scope ^ a.scope) & f.scopemask:
            return True
        if (f.flags ^ a.flags) & f.flagmask:
            return True
        if f.family and f.family != a.family:
            return True
        if f.label is not None:
            import fnmatch
            label = a.label if a.label is not None else ll_index_to_name(self.ns, a.index)
            if not fnmatch.fnmatchcase(label, f.label):
                return True
        if f.pfx is not None and not _inet_addr_match(f.pfx, a.local, a.family):
            return True
        return False

    def print_ifa_flags(self, a: AddrMsg) -> None:
        p = self.p
        flags = a.flags
        for name, mask, _ro, _v6 in IFA_FLAG_DATA:
            if mask == IFA_F_PERMANENT:
                if not flags & mask:
                    p.any("dynamic", "dynamic ", True)
            elif flags & mask:
                if mask == IFA_F_SECONDARY and a.family == AF_INET6:
                    p.any("temporary", "temporary ", True)
                else:
                    p.text("%s " % name)
                    p.jonly(name, True)
            flags &= ~mask
        if flags:
            if self.json:
                p.jonly("ifa_flags", "%02x" % flags)
            else:
                p.text("flags %02x " % flags)

    def print_addrinfo(self, a: AddrMsg) -> None:
        """print_addrinfo() for one IPv4 address."""
        p = self.p
        if self.addr_filtered(a):
            return
        if not self.brief:
            if self.filter.oneline or self.filter.flushb:
                dev = ll_index_to_name(self.ns, a.index)
                if self.json:
                    p.jonly("index", a.index)
                    p.jonly("dev", dev)
                else:
                    p.text("%u: %s" % (a.index, dev))
            p.any("family", "    %s ", family_name(a.family))
        p.any("local", "%s", _addr_text(a.family, a.local))
        if a.address != a.local:
            p.text(" %s " % "peer")
            p.any("address", "%s", _addr_text(a.family, a.address))
        p.any("prefixlen", "/%d ", a.prefixlen)
        if a.rt_priority is not None:
            p.any("metric", "metric %u ", a.rt_priority)
        if self.brief:
            return
        if a.broadcast is not None:
            p.text("%s " % "brd")
            p.any("broadcast", "%s ", ipv4_ntoa(a.broadcast))
        p.any("scope", "scope %s ", rtnl_rtscope_n2a(a.scope, self.numeric))
        self.print_ifa_flags(a)
        if a.label is not None:
            p.any("label", "%s", a.label)
        p.nl()
        p.text("       valid_lft ")
        self.print_lifetime("valid_life_time", a.valid, False)
        p.text(" preferred_lft ")
        self.print_lifetime("preferred_life_time", a.preferred, bool(a.flags & 0x20))
        p.text("\n")

    def print_lifetime(self, key: str, val: int, signed: bool) -> None:
        p = self.p
        if val == INFINITY_LIFE_TIME:
            p.jonly(key, INFINITY_LIFE_TIME)
            p.text("forever")
        else:
            if signed and val >= 2**31:
                val -= 2**32
            p.any(key, "%dsec", val)

    def print_selected_addrinfo(self, m: LinkMsg, addrs: list[AddrMsg]) -> None:
        p = self.p
        p.open_array("addr_info")
        for a in addrs:
            if a.index != m.ifindex or (self.filter.family and self.filter.family != a.family):
                continue
            if self.filter.up and not m.flags & IFF_UP:
                continue
            if self.addr_filtered(a):
                continue
            p.open_object(None)
            self.print_addrinfo(a)
            p.close()
        p.close()
        if self.brief:
            p.text("\n")

    # -- ipaddr_filter() --------------------------------------------------------------------
    def ipaddr_filter(self, links: list, addrs: list[AddrMsg]) -> list:
        f = self.filter
        kept = []
        for dev in links:
            ok = False
            missing = True
            for a in addrs:
                if a.index != dev.ifindex:
                    continue
                missing = False
                if f.family and f.family != a.family:
                    continue
                if (f.scope ^ a.scope) & f.scopemask:
                    continue
                if (f.flags ^ a.flags) & f.flagmask:
                    continue
                if f.label is not None:
                    import fnmatch
                    if not fnmatch.fnmatchcase(a.label or dev.name, f.label):
                        continue
                if f.pfx is not None and not _inet_addr_match(f.pfx, a.local, a.family):
                    continue
                ok = True
                break
            if missing and f.family in (AF_UNSPEC, AF_PACKET):
                ok = True
            if ok:
                kept.append(dev)
        return kept

    # -- get_filter() --------------------------------------------------------------------------
    def get_filter(self, arg: str) -> bool:
        inv = False
        if arg.startswith("-"):
            inv = True
            arg = arg[1:]
        if arg == "dynamic":
            inv, arg = not inv, "permanent"
        elif arg == "primary":
            inv, arg = not inv, "secondary"
        fd = lookup_flag_data_by_name(arg)
        if fd is None:
            return False
        if inv:
            self.filter.flags &= ~fd[1]
        else:
            self.filter.flags |= fd[1]
        self.filter.flagmask |= fd[1]
        return True

    # -- ipaddr_list_flush_or_save() -------------------------------------------------------------
    def list_flush(self, argv: list[str], action: str) -> int:
        ctx = self.ctx
        f = self.filter
        f.family = AF_PACKET if self.do_link else opt_family(self.opts)
        if action == "flush":
            if not argv:
                ctx.eprint("Flush requires arguments.")
                return 1
            if f.family == AF_PACKET:
                ctx.eprint("Cannot flush link addresses.")
                return 1
        filter_dev = self.parse_filter_args(argv)
        if filter_dev is not None:
            f.ifindex = ll_name_to_index(self.ns, filter_dev)
            if f.ifindex <= 0:
                ctx.eprint(f'Device "{filter_dev}" does not exist.')
                return 1
        if action == "flush":
            return self.ipaddr_flush()
        if action == "save":
            ctx.eprint("Not sending a binary stream to stdout")
            raise Exit(1)
        p = self.p
        if filter_dev is not None and f.group == -1 and self.do_link:
            return self.iplink_get(filter_dev)
        if f.ifindex:
            links = [d for d in dump_links(self.ns) if d.ifindex == f.ifindex]
        else:
            links = self.kernel_link_filter(dump_links(self.ns))
        no_link = False
        addrs: list[AddrMsg] = []
        if f.family != AF_PACKET:
            if f.oneline:
                no_link = True
            addrs = dump_addrs(self.ns, f.family)
            links = self.ipaddr_filter(links, addrs)
        # a dump of family AF_INET6 answers with inet6_fill_ifinfo(); one device (dev DEV) is
        # an RTM_GETLINK the generic handler answers in full
        v6_links = f.family == AF_INET6 and not f.ifindex and \
            getattr(self.ns, "ipv6", None) is not None
        for dev in links:
            m = fill_ifinfo6(dev, self.ns) if v6_links else fill_ifinfo(dev, self.ns)
            if m is None:
                continue
            p.open_object(None)
            res = 0
            if self.brief or not no_link:
                res = self.print_linkinfo(m)
            if res >= 0 and f.family != AF_PACKET:
                self.print_selected_addrinfo(m, addrs)
            if res > 0 and not self.do_link and self.show_stats:
                self.print_stats64(m)
                p.nl()
            p.close()
        p.flush()
        return 0

    def kernel_link_filter(self, links: list) -> list:
        """rtnl_dump_ifinfo()'s master / kind filtering (iplink_filter_req)."""
        f = self.filter
        out = []
        for d in links:
            if f.master:
                m = d.master
                if f.master == -1:
                    if m is not None:
                        continue
                elif m is None or m.ifindex != f.master:
                    continue
            if f.kind and d.kind != f.kind and f.kind in _known_kinds():
                continue
            out.append(d)
        return out

    def iplink_get(self, name: str) -> int:
        """iplink_get(): RTM_GETLINK by name and print it."""
        ctx = self.ctx
        dev = self.ns.by_name.get(name)
        if dev is None:
            ctx.eprint("RTNETLINK answers: No such device")
            ctx.eprint("Cannot send link get request: No such device")
            raise Exit(1)
        dev.kernel.linkwatch.sync_dev(dev)   # rtnl_getlink() applies the device's pending event
        p = self.p
        p.open_object(None)
        self.print_linkinfo(fill_ifinfo(dev, self.ns))
        p.close()
        p.flush()
        return 0

    def parse_filter_args(self, argv: list[str]) -> str | None:
        ctx = self.ctx
        f = self.filter
        filter_dev = None
        i = 0
        n = len(argv)

        def next_arg():
            nonlocal i
            i += 1
            if i >= n:
                incomplete(ctx)
            return argv[i]

        while i < n:
            a = argv[i]
            if a == "to":
                v = next_arg()
                f.pfx = get_prefix(ctx, v, f.family)
                if f.family == AF_UNSPEC:
                    f.family = f.pfx.family
            elif a == "scope":
                v = next_arg()
                f.scopemask = -1
                scope = rtnl_rtscope_a2n(v)
                if scope is None:
                    if v != "all":
                        invarg(ctx, 'invalid "scope"\n', v)
                    scope = 255
                    f.scopemask = 0
                f.scope = scope
            elif a == "up":
                f.up = True
            elif self.get_filter(a):
                pass
            elif a == "label":
                f.label = next_arg()
            elif a == "group":
                v = next_arg()
                g = rtnl_group_a2n(v)
                if g is None:
                    invarg(ctx, 'Invalid "group" value\n', v)
                f.group = g
            elif a == "master":
                v = next_arg()
                idx = ll_name_to_index(self.ns, v)
                if not idx:
                    invarg(ctx, "Device does not exist\n", v)
                f.master = idx
            elif a == "vrf":
                v = next_arg()
                idx = ll_name_to_index(self.ns, v)
                if not idx:
                    invarg(ctx, "Not a valid VRF name\n", v)
                dev = self.ns.by_index.get(idx)
                if dev is None or dev.kind != "vrf":
                    invarg(ctx, "Not a valid VRF name\n", v)
                f.master = idx
            elif a == "nomaster":
                f.master = -1
            elif a == "type":
                v = next_arg()
                if v.endswith("_slave"):
                    f.slave_kind = v[:-len("_slave")]
                else:
                    f.kind = v
            else:
                if a == "dev":
                    a = next_arg()
                elif matches(a, "help"):
                    usage(ctx, self.do_link)
                if filter_dev is not None:
                    duparg2(ctx, "dev", a)
                filter_dev = a
            i += 1
        return filter_dev

    # -- ipaddr_flush() --------------------------------------------------------------------------
    def ipaddr_flush(self) -> int:
        ctx = self.ctx
        f = self.filter
        f.flushb = True
        rnd = 0
        max_loops = 10
        while rnd < max_loops:
            victims = [a for a in dump_addrs(self.ns, f.family, f.ifindex)
                       if not self.addr_filtered(a)]
            if self.show_stats >= 2:
                for a in victims:
                    self.p.open_object(None)
                    self.print_addrinfo(a)
                    self.p.close()
                self.p.flush()
            if not victims:
                if self.show_stats:
                    if rnd == 0:
                        ctx.print("Nothing to flush.")
                    else:
                        ctx.print("*** Flush is complete after %d round%s ***"
                                  % (rnd, "s" if rnd > 1 else ""))
                return 0
            rnd += 1
            for a in victims:
                ifa = a.ifa
                dev = ifa.dev
                if a.family == AF_INET6:
                    if dev.ip6 is not None and ifa in dev.ip6.addr_list:
                        dev.ns.ipv6.del_addr(ifa)
                    continue
                if dev.ip is None or ifa not in dev.ip.ifa_list:
                    continue                     # EADDRNOTAVAIL is ignored by flush_update()
                dev.ns.ipv4.addr_del(dev, ifa)
            if self.show_stats:
                ctx.print("\n*** Round %d, deleting %d addresses ***" % (rnd, len(victims)))
            if not f.flags & IFA_F_SECONDARY and f.flagmask & IFA_F_SECONDARY:
                if self.show_stats:
                    ctx.print("*** Flush is complete after %d round%s ***"
                              % (rnd, "s" if rnd > 1 else ""))
                return 0
        ctx.eprint("*** Flush remains incomplete after %d rounds. ***" % max_loops)
        return 1


def _known_kinds() -> set:
    from ...stack.kernel import LINK_KINDS
    return set(LINK_KINDS)


def _inet_addr_match(pfx, local, family: int = AF_INET) -> bool:
    """inet_addr_match_rta(): the address lies in the ``to`` prefix."""
    if pfx.family != AF_UNSPEC and pfx.family != family:
        return False
    if pfx.bitlen <= 0:
        return True
    if family == AF_INET6:
        n = int.from_bytes(local, "big")
        sh = 128 - pfx.bitlen
        return (n >> sh) == (pfx.data >> sh)
    m = prefix_mask(pfx.bitlen)
    return (local & m) == (pfx.data & m)


# =============================================================================================
# ip address add / change / replace / del
# =============================================================================================

def ipaddr_modify(ctx, opts, cmd: str, flags: set, argv: list[str]) -> int:
    """ipaddress.c: ipaddr_modify(); ``cmd`` is "new" or "del"."""
    family = opt_family(opts)
    d = label = None
    lcl = peer = None
    local_len = peer_len = brd_len = any_len = 0
    brd_val = None
    scope = 0
    scoped = False
    metric = None
    valid_lftp = preferred_lftp = None
    valid_lft = preferred_lft = INFINITY_LIFE_TIME
    ifa_flags = 0
    prefixlen = 0
    i, n = 0, len(argv)

    def next_arg():
        nonlocal i
        i += 1
        if i >= n:
            incomplete(ctx)
        return argv[i]

    while i < n:
        a = argv[i]
        if a in ("peer", "remote"):
            v = next_arg()
            if peer_len:
                duparg(ctx, "peer", v)
            peer = get_prefix(ctx, v, family)
            peer_len = peer.bytelen
            if family == AF_UNSPEC:
                family = peer.family
            prefixlen = peer.bitlen
        elif matches(a, "broadcast") or a == "brd":
            v = next_arg()
            if brd_len:
                duparg(ctx, "broadcast", v)
            if v == "+":
                brd_len = -1
            elif v == "-":
                brd_len = -2
            else:
                addr = get_addr(ctx, v, family)
                if family == AF_UNSPEC:
                    family = addr.family
                brd_val = addr.data
                brd_len = addr.bytelen
        elif a == "anycast":
            v = next_arg()
            if any_len:
                duparg(ctx, "anycast", v)
            addr = get_addr(ctx, v, family)
            if family == AF_UNSPEC:
                family = addr.family
            any_len = addr.bytelen
        elif a == "scope":
            v = next_arg()
            sc = rtnl_rtscope_a2n(v)
            if sc is None:
                invarg(ctx, "invalid scope value.", v)
            scope = sc
            scoped = True
        elif a == "dev":
            d = next_arg()
        elif a == "label":
            label = next_arg()
        elif matches(a, "metric") or matches(a, "priority") or matches(a, "preference"):
            v = next_arg()
            metric = get_u32(v)
            if metric is None:
                invarg(ctx, '"metric" value is invalid\n', v)
        elif matches(a, "valid_lft"):
            if valid_lftp is not None:
                duparg(ctx, "valid_lft", a)
            v = next_arg()
            valid_lftp = v
            valid_lft = _set_lifetime(v)
            if valid_lft is None:
                invarg(ctx, "valid_lft value", v)
        elif matches(a, "preferred_lft"):
            if preferred_lftp is not None:
                duparg(ctx, "preferred_lft", a)
            v = next_arg()
            preferred_lftp = v
            preferred_lft = _set_lifetime(v)
            if preferred_lft is None:
                invarg(ctx, "preferred_lft value", v)
        elif lookup_flag_data_by_name(a):
            name, mask, ro, v6 = lookup_flag_data_by_name(a)
            if ro:
                ctx.eprint(f"Warning: {name} option is not mutable from userspace")
            elif v6 and family != AF_INET6:
                ctx.eprint(f"Warning: {name} option can be set only for IPv6 addresses")
            else:
                ifa_flags |= mask
        else:
            if a == "local":
                a = next_arg()
            if matches(a, "help"):
                usage(ctx)
            if local_len:
                duparg2(ctx, "local", a)
            lcl = get_prefix(ctx, a, family)
            if family == AF_UNSPEC:
                family = lcl.family
            local_len = lcl.bytelen
        i += 1

    if d is None:
        ctx.eprint('Not enough information: "dev" argument is required.')
        return 1
    has_address = peer_len > 0
    address = peer.data if peer is not None else None
    if peer_len == 0 and local_len:
        if cmd == "del" and lcl.family == AF_INET and not lcl.flags & PREFIXLEN_SPECIFIED:
            ctx.eprint("Warning: Executing wildcard deletion to stay compatible with old "
                       "scripts.\n         Explicitly specify the prefix length "
                       f"({argv_local(lcl)}/{local_len * 8}) to avoid this warning.\n"
                       "         This special behaviour is likely to disappear in further "
                       "releases,\n         fix your scripts!")
        else:
            peer = lcl
            has_address = True
            address = lcl.data
    if prefixlen == 0 and lcl is not None:
        prefixlen = lcl.bitlen
    if brd_len < 0 and cmd != "del":
        if family != AF_INET:
            ctx.eprint("Broadcast can be set only for IPv4 addresses")
            return 1
        base = peer if peer is not None else lcl
        bitlen = base.bitlen if base is not None else 0
        if bitlen <= 30:
            host = ~prefix_mask(bitlen) & 0xFFFFFFFF
            brd_val = (base.data | host) if brd_len == -1 else (base.data & ~host)
            brd_len = 4
    if not scoped and cmd != "del":
        scope = 254 if lcl is not None and lcl.family == AF_INET and \
            (lcl.data >> 24) == 127 else 0
    if family == AF_INET6 and lcl is not None and prefixlen == 0 and \
            not lcl.flags & PREFIXLEN_SPECIFIED:
        prefixlen = 128
    ifindex = ll_name_to_index(ctx.ns, d)
    if not ifindex:
        return nodev(ctx, d)
    if valid_lftp is not None or preferred_lftp is not None:
        if not valid_lft:
            ctx.eprint("valid_lft is zero")
            return 1
        if valid_lft < preferred_lft:
            ctx.eprint("preferred_lft is greater than valid_lft")
            return 1
    if ifa_flags & IFA_F_MCAUTOJOIN and not (lcl is not None and (lcl.data >> 28) == 0xE):
        ctx.eprint("autojoin needs multicast address")
        return 1
    req = dict(family=family, prefixlen=prefixlen, flags=ifa_flags, scope=scope,
               local=lcl.data if lcl is not None else None,
               address=address if has_address else None, broadcast=brd_val,
               label=label, metric=metric, valid=valid_lft, preferred=preferred_lft,
               lifetimes=valid_lftp is not None or preferred_lftp is not None)
    try:
        if cmd == "del":
            inet_rtm_deladdr(ctx.ns, ifindex, req)
        else:
            inet_rtm_newaddr(ctx.ns, ifindex, req, flags)
    except KernelError as e:
        rtnl_error(ctx, e)
    return 0


def argv_local(p) -> str:
    return ipv4_ntoa(p.data) if p.family == AF_INET else "?"


def _set_lifetime(v: str) -> int | None:
    if v == "forever":
        return INFINITY_LIFE_TIME
    return get_u32(v)


# -- the kernel's handlers (net/ipv4/devinet.c), on the emulated IPv4 layer -------------------

def _dev_by_index(ns, ifindex: int):
    from ...stack.errors import ENODEV
    dev = ns.by_index.get(ifindex)
    if dev is None:
        raise KernelError(ENODEV)
    return dev


def inet_rtm_newaddr(ns, ifindex: int, req: dict, nlflags: set) -> None:
    """inet_rtm_newaddr() / rtm_to_ifaddr() / find_matching_ifa()."""
    from ...stack.errors import EAFNOSUPPORT, EINVAL
    if req["family"] == AF_INET6:
        inet6_rtm_newaddr(ns, ifindex, req, nlflags)
        return
    if req["family"] != AF_INET:
        raise KernelError(EAFNOSUPPORT)
    if req["local"] is None:
        raise KernelError(EINVAL, "ipv4: Local address is not supplied")
    dev = _dev_by_index(ns, ifindex)
    if dev.ip is None:
        raise KernelError(ENOBUFS)
    flags = req["flags"]
    if req["lifetimes"] and req["valid"] == 0:
        raise KernelError(EINVAL, "ipv4: address lifetime invalid")
    if req["valid"] == INFINITY_LIFE_TIME:
        flags |= IFA_F_PERMANENT
    else:
        flags &= ~IFA_F_PERMANENT
    label = req["label"]
    if label is not None:
        label = label.encode("utf-8", "surrogateescape")[:15].decode("utf-8", "surrogateescape")
    plen = req["prefixlen"]
    local = req["local"]
    address = req["address"] if req["address"] is not None else local
    ifa = IfAddr(dev, local, plen, address=address, broadcast=req["broadcast"] or 0,
                 scope=req["scope"], label=label, flags=flags, valid_lft=req["valid"],
                 preferred_lft=req["preferred"], rt_priority=req["metric"] or 0)
    existing = None
    for a in dev.ip.ifa_list:
        if a.mask == ifa.mask and a.match(ifa.address) and a.local == ifa.local:
            existing = a
            break
    if existing is None:
        ns.ipv4.addr_add(dev, ifa)
        return
    if "excl" in nlflags or "replace" not in nlflags:
        raise KernelError(EEXIST, "ipv4: Address already assigned.")
    # replace: lifetimes and metric of the existing address (inet_rtm_newaddr's update path)
    existing.valid_lft = ifa.valid_lft
    existing.preferred_lft = ifa.preferred_lft
    existing.flags = (existing.flags & IFA_F_SECONDARY) | (flags & ~IFA_F_SECONDARY)
    if req["metric"] is not None:
        existing.rt_priority = req["metric"]


def inet_rtm_deladdr(ns, ifindex: int, req: dict) -> None:
    """inet_rtm_deladdr(): the first address matching local / label / address+prefixlen."""
    from ...stack.errors import ENODEV
    dev = ns.by_index.get(ifindex)
    if req["family"] == AF_INET6:
        inet6_rtm_deladdr(ns, ifindex, req)
        return
    if dev is None or dev.ip is None:
        raise KernelError(ENODEV, "ipv4: Device not found")
    if req["family"] != AF_INET:
        raise KernelError(EADDRNOTAVAIL)
    for ifa in dev.ip.ifa_list:
        if req["local"] is not None and ifa.local != req["local"]:
            continue
        if req["label"] is not None and req["label"] != ifa.label:
            continue
        if req["address"] is not None and (req["prefixlen"] != ifa.prefixlen
                                           or not ifa.match(req["address"])):
            continue
        ns.ipv4.addr_del(dev, ifa)
        return
    raise KernelError(EADDRNOTAVAIL, "ipv4: Address not found")


def _v6(v) -> bytes:
    return v.to_bytes(16, "big") if isinstance(v, int) else v


def inet6_rtm_newaddr(ns, ifindex: int, req: dict, nlflags: set) -> None:
    """net/ipv6/addrconf.c: inet6_rtm_newaddr() / inet6_addr_add() / inet6_addr_modify()."""
    from ...stack.errors import EACCES, EADDRNOTAVAIL as _EANA, EINVAL, ENODEV
    ipv6 = getattr(ns, "ipv6", None)
    if ipv6 is None:
        # a kernel without IPv6 behaves like one with disable_ipv6=1
        raise KernelError(EACCES, "ipv6: IPv6 is disabled on this device")
    pfx = req["local"] if req["local"] is not None else req["address"]
    if pfx is None:
        raise KernelError(EINVAL)
    addr = _v6(pfx)
    dev = ns.by_index.get(ifindex)
    if dev is None:
        raise KernelError(ENODEV)
    plen = req["prefixlen"]
    flags = req["flags"]
    if dev.ip6 is not None:
        for ifa in dev.ip6.addr_list:
            if ifa.addr == addr:
                if "excl" in nlflags or "replace" not in nlflags:
                    raise KernelError(EEXIST, "ipv6: address already assigned.")
                if req["valid"] == 0 or req["preferred"] > req["valid"]:
                    raise KernelError(EINVAL)
                keep = ifa.flags & ~(0x20 | IFA_F_PERMANENT | 0x02 | 0x10 | 0x100 | 0x200)
                new = flags & (0x02 | 0x10 | 0x100 | 0x200)
                if req["valid"] == INFINITY_LIFE_TIME:
                    new |= IFA_F_PERMANENT
                ifa.flags = keep | new
                ifa.valid_lft, ifa.prefered_lft = req["valid"], req["preferred"]
                ifa.tstamp = ns.kernel.engine.now
                return
    if addr == b"\x00" * 15 + b"\x01" and not dev.flags & 0x8:
        raise KernelError(_EANA, "ipv6: Cannot assign loopback address on this device.")
    if addr[0] == 0xFF and not flags & 0x400:
        raise KernelError(_EANA, 'ipv6: Cannot assign multicast address without '
                          '"IFA_F_MCAUTOJOIN" flag.')
    if flags & 0x100 and plen != 64:
        raise KernelError(EINVAL, 'ipv6: address with "mngtmpaddr" flag must have a prefix '
                          'length of 64.')
    if dev.ip6 is not None and dev.ip6.cnf["disable_ipv6"]:
        raise KernelError(EACCES, "ipv6: IPv6 is disabled on this device.")
    try:
        ipv6.addr_add(dev, addr, plen, flags, req["valid"], req["preferred"])
    except KernelError as e:
        if e.errno == EACCES:
            raise KernelError(EACCES, "ipv6: IPv6 is disabled on this device.") from None
        if e.errno == EEXIST:
            raise KernelError(EEXIST, "ipv6: address already assigned.") from None
        raise


def inet6_rtm_deladdr(ns, ifindex: int, req: dict) -> None:
    """inet6_rtm_deladdr() -> inet6_addr_del(): address and prefix length must match."""
    from ...stack.errors import EINVAL, ENODEV
    pfx = req["local"] if req["local"] is not None else req["address"]
    if pfx is None:
        raise KernelError(EINVAL)
    dev = ns.by_index.get(ifindex)
    if dev is None:
        raise KernelError(ENODEV)
    if getattr(ns, "ipv6", None) is None or dev.ip6 is None:
        raise KernelError(ENODEV)
    try:
        ns.ipv6.addr_del(dev, _v6(pfx), req["prefixlen"])
    except KernelError as e:
        raise KernelError(e.errno, "ipv6: address not found.") from None


# =============================================================================================
# do_ipaddr()
# =============================================================================================

def run(ctx, opts, argv: list[str]) -> int:
    """ipaddress.c: do_ipaddr()."""
    if not argv:
        return Lister(ctx, opts, False).list_flush([], "list")
    a = argv[0]
    rest = argv[1:]
    if matches(a, "add"):
        return ipaddr_modify(ctx, opts, "new", {"create", "excl"}, rest)
    if matches(a, "change") or a == "chg":
        return ipaddr_modify(ctx, opts, "new", {"replace"}, rest)
    if matches(a, "replace"):
        return ipaddr_modify(ctx, opts, "new", {"create", "replace"}, rest)
    if matches(a, "delete"):
        return ipaddr_modify(ctx, opts, "del", set(), rest)
    if matches(a, "list") or matches(a, "show") or matches(a, "lst"):
        return Lister(ctx, opts, False).list_flush(rest, "list")
    if matches(a, "flush"):
        return Lister(ctx, opts, False).list_flush(rest, "flush")
    if matches(a, "save"):
        return Lister(ctx, opts, False).list_flush(rest, "save")
    if matches(a, "showdump") or matches(a, "restore"):
        ctx.fail("Can't restore address dump from a terminal", 255)
    if matches(a, "help"):
        usage(ctx)
    ctx.fail(f'Command "{a}" is unknown, try "ip address help".', 255)
    return 255


__all__ = ["run", "Lister", "fill_ifinfo", "fill_ifaddr", "LinkMsg", "AddrMsg", "ipaddr_modify"]
