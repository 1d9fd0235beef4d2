"""IPVLAN and IPVTAP (drivers/net/ipvlan/ipvlan_main.c, ipvlan_core.c, ipvlan_l3s.c, ipvtap.c),
kernel-spec §4 (IPV-*) and the ipvtap part of §3 (MVT-*).

One ``IpvlanPort`` per master device is that device's rx_handler (``ipvlan_handle_frame``);
every slave is an ``Ipvlan`` (``Ipvtap``) netdev that transmits through it. The port, not the
slave, owns the mode and the flags.

Creation and configuration (``ipvlan_link_new()``, ``ipvlan_nl_changelink()``):

* IPV-01  modes l2=0 l3=1 l3s=2; flags private=1 vepa=2 (bridge: neither); a mode >= 3, other
          flag bits or private|vepa are EINVAL (``ipvlan_nl_validate``).
* IPV-02  every newlink sets the port mode (the requested one, else L3) for all slaves; the
          flags attribute, when present, overwrites the port flags; changelink sets mode and /
          or flags the same way.
* IPV-03  no IFLA_LINK: EINVAL; a slave given as master stands for its own master; a new master
          must be ARPHRD_ETHER and not loopback (EINVAL) with a free rx_handler slot (EBUSY).
          The master may not change type (PRE_TYPE_CHANGE vetoed).
* IPV-04  slaves are IFF_NO_RX_HANDLER: no bridge port, macvlan lower or ipvlan master (EINVAL
          from the rx_handler registration).
* IPV-05  no netns restriction; the master's netns is where L3 egress is routed.
* IPV-06  the slave's MAC is the master's (given ``address`` is overwritten), follows the master's
          changes (NETDEV_CHANGEADDR on each slave) and cannot be set (no ndo_set_mac_address:
          EOPNOTSUPP); unique dev_id 1..0xFFFD per port.
* IPV-07  the inetaddr validator: an IPv4 address (ifa_address: the peer address of a
          point-to-point one) held by any slave of the port, this one included, is EADDRINUSE
          "Address already assigned to an ipvlan device"; the master's own are not checked. Only
          UP slaves' addresses are in the demux hash (``ipvlan_open`` / ``ipvlan_stop``).
* IPV-08  MTU: the master's at creation unless given; on every master MTU change the slaves take
          it (set directly, no notifier); the slave's own MTU is free in 68..65535.
* IPV-09  NOARP on slaves in l3/l3s, set at open and toggled on every slave when the port mode
          changes (dev_change_flags: an UP slave's neighbours are flushed, arp_netdev_event()).
* carrier / dormant follow the master on its NETDEV_UP and NETDEV_CHANGE only (not DOWN);
  deleting the master deletes its slaves (not a netns move); the port goes with the last slave.
* ALLMULTI on a slave is passed to the master (``ipvlan_change_rx_flags``), UP or not.

Receive on the master (``IpvlanPort.handle_frame``):

* IPV-RX-01 key: IPv4 destination, ARP target IP; unparseable frames go to the master.
* IPV-RX-02/03 l3 (and l2 unicast): a key in the hash steers the frame to that slave
  (ANOTHER); ARP for a slave IP reaches the NOARP slave and dies there.
* IPV-RX-04 l2 group frames: the master keeps the frame (PASS); unless it is one of our own
  (source MAC == master MAC and the L3 source a slave address) a clone is queued (1000,
  overflow: rx_dropped on the master) and a work item gives a copy to every UP slave whose filter
  matches (broadcast, its multicast list, or all when PROMISC / ALLMULTI), pkt_type
  BROADCAST / MULTICAST. [EMU] the filter is the exact set, where the kernel hashes MACs
  (8 bits, random seed).
* IPV-RX-05 l3s: the rx_handler passes; the l3mdev hook of the master's IPv4 receive routes
  a packet for a slave address as received on the slave, in the slave's netns, and the
  LOCAL_IN hook hands it to the slave. [EMU] done here: an IPv4 packet (not OTHERHOST) whose
  destination is an UP slave's address goes straight to the slave netns's ip_rcv with
  skb.dev = slave (no packet taps on the slave, as in the kernel); the rest passes.

Transmit (``Ipvlan.ndo_start_xmit`` = ``ipvlan_queue_xmit``):

* IPV-TX-01 l3/l3s: not vepa and the IP destination a slave: private drops, bridge forwards
  (``dev_forward_skb``); else group destination MACs are dropped, the Ethernet header is
  stripped and the packet is routed in the master's netns (oif = master, any source): only
  unicast or local routes (else tx_errors on the master); no route at all through the master
  means "on link" (ip_route_output's fallback); a local route loops it to the master's stack.
* IPV-TX-02 l2 unicast with destination MAC == source MAC and not vepa: a slave (private drops,
  bridge forwards) or else into the master's receive path; any other unicast out the master.
* IPV-TX-03 l2 group frames: queued (tx), copied to the other UP slaves whose filter matches
  (``dev_forward_skb``), then sent out of the master; the master's stack does not get them.
* IPV-TX-04 vepa: no local switching at all.
* IPV-TX-05 the master's own transmissions never reach a slave (no transmit hook).

[EMU] a send the driver drops at once (a private port's slave destination, a group MAC in l3)
is counted but not reported back to the sender: the kernel returns NET_XMIT_DROP up to
sendmsg(), where ping prints "sendmsg: No buffer space available" (ENOBUFS, seen on 6.1).

Observed on the reference kernel (6.1) and kept here: a slave made on a master that has carrier
gets no linkwatch event, so it lists as state UNKNOWN once up; a slave made without
``address`` has NET_ADDR_PERM, so after a master MAC change it lists ``permaddr`` (the MAC it
was born with).

Counters (``ipvlan_count_rx`` / ``ipvlan_start_xmit``): rx_packets / rx_bytes / multicast as the
driver counts them (a slave-to-slave or transmitted group frame counts ETH_HLEN twice, as the
kernel's ``skb->len + ETH_HLEN`` does there); failures in rx_errors, reported as rx_dropped too;
a send that returns a drop counts tx_dropped.

IPVTAP (``Ipvtap``): an ipvlan with its own rx_handler ``tap_handle_frame`` (MVT-01/03/04,
shared with macvtap), ``tx_queue_len`` 500 and a real qdisc; ``open()`` returns the same
``TapFile`` as macvtap (``/dev/tap<ifindex>``, MVT-02..08).

``LinkRequest.data`` accepted by kinds "ipvlan" and "ipvtap":

    {"mode": "l2" | "l3" | "l3s" | <int>, "flags": <int> | "bridge" | "private" | "vepa"}

``fill_info()`` returns the kernel's IFLA_IPVLAN_MODE / IFLA_IPVLAN_FLAGS: {"mode", "flags"}.
"""

from __future__ import annotations

from collections import deque

from ..stack.errors import EADDRINUSE, EBUSY, EINVAL, ENODEV, EOPNOTSUPP, KernelError
from ..stack.kernel import (MODULE_ALIASES, MODULES, LinkKind, LinkRequest, apply_common,
                            register_kind)
from ..stack.netdev import (ARPHRD_ETHER, IFF_LOOPBACK, IFF_NOARP, IFF_UP,
                            NETDEV_CHANGE, NETDEV_CHANGEADDR, NETDEV_CHANGEMTU,
                            NETDEV_CHANGEUPPER, NETDEV_PRE_TYPE_CHANGE, NETDEV_UNREGISTER,
                            NETDEV_UP, NetDevice, dev_forward_skb, dev_queue_xmit,
                            dev_set_allmulti, netif_rx, rx_handler_register,
                            rx_handler_unregister, skb_scrub_packet)
from ..stack.skb import PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST, Skb
from .macvlan import MAX_TAP_QUEUES, TUN_READQ_SIZE, Macvtap, TapFile

__all__ = ["Ipvlan", "Ipvtap", "IpvlanPort", "IpvlanKind", "IpvtapKind", "ipvlan_port_of",
           "IPVLAN_MODE_L2", "IPVLAN_MODE_L3", "IPVLAN_MODE_L3S", "IPVLAN_F_PRIVATE",
           "IPVLAN_F_VEPA", "MODE_NAMES", "IPVLAN_QBACKLOG_LIMIT"]

# include/uapi/linux/if_link.h
IPVLAN_MODE_L2 = 0
IPVLAN_MODE_L3 = 1
IPVLAN_MODE_L3S = 2
IPVLAN_MODE_MAX = 3
IPVLAN_F_PRIVATE = 0x01
IPVLAN_F_VEPA = 0x02
MODE_NAMES = {0: "l2", 1: "l3", 2: "l3s"}
_MODE_BY_NAME = {v: k for k, v in MODE_NAMES.items()}
_FLAG_BY_NAME = {"bridge": 0, "private": IPVLAN_F_PRIVATE, "vepa": IPVLAN_F_VEPA}

IPVLAN_QBACKLOG_LIMIT = 1000
ETH_HLEN = 14
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_PAUSE = 0x8808
RTN_UNICAST = 1
RTN_LOCAL = 2
RTCF_LOCAL = 0x80000000

# NET_XMIT_* / NET_RX_*
_OK = 0
_DROP = 1


def _mac(m: bytes) -> str:
    return ":".join(f"{b:02x}" for b in m)


def _ip(a: int) -> str:
    return f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}"


def _l3_key(data: bytes, dest: bool):
    """ipvlan_get_L3_hdr() + ipvlan_addr_lookup()'s key: the IPv4 destination (source), or the
    ARP target (sender) protocol address, as an int; None when the frame does not parse."""
    t = data[12:14]
    if t == b"\x08\x00":
        if len(data) < ETH_HLEN + 20:
            return None
        vihl = data[14]
        ihl = (vihl & 15) * 4
        if vihl >> 4 != 4 or ihl < 20:
            return None
        tot = (data[16] << 8) | data[17]
        if len(data) - ETH_HLEN < tot or tot < ihl:
            return None
        off = 30 if dest else 26
        return int.from_bytes(data[off:off + 4], "big")
    if t == b"\x08\x06":
        if len(data) < ETH_HLEN + 28:                 # arp_hdr_len(port->dev)
            return None
        off = ETH_HLEN + (24 if dest else 14)
        return int.from_bytes(data[off:off + 4], "big")
    return None


# =============================================================================================
# the port: the master device's rx_handler
# =============================================================================================

class IpvlanPort:
    """struct ipvl_port: one per master, its rx_handler, mode, flags and slaves."""

    __slots__ = ("dev", "kernel", "mode", "flags", "ipvlans", "hash", "backlog",
                 "work_pending", "count", "dev_ids", "dev_id_start", "dead")

    def __init__(self, dev: NetDevice):
        self.dev = dev
        self.kernel = dev.kernel
        self.mode = IPVLAN_MODE_L3                # ipvlan_port_create()
        self.flags = 0
        self.ipvlans: list[Ipvlan] = []           # port->ipvlans, creation order
        self.hash: dict[int, Ipvlan] = {}         # hlhead: UP slaves' IPv4 addresses
        self.backlog: deque = deque()             # (skb, tx_pkt, dev)
        self.work_pending = False
        self.count = 0
        self.dev_ids: set[int] = set()            # port->ida
        self.dev_id_start = 1
        self.dead = False

    def __repr__(self) -> str:
        return (f"<IpvlanPort of {self.dev.name} mode={MODE_NAMES.get(self.mode)} "
                f"flags={self.flags} slaves={[v.name for v in self.ipvlans]}>")

    @classmethod
    def create(cls, dev: NetDevice) -> "IpvlanPort":
        """ipvlan_port_create()."""
        port = cls(dev)
        rx_handler_register(dev, port.handle_frame, port)
        return port

    def destroy(self) -> None:
        """ipvlan_port_destroy(): handler off, the queued group frames freed."""
        if self.dev.rx_handler_data is self:
            rx_handler_unregister(self.dev)
        self.dead = True
        self.backlog.clear()

    # -- mode and flags -------------------------------------------------------------------------
    def set_mode(self, mode: int) -> None:
        """ipvlan_set_port_mode() (IPV-02, IPV-09): NOARP follows the mode on every slave."""
        if self.mode == mode:
            return
        l3 = mode != IPVLAN_MODE_L2
        for v in self.ipvlans:
            old = v.flags
            v.flags = old | IFF_NOARP if l3 else old & ~IFF_NOARP
            if v.flags != old and v.flags & IFF_UP:
                # __dev_notify_flags() -> NETDEV_CHANGE; arp_netdev_event(): a NOARP change
                # flushes the device's neighbours (neigh_changeaddr, permanent ones too)
                ipv4 = v.ns.ipv4 if v.ns is not None else None
                if ipv4 is not None:
                    ipv4.arp.flush_dev(v)
                self.kernel.notify(NETDEV_CHANGE, v)
        self.mode = mode

    def alloc_dev_id(self) -> int:
        """ida_simple_get() from dev_id_start, wrapping to 1 (0xFFFE is the master's)."""
        if self.dev_id_start == 0xFFFE:
            self.dev_id_start = 1
        for rng in (range(self.dev_id_start, 0xFFFE), range(1, self.dev_id_start)):
            for i in rng:
                if i not in self.dev_ids:
                    self.dev_ids.add(i)
                    self.dev_id_start = i + 1
                    return i
        raise KernelError(28)   # ENOSPC

    def addr_busy(self, addr: int) -> bool:
        """ipvlan_addr_busy(): held by any slave of the port, UP or not."""
        for v in self.ipvlans:
            if addr in v.addrs:
                return True
        return False

    # -- receive: ipvlan_handle_frame() ---------------------------------------------------------
    # Literals on the hot path: 3 = RX_HANDLER_PASS, 1 = RX_HANDLER_ANOTHER, 0 = CONSUMED.
    def handle_frame(self, skb: Skb) -> int:
        mode = self.mode
        data = skb.data
        if mode == IPVLAN_MODE_L3S:
            return self._l3s_rcv(skb)
        if data[0] & 1 and mode == IPVLAN_MODE_L2:          # IPV-RX-04
            if self._external_frame(data):
                nskb = skb.clone()
                skb_scrub_packet(nskb, True)               # ipvlan_skb_crossing_ns(nskb, NULL)
                self.multicast_enqueue(nskb, False)
            return 3
        key = _l3_key(data, True)                          # IPV-RX-01/02/03
        if key is None:
            return 3
        v = self.hash.get(key)
        if v is None:
            return 3
        skb.dev = v                                        # ipvlan_rcv_frame(local = false)
        v.rx_packets += 1
        v.rx_bytes += len(data)
        tr = self.kernel.trace
        if tr is not None:
            tr.hop(self.kernel.engine.now, self.dev.ns, self.dev, skb, "ipvlan_handle_frame",
                   f"{_ip(key)} is {v.name}'s: steered to it (IPV-RX-02)")
        return 1

    def _l3s_rcv(self, skb: Skb) -> int:
        """IPV-RX-05: ipvlan_l3_rcv() (route input against the slave) + ipvlan_nf_input()."""
        data = skb.data
        if data[12:14] != b"\x08\x00" or skb.pkt_type == PACKET_OTHERHOST:
            return 3
        key = _l3_key(data, True)
        v = self.hash.get(key) if key is not None else None
        if v is None or v.ns is None:
            return 3
        v.rx_packets += 1
        v.rx_bytes += len(data)
        tr = self.kernel.trace
        if tr is not None:
            tr.hop(self.kernel.engine.now, self.dev.ns, self.dev, skb, "ipvlan_l3_rcv",
                   f"{_ip(key)} is {v.name}'s: routed in its netns (IPV-RX-05)")
        skb.dev = v
        skb.iif = v.ifindex
        v.ns.ipv4.ip_rcv(skb)
        return 0

    def _external_frame(self, data: bytes) -> bool:
        """ipvlan_external_frame(): not ours unless from the master's MAC with a slave's L3
        source."""
        if data[6:12] == self.dev.addr:
            key = _l3_key(data, False)
            if key is None:
                return True
            return key not in self.hash
        return True

    def multicast_enqueue(self, skb: Skb, tx_pkt: bool) -> None:
        """ipvlan_multicast_enqueue()."""
        data = skb.data
        if data[12] == 0x88 and data[13] == 0x08:           # ETH_P_PAUSE
            return
        if len(self.backlog) < IPVLAN_QBACKLOG_LIMIT:
            self.backlog.append((skb, tx_pkt, skb.dev))
            if not self.work_pending:
                self.work_pending = True
                self.kernel.engine.call_soon(self.process_multicast)
        else:
            skb.dev.rx_dropped += 1                         # dev_core_stats_rx_dropped_inc()
            tr = self.kernel.trace
            if tr is not None:
                tr.drop(self.kernel.engine.now, skb.dev.ns, skb.dev, skb, "FULL_RING",
                        "IPV-RX-04")

    def process_multicast(self) -> None:
        """ipvlan_process_multicast(): the work item."""
        self.work_pending = False
        if self.dead:
            return
        q, self.backlog = self.backlog, deque()
        bcast = self.dev.broadcast
        tr = self.kernel.trace
        for skb, tx_pkt, src in q:
            data = skb.data
            pkt_type = PACKET_BROADCAST if data[:6] == bcast else PACKET_MULTICAST
            n = len(data) + (ETH_HLEN if tx_pkt else 0)
            dst = data[:6]
            for v in list(self.ipvlans):
                if tx_pkt and v is src:
                    continue
                if not v.mc_all and dst not in v.mc_set:
                    continue
                if not v.flags & IFF_UP:
                    continue
                nskb = skb.clone()
                nskb.pkt_type = pkt_type
                nskb.dev = v
                if tx_pkt:
                    ok = dev_forward_skb(v, nskb, "IPV-TX-03")
                else:
                    netif_rx(nskb)
                    ok = True
                if ok:
                    v.rx_packets += 1
                    v.rx_bytes += n
                    v.multicast += 1
                    if tr is not None:
                        tr.hop(self.kernel.engine.now, v.ns, v, nskb, "ipvlan_process_multicast",
                               f"group frame copied to {v.name} "
                               f"({'IPV-TX-03' if tx_pkt else 'IPV-RX-04'})")
                else:
                    v.rx_errors += 1
            if tx_pkt:                                      # then out of the master
                skb.dev = self.dev
                skb.pkt_type = pkt_type
                dev_queue_xmit(skb)


def ipvlan_port_of(dev: NetDevice) -> IpvlanPort | None:
    """The port on ``dev`` when it is an ipvlan master (netif_is_ipvlan_port)."""
    p = dev.rx_handler_data
    return p if type(p) is IpvlanPort else None


# =============================================================================================
# the slave netdev
# =============================================================================================

class Ipvlan(NetDevice):
    """struct ipvl_dev. ``addrs`` are its IPv4 addresses (ipvlan->addrs, ints)."""

    kind = "ipvlan"
    max_mtu = 65535                      # ipvlan_link_setup(): ETH_MAX_MTU
    unicast_flt = True                   # IFF_UNICAST_FLT
    port: IpvlanPort | None = None
    phy_dev: NetDevice | None = None
    _allmulti = 0

    def __init__(self, kernel, name: str):
        super().__init__(kernel, name)
        self.no_queue = True             # IFF_NO_QUEUE
        self.addrs: list[int] = []
        self.dev_id = 0
        self.mc_all = False              # mac_filters: all bits (PROMISC / ALLMULTI)
        self.mc_set: frozenset = frozenset()
        self.addr_assign_type = 0        # NET_ADDR_PERM: no random address

    # -- ALLMULTI: ipvlan_change_rx_flags() ----------------------------------------------------
    @property
    def allmulti(self) -> int:
        return self._allmulti

    @allmulti.setter
    def allmulti(self, v: int) -> None:
        old, self._allmulti = self._allmulti, v
        if (old > 0) != (v > 0) and self.phy_dev is not None:
            dev_set_allmulti(self.phy_dev, 1 if v > 0 else -1)

    # -- ndo ------------------------------------------------------------------------------------
    def ndo_init(self) -> None:
        """ipvlan_init(): state copied from the master, the port made if needed."""
        phy = self.phy_dev
        self.carrier = phy.carrier
        self.dormant = phy.dormant
        self.hard_header_len = phy.hard_header_len
        self.gso_max_size = phy.gso_max_size
        self.gso_max_segs = phy.gso_max_segs
        self.tso_max_size = getattr(phy, "tso_max_size", 65536)      # netif_inherit_tso_max
        self.tso_max_segs = getattr(phy, "tso_max_segs", 65535)
        port = ipvlan_port_of(phy)
        if port is None:
            port = IpvlanPort.create(phy)
        port.count += 1
        self.port = port

    def ndo_open(self) -> None:
        """ipvlan_open() (IPV-07, IPV-09)."""
        if self.port.mode != IPVLAN_MODE_L2:
            self.flags |= IFF_NOARP
        else:
            self.flags &= ~IFF_NOARP
        h = self.port.hash
        for a in self.addrs:
            h.setdefault(a, self)

    def ndo_stop(self) -> None:
        """ipvlan_stop()."""
        h = self.port.hash
        for a in self.addrs:
            if h.get(a) is self:
                del h[a]

    def ndo_set_rx_mode(self) -> None:
        """ipvlan_set_multicast_mac_filter()."""
        if self.promiscuity > 0 or self._allmulti > 0:
            self.mc_all, self.mc_set = True, frozenset()
        else:
            self.mc_all = False
            self.mc_set = frozenset(self.mc) | {self.broadcast}

    def ndo_set_mac_address(self, mac: bytes) -> None:
        raise KernelError(EOPNOTSUPP)                   # IPV-06: no ndo_set_mac_address

    def get_iflink(self) -> int:
        return self.phy_dev.ifindex if self.phy_dev is not None else self.ifindex

    def get_link_net(self):
        return self.phy_dev.ns if self.phy_dev is not None else self.ns

    # -- transmit: ipvlan_start_xmit() -> ipvlan_queue_xmit() ------------------------------------
    def ndo_start_xmit(self, skb: Skb) -> None:
        n = len(skb.data)
        port = self.port
        if port is None or port.dead or n < ETH_HLEN:
            ret = _DROP
        elif port.mode == IPVLAN_MODE_L2:
            ret = self._xmit_l2(skb)
        else:
            ret = self._xmit_l3(skb)
        if ret == _OK:
            self.tx_packets += 1
            self.tx_bytes += n
        else:
            self.tx_dropped += 1

    def _xmit_l2(self, skb: Skb) -> int:
        """ipvlan_xmit_mode_l2() (IPV-TX-02/03/04)."""
        port = self.port
        data = skb.data
        if not port.flags & IPVLAN_F_VEPA and data[:6] == data[6:12]:
            key = _l3_key(data, True)
            if key is not None:
                v = port.hash.get(key)
                if v is not None:
                    if port.flags & IPVLAN_F_PRIVATE:
                        return self._private_drop(skb, v, "IPV-TX-02")
                    return self._rcv_local(v, skb, "IPV-TX-02")
            tr = self.kernel.trace
            if tr is not None:
                tr.hop(self.kernel.engine.now, self.ns, self, skb, "ipvlan_xmit_mode_l2",
                       f"to the shared MAC, not a slave: into {port.dev.name}'s receive path "
                       "(IPV-TX-02)")
            return _OK if dev_forward_skb(port.dev, skb, "IPV-TX-02") else _DROP
        if data[0] & 1:                                     # IPV-TX-03
            skb_scrub_packet(skb, True)
            port.multicast_enqueue(skb, True)
            return _OK
        skb.dev = port.dev
        dev_queue_xmit(skb)             # a noop qdisc answers NET_XMIT_CN: counted as sent
        return _OK

    def _xmit_l3(self, skb: Skb) -> int:
        """ipvlan_xmit_mode_l3() (IPV-TX-01/04)."""
        port = self.port
        data = skb.data
        if not port.flags & IPVLAN_F_VEPA:
            key = _l3_key(data, True)
            if key is not None:
                v = port.hash.get(key)
                if v is not None:
                    if port.flags & IPVLAN_F_PRIVATE:
                        return self._private_drop(skb, v, "IPV-TX-01")
                    return self._rcv_local(v, skb, "IPV-TX-01")
        phy = port.dev
        skb_scrub_packet(skb, self.ns is not phy.ns)       # ipvlan_skb_crossing_ns()
        skb.dev = phy
        return self._process_outbound(skb)

    def _process_outbound(self, skb: Skb) -> int:
        """ipvlan_process_outbound() + ipvlan_process_v4_outbound()."""
        data = skb.data
        tr = self.kernel.trace
        phy = skb.dev
        if data[0] & 1:
            if tr is not None:
                tr.drop(self.kernel.engine.now, self.ns, self, skb, "NOT_SPECIFIED",
                        "IPV-TX-01")
            return _DROP
        if data[12:14] != b"\x08\x00" or len(data) < 34:
            if tr is not None:
                tr.drop(self.kernel.engine.now, self.ns, self, skb, "NOT_SPECIFIED",
                        "IPV-TX-01")
            return _DROP
        ip = data[ETH_HLEN:]
        ns = phy.ns
        ipv4 = ns.ipv4
        saddr = int.from_bytes(ip[12:16], "big")
        daddr = int.from_bytes(ip[16:20], "big")
        tos = ip[1]
        key = (daddr, saddr, phy, tos, "ipvlan")           # own keys in the output dst cache
        ent = ipv4.ocache.get(key)
        if ent is None:
            try:
                route, rtype, src, dev, nexthop = ipv4.route_output(
                    daddr, saddr, oif=phy, tos=tos & 0x1C, anysrc=True)
            except KernelError:
                rtype = None
            if rtype not in (RTN_UNICAST, RTN_LOCAL):
                phy.tx_errors += 1
                if tr is not None:
                    tr.drop(self.kernel.engine.now, ns, phy, skb, "IP_OUTNOROUTES", "IPV-TX-01")
                return _DROP
            ent = [RTCF_LOCAL if rtype == RTN_LOCAL else 0, route, rtype, src, dev, nexthop,
                   None]
            ipv4.ocache[key] = ent
        dev = ent[4]
        if tr is not None:
            tr.hop(self.kernel.engine.now, ns, phy, skb, "ipvlan_process_v4_outbound",
                   f"routed in {phy.name}'s netns out of {dev.name} (IPV-TX-01)")
        out = Skb(ip, dev, ETH_P_IP, 0)
        out.dst = ent
        mtu = dev.mtu
        if ipv4.pmtu:
            mtu = ipv4.path_mtu(daddr, mtu)
        ipv4.ip_finish_output(out, dev, ent[5], mtu)        # ip_local_out()
        return _OK

    def _rcv_local(self, v: "Ipvlan", skb: Skb, rule: str) -> int:
        """ipvlan_rcv_frame(local = true): into the other slave's receive path."""
        n = len(skb.data) + ETH_HLEN
        tr = self.kernel.trace
        if tr is not None:
            tr.hop(self.kernel.engine.now, self.ns, self, skb, "ipvlan_rcv_frame",
                   f"to slave {v.name} ({rule})")
        if not v.flags & IFF_UP:
            v.rx_errors += 1
            if tr is not None:
                tr.drop(self.kernel.engine.now, v.ns, v, skb, "DEV_READY", rule)
            return _OK
        if dev_forward_skb(v, skb, rule):
            v.rx_packets += 1
            v.rx_bytes += n
        else:
            v.rx_errors += 1
        return _OK                                          # RX_HANDLER_CONSUMED == 0

    def _private_drop(self, skb: Skb, v: "Ipvlan", rule: str) -> int:
        tr = self.kernel.trace
        if tr is not None:
            tr.hop(self.kernel.engine.now, self.ns, self, skb, "ipvlan_queue_xmit",
                   f"destination is slave {v.name} and the port is private")
            tr.drop(self.kernel.engine.now, self.ns, self, skb, "NOT_SPECIFIED", rule)
        return _DROP

    # -- lifetime -------------------------------------------------------------------------------
    def dellink(self, batch: list) -> None:
        """ipvlan_link_delete()."""
        port = self.port
        for a in self.addrs:
            if port.hash.get(a) is self:
                del port.hash[a]
        self.addrs = []
        port.dev_ids.discard(self.dev_id)
        if self in port.ipvlans:
            port.ipvlans.remove(self)
        if self not in batch:
            batch.append(self)

    def uninit(self) -> None:
        """ipvlan_uninit(): the port goes with the last slave."""
        port = self.port
        if self in port.ipvlans:                 # unregistered without dellink
            port.ipvlans.remove(self)
            port.dev_ids.discard(self.dev_id)
        for a in self.addrs:
            if port.hash.get(a) is self:
                del port.hash[a]
        port.count -= 1
        phy = self.phy_dev
        if phy.reg_state == "REGISTERED":
            self.kernel.notify(NETDEV_CHANGEUPPER, phy, upper=self, linking=False)
        if port.count <= 0:
            port.destroy()

    def get_stats64(self) -> dict:
        """ipvlan_get_stats64(): rx_dropped = rx_errs, plus the core's drops (dev_get_stats)."""
        st = super().get_stats64()
        st["rx_dropped"] = self.rx_dropped + self.rx_errors
        return st

    def fill_info(self) -> dict:
        """ipvlan_nl_fillinfo(): the port's mode and flags."""
        port = self.port
        if port is None:
            return {}
        return {"mode": port.mode, "flags": port.flags}

    @property
    def mode(self) -> int:
        return self.port.mode

    @property
    def mode_name(self) -> str:
        return MODE_NAMES.get(self.port.mode, "unknown")


class Ipvtap(Ipvlan):
    """An ipvlan whose frames go to ``TapFile`` queues (ipvtap.c)."""

    kind = "ipvtap"
    tap_handle_frame = Macvtap.tap_handle_frame          # MVT-03/04, the same tap.c code

    def __init__(self, kernel, name: str):
        super().__init__(kernel, name)
        self.no_queue = False                   # ipvtap_setup(): a queueing device
        self.tx_queue_len = TUN_READQ_SIZE
        self.queues: list[TapFile] = []

    @property
    def tap_name(self) -> str:
        return f"tap{self.ifindex}"

    @property
    def devpath(self) -> str:
        return f"/dev/tap{self.ifindex}"

    def get_link_net(self):
        """ipvtap_link_ops has no get_link_net (ipvlan_link_register() does not add one): no
        IFLA_LINK_NETNSID, so a moved ipvtap lists as ``name@ifN`` without link-netns."""
        return self.ns

    def open(self, nonblock: bool = True) -> TapFile:
        """tap_open(): a new queue (MVT-08: EBUSY past 256)."""
        if self.reg_state != "REGISTERED":
            raise KernelError(ENODEV)
        if len(self.queues) >= MAX_TAP_QUEUES:
            raise KernelError(EBUSY)
        q = TapFile(self, nonblock)
        self.queues.append(q)
        return q

    def dellink(self, batch: list) -> None:
        """ipvtap_dellink(): handler off, queues detached, then the ipvlan part."""
        self._detach_queues()
        super().dellink(batch)

    def _detach_queues(self) -> None:
        for q in self.queues:
            q.tap = None
        self.queues = []
        if self.rx_handler_data is self:
            rx_handler_unregister(self)

    def uninit(self) -> None:
        self._detach_queues()
        super().uninit()


# =============================================================================================
# rtnl kinds and the notifiers
# =============================================================================================

def _parse_data(data: dict) -> dict:
    """``LinkRequest.data`` -> IFLA_IPVLAN_* values, with ipvlan_nl_validate()'s checks."""
    attrs: dict = {}
    for key, v in data.items():
        if key == "mode":
            if isinstance(v, str):
                if v not in _MODE_BY_NAME:
                    raise KernelError(EINVAL)
                v = _MODE_BY_NAME[v]
            v = int(v)
            if not 0 <= v < IPVLAN_MODE_MAX:
                raise KernelError(EINVAL)                   # IPV-01
            attrs["mode"] = v
        elif key == "flags":
            if isinstance(v, str):
                if v not in _FLAG_BY_NAME:
                    raise KernelError(EINVAL)
                v = _FLAG_BY_NAME[v]
            v = int(v) & 0xFFFF
            if v & ~(IPVLAN_F_PRIVATE | IPVLAN_F_VEPA) or \
                    v == IPVLAN_F_PRIVATE | IPVLAN_F_VEPA:
                raise KernelError(EINVAL)                   # IPV-01
            attrs["flags"] = v
        else:
            raise KernelError(EINVAL)
    return attrs


class IpvlanKind(LinkKind):
    kind = "ipvlan"
    template = "ipvlan%d"
    dev_class = Ipvlan

    def validate(self, req: LinkRequest) -> None:
        _parse_data(req.data or {})

    def newlink(self, kernel, ns, req: LinkRequest) -> Ipvlan:
        """ipvlan_link_new() (ipvtap_newlink() first registers the tap handler)."""
        attrs = _parse_data(req.data or {})
        phy = req.link
        if phy is None:
            raise KernelError(EINVAL)                       # IPV-03
        if isinstance(phy, Ipvlan):
            phy = phy.phy_dev
        elif ipvlan_port_of(phy) is None:
            if phy.type != ARPHRD_ETHER or phy.flags & IFF_LOOPBACK:
                raise KernelError(EINVAL)
            if phy.rx_handler is not None:                  # netdev_is_rx_handler_busy()
                raise KernelError(EBUSY)
        dev = self.dev_class(kernel, req.name or ns.alloc_name(self.template))
        if isinstance(dev, Ipvtap):
            rx_handler_register(dev, dev.tap_handle_frame, dev)
        apply_common(kernel, dev, req)                      # rtnl_create_link()
        dev.phy_dev = phy
        if req.mtu is None:                                 # IPV-08
            dev.mtu = phy.mtu
        dev.addr = phy.addr                                 # IPV-06: eth_hw_addr_set()
        if dev.addr_assign_type == 0:                       # register_netdevice(): NET_ADDR_PERM
            dev.perm_addr = dev.addr
        dev.no_rx_handler = True                            # IPV-04: IFF_NO_RX_HANDLER
        kernel.register_netdevice(dev, ns)                  # ipvlan_init(): the port
        port = dev.port
        dev.dev_id = port.alloc_dev_id()
        kernel.notify(NETDEV_CHANGEUPPER, phy, upper=dev, linking=True)
        if "flags" in attrs:                                # IPV-02: latest update wins
            port.flags = attrs["flags"]
        port.set_mode(attrs.get("mode", IPVLAN_MODE_L3))
        port.ipvlans.append(dev)
        # no linkwatch event unless the carrier differs from what ipvlan_init() copied: a
        # slave made on a master with carrier reports operstate UNKNOWN (seen on 6.1)
        dev.stacked_transfer_operstate(phy)
        return dev

    def changelink(self, dev: NetDevice, req: LinkRequest) -> None:
        """ipvlan_nl_changelink()."""
        attrs = _parse_data(req.data or {})
        port = dev.port
        if "mode" in attrs:
            port.set_mode(attrs["mode"])
        if "flags" in attrs:
            port.flags = attrs["flags"]


class IpvtapKind(IpvlanKind):
    kind = "ipvtap"
    template = "ipvtap%d"
    dev_class = Ipvtap


def ipvlan_device_event(event: str, dev: NetDevice, **info) -> None:
    """ipvlan_device_event() on a master, and the inetaddr (validator) notifiers on a slave."""
    port = dev.rx_handler_data
    if type(port) is IpvlanPort:
        if event == NETDEV_UP or event == NETDEV_CHANGE:
            for v in port.ipvlans:
                v.stacked_transfer_operstate(dev)
        elif event == NETDEV_UNREGISTER:
            if info.get("moving"):
                return
            kill: list = []
            for v in list(port.ipvlans):
                v.dellink(kill)
            dev.kernel.unregister_many(kill)
        elif event == NETDEV_CHANGEMTU:
            for v in port.ipvlans:
                v.mtu = dev.mtu                             # ipvlan_adjust_mtu()
        elif event == NETDEV_CHANGEADDR:
            for v in port.ipvlans:
                v.addr = dev.addr
                dev.kernel.notify(NETDEV_CHANGEADDR, v)
        elif event == NETDEV_PRE_TYPE_CHANGE:
            from ..stack.errors import EPERM
            raise KernelError(EPERM)
        return
    if not isinstance(dev, Ipvlan) or dev.port is None:     # ipvlan_is_valid_dev()
        return
    ifa = info.get("ifa")
    if ifa is None:
        return
    if event == "IFA_VALIDATE":                             # IPV-07
        if dev.port.addr_busy(ifa.address):
            raise KernelError(EADDRINUSE, "Address already assigned to an ipvlan device")
    elif event == "IFA_UP":
        a = ifa.address
        if not dev.port.addr_busy(a):
            dev.addrs.append(a)
            if dev.running:
                dev.port.hash.setdefault(a, dev)
    elif event == "IFA_DOWN":
        a = ifa.address
        if a in dev.addrs:
            dev.addrs.remove(a)
            if dev.port.hash.get(a) is dev:
                del dev.port.hash[a]


def _load_ipvlan(kernel) -> None:
    """modprobe ipvlan: hook the notifiers into this kernel's chain."""
    kernel.notifiers.append(ipvlan_device_event)


def _load_ipvtap(kernel) -> None:
    kernel.request_module("ipvlan")


MODULES["ipvlan"] = _load_ipvlan
MODULES["ipvtap"] = _load_ipvtap
MODULE_ALIASES["rtnl-link-ipvlan"] = "ipvlan"
MODULE_ALIASES["rtnl-link-ipvtap"] = "ipvtap"

register_kind(IpvlanKind())
register_kind(IpvtapKind())
