"""The dummy device (drivers/net/dummy.c).

* DUMMY-01  loading the module (``rtnl-link-dummy`` autoload on the first ``ip link add ... type
            dummy``, or ``modprobe dummy``) creates ``numdummies`` devices ``dummy0``... DOWN,
            in the initial netns only (dummy_init_module). The kernel default is 1, but systemd's
            /lib/modprobe.d/systemd.conf (``options dummy numdummies=0``, on the reference VM
            and the host) makes it 0: observed on the VM, no dummy0 appears. NUMDUMMIES follows
            the machines; more devices come from ``ip link add NAME type dummy`` in any netns.
* DUMMY-02  dummy_setup(): Ethernet, random MAC (a given one must be a valid unicast:
            dummy_validate() EADDRNOTAVAIL), flags BROADCAST|NOARP (MULTICAST cleared),
            IFF_NO_QUEUE (qdisc noqueue), min_mtu = max_mtu = 0 (no MTU range check).
* DUMMY-03  dummy_xmit(): every frame is counted in tx_packets/tx_bytes, then consumed; nothing
            is ever received (the stats are dev_lstats: tx only).
* DUMMY-04  no carrier handling: the device always has carrier; up, its operstate is UNKNOWN.
"""

from __future__ import annotations

from ..stack.kernel import (MODULE_ALIASES, MODULES, LinkKind, LinkRequest, apply_common,
                            register_kind, validate_ether_address)
from ..stack.netdev import IFF_BROADCAST, IFF_NOARP, NetDevice

NUMDUMMIES = 0          # systemd.conf's numdummies=0 (kernel default: 1)


class Dummy(NetDevice):
    kind = "dummy"
    min_mtu = 0
    max_mtu = 0

    def __init__(self, kernel, name):
        super().__init__(kernel, name)
        self.flags = IFF_BROADCAST | IFF_NOARP          # dummy_setup(): MULTICAST cleared
        self.no_queue = True                            # IFF_NO_QUEUE

    def ndo_start_xmit(self, skb) -> None:
        """dummy_xmit() (DUMMY-03): count, then consume."""
        self.tx_packets += 1
        self.tx_bytes += len(skb.data)


class DummyKind(LinkKind):
    kind = "dummy"
    template = "dummy%d"

    def validate(self, req: LinkRequest) -> None:
        """dummy_validate()."""
        validate_ether_address(req)

    def newlink(self, kernel, ns, req: LinkRequest) -> Dummy:
        dev = Dummy(kernel, req.name or ns.alloc_name(self.template))
        apply_common(kernel, dev, req)
        kernel.register_netdevice(dev, ns)
        return dev


register_kind(DummyKind())


def _load_dummy(kernel) -> None:
    """dummy_init_module(): ``numdummies`` devices in the initial netns (DUMMY-01)."""
    ns = kernel.init_ns
    for _ in range(NUMDUMMIES):
        dev = Dummy(kernel, ns.alloc_name("dummy%d"))
        kernel.register_netdevice(dev, ns)


MODULES["dummy"] = _load_dummy
MODULE_ALIASES["rtnl-link-dummy"] = "dummy"
