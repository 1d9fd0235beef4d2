"""IFB, the intermediate functional block (drivers/net/ifb.c), kernel-spec §7.

* IFB-01  loading the module (``rtnl-link-ifb`` autoload on the first ``ip link add ... type
          ifb``) creates ``numifbs`` (2) devices ``ifb0``, ``ifb1``, DOWN, in the initial netns
          only; more come from ``ip link add NAME type ifb`` in any netns.
* IFB-02  Ethernet, random MAC (a given one must be a valid unicast: EADDRNOTAVAIL), flags
          BROADCAST|NOARP (no MULTICAST), txqueuelen 32, min_mtu = max_mtu = 0 (no MTU check);
          a queueing device: its default qdisc is pfifo_fast.
* IFB-03  ``ifb_xmit`` counts every frame in rx_packets/rx_bytes, then drops (rx_dropped) any
          that is not ``redirected`` or has ``iif`` 0: mirred mirror, locally routed traffic.
* IFB-04  the tasklet (the engine's "now" queue) counts tx_packets/tx_bytes, looks the
          original device up by ``iif`` in the ifb's netns (gone: tx_dropped), sets ``iif`` to
          the ifb, clears ``redirected``, sets ``tc_skip`` (tc_skip_classify) and returns the frame:
          ``netif_receive`` on the original device when it was caught at ingress, else
          ``dev_queue_xmit`` on it.
* IFB-06  rx counters move in ``ifb_xmit``, tx counters in the tasklet.
"""

from __future__ import annotations

from collections import deque

from ..stack import tc as _tc  # noqa: F401  (the qdisc layer: default qdiscs, hooks)
from ..stack.kernel import (MODULE_ALIASES, MODULES, LinkKind, LinkRequest, apply_common,
                            register_kind, validate_ether_address)
from ..stack.netdev import IFF_BROADCAST, IFF_NOARP, NetDevice, dev_queue_xmit, netif_receive

TX_Q_LIMIT = 32
NUMIFBS = 2


class Ifb(NetDevice):
    kind = "ifb"
    min_mtu = 0
    max_mtu = 0
    tso_max_size = 524280

    def __init__(self, kernel, name):
        super().__init__(kernel, name)
        self.flags = IFF_BROADCAST | IFF_NOARP          # ifb_setup(): MULTICAST cleared
        self.tx_queue_len = TX_Q_LIMIT
        self.rq: deque = deque()
        self.tasklet_pending = False

    def ndo_start_xmit(self, skb) -> None:
        """ifb_xmit() (IFB-03)."""
        self.rx_packets += 1
        self.rx_bytes += len(skb.data)
        if not skb.redirected or not skb.iif:
            self.rx_dropped += 1
            tr = self.kernel.trace
            if tr is not None:
                tr.drop(self.kernel.engine.now, self.ns, self, skb, "NOT_REDIRECTED", "IFB-03")
            return
        self.rq.append(skb)
        if not self.tasklet_pending:
            self.tasklet_pending = True
            self.kernel.engine.call_soon(self.ri_tasklet)

    def ri_tasklet(self) -> None:
        """ifb_ri_tasklet() (IFB-04)."""
        self.tasklet_pending = False
        rq = self.rq
        while rq:
            skb = rq.popleft()
            skb.redirected = False
            self.tx_packets += 1
            self.tx_bytes += len(skb.data)
            ns = self.ns
            dev = ns.by_index.get(skb.iif) if ns is not None else None
            if dev is None:
                self.tx_dropped += 1
                continue
            skb.dev = dev
            skb.iif = self.ifindex
            if not skb.from_ingress:
                skb.tc_skip = True
                dev_queue_xmit(skb)
            else:
                # skb_skip_tc_classify() is read (and cleared) by the taps and tc ingress
                skb.tc_skip = dev.ingress_hook is not None or bool(dev.ptype_all)
                netif_receive(skb)
                skb.tc_skip = False

    def uninit(self) -> None:
        self.rq.clear()


class IfbKind(LinkKind):
    kind = "ifb"
    template = "ifb%d"

    def validate(self, req: LinkRequest) -> None:
        """ifb_validate()."""
        validate_ether_address(req)

    def newlink(self, kernel, ns, req: LinkRequest) -> Ifb:
        dev = Ifb(kernel, req.name or ns.alloc_name(self.template))
        apply_common(kernel, dev, req)
        kernel.register_netdevice(dev, ns)
        return dev


register_kind(IfbKind())


def _load_ifb(kernel) -> None:
    """ifb_init_module(): ``numifbs`` devices in the initial netns (IFB-01)."""
    ns = kernel.init_ns
    for _ in range(NUMIFBS):
        dev = Ifb(kernel, ns.alloc_name("ifb%d"))
        kernel.register_netdevice(dev, ns)


MODULES["ifb"] = _load_ifb
MODULE_ALIASES["rtnl-link-ifb"] = "ifb"
