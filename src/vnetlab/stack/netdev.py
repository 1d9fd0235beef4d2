"""The net_device contract and the core receive / transmit paths.

Rules (kernel-spec §1):

* CORE-01  a device has at most one rx_handler; a second one is EBUSY; a device flagged
           ``no_rx_handler`` (IFF_NO_RX_HANDLER) refuses any with EINVAL.
* CORE-02  ``netif_receive``: packet taps see the frame first, then the rx_handler answers
           PASS (up this device's stack), ANOTHER (restart on ``skb.dev``) or CONSUMED.
* CORE-03  ``dev_forward_skb``: drop (rx_dropped on the target) when the target is not UP or the
           frame is longer than mtu + hard_header_len + 4; scrub across netns; eth_type_trans; the
           frame is queued to the backlog (the engine's "now" queue), as ``netif_rx`` does.
* CORE-04  ``eth_type_trans`` sets pkt_type from the destination MAC.
* CORE-05  operstate is computed by linkwatch from carrier/dormant/testing and the iflink device.
* CORE-06  stacked devices copy carrier/dormant/testing from their lower (``stacked_transfer_operstate``).
* CORE-09  queue length and IFF_NO_QUEUE.

Linkwatch: carrier changes are applied (operstate, qdisc activation) by a deferred work item, as
in net/core/link_watch.c. linkwatch_urgent_event(): an event is urgent when the device is running
and either its iflink differs from its ifindex (veth, macvlan, ...) or its carrier is on while its
attached qdisc is deactivated; urgency is checked again when the work runs. Urgent events run at
once; the others no sooner than one second after the previous full run (the observed lag of
kernel-spec §13; e.g. a veth whose peer in another netns has the same ifindex). RTM_GETLINK of one
device applies that device's pending event first (``Linkwatch.sync_dev``); a dump does not.
"""

from __future__ import annotations

from .errors import EBUSY, EINVAL, KernelError
from .skb import (PACKET_BROADCAST, PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST, Skb)

# net_device flags (include/uapi/linux/if.h)
IFF_UP = 0x1
IFF_BROADCAST = 0x2
IFF_DEBUG = 0x4
IFF_LOOPBACK = 0x8
IFF_POINTOPOINT = 0x10
IFF_NOTRAILERS = 0x20
IFF_RUNNING = 0x40
IFF_NOARP = 0x80
IFF_PROMISC = 0x100
IFF_ALLMULTI = 0x200
IFF_MASTER = 0x400
IFF_SLAVE = 0x800
IFF_MULTICAST = 0x1000
IFF_PORTSEL = 0x2000
IFF_AUTOMEDIA = 0x4000
IFF_DYNAMIC = 0x8000
IFF_LOWER_UP = 0x10000
IFF_DORMANT = 0x20000
IFF_ECHO = 0x40000

# operstate (RFC 2863, include/uapi/linux/if.h)
IF_OPER_UNKNOWN = 0
IF_OPER_NOTPRESENT = 1
IF_OPER_DOWN = 2
IF_OPER_LOWERLAYERDOWN = 3
IF_OPER_TESTING = 4
IF_OPER_DORMANT = 5
IF_OPER_UP = 6
OPERSTATE_NAMES = ("UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP")

IF_LINK_MODE_DEFAULT = 0
IF_LINK_MODE_DORMANT = 1
IF_LINK_MODE_TESTING = 2

# ARPHRD_* (include/uapi/linux/if_arp.h)
ARPHRD_ETHER = 1
ARPHRD_LOOPBACK = 772
ARPHRD_NONE = 0xFFFE
ARPHRD_TUNNEL = 768
ARPHRD_VOID = 0xFFFF

# rx_handler results
RX_HANDLER_CONSUMED = 0
RX_HANDLER_ANOTHER = 1
RX_HANDLER_EXACT = 2
RX_HANDLER_PASS = 3

# netdevice notifier events (the subset the emulator raises)
NETDEV_UP = "UP"
NETDEV_DOWN = "DOWN"
NETDEV_GOING_DOWN = "GOING_DOWN"
NETDEV_CHANGE = "CHANGE"            # carrier / operstate change (after linkwatch)
NETDEV_REGISTER = "REGISTER"
NETDEV_UNREGISTER = "UNREGISTER"
NETDEV_CHANGEMTU = "CHANGEMTU"
NETDEV_CHANGEADDR = "CHANGEADDR"
NETDEV_CHANGENAME = "CHANGENAME"
NETDEV_PRE_TYPE_CHANGE = "PRE_TYPE_CHANGE"
NETDEV_CHANGEUPPER = "CHANGEUPPER"

ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
ETH_P_802_2 = 0x0004
ETH_P_802_3 = 0x0001

DEFAULT_TX_QUEUE_LEN = 1000
ETH_DATA_LEN = 1500

# struct rtnl_link_stats64, in the kernel's order
STATS64 = ("rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_errors", "tx_errors",
           "rx_dropped", "tx_dropped", "multicast", "collisions", "rx_length_errors",
           "rx_over_errors", "rx_crc_errors", "rx_frame_errors", "rx_fifo_errors",
           "rx_missed_errors", "tx_aborted_errors", "tx_carrier_errors", "tx_fifo_errors",
           "tx_heartbeat_errors", "tx_window_errors", "rx_compressed", "tx_compressed",
           "rx_nohandler", "rx_otherhost_dropped")

BROADCAST_MAC = b"\xff" * 6


def random_ether_addr(rng) -> bytes:
    """eth_random_addr(): random, locally administered, unicast."""
    b = bytearray(rng.getrandbits(48).to_bytes(6, "big"))
    b[0] = (b[0] & 0xFE) | 0x02
    return bytes(b)


class NetDevice:
    """One network device. Drivers (``vnetlab.devices``) subclass it and override the ``ndo_*``
    hooks; the stack only ever talks to a device through this contract.

    Driver hooks:
      ndo_open() / ndo_stop()         bring the device up / down (may raise KernelError)
      ndo_start_xmit(skb)             transmit one frame (the stack already ran the qdisc)
      ndo_change_mtu(mtu)             validate/apply an MTU (default: range check)
      ndo_set_mac_address(mac)        validate/apply a MAC
      ndo_add_slave(dev) / ndo_del_slave(dev)   a master (bridge) takes / releases a port
      get_iflink()                    IFLA_LINK (default: own ifindex)
      get_link_net()                  netns of the iflink device (default: own)
      dellink(batch)                  add the devices that die with this one to ``batch``
      uninit()                        release driver state at unregister
      fill_info()                     IFLA_INFO_DATA as a dict (for ``ip -d``)
      get_stats64()                   counters (dict)
    """

    kind = ""                 # IFLA_INFO_KIND ("" for devices without rtnl_link_ops)
    type = ARPHRD_ETHER
    hard_header_len = 14
    addr_len = 6
    min_mtu = 68
    max_mtu = ETH_DATA_LEN
    netns_immutable = False
    # header_ops: True when the device builds an Ethernet header (neighbour output needs one)
    has_eth_header = True
    # IFF_UNICAST_FLT: the driver filters secondary unicast addresses itself; a device without
    # it goes promiscuous while its unicast list is not empty (__dev_set_rx_mode, "uc_promisc")
    unicast_flt = False

    def __init__(self, kernel, name: str):
        self.kernel = kernel
        self.name = name
        self.ifindex = 0
        self.ns = None
        self.flags = IFF_BROADCAST | IFF_MULTICAST
        self.priv_flags = 0
        self.mtu = ETH_DATA_LEN
        self.addr = random_ether_addr(kernel.rng)
        self.addr_assign_type = 1  # NET_ADDR_RANDOM
        self.perm_addr = b""
        self.broadcast = BROADCAST_MAC
        self.tx_queue_len = DEFAULT_TX_QUEUE_LEN
        self.no_queue = False            # IFF_NO_QUEUE: qdisc noqueue when up
        self.qdisc_active = False        # dev_activate() done (carrier ok while up)
        self.qdisc_attached = False      # dev->qdisc is no longer noop_qdisc (first dev_open)
        self.carrier_changes = 0         # carrier_up_count + carrier_down_count
        self.start = False               # __LINK_STATE_START: netif_running(), set before ndo_open
        self.carrier = True              # netif_carrier_ok(): a fresh device has carrier
        self.dormant = False
        self.testing = False
        self.link_mode = IF_LINK_MODE_DEFAULT
        self.operstate = IF_OPER_UNKNOWN
        self.lw_pending = False
        self.rx_handler = None
        self.rx_handler_data = None
        self.no_rx_handler = False       # IFF_NO_RX_HANDLER
        self.master = None               # upper master (a bridge for a port)
        self.promiscuity = 0
        self.allmulti = 0
        self.gflags = 0                  # user-requested PROMISC / ALLMULTI
        self.uc: list[bytes] = []        # secondary unicast filter list (one entry per ref)
        self.uc_promisc = False          # promiscuity taken by __dev_set_rx_mode for ``uc``
        self.mc: list[bytes] = []        # multicast filter list
        self.ptype_all: list = []        # packet taps (tcpdump, pcap, trace)
        self.ip = None                   # the IPv4 in_device (set on register)
        self.ip6 = None                  # the IPv6 inet6_dev (stack/addrconf.py Inet6Dev)
        self.group = 0
        self.alias = ""
        self.gso_max_size = 65536
        self.gso_max_segs = 65535
        self.num_tx_queues = 1
        self.num_rx_queues = 1
        self.reg_state = "UNINITIALIZED"
        self.ingress_hook = None         # tc ingress (installed by the tc layer)
        self.vlan_info = None            # {(proto, vid): vlan dev} of its 802.1Q uppers (devices/vlan.py)
        self.egress_hook = None          # tc egress qdisc (installed by the tc layer)
        self.tc = None                   # the device's qdiscs (stack/tc.py TcDev), if any
        self.qdisc_kind = None           # IFLA_QDISC when the root is not the default one
        for f in STATS64:
            setattr(self, f, 0)

    # -- driver hooks (defaults) -----------------------------------------------------------
    def ndo_init(self) -> None:
        pass

    def ndo_open(self) -> None:
        pass

    def ndo_stop(self) -> None:
        pass

    def ndo_start_xmit(self, skb: Skb) -> None:
        # A device with nowhere to send: the frame is gone (counted as sent, like a dummy).
        self.tx_packets += 1
        self.tx_bytes += len(skb.data)

    def ndo_change_mtu(self, mtu: int) -> None:
        self.mtu = mtu

    def ndo_set_rx_mode(self) -> None:
        """The unicast / multicast lists or the PROMISC / ALLMULTI state changed (called only
        while the device is UP, as __dev_set_rx_mode() does)."""

    def ndo_set_mac_address(self, mac: bytes) -> None:
        from ..wire.ethernet import is_valid_unicast
        from .errors import EADDRNOTAVAIL
        if not is_valid_unicast(mac):
            raise KernelError(EADDRNOTAVAIL)
        self.addr = mac

    def ndo_add_slave(self, slave: "NetDevice") -> None:
        from .errors import EOPNOTSUPP
        raise KernelError(EOPNOTSUPP)

    def ndo_del_slave(self, slave: "NetDevice") -> None:
        from .errors import EOPNOTSUPP
        raise KernelError(EOPNOTSUPP)

    def get_iflink(self) -> int:
        return self.ifindex

    def get_link_net(self):
        return self.ns

    def dellink(self, batch: list) -> None:
        batch.append(self)

    def uninit(self) -> None:
        pass

    def fill_info(self) -> dict:
        return {}

    def get_stats64(self) -> dict:
        return {f: getattr(self, f) for f in STATS64}

    # -- state as userspace sees it --------------------------------------------------------
    @property
    def up(self) -> bool:
        return bool(self.flags & IFF_UP)

    @property
    def running(self) -> bool:
        """netif_running(): true from just before ndo_open() until just before ndo_stop()."""
        return self.start

    def oper_up(self) -> bool:
        return self.operstate in (IF_OPER_UP, IF_OPER_UNKNOWN)

    def get_flags(self) -> int:
        """dev_get_flags(): what IFLA/ioctl report, RUNNING/LOWER_UP/DORMANT derived."""
        flags = (self.flags & ~(IFF_PROMISC | IFF_ALLMULTI | IFF_RUNNING | IFF_LOWER_UP
                                | IFF_DORMANT)) | (self.gflags & (IFF_PROMISC | IFF_ALLMULTI))
        if self.flags & IFF_UP:
            if self.oper_up():
                flags |= IFF_RUNNING
            if self.carrier:
                flags |= IFF_LOWER_UP
            if self.dormant:
                flags |= IFF_DORMANT
        return flags

    def reported_operstate(self) -> int:
        """IFLA_OPERSTATE: a device that is not running is always DOWN (CORE-05)."""
        return self.operstate if self.flags & IFF_UP else IF_OPER_DOWN

    # -- carrier (netif_carrier_on/off) -----------------------------------------------------
    def carrier_on(self) -> None:
        if not self.carrier:
            self.carrier = True
            if self.reg_state == "REGISTERED":
                self.carrier_changes += 1
                self.kernel.linkwatch.fire(self)

    def carrier_off(self) -> None:
        if self.carrier:
            self.carrier = False
            if self.reg_state == "REGISTERED":
                self.carrier_changes += 1
                self.kernel.linkwatch.fire(self)

    def set_dormant(self, on: bool) -> None:
        if self.dormant != on:
            self.dormant = on
            self.kernel.linkwatch.fire(self)

    def set_testing(self, on: bool) -> None:
        if self.testing != on:
            self.testing = on
            self.kernel.linkwatch.fire(self)

    def stacked_transfer_operstate(self, lower: "NetDevice") -> None:
        """netif_stacked_transfer_operstate() (CORE-06): carrier, dormant and testing only."""
        self.set_testing(lower.testing)
        self.set_dormant(lower.dormant)
        if lower.carrier:
            self.carrier_on()
        else:
            self.carrier_off()

    def __repr__(self) -> str:
        ns = self.ns.name if self.ns is not None else None
        return f"<{type(self).__name__} {self.name} ifindex={self.ifindex} ns={ns}>"


# -- operstate and linkwatch ----------------------------------------------------------------

def default_operstate(dev: NetDevice) -> int:
    """net/core/link_watch.c: default_operstate() (CORE-05)."""
    if dev.testing:
        return IF_OPER_TESTING
    if not dev.carrier:
        iflink = dev.get_iflink()
        if iflink == dev.ifindex:
            return IF_OPER_DOWN
        peer = dev.ns.by_index.get(iflink) if dev.ns is not None else None
        if peer is None:
            return IF_OPER_DOWN
        return IF_OPER_DOWN if peer.carrier else IF_OPER_LOWERLAYERDOWN
    if dev.dormant:
        return IF_OPER_DORMANT
    return IF_OPER_UP


def rfc2863_policy(dev: NetDevice) -> None:
    op = default_operstate(dev)
    if dev.link_mode == IF_LINK_MODE_TESTING and op == IF_OPER_UP:
        op = IF_OPER_TESTING
    elif dev.link_mode == IF_LINK_MODE_DORMANT and op == IF_OPER_UP:
        op = IF_OPER_DORMANT
    dev.operstate = op


class Linkwatch:
    """Deferred application of carrier changes (net/core/link_watch.c)."""

    HZ_NS = 1_000_000_000

    def __init__(self, kernel):
        self.kernel = kernel
        self.events: list[NetDevice] = []
        self.next_event = 0          # linkwatch_nextevent
        self.timer = None
        self.urgent_pending = False  # LW_URGENT: an immediate run is already queued

    def urgent_event(self, dev: NetDevice) -> bool:
        """linkwatch_urgent_event(): the events that do not wait for the once-a-second batch."""
        if not dev.start:                      # !netif_running()
            return False
        if dev.ifindex != dev.get_iflink():    # stacked / paired devices (veth, macvlan, ...)
            return True
        # (bonding/team ports and masters are urgent too; not emulated)
        # qdisc_tx_changing(): carrier is back while the attached qdisc is still deactivated
        return dev.carrier and dev.qdisc_attached and not dev.qdisc_active

    def fire(self, dev: NetDevice) -> None:
        """linkwatch_fire_event()."""
        urgent = self.urgent_event(dev)
        if not dev.lw_pending:
            dev.lw_pending = True
            self.events.append(dev)
        elif not urgent:
            return
        self.schedule(urgent)

    def schedule(self, urgent: bool) -> None:
        """linkwatch_schedule_work(): urgent = run now; else no sooner than ``next_event`` and
        never overriding a run already queued."""
        if self.urgent_pending:
            return
        eng = self.kernel.engine
        delay = self.next_event - eng.now
        if urgent:
            self.urgent_pending = True
            delay = 0
        if delay > self.HZ_NS or delay < 0:    # unsigned wrap in the kernel: a past nextevent
            delay = 0
        if urgent:                             # mod_delayed_work(..., 0)
            if self.timer is not None:
                self.timer.cancel()
            self.timer = eng.call_at(eng.now, self.run)
        elif self.timer is None or self.timer.cancelled:   # queue_delayed_work()
            self.timer = eng.call_at(eng.now + delay, self.run)

    def run(self) -> None:
        """linkwatch_event() -> __linkwatch_run_queue(urgent_only): within a second of the last
        full run only urgent events are applied (the others stay queued); a full run applies
        everything and starts a new one-second window."""
        self.timer = None
        now = self.kernel.engine.now
        urgent_only = self.next_event > now
        if not urgent_only:
            self.next_event = now + self.HZ_NS
        elif self.next_event > now + self.HZ_NS:
            self.next_event = now
        self.urgent_pending = False
        wrk, self.events = self.events, []
        for dev in wrk:
            if urgent_only and not self.urgent_event(dev):
                self.events.append(dev)
                continue
            dev.lw_pending = False
            if dev.reg_state != "REGISTERED":
                continue
            self.do_dev(dev)
        if self.events:
            self.schedule(False)

    def do_dev(self, dev: NetDevice) -> None:
        """linkwatch_do_dev()."""
        rfc2863_policy(dev)
        if dev.flags & IFF_UP:
            dev.qdisc_active = dev.carrier
            self.kernel.notify(NETDEV_CHANGE, dev)

    def sync_dev(self, dev: NetDevice) -> None:
        """linkwatch_sync_dev(): apply ``dev``'s pending event now. RTM_GETLINK of one device
        (``ip link show DEV``) does this since 6.8; a dump (``ip link show``) does not."""
        if dev.lw_pending and dev in self.events:
            self.events.remove(dev)
            dev.lw_pending = False
            self.do_dev(dev)

    def sync_now(self) -> None:
        """Apply every pending event immediately (linkwatch_run_queue(), a full run)."""
        if self.events:
            if self.timer is not None:
                self.timer.cancel()
            self.urgent_pending = False
            self.next_event = self.kernel.engine.now
            self.run()


# -- rx_handler registration (CORE-01) --------------------------------------------------------

def rx_handler_register(dev: NetDevice, handler, data) -> None:
    if dev.no_rx_handler:
        raise KernelError(EINVAL)
    if dev.rx_handler is not None:
        raise KernelError(EBUSY)
    dev.rx_handler = handler
    dev.rx_handler_data = data


def rx_handler_unregister(dev: NetDevice) -> None:
    dev.rx_handler = None
    dev.rx_handler_data = None


def rx_handler_busy(dev: NetDevice) -> bool:
    return dev.no_rx_handler or dev.rx_handler is not None


# -- address lists and rx mode (net/core/dev.c, dev_addr_lists.c) -----------------------------

def dev_set_rx_mode(dev: NetDevice) -> None:
    """__dev_set_rx_mode(): nothing while the device is down; a device without IFF_UNICAST_FLT
    takes (or gives back) one promiscuity reference while its unicast list is (not) empty;
    then the driver's ndo_set_rx_mode()."""
    if not dev.flags & IFF_UP:
        return
    if not dev.unicast_flt:
        if dev.uc and not dev.uc_promisc:
            dev.promiscuity += 1
            dev.uc_promisc = True
        elif not dev.uc and dev.uc_promisc:
            dev.promiscuity -= 1
            dev.uc_promisc = False
    dev.ndo_set_rx_mode()


def dev_uc_add(dev: NetDevice, addr: bytes) -> None:
    """dev_uc_add(): one more reference to ``addr`` in the unicast list, then the rx mode."""
    dev.uc.append(addr)
    dev_set_rx_mode(dev)


def dev_uc_del(dev: NetDevice, addr: bytes) -> None:
    """dev_uc_del(): drop one reference (a missing address is -ENOENT, ignored by callers)."""
    try:
        dev.uc.remove(addr)
    except ValueError:
        return
    dev_set_rx_mode(dev)


def dev_mc_add(dev: NetDevice, addr: bytes) -> None:
    """dev_mc_add(): one more reference to the group ``addr``, then the rx mode."""
    dev.mc.append(addr)
    dev_set_rx_mode(dev)


def dev_mc_del(dev: NetDevice, addr: bytes) -> None:
    try:
        dev.mc.remove(addr)
    except ValueError:
        return
    dev_set_rx_mode(dev)


def dev_set_promiscuity(dev: NetDevice, inc: int) -> None:
    """dev_set_promiscuity(): adjust the promiscuity count, then the rx mode."""
    dev.promiscuity += inc
    dev_set_rx_mode(dev)


def dev_set_allmulti(dev: NetDevice, inc: int) -> None:
    """dev_set_allmulti(): adjust the allmulti count, then the rx mode."""
    dev.allmulti += inc
    dev_set_rx_mode(dev)


# -- receive ----------------------------------------------------------------------------------

def eth_type_trans(skb: Skb, dev: NetDevice) -> None:
    """CORE-04: pkt_type from the destination MAC; protocol from the EtherType."""
    data = skb.data
    skb.dev = dev
    skb.mac_len = 14
    dst = data[:6]
    if data[0] & 1:
        skb.pkt_type = PACKET_BROADCAST if dst == BROADCAST_MAC else PACKET_MULTICAST
    elif dst == dev.addr:
        skb.pkt_type = PACKET_HOST
    else:
        skb.pkt_type = PACKET_OTHERHOST
    proto = (data[12] << 8) | data[13]
    skb.protocol = proto if proto >= 0x600 else ETH_P_802_3


# ETH_P_* -> handler(skb) for protocols without per-netns state (per-netns ones: ns.ptype)
PTYPE_BASE: dict = {}


def netif_receive(skb: Skb) -> None:
    """__netif_receive_skb_core(): taps, tc ingress, rx_handler, protocol delivery (CORE-02)."""
    dev = skb.dev
    kernel = dev.kernel
    kernel.rx_count += 1
    # pt_prev: a tap that saw the frame counts as its delivery, unless tc ingress or an
    # rx_handler ran after it (both flush pt_prev); deliver_exact: RX_HANDLER_EXACT
    tapped = exact = False
    while True:
        skb.iif = dev.ifindex
        if dev.ptype_all and not skb.tc_skip:   # tc_skip: an ifb returns it, no taps, no tc
            tapped = True
            for tap in dev.ptype_all:
                tap(skb, dev, False)
        if dev.ingress_hook is not None:         # sch_handle_ingress (clears tc_skip)
            tapped = False
            if not dev.ingress_hook(skb):
                return
            dev = skb.dev
        if dev.vlan_info is not None and dev.vlan_rx(skb):   # vlan_do_receive() (devices/vlan.py)
            tapped = False
            dev = skb.dev
            kernel.rx_count += 1
            continue
        handler = dev.rx_handler
        if handler is not None:
            tapped = False
            res = handler(skb)
            if res == RX_HANDLER_CONSUMED:
                return
            if res == RX_HANDLER_ANOTHER:
                dev = skb.dev
                kernel.rx_count += 1
                continue
            exact = res == RX_HANDLER_EXACT
        break
    if not exact:   # exact delivery skips the protocol handlers that are not bound to a device
        fn = dev.ns.ptype.get(skb.protocol)
        if fn is None:
            fn = PTYPE_BASE.get(skb.protocol)
        if fn is not None:
            fn(skb)
            return
    if tapped:
        return
    # no handler: counted in rx_dropped, or rx_nohandler for exact delivery
    if exact:
        dev.rx_nohandler += 1
    else:
        dev.rx_dropped += 1
    tr = kernel.trace
    if tr is not None:
        tr.drop(kernel.engine.now, dev.ns, dev, skb, "UNHANDLED_PROTO", None)


def netif_rx(skb: Skb) -> None:
    """Queue a received frame to the backlog; it is processed after the current work."""
    k = skb.dev.kernel
    k.backlog.append(skb)
    if not k.backlog_scheduled:
        k.backlog_scheduled = True
        k.engine.call_soon(k.process_backlog)


def skb_scrub_packet(skb: Skb, xnet: bool) -> None:
    skb.dst = None
    skb.sk = None
    if xnet:
        skb.mark = 0
        skb.redirected = False
        skb.from_ingress = False
        skb.tc_skip = False


def is_skb_forwardable(dev: NetDevice, skb: Skb) -> bool:
    return bool(dev.flags & IFF_UP) and len(skb.data) <= dev.mtu + dev.hard_header_len + 4


def dev_forward_skb(dev: NetDevice, skb: Skb, rule: str = "CORE-03") -> bool:
    """__dev_forward_skb() + netif_rx() (CORE-03). Returns False when the frame was dropped."""
    if not (dev.flags & IFF_UP) or len(skb.data) > dev.mtu + dev.hard_header_len + 4:
        dev.rx_dropped += 1
        tr = dev.kernel.trace
        if tr is not None:
            reason = "DEV_READY" if not dev.flags & IFF_UP else "PKT_TOO_BIG"
            tr.drop(dev.kernel.engine.now, dev.ns, dev, skb, reason, rule)
        return False
    src = skb.dev
    skb_scrub_packet(skb, src is not None and src.ns is not dev.ns)
    skb.priority = 0
    skb.iif = 0
    eth_type_trans(skb, dev)
    netif_rx(skb)
    return True


# -- transmit ---------------------------------------------------------------------------------

def dev_queue_xmit(skb: Skb) -> bool:
    """__dev_queue_xmit(): taps, egress qdisc, then the driver. False when dropped here."""
    dev = skb.dev
    if not (dev.flags & IFF_UP) or not dev.qdisc_active:
        # noop qdisc: the device is down or has no carrier (linkwatch deactivated it);
        # noop_enqueue() counts the drop in the device's tx_dropped
        dev.tx_dropped += 1
        tr = dev.kernel.trace
        if tr is not None:
            tr.drop(dev.kernel.engine.now, dev.ns, dev, skb, "QDISC_DROP", None)
        return False
    if dev.egress_hook is not None:
        # tc: clsact egress, the root qdisc; the taps see the frame when it is dequeued
        return dev.egress_hook(skb)
    if dev.ptype_all:
        for tap in dev.ptype_all:
            tap(skb, dev, True)
    dev.ndo_start_xmit(skb)
    return True
