"""The loopback device (drivers/net/loopback.c): ``lo``, ifindex 1 in every netns.

Shape: ARPHRD_LOOPBACK, flags LOOPBACK (no BROADCAST/MULTICAST), MTU 65536, qlen 1000,
all-zero address, created DOWN; its operstate is never driven by linkwatch, so when up it reports
UNKNOWN. Transmit hands the frame straight back to the receive path (counted once, as tx and rx).
"""

from __future__ import annotations

from ..stack.kernel import PERNET_INIT, Namespace
from ..stack.netdev import (ARPHRD_LOOPBACK, IFF_LOOPBACK, NetDevice, eth_type_trans, netif_rx)
from ..stack.skb import PACKET_LOOPBACK  # noqa: F401  (documented pkt_type)


class Loopback(NetDevice):
    kind = ""
    type = ARPHRD_LOOPBACK
    min_mtu = 0
    max_mtu = 0
    netns_immutable = True
    tso_max_size = 524280        # loopback_setup(): netif_set_tso_max_size(dev, GSO_MAX_SIZE)

    def __init__(self, kernel):
        super().__init__(kernel, "lo")
        self.flags = IFF_LOOPBACK
        self.mtu = 65536
        self.addr = b"\x00" * 6
        self.broadcast = b"\x00" * 6
        self.addr_assign_type = 0
        self.no_queue = True             # loopback_setup(): IFF_NO_QUEUE (qdisc noqueue)

    def ndo_start_xmit(self, skb) -> None:
        n = len(skb.data)
        self.tx_packets += 1
        self.tx_bytes += n
        self.rx_packets += 1
        self.rx_bytes += n
        eth_type_trans(skb, self)
        skb.iif = 0
        netif_rx(skb)   # skb.dst is kept: the receive path trusts it (skb_valid_dst)

    def get_stats64(self) -> dict:
        st = super().get_stats64()
        st["rx_packets"] = st["tx_packets"]
        st["rx_bytes"] = st["tx_bytes"]
        return st


def create_loopback(ns: Namespace) -> None:
    lo = Loopback(ns.kernel)
    lo.ifindex = 1
    ns.kernel.register_netdevice(lo, ns)


PERNET_INIT.append(create_loopback)
