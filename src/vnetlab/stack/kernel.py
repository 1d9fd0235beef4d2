"""One emulated machine: its namespaces, its loaded modules, device registration and link requests.

Devices register their kind in ``LINK_KINDS`` (and per-netns setup such as ``lo`` in
``PERNET_INIT``) when ``vnetlab.devices`` is imported; the stack never imports a driver.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from ..sim import Engine
from .errors import EADDRNOTAVAIL, EEXIST, EINVAL, ENFILE, ENODEV, ENOENT, EOPNOTSUPP, KernelError
from .netdev import (IFF_UP, NETDEV_CHANGEADDR, NETDEV_CHANGEMTU, NETDEV_CHANGENAME,
                     NETDEV_DOWN, NETDEV_GOING_DOWN, NETDEV_REGISTER, NETDEV_UNREGISTER, NETDEV_UP,
                     Linkwatch, NetDevice, dev_set_rx_mode, netif_receive, rfc2863_policy)

IFNAMSIZ = 16


class LinkKind:
    """What a device module registers: ``kind`` plus how to build a device from a request."""

    kind = ""
    # default name template when the request has none (rtnl_create_link uses "%s%%d" % kind)
    template = ""

    def validate(self, req: "LinkRequest") -> None:
        pass

    def newlink(self, kernel: "Kernel", ns: "Namespace", req: "LinkRequest") -> NetDevice:
        raise KernelError(EOPNOTSUPP)

    def changelink(self, dev: NetDevice, req: "LinkRequest") -> None:
        if req.data:
            raise KernelError(EOPNOTSUPP)


LINK_KINDS: dict[str, LinkKind] = {}
PERNET_INIT: list[Callable[["Namespace"], None]] = []
# module name -> loader(kernel); module aliases (e.g. "netdev-tunl0" -> "ipip", "rtnl-link-ipip")
MODULES: dict[str, Callable[["Kernel"], None]] = {}
MODULE_ALIASES: dict[str, str] = {}


def register_kind(ops: LinkKind) -> LinkKind:
    LINK_KINDS[ops.kind] = ops
    return ops


@dataclass
class LinkRequest:
    """RTM_NEWLINK / RTM_SETLINK attributes, already parsed (the command layer fills this)."""

    name: str | None = None
    kind: str | None = None
    address: bytes | None = None
    broadcast: bytes | None = None
    mtu: int | None = None
    txqlen: int | None = None
    link: NetDevice | None = None          # IFLA_LINK: lower device
    link_netns: Any = None                 # netns in which IFLA_LINK is looked up
    net_ns: Any = None                     # IFLA_NET_NS_*: where the new device goes
    master: NetDevice | None = None
    up: bool | None = None
    group: int | None = None
    alias: str | None = None
    numtxqueues: int | None = None
    numrxqueues: int | None = None
    data: dict = field(default_factory=dict)   # IFLA_INFO_DATA, kind-specific
    peer: "LinkRequest | None" = None          # veth peer (VETH_INFO_PEER)
    index: int | None = None                   # requested ifindex


_BAD_NAME_CHAR = re.compile(r"[/:\s]")


def dev_valid_name(name: str) -> bool:
    """dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or whitespace."""
    if not name or len(name.encode("utf-8", "surrogateescape")) >= IFNAMSIZ or \
            name in (".", ".."):
        return False
    return _BAD_NAME_CHAR.search(name) is None


class Namespace:
    """A network namespace: its devices (by index and name), ifindex allocator and IPv4 state."""

    def __init__(self, kernel: "Kernel", name: str):
        self.kernel = kernel
        self.name = name
        self.by_index: dict[int, NetDevice] = {}
        self.by_name: dict[str, NetDevice] = {}
        self.devices: list[NetDevice] = []        # registration order (dev_base list)
        self.ifindex_next = 1                     # net->ifindex, for cyclic allocation
        self.ipv4 = None
        self.alive = True
        self.ids: dict[int, "Namespace"] = {}     # netnsid -> peer netns (peernet2id)
        self.ptype: dict = {}                     # ETH_P_* -> handler(skb) (ptype_base)
        from .ipv4 import IPv4
        self.ipv4 = IPv4(self)
        self.ipv6 = None
        if kernel.ipv6_enabled:
            from .ipv6 import IPv6
            self.ipv6 = IPv6(self)
        for init in PERNET_INIT:
            init(self)

    # -- lookups --------------------------------------------------------------------------
    def dev(self, name: str) -> NetDevice:
        d = self.by_name.get(name)
        if d is None:
            raise KernelError(ENODEV)
        return d

    def get(self, name: str) -> NetDevice | None:
        return self.by_name.get(name)

    @property
    def lo(self) -> NetDevice:
        return self.by_index[1]

    def alloc_ifindex(self, want: int = 0) -> int:
        """dev_index_reserve(): ``want`` if free, else cyclic from the last one handed out."""
        if want:
            if want in self.by_index:
                raise KernelError(EEXIST)
            return want
        n = self.ifindex_next
        while n in self.by_index:
            n += 1
        self.ifindex_next = n + 1
        return n

    def alloc_name(self, template: str) -> str:
        """dev_alloc_name(): the lowest free %d."""
        if "%d" not in template:
            return template
        if template.count("%") != 1:
            raise KernelError(EINVAL)
        pat = re.compile("^" + re.escape(template).replace("%d", r"(\d+)") + "$")
        used = set()
        for name in self.by_name:
            m = pat.match(name)
            if m and str(int(m.group(1))) == m.group(1):
                used.add(int(m.group(1)))
        i = 0
        while i in used:
            i += 1
        name = template.replace("%d", str(i))
        if len(name.encode("utf-8", "surrogateescape")) >= IFNAMSIZ:
            raise KernelError(ENFILE)
        return name

    def peernet_id(self, other: "Namespace") -> int:
        """peernet2id_alloc(): the id under which this netns knows ``other`` (lowest free)."""
        for i, n in self.ids.items():
            if n is other:
                return i
        i = 0
        while i in self.ids:
            i += 1
        self.ids[i] = other
        return i

    def __repr__(self) -> str:
        return f"<Namespace {self.name or '(init)'}>"


class Kernel:
    """One emulated machine. ``trace`` is the sink for per-hop records (or None).
    ``ipv6``: a kernel built with IPv6 (stack/ipv6.py); default ``Kernel.IPV6_DEFAULT``."""

    IPV6_DEFAULT = True

    def __init__(self, engine: Engine | None = None, seed: int = 0, trace=None,
                 hostname: str = "vnetlab", ipv6: bool | None = None, cpus: int = 1):
        self.ipv6_enabled = self.IPV6_DEFAULT if ipv6 is None else ipv6
        self.engine = engine if engine is not None else Engine(seed)
        self.rng = self.engine.rng
        self.trace = trace
        self.hostname = hostname
        self.num_possible_cpus = cpus        # veth's default queue count follows it
        self.rx_count = 0
        self.backlog: deque = deque()            # the per-CPU backlog (netif_rx)
        self.backlog_scheduled = False
        self.linkwatch = Linkwatch(self)
        self.notifiers: list[Callable] = []
        self.modules: set[str] = set()
        # modules this machine's kernel does not have (a comparison with the host 6.18 kernel,
        # which lacks ipip, ipvlan, ...): request_module() fails for them
        self.missing_modules: set[str] = set()
        self.namespaces: list[Namespace] = []
        self.named: dict[str, Namespace] = {}
        self.init_ns = self.new_namespace("")

    # -- namespaces -------------------------------------------------------------------------
    def new_namespace(self, name: str = "") -> Namespace:
        ns = Namespace(self, name)
        self.namespaces.append(ns)
        return ns

    def netns_add(self, name: str) -> Namespace:
        if name in self.named:
            raise KernelError(EEXIST)
        ns = self.new_namespace(name)
        self.named[name] = ns
        return ns

    def netns_get(self, name: str) -> Namespace:
        ns = self.named.get(name)
        if ns is None:
            raise KernelError(ENOENT)
        return ns

    def netns_del(self, name: str) -> None:
        ns = self.netns_get(name)
        del self.named[name]
        self.destroy_namespace(ns)

    def destroy_namespace(self, ns: Namespace) -> None:
        """cleanup_net(): devices that may move go back to init_net; the rest are deleted."""
        batch: list[NetDevice] = []
        for dev in list(ns.devices):
            if dev.ifindex == 1 and dev.kind == "":
                continue  # loopback goes last
            if dev in batch:
                continue
            dev.dellink(batch)
        self.unregister_many(batch)
        for dev in list(ns.devices):
            self.unregister_many([dev])
        ns.alive = False
        self.namespaces.remove(ns)
        for other in self.namespaces:
            for i, n in list(other.ids.items()):
                if n is ns:
                    del other.ids[i]

    # -- the receive backlog (net_rx_action / process_backlog) -------------------------------
    def process_backlog(self) -> None:
        q = self.backlog
        pop = q.popleft
        rx = netif_receive
        try:
            while q:
                rx(pop())
        finally:
            self.backlog_scheduled = False

    # -- notifier chain ---------------------------------------------------------------------
    def notify(self, event: str, dev: NetDevice, **info) -> None:
        ns = dev.ns
        if ns is not None and ns.ipv4 is not None:
            ns.ipv4.netdev_event(event, dev, **info)
            if ns.ipv6 is not None:
                ns.ipv6.netdev_event(event, dev, **info)
        for fn in list(self.notifiers):
            fn(event, dev, **info)

    # -- modules ----------------------------------------------------------------------------
    def request_module(self, name: str) -> bool:
        """modprobe: load ``name`` (or what it aliases) once; True if now loaded."""
        name = MODULE_ALIASES.get(name, name)
        if name in self.modules:
            return True
        if name in self.missing_modules:
            return False
        loader = MODULES.get(name)
        if loader is None:
            return False
        self.modules.add(name)
        loader(self)
        return True

    # -- registration -----------------------------------------------------------------------
    def register_netdevice(self, dev: NetDevice, ns: Namespace) -> None:
        if not dev_valid_name(dev.name):
            raise KernelError(EINVAL)
        if "%" in dev.name:
            dev.name = ns.alloc_name(dev.name)
        if dev.name in ns.by_name:
            raise KernelError(EEXIST)
        dev.ifindex = ns.alloc_ifindex(dev.ifindex)
        dev.ns = ns
        dev.ndo_init()
        ns.by_index[dev.ifindex] = dev
        ns.by_name[dev.name] = dev
        ns.devices.append(dev)
        dev.reg_state = "REGISTERED"
        if not dev.carrier or dev.dormant or dev.testing:
            rfc2863_policy(dev)   # linkwatch_init_dev()
        self.notify(NETDEV_REGISTER, dev)

    def unregister_many(self, devs: list[NetDevice]) -> None:
        """unregister_netdevice_many(): close all, then notify and unlink each."""
        devs = [d for d in devs if d.reg_state == "REGISTERED"]
        for dev in devs:
            self.dev_close(dev)
        for dev in devs:
            dev.reg_state = "UNREGISTERING"
        for dev in devs:
            self.notify(NETDEV_UNREGISTER, dev, moving=False)
            dev.uninit()
            ns = dev.ns
            del ns.by_index[dev.ifindex]
            del ns.by_name[dev.name]
            ns.devices.remove(dev)
            dev.reg_state = "UNREGISTERED"
            if dev in self.linkwatch.events:
                self.linkwatch.events.remove(dev)
                dev.lw_pending = False

    def dellink(self, dev: NetDevice) -> None:
        """RTM_DELLINK."""
        if dev.ifindex == 1 and dev.kind == "":
            raise KernelError(EOPNOTSUPP)  # loopback has no rtnl_link_ops
        if not dev.kind:
            raise KernelError(EOPNOTSUPP)
        batch: list[NetDevice] = []
        dev.dellink(batch)
        self.unregister_many(batch)

    # -- open / close -------------------------------------------------------------------------
    def dev_open(self, dev: NetDevice) -> None:
        if dev.flags & IFF_UP:
            return
        dev.start = True                     # __dev_open(): netif_running() before ndo_open
        try:
            dev.ndo_open()
        except BaseException:
            dev.start = False
            raise
        dev.flags |= IFF_UP
        dev_set_rx_mode(dev)                 # __dev_open(): rx mode once IFF_UP is set
        dev.qdisc_active = dev.carrier       # dev_activate() waits for carrier
        dev.qdisc_attached = True            # dev_activate() attaches the default qdisc
        self.notify(NETDEV_UP, dev)

    def dev_close(self, dev: NetDevice) -> None:
        if not dev.flags & IFF_UP:
            return
        self.notify(NETDEV_GOING_DOWN, dev)
        dev.start = False                    # __dev_close_many(): cleared before ndo_stop
        dev.ndo_stop()
        dev.flags &= ~IFF_UP
        dev.qdisc_active = False
        self.notify(NETDEV_DOWN, dev)

    # -- attribute changes ----------------------------------------------------------------------
    def dev_set_mtu(self, dev: NetDevice, mtu: int) -> None:
        if mtu == dev.mtu:
            return
        if mtu < 0:
            raise KernelError(EINVAL)
        if dev.max_mtu > 0 and mtu > dev.max_mtu:
            raise KernelError(EINVAL, "mtu greater than device maximum.")
        if mtu < dev.min_mtu:
            raise KernelError(EINVAL, "mtu less than device minimum.")
        old = dev.mtu
        dev.ndo_change_mtu(mtu)
        if dev.mtu != old:
            self.notify(NETDEV_CHANGEMTU, dev, old=old)

    def dev_set_mac(self, dev: NetDevice, mac: bytes) -> None:
        if len(mac) != dev.addr_len:
            raise KernelError(EINVAL)
        dev.ndo_set_mac_address(mac)
        dev.addr_assign_type = 3  # NET_ADDR_SET
        self.notify(NETDEV_CHANGEADDR, dev)

    def dev_change_name(self, dev: NetDevice, name: str) -> None:
        if name == dev.name:
            return
        if not dev_valid_name(name):
            raise KernelError(EINVAL)
        ns = dev.ns
        if "%" in name:
            name = ns.alloc_name(name)
        if name in ns.by_name:
            raise KernelError(EEXIST)
        del ns.by_name[dev.name]
        dev.name = name
        ns.by_name[name] = dev
        self.notify(NETDEV_CHANGENAME, dev)

    def dev_change_net_namespace(self, dev: NetDevice, target: Namespace,
                                 new_name: str | None = None) -> None:
        """CORE-08: close, flush addresses, keep the ifindex unless taken, reopen nothing."""
        if dev.netns_immutable:
            raise KernelError(EINVAL, "The interface netns is immutable")
        if target is dev.ns:
            return
        name = new_name or dev.name
        if name in target.by_name:
            raise KernelError(EEXIST, "An interface with the same name exists in the target netns")
        self.dev_close(dev)
        dev.qdisc_attached = False           # dev_shutdown(): back to noop_qdisc
        self.notify(NETDEV_UNREGISTER, dev, moving=True)
        dev.uc.clear()
        dev.mc.clear()
        old = dev.ns
        del old.by_index[dev.ifindex]
        del old.by_name[dev.name]
        old.devices.remove(dev)
        dev.name = name
        if dev.ifindex in target.by_index:
            dev.ifindex = target.alloc_ifindex(0)
        dev.ns = target
        target.by_index[dev.ifindex] = dev
        target.by_name[dev.name] = dev
        target.devices.append(dev)
        self.notify(NETDEV_REGISTER, dev, moved_from=old)

    def set_master(self, dev: NetDevice, master: NetDevice | None) -> None:
        """do_set_master(): enslave ``dev`` to ``master`` (None = nomaster)."""
        cur = dev.master
        if cur is master:
            return
        if cur is not None:
            cur.ndo_del_slave(dev)
        if master is not None:
            master.ndo_add_slave(dev)        # a bridge refuses itself as any bridge (ELOOP)

    # -- RTM_NEWLINK ------------------------------------------------------------------------
    def newlink(self, ns: Namespace, req: LinkRequest) -> NetDevice:
        kind = req.kind
        ops = LINK_KINDS.get(kind) if kind else None
        if ops is None:
            if kind and self.request_module("rtnl-link-" + kind):
                ops = LINK_KINDS.get(kind)
            if ops is None:
                raise KernelError(EOPNOTSUPP)
        if kind in LINK_KINDS:
            self.request_module("rtnl-link-" + kind)
        if req.name is not None and not dev_valid_name(req.name):
            raise KernelError(EINVAL)
        dest = req.net_ns or ns
        if req.name is not None and "%" not in req.name and req.name in dest.by_name:
            raise KernelError(EEXIST)
        check_queues(req)
        ops.validate(req)
        dev = ops.newlink(self, dest, req)
        if req.master is not None:
            try:
                self.set_master(dev, req.master)
            except KernelError:
                self.unregister_many([dev])
                raise
        if req.up:
            self.dev_open(dev)
        return dev


def check_queues(req: LinkRequest) -> None:
    """rtnl_create_link(): IFLA_NUM_TX_QUEUES / IFLA_NUM_RX_QUEUES must be 1..4096."""
    if req.numtxqueues is not None and not 1 <= req.numtxqueues <= 4096:
        raise KernelError(EINVAL, "Invalid number of transmit queues")
    if req.numrxqueues is not None and not 1 <= req.numrxqueues <= 4096:
        raise KernelError(EINVAL, "Invalid number of receive queues")


def validate_ether_address(req: LinkRequest) -> None:
    """The ``IFLA_ADDRESS`` check of Ethernet-like kinds (dummy_validate, ifb_validate): six
    bytes (EINVAL), unicast and not all zeros (is_valid_ether_addr: EADDRNOTAVAIL)."""
    if req.address is not None:
        if len(req.address) != 6:
            raise KernelError(EINVAL)
        a = req.address
        if a[0] & 1 or a == b"\x00" * 6:
            raise KernelError(EADDRNOTAVAIL)


def apply_common(kernel: Kernel, dev: NetDevice, req: LinkRequest) -> None:
    """rtnl_create_link(): the generic attributes every kind accepts, before registration."""
    if req.numtxqueues is not None:
        dev.num_tx_queues = req.numtxqueues
    if req.numrxqueues is not None:
        dev.num_rx_queues = req.numrxqueues
    if req.mtu is not None:
        if dev.max_mtu > 0 and req.mtu > dev.max_mtu:
            raise KernelError(EINVAL, "MTU larger than device maximum.")
        if req.mtu < dev.min_mtu:
            raise KernelError(EINVAL, "MTU smaller than device minimum.")
        dev.mtu = req.mtu
    if req.address is not None:
        if len(req.address) != dev.addr_len:
            raise KernelError(EINVAL)
        dev.addr = req.address
        dev.addr_assign_type = 3
    if req.broadcast is not None:
        dev.broadcast = req.broadcast
    if req.txqlen is not None:
        dev.tx_queue_len = req.txqlen
    if req.group is not None:
        dev.group = req.group
    if req.alias is not None:
        dev.alias = req.alias
    if req.index:
        dev.ifindex = req.index
