"""MACVLAN and MACVTAP (drivers/net/macvlan.c, drivers/net/macvtap.c, drivers/net/tap.c),
kernel-spec §2 (MV-*) and §3 (MVT-*).

One ``MacvlanPort`` per lower device is that device's rx_handler (``macvlan_handle_frame``); every
macvlan / macvtap on the lower is a ``Macvlan`` (``Macvtap``) netdev that transmits through it.

Creation and configuration (``macvlan_common_newlink()``, ``macvlan_changelink()``):

* MV-01/02  modes private=1 vepa=2 bridge=4 passthru=8 source=16, default vepa; flags
            nopromisc=1 nodst=2; anything else EINVAL (``macvlan_validate``).
* MV-03     the lower must be ARPHRD_ETHER and not loopback (EINVAL), with a free rx_handler
            slot (EBUSY); a macvlan given as lower stands for its own lower (no nesting).
* MV-04     MTU defaults to the lower's; more than the lower's is EINVAL (create and change);
            max_mtu is the lower's max_mtu; a lower MTU drop lowers bigger macvlans.
* MV-05     random MAC unless given; an invalid one is EADDRNOTAVAIL; no uniqueness check here.
* MV-06     ``ndo_open``: EADDRINUSE when the MAC is the lower's (not passthru) or that of
            another macvlan of the port that is UP (only UP macvlans are in the port hash).
* MV-07     MAC change: invalid EADDRNOTAVAIL, own MAC a no-op, busy EADDRINUSE even while down,
            passthru forwards it to the lower (and follows the lower's own changes).
* MV-08     passthru: alone on its lower (EINVAL both ways), inherits the lower MAC, takes a
            promiscuity reference on the lower while UP unless nopromisc, the lower MAC is
            restored when the port goes; changelink into / out of passthru is EINVAL.
* MV-09     opening a non-passthru macvlan adds its MAC to the lower's unicast list (a lower
            without IFF_UNICAST_FLT - veth, bridge - then goes promiscuous, as on the kernel);
            the macvlan's PROMISC / ALLMULTI are propagated; its uc/mc lists are synced.
* MV-10     deleting the lower deletes its macvlans; moving it does not; PRE_TYPE_CHANGE is
            vetoed (EPERM); the port goes with the last macvlan.
* MV-11     carrier / dormant / testing follow the lower (NETDEV_UP/DOWN/CHANGE), never UP/DOWN.
* MV-12     iflink is the lower's ifindex, link netns the lower's netns.

Receive (``MacvlanPort.handle_frame``):

* MV-RX-01  PACKET_LOOPBACK passes.
* MV-RX-02  unicast: source-mode clones (``__netif_rx``; nodst consumes), then passthru takes
            everything (pkt_type HOST), else the destination MAC among UP macvlans: none or
            source mode -> PASS, else ANOTHER with pkt_type HOST. No source-MAC test.
* MV-RX-03  group: IPv4 fragments reassembled first (``ip_check_defrag``, IP_DEFRAG_MACVLAN),
            source-mode clones, then the table by source (private/passthru/source source: only
            itself, CONSUMED; vepa: vepa+bridge but itself; bridge: vepa; external: all but
            source mode), the lower's stack keeps it (PASS).
* MV-RX-04  per-macvlan filter: subscribed groups (its mc list), broadcast, or all when
            promiscuous/allmulti. [EMU] exact set, where the kernel's 8-bit hash mixes in the
            macvlan's address (false positives differ per boot).
* MV-RX-05  port filter: ``mc_hash`` (exact kernel hash, 256 bits) of the groups synced to the
            lower by macvlans, plus broadcast; all when the lower is PROMISC or ALLMULTI.
* MV-RX-06  bc_filter (groups synced by more than ``bclim`` macvlans, plus broadcast; none with
            bclim < 0) -> one per-port queue of ``max(bcqueuelen)`` frames processed by a work
            item (engine ``call_soon``); overflow counts rx_dropped on the lower.
* MV-RX-07  PAUSE (0x8808) is never flooded.

Transmit (``Macvlan.ndo_start_xmit``, ``macvlan_queue_xmit``):

* MV-TX-01  bridge mode, group destination: ``dev_forward_skb`` copies to the other UP bridge
            macvlans passing their filter, then out of the lower.
* MV-TX-02  bridge mode, unicast to an UP bridge macvlan: ``dev_forward_skb(lower)``.
* MV-TX-03/04  everything else: ``skb.dev = lower``; ``dev_queue_xmit``.

Source mode (MV-SRC-01/02): ``macaddr`` add / del / flush / set only in source mode (EINVAL
otherwise); leaving source mode flushes the list.

MACVTAP (``Macvtap``, MVT-01..08): the macvtap netdev has its own rx_handler
(``tap_handle_frame``): with no open queue it passes (MVT-03: the netdev's own stack), else the
frame goes to a queue (MVT-04: by flow hash when several; ring = ``tx_queue_len``, default 500;
full -> rx_errors/rx_dropped on the macvtap). ``Macvtap.open()`` returns a ``TapFile``, the
in-memory stand-in for an open ``/dev/tapN`` (N = ifindex, MVT-02): ``read`` (one frame, vnet
header first, truncated to the buffer, EAGAIN when empty), ``write`` (vnet header then >= 14
bytes of frame, sent with dev_queue_xmit on the macvtap, MVT-06), ``set_iff`` (TUNSETIFF,
MVT-05), ``close``. Nothing here does I/O.

``LinkRequest.data`` accepted by kinds "macvlan" and "macvtap" (values as iproute2 takes them):

    {"mode": "private" | "vepa" | "bridge" | "passthru" | "source" | <int>,
     "flags": <int>,                  # IFLA_MACVLAN_FLAGS, replaces the flags
     "nopromisc": True, "nodst": True,  # iproute2 style: flags = OR of those given (+ "flags")
     "macaddr": ("add", MAC) | ("del", MAC) | ("set", [MAC, ...]) | ("flush",) | "flush",
     "bcqueuelen": <u32>,             # IFLA_MACVLAN_BC_QUEUE_LEN
     "bclim": <s32>}                  # IFLA_MACVLAN_BC_CUTOFF (port-wide)

MACs are bytes or "aa:bb:cc:dd:ee:ff". Unknown keys are EINVAL. ``fill_info()`` returns the
kernel's IFLA_MACVLAN_* values: mode, flags, macaddr_count, macaddr_data (when any),
bc_queue_len, bc_queue_len_used, bc_cutoff (only when not 1).
"""

from __future__ import annotations

import zlib
from collections import deque

from ..stack.errors import (EADDRINUSE, EADDRNOTAVAIL, EAGAIN, EBUSY, EINVAL, ENODEV, ENOENT,
                            ENXIO, EPERM, KernelError)
from ..stack.kernel import (MODULE_ALIASES, MODULES, LinkKind, LinkRequest, apply_common,
                            register_kind)
from ..stack.netdev import (ARPHRD_ETHER, IFF_LOOPBACK, IFF_UP, NETDEV_CHANGE,
                            NETDEV_CHANGEADDR, NETDEV_CHANGEMTU, NETDEV_CHANGEUPPER, NETDEV_DOWN,
                            NETDEV_PRE_TYPE_CHANGE, NETDEV_UNREGISTER, NETDEV_UP, NetDevice,
                            dev_forward_skb, dev_queue_xmit, dev_set_allmulti,
                            dev_set_promiscuity, dev_set_rx_mode, dev_uc_add, dev_uc_del,
                            netif_rx, rx_handler_register, rx_handler_unregister)
from ..stack.skb import Skb

__all__ = [
    "Macvlan", "Macvtap", "MacvlanPort", "TapFile", "MacvlanKind", "MacvtapKind",
    "macvlan_port_of", "open_tap",
    "MACVLAN_MODE_PRIVATE", "MACVLAN_MODE_VEPA", "MACVLAN_MODE_BRIDGE", "MACVLAN_MODE_PASSTHRU",
    "MACVLAN_MODE_SOURCE", "MODE_NAMES", "MACVLAN_FLAG_NOPROMISC", "MACVLAN_FLAG_NODST",
    "MACVLAN_MACADDR_ADD", "MACVLAN_MACADDR_DEL", "MACVLAN_MACADDR_FLUSH", "MACVLAN_MACADDR_SET",
    "MACVLAN_DEFAULT_BC_QUEUE_LEN", "TUN_READQ_SIZE", "MAX_TAP_QUEUES",
    "IFF_TUN", "IFF_TAP", "IFF_NO_PI", "IFF_VNET_HDR", "IFF_MULTI_QUEUE", "VNET_HDR_LEN",
]

# include/uapi/linux/if_link.h
MACVLAN_MODE_PRIVATE = 1
MACVLAN_MODE_VEPA = 2
MACVLAN_MODE_BRIDGE = 4
MACVLAN_MODE_PASSTHRU = 8
MACVLAN_MODE_SOURCE = 16
MODE_NAMES = {1: "private", 2: "vepa", 4: "bridge", 8: "passthru", 16: "source"}
_MODE_BY_NAME = {v: k for k, v in MODE_NAMES.items()}
MACVLAN_FLAG_NOPROMISC = 1
MACVLAN_FLAG_NODST = 2
MACVLAN_MACADDR_ADD = 0
MACVLAN_MACADDR_DEL = 1
MACVLAN_MACADDR_FLUSH = 2
MACVLAN_MACADDR_SET = 3
_MACADDR_OPS = {"add": MACVLAN_MACADDR_ADD, "del": MACVLAN_MACADDR_DEL,
                "flush": MACVLAN_MACADDR_FLUSH, "set": MACVLAN_MACADDR_SET}

MACVLAN_DEFAULT_BC_QUEUE_LEN = 1000
TUN_READQ_SIZE = 500
MAX_TAP_QUEUES = 256

# include/uapi/linux/if_tun.h
IFF_TUN = 0x0001
IFF_TAP = 0x0002
IFF_MULTI_QUEUE = 0x0100
IFF_NO_PI = 0x1000
IFF_VNET_HDR = 0x4000
TAP_IFFEATURES = IFF_VNET_HDR | IFF_MULTI_QUEUE
VNET_HDR_LEN = 10                     # sizeof(struct virtio_net_hdr)
VIRTIO_NET_HDR_F_NEEDS_CSUM = 1
VIRTIO_NET_HDR_GSO_NONE = 0

IFF_PROMISC = 0x100
IFF_ALLMULTI = 0x200
IPFRAG_TIME_NS = 30 * 1_000_000_000  # net.ipv4.ipfrag_time

_M64 = (1 << 64) - 1
_M32 = (1 << 32) - 1
_ALL_BITS = (1 << 256) - 1
_BCAST = b"\xff" * 6
_ZERO = b"\x00" * 6


def _mac(m: bytes) -> str:
    return ":".join(f"{b:02x}" for b in m)


def _eth_hash(addr: bytes) -> int:
    """macvlan_eth_hash(): hash_64(get_unaligned_u64(addr) << 16, 8) on a little-endian CPU
    (the bucket of the port's vlan_hash / vlan_source_hash; it fixes the kernel's iteration
    order)."""
    v = (int.from_bytes(addr, "little") << 16) & _M64
    return ((v * 0x61C8864680B583EB) & _M64) >> 56


def _mc_hash(addr: bytes) -> int:
    """mc_hash(NULL, addr): hash_32(get_unaligned_cpu32(addr + 2), 8), the port filter bit."""
    return ((int.from_bytes(addr[2:6], "little") * 0x61C88647) & _M32) >> 24


def _to_mac(v) -> bytes:
    if isinstance(v, str):
        from ..wire.ethernet import mac_parse
        try:
            v = mac_parse(v)
        except Exception:
            raise KernelError(EINVAL) from None
    v = bytes(v)
    if len(v) != 6:
        raise KernelError(EINVAL)
    return v


def _valid_ether(mac: bytes) -> bool:
    """is_valid_ether_addr(): not multicast, not all-zero."""
    return not mac[0] & 1 and mac != _ZERO


# =============================================================================================
# the port: the lower device's rx_handler
# =============================================================================================

class MacvlanPort:
    """struct macvlan_port: one per lower device, its rx_handler and the macvlans on it."""

    __slots__ = ("dev", "kernel", "vlans", "hash", "hash_order", "source", "passthru",
                 "addr_change", "perm_addr", "count", "bc_queue", "bc_queue_len_used",
                 "bc_cutoff", "bc_work_pending", "mc_filter", "bc_filter", "mc_synced",
                 "_seq", "dead")

    def __init__(self, dev: NetDevice):
        self.dev = dev
        self.kernel = dev.kernel
        self.vlans: list[Macvlan] = []          # port->vlans, creation order
        self.hash: dict[bytes, Macvlan] = {}    # port->vlan_hash: the UP macvlans by MAC
        self.hash_order: list[Macvlan] = []     # hash_for_each order (bucket, newest first)
        self.source: dict[bytes, list] = {}     # vlan_source_hash: src MAC -> [vlan, ...]
        self.passthru = False
        self.addr_change = False                # MACVLAN_F_ADDRCHANGE
        self.perm_addr = dev.addr
        self.count = 0
        self.bc_queue: deque = deque()
        self.bc_queue_len_used = 0
        self.bc_cutoff = 1
        self.bc_work_pending = False
        self.mc_filter = 0                      # 256-bit bitmaps, zero until a vlan's rx mode
        self.bc_filter = 0
        self.mc_synced: dict[bytes, int] = {}   # group -> ha->synced on the lower's mc list
        self._seq = 0
        self.dead = False

    def __repr__(self) -> str:
        return f"<MacvlanPort of {self.dev.name} vlans={[v.name for v in self.vlans]}>"

    # -- lifetime ---------------------------------------------------------------------------
    @classmethod
    def create(cls, dev: NetDevice) -> "MacvlanPort":
        """macvlan_port_create()."""
        if dev.type != ARPHRD_ETHER or dev.flags & IFF_LOOPBACK:
            raise KernelError(EINVAL)
        if dev.rx_handler is not None:      # netdev_is_rx_handler_busy(): the handler only
            raise KernelError(EBUSY)
        port = cls(dev)                     # IFF_NO_RX_HANDLER: EINVAL from the registration
        rx_handler_register(dev, port.handle_frame, port)
        return port

    def destroy(self) -> None:
        """macvlan_port_destroy(): handler off, queued broadcasts freed, a passthru lower gets
        its MAC back."""
        dev = self.dev
        if dev.rx_handler_data is self:
            rx_handler_unregister(dev)
        self.dead = True
        self.bc_queue.clear()
        if self.passthru and dev.addr != self.perm_addr:
            try:
                self.kernel.dev_set_mac(dev, self.perm_addr)
            except KernelError:
                pass

    # -- the hash of UP macvlans ----------------------------------------------------------
    def hash_add(self, vlan: "Macvlan") -> None:
        self._seq += 1
        vlan.hash_seq = self._seq
        vlan.hashed = vlan.addr
        self.hash[vlan.addr] = vlan
        self._reorder()

    def hash_del(self, vlan: "Macvlan") -> None:
        a = vlan.hashed
        if a is not None and self.hash.get(a) is vlan:
            del self.hash[a]
        vlan.hashed = None
        self._reorder()

    def _reorder(self) -> None:
        self.hash_order = sorted(self.hash.values(),
                                 key=lambda v: (_eth_hash(v.addr), -v.hash_seq))

    def addr_busy(self, addr: bytes) -> bool:
        """macvlan_addr_busy()."""
        if not self.passthru and not self.addr_change and addr == self.dev.addr:
            return True
        return addr in self.hash

    # -- source-mode entries ----------------------------------------------------------------
    def add_source(self, vlan: "Macvlan", addr: bytes) -> None:
        """macvlan_hash_add_source(): a duplicate is a no-op; new entries go first."""
        if addr in vlan.src_macs:
            return
        self._seq += 1
        vlan.src_macs[addr] = self._seq
        self.source.setdefault(addr, []).insert(0, vlan)

    def del_source(self, vlan: "Macvlan", addr: bytes) -> None:
        if vlan.src_macs.pop(addr, None) is None:
            return
        lst = self.source.get(addr)
        if lst is not None:
            lst.remove(vlan)
            if not lst:
                del self.source[addr]

    def flush_sources(self, vlan: "Macvlan") -> None:
        for addr in list(vlan.src_macs):
            self.del_source(vlan, addr)

    # -- filters and the broadcast queue length ---------------------------------------------
    def _compute_filter(self, cutoff: int) -> int:
        """macvlan_compute_filter(NULL): groups synced by more than ``cutoff`` macvlans plus
        broadcast, or every bit while the lower is PROMISC or ALLMULTI."""
        dev = self.dev
        if dev.promiscuity > 0 or dev.allmulti > 0:
            return _ALL_BITS
        bits = 1 << _mc_hash(dev.broadcast)
        for addr, n in self.mc_synced.items():
            if n > cutoff:
                bits |= 1 << _mc_hash(addr)
        return bits

    def recompute_bc_filter(self) -> None:
        """macvlan_recompute_bc_filter()."""
        self.bc_filter = 0 if self.bc_cutoff < 0 else self._compute_filter(self.bc_cutoff)

    def update_bc_cutoff(self, cutoff: int) -> None:
        """update_port_bc_cutoff()."""
        if self.bc_cutoff == cutoff:
            return
        self.bc_cutoff = cutoff
        self.recompute_bc_filter()

    def update_bc_queue_len(self) -> None:
        """update_port_bc_queue_len(): the largest request among the port's macvlans."""
        self.bc_queue_len_used = max((v.bc_queue_len_req for v in self.vlans), default=0)

    # -- receive: macvlan_handle_frame() ------------------------------------------------------
    # Literals on the hot path: 5 = PACKET_LOOPBACK, 3 = RX_HANDLER_PASS, 1 = RX_HANDLER_ANOTHER
    # / IFF_UP, 0 = RX_HANDLER_CONSUMED / PACKET_HOST, 16 = MACVLAN_MODE_SOURCE.
    def handle_frame(self, skb: Skb) -> int:
        if skb.pkt_type == 5:                            # MV-RX-01
            return 3
        data = skb.data
        if data[0] & 1:
            return self._handle_group(skb)
        if self.source:                                  # MV-RX-02 step 1
            ents = self.source.get(data[6:12])
            if ents is not None and self._forward_source(skb, data, ents):
                self._drop(skb, self.dev, "NOT_SPECIFIED", "MV-RX-02",
                           "source-mode macvlan with nodst took the frame")
                return 0
        if self.passthru:                                # MV-RX-02 step 2
            vlan = self.vlans[0] if self.vlans else None
        else:                                            # step 3
            vlan = self.hash.get(data[:6])
        if vlan is None or vlan.mode == 16:
            return 3
        if not vlan.flags & 1:
            self._drop(skb, vlan, "NOT_SPECIFIED", "MV-RX-02", None)
            return 0
        skb.dev = vlan
        skb.pkt_type = 0
        vlan.rx_packets += 1
        vlan.rx_bytes += len(data)
        tr = self.kernel.trace
        if tr is not None:
            tr.hop(self.kernel.engine.now, self.dev.ns, self.dev, skb, "macvlan_handle_frame",
                   f"{_mac(data[:6])} -> {vlan.name} (MV-RX-02)")
        return 1

    def _forward_source(self, skb: Skb, data: bytes, ents: list) -> bool:
        """macvlan_forward_source(): a clone to each UP source-mode macvlan that allows the
        source MAC; True (consume the original) if any of them has nodst, UP or not."""
        consume = False
        for vlan in list(ents):
            if vlan.mv_flags & MACVLAN_FLAG_NODST:
                consume = True
            if not vlan.flags & IFF_UP:
                continue
            nskb = skb.clone()
            nskb.dev = vlan
            if data[:6] == vlan.addr:
                nskb.pkt_type = 0
            vlan.rx_packets += 1
            vlan.rx_bytes += len(data)
            tr = self.kernel.trace
            if tr is not None:
                tr.hop(self.kernel.engine.now, self.dev.ns, self.dev, nskb,
                       "macvlan_forward_source", f"source {_mac(data[6:12])} allowed on "
                       f"{vlan.name} (MV-RX-02)")
            netif_rx(nskb)
        return consume

    def _handle_group(self, skb: Skb) -> int:
        data = skb.data
        if data[12] == 8 and data[13] == 0 and len(data) >= 34 and (data[20] & 0x3F or data[21]):
            if not _ip_check_defrag(self.dev.ns, skb):   # MV-RX-03: ip_check_defrag()
                return 0
            data = skb.data
        if self.source:
            ents = self.source.get(data[6:12])
            if ents is not None and self._forward_source(skb, data, ents):
                self._drop(skb, self.dev, "NOT_SPECIFIED", "MV-RX-03",
                           "source-mode macvlan with nodst took the frame")
                return 0
        src = self.hash.get(data[6:12])
        if src is not None and src.mode != MACVLAN_MODE_VEPA and src.mode != MACVLAN_MODE_BRIDGE:
            # "forward to original port": only the sender gets it back; the lower does not
            skb.dev = src
            skb.pkt_type = 1 if data[:6] == src.broadcast else 2
            src.rx_packets += 1                          # macvlan_count_rx(vlan, len = 0, ...)
            tr = self.kernel.trace
            if tr is not None:
                tr.hop(self.kernel.engine.now, self.dev.ns, self.dev, skb, "macvlan_handle_frame",
                       f"group frame from {MODE_NAMES[src.mode]} {src.name}: back to it only "
                       "(MV-RX-03)")
            netif_rx(skb)
            return 0
        h = 1 << _mc_hash(data[:6])
        if self.bc_filter & h:                           # MV-RX-06
            self._broadcast_enqueue(src, skb)
        elif self.mc_filter & h:                         # MV-RX-05
            self._multicast_rx(src, skb)
        return 3

    def _multicast_rx(self, src, skb: Skb) -> None:
        """macvlan_multicast_rx() / the body of macvlan_process_broadcast() (MV-RX-03)."""
        if src is None:
            self.broadcast(skb, None, MACVLAN_MODE_PRIVATE | MACVLAN_MODE_VEPA
                           | MACVLAN_MODE_PASSTHRU | MACVLAN_MODE_BRIDGE)
        elif src.mode == MACVLAN_MODE_VEPA:
            self.broadcast(skb, src, MACVLAN_MODE_VEPA | MACVLAN_MODE_BRIDGE)
        else:
            self.broadcast(skb, src, MACVLAN_MODE_VEPA)

    def broadcast(self, skb: Skb, src, mode: int, extra: int = 0) -> None:
        """macvlan_broadcast(): a copy to every UP macvlan of ``mode`` but ``src`` that passes
        its filter; mode BRIDGE alone means the transmit path (``__dev_forward_skb``).
        ``extra`` is what the kernel adds to the counted length (skb->len + ETH_HLEN, where the
        transmit path's skb->len already holds the Ethernet header)."""
        data = skb.data
        if data[12] == 0x88 and data[13] == 0x08:        # MV-RX-07: ETH_P_PAUSE
            return
        dst = data[:6]
        local = mode == MACVLAN_MODE_BRIDGE
        n = len(data) + extra
        tr = self.kernel.trace
        for vlan in self.hash_order:
            if vlan is src or not vlan.mode & mode:
                continue
            if not vlan.mc_all and dst not in vlan.mc_set:   # MV-RX-04
                continue
            nskb = skb.clone()
            if local:
                ok = dev_forward_skb(vlan, nskb, "MV-TX-01")
            else:
                nskb.dev = vlan
                nskb.pkt_type = 1 if dst == vlan.broadcast else 2
                netif_rx(nskb)
                ok = True
            if ok:
                vlan.rx_packets += 1
                vlan.rx_bytes += n
                vlan.multicast += 1
                if tr is not None:
                    tr.hop(self.kernel.engine.now, vlan.ns, vlan, nskb, "macvlan_broadcast",
                           f"copy to {MODE_NAMES[vlan.mode]} {vlan.name}")
            else:
                vlan.rx_errors += 1

    def _broadcast_enqueue(self, src, skb: Skb) -> None:
        """macvlan_broadcast_enqueue(): a clone on the port queue, else rx_dropped on the
        lower; the work is queued either way."""
        if len(self.bc_queue) < self.bc_queue_len_used:
            self.bc_queue.append((skb.clone(), src))
        else:
            self.dev.rx_dropped += 1
            self._drop(skb, self.dev, "NOT_SPECIFIED", "MV-RX-06",
                       f"broadcast queue full ({self.bc_queue_len_used})")
        if not self.bc_work_pending:
            self.bc_work_pending = True
            self.kernel.engine.call_soon(self._process_broadcast)

    def _process_broadcast(self) -> None:
        """macvlan_process_broadcast(): the work item; mode of the source read now."""
        self.bc_work_pending = False
        if self.dead:
            return
        q, self.bc_queue = self.bc_queue, deque()
        for skb, src in q:
            self._multicast_rx(src, skb)

    def _drop(self, skb, dev, reason: str, rule: str, detail: str | None) -> None:
        tr = self.kernel.trace
        if tr is not None:
            now = self.kernel.engine.now
            if detail:
                tr.hop(now, dev.ns, dev, skb, "macvlan_handle_frame", detail)
            tr.drop(now, dev.ns, dev, skb, reason, rule)


def macvlan_port_of(dev: NetDevice) -> MacvlanPort | None:
    """The port on ``dev`` when it is a macvlan lower device (netif_is_macvlan_port)."""
    p = dev.rx_handler_data
    return p if type(p) is MacvlanPort else None


# =============================================================================================
# ip_check_defrag(..., IP_DEFRAG_MACVLAN) for group frames
# =============================================================================================

def _ip_check_defrag(ns, skb: Skb) -> bool:
    """Reassemble an IPv4 fragment in the netns's IP_DEFRAG_MACVLAN queues. False while the
    datagram is incomplete (the fragment is held: RX_HANDLER_CONSUMED); True with ``skb.data``
    the whole datagram (Ethernet header of the first fragment) once complete, or untouched for
    anything that is not a well-formed fragment."""
    data = skb.data
    vihl = data[14]
    ihl = (vihl & 15) * 4
    if vihl >> 4 != 4 or ihl < 20:
        return True
    tot = (data[16] << 8) | data[17]
    if len(data) < 14 + tot or tot < ihl:
        return True
    frag = (data[20] << 8) | data[21]
    off = (frag & 0x1FFF) * 8
    mf = frag & 0x2000
    key = (data[26:30], data[30:34], data[18:20], data[23])
    queues = ns.__dict__.setdefault("_macvlan_frags", {})
    ent = queues.get(key)
    eng = ns.kernel.engine
    if ent is None:
        ent = queues[key] = {"parts": {}, "end": None, "head": None,
                             "timer": eng.call_later(IPFRAG_TIME_NS, queues.pop, key, None)}
    ent["parts"][off] = data[14 + ihl:14 + tot]
    if off == 0:
        ent["head"] = (data[:14], data[14:14 + ihl])
    if not mf:
        ent["end"] = off + tot - ihl
    if ent["end"] is None or ent["head"] is None:
        return False
    buf = b""
    for o in sorted(ent["parts"]):
        if o > len(buf):
            return False
        buf = buf[:o] + ent["parts"][o] + buf[o + len(ent["parts"][o]):]
    if len(buf) < ent["end"]:
        return False
    buf = buf[:ent["end"]]
    ent["timer"].cancel()
    del queues[key]
    eth, iph = ent["head"]
    h = bytearray(iph)
    h[2:4] = (len(iph) + len(buf)).to_bytes(2, "big")
    h[6:8] = b"\x00\x00"
    h[10:12] = b"\x00\x00"
    from ..wire.checksum import checksum
    h[10:12] = checksum(bytes(h)).to_bytes(2, "big")
    skb.data = eth + bytes(h) + buf
    return True


# =============================================================================================
# the macvlan netdev
# =============================================================================================

class Macvlan(NetDevice):
    """struct macvlan_dev. ``mode`` and ``mv_flags`` are IFLA_MACVLAN_MODE / _FLAGS."""

    kind = "macvlan"
    max_mtu = 65535                      # macvlan_common_setup(): ETH_MAX_MTU until newlink
    unicast_flt = True                   # IFF_UNICAST_FLT
    # PROMISC / ALLMULTI state (the counts behind the properties below)
    _promisc = 0
    _allmulti = 0
    port: MacvlanPort | None = None

    def __init__(self, kernel, name: str):
        super().__init__(kernel, name)
        self.no_queue = True             # macvlan_setup(): IFF_NO_QUEUE
        self.lowerdev: NetDevice | None = None
        self.mode = MACVLAN_MODE_VEPA
        self.mv_flags = 0
        self.bc_queue_len_req = MACVLAN_DEFAULT_BC_QUEUE_LEN
        self.src_macs: dict[bytes, int] = {}
        self.hashed: bytes | None = None
        self.hash_seq = 0
        self.mc_all = False              # MV-RX-04 filter: everything (promisc / allmulti)
        self.mc_set: frozenset = frozenset()
        self._uc_synced: set = set()
        self._mc_synced: set = set()

    # -- PROMISC / ALLMULTI: ndo_change_rx_flags() + rx mode ------------------------------------
    # The count is changed by ``ip link set promisc`` (commands), dev_set_promiscuity(), a
    # bridge, ...; the flag flips when it crosses zero, as __dev_set_promiscuity() does.
    @property
    def promiscuity(self) -> int:
        return self._promisc

    @promiscuity.setter
    def promiscuity(self, v: int) -> None:
        old, self._promisc = self._promisc, v
        if (old > 0) != (v > 0) and self.port is not None:
            self._change_rx_flags(IFF_PROMISC)

    @property
    def allmulti(self) -> int:
        return self._allmulti

    @allmulti.setter
    def allmulti(self, v: int) -> None:
        old, self._allmulti = self._allmulti, v
        if (old > 0) != (v > 0) and self.port is not None:
            self._change_rx_flags(IFF_ALLMULTI)

    def _change_rx_flags(self, change: int) -> None:
        """macvlan_change_rx_flags() (MV-09), then dev_set_rx_mode()."""
        if self.flags & IFF_UP:
            lower = self.lowerdev
            if change & IFF_ALLMULTI:
                dev_set_allmulti(lower, 1 if self._allmulti > 0 else -1)
            if change & IFF_PROMISC and not self.port.passthru:
                dev_set_promiscuity(lower, 1 if self._promisc > 0 else -1)
        dev_set_rx_mode(self)

    # -- ndo ------------------------------------------------------------------------------------
    def ndo_init(self) -> None:
        self.port.count += 1             # macvlan_init()

    def ndo_open(self) -> None:
        """macvlan_open() (MV-06, MV-08, MV-09)."""
        port, lower = self.port, self.lowerdev
        if port.passthru:
            if not self.mv_flags & MACVLAN_FLAG_NOPROMISC:
                dev_set_promiscuity(lower, 1)
        else:
            if port.addr_busy(self.addr):
                raise KernelError(EADDRINUSE)
            dev_uc_add(lower, self.addr)
            if self._allmulti > 0:
                dev_set_allmulti(lower, 1)
            if self._promisc > 0:
                dev_set_promiscuity(lower, 1)
        port.hash_add(self)

    def ndo_stop(self) -> None:
        """macvlan_stop(): the port filters are left as they are (recomputed by the next rx
        mode of a macvlan, as in the kernel)."""
        port, lower = self.port, self.lowerdev
        self._unsync()
        if port.passthru:
            if not self.mv_flags & MACVLAN_FLAG_NOPROMISC:
                dev_set_promiscuity(lower, -1)
        else:
            if self._allmulti > 0:
                dev_set_allmulti(lower, -1)
            if self._promisc > 0:
                dev_set_promiscuity(lower, -1)
            dev_uc_del(lower, self.addr)         # (gone already if the lower changed netns)
        port.hash_del(self)

    def ndo_set_rx_mode(self) -> None:
        """macvlan_set_mac_lists(): own filter, uc/mc sync to the lower, port filters."""
        if self._promisc > 0 or self._allmulti > 0:
            self.mc_all, self.mc_set = True, frozenset()
        else:
            self.mc_all = False
            self.mc_set = frozenset(self.mc) | {self.broadcast}
        self._sync()
        port = self.port
        port.mc_filter = port._compute_filter(0)
        port.recompute_bc_filter()

    def _sync(self) -> None:
        """dev_uc_sync() / dev_mc_sync() into the lower device."""
        lower, port = self.lowerdev, self.port
        want = set(self.uc)
        for a in want - self._uc_synced:
            lower.uc.append(a)
        for a in self._uc_synced - want:
            if a in lower.uc:
                lower.uc.remove(a)
        self._uc_synced = want
        want = set(self.mc)
        for a in want - self._mc_synced:
            lower.mc.append(a)
            port.mc_synced[a] = port.mc_synced.get(a, 0) + 1
        for a in self._mc_synced - want:
            self._mc_unsync_one(a)
        self._mc_synced = want
        dev_set_rx_mode(lower)

    def _unsync(self) -> None:
        lower = self.lowerdev
        for a in self._uc_synced:
            if a in lower.uc:
                lower.uc.remove(a)
        self._uc_synced = set()
        for a in self._mc_synced:
            self._mc_unsync_one(a)
        self._mc_synced = set()
        dev_set_rx_mode(lower)

    def _mc_unsync_one(self, a: bytes) -> None:
        lower, port = self.lowerdev, self.port
        if a in lower.mc:
            lower.mc.remove(a)
        n = port.mc_synced.get(a, 0) - 1
        if n > 0:
            port.mc_synced[a] = n
        else:
            port.mc_synced.pop(a, None)

    def ndo_start_xmit(self, skb: Skb) -> None:
        """macvlan_start_xmit() -> macvlan_queue_xmit() (MV-TX-01..04)."""
        n = len(skb.data)
        if self.mode == 4:                               # MACVLAN_MODE_BRIDGE
            data = skb.data
            port = self.port
            if data[0] & 1:                              # MV-TX-01
                port.broadcast(skb, self, MACVLAN_MODE_BRIDGE, extra=14)
            else:
                dest = port.hash.get(data[:6])
                if dest is not None and dest.mode == 4:  # MV-TX-02
                    tr = self.kernel.trace
                    if tr is not None:
                        tr.hop(self.kernel.engine.now, self.ns, self, skb, "macvlan_queue_xmit",
                               f"{_mac(data[:6])} is bridge-mode {dest.name}: into "
                               f"{self.lowerdev.name}'s receive path (MV-TX-02)")
                    dev_forward_skb(self.lowerdev, skb, "MV-TX-02")
                    self.tx_packets += 1
                    self.tx_bytes += n
                    return
        # MV-TX-03/04: out of the lower device. (Its noop qdisc answers NET_XMIT_CN when it is
        # down or has no carrier, which macvlan counts as sent.)
        skb.dev = self.lowerdev
        dev_queue_xmit(skb)
        self.tx_packets += 1
        self.tx_bytes += n

    def ndo_change_mtu(self, mtu: int) -> None:
        """macvlan_change_mtu() (MV-04)."""
        if self.lowerdev.mtu < mtu:
            raise KernelError(EINVAL)
        self.mtu = mtu

    def ndo_set_mac_address(self, mac: bytes) -> None:
        """macvlan_set_mac_address() (MV-07)."""
        if not _valid_ether(mac):
            raise KernelError(EADDRNOTAVAIL)
        if mac == self.addr:
            return
        port = self.port
        if self.mode == MACVLAN_MODE_PASSTHRU:
            port.addr_change = True
            self.kernel.dev_set_mac(self.lowerdev, mac)   # NETDEV_CHANGEADDR syncs us back
            return
        if port.addr_busy(mac):
            raise KernelError(EADDRINUSE)
        self.sync_address(mac)

    def sync_address(self, addr: bytes) -> None:
        """macvlan_sync_address()."""
        port, lower = self.port, self.lowerdev
        if not self.flags & IFF_UP:
            self.addr = addr
        else:
            if port.addr_busy(addr):
                raise KernelError(EADDRINUSE)
            if not port.passthru:
                dev_uc_add(lower, addr)
                dev_uc_del(lower, self.addr)
            port.hash_del(self)
            self.addr = addr
            port.hash_add(self)
        if port.passthru and not port.addr_change:
            port.perm_addr = lower.addr
        port.addr_change = False

    def get_iflink(self) -> int:
        return self.lowerdev.ifindex if self.lowerdev is not None else self.ifindex

    def get_link_net(self):
        return self.lowerdev.ns if self.lowerdev is not None else self.ns

    def dellink(self, batch: list) -> None:
        """macvlan_dellink()."""
        port = self.port
        if self.mode == MACVLAN_MODE_SOURCE:
            port.flush_sources(self)
        if self in port.vlans:
            port.vlans.remove(self)
            port.update_bc_queue_len()
        if self not in batch:
            batch.append(self)

    def uninit(self) -> None:
        """macvlan_uninit(): the port goes with the last macvlan (MV-10)."""
        port = self.port
        port.flush_sources(self)
        if self in port.vlans:            # unregistered without dellink
            port.vlans.remove(self)
            port.update_bc_queue_len()
        port.count -= 1
        lower = self.lowerdev
        if lower.reg_state == "REGISTERED":
            self.kernel.notify(NETDEV_CHANGEUPPER, lower, upper=self, linking=False)
        if port.count <= 0:
            port.destroy()

    def get_stats64(self) -> dict:
        """macvlan_dev_get_stats64(): rx_dropped reports the per-cpu rx_errors, plus the core
        rx_dropped (dev_get_stats)."""
        st = super().get_stats64()
        st["rx_dropped"] = self.rx_dropped + self.rx_errors
        return st

    def fill_info(self) -> dict:
        """macvlan_fill_info(): IFLA_MACVLAN_* values."""
        port = self.port
        info = {"mode": self.mode, "flags": self.mv_flags, "macaddr_count": len(self.src_macs)}
        if self.src_macs:
            info["macaddr_data"] = self.source_macs()
        info["bc_queue_len"] = self.bc_queue_len_req
        info["bc_queue_len_used"] = port.bc_queue_len_used
        if port.bc_cutoff != 1:
            info["bc_cutoff"] = port.bc_cutoff
        return info

    # -- helpers ----------------------------------------------------------------------------
    def source_macs(self) -> list[bytes]:
        """The allowed source MACs in the kernel's dump order (hash bucket, newest first)."""
        return sorted(self.src_macs, key=lambda a: (_eth_hash(a), -self.src_macs[a]))

    @property
    def mode_name(self) -> str:
        return MODE_NAMES.get(self.mode, str(self.mode))

    def changelink_data(self, attrs: dict) -> None:
        """macvlan_changelink() with parsed attributes (see ``_parse_data``)."""
        port = self.port
        set_mode = "mode" in attrs
        if set_mode:
            mode = attrs["mode"]
            if (mode == MACVLAN_MODE_PASSTHRU) != (self.mode == MACVLAN_MODE_PASSTHRU):
                raise KernelError(EINVAL)
            if self.mode == MACVLAN_MODE_SOURCE and self.mode != mode:
                port.flush_sources(self)
        if "flags" in attrs:
            flags = attrs["flags"]
            promisc = (flags ^ self.mv_flags) & MACVLAN_FLAG_NOPROMISC
            if port.passthru and promisc:
                dev_set_promiscuity(self.lowerdev, -1 if flags & MACVLAN_FLAG_NOPROMISC else 1)
            self.mv_flags = flags
        if "bcqueuelen" in attrs:
            self.bc_queue_len_req = attrs["bcqueuelen"]
            port.update_bc_queue_len()
        if "bclim" in attrs:
            port.update_bc_cutoff(attrs["bclim"])
        if set_mode:
            self.mode = attrs["mode"]
        if "macaddr_mode" in attrs:
            if self.mode != MACVLAN_MODE_SOURCE:
                raise KernelError(EINVAL)
            _changelink_sources(self, attrs)


def _changelink_sources(vlan: Macvlan, attrs: dict) -> None:
    """macvlan_changelink_sources() (MV-SRC-01)."""
    port = vlan.port
    op = attrs["macaddr_mode"]
    addr = attrs.get("macaddr")
    if op == MACVLAN_MACADDR_ADD:
        if addr is None:
            raise KernelError(EINVAL)
        port.add_source(vlan, addr)
    elif op == MACVLAN_MACADDR_DEL:
        if addr is None:
            raise KernelError(EINVAL)
        port.del_source(vlan, addr)
    elif op == MACVLAN_MACADDR_FLUSH:
        port.flush_sources(vlan)
    elif op == MACVLAN_MACADDR_SET:
        port.flush_sources(vlan)
        if addr is not None:
            port.add_source(vlan, addr)
        for a in attrs.get("macaddr_data", ()):
            port.add_source(vlan, a)
    else:
        raise KernelError(EINVAL)


def _parse_data(data: dict) -> dict:
    """``LinkRequest.data`` (module docstring) -> IFLA_MACVLAN_* values, with the checks of
    macvlan_validate()."""
    attrs: dict = {}
    kw_flags = None
    for key, v in data.items():
        if key == "mode":
            if isinstance(v, str):
                if v not in _MODE_BY_NAME:
                    raise KernelError(EINVAL)
                v = _MODE_BY_NAME[v]
            if int(v) not in MODE_NAMES:
                raise KernelError(EINVAL)              # MV-01
            attrs["mode"] = int(v)
        elif key == "flags":
            v = int(v)
            if not 0 <= v <= 0xFFFF or v & ~(MACVLAN_FLAG_NOPROMISC | MACVLAN_FLAG_NODST):
                raise KernelError(EINVAL)              # MV-02
            attrs["flags"] = v
        elif key in ("nopromisc", "nodst"):
            kw_flags = kw_flags or 0
            if v:
                kw_flags |= MACVLAN_FLAG_NOPROMISC if key == "nopromisc" else MACVLAN_FLAG_NODST
        elif key == "macaddr":
            if isinstance(v, str):
                v = (v,)
            if not v or v[0] not in _MACADDR_OPS:
                raise KernelError(EINVAL)
            op = _MACADDR_OPS[v[0]]
            attrs["macaddr_mode"] = op
            args = list(v[1:])
            if op in (MACVLAN_MACADDR_ADD, MACVLAN_MACADDR_DEL):
                if len(args) != 1:
                    raise KernelError(EINVAL)
                mac = _to_mac(args[0])
                if not _valid_ether(mac):
                    raise KernelError(EADDRNOTAVAIL)
                attrs["macaddr"] = mac
            elif op == MACVLAN_MACADDR_SET:
                macs = args[0] if len(args) == 1 and isinstance(args[0], (list, tuple)) else args
                attrs["macaddr_data"] = [_to_mac(m) for m in macs]
            elif args:
                raise KernelError(EINVAL)
        elif key == "bcqueuelen":
            v = int(v)
            if not 0 <= v <= _M32:
                raise KernelError(EINVAL)
            attrs["bcqueuelen"] = v
        elif key == "bclim":
            v = int(v)
            if not -(1 << 31) <= v < (1 << 31):
                raise KernelError(EINVAL)
            attrs["bclim"] = v
        else:
            raise KernelError(EINVAL)
    if kw_flags is not None:
        attrs["flags"] = attrs.get("flags", 0) | kw_flags
    return attrs


# =============================================================================================
# macvtap: the tap queues
# =============================================================================================

def _flow_hash(data: bytes) -> int:
    """skb_get_hash(), [EMU]: a deterministic, direction-independent hash of the flow (the
    kernel's flow dissector hash has a per-boot random seed)."""
    if data[12:14] == b"\x08\x00" and len(data) >= 34:
        ihl = (data[14] & 15) * 4
        a, b = data[26:30], data[30:34]
        proto = data[23]
        key = min(a, b) + max(a, b) + bytes((proto,))
        if proto in (6, 17) and not (data[20] & 0x3F or data[21]) and len(data) >= 18 + ihl:
            p, q = data[14 + ihl:16 + ihl], data[16 + ihl:18 + ihl]
            key += min(p, q) + max(p, q)
    else:
        key = data[12:14]
    return zlib.crc32(key) or 1


class TapFile:
    """One open of ``/dev/tapN`` (struct tap_queue), in memory. ``nonblock`` is O_NONBLOCK.

    [EMU] a read never blocks: with nothing queued it raises BlockingIOError (EAGAIN) whatever
    ``nonblock`` says; ``on_readable`` (a callable, or None) is called when a frame is queued,
    the emulator's wake-up. The vnet header written on reads is all zero (no checksum offload
    state is kept on emulated frames)."""

    def __init__(self, tap: "Macvtap", nonblock: bool = True):
        self.tap: Macvtap | None = tap
        self.nonblock = nonblock
        self.ring: deque = deque()
        self.flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR       # MVT-05
        self.vnet_hdr_sz = VNET_HDR_LEN
        self.closed = False
        self.on_readable = None
        self.name = tap.devpath

    def __repr__(self) -> str:
        return f"<TapFile {self.name} queued={len(self.ring)}>"

    def __enter__(self) -> "TapFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def readable(self) -> bool:
        return bool(self.ring)

    # -- MVT-07 ------------------------------------------------------------------------------
    def read(self, n: int = 65536) -> bytes:
        """tap_read_iter(): one frame (vnet header first when IFF_VNET_HDR), at most ``n``
        bytes of it."""
        self._check_open()
        if n <= 0:
            return b""
        if not self.ring:
            raise BlockingIOError(EAGAIN, "Resource temporarily unavailable")
        frame = self.ring.popleft()
        if self.flags & IFF_VNET_HDR:
            if n < self.vnet_hdr_sz:
                raise KernelError(EINVAL)       # tap_put_user(): the frame is freed
            frame = b"\x00" * self.vnet_hdr_sz + frame
        return frame[:n]

    # -- MVT-06 ------------------------------------------------------------------------------
    def write(self, buf: bytes) -> int:
        """tap_get_user(): vnet header (when enabled), >= 14 bytes of frame, dev_queue_xmit on
        the macvtap. Errors are EINVAL and count tx_dropped on the macvtap."""
        self._check_open()
        buf = bytes(buf)
        total = len(buf)
        frame = buf
        if self.flags & IFF_VNET_HDR:
            sz = self.vnet_hdr_sz
            if total < sz:
                return self._tx_error(EINVAL)
            hdr = buf[:VNET_HDR_LEN]
            frame = buf[sz:]
            hflags, gso = hdr[0], hdr[1]
            hdr_len = int.from_bytes(hdr[2:4], "little")
            if hflags & VIRTIO_NET_HDR_F_NEEDS_CSUM:
                need = int.from_bytes(hdr[6:8], "little") + int.from_bytes(hdr[8:10], "little") + 2
                hdr_len = max(hdr_len, need)
            if hdr_len > len(frame):
                return self._tx_error(EINVAL)
            if gso != VIRTIO_NET_HDR_GSO_NONE:
                return self._tx_error(EINVAL)   # [EMU] no GSO: virtio_net_hdr_to_skb refuses
        if len(frame) < 14:
            return self._tx_error(EINVAL)
        tap = self.tap
        if tap is None:
            return total                        # the device is gone: silently dropped
        dev_queue_xmit(Skb(frame, dev=tap))
        return total

    def _tx_error(self, err: int) -> int:
        if self.tap is not None:
            self.tap.tx_dropped += 1            # macvtap_count_tx_dropped()
        raise KernelError(err)

    # -- MVT-05: ioctls ----------------------------------------------------------------------
    def set_iff(self, flags: int) -> None:
        """TUNSETIFF: the name is ignored; only IFF_TAP|IFF_NO_PI [|IFF_VNET_HDR]
        [|IFF_MULTI_QUEUE]."""
        self._check_open()
        if (flags & ~TAP_IFFEATURES) != (IFF_NO_PI | IFF_TAP):
            raise KernelError(EINVAL)
        self.flags = (self.flags & ~TAP_IFFEATURES) | flags

    def get_iff(self) -> int:
        """TUNGETIFF: the queue's flags."""
        return self.flags

    def set_vnet_hdr_sz(self, size: int) -> None:
        """TUNSETVNETHDRSZ: at least sizeof(struct virtio_net_hdr)."""
        if size < VNET_HDR_LEN:
            raise KernelError(EINVAL)
        self.vnet_hdr_sz = size

    def close(self) -> None:
        """tap_release(): the queue leaves the device; what it held is freed."""
        if self.closed:
            return
        self.closed = True
        tap = self.tap
        if tap is not None and self in tap.queues:
            tap.queues.remove(self)
        self.tap = None
        self.ring.clear()

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed tap file")


class Macvtap(Macvlan):
    """A macvlan whose frames go to ``TapFile`` queues (MVT-01)."""

    kind = "macvtap"

    def __init__(self, kernel, name: str):
        super().__init__(kernel, name)
        self.no_queue = False
        self.tx_queue_len = TUN_READQ_SIZE      # macvtap_setup()
        self.queues: list[TapFile] = []         # tap->taps[], enabled queues in order

    @property
    def tap_name(self) -> str:
        """The class device ``tap<ifindex>`` (MVT-02)."""
        return f"tap{self.ifindex}"

    @property
    def devpath(self) -> str:
        return f"/dev/tap{self.ifindex}"

    def open(self, nonblock: bool = True) -> TapFile:
        """tap_open(): a new queue (MVT-08: EBUSY past 256)."""
        if self.reg_state != "REGISTERED":
            raise KernelError(ENODEV)
        if len(self.queues) >= MAX_TAP_QUEUES:
            raise KernelError(EBUSY)
        q = TapFile(self, nonblock)
        self.queues.append(q)
        return q

    def tap_handle_frame(self, skb: Skb) -> int:
        """tap_handle_frame() (MVT-03/04): PASS without a queue; else the ring or a drop."""
        qs = self.queues
        if not qs:
            return 3
        q = qs[0] if len(qs) == 1 else qs[_flow_hash(skb.data) % len(qs)]
        tr = self.kernel.trace
        if len(q.ring) >= self.tx_queue_len:
            self.rx_errors += 1                  # macvtap_count_rx_dropped()
            if tr is not None:
                tr.drop(self.kernel.engine.now, self.ns, self, skb, "FULL_RING", "MVT-04")
            return 0
        q.ring.append(skb.data)
        if tr is not None:
            tr.hop(self.kernel.engine.now, self.ns, self, skb, "tap_handle_frame",
                   f"queued to {self.devpath} (MVT-04)")
        cb = q.on_readable
        if cb is not None:
            cb(q)
        return 0

    def uninit(self) -> None:
        """tap_del_queues(): open files stay, detached (reads drain, writes vanish)."""
        for q in self.queues:
            q.tap = None
        self.queues = []
        rx_handler_unregister(self)
        super().uninit()


def open_tap(where, path: str) -> TapFile:
    """Open ``/dev/tapN`` for the macvtap whose ifindex is N in ``where`` (a Namespace, or a
    Kernel for its init netns)."""
    ns = getattr(where, "init_ns", where)
    name = path.rsplit("/", 1)[-1]
    if not name.startswith("tap") or not name[3:].isdigit():
        raise KernelError(ENOENT)
    dev = ns.by_index.get(int(name[3:]))
    if not isinstance(dev, Macvtap):
        raise KernelError(ENXIO)                 # no such device behind the node
    return dev.open()


# =============================================================================================
# rtnl kinds and the netdevice notifier
# =============================================================================================

class MacvlanKind(LinkKind):
    kind = "macvlan"
    template = "macvlan%d"
    dev_class = Macvlan

    def validate(self, req: LinkRequest) -> None:
        """macvlan_validate()."""
        if req.address is not None:
            if len(req.address) != 6:
                raise KernelError(EINVAL)
            if not _valid_ether(req.address):
                raise KernelError(EADDRNOTAVAIL)        # MV-05
        _parse_data(req.data or {})

    def newlink(self, kernel, ns, req: LinkRequest) -> Macvlan:
        """macvlan_common_newlink() (macvtap_newlink() first registers the tap handler)."""
        attrs = _parse_data(req.data or {})
        lower = req.link
        if lower is None:
            raise KernelError(EINVAL)
        if isinstance(lower, Macvlan):                  # MV-03: no nesting
            lower = lower.lowerdev
        dev = self.dev_class(kernel, req.name or ns.alloc_name(self.template))
        if isinstance(dev, Macvtap):
            rx_handler_register(dev, dev.tap_handle_frame, dev)
        apply_common(kernel, dev, req)                  # rtnl_create_link(), max_mtu 65535
        if req.mtu is None:                             # MV-04
            dev.mtu = lower.mtu
        elif dev.mtu > lower.mtu:
            raise KernelError(EINVAL)
        dev.min_mtu = 68
        dev.max_mtu = lower.max_mtu
        port = macvlan_port_of(lower)
        create = port is None
        if create:
            port = MacvlanPort.create(lower)            # MV-03: EINVAL / EBUSY
        try:
            if port.passthru:                           # MV-08
                raise KernelError(EINVAL)
            dev.lowerdev = lower
            dev.port = port
            dev.mode = attrs.get("mode", MACVLAN_MODE_VEPA)
            dev.mv_flags = attrs.get("flags", 0)
            if dev.mode == MACVLAN_MODE_PASSTHRU:
                if port.count:
                    raise KernelError(EINVAL)
                port.passthru = True
                dev.addr = lower.addr                   # eth_hw_addr_inherit()
                dev.addr_assign_type = lower.addr_assign_type
            if "macaddr_mode" in attrs:
                if dev.mode != MACVLAN_MODE_SOURCE:
                    raise KernelError(EINVAL)
                _changelink_sources(dev, attrs)
            dev.bc_queue_len_req = attrs.get("bcqueuelen", MACVLAN_DEFAULT_BC_QUEUE_LEN)
            if "bclim" in attrs:
                port.update_bc_cutoff(attrs["bclim"])
            # macvlan_init(): carrier / dormant / testing copied from the lower (no event)
            dev.carrier = lower.carrier
            dev.dormant = lower.dormant
            dev.testing = lower.testing
            dev.hard_header_len = lower.hard_header_len
            dev.tso_max_size = getattr(lower, "tso_max_size", 65536)   # netif_inherit_tso_max
            dev.tso_max_segs = getattr(lower, "tso_max_segs", 65535)
            kernel.register_netdevice(dev, ns)
        except KernelError:
            if dev.port is port:
                port.flush_sources(dev)
                if port.passthru and not port.count:
                    port.passthru = False
            if create and port.count == 0:
                port.destroy()
            raise
        port.vlans.append(dev)
        port.update_bc_queue_len()
        kernel.notify(NETDEV_CHANGEUPPER, lower, upper=dev, linking=True)
        dev.stacked_transfer_operstate(lower)
        kernel.linkwatch.fire(dev)
        return dev

    def changelink(self, dev: NetDevice, req: LinkRequest) -> None:
        dev.changelink_data(_parse_data(req.data or {}))


class MacvtapKind(MacvlanKind):
    kind = "macvtap"
    template = "macvtap%d"
    dev_class = Macvtap


def macvlan_device_event(event: str, dev: NetDevice, **info) -> None:
    """macvlan_device_event(): what a lower device's events do to its macvlans."""
    port = dev.rx_handler_data
    if type(port) is not MacvlanPort:
        return
    if event == NETDEV_UP or event == NETDEV_DOWN or event == NETDEV_CHANGE:   # MV-11
        for vlan in port.vlans:
            vlan.stacked_transfer_operstate(dev)
    elif event == NETDEV_CHANGEMTU:                                            # MV-04
        for vlan in list(port.vlans):
            if vlan.mtu > dev.mtu:
                try:
                    dev.kernel.dev_set_mtu(vlan, dev.mtu)
                except KernelError:
                    pass
    elif event == NETDEV_CHANGEADDR:                                           # MV-07/08
        if port.passthru and port.vlans:
            port.vlans[0].sync_address(dev.addr)
    elif event == NETDEV_UNREGISTER:                                           # MV-10
        if info.get("moving"):
            return
        kill: list = []
        for vlan in list(port.vlans):
            vlan.dellink(kill)
        dev.kernel.unregister_many(kill)
    elif event == NETDEV_PRE_TYPE_CHANGE:
        raise KernelError(EPERM)


def _load_macvlan(kernel) -> None:
    """modprobe macvlan: hook the notifier into this kernel's chain."""
    kernel.notifiers.append(macvlan_device_event)


def _load_macvtap(kernel) -> None:
    kernel.request_module("macvlan")


MODULES["macvlan"] = _load_macvlan
MODULES["macvtap"] = _load_macvtap
MODULE_ALIASES["rtnl-link-macvlan"] = "macvlan"
MODULE_ALIASES["rtnl-link-macvtap"] = "macvtap"

register_kind(MacvlanKind())
register_kind(MacvtapKind())
