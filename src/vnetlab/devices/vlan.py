"""802.1Q / 802.1ad VLAN devices (net/8021q/: vlan.c, vlan_dev.c, vlan_core.c, vlan_netlink.c).

* VLAN-01  vlan_newlink(): needs IFLA_VLAN_ID ("VLAN id not specified", EINVAL) and IFLA_LINK
           ("link not specified", EINVAL); vlan_validate(): id >= 4095 is ERANGE ("Invalid VLAN
           id"), a protocol other than 802.1Q/802.1ad EPROTONOSUPPORT; vlan_check_real_dev(): a
           VLAN-challenged lower (lo) is EOPNOTSUPP, the same (protocol, id) twice on one lower
           EEXIST ("VLAN device already exists").
* VLAN-02  vlan_dev_init(): flags copied from the lower (minus UP/PROMISC/ALLMULTI/MASTER/
           SLAVE), the lower's MAC when none is given (NET_ADDR_STOLEN), qlen 0, noqueue;
           MTU defaults to the lower's and may not exceed it (EINVAL at create, ERANGE on
           change); a lower MTU decrease pulls the vlan's down (NETDEV_CHANGEMTU).
* VLAN-03  vlan_dev_open(): ENETDOWN while the lower is down (unless loose_binding); the lower
           going down closes its vlans, coming up opens them (unless loose_binding); carrier
           follows the lower (netif_stacked_transfer_operstate).
* VLAN-04  transmit: the tag (TPID, PCP from egress-qos-map, VID) goes in after the MACs and the
           frame is queued on the lower; the vlan counts tx packets/bytes without the tag.
* VLAN-05  receive (vlan_do_receive): a tagged frame whose (protocol, VID) has a vlan device is
           untagged and received again on it (pkt_type recomputed against the vlan's MAC,
           priority from ingress-qos-map); one with no such device goes up untagged as
           PACKET_OTHERHOST when its VID is not 0 (__netif_receive_skb_core "check_vlan_id").
* VLAN-06  a stolen MAC follows the lower's changes (vlan_dev_inherit_address) while the vlan
           is up, and at open.
"""

from __future__ import annotations

from ..stack.errors import (EADDRNOTAVAIL, EEXIST, EINVAL, ENETDOWN, ENODEV, EOPNOTSUPP,
                            EPROTONOSUPPORT, ERANGE, KernelError)
from ..stack.kernel import MODULE_ALIASES, MODULES, LinkKind, LinkRequest, apply_common, register_kind
from ..stack.netdev import (IFF_ALLMULTI, IFF_LOOPBACK, IFF_MASTER, IFF_PROMISC, IFF_SLAVE,
                            IFF_UP, NETDEV_CHANGE, NETDEV_CHANGEADDR, NETDEV_CHANGEMTU, NETDEV_DOWN,
                            NETDEV_UNREGISTER, NETDEV_UP, PTYPE_BASE, NetDevice, dev_queue_xmit,
                            dev_uc_add, dev_uc_del)
from ..stack.skb import PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST

ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
VLAN_FLAG_REORDER_HDR = 0x1
VLAN_FLAG_GVRP = 0x2
VLAN_FLAG_LOOSE_BINDING = 0x4
VLAN_FLAG_MVRP = 0x8
VLAN_FLAG_BRIDGE_BINDING = 0x10
VLAN_FLAGS_ALL = 0x1F
NET_ADDR_STOLEN = 2


def _err(errno: int, msg: str) -> KernelError:
    return KernelError(errno, "8021q: " + msg)      # NL_SET_ERR_MSG_MOD


class VlanDev(NetDevice):
    kind = "vlan"
    min_mtu = 0
    max_mtu = 65535

    def __init__(self, kernel, name, lower: NetDevice, proto: int, vid: int):
        super().__init__(kernel, name)
        self.lower = lower
        self.vlan_proto = proto
        self.vlan_id = vid
        self.vlan_flags = VLAN_FLAG_REORDER_HDR
        self.ingress_map = [0] * 8               # PCP -> skb priority
        self.egress_map: list[tuple[int, int]] = []   # (skb priority, PCP) in dump order
        self.flags = lower.flags & ~(IFF_UP | IFF_PROMISC | IFF_ALLMULTI | IFF_MASTER | IFF_SLAVE)
        self.no_queue = True
        self.addr = lower.addr
        self.addr_assign_type = NET_ADDR_STOLEN
        self.broadcast = lower.broadcast
        self.tso_max_size = getattr(lower, "tso_max_size", 65536)
        self.uc_added = None

    # -- ndo --------------------------------------------------------------------------------
    def ndo_open(self) -> None:
        lower = self.lower
        if not lower.flags & IFF_UP and not self.vlan_flags & VLAN_FLAG_LOOSE_BINDING:
            raise KernelError(ENETDOWN)
        if self.addr != lower.addr and not self.inherit_address():
            dev_uc_add(lower, self.addr)
            self.uc_added = self.addr
        if not self.vlan_flags & VLAN_FLAG_BRIDGE_BINDING:
            self.stacked_transfer_operstate(lower)

    def ndo_stop(self) -> None:
        if self.uc_added is not None:
            dev_uc_del(self.lower, self.uc_added)
            self.uc_added = None
        if not self.vlan_flags & VLAN_FLAG_BRIDGE_BINDING:
            self.carrier_off()

    def inherit_address(self) -> bool:
        """vlan_dev_inherit_address() (VLAN-06)."""
        if self.addr_assign_type != NET_ADDR_STOLEN:
            return False
        if self.addr != self.lower.addr:
            self.addr = self.lower.addr
            self.kernel.notify(NETDEV_CHANGEADDR, self)
        return True

    def ndo_change_mtu(self, mtu: int) -> None:
        if self.lower.mtu < mtu:
            raise KernelError(ERANGE)
        self.mtu = mtu

    def ndo_set_mac_address(self, mac: bytes) -> None:
        if mac[0] & 1 or mac == b"\x00" * 6:
            raise KernelError(EADDRNOTAVAIL)
        if self.flags & IFF_UP:
            if self.uc_added is not None:
                dev_uc_del(self.lower, self.uc_added)
                self.uc_added = None
            if mac != self.lower.addr:
                dev_uc_add(self.lower, mac)
                self.uc_added = mac
        self.addr = mac

    def ndo_start_xmit(self, skb) -> None:
        """vlan_dev_hard_start_xmit() (VLAN-04)."""
        data = skb.data
        n = len(data)
        pcp = 0
        prio = skb.priority
        for p, q in self.egress_map:
            if p == prio:
                pcp = q
                break
        tci = (pcp << 13) | self.vlan_id
        skb.data = data[:12] + bytes((self.vlan_proto >> 8, self.vlan_proto & 255,
                                      tci >> 8, tci & 255)) + data[12:]
        skb.dev = self.lower
        if dev_queue_xmit(skb):
            self.tx_packets += 1
            self.tx_bytes += n
        else:
            self.tx_dropped += 1

    def get_iflink(self) -> int:
        return self.lower.ifindex

    def get_link_net(self):
        return self.lower.ns

    def dellink(self, batch: list) -> None:
        if self not in batch:
            batch.append(self)

    def uninit(self) -> None:
        groups = self.lower.vlan_info
        if groups is not None:
            groups.pop((self.vlan_proto, self.vlan_id), None)
            if not groups:
                self.lower.vlan_info = None

    def fill_info(self) -> dict:
        info = {"protocol": self.vlan_proto, "id": self.vlan_id,
                "flags": self.vlan_flags}
        ing = [(i, v) for i, v in enumerate(self.ingress_map) if v]
        if ing:
            info["ingress_qos"] = ing
        eg = [(p, q) for p, q in self.egress_map if q]
        if eg:
            info["egress_qos"] = eg
        return info

    def apply_data(self, data: dict) -> None:
        """vlan_changelink()."""
        if "flags" in data:
            fl, mask = data["flags"]
            self.vlan_flags = (self.vlan_flags & ~mask) | (fl & mask)
        for frm, to in data.get("ingress_qos", ()):
            self.ingress_map[frm & 7] = to
        for frm, to in data.get("egress_qos", ()):
            self.egress_map = [(p, q) for p, q in self.egress_map if p != frm]
            if to:
                # the hash is skb_prio & 0xF, each bucket newest first
                self.egress_map.append((frm, to & 7))
                self.egress_map.sort(key=lambda e: e[0] & 0xF)


def vlan_rx(skb) -> bool:
    """vlan_do_receive() for the netdev seam (VLAN-05): True when the frame moved to a vlan."""
    proto = skb.protocol
    if proto != ETH_P_8021Q and proto != ETH_P_8021AD:
        return False
    dev = skb.dev
    data = skb.data
    if len(data) < 18:
        return False
    tci = (data[14] << 8) | data[15]
    vlan = dev.vlan_info.get((proto, tci & 0xFFF))
    if vlan is None:
        return False
    skb.data = data[:12] + data[16:]
    skb.dev = vlan
    proto = (data[16] << 8) | data[17]
    skb.protocol = proto if proto >= 0x600 else 0x0004
    if skb.pkt_type == PACKET_OTHERHOST and data[:6] == vlan.addr:
        skb.pkt_type = PACKET_HOST
    skb.priority = vlan.ingress_map[tci >> 13]
    vlan.rx_packets += 1
    vlan.rx_bytes += len(skb.data) - 14
    if skb.pkt_type == PACKET_MULTICAST:         # broadcasts are not counted
        vlan.multicast += 1
    return True


def vlan_untagged_rx(skb) -> None:
    """No vlan device took the tagged frame: __netif_receive_skb_core() check_vlan_id: a VID
    other than 0 makes it PACKET_OTHERHOST; the tag is dropped and the inner protocol is
    delivered (VLAN-05)."""
    data = skb.data
    if len(data) < 18:
        skb.dev.rx_dropped += 1
        return
    tci = (data[14] << 8) | data[15]
    if tci & 0xFFF:
        skb.pkt_type = PACKET_OTHERHOST
    proto = (data[16] << 8) | data[17]
    skb.data = data[:12] + data[16:]
    skb.protocol = proto
    dev = skb.dev
    fn = dev.ns.ptype.get(proto) or PTYPE_BASE.get(proto)
    if fn is None:
        dev.rx_dropped += 1
        return
    fn(skb)


PTYPE_BASE.setdefault(ETH_P_8021Q, vlan_untagged_rx)
PTYPE_BASE.setdefault(ETH_P_8021AD, vlan_untagged_rx)


class VlanKind(LinkKind):
    kind = "vlan"
    template = "vlan%d"

    def validate(self, req: LinkRequest) -> None:
        """vlan_validate()."""
        if req.address is not None:
            if len(req.address) != 6:
                raise _err(EINVAL, "Invalid link address")
            a = req.address
            if a[0] & 1 or a == b"\x00" * 6:
                raise _err(EADDRNOTAVAIL, "Invalid link address")
        data = req.data
        if not data:
            raise _err(EINVAL, "VLAN properties not specified")
        if data.get("protocol", ETH_P_8021Q) not in (ETH_P_8021Q, ETH_P_8021AD):
            raise _err(EPROTONOSUPPORT, "Invalid VLAN protocol")
        if "id" in data and data["id"] >= 4095:
            raise _err(ERANGE, "Invalid VLAN id")
        if "flags" in data and data["flags"][0] & ~VLAN_FLAGS_ALL:
            raise _err(EINVAL, "Invalid VLAN flags")

    def newlink(self, kernel, ns, req: LinkRequest) -> VlanDev:
        data = req.data
        if "id" not in data:
            raise _err(EINVAL, "VLAN id not specified")
        lower = req.link
        if lower is None:
            raise _err(EINVAL, "link not specified")
        if lower.reg_state != "REGISTERED":
            raise _err(ENODEV, "link does not exist")
        proto = data.get("protocol", ETH_P_8021Q)
        vid = data["id"]
        if lower.flags & IFF_LOOPBACK or not lower.has_eth_header:
            raise _err(EOPNOTSUPP, "VLANs not supported on device")
        groups = getattr(lower, "vlan_info", None)
        if groups and (proto, vid) in groups:
            raise _err(EEXIST, "VLAN device already exists")
        dev = VlanDev(kernel, req.name or ns.alloc_name(self.template), lower, proto, vid)
        dev.apply_data(data)
        apply_common(kernel, dev, req)
        if req.mtu is None:
            dev.mtu = lower.mtu
        elif dev.mtu > lower.mtu:
            raise KernelError(EINVAL)
        if req.address is not None:
            dev.addr_assign_type = 3
        bridge_binding = dev.vlan_flags & VLAN_FLAG_BRIDGE_BINDING
        dev.carrier = lower.carrier and not bridge_binding
        dev.dormant = lower.dormant
        kernel.register_netdevice(dev, ns)
        if lower.vlan_info is None:
            lower.vlan_info = {}
            lower.vlan_rx = vlan_rx
        lower.vlan_info[(proto, vid)] = dev
        _transfer(dev, lower)
        kernel.linkwatch.fire(dev)
        return dev

    def changelink(self, dev: NetDevice, req: LinkRequest) -> None:
        dev.apply_data(req.data or {})


register_kind(VlanKind())


def _transfer(v: VlanDev, lower: NetDevice) -> None:
    """vlan_stacked_transfer_operstate(): not for bridge_binding vlans."""
    if not v.vlan_flags & VLAN_FLAG_BRIDGE_BINDING:
        v.stacked_transfer_operstate(lower)


def vlan_device_event(event: str, dev: NetDevice, **info) -> None:
    """vlan_device_event(): what a lower device's events do to its vlans."""
    groups = dev.vlan_info
    if not groups:
        return
    vlans = list(groups.values())
    kernel = dev.kernel
    if event == NETDEV_CHANGE:
        for v in vlans:
            _transfer(v, dev)
    elif event == NETDEV_CHANGEMTU:
        for v in vlans:
            if v.mtu > dev.mtu:
                try:
                    kernel.dev_set_mtu(v, dev.mtu)
                except KernelError:
                    pass
    elif event == NETDEV_CHANGEADDR:
        for v in vlans:
            if v.flags & IFF_UP:
                v.inherit_address()
    elif event == NETDEV_DOWN:
        for v in vlans:
            if v.vlan_flags & VLAN_FLAG_LOOSE_BINDING:
                _transfer(v, dev)
                continue
            kernel.dev_close(v)
            _transfer(v, dev)
    elif event == NETDEV_UP:
        for v in vlans:
            if not v.flags & IFF_UP and not v.vlan_flags & VLAN_FLAG_LOOSE_BINDING:
                try:
                    kernel.dev_open(v)
                except KernelError:
                    pass
            _transfer(v, dev)
    elif event == NETDEV_UNREGISTER:
        if info.get("moving"):
            return
        kernel.unregister_many(vlans)


def _load_8021q(kernel) -> None:
    kernel.notifiers.append(vlan_device_event)


MODULES["8021q"] = _load_8021q
MODULE_ALIASES["rtnl-link-vlan"] = "8021q"
