"""veth pairs (drivers/net/veth.c), kernel-spec §6.

* VETH-01 the peer is created and registered first; both ends get random MACs; carrier off.
* VETH-02 iflink is the peer's ifindex (``A@B``, or ``A@ifN`` across netns).
* VETH-03 opening an end turns carrier on for both only if the peer is UP; closing either end
          turns carrier off for both.
* VETH-06 transmit = __dev_forward_skb into the peer; a drop counts sender tx_dropped and
          receiver rx_dropped.
* VETH-07 IFF_NO_QUEUE (qdisc noqueue) yet qlen 1000; MTU 68..65535; MTUs independent.
* VETH-08 deleting either end deletes both.
* VETH-10 rx counters are the peer's tx counters.
"""

from __future__ import annotations

from ..stack.errors import EINVAL, KernelError
from ..stack.kernel import LinkKind, LinkRequest, apply_common, check_queues, register_kind
from ..stack.netdev import BROADCAST_MAC, IFF_UP, NetDevice
from ..stack.skb import PACKET_BROADCAST, PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST


class Veth(NetDevice):
    kind = "veth"
    max_mtu = 65535
    tso_max_size = 524280        # veth_setup(): netif_set_tso_max_size(dev, GSO_MAX_SIZE)

    def __init__(self, kernel, name):
        super().__init__(kernel, name)
        self.peer: Veth | None = None
        self.no_queue = True
        # veth_get_num_queues(): one tx and one rx queue per possible CPU (at most 4096)
        self.num_tx_queues = self.num_rx_queues = min(max(1, kernel.num_possible_cpus), 4096)
        # carrier starts on (alloc_netdev); veth_newlink() turns it off once registered

    def ndo_open(self) -> None:
        peer = self.peer
        if peer is not None and peer.flags & IFF_UP:
            self.carrier_on()
            peer.carrier_on()

    def ndo_stop(self) -> None:
        self.carrier_off()
        if self.peer is not None:
            self.peer.carrier_off()

    def ndo_start_xmit(self, skb) -> None:
        peer = self.peer
        n = len(skb.data)
        if peer is None or not (peer.flags & IFF_UP) or n > peer.mtu + 18:
            self.tx_dropped += 1
            if peer is not None:
                peer.rx_dropped += 1
            tr = self.kernel.trace
            if tr is not None:
                tr.drop(self.kernel.engine.now, self.ns, peer or self, skb,
                        "DEV_READY" if peer is None or not peer.flags & IFF_UP else "PKT_TOO_BIG",
                        "VETH-06")
            return
        self.tx_packets += 1
        self.tx_bytes += n
        # __dev_forward_skb: scrub across netns, pkt_type against the peer's MAC
        if peer.ns is not self.ns:
            skb.mark = 0
            skb.redirected = False
            skb.tc_skip = False
        skb.dst = None
        skb.sk = None
        skb.priority = 0
        skb.iif = 0
        # eth_type_trans() against the peer, inline (hot path)
        data = skb.data
        skb.dev = peer
        skb.mac_len = 14
        if data[0] & 1:
            skb.pkt_type = PACKET_BROADCAST if data[:6] == BROADCAST_MAC else PACKET_MULTICAST
        else:
            skb.pkt_type = PACKET_HOST if data[:6] == peer.addr else PACKET_OTHERHOST
        t = (data[12] << 8) | data[13]
        skb.protocol = t if t >= 0x600 else 1
        k = self.kernel
        k.backlog.append(skb)
        if not k.backlog_scheduled:
            k.backlog_scheduled = True
            k.engine.call_soon(k.process_backlog)

    def ndo_change_mtu(self, mtu: int) -> None:
        self.mtu = mtu

    def get_iflink(self) -> int:
        return self.peer.ifindex if self.peer is not None else 0

    def get_link_net(self):
        return self.peer.ns if self.peer is not None else self.ns

    def dellink(self, batch: list) -> None:
        batch.append(self)
        if self.peer is not None and self.peer not in batch:
            batch.append(self.peer)

    def uninit(self) -> None:
        peer = self.peer
        if peer is not None:
            peer.peer = None
            self.peer = None

    def get_stats64(self) -> dict:
        st = super().get_stats64()
        peer = self.peer
        st["rx_packets"] = peer.tx_packets if peer is not None else 0
        st["rx_bytes"] = peer.tx_bytes if peer is not None else 0
        return st


class VethKind(LinkKind):
    kind = "veth"
    template = "veth%d"

    def validate(self, req: LinkRequest) -> None:
        for r in (req, req.peer):
            if r is not None and r.mtu is not None and not 68 <= r.mtu <= 65535:
                raise KernelError(EINVAL)

    def newlink(self, kernel, ns, req: LinkRequest) -> Veth:
        preq = req.peer or LinkRequest()
        check_queues(preq)
        pns = preq.net_ns or ns
        pname = preq.name or "veth%d"
        if "%" not in pname and pname in pns.by_name:
            from ..stack.errors import EEXIST
            raise KernelError(EEXIST)
        peer = Veth(kernel, pname)
        apply_common(kernel, peer, preq)
        kernel.register_netdevice(peer, pns)          # VETH-01: the peer first
        # veth_newlink() calls netif_carrier_off() on each end after registering it: one
        # counted carrier change each (IFLA_CARRIER_CHANGES starts at 1), and a linkwatch
        # event that computes operstate once both ends are linked (LOWERLAYERDOWN)
        peer.carrier_off()
        dev = Veth(kernel, req.name or ns.alloc_name("veth%d"))
        apply_common(kernel, dev, req)
        dev.peer = peer
        peer.peer = dev
        try:
            kernel.register_netdevice(dev, ns)
        except KernelError:
            peer.peer = None
            kernel.unregister_many([peer])
            raise
        dev.carrier_off()
        if req.master is not None or preq.master is not None:
            pass  # the caller enslaves (do_set_master) after creation
        return dev


register_kind(VethKind())
