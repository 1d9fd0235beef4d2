"""IPv4-in-IPv4 tunnels (net/ipv4/ipip.c over net/ipv4/ip_tunnel.c), kernel-spec §8.1.

Rules:

* TNL-01  loading the module (``ipip``; aliases ``netdev-tunl0``, ``rtnl-link-ipip``, ``tunl0``)
          creates the fallback ``tunl0`` in every netns and in each later one (pernet init):
          no local/remote/link, protocol 0 ("any"), DF off, DOWN, MTU 1480, iflink 0
          (``tunl0@NONE``), netns-immutable; ``ip link del tunl0`` is a silent no-op
          (ip_tunnel_dellink() skips the fallback) and changelink on it is EINVAL.
* TNL-02  ARPHRD_TUNNEL, NOARP, 4-byte address = local, broadcast = remote, POINTOPOINT with a
          remote; MTU = (route device MTU toward the remote, else the link device's, else
          1500) - 20, at least 68 (ip_tunnel_bind_dev()); IFF_NO_QUEUE.
* TNL-03  receive: ip_tunnel_lookup()'s four passes over UP tunnels of the netns the packet
          arrived in (remote+local, remote only, local only / multicast, wildcard), a tunnel
          whose ``link`` is the receiving ifindex winning at once, else the first candidate;
          then the fallback tunl0 if UP.
* TNL-04  no tunnel: ICMP port unreachable (tunnel4_rcv()); a tunnel whose protocol is neither
          0 nor IPIP drops. Without the module IPPROTO_IPIP is unknown: protocol unreachable
          (the stack's own ip_local_deliver()).
* TNL-05  decapsulation: rx counters of the tunnel, skb scrubbed (pkt_type HOST; mark cleared
          across netns), ECN decapsulated (outer CE on a not-ECT inner packet is dropped as a
          frame error), then received on the tunnel device through the backlog, so the tunnel's
          own conf (rp_filter, arp_*) applies; the inner TTL is untouched.
* TNL-06  a tunnel with the same (local, remote, link) as an existing one is EEXIST (netlink and
          SIOCADDTUNNEL alike: so is a second wildcard tunnel while tunl0 exists).
* TNL-07  ttl 0 = inherit the inner TTL; a non-zero TTL forces DF.
* TNL-08  tos 1 = inherit the inner TOS; the outer ECN bits come from the inner packet.
* TNL-09  outer DF = configured DF | inner DF; with DF the usable MTU is route MTU - 20 and an
          inner DF packet bigger than that gets ICMP frag needed with that MTU.
* TNL-10  no remote (NBMA): the outer destination is the inner route's nexthop.
* TNL-11  an outer route back through the tunnel itself counts ``collisions`` and drops; no
          route counts ``tx_carrier_errors``; both count ``tx_errors``.
* ICMP errors quoting our IPIP packets (ipip_err()): frag needed lowers the outer PMTU (done by
  the stack for every protocol); other unreachables and TTL-exceeded (fixed TTL only) arm
  ``err_count``: for 30 s each later transmit also sends the inner source ICMP host unreachable
  (dst_link_failure()), while the packet still goes out.

The ioctl interface of ``ip tunnel`` (SIOCGETTUNNEL / SIOCADDTUNNEL / SIOCCHGTUNNEL /
SIOCDELTUNNEL, ipip_tunnel_ctl() + ip_tunnel_ctl()) is ``tunnel_ioctl()``.
"""

from __future__ import annotations

from ..stack.errors import EEXIST, EINVAL, ENODEV, ENOENT, EOPNOTSUPP, EPERM, KernelError
from ..stack.kernel import (MODULE_ALIASES, MODULES, PERNET_INIT, LinkKind, LinkRequest,
                            register_kind)
from ..stack.netdev import (ARPHRD_TUNNEL, IFF_BROADCAST, IFF_NOARP, IFF_POINTOPOINT, IFF_UP,
                            NetDevice, netif_rx)
from ..stack.skb import PACKET_BROADCAST, PACKET_HOST

IPPROTO_IPIP = 4
IPPROTO_MPLS = 137
ETH_P_IP = 0x0800
IP_DF = 0x4000
IP_MAX_MTU = 0xFFFF
IPV4_MIN_MTU = 68
ETH_DATA_LEN = 1500
T_HLEN = 20                            # tunnel->hlen (0 for ipip) + sizeof(struct iphdr)
IPTUNNEL_ERR_TIMEO = 30_000_000_000    # 30 * HZ

ICMP_DEST_UNREACH = 3
ICMP_TIME_EXCEEDED = 11
ICMP_REDIRECT = 5
ICMP_PORT_UNREACH = 3
ICMP_HOST_UNREACH = 1
ICMP_FRAG_NEEDED = 4
ICMP_SR_FAILED = 5
ICMP_EXC_TTL = 0

# the tunnel ioctls (include/uapi/linux/if_tunnel.h)
SIOCGETTUNNEL = 0x89F0
SIOCADDTUNNEL = 0x89F1
SIOCDELTUNNEL = 0x89F2
SIOCCHGTUNNEL = 0x89F3


def _is_multicast(a: int) -> bool:
    return (a & 0xF0000000) == 0xE0000000


class TunnelParms:
    """struct ip_tunnel_parm as ipip uses it (no keys): addresses as host-order ints, ``tos``
    with bit 0 meaning inherit, ``frag_off`` holding IP_DF when pmtudisc is on."""

    __slots__ = ("name", "link", "local", "remote", "ttl", "tos", "protocol", "frag_off",
                 "version", "ihl")

    def __init__(self, name: str = "", link: int = 0, local: int = 0, remote: int = 0,
                 ttl: int = 0, tos: int = 0, protocol: int = IPPROTO_IPIP,
                 frag_off: int = IP_DF, version: int = 4, ihl: int = 5):
        self.name = name
        self.link = link
        self.local = local
        self.remote = remote
        self.ttl = ttl
        self.tos = tos
        self.protocol = protocol
        self.frag_off = frag_off
        self.version = version
        self.ihl = ihl

    def copy(self) -> "TunnelParms":
        return TunnelParms(self.name, self.link, self.local, self.remote, self.ttl, self.tos,
                           self.protocol, self.frag_off, self.version, self.ihl)

    @property
    def pmtudisc(self) -> bool:
        return bool(self.frag_off & IP_DF)

    def __repr__(self) -> str:
        return (f"<TunnelParms {self.name} link={self.link} local={self.local:#x} "
                f"remote={self.remote:#x} ttl={self.ttl} tos={self.tos:#x} "
                f"proto={self.protocol} df={self.pmtudisc}>")


class IpTunnelNet:
    """struct ip_tunnel_net of one netns: the tunnels (newest first, as hlist_add_head leaves
    each hash bucket) and the fallback device."""

    def __init__(self, ns):
        self.ns = ns
        self.tunnels: list["IpipTunnel"] = []
        self.fb: "IpipTunnel | None" = None
        self.collect_md: "IpipTunnel | None" = None

    def add(self, t: "IpipTunnel") -> None:
        self.tunnels.insert(0, t)

    def delete(self, t: "IpipTunnel") -> None:
        if t in self.tunnels:
            self.tunnels.remove(t)

    def find(self, p: TunnelParms) -> "IpipTunnel | None":
        """ip_tunnel_find(): the same local, remote and link (keys unused by ipip)."""
        for t in self.tunnels:
            q = t.parms
            if q.local == p.local and q.remote == p.remote and q.link == p.link:
                return t                              # the collect_md tunnel too (all zero)
        return None

    def lookup(self, link: int, remote: int, local: int) -> "IpipTunnel | None":
        """ip_tunnel_lookup() with TUNNEL_NO_KEY (TNL-03)."""
        cand = None
        tl = self.tunnels
        for t in tl:                                    # 1: exact (local, remote)
            q = t.parms
            if q.local != local or q.remote != remote or not t.flags & IFF_UP:
                continue
            if q.link == link:
                return t
            cand = t
        for t in tl:                                    # 2: remote, any local
            q = t.parms
            if q.remote != remote or q.local or not t.flags & IFF_UP:
                continue
            if q.link == link:
                return t
            if cand is None:
                cand = t
        for t in tl:                                    # 3: local, any remote (or mcast group)
            q = t.parms
            if (local != q.local or q.remote) and (local != q.remote or not _is_multicast(local)):
                continue
            if not t.flags & IFF_UP:
                continue
            if q.link == link:
                return t
            if cand is None:
                cand = t
        for t in tl:                                    # 4: wildcard
            q = t.parms
            if q.local or q.remote or not t.flags & IFF_UP:
                continue
            if q.link == link:
                return t
            if cand is None:
                cand = t
        if cand is not None:
            return cand
        md = self.collect_md
        if md is not None and md.flags & IFF_UP:
            return md
        fb = self.fb
        if fb is not None and fb.flags & IFF_UP:
            return fb
        return None


def _itn(ns) -> IpTunnelNet | None:
    return ns.__dict__.get("ipip_net")


class IpipTunnel(NetDevice):
    """One ipip tunnel device; ``net`` is the netns it was created in (tunnel->net), where the
    outer packets are routed and received even after the device moves."""

    kind = "ipip"
    type = ARPHRD_TUNNEL
    hard_header_len = 0
    addr_len = 4
    has_eth_header = False
    min_mtu = IPV4_MIN_MTU
    max_mtu = IP_MAX_MTU - T_HLEN

    def __init__(self, kernel, name: str, parms: TunnelParms, net, fallback: bool = False):
        super().__init__(kernel, name)
        self.parms = parms
        self.net = net
        self.fallback = fallback
        self.netns_immutable = fallback
        self.flags = IFF_NOARP
        self.no_queue = True
        self.addr = parms.local.to_bytes(4, "big")
        self.broadcast = parms.remote.to_bytes(4, "big")
        self.addr_assign_type = 0
        self.err_count = 0
        self.err_time = 0
        self.tso_max_size = 65536
        self.collect_md = False
        if fallback:
            # __ip_tunnel_create() leaves the fallback without an MTU range, and it registers
            # with MTU 0 (the MTU is assigned afterwards without NETDEV_CHANGEMTU), so IPv6
            # never gives it an inet6_dev (no addrgenmode in ``ip -d link``)
            self.min_mtu = 0
            self.max_mtu = 0
            self.inet6_dev = False

    # -- registration --------------------------------------------------------------------------
    def ndo_init(self) -> None:
        """ip_tunnel_init(): the parms take the device's name; version 4, ihl 5. The address
        at registration is the permanent one (``permaddr`` once changed)."""
        self.parms.name = self.name
        self.parms.version = 4
        self.parms.ihl = 5
        self.perm_addr = self.addr

    def get_iflink(self) -> int:
        return self.parms.link

    def get_link_net(self):
        return self.net

    def dellink(self, batch: list) -> None:
        """ip_tunnel_dellink(): the fallback device is never deleted this way."""
        if not self.fallback:
            batch.append(self)

    def uninit(self) -> None:
        itn = _itn(self.net)
        if itn is not None and not self.fallback:
            itn.delete(self)
            if itn.collect_md is self:
                itn.collect_md = None

    def ndo_set_mac_address(self, mac: bytes) -> None:
        # ipip_netdev_ops has eth_mac_addr? No: no ndo_set_mac_address, so dev_set_mac_address
        # refuses (-EOPNOTSUPP)
        raise KernelError(EOPNOTSUPP)

    def ndo_change_mtu(self, mtu: int) -> None:
        """ip_tunnel_change_mtu(): 68 .. 65535 - 20."""
        if mtu < IPV4_MIN_MTU or mtu > IP_MAX_MTU - T_HLEN:
            raise KernelError(EINVAL)
        self.mtu = mtu
        if mtu >= 1280:
            self.inet6_dev = True                     # addrconf on NETDEV_CHANGEMTU

    def fill_info(self) -> dict:
        """ipip_fill_info(): IFLA_IPTUN_* (and the encap attributes, all zero here)."""
        p = self.parms
        return {"link": p.link, "local": p.local, "remote": p.remote, "ttl": p.ttl,
                "tos": p.tos, "proto": p.protocol, "pmtudisc": p.pmtudisc, "fwmark": 0,
                "collect_md": self.collect_md}

    # -- ip_tunnel_bind_dev() ------------------------------------------------------------------
    def bind_dev(self) -> int:
        """The MTU the tunnel should have (TNL-02); sets POINTOPOINT once a remote is set."""
        p = self.parms
        tdev = None
        ipv4 = self.net.ipv4
        if p.remote:
            oif = self.net.by_index.get(p.link) if p.link else None
            try:
                tdev = ipv4.route_output(p.remote, 0, oif=oif, tos=p.tos & 0x1C)[3]
            except KernelError:
                tdev = None
            self.flags |= IFF_POINTOPOINT
        if tdev is None and p.link:
            tdev = self.net.by_index.get(p.link)
        mtu = ETH_DATA_LEN
        if tdev is not None:
            mtu = min(tdev.mtu, IP_MAX_MTU)
        mtu -= T_HLEN
        return max(mtu, IPV4_MIN_MTU)

    # -- transmit (ip_tunnel_xmit) ---------------------------------------------------------------
    def ndo_start_xmit(self, skb) -> None:
        p = self.parms
        if self.collect_md:                           # ip_md_tunnel_xmit(): no tunnel info
            self.tx_errors += 1
            return
        data = skb.data
        m = skb.mac_len
        inner = data[m:] if m else data
        if len(inner) < 20 or inner[0] >> 4 != 4 or skb.protocol != ETH_P_IP:
            self.tx_errors += 1                       # ipip carries IPv4 (and MPLS) only
            return
        net = self.net
        ipv4 = net.ipv4
        dst = p.remote
        if not dst:                                   # TNL-10: NBMA
            dst = _inner_nexthop(skb, inner)
            if not dst:
                self.tx_fifo_errors += 1
                self.tx_errors += 1
                return
        tos = p.tos
        if tos & 1:                                   # TNL-08: inherit
            tos = inner[1]
        oif = None
        if p.link:
            oif = net.by_index.get(p.link)
            if oif is None:
                self.tx_carrier_errors += 1
                self.tx_errors += 1
                return
        try:
            route, rtype, src, odev, nh = ipv4.route_output(dst, p.local, oif=oif,
                                                            tos=tos & 0x1C)
        except KernelError:
            self.tx_carrier_errors += 1               # TNL-11
            self.tx_errors += 1
            return
        if odev is self:
            self.collisions += 1                      # TNL-11: routing loop
            self.tx_errors += 1
            return
        # tnl_update_pmtu() (TNL-09)
        inner_df = ((inner[6] << 8) | inner[7]) & IP_DF
        if p.frag_off & IP_DF:
            rmtu = odev.mtu
            if route is not None and route.metrics and route.metrics.get("mtu"):
                rmtu = route.metrics["mtu"]
            if ipv4.pmtu:
                rmtu = ipv4.path_mtu(dst, rmtu)
            mtu = rmtu - T_HLEN
        else:
            mtu = self.mtu
        if inner_df and mtu < len(inner):
            # icmp_ndo_send() from the tunnel's netns to the inner source
            mine = self.ns.ipv4
            if mtu < self.mtu:
                mine.update_pmtu(int.from_bytes(inner[16:20], "big"), mtu)   # [EMU] only lowers
            skb.data = inner
            skb.mac_len = 0
            mine.icmp_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu)
            self.tx_errors += 1
            return
        if self.err_count > 0:
            now = self.kernel.engine.now
            if now < self.err_time + IPTUNNEL_ERR_TIMEO:
                self.err_count -= 1
                skb.data = inner
                skb.mac_len = 0
                self.ns.ipv4.icmp_send(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH)
            else:
                self.err_count = 0
        # ip_tunnel_ecn_encap(): the outer ECN field follows the inner one (CE -> ECT(0))
        iecn = inner[1] & 3
        tos = (tos & ~3 & 0xFF) | (2 if iecn == 3 else iecn)
        ttl = p.ttl or inner[8]                      # TNL-07
        df = (p.frag_off & IP_DF) | inner_df
        xnet = net is not self.ns
        try:
            ipv4.ip_send(dst, IPPROTO_IPIP, inner, saddr=src, oif=oif, tos=tos, ttl=ttl,
                         df=bool(df), ident=ipv4._hash_ident(),
                         mark=0 if xnet else skb.mark)
        except KernelError:
            self.tx_dropped += 1                      # iptunnel_xmit_stats(dev, 0)
            return
        self.tx_packets += 1
        self.tx_bytes += len(inner)


def _inner_nexthop(skb, inner: bytes) -> int:
    """rt_nexthop(skb_rtable(skb), inner daddr): the gateway of the inner route if it has one."""
    daddr = int.from_bytes(inner[16:20], "big")
    ent = skb.dst
    if ent is None:
        return 0
    if len(ent) == 7:                                 # local output: [.., nexthop, neigh]
        return ent[5] or daddr
    route = ent[1]                                    # forwarded: [flags, route, neigh, ...]
    if route is not None and route.gw and route.nh_scope == 253:
        return route.gw
    return daddr


# =============================================================================================
# receive (ipip_rcv -> ip_tunnel_lookup -> ip_tunnel_rcv) and errors (ipip_err)
# =============================================================================================

def _make_rcv(itn: IpTunnelNet):
    def ipip_rcv(skb, m: int, ihl: int, saddr: int, daddr: int) -> None:
        ipv4 = itn.ns.ipv4
        t = itn.lookup(skb.dev.ifindex, saddr, daddr)
        if t is None:                                 # TNL-04
            ipv4.icmp_send(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH)
            ipv4._drop(skb, skb.dev, "NO_TUNNEL", "TNL-04")
            return
        if t.parms.protocol not in (0, IPPROTO_IPIP):
            ipv4._drop(skb, skb.dev, "TUNNEL_PROTO", "TNL-04")
            return
        data = skb.data
        inner = data[m + ihl:]
        outer_tos = data[m + 1]
        if len(inner) >= 20 and inner[0] >> 4 == 4:
            # IP_ECN_decapsulate()
            o, i = outer_tos & 3, inner[1] & 3
            if i == 0 and o:
                if o == 3:                            # CE on not-ECT: drop
                    t.rx_frame_errors += 1
                    t.rx_errors += 1
                    ipv4._drop(skb, skb.dev, "IP_TUNNEL_ECN", "TNL-05")
                    return
            elif o == 3 and i != 3:                   # set CE on the inner header
                inner = _set_ce(inner)
        t.rx_packets += 1
        t.rx_bytes += len(inner)
        # skb_scrub_packet()
        skb.pkt_type = PACKET_BROADCAST if _is_multicast(daddr) else PACKET_HOST
        if _is_multicast(daddr):
            t.multicast += 1
        skb.iif = 0
        skb.dst = None
        skb.sk = None
        if t.net is not t.ns:
            skb.mark = 0
            skb.redirected = False
            skb.tc_skip = False
        skb.data = inner
        skb.mac_len = 0
        skb.protocol = ETH_P_IP
        skb.dev = t
        tr = t.kernel.trace
        if tr is not None:
            tr.hop(t.kernel.engine.now, t.ns, t, skb, "ipip", "decapsulated (TNL-05)")
        if not t.flags & IFF_UP:                     # gro_cells_receive()
            t.rx_dropped += 1
            return
        netif_rx(skb)

    return ipip_rcv


def _set_ce(ip: bytes) -> bytes:
    """IP_ECN_set_ce(): CE in the TOS byte, checksum patched."""
    h = bytearray(ip)
    h[1] |= 3
    h[10:12] = b"\x00\x00"
    s = 0
    for i in range(0, (h[0] & 15) * 4, 2):
        s += (h[i] << 8) | h[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    h[10:12] = (~s & 0xFFFF).to_bytes(2, "big")
    return bytes(h)


def _make_err(itn: IpTunnelNet):
    def ipip_err(itype: int, code: int, quoted: bytes, skb) -> None:
        """ipip_err(): ``quoted`` is the IPIP packet we sent (outer header first)."""
        qsrc = int.from_bytes(quoted[12:16], "big")
        qdst = int.from_bytes(quoted[16:20], "big")
        t = itn.lookup(skb.dev.ifindex, qdst, qsrc)
        if t is None:
            return
        if itype == ICMP_DEST_UNREACH:
            if code == ICMP_SR_FAILED:
                return
        elif itype == ICMP_TIME_EXCEEDED:
            if code != ICMP_EXC_TTL:
                return
        elif itype != ICMP_REDIRECT:
            return
        if itype == ICMP_DEST_UNREACH and code == ICMP_FRAG_NEEDED:
            return                                    # the stack's icmp_rcv lowered the PMTU
        if itype == ICMP_REDIRECT:
            return
        if not t.parms.remote:
            return
        if not t.parms.ttl and itype == ICMP_TIME_EXCEEDED:
            return
        now = t.kernel.engine.now
        if now < t.err_time + IPTUNNEL_ERR_TIMEO:
            t.err_count += 1
        else:
            t.err_count = 1
        t.err_time = now

    return ipip_err


# =============================================================================================
# module, pernet init and creation
# =============================================================================================

def ipip_init_net(ns) -> None:
    """ipip_init_net() -> ip_tunnel_init_net(): the per-netns table, the protocol handler and
    the fallback ``tunl0`` (TNL-01)."""
    if "ipip" not in ns.kernel.modules or _itn(ns) is not None:
        return
    itn = IpTunnelNet(ns)
    ns.ipip_net = itn
    ns.ipv4.protos[IPPROTO_IPIP] = _make_rcv(itn)
    ns.ipv4.protos[IPPROTO_MPLS] = ns.ipv4.protos[IPPROTO_IPIP]   # MPLS-in-IP goes to ipip too
    ns.ipv4.protos[("err", IPPROTO_IPIP)] = _make_err(itn)
    if getattr(ns.kernel, "fb_tunnels_only_for_init_net", 0) and ns is not ns.kernel.init_ns:
        return
    fb = IpipTunnel(ns.kernel, "tunl0", TunnelParms(protocol=0, frag_off=0), ns, fallback=True)
    ns.kernel.register_netdevice(fb, ns)
    fb.mtu = fb.bind_dev()
    itn.fb = fb
    itn.add(fb)


def _load_ipip(kernel) -> None:
    """modprobe ipip (with tunnel4 and ip_tunnel): pernet init for every netns there is."""
    for ns in list(kernel.namespaces):
        ipip_init_net(ns)


MODULES["ipip"] = _load_ipip
MODULE_ALIASES["rtnl-link-ipip"] = "ipip"
MODULE_ALIASES["netdev-tunl0"] = "ipip"
MODULE_ALIASES["tunl0"] = "ipip"
PERNET_INIT.append(ipip_init_net)


def _itn_for(ns) -> IpTunnelNet:
    ns.kernel.request_module("ipip")
    itn = _itn(ns)
    if itn is None:
        ipip_init_net(ns)
        itn = _itn(ns)
    return itn


def ip_tunnel_create(ns, p: TunnelParms) -> IpipTunnel:
    """ip_tunnel_create() (the ioctl path): register, bind, add."""
    itn = _itn_for(ns)
    name = p.name or "ipip%d"
    dev = IpipTunnel(ns.kernel, name, p, ns)
    ns.kernel.register_netdevice(dev, ns)
    dev.mtu = dev.bind_dev()
    itn.add(dev)
    return dev


def ip_tunnel_update(itn: IpTunnelNet, t: IpipTunnel, p: TunnelParms, set_mtu: bool) -> None:
    """ip_tunnel_update(): re-hash with the new addresses, then ttl/tos/DF; a new link
    rebinds (and, unless an MTU came with the request, sets the MTU)."""
    itn.delete(t)
    q = t.parms
    q.local = p.local
    q.remote = p.remote
    t.addr = p.local.to_bytes(4, "big")
    t.broadcast = p.remote.to_bytes(4, "big")
    itn.add(t)
    q.ttl = p.ttl
    q.tos = p.tos
    q.frag_off = p.frag_off
    if q.link != p.link:
        q.link = p.link
        mtu = t.bind_dev()
        if set_mtu:
            t.mtu = mtu
    t.kernel.notify("CHANGE", t)


def _check_flags(dev: IpipTunnel, p: TunnelParms) -> None:
    nflags = IFF_BROADCAST if _is_multicast(p.remote) else IFF_POINTOPOINT if p.remote else 0
    if (dev.flags ^ nflags) & (IFF_POINTOPOINT | IFF_BROADCAST):
        raise KernelError(EINVAL)


def tunnel_ioctl(ns, name: str, cmd: int, p: TunnelParms | None = None) -> TunnelParms:
    """dev_ioctl() for the tunnel SIOCs on the device ``name`` (the caller ran dev_load()):
    ipip_tunnel_ctl() -> ip_tunnel_ctl(). Returns the parms (a copy) for SIOCGETTUNNEL."""
    dev = ns.by_name.get(name)
    if dev is None:
        raise KernelError(ENODEV)
    if not isinstance(dev, IpipTunnel):
        raise KernelError(EOPNOTSUPP)
    itn = _itn(dev.net)
    p = p.copy() if p is not None else TunnelParms()
    if cmd in (SIOCADDTUNNEL, SIOCCHGTUNNEL):
        if p.version != 4 or p.protocol not in (IPPROTO_IPIP, IPPROTO_MPLS, 0) or \
                p.ihl != 5 or p.frag_off & ~IP_DF & 0xFFFF:
            raise KernelError(EINVAL)
    if cmd == SIOCGETTUNNEL:
        t = dev
        if dev is itn.fb:
            t = itn.find(p) or dev
        return t.parms.copy()
    if cmd in (SIOCADDTUNNEL, SIOCCHGTUNNEL):
        if p.ttl:
            p.frag_off |= IP_DF
        t = itn.find(p)
        if cmd == SIOCADDTUNNEL:
            if t is not None:
                raise KernelError(EEXIST)
            if p.name and not _valid_name(p.name):
                raise KernelError(EINVAL)
            return ip_tunnel_create(dev.net, p).parms.copy()
        if dev is not itn.fb:
            if t is not None:
                if t is not dev:
                    raise KernelError(EEXIST)
            else:
                _check_flags(dev, p)
                t = dev
        if t is None:
            raise KernelError(ENOENT)
        ip_tunnel_update(itn, t, p, True)
        return t.parms.copy()
    if cmd == SIOCDELTUNNEL:
        if dev is itn.fb:
            t = itn.find(p)
            if t is None:
                raise KernelError(ENOENT)
            if t is itn.fb:
                raise KernelError(EPERM)
            dev = t
        ns.kernel.unregister_many([dev])
        return p
    raise KernelError(EINVAL)


def _valid_name(name: str) -> bool:
    from ..stack.kernel import dev_valid_name
    return dev_valid_name(name)


# =============================================================================================
# rtnl_link_ops: ``ip link add/set ... type ipip``
# =============================================================================================

def _netlink_parms(data: dict) -> TunnelParms:
    """ipip_netlink_parms() + ip_tunnel_netlink_parms(): IFLA_IPTUN_* over zeroed parms
    (protocol IPIP, DF off); with attributes, a non-zero TTL forces DF and a missing or
    non-zero PMTUDISC turns it on."""
    p = TunnelParms(frag_off=0)
    if not data:
        return p
    p.link = data.get("link", 0) or 0
    p.local = data.get("local", 0) or 0
    p.remote = data.get("remote", 0) or 0
    if "ttl" in data:
        p.ttl = data["ttl"]
        if p.ttl:
            p.frag_off = IP_DF
    if "tos" in data:
        p.tos = data["tos"]
    if "proto" in data:
        p.protocol = data["proto"]
    if data.get("pmtudisc", True):
        p.frag_off = IP_DF
    return p


class IpipKind(LinkKind):
    kind = "ipip"
    template = "ipip%d"

    def validate(self, req: LinkRequest) -> None:
        """ipip_tunnel_validate(): the protocol must be IPIP, MPLS or 0 (any)."""
        proto = (req.data or {}).get("proto")
        if proto is not None and proto not in (IPPROTO_IPIP, IPPROTO_MPLS, 0):
            raise KernelError(EINVAL)

    def newlink(self, kernel, ns, req: LinkRequest) -> IpipTunnel:
        """ipip_newlink() -> ip_tunnel_newlink() (TNL-06). A device made over netlink keeps
        alloc_netdev()'s MTU range 0..0 (``minmtu 0 maxmtu 0``; only the ioctl path sets
        68..65515); ``external`` makes the netns' one collect_md tunnel."""
        itn = _itn_for(ns)
        data = req.data or {}
        p = _netlink_parms(data)
        md = bool(data.get("collect_md"))
        if md:
            if itn.collect_md is not None:
                raise KernelError(EEXIST)
        elif itn.find(p) is not None:
            raise KernelError(EEXIST)
        dev = IpipTunnel(kernel, req.name or ns.alloc_name("ipip%d"), p, ns)
        dev.min_mtu = dev.max_mtu = 0
        dev.collect_md = md
        if req.mtu is not None:
            dev.mtu = req.mtu
        if req.txqlen is not None:
            dev.tx_queue_len = req.txqlen
        if req.group is not None:
            dev.group = req.group
        if req.alias is not None:
            dev.alias = req.alias
        if req.index:
            dev.ifindex = req.index
        kernel.register_netdevice(dev, ns)
        mtu = dev.bind_dev()
        if req.mtu is not None:
            mtu = min(max(dev.mtu, IPV4_MIN_MTU), IP_MAX_MTU - T_HLEN)
        dev.mtu = mtu
        if md:
            itn.collect_md = dev
        itn.add(dev)
        return dev

    def changelink(self, dev: NetDevice, req: LinkRequest) -> None:
        """ipip_changelink() -> ip_tunnel_changelink()."""
        if not isinstance(dev, IpipTunnel):
            raise KernelError(EOPNOTSUPP)
        data = req.data or {}
        if data.get("collect_md"):
            raise KernelError(EINVAL)
        p = _netlink_parms(data)
        if bool(dev.flags & IFF_POINTOPOINT) != bool(p.remote):
            raise KernelError(EINVAL)
        itn = _itn(dev.net)
        if dev is itn.fb:
            raise KernelError(EINVAL)
        t = itn.find(p)
        if t is not None:
            if t is not dev:
                raise KernelError(EEXIST)
        else:
            _check_flags(dev, p)
            t = dev
        ip_tunnel_update(itn, t, p, req.mtu is None)


register_kind(IpipKind())
