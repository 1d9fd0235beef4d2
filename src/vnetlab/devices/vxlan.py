"""VXLAN over IPv4 (drivers/net/vxlan/vxlan_core.c), kernel-spec §8.2.

Rules:

* VXL-01  without ``dstport`` the module's ``udp_port`` is used: 8472 (4789 is IANA's). Two
          devices may share a VNI only on different ports ("A VXLAN device with the specified VNI
          already exists.", EEXIST).
* VXL-02  learning is on by default: a frame received from outer source S with inner source
          MAC M creates (or refreshes) the dynamic entry M -> S (NUD_REACHABLE, NTF_SELF); a
          dynamic entry moves to a new S, a permanent/static (NOARP) one does not and the frame
          is dropped; a frame whose inner source is the device's own MAC is dropped. Dynamic
          entries age out after ``ageing`` seconds (300), checked every 10 s.
* VXL-03  transmit: the destination MAC (multicast/broadcast: the all-zeros entry) is looked up;
          unknown unicast falls back to the all-zeros entry, whose remotes each get a copy
          (head-end replication); nothing: ``tx_dropped``. ``remote``/``group`` make a permanent
          all-zeros entry (with ``via`` = the ``dev`` link).
* VXL-04  MTU: with ``dev`` the lower MTU - 50, and a larger one is EINVAL; without it 1500 and
          up to 65535; IFF_NO_QUEUE.

Encapsulation: an 8-byte VXLAN header (flags 0x08, VNI), a UDP header (source port hashed
from the inner flow into the ephemeral range, destination the entry's port or ``dstport``,
checksum unless ``noudpcsum``), IPv4 with ``ttl`` (0 = route default 64, 1 for a multicast
group), ``tos`` (1 = inherit), no DF. Receive goes through the netns' UDP encapsulation socket
(``stack.udp.udp_tunnel_open``), opened while a device using the port is UP; the inner frame is
received on the VXLAN device (eth_type_trans, the backlog).
"""

from __future__ import annotations

import struct

from ..stack.errors import EADDRINUSE, EEXIST, EINVAL, ENOENT, ENOSPC, EOPNOTSUPP, KernelError
from ..stack.kernel import MODULE_ALIASES, MODULES, LinkKind, LinkRequest, apply_common, \
    register_kind
from ..stack.netdev import (IFF_UP, NetDevice, dev_mc_add, dev_mc_del, eth_type_trans,
                            netif_rx)

VXLAN_PORT_DEFAULT = 8472          # module parameter udp_port
IANA_VXLAN_UDP_PORT = 4789
VXLAN_HEADROOM = 50                # IPv4 20 + UDP 8 + VXLAN 8 + Ethernet 14
FDB_AGE_DEFAULT = 300
FDB_AGE_INTERVAL = 10
SEC = 1_000_000_000
NUD_REACHABLE, NUD_NOARP, NUD_PERMANENT = 0x02, 0x40, 0x80
NTF_SELF, NTF_ROUTER = 0x02, 0x80
ZERO_MAC = b"\x00" * 6
IPPROTO_UDP = 17
VXLAN_HF_VNI = 0x08000000


def _is_multicast(a: int) -> bool:
    return (a & 0xF0000000) == 0xE0000000


class Remote:
    """struct vxlan_rdst: one destination of an FDB entry."""

    __slots__ = ("ip", "port", "vni", "ifindex")

    def __init__(self, ip: int, port: int, vni: int, ifindex: int):
        self.ip, self.port, self.vni, self.ifindex = ip, port, vni, ifindex

    def key(self):
        return (self.ip, self.port, self.vni, self.ifindex)


class FdbEntry:
    """struct vxlan_fdb."""

    __slots__ = ("mac", "state", "flags", "remotes", "used", "updated")

    def __init__(self, mac: bytes, state: int, flags: int, now: int):
        self.mac = mac
        self.state = state
        self.flags = flags
        self.remotes: list[Remote] = []
        self.used = now
        self.updated = now


class VxlanSock:
    """A shared vxlan_sock: one UDP encapsulation socket per (netns, port), its VNI table."""

    def __init__(self, ns, port: int):
        from ..stack.udp import udp_tunnel_open
        self.ns = ns
        self.port = port
        self.devs: dict[int, "Vxlan"] = {}
        self.tun = udp_tunnel_open(ns, port, self.encap_rcv)

    def encap_rcv(self, skb, off: int, saddr: int, daddr: int, sport: int, dport: int) -> None:
        """vxlan_rcv()."""
        data = skb.data
        if len(data) - off < 8 + 14:
            return
        flags, vni = struct.unpack_from("!II", data, off)
        if not flags & VXLAN_HF_VNI:
            return                                      # not a VXLAN frame: dropped
        vni >>= 8
        dev = self.devs.get(vni)
        if dev is None or not dev.flags & IFF_UP:
            return
        dev.rcv(skb, data[off + 8:], saddr, data[skb.mac_len + 1])


def _socks(ns) -> dict:
    d = ns.__dict__.get("vxlan_socks")
    if d is None:
        d = ns.vxlan_socks = {}
    return d


class Vxlan(NetDevice):
    kind = "vxlan"
    max_mtu = 65535

    def __init__(self, kernel, name: str, cfg: dict, net):
        super().__init__(kernel, name)
        self.cfg = cfg
        self.net = net                                  # vxlan->net
        self.no_queue = True
        self.fdb: dict[bytes, FdbEntry] = {}
        self.vs: VxlanSock | None = None
        self.age_timer = None
        self.addrcnt = 0

    # -- configuration ------------------------------------------------------------------------
    @property
    def vni(self) -> int:
        return self.cfg["id"]

    @property
    def dst_port(self) -> int:
        return self.cfg["port"]

    def lower(self):
        link = self.cfg.get("link", 0)
        return self.net.by_index.get(link) if link else None

    def fill_info(self) -> dict:
        c = self.cfg
        return {"id": c["id"], "group": c.get("group", 0), "remote": c.get("remote", 0),
                "local": c.get("local", 0), "link": c.get("link", 0),
                "port_range": (c.get("port_min", 0), c.get("port_max", 0)),
                "port": c["port"], "learning": c.get("learning", True),
                "proxy": c.get("proxy", False), "rsc": c.get("rsc", False),
                "l2miss": c.get("l2miss", False), "l3miss": c.get("l3miss", False),
                "ttl": c.get("ttl", 0), "ttl_inherit": c.get("ttl_inherit", False),
                "tos": c.get("tos", 0), "df": c.get("df", 0),
                "ageing": c.get("ageing", FDB_AGE_DEFAULT), "limit": c.get("limit", 0),
                "udp_csum": c.get("udp_csum", True), "external": c.get("external", False)}

    def ndo_change_mtu(self, mtu: int) -> None:
        """vxlan_change_mtu(): with a lower device, at most its MTU - 50."""
        lower = self.lower()
        if lower is not None and mtu > lower.mtu - VXLAN_HEADROOM:
            raise KernelError(EINVAL)
        self.mtu = mtu

    def get_link_net(self):
        return self.net

    # -- open / stop ------------------------------------------------------------------------------
    def ndo_open(self) -> None:
        """vxlan_open(): take (or share) the UDP socket of the port, join the group."""
        socks = _socks(self.net)
        vs = socks.get(self.dst_port)
        if vs is None:
            try:
                vs = VxlanSock(self.net, self.dst_port)
            except KernelError:
                raise KernelError(EADDRINUSE)
            socks[self.dst_port] = vs
        vs.devs[self.vni] = self
        self.vs = vs
        group = self.cfg.get("group", 0)
        lower = self.lower()
        if group and lower is not None and lower.ip is not None:
            lower.ip.mc_list.append(group)              # ip_mc_join_group()
            dev_mc_add(lower, bytes((1, 0, 0x5E, (group >> 16) & 0x7F, (group >> 8) & 255,
                                     group & 255)))
            self.net.ipv4.route_cache_flush()
        self._arm_ageing()

    def ndo_stop(self) -> None:
        vs = self.vs
        if vs is not None:
            vs.devs.pop(self.vni, None)
            if not vs.devs:
                vs.tun.close()
                _socks(self.net).pop(self.dst_port, None)
            self.vs = None
        group = self.cfg.get("group", 0)
        lower = self.lower()
        if group and lower is not None and lower.ip is not None and group in lower.ip.mc_list:
            lower.ip.mc_list.remove(group)
            dev_mc_del(lower, bytes((1, 0, 0x5E, (group >> 16) & 0x7F, (group >> 8) & 255,
                                     group & 255)))
            self.net.ipv4.route_cache_flush()
        if self.age_timer is not None:
            self.age_timer.cancel()
            self.age_timer = None
        # vxlan_stop(): vxlan_flush(vxlan, false) drops the dynamic entries
        for mac in [m for m, f in self.fdb.items() if not f.state & (NUD_PERMANENT | NUD_NOARP)]:
            del self.fdb[mac]

    def uninit(self) -> None:
        if self.age_timer is not None:
            self.age_timer.cancel()
            self.age_timer = None

    # -- FDB ageing (vxlan_cleanup) ----------------------------------------------------------------
    def _arm_ageing(self) -> None:
        eng = self.kernel.engine
        self.age_timer = eng.call_later(FDB_AGE_INTERVAL * SEC, self._cleanup)

    def _cleanup(self) -> None:
        self.age_timer = None
        if not self.flags & IFF_UP or self.reg_state != "REGISTERED":
            return
        now = self.kernel.engine.now
        age = self.cfg.get("ageing", FDB_AGE_DEFAULT) * SEC
        for mac, f in list(self.fdb.items()):
            if f.state & (NUD_PERMANENT | NUD_NOARP) or f.flags & 0x10:
                continue
            if f.used + age <= now:
                del self.fdb[mac]
                self.addrcnt -= 1
        self._arm_ageing()

    # -- FDB operations (``bridge fdb ... dev vxlan0 [self]``) ---------------------------------------
    def _parse_attrs(self, attrs: dict) -> Remote:
        """vxlan_fdb_parse()."""
        dst = attrs.get("dst")
        if dst is None:
            raise KernelError(EINVAL)
        fam, text = dst
        if fam != 2:
            raise KernelError(EOPNOTSUPP)              # [EMU] no IPv6
        a, b, c, d = (int(x) for x in text.split("."))
        ip = (a << 24) | (b << 16) | (c << 8) | d
        port = attrs.get("port") or self.dst_port
        vni = attrs.get("vni")
        if vni is None:
            vni = self.vni
        ifindex = attrs.get("via") or 0
        return Remote(ip, port, vni, ifindex)

    def ndo_fdb_add(self, mac: bytes, state: int, flags: int, nlflags: set, vid, attrs) -> None:
        """vxlan_fdb_add() -> vxlan_fdb_update()."""
        if not state & (NUD_PERMANENT | NUD_REACHABLE):
            raise KernelError(EINVAL)
        rd = self._parse_attrs(attrs)
        self.fdb_update(mac, rd, state, nlflags, NTF_SELF | (flags & NTF_ROUTER))

    def fdb_update(self, mac: bytes, rd: Remote, state: int, nlflags: set, ndm_flags: int,
                   learned: bool = False) -> None:
        now = self.kernel.engine.now
        f = self.fdb.get(mac)
        if f is not None:
            if "excl" in nlflags:
                raise KernelError(EEXIST)
            if f.state != state:
                f.state = state
                f.updated = now
            if "replace" in nlflags:
                if mac[0] & 1 or mac == ZERO_MAC:
                    raise KernelError(EOPNOTSUPP)
                if f.remotes:
                    f.remotes[0] = rd
                else:
                    f.remotes.append(rd)
                f.updated = now
            elif "append" in nlflags and (mac[0] & 1 or mac == ZERO_MAC):
                if all(r.key() != rd.key() for r in f.remotes):
                    f.remotes.append(rd)
                    f.updated = now
            return
        if "create" not in nlflags:
            raise KernelError(ENOENT)
        limit = self.cfg.get("limit", 0)
        if limit and self.addrcnt >= limit:
            raise KernelError(ENOSPC)
        if "replace" in nlflags and (mac[0] & 1 or mac == ZERO_MAC):
            raise KernelError(EOPNOTSUPP)
        f = FdbEntry(mac, state, ndm_flags, now)
        f.remotes.append(rd)
        self.fdb[mac] = f
        self.addrcnt += 1

    def ndo_fdb_del(self, mac: bytes, state: int, vid, attrs) -> None:
        """vxlan_fdb_delete(): one remote when ``dst`` is given, else the whole entry."""
        f = self.fdb.get(mac)
        if f is None:
            raise KernelError(ENOENT)
        if attrs.get("dst") is not None:
            rd = self._parse_attrs(attrs)
            for r in f.remotes:
                if r.ip == rd.ip and (not attrs.get("port") or r.port == rd.port) and \
                        (attrs.get("vni") is None or r.vni == rd.vni) and \
                        (not attrs.get("via") or r.ifindex == rd.ifindex):
                    if len(f.remotes) > 1:
                        f.remotes.remove(r)
                        return
                    break
            else:
                return                                # no such remote: nothing to do
        del self.fdb[mac]
        self.addrcnt -= 1

    def ndo_fdb_dump(self) -> list:
        """vxlan_fdb_dump(): one message per remote, as dicts (``commands.bridge`` formats them:
        dst always, port / vni only when they differ from the device's, via when set)."""
        out = []
        now = self.kernel.engine.now
        for f in self.fdb.values():
            for rd in f.remotes:
                m = {"mac": f.mac, "ifindex": self.ifindex, "state": f.state, "flags": f.flags,
                     "dst": rd.ip,
                     "cache": ((now - f.used) * 100 // SEC, (now - f.updated) * 100 // SEC)}
                if rd.port != self.dst_port:
                    m["port"] = rd.port
                if rd.vni != self.vni:
                    m["vni"] = rd.vni
                if rd.ifindex:
                    m["via"] = rd.ifindex
                if self.net is not self.ns:
                    m["link_netnsid"] = self.ns.peernet_id(self.net)
                out.append(m)
        return out

    # -- transmit (vxlan_xmit) -------------------------------------------------------------------
    def ndo_start_xmit(self, skb) -> None:
        data = skb.data
        dst = data[:6]
        f = None
        if not dst[0] & 1:
            f = self.fdb.get(dst)
            if f is not None:
                f.used = self.kernel.engine.now
        if f is None:
            f = self.fdb.get(ZERO_MAC)
        if f is None or not f.remotes:
            self.tx_dropped += 1                     # VXL-03
            tr = self.kernel.trace
            if tr is not None:
                tr.drop(self.kernel.engine.now, self.ns, self, skb, "VXLAN_NO_REMOTE", "VXL-03")
            return
        sent = False
        for rd in f.remotes:
            sent |= self._xmit_one(data, rd, skb.mark)
        if sent:
            # iptunnel_xmit_stats(): the length from the inner network header on
            self.tx_packets += 1
            self.tx_bytes += len(data) - 14

    def _xmit_one(self, frame: bytes, rd: Remote, mark: int) -> bool:
        """vxlan_xmit_one() for an IPv4 remote."""
        net = self.net
        ipv4 = net.ipv4
        if not rd.ip:
            return False
        cfg = self.cfg
        oif = None
        ifi = rd.ifindex or cfg.get("link", 0)
        if ifi:
            oif = net.by_index.get(ifi)
        tos = cfg.get("tos", 0)
        if tos == 1:                                  # inherit
            et = (frame[12] << 8) | frame[13]
            tos = frame[15] if et == 0x0800 and len(frame) > 15 else 0
        ttl = cfg.get("ttl", 0)
        if not ttl and _is_multicast(rd.ip):
            ttl = 1
        if not ttl:
            ttl = ipv4.sysctl["ip_default_ttl"]
        # udp_flow_src_port(): a hash of the inner flow folded into [min, max]
        pmin = cfg.get("port_min", 0) or 32768
        pmax = cfg.get("port_max", 0) or 60999
        h = hash((frame[:12], frame[26:38] if len(frame) >= 38 else b"")) & 0xFFFFFFFF
        sport = pmin + (h * (pmax - pmin + 1) >> 32)
        payload = struct.pack("!II", VXLAN_HF_VNI, rd.vni << 8) + frame
        ulen = 8 + len(payload)
        try:
            route, rtype, src, odev, nh = ipv4.route_output(rd.ip, cfg.get("local", 0), oif=oif,
                                                            tos=tos & 0x1C)
        except KernelError:
            self.tx_carrier_errors += 1
            self.tx_errors += 1
            return False
        if odev is self:
            self.collisions += 1
            self.tx_errors += 1
            return False
        csum = 0
        if cfg.get("udp_csum", True):
            pseudo = struct.pack("!IIBBH", src, rd.ip, 0, IPPROTO_UDP, ulen)
            udp0 = struct.pack("!HHHH", sport, rd.port, ulen, 0) + payload
            csum = _csum(pseudo + udp0) or 0xFFFF
        udp = struct.pack("!HHHH", sport, rd.port, ulen, csum) + payload
        try:
            ipv4.ip_send(rd.ip, IPPROTO_UDP, udp, saddr=src, oif=oif, tos=tos, ttl=ttl,
                         df=False, ident=ipv4._hash_ident(), mark=mark)
        except KernelError:
            self.tx_errors += 1
            return False
        return True

    # -- receive (vxlan_rcv) ----------------------------------------------------------------------
    def rcv(self, skb, frame: bytes, saddr: int, outer_tos: int) -> None:
        if len(frame) < 14:
            return
        src_mac = frame[6:12]
        if src_mac == self.addr:                       # VXL-02: our own frame looped back
            self.rx_dropped += 1
            return
        if self.cfg.get("learning", True) and not src_mac[0] & 1 and src_mac != ZERO_MAC:
            if self._snoop(src_mac, saddr):
                self.rx_dropped += 1
                return
        self.rx_packets += 1
        self.rx_bytes += len(frame) - 14              # counted after eth_type_trans()
        # skb_scrub_packet() across netns, then eth_type_trans() against the vxlan device
        skb.dst = None
        skb.sk = None
        skb.iif = 0
        if self.net is not self.ns:
            skb.mark = 0
        skb.data = frame
        eth_type_trans(skb, self)
        netif_rx(skb)

    def _snoop(self, mac: bytes, saddr: int) -> bool:
        """vxlan_snoop(): True when the frame must be dropped (a static entry elsewhere)."""
        now = self.kernel.engine.now
        f = self.fdb.get(mac)
        if f is not None:
            rd = f.remotes[0] if f.remotes else None
            if rd is not None and rd.ip == saddr:
                f.used = now
                return False
            if f.state & (NUD_NOARP | NUD_PERMANENT):
                return True
            if rd is not None:
                rd.ip = saddr
            f.updated = f.used = now
            return False
        try:
            self.fdb_update(mac, Remote(saddr, self.dst_port, self.vni, 0), NUD_REACHABLE,
                            {"create", "excl"}, NTF_SELF, learned=True)
        except KernelError:
            pass
        return False


def _csum(b: bytes) -> int:
    if len(b) & 1:
        b += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class VxlanKind(LinkKind):
    kind = "vxlan"
    template = "vxlan%d"

    def validate(self, req: LinkRequest) -> None:
        data = req.data or {}
        if "id" in data and not 0 <= data["id"] < (1 << 24):
            raise KernelError(EINVAL, "VXLAN ID must be lower than 16777216")

    def newlink(self, kernel, ns, req: LinkRequest) -> Vxlan:
        """vxlan_newlink() -> __vxlan_dev_create() / vxlan_dev_configure() (VXL-01..04)."""
        data = dict(req.data or {})
        if "id" not in data:
            raise KernelError(EINVAL, "Missing VXLAN ID")
        if not data.get("port"):
            data["port"] = VXLAN_PORT_DEFAULT
        for other in ns.devices:
            if isinstance(other, Vxlan) and other.net is ns and other.vni == data["id"] and \
                    other.dst_port == data["port"]:
                raise KernelError(EEXIST, "A VXLAN device with the specified VNI already exists")
        dev = Vxlan(kernel, req.name or ns.alloc_name("vxlan%d"), data, ns)
        lower = dev.lower()
        if data.get("link") and lower is None:
            raise KernelError(19)
        if lower is not None:
            dev.mtu = lower.mtu - VXLAN_HEADROOM
            dev.tso_max_size = getattr(lower, "tso_max_size", 65536)
        if req.mtu is not None:
            if lower is not None and req.mtu > lower.mtu - VXLAN_HEADROOM:
                raise KernelError(EINVAL)
        apply_common(kernel, dev, req)
        kernel.register_netdevice(dev, ns)
        dst = data.get("group") or data.get("remote")
        if dst:
            f = FdbEntry(ZERO_MAC, NUD_NOARP | NUD_PERMANENT, NTF_SELF, kernel.engine.now)
            f.remotes.append(Remote(dst, data["port"], data["id"], data.get("link", 0)))
            dev.fdb[ZERO_MAC] = f
        return dev

    def changelink(self, dev: NetDevice, req: LinkRequest) -> None:
        """vxlan_changelink(): the remote (default entry), ttl, tos, learning, ageing, ..."""
        if not isinstance(dev, Vxlan):
            raise KernelError(EOPNOTSUPP)
        data = req.data or {}
        for key in ("id", "port", "link", "local", "port_min", "port_max"):
            if key in data and data[key] != dev.cfg.get(key, 0):
                if key == "port" and not data[key]:
                    continue
                raise KernelError(EOPNOTSUPP, f"Cannot change {key.upper()}"
                                  if key != "id" else "Cannot change VNI")
        newdst = data.get("group") or data.get("remote")
        olddst = dev.cfg.get("group") or dev.cfg.get("remote")
        for key, val in data.items():
            if key not in ("id", "port"):
                dev.cfg[key] = val
        if newdst and newdst != olddst:
            f = dev.fdb.get(ZERO_MAC)
            if f is None:
                f = FdbEntry(ZERO_MAC, NUD_NOARP | NUD_PERMANENT, NTF_SELF,
                             dev.kernel.engine.now)
                dev.fdb[ZERO_MAC] = f
            rd = Remote(newdst, dev.dst_port, dev.vni, dev.cfg.get("link", 0))
            if f.remotes:
                f.remotes[0] = rd
            else:
                f.remotes.append(rd)


def _load_vxlan(kernel) -> None:
    pass


MODULES["vxlan"] = _load_vxlan
MODULE_ALIASES["rtnl-link-vxlan"] = "vxlan"
register_kind(VxlanKind())
