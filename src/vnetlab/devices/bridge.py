"""The Linux bridge (``net/bridge/``), kernel-spec §11, for STP off (``stp_state 0``).

Rules (each names the kernel function it mirrors):

* BR-01 learning     ``br_fdb_update()``: on every frame accepted by a port with ``learning on``,
                     the source MAC is learnt (or refreshed) on the ingress port. A dynamic or
                     static entry roams to the new port; ``sticky`` and **local** entries do not
                     (a frame from one of the bridge's own MACs is never learnt). A frame whose
                     source MAC is multicast or zero is dropped on entry (``MAC_INVALID_SOURCE``,
                     ``br_handle_frame()``).
* BR-02 ageing       ``br_fdb_cleanup()``: a dynamic entry dies ``ageing_time`` after it was last
                     refreshed (default 300 s). ``ageing_time 0`` turns learning off
                     (``hold_time == 0``) and flushes every dynamic entry, so all unicast floods.
                     [EMU] the garbage collector is an engine timer that is armed only while
                     dynamic entries exist and the bridge is up, so ``run_until_idle`` ends.
* BR-03 forwarding   ``br_handle_frame_finish()``: local entry (the bridge MAC, any port MAC,
                     ``permanent`` user entries) -> up the bridge (``br_pass_frame_up``); known
                     unicast -> that port; unknown unicast -> ports with ``flood on``, and up the
                     bridge only when it is promiscuous; broadcast -> ports with ``bcast_flood``
                     + always up; multicast -> ports with ``mcast_flood`` + always up (no
                     querier is ever present, so IGMP/MLD snooping never restricts the flood).
                     Frames the bridge itself sends (``br_dev_xmit``) take the same decision,
                     except that ``mcast_flood``/``bcast_flood`` do not filter them and a frame
                     to one of the bridge's own MACs is dropped.
* BR-04 egress       ``should_deliver()``: never back out of the ingress port unless that port
                     has ``hairpin on`` (then floods go back too); the egress port must be in
                     state forwarding; an ``isolated`` port never sends to another isolated
                     port. With STP off a port is forwarding while the bridge and the port are
                     up and the port is operationally up (``br_port_carrier_check``), else
                     disabled; a disabled port drops what it receives
                     (``BRIDGE_INGRESS_STP_STATE``) and loses its dynamic FDB entries.
* BR-05 link-local   ``br_handle_frame()``, destination 01:80:c2:00:00:0X: ``:00`` is forwarded
                     when STP is off; ``:01`` (PAUSE) is dropped (``MAC_IEEE_MAC_CONTROL``);
                     the others are learnt from and passed up the *port's* own stack
                     (RX_HANDLER_PASS) unless ``group_fwd_mask`` forwards them.

Device-level behaviour (``br_if.c``, ``br_stp_if.c``, ``br_device.c``, ``br.c``):

* Enslaving (``br_add_if``): EINVAL for loopback / non-Ethernet / invalid MAC, ELOOP for a bridge
  ("Can not enslave a bridge to a bridge"), EBUSY when the device already has a master or an
  rx_handler (CORE-01). The port gets promiscuity +1 and allmulti +1, a local FDB entry for its
  MAC, and ``IFF_BRIDGE_PORT`` (a bridge port is *not* flagged SLAVE). Ports are kept newest
  first (``list_add_rcu``), which is the flooding order.
* Bridge MAC (``br_stp_recalculate_bridge_id``): unless the address was set by the user, the
  bridge takes the smallest port MAC; once its last port is gone it has 00:00:00:00:00:00
  (observed on the host 6.18 kernel). A fresh bridge keeps its random MAC until its first port.
* Carrier (``br_port_state_selection``): on when at least one port forwards, else off; it is
  recomputed whenever a port is enabled/disabled or the bridge id changes, so a fresh bridge
  without ports stays "UNKNOWN" with carrier (as the kernel does).
* MTU (``br_mtu_auto_adjust``): the smallest port MTU (1500 without ports) unless set by the user.
* The bridge is netns-immutable; a port that moves to another netns or is unregistered leaves
  the bridge (NETDEV_UNREGISTER); deleting the bridge releases every port first.

Units: ``ageing_time`` is kept in nanoseconds (``ageing_time_ns``); ``ageing_time_cs`` and
``set_ageing_time_cs`` speak the kernel's user unit, centiseconds (``IFLA_BR_AGEING_TIME``,
``/sys/class/net/BR/bridge/ageing_time``, the ``ageing_time`` of ``ip link ... type bridge``).
Not emulated: STP (``stp_state 1`` is stored and changes BR-05 only; ports still forward at once),
VLAN filtering, IGMP/MLD snooping queriers, proxy-ARP/neigh-suppress, backup ports, locked/MAB.
"""

from __future__ import annotations

import errno
import heapq

from ..stack.errors import (EADDRNOTAVAIL, EBUSY, EEXIST, EINVAL, ELOOP, ENETDOWN, ENOENT,
                            EOPNOTSUPP, KernelError)
from ..stack.kernel import (MODULE_ALIASES, MODULES, LinkKind, LinkRequest, apply_common,
                            register_kind)
from ..stack.netdev import (ARPHRD_ETHER, ETH_DATA_LEN, IFF_LOOPBACK, IFF_UP,
                            NETDEV_CHANGE, NETDEV_CHANGEADDR, NETDEV_CHANGEMTU,
                            NETDEV_CHANGEUPPER, NETDEV_DOWN, NETDEV_UNREGISTER, NETDEV_UP,
                            RX_HANDLER_CONSUMED, RX_HANDLER_PASS, NetDevice, dev_queue_xmit,
                            netif_rx, rx_handler_register, rx_handler_unregister)
from ..stack.skb import PACKET_HOST

__all__ = [
    "Bridge", "BridgePort", "FdbInfo", "BridgeKind", "bridge_of", "port_of",
    "BR_STATE_DISABLED", "BR_STATE_LISTENING", "BR_STATE_LEARNING", "BR_STATE_FORWARDING",
    "BR_STATE_BLOCKING", "BR_STATE_NAMES", "BR_DEFAULT_AGEING_TIME_NS", "PORT_FLAGS",
    "IFF_EBRIDGE", "IFF_BRIDGE_PORT",
]

NSEC_PER_SEC = 1_000_000_000
NSEC_PER_CS = 10_000_000            # one centisecond (clock_t, USER_HZ = 100)

# include/uapi/linux/if_bridge.h
BR_STATE_DISABLED = 0
BR_STATE_LISTENING = 1
BR_STATE_LEARNING = 2
BR_STATE_FORWARDING = 3
BR_STATE_BLOCKING = 4
BR_STATE_NAMES = ("disabled", "listening", "learning", "forwarding", "blocking")

BR_DEFAULT_AGEING_TIME_NS = 300 * NSEC_PER_SEC      # BR_DEFAULT_AGEING_TIME (300 * HZ)
BR_GC_MIN_INTERVAL_NS = 10_000_000                  # br_fdb_cleanup(): at least 10 ms apart
BR_GC_START_DELAY_NS = NSEC_PER_SEC // 10           # br_stp_enable_bridge(): HZ / 10
BR_MAX_PORTS = 1 << 10                              # BR_PORT_BITS = 10
BR_PORT_BITS = 10
BR_GROUPFWD_RESTRICTED = 0x0007                     # STP, PAUSE, LACP never forwardable
BR_GROUPFWD_MACPAUSE = 0x0002

# enum netdev_priv_flags (include/linux/netdevice.h)
IFF_EBRIDGE = 1 << 1
IFF_BRIDGE_PORT = 1 << 9

NET_ADDR_SET = 3

# drop reasons (SKB_DROP_REASON_* suffixes). The kernel frees a frame that has no egress port
# with plain kfree_skb() (NOT_SPECIFIED); NO_TX_TARGET is the real reason name that says it.
DROP_INVALID_SRC = "MAC_INVALID_SOURCE"
DROP_PAUSE = "MAC_IEEE_MAC_CONTROL"
DROP_STP_STATE = "BRIDGE_INGRESS_STP_STATE"
DROP_NO_TARGET = "NO_TX_TARGET"
DROP_DEV_READY = "DEV_READY"
DROP_TOO_BIG = "PKT_TOO_BIG"
DROP_SHORT = "PKT_TOO_SMALL"

_BR_PKT_UNICAST = 0
_BR_PKT_MULTICAST = 1
_BR_PKT_BROADCAST = 2

_ZERO_MAC = b"\x00" * 6
_BCAST_MAC = b"\xff" * 6
_LL_PREFIX = b"\x01\x80\xc2\x00\x00"                # 01:80:c2:00:00:0X (is_link_local_ether_addr)

PORT_FLAGS = ("learning", "flood", "mcast_flood", "bcast_flood", "hairpin", "isolated")


def _mac(m: bytes) -> str:
    return ":".join(f"{b:02x}" for b in m)


# ---------------------------------------------------------------------------------------------
# the forwarding database
# ---------------------------------------------------------------------------------------------

class FdbEntry:
    """struct net_bridge_fdb_entry. ``port`` None means the bridge device itself."""

    __slots__ = ("mac", "port", "is_local", "is_static", "added_by_user", "sticky",
                 "updated", "used")

    def __init__(self, mac: bytes, port, now: int, is_local: bool = False,
                 is_static: bool = False):
        self.mac = mac
        self.port = port
        self.is_local = is_local
        self.is_static = is_static
        self.added_by_user = False
        self.sticky = False
        self.updated = now
        self.used = now


class FdbInfo:
    """One FDB entry as ``bridge fdb show`` needs it (a snapshot; ages in ns at ``now``).

    ``dev`` is the port's device, or the bridge itself for entries that point at the bridge.
    ``is_local`` = ``permanent`` in iproute2 terms, ``is_static`` without local = ``static``,
    neither = a dynamic (learnt or ``dynamic``) entry."""

    __slots__ = ("mac", "dev", "is_local", "is_static", "added_by_user", "sticky", "age_ns",
                 "used_ns")

    def __init__(self, e: FdbEntry, br: "Bridge", now: int):
        self.mac = e.mac
        self.dev = e.port.dev if e.port is not None else br
        self.is_local = e.is_local
        self.is_static = e.is_static
        self.added_by_user = e.added_by_user
        self.sticky = e.sticky
        self.age_ns = now - e.updated
        self.used_ns = now - e.used

    @property
    def port(self):
        """The port's device (None when the entry points at the bridge itself)."""
        return None if isinstance(self.dev, Bridge) else self.dev

    def __repr__(self) -> str:
        kind = "permanent" if self.is_local else "static" if self.is_static else "dynamic"
        return f"<FdbInfo {_mac(self.mac)} dev {self.dev.name} {kind} age={self.age_ns}ns>"


# ---------------------------------------------------------------------------------------------
# a port
# ---------------------------------------------------------------------------------------------

class BridgePort:
    """struct net_bridge_port: one enslaved device. Its ``handle_frame`` is the device's
    rx_handler (``br_handle_frame``). Flags are plain booleans read on the hot path; change them
    through ``Bridge.port_set`` (validated) or directly."""

    __slots__ = ("br", "dev", "port_no", "priority", "path_cost", "admin_cost", "state",
                 "learning", "flood", "mcast_flood", "bcast_flood", "hairpin", "isolated",
                 "group_fwd_mask", "kernel", "engine")

    def __init__(self, br: "Bridge", dev: NetDevice, port_no: int):
        self.br = br
        self.dev = dev
        self.kernel = br.kernel
        self.engine = br.kernel.engine
        self.port_no = port_no
        self.priority = 0x8000 >> BR_PORT_BITS      # 32
        self.path_cost = port_cost(dev)
        self.admin_cost = False
        self.state = BR_STATE_DISABLED
        # new_nbp(): BR_LEARNING | BR_FLOOD | BR_MCAST_FLOOD | BR_BCAST_FLOOD
        self.learning = True
        self.flood = True
        self.mcast_flood = True
        self.bcast_flood = True
        self.hairpin = False
        self.isolated = False
        self.group_fwd_mask = 0

    @property
    def port_id(self) -> int:
        return (self.priority << BR_PORT_BITS) | (self.port_no & ((1 << BR_PORT_BITS) - 1))

    @property
    def state_name(self) -> str:
        return BR_STATE_NAMES[self.state]

    def __repr__(self) -> str:
        return f"<BridgePort {self.dev.name} of {self.br.name} {BR_STATE_NAMES[self.state]}>"

    # -- br_handle_frame() + br_handle_frame_finish(): the hot path ---------------------------
    # Literals stand for constants here (speed): 3 = BR_STATE_FORWARDING / RX_HANDLER_PASS,
    # 0 = RX_HANDLER_CONSUMED / PACKET_HOST, 5 = PACKET_LOOPBACK, 1 = IFF_UP.
    def handle_frame(self, skb):
        if skb.pkt_type == 5:                       # PACKET_LOOPBACK: not for the bridge
            return 3
        data = skb.data
        src = data[6:12]
        if data[6] & 1 or src == _ZERO_MAC:         # BR-01: invalid source, dropped on entry
            self._drop(skb, DROP_INVALID_SRC, "BR-01")
            return 0
        d0 = data[0]
        if self.state != 3 or (d0 == 1 and data[1:5] == b"\x80\xc2\x00\x00" and data[5] < 16):
            return self._handle_slow(skb, data, src)
        br = self.br
        fdb = br.fdb
        now = self.engine.now
        if self.learning and br.ageing_time_ns:     # BR-01
            e = fdb.get(src)
            if e is not None and e.port is self and not e.is_local:
                e.updated = now
            else:
                br._fdb_update(self, src, e, skb)
        dst = data[:6]
        if not d0 & 1:
            e = fdb.get(dst)
            if e is not None and not e.is_local and not br.promiscuity:
                # BR-03 known unicast; BR-04 should_deliver(); __br_forward() inlined.
                # (dst is not the bridge's MAC - that is a local entry - so pkt_type stays.)
                e.used = now
                to = e.port
                if ((to is not self or to.hairpin) and to.state == 3
                        and not (to.isolated and self.isolated)):
                    dev = to.dev
                    tr = self.kernel.trace
                    if tr is not None:
                        tr.hop(now, br.ns, br, skb, "br_forward",
                               f"{_mac(dst)} known on {dev.name} (BR-03)")
                    skb.dev = dev
                    if dev.flags & 1 and len(data) <= dev.mtu + 18:
                        dev_queue_xmit(skb)
                    else:
                        br._drop_egress(skb, dev)
                    return 0
                why = ("ingress port, hairpin off" if to is self else
                       "port not forwarding" if to.state != 3 else "isolated")
                self._drop(skb, DROP_NO_TARGET, "BR-04", f"{_mac(dst)} on {to.dev.name}: {why}")
                return 0
        if dst == br.addr:
            skb.pkt_type = 0                        # PACKET_HOST
        br._finish(skb, self, d0, dst, self.kernel.trace)
        return 0

    def _handle_slow(self, skb, data, src):
        """br_handle_frame() for link-local destinations and ports that are not forwarding."""
        d0 = data[0]
        if d0 == 1 and data[1:5] == b"\x80\xc2\x00\x00" and data[5] < 16:
            res = self._link_local(skb, data, src)
            if res is not None:
                return res
        state = self.state
        if state != BR_STATE_FORWARDING and state != BR_STATE_LEARNING:
            self._drop(skb, DROP_STP_STATE, "BR-04")
            return RX_HANDLER_CONSUMED
        br = self.br
        dst = data[:6]
        if dst == br.addr:
            skb.pkt_type = PACKET_HOST
        if self.learning and br.ageing_time_ns:
            e = br.fdb.get(src)
            if e is not None and e.port is self and not e.is_local:
                e.updated = self.engine.now
            else:
                br._fdb_update(self, src, e, skb)
        if state == BR_STATE_LEARNING:
            self._drop(skb, DROP_STP_STATE, "BR-04")
            return RX_HANDLER_CONSUMED
        br._finish(skb, self, d0, dst, self.kernel.trace)
        return RX_HANDLER_CONSUMED

    def _link_local(self, skb, data, src):
        """BR-05. None means "forward as usual"; otherwise the rx_handler result."""
        br = self.br
        low = data[5]
        fwd_mask = br.group_fwd_mask_required | self.group_fwd_mask
        if low == 0:
            if not br.stp_enabled or fwd_mask & 1:
                return None
        elif low == 1:
            self._drop(skb, DROP_PAUSE, "BR-05")
            return RX_HANDLER_CONSUMED
        else:
            fwd_mask |= br.group_fwd_mask
            if fwd_mask & (1 << low):
                return None
        # __br_handle_local_finish(): learn, then let the port's own stack have it
        if (self.learning and br.ageing_time_ns and not br.no_linklocal_learn
                and self.state in (BR_STATE_LEARNING, BR_STATE_FORWARDING)):
            br._fdb_update(self, src, br.fdb.get(src), skb)
        tr = self.kernel.trace
        if tr is not None:
            tr.hop(br.engine.now, self.dev.ns, self.dev, skb, "br_handle_frame",
                   f"link-local {_mac(data[:6])} passed up {self.dev.name} (BR-05)")
        return RX_HANDLER_PASS

    def _drop(self, skb, reason: str, rule: str, detail: str | None = None) -> None:
        tr = self.kernel.trace
        if tr is not None:
            now = self.kernel.engine.now
            if detail:
                tr.hop(now, self.dev.ns, self.dev, skb, "br_handle_frame", detail)
            tr.drop(now, self.dev.ns, self.dev, skb, reason, rule)


def port_cost(dev: NetDevice) -> int:
    """br_if.c: port_cost(), from the ethtool speed (``dev.ethtool_speed`` when a driver has one;
    veth reports 10000 Mb/s)."""
    speed = getattr(dev, "ethtool_speed", None)
    if speed is None and dev.kind == "veth":
        speed = 10000
    if speed is not None:
        if speed > 10000:
            return 1
        return {10000: 2, 5000: 3, 2500: 4, 1000: 4, 100: 19, 10: 100}.get(speed, 100)
    if dev.name.startswith("lec"):
        return 7
    if dev.name.startswith("plip"):
        return 2500
    return 100


# ---------------------------------------------------------------------------------------------
# the bridge device
# ---------------------------------------------------------------------------------------------

class Bridge(NetDevice):
    """The bridge net_device (``br_dev_setup``) and its ``struct net_bridge``."""

    kind = "bridge"
    max_mtu = 65535                 # ETH_MAX_MTU
    netns_immutable = True          # NETIF_F_NETNS_LOCAL: "The interface netns is immutable."

    def __init__(self, kernel, name: str):
        super().__init__(kernel, name)
        self.no_queue = True                         # IFF_NO_QUEUE, qlen stays 1000
        self.priv_flags |= IFF_EBRIDGE
        self.engine = kernel.engine
        kernel.request_module("bridge")              # the notifier (br_device_event)
        self.ports: list[BridgePort] = []            # newest first (list_add_rcu)
        self._port_nos_used: set[int] = set()
        self._port_nos_free: list[int] = []          # freed numbers (heap): lowest reused first
        self._port_no_next = 1
        self.fdb: dict[bytes, FdbEntry] = {}
        self.ageing_time_ns = BR_DEFAULT_AGEING_TIME_NS
        self.stp_enabled = False
        self.bridge_id = _ZERO_MAC                   # bridge_id.addr; starts all-zero
        self.priority = 0x8000
        self.forward_delay_cs = 1500
        self.hello_time_cs = 200
        self.max_age_cs = 2000
        self.group_fwd_mask = 0
        self.group_fwd_mask_required = 0
        self.group_address = b"\x01\x80\xc2\x00\x00\x00"
        self.no_linklocal_learn = False
        self.mcast_snooping = 1
        self.vlan_filtering = 0
        self.mtu_set_by_user = False
        self._gc_timer = None
        self._up_at = 0
        self._warned: set = set()

    # -- driver hooks ----------------------------------------------------------------------
    def ndo_init(self) -> None:
        # the bridge's own address is a local entry (``... dev br0 master br0 permanent``)
        self._fdb_add_local(None, self.addr)

    def ndo_open(self) -> None:
        """br_dev_open() -> br_stp_enable_bridge(): enable every running, oper-up port."""
        self._up_at = self.engine.now
        for p in list(self.ports):
            d = p.dev
            if d.flags & IFF_UP and d.oper_up():
                self._enable_port(p)
        self._gc_schedule(self.engine.now + BR_GC_START_DELAY_NS)

    def ndo_stop(self) -> None:
        """br_dev_stop() -> br_stp_disable_bridge()."""
        for p in list(self.ports):
            if p.state != BR_STATE_DISABLED:
                self._disable_port(p)
        self._gc_cancel()

    def ndo_change_mtu(self, mtu: int) -> None:
        self.mtu = mtu
        self.mtu_set_by_user = True                 # BROPT_MTU_SET_BY_USER

    def ndo_set_mac_address(self, mac: bytes) -> None:
        """br_set_mac_address()."""
        if len(mac) != 6 or mac[0] & 1 or mac == _ZERO_MAC:
            raise KernelError(EADDRNOTAVAIL)
        if self.reg_state != "REGISTERED":
            raise KernelError(EBUSY)
        if mac != self.addr:
            self._change_bridge_id(mac)

    def ndo_add_slave(self, dev: NetDevice) -> None:
        self.add_if(dev)

    def ndo_del_slave(self, dev: NetDevice) -> None:
        self.del_if(dev)

    def dellink(self, batch: list) -> None:
        """br_dev_delete(): release every port, drop the bridge's own entries, stop the gc."""
        for p in list(self.ports):
            self._del_if(p, False)
        self._fdb_delete_by_port(None, True)
        self._gc_cancel()
        batch.append(self)

    def uninit(self) -> None:
        for p in list(self.ports):
            self._del_if(p, False)
        self.fdb.clear()
        self._gc_cancel()

    def fill_info(self) -> dict:
        """IFLA_INFO_DATA (``ip -d link show``), raw values: times in centiseconds, ids as
        (priority, mac) tuples."""
        gc = self.gc_timer_ns()
        return {
            "forward_delay": self.forward_delay_cs, "hello_time": self.hello_time_cs,
            "max_age": self.max_age_cs, "ageing_time": self.ageing_time_cs,
            "stp_state": int(self.stp_enabled), "priority": self.priority,
            "vlan_filtering": self.vlan_filtering, "vlan_protocol": 0x8100,
            "bridge_id": (self.priority, self.bridge_id),
            "root_id": (self.priority, self.bridge_id), "root_port": 0, "root_path_cost": 0,
            "topology_change": 0, "topology_change_detected": 0,
            "hello_timer": 0, "tcn_timer": 0, "topology_change_timer": 0,
            "gc_timer": gc // NSEC_PER_CS,
            "group_fwd_mask": self.group_fwd_mask, "group_address": self.group_address,
            "mcast_snooping": self.mcast_snooping,
            "no_linklocal_learn": int(self.no_linklocal_learn),
        }

    # -- br_dev_xmit(): frames the bridge itself sends -----------------------------------------
    def ndo_start_xmit(self, skb) -> None:
        data = skb.data
        n = len(data)
        if n < 14:
            self._trace_drop(skb, self, DROP_SHORT, None)
            return
        self.tx_packets += 1
        self.tx_bytes += n
        if data[0] & 1:
            self._flood(skb, _BR_PKT_BROADCAST if data[:6] == _BCAST_MAC else _BR_PKT_MULTICAST,
                        False, None)
            return
        e = self.fdb.get(data[:6])
        if e is None:
            self._flood(skb, _BR_PKT_UNICAST, False, None)
            return
        to = e.port
        if to is None or to.state != BR_STATE_FORWARDING:
            self._trace_drop(skb, self, DROP_NO_TARGET, "BR-03" if to is None else "BR-04")
            return
        tr = self.kernel.trace
        if tr is not None:
            tr.hop(self.engine.now, self.ns, self, skb, "br_forward",
                   f"{_mac(data[:6])} known on {to.dev.name} (BR-03)")
        self._forward(to, skb)

    # -- forwarding helpers ------------------------------------------------------------------
    def _finish(self, skb, p: BridgePort, d0: int, dst: bytes, tr) -> None:
        """br_handle_frame_finish() after learning, for an accepted frame from port ``p``
        (BR-03 / BR-04): everything but the fast known-unicast case."""
        local_rcv = self.promiscuity > 0
        if d0 & 1:
            if dst == _BCAST_MAC:
                self._flood(skb, _BR_PKT_BROADCAST, True, p)
                self._pass_up(skb, tr, "broadcast")
            else:
                self.multicast += 1
                self._flood(skb, _BR_PKT_MULTICAST, True, p)
                self._pass_up(skb, tr, "multicast")
            return
        e = self.fdb.get(dst)
        if e is None:
            self._flood(skb, _BR_PKT_UNICAST, local_rcv, p)
        elif e.is_local:
            self._pass_up(skb, tr, "local fdb entry")
            return
        else:
            e.used = self.engine.now
            to = e.port
            if ((to is not p or to.hairpin) and to.state == BR_STATE_FORWARDING
                    and not (to.isolated and p.isolated)):
                if tr is not None:
                    tr.hop(self.engine.now, self.ns, self, skb, "br_forward",
                           f"{_mac(dst)} known on {to.dev.name} (BR-03)")
                self._forward(to, skb.clone() if local_rcv else skb)
            elif not local_rcv:
                why = ("ingress port, hairpin off" if to is p else
                       "port not forwarding" if to.state != BR_STATE_FORWARDING else "isolated")
                p._drop(skb, DROP_NO_TARGET, "BR-04", f"{_mac(dst)} on {to.dev.name}: {why}")
                return
        if local_rcv:
            self._pass_up(skb, tr, "promiscuous bridge")

    def _forward(self, to: BridgePort, skb) -> None:
        """__br_forward() + br_dev_queue_push_xmit(): is_skb_forwardable(), dev_queue_xmit()."""
        dev = to.dev
        skb.dev = dev
        if dev.flags & IFF_UP and len(skb.data) <= dev.mtu + 18:
            dev_queue_xmit(skb)
        else:
            self._drop_egress(skb, dev)

    def _drop_egress(self, skb, dev) -> None:
        self._trace_drop(skb, dev, DROP_DEV_READY if not dev.flags & IFF_UP else DROP_TOO_BIG,
                         "CORE-03")

    def _flood(self, skb, pkt_type: int, local_rcv: bool, ingress) -> None:
        """br_flood(). ``ingress`` is the port the frame came in on (None: the bridge sent it)."""
        prev = None
        src_isolated = ingress is not None and ingress.isolated
        tr = self.kernel.trace
        names = [] if tr is not None else None
        for p in self.ports:
            if pkt_type == _BR_PKT_UNICAST:
                if not p.flood:
                    continue
            elif pkt_type == _BR_PKT_MULTICAST:
                if not p.mcast_flood and ingress is not None:
                    continue
            elif not p.bcast_flood and ingress is not None:
                continue
            # should_deliver() (BR-04)
            if ((p is ingress and not p.hairpin) or p.state != BR_STATE_FORWARDING
                    or (src_isolated and p.isolated)):
                continue
            if prev is not None:
                self._forward(prev, skb.clone())
            if names is not None:
                names.append(p.dev.name)
            prev = p
        if tr is not None:
            what = ("unknown unicast", "multicast", "broadcast")[pkt_type]
            tr.hop(self.engine.now, self.ns, self, skb, "br_flood",
                   f"{what} -> [{', '.join(names)}] (BR-03/BR-04)")
        if prev is None:
            if not local_rcv:
                self._trace_drop(skb, self, DROP_NO_TARGET, "BR-04")
            return
        self._forward(prev, skb.clone() if local_rcv else skb)

    def _pass_up(self, skb, tr, why: str) -> None:
        """br_pass_frame_up(): count rx on the bridge (without the Ethernet header, as
        dev_sw_netstats_rx_add(skb->len) does after eth_type_trans) and receive on it."""
        self.rx_packets += 1
        self.rx_bytes += len(skb.data) - 14
        if tr is not None:
            tr.hop(self.engine.now, self.ns, self, skb, "br_pass_frame_up", f"{why} (BR-03)")
        skb.dev = self
        skb.iif = 0
        netif_rx(skb)

    def _trace_drop(self, skb, dev, reason: str, rule: str | None) -> None:
        tr = self.kernel.trace
        if tr is not None:
            tr.drop(self.engine.now, dev.ns, dev, skb, reason, rule)

    # -- FDB (br_fdb.c) ---------------------------------------------------------------------
    def _fdb_update(self, p: BridgePort, src: bytes, e: FdbEntry | None, skb=None) -> None:
        """br_fdb_update(), the slow cases: new entry, roaming, own address."""
        if not self.ageing_time_ns:
            return
        now = self.engine.now
        tr = self.kernel.trace
        if e is None:
            e = FdbEntry(src, p, now)
            self.fdb[src] = e
            if self._gc_timer is None:
                self._gc_schedule(now + self.ageing_time_ns, False)
            if tr is not None:
                tr.hop(now, self.ns, self, skb, "br_fdb_update",
                       f"learnt {_mac(src)} on {p.dev.name} (BR-01)")
            return
        if e.is_local:
            # "received packet on X with own address as source address": never learnt
            if tr is not None:
                tr.hop(now, self.ns, self, skb, "br_fdb_update",
                       f"own address {_mac(src)} as source on {p.dev.name}: not learnt (BR-01)")
            return
        e.updated = now
        if e.port is not p and not e.sticky:
            if tr is not None:
                old = e.port.dev.name if e.port is not None else self.name
                tr.hop(now, self.ns, self, skb, "br_fdb_update",
                       f"{_mac(src)} roams {old} -> {p.dev.name} (BR-01)")
            e.port = p

    def _fdb_add_local(self, p: BridgePort | None, addr: bytes) -> None:
        """fdb_add_local(): a local+static entry, replacing a learnt one."""
        if addr[0] & 1 or addr == _ZERO_MAC:
            return
        e = self.fdb.get(addr)
        if e is not None:
            if e.is_local:
                return                               # several ports may share one address
            del self.fdb[addr]
        self.fdb[addr] = FdbEntry(addr, p, self.engine.now, is_local=True, is_static=True)

    def _fdb_delete_local(self, p: BridgePort | None, e: FdbEntry) -> None:
        """fdb_delete_local(): hand a local entry over to another owner of the same MAC."""
        for op in self.ports:
            if op is not p and op.dev.addr == e.mac:
                e.port = op
                e.added_by_user = False
                return
        if p is not None and self.addr == e.mac:
            e.port = None
            e.added_by_user = False
            return
        self.fdb.pop(e.mac, None)

    def _fdb_delete_by_port(self, p: BridgePort | None, do_all: bool) -> None:
        """br_fdb_delete_by_port() / br_fdb_cleanup_by_dst()."""
        for e in [e for e in self.fdb.values() if e.port is p]:
            if not do_all and e.is_static:
                continue
            if e.is_local:
                self._fdb_delete_local(p, e)
            else:
                del self.fdb[e.mac]

    def _fdb_change_mac_address(self, newaddr: bytes) -> None:
        e = self.fdb.get(self.addr)
        if e is not None and e.is_local and e.port is None and not e.added_by_user:
            self._fdb_delete_local(None, e)
        self._fdb_add_local(None, newaddr)

    # -- ageing (br_fdb_cleanup) --------------------------------------------------------------
    def _gc_schedule(self, when: int, check: bool = True) -> None:
        """Arm the collector for ``when`` (callers know the bridge is up or opening). With
        ``check`` it is armed only if a dynamic entry exists."""
        if check and all(e.is_static for e in self.fdb.values()):
            return
        t = self._gc_timer
        if t is not None and not t.cancelled:
            if t.when <= when:
                return
            t.cancel()
        self._gc_timer = self.engine.call_at(when, self._gc_run)

    def _gc_cancel(self) -> None:
        if self._gc_timer is not None:
            self._gc_timer.cancel()
            self._gc_timer = None

    def _gc_run(self) -> None:
        self._gc_timer = None
        now = self.engine.now
        hold = self.ageing_time_ns
        nxt = None
        for e in list(self.fdb.values()):
            if e.is_static:
                continue
            t = e.updated + hold
            if t > now:
                if nxt is None or t < nxt:
                    nxt = t
            else:
                del self.fdb[e.mac]
        if nxt is not None:
            self._gc_timer = self.engine.call_at(max(nxt, now + BR_GC_MIN_INTERVAL_NS),
                                                 self._gc_run)

    def gc_timer_ns(self) -> int:
        """Time left on the garbage-collection work (``gc_timer`` of ``ip -d link``).
        [EMU] while no dynamic entry exists the kernel's periodic gc is replayed from the time
        the bridge came up (first run HZ/10 after open, then every ageing_time)."""
        if not self.flags & IFF_UP:
            return 0
        now = self.engine.now
        t = self._gc_timer
        if t is not None and not t.cancelled:
            return max(0, t.when - now)
        first = self._up_at + BR_GC_START_DELAY_NS
        if now < first:
            return first - now
        period = max(self.ageing_time_ns, BR_GC_MIN_INTERVAL_NS)
        return period - (now - first) % period

    # -- ports (br_if.c) ----------------------------------------------------------------------
    def add_if(self, dev: NetDevice) -> BridgePort:
        """br_add_if(): enslave ``dev`` (``ip link set DEV master BR``)."""
        if (dev.flags & IFF_LOOPBACK or dev.type != ARPHRD_ETHER or dev.addr_len != 6
                or dev.addr[0] & 1 or dev.addr == _ZERO_MAC):
            raise KernelError(EINVAL)
        if isinstance(dev, Bridge):
            raise KernelError(ELOOP, "Can not enslave a bridge to a bridge")
        if dev.master is not None:
            raise KernelError(EBUSY)
        if getattr(dev, "dont_bridge", False):           # IFF_DONT_BRIDGE
            raise KernelError(EOPNOTSUPP, "Device does not allow enslaving to a bridge")
        if dev.ns is not self.ns:
            raise KernelError(EINVAL)
        port_no = self._alloc_port_no()
        if port_no is None:
            raise KernelError(errno.EXFULL)
        p = BridgePort(self, dev, port_no)
        dev.allmulti += 1
        try:
            rx_handler_register(dev, p.handle_frame, p)      # CORE-01: EBUSY / EINVAL
        except KernelError:
            dev.allmulti -= 1
            raise
        dev.priv_flags |= IFF_BRIDGE_PORT
        dev.master = self
        self.ports.insert(0, p)
        self._port_nos_used.add(port_no)
        dev.promiscuity += 1                                  # br_manage_promisc()
        self._fdb_add_local(p, dev.addr)
        # br_stp_recalculate_bridge_id(): the smallest port MAC; with one more port the minimum
        # can only move to the new port's MAC (the full scan is kept for removals)
        changed = False
        if self.addr_assign_type != NET_ADDR_SET and (len(self.ports) == 1
                                                      or dev.addr < self.bridge_id):
            if dev.addr != self.bridge_id:
                self._change_bridge_id(dev.addr)
                changed = True
        if dev.flags & IFF_UP and dev.oper_up() and self.flags & IFF_UP:
            self._enable_port(p)
        if changed:
            self.kernel.notify(NETDEV_CHANGEADDR, self)
        if not self.mtu_set_by_user and (len(self.ports) == 1 or dev.mtu < self.mtu):
            self._mtu_auto_adjust()
        self.kernel.notify(NETDEV_CHANGEUPPER, dev, upper=self, linking=True)
        return p

    def del_if(self, dev: NetDevice) -> None:
        """br_del_if() (``ip link set DEV nomaster``)."""
        p = port_of(dev)
        if p is None or p.br is not self:
            raise KernelError(EINVAL)
        self._del_if(p)

    def _del_if(self, p: BridgePort, full: bool = True) -> None:
        """del_nbp(); with ``full`` also the rest of br_del_if() (MTU, bridge id)."""
        dev = p.dev
        dev.allmulti -= 1
        dev.promiscuity -= 1
        self._disable_port(p)
        self.ports.remove(p)
        self._port_nos_used.discard(p.port_no)
        heapq.heappush(self._port_nos_free, p.port_no)
        self._fdb_delete_by_port(p, True)
        dev.master = None
        dev.priv_flags &= ~IFF_BRIDGE_PORT
        rx_handler_unregister(dev)
        self.kernel.notify(NETDEV_CHANGEUPPER, dev, upper=self, linking=False)
        if not full or self.reg_state != "REGISTERED":
            return
        self._mtu_auto_adjust()
        if self._recalc_bridge_id():
            self.kernel.notify(NETDEV_CHANGEADDR, self)

    def _alloc_port_no(self) -> int | None:
        """find_portno(): the lowest free port number (1..BR_MAX_PORTS-1)."""
        free = self._port_nos_free
        while free:
            n = heapq.heappop(free)
            if n not in self._port_nos_used:
                return n
        n = self._port_no_next
        if n >= BR_MAX_PORTS:
            return None
        self._port_no_next = n + 1
        return n

    def port(self, dev: NetDevice) -> BridgePort:
        p = port_of(dev)
        if p is None or p.br is not self:
            raise KernelError(EINVAL)
        return p

    # -- port state (br_stp_if.c, STP off) ------------------------------------------------------
    def _enable_port(self, p: BridgePort) -> None:
        """br_stp_enable_port(): br_init_port() (blocking) + br_port_state_selection()."""
        if not p.admin_cost:
            p.path_cost = port_cost(p.dev)
        p.state = BR_STATE_BLOCKING
        # br_port_state_selection() with STP off: a blocking port forwards at once, and one
        # forwarding port is enough for carrier - no need to walk the other ports
        p.state = BR_STATE_FORWARDING
        self.carrier_on()

    def _disable_port(self, p: BridgePort) -> None:
        """br_stp_disable_port(): disabled, dynamic entries of the port flushed."""
        p.state = BR_STATE_DISABLED
        self._fdb_delete_by_port(p, False)
        self._state_selection()

    def _state_selection(self) -> None:
        """br_port_state_selection() with STP off: every designated port goes straight from
        blocking to forwarding; carrier on iff a port forwards."""
        live = 0
        for p in self.ports:
            if p.state == BR_STATE_DISABLED:
                continue
            if p.state == BR_STATE_BLOCKING:
                p.state = BR_STATE_FORWARDING               # br_make_forwarding(), BR_NO_STP
            if p.state == BR_STATE_FORWARDING:
                live += 1
        if live:
            self.carrier_on()
        else:
            self.carrier_off()

    def _port_carrier_check(self, p: BridgePort) -> None:
        """br_port_carrier_check() (NETDEV_CHANGE on a port)."""
        dev = p.dev
        up = bool(dev.flags & IFF_UP) and dev.oper_up()
        if up and not p.admin_cost:
            p.path_cost = port_cost(dev)
        if not self.flags & IFF_UP:
            return
        if up:
            if p.state == BR_STATE_DISABLED:
                self._enable_port(p)
        elif p.state != BR_STATE_DISABLED:
            self._disable_port(p)

    def set_port_state(self, dev: NetDevice, state: int) -> None:
        """br_set_port_state() (``bridge link set dev X state N``)."""
        p = self.port(dev)
        if not 0 <= state <= BR_STATE_BLOCKING:
            raise KernelError(EINVAL)
        if self.stp_enabled:
            raise KernelError(EBUSY)
        if not self.flags & IFF_UP or (not (dev.flags & IFF_UP and dev.oper_up())
                                        and state != BR_STATE_DISABLED):
            raise KernelError(ENETDOWN)
        p.state = state
        self._state_selection()

    def port_set(self, dev: NetDevice, **flags) -> None:
        """Set per-port flags by name: learning, flood, mcast_flood, bcast_flood, hairpin,
        isolated (bools), group_fwd_mask (int), priority (0..63), cost (1..65535)."""
        p = self.port(dev)
        for k, v in flags.items():
            if k in PORT_FLAGS:
                setattr(p, k, bool(v))
            elif k == "group_fwd_mask":
                if v & BR_GROUPFWD_MACPAUSE or not 0 <= v <= 0xFFFF:
                    raise KernelError(EINVAL)
                p.group_fwd_mask = v
            elif k == "priority":
                if not 0 <= v <= (0xFFFF >> BR_PORT_BITS):
                    from ..stack.errors import ERANGE
                    raise KernelError(ERANGE)
                p.priority = v
            elif k == "cost":
                if not 1 <= v <= 65535:
                    from ..stack.errors import ERANGE
                    raise KernelError(ERANGE)
                p.path_cost = v
                p.admin_cost = True
            else:
                raise KernelError(EINVAL)

    # -- bridge id, MAC, MTU --------------------------------------------------------------------
    def _recalc_bridge_id(self) -> bool:
        """br_stp_recalculate_bridge_id(): the smallest port MAC, zero without ports."""
        if self.addr_assign_type == NET_ADDR_SET:
            return False
        addr = None
        for p in self.ports:
            a = p.dev.addr
            if addr is None or a < addr:
                addr = a
        if addr is None:
            addr = _ZERO_MAC
        if addr == self.bridge_id:
            return False
        self._change_bridge_id(addr)
        return True

    def _change_bridge_id(self, addr: bytes) -> None:
        """br_stp_change_bridge_id()."""
        self._fdb_change_mac_address(addr)
        self.bridge_id = addr
        self.addr = addr
        self._state_selection()

    def _port_changeaddr(self, p: BridgePort) -> None:
        """NETDEV_CHANGEADDR on a port: br_fdb_changeaddr() + bridge id recalculation."""
        for e in [e for e in self.fdb.values()
                  if e.port is p and e.is_local and not e.added_by_user]:
            self._fdb_delete_local(p, e)
            break
        self._fdb_add_local(p, p.dev.addr)
        if self._recalc_bridge_id():
            self.kernel.notify(NETDEV_CHANGEADDR, self)

    def _mtu_auto_adjust(self) -> None:
        """br_mtu_auto_adjust()."""
        if self.mtu_set_by_user:
            return
        mtu = min((p.dev.mtu for p in self.ports), default=ETH_DATA_LEN)
        self.kernel.dev_set_mtu(self, mtu)
        self.mtu_set_by_user = False

    # -- public configuration API ---------------------------------------------------------------
    @property
    def ageing_time_cs(self) -> int:
        """ageing_time in centiseconds (the kernel's user unit)."""
        return self.ageing_time_ns // NSEC_PER_CS

    def set_ageing_time_cs(self, cs: int) -> None:
        """br_set_ageing_time(): ``ip link set BR type bridge ageing_time CS``."""
        if cs < 0:
            raise KernelError(EINVAL)
        self.set_ageing_time_ns(cs * NSEC_PER_CS)

    def set_ageing_time_ns(self, ns: int) -> None:
        self.ageing_time_ns = int(ns)
        # mod_delayed_work(gc_work, 0): collect at once under the new hold time
        if self.flags & IFF_UP:
            self._gc_cancel()
            self._gc_schedule(self.engine.now)

    def set_group_fwd_mask(self, mask: int) -> None:
        if mask & BR_GROUPFWD_RESTRICTED or not 0 <= mask <= 0xFFFF:
            raise KernelError(EINVAL)
        self.group_fwd_mask = mask

    def set_stp_state(self, on: int) -> None:
        """Stored; changes BR-05 only (the STP state machine is not emulated)."""
        self.stp_enabled = bool(on)

    def changelink_data(self, data: dict) -> None:
        """IFLA_INFO_DATA from ``ip link add/set ... type bridge KEY VALUE``: keys are the
        iproute2 option names, values already parsed (times in centiseconds)."""
        if not data:
            return
        for k in data:
            if k not in _BR_OPTS:
                raise KernelError(EOPNOTSUPP, f"bridge option {k!r} is not emulated")
        if "group_fwd_mask" in data:
            m = data["group_fwd_mask"]
            if m & BR_GROUPFWD_RESTRICTED or not 0 <= m <= 0xFFFF:
                raise KernelError(EINVAL)
        if data.get("vlan_filtering"):
            raise KernelError(EOPNOTSUPP, "vlan_filtering is not emulated")
        for k, v in data.items():
            if k == "ageing_time":
                self.set_ageing_time_cs(v)
            elif k == "stp_state":
                self.set_stp_state(v)
            elif k == "group_fwd_mask":
                self.group_fwd_mask = v
            elif k == "priority":
                self.priority = v
            elif k == "forward_delay":
                self.forward_delay_cs = v
            elif k == "hello_time":
                self.hello_time_cs = v
            elif k == "max_age":
                self.max_age_cs = v
            elif k == "no_linklocal_learn":
                self.no_linklocal_learn = bool(v)
            elif k == "mcast_snooping":
                self.mcast_snooping = int(v)
            elif k == "vlan_filtering":
                self.vlan_filtering = 0
            elif k == "group_address":
                self.group_address = v

    # -- FDB API (``bridge fdb``) -----------------------------------------------------------------
    def fdb_entries(self) -> list[FdbInfo]:
        """Every entry, newest first (the kernel's fdb_list order, as ``bridge fdb show``)."""
        now = self.engine.now
        return [FdbInfo(e, self, now) for e in reversed(self.fdb.values())]

    def fdb_lookup(self, mac: bytes) -> FdbInfo | None:
        e = self.fdb.get(bytes(mac))
        return FdbInfo(e, self, self.engine.now) if e is not None else None

    def fdb_add(self, mac: bytes, dev: NetDevice | None = None, state: str = "permanent",
                sticky: bool = False, replace: bool = False) -> None:
        """br_fdb_add() / fdb_add_entry(): ``bridge fdb add|replace MAC dev PORT master
        [permanent|static|dynamic] [sticky]``. ``dev`` None or the bridge = an entry pointing at
        the bridge (must be permanent). Without ``replace`` an existing entry is EEXIST."""
        mac = bytes(mac)
        if len(mac) != 6 or mac == _ZERO_MAC:
            raise KernelError(EINVAL)
        if state not in ("permanent", "static", "dynamic"):
            raise KernelError(EINVAL, "FDB entry with unknown state")
        p = None if dev is None or dev is self else self.port(dev)
        if p is None and state != "permanent":
            raise KernelError(EINVAL)
        if sticky and (state == "permanent" or p is None):
            raise KernelError(EINVAL)
        now = self.engine.now
        e = self.fdb.get(mac)
        if e is None:
            e = FdbEntry(mac, p, now)
            self.fdb[mac] = e
        else:
            if not replace:
                raise KernelError(EEXIST)
            e.port = p
        e.is_local = state == "permanent"
        e.is_static = state != "dynamic"
        e.sticky = sticky
        e.added_by_user = True
        e.updated = now
        e.used = now
        if not e.is_static and self._gc_timer is None and self.flags & IFF_UP:
            self._gc_schedule(now + self.ageing_time_ns, False)

    def fdb_del(self, mac: bytes, dev: NetDevice | None = None) -> None:
        """fdb_delete_by_addr_and_port(): ENOENT unless the entry points at ``dev``."""
        mac = bytes(mac)
        p = None if dev is None or dev is self else self.port(dev)
        e = self.fdb.get(mac)
        if e is None or e.port is not p:
            raise KernelError(ENOENT)
        del self.fdb[mac]

    def fdb_flush(self, dev: NetDevice | None = None, dynamic_only: bool = True) -> None:
        """Drop learnt/dynamic entries (of one port, or all): ``bridge fdb flush``-like."""
        p = self.port(dev) if dev is not None and dev is not self else None
        for e in list(self.fdb.values()):
            if (p is None or e.port is p) and not (dynamic_only and e.is_static):
                del self.fdb[e.mac]


_BR_OPTS = frozenset({"ageing_time", "stp_state", "group_fwd_mask", "priority", "forward_delay",
                      "hello_time", "max_age", "no_linklocal_learn", "mcast_snooping",
                      "vlan_filtering", "group_address"})


def bridge_of(dev: NetDevice) -> Bridge | None:
    """The bridge ``dev`` is a port of (None if it is not a bridge port)."""
    p = dev.rx_handler_data
    return p.br if type(p) is BridgePort else None


def port_of(dev: NetDevice) -> BridgePort | None:
    """br_port_get_rtnl(): the port object of a bridge port."""
    p = dev.rx_handler_data
    return p if type(p) is BridgePort else None


# ---------------------------------------------------------------------------------------------
# the netdevice notifier (br.c: br_device_event) and the rtnl kind
# ---------------------------------------------------------------------------------------------

def br_device_event(event: str, dev: NetDevice, **info) -> None:
    p = dev.rx_handler_data
    if type(p) is not BridgePort:
        if event == NETDEV_UP and type(dev) is Bridge and dev.lw_pending and dev.carrier:
            # ndo_open() ran before IFF_UP was set; in the kernel netif_running() is already
            # true there, so a carrier-on from it is urgent for linkwatch. Re-fire it now.
            dev.kernel.linkwatch.fire(dev)
        return
    br = p.br
    if event == NETDEV_CHANGE:
        br._port_carrier_check(p)
    elif event == NETDEV_DOWN:
        if br.flags & IFF_UP:
            br._disable_port(p)
    elif event == NETDEV_UP:
        if br.flags & IFF_UP and dev.oper_up():
            br._enable_port(p)
    elif event == NETDEV_UNREGISTER:
        br._del_if(p)
    elif event == NETDEV_CHANGEADDR:
        br._port_changeaddr(p)
    elif event == NETDEV_CHANGEMTU:
        br._mtu_auto_adjust()


def _load_bridge_module(kernel) -> None:
    """modprobe bridge: hook the notifier into this kernel's chain."""
    kernel.notifiers.append(br_device_event)


MODULES["bridge"] = _load_bridge_module
MODULE_ALIASES["rtnl-link-bridge"] = "bridge"


class BridgeKind(LinkKind):
    kind = "bridge"
    template = "bridge%d"

    def validate(self, req: LinkRequest) -> None:
        if req.mtu is not None and not 68 <= req.mtu <= 65535:
            raise KernelError(EINVAL)

    def newlink(self, kernel, ns, req: LinkRequest) -> Bridge:
        kernel.request_module("bridge")
        dev = Bridge(kernel, req.name or ns.alloc_name("bridge%d"))
        apply_common(kernel, dev, req)
        if req.data:
            dev.changelink_data(req.data)
        kernel.register_netdevice(dev, ns)
        return dev

    def changelink(self, dev: NetDevice, req: LinkRequest) -> None:
        dev.changelink_data(req.data)


register_kind(BridgeKind())
