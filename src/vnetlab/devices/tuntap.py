"""TUN and TAP (drivers/net/tun.c, include/uapi/linux/if_tun.h), kernel-spec §5 (TUN-*).

A ``TunFile`` is one open of ``/dev/net/tun`` (struct tun_file), in memory: the ioctls are
methods (``set_iff`` = TUNSETIFF, ``set_persist``, ``set_owner``, ``set_group``, ``set_queue``,
``set_carrier``, ``set_vnet_hdr_sz``, ``get_iff``), plus ``read`` / ``write`` / ``close``. A
``Tun`` is the net_device (kind "tun" for both TUN and TAP, as on the kernel). Nothing here does
I/O: ``vnetlab.tuntap`` puts a file-like API (blocking, asyncio, or the real /dev/net/tun) on top.

Creation and attachment (``tun_set_iff()``, ``tun_attach()``, ``__tun_detach()``):

* TUN-01   flag bits as in if_tun.h; IFF_PERSIST is reported, never taken from TUNSETIFF.
* TUN-02   an unknown name creates a device: CAP_NET_ADMIN else EPERM; neither IFF_TUN nor
           IFF_TAP is EINVAL; default names ``tun%d`` / ``tap%d``; a name is cut to 15 bytes.
* TUN-03   an existing name: IFF_TUN_EXCL EBUSY; another type (or not a tun at all) EINVAL;
           IFF_MULTI_QUEUE mismatch EINVAL; not owner/group and no CAP_NET_ADMIN EPERM; a
           single-queue device with a file EBUSY; 256 queues E2BIG; the file's flags
           (NO_PI, ONE_QUEUE, VNET_HDR, MULTI_QUEUE, NAPI*) replace the device's, except when a
           second multi-queue file joins. TUNSETIFF on an attached file is EEXIST.
* TUN-04   other ioctls, read and write on an unattached file: EBADFD (TUNSETQUEUE: EINVAL).
* TUN-05   TUN: ARPHRD_NONE, no address, POINTOPOINT|NOARP|MULTICAST, qlen 500, mtu 68..65535.
* TUN-06   TAP: Ethernet, random MAC, qlen 1000 (ether_setup), mtu 68..65521.
* TUN-07   TUNSETIFF turns carrier on (off with IFF_NO_CARRIER); the last queue leaving turns it
           off and unregisters a device that is not persistent; TUNSETCARRIER.
* TUN-08/09  TUNSETPERSIST, TUNSETOWNER, TUNSETGROUP (-1 is EINVAL).
* TUN-10   multi-queue: up to 256 queues, TUNSETQUEUE IFF_DETACH_QUEUE / IFF_ATTACH_QUEUE; the
           stack picks a queue by the flow table (the queue that last wrote the flow, for 3 s),
           else ``reciprocal_scale(hash, numqueues)``. [EMU] the symmetric flow hash is CRC32 over
           the sorted address pair, protocol and sorted ports, not the kernel's siphash.
* TUN-11   IFF_VNET_HDR: a virtio_net_hdr (10 bytes, TUNSETVNETHDRSZ >= 10) after the PI.

I/O (``tun_get_user()``, ``tun_put_user()``, ``tun_do_read()``, ``tun_net_xmit()``):

* TUN-PI-01..03  4-byte header: flags (host order, TUN_PKT_STRIP when the buffer is short),
           proto big-endian; on write the proto is taken as given (TUN) or ignored (TAP).
* TUN-IO-01  TUN without PI: version nibble 4 or 6, else EINVAL and rx_dropped (0 bytes too).
* TUN-IO-02  TAP: < 14 bytes EINVAL; vnet hdr_len 1..13 EINVAL.
* TUN-IO-03  not IFF_UP: EIO and rx_dropped (after the format checks); carrier is not checked.
* TUN-IO-04  the packet is received on the device (backlog), rx counters, returns the length.
* TUN-IO-05  one packet per read, cut to the buffer, returns min(len, total); 0-byte read 0;
           EAGAIN when empty; reads work while down; a blocked reader of a deleted device gets
           EFAULT, then EBADFD (the blocking part is in vnetlab.tuntap).
* TUN-IO-06  the per-queue ptr_ring of tx_queue_len entries, with the kernel's batched
           consumer (a slot read is freed only 16 reads later, or at the ring's end: the host
           showed 496 free slots after 4 reads); a full ring or no queue: tx_dropped. The device
           counts tx_packets / tx_bytes when user space reads, as tun_put_user() does.

``rtnl`` (``tun_link_ops``): ``ip link add … type tun`` is refused by ``tun_validate()`` with
EOPNOTSUPP "tun/tap creation via rtnetlink is not supported." (host 6.18); ``ip link del`` works
and detaches every file (``tun_detach_all``).
"""

from __future__ import annotations

import zlib
from collections import deque

from ..stack.errors import (E2BIG, EAGAIN, EBADFD, EBUSY, EEXIST, EINVAL, EIO, EOPNOTSUPP,
                            EPERM, KernelError)
from ..stack.kernel import LinkKind, register_kind
from ..stack.netdev import (ARPHRD_ETHER, ARPHRD_NONE, IFF_MULTICAST, IFF_NOARP,
                            IFF_POINTOPOINT, IFF_UP, NetDevice, eth_type_trans, netif_rx)
from ..stack.skb import Skb

__all__ = [
    "Tun", "TunFile", "TunKind", "Cred", "ROOT", "PtrRing", "open_tun_file",
    "IFF_TUN", "IFF_TAP", "IFF_NAPI", "IFF_NAPI_FRAGS", "IFF_NO_CARRIER", "IFF_MULTI_QUEUE",
    "IFF_ATTACH_QUEUE", "IFF_DETACH_QUEUE", "IFF_PERSIST", "IFF_NO_PI", "IFF_NOFILTER",
    "IFF_ONE_QUEUE", "IFF_VNET_HDR", "IFF_TUN_EXCL", "TUN_TYPE_MASK", "TUN_FEATURES",
    "TUN_PKT_STRIP", "TUN_READQ_SIZE", "MAX_TAP_QUEUES", "VNET_HDR_LEN", "TUN_FLOW_EXPIRE",
]

# include/uapi/linux/if_tun.h
IFF_TUN = 0x0001
IFF_TAP = 0x0002
IFF_NAPI = 0x0010
IFF_NAPI_FRAGS = 0x0020
IFF_NO_CARRIER = 0x0040
IFF_MULTI_QUEUE = 0x0100
IFF_ATTACH_QUEUE = 0x0200
IFF_DETACH_QUEUE = 0x0400
IFF_PERSIST = 0x0800
IFF_NO_PI = 0x1000
IFF_NOFILTER = 0x1000
IFF_ONE_QUEUE = 0x2000
IFF_VNET_HDR = 0x4000
IFF_TUN_EXCL = 0x8000
TUN_TYPE_MASK = IFF_TUN | IFF_TAP
TUN_FEATURES = (IFF_NO_PI | IFF_ONE_QUEUE | IFF_VNET_HDR | IFF_MULTI_QUEUE | IFF_NAPI |
                IFF_NAPI_FRAGS)
TUN_PKT_STRIP = 0x0001
TUN_READQ_SIZE = 500
MAX_TAP_QUEUES = 256
VNET_HDR_LEN = 10                      # sizeof(struct virtio_net_hdr)
VIRTIO_NET_HDR_F_NEEDS_CSUM = 1
VIRTIO_NET_HDR_GSO_NONE = 0
TUN_FLOW_EXPIRE = 3_000_000_000        # 3 * HZ, in ns
MIN_MTU = 68
MAX_MTU = 65535
ETH_HLEN = 14
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
IFNAMSIZ = 16
SMP_CACHE_BYTES = 64


class Cred:
    """The caller's credentials as TUNSETIFF sees them (current_cred() + ns_capable())."""

    __slots__ = ("uid", "gid", "groups", "net_admin")

    def __init__(self, uid: int = 0, gid: int = 0, groups=(), net_admin: bool = True):
        self.uid = uid
        self.gid = gid
        self.groups = tuple(groups)
        self.net_admin = net_admin

    def in_group(self, gid: int) -> bool:
        return gid == self.gid or gid in self.groups


ROOT = Cred()


class PtrRing:
    """include/linux/ptr_ring.h as tun uses it: ``size`` slots; the producer fails when its
    slot is still set; the consumer clears read slots only in batches of ``batch`` or at the end
    of the ring (``__ptr_ring_discard_one``), so a few slots just read are not yet reusable."""

    __slots__ = ("q", "size", "batch", "head", "tail")

    def __init__(self, size: int):
        self.q: deque = deque()
        self.resize(size)

    def resize(self, size: int) -> None:
        """ptr_ring_resize(): the queued entries move to a fresh ring (indices restart)."""
        self.size = size
        b = SMP_CACHE_BYTES * 2 // 8
        self.batch = 1 if (b > size // 2 or not b) else b
        self.head = 0                      # consumer_head (position in the ring)
        self.tail = 0                      # consumer_tail (first slot not yet cleared)
        while len(self.q) > size:          # what does not fit is freed
            self.q.pop()

    def produce(self, item) -> bool:
        if len(self.q) + (self.head - self.tail) >= self.size:
            return False
        self.q.append(item)
        return True

    def consume(self):
        item = self.q.popleft()
        head = self.head + 1
        if head - self.tail >= self.batch or head >= self.size:
            self.tail = head
        if head >= self.size:
            head = 0
            self.tail = 0
        self.head = head
        return item

    def purge(self) -> None:
        """tun_queue_purge(): everything queued is freed (the ring keeps its indices)."""
        while self.q:
            self.consume()

    def __len__(self) -> int:
        return len(self.q)


def _flow_hash(data: bytes, off: int) -> int:
    """[EMU] a symmetric flow hash (__skb_get_hash_symmetric stand-in): IPv4 addresses and the
    first four L4 bytes sorted, so both directions of a flow hash the same; never 0."""
    if len(data) >= off + 20 and data[off] >> 4 == 4:
        a, b = data[off + 12:off + 16], data[off + 16:off + 20]
        ihl = (data[off] & 15) * 4
        proto = data[off + 9]
        p = data[off + ihl:off + ihl + 2], data[off + ihl + 2:off + ihl + 4]
        key = min(a, b) + max(a, b) + bytes([proto])
        if proto in (6, 17, 132):
            key += min(p) + max(p)
    else:
        key = data[off:off + 40]
    return zlib.crc32(key) or 1


class Tun(NetDevice):
    """One tun/tap net_device (struct tun_struct)."""

    kind = "tun"
    max_mtu = MAX_MTU

    def __init__(self, kernel, name: str, flags: int):
        self.rings_owner: list = []        # before NetDevice sets tx_queue_len
        super().__init__(kernel, name)
        self.tun_flags = flags & TUN_TYPE_MASK
        self.owner = -1
        self.group_id = -1
        self.tfiles: list[TunFile] = []    # attached, enabled queues (tun->tfiles[])
        self.disabled: list[TunFile] = []  # detached queues (tun->disabled)
        self.flows: dict[int, list] = {}  # rxhash -> [queue_index, updated]
        self.vnet_hdr_sz = VNET_HDR_LEN
        self.tso_max_size = 65536
        self.min_mtu = MIN_MTU
        if flags & IFF_TAP:                # tun_net_initialize(): ether_setup + random MAC
            self.type = ARPHRD_ETHER
            self.max_mtu = MAX_MTU - ETH_HLEN
            self._txqlen = 1000
        else:
            self.type = ARPHRD_NONE
            self.hard_header_len = 0
            self.addr_len = 0
            self.addr = b""
            self.broadcast = b""
            self.has_eth_header = False
            self.flags = IFF_POINTOPOINT | IFF_NOARP | IFF_MULTICAST
            self.addr_assign_type = 0
            self._txqlen = TUN_READQ_SIZE
        if flags & IFF_MULTI_QUEUE:
            self.num_tx_queues = self.num_rx_queues = MAX_TAP_QUEUES

    # tx_queue_len: a change resizes every queue's ring (tun_queue_resize on
    # NETDEV_CHANGE_TX_QUEUE_LEN)
    @property
    def tx_queue_len(self) -> int:
        return self._txqlen

    @tx_queue_len.setter
    def tx_queue_len(self, n: int) -> None:
        self._txqlen = n
        for f in getattr(self, "tfiles", ()):
            f.ring.resize(n)
        for f in getattr(self, "disabled", ()):
            f.ring.resize(n)

    # the root qdisc's name as IFLA_QDISC reports it: a multi-queue device gets "mq" (with one
    # pfifo_fast per queue) when dev_activate() attaches the default; a tc layer may set its own
    @property
    def qdisc_kind(self):
        k = self.__dict__.get("_qdisc_kind")
        if k is None and self.num_tx_queues > 1 and self.qdisc_attached:
            return "mq"
        return k

    @qdisc_kind.setter
    def qdisc_kind(self, kind) -> None:
        self.__dict__["_qdisc_kind"] = kind

    @property
    def is_tap(self) -> bool:
        return bool(self.tun_flags & IFF_TAP)

    @property
    def numqueues(self) -> int:
        return len(self.tfiles)

    def sysfs_flags(self) -> int:
        """tun_flags(): what /sys/class/net/X/tun_flags and TUNGETIFF show."""
        return self.tun_flags & (TUN_FEATURES | IFF_PERSIST | IFF_TUN | IFF_TAP)

    # -- net_device_ops ----------------------------------------------------------------------
    def ndo_change_mtu(self, mtu: int) -> None:
        self.mtu = mtu

    def ndo_set_mac_address(self, mac: bytes) -> None:
        """tap: eth_mac_addr (IFF_LIVE_ADDR_CHANGE); tun has no ndo_set_mac_address."""
        if not self.tun_flags & IFF_TAP:
            raise KernelError(EOPNOTSUPP)
        super().ndo_set_mac_address(mac)

    def ndo_start_xmit(self, skb: Skb) -> None:
        """tun_net_xmit(): a queue (flow table, else hash), then its ring; else tx_dropped."""
        tfiles = self.tfiles
        n = len(tfiles)
        if n == 1:
            f = tfiles[0]
        elif n == 0:
            self._tx_drop(skb, "DEV_READY")
            return
        else:
            f = tfiles[self._select_queue(skb, n)]
        if not f.ring.produce(skb):
            self._tx_drop(skb, "FULL_RING")
            return
        cb = f.on_readable
        if cb is not None:
            cb(f)

    def _tx_drop(self, skb: Skb, reason: str) -> None:
        self.tx_dropped += 1
        tr = self.kernel.trace
        if tr is not None:
            tr.drop(self.kernel.engine.now, self.ns, self, skb, reason, "TUN-IO-06")

    def _select_queue(self, skb: Skb, n: int) -> int:
        """tun_automq_select_queue()."""
        h = _flow_hash(skb.data, skb.mac_len)
        e = self.flows.get(h)
        if e is not None and e[0] < n and \
                self.kernel.engine.now - e[1] < TUN_FLOW_EXPIRE:
            return e[0]
        return (h * n) >> 32

    def flow_update(self, data: bytes, off: int, f: "TunFile") -> None:
        """tun_flow_update(): remember which queue wrote this flow (multi-queue only)."""
        if len(self.tfiles) <= 1 or f.detached is not None:
            return
        self.flows[_flow_hash(data, off)] = [f.queue_index, self.kernel.engine.now]

    # -- attach / detach ---------------------------------------------------------------------
    def attach(self, f: "TunFile") -> None:
        """tun_attach()."""
        if f.tun is not None and f.tun is not self or f.tun is self and f.detached is None:
            raise KernelError(EINVAL)
        if not self.tun_flags & IFF_MULTI_QUEUE and len(self.tfiles) == 1:
            raise KernelError(EBUSY)
        if f.detached is None and len(self.tfiles) + len(self.disabled) >= MAX_TAP_QUEUES:
            raise KernelError(E2BIG)
        if f.detached is not None:
            self.disabled.remove(f)
            f.detached = None
        f.ring.resize(self._txqlen)
        f.queue_index = len(self.tfiles)
        self.tfiles.append(f)
        f.tun = self

    def detach(self, f: "TunFile", clean: bool) -> None:
        """__tun_detach(): leave the queue array (the last queue takes the freed index), purge
        the ring; ``clean`` (close) may turn carrier off and unregister the device."""
        if f.detached is None and f in self.tfiles:
            i = f.queue_index
            last = self.tfiles.pop()
            if last is not f:
                self.tfiles[i] = last
                last.queue_index = i
            if clean:
                f.tun = None
            else:                               # tun_disable_queue(): tfile->tun stays
                f.detached = self
                self.disabled.append(f)
            for k, e in list(self.flows.items()):   # tun_flow_delete_by_queue(numqueues + 1)
                if e[0] == len(self.tfiles) + 1:
                    del self.flows[k]
            f.ring.purge()
        elif f.detached is self and clean:
            self.disabled.remove(f)
            f.detached = None
            f.tun = None
            f.ring.purge()
        if clean and not self.tfiles and not self.disabled:
            self.carrier_off()
            if not self.tun_flags & IFF_PERSIST and self.reg_state == "REGISTERED":
                self.kernel.unregister_many([self])

    def uninit(self) -> None:
        """tun_net_uninit() -> tun_detach_all(): every file loses the device (a blocked reader
        gets EFAULT, later calls EBADFD)."""
        for f in self.tfiles + self.disabled:
            f.tun = None
            f.detached = None
            f.gone = True
            f.ring.purge()
            cb = f.on_readable
            if cb is not None:
                cb(f)
        self.tfiles = []
        self.disabled = []

    # -- rtnl --------------------------------------------------------------------------------
    def fill_info(self) -> dict:
        """tun_fill_info(): IFLA_TUN_*."""
        fl = self.tun_flags
        d = {"type": fl & TUN_TYPE_MASK}
        if self.owner != -1:
            d["owner"] = self.owner
        if self.group_id != -1:
            d["group"] = self.group_id
        d["pi"] = not fl & IFF_NO_PI
        d["vnet_hdr"] = bool(fl & IFF_VNET_HDR)
        d["persist"] = bool(fl & IFF_PERSIST)
        d["multi_queue"] = bool(fl & IFF_MULTI_QUEUE)
        if fl & IFF_MULTI_QUEUE:
            d["numqueues"] = len(self.tfiles)
            d["numdisabled"] = len(self.disabled)
        return d


class TunFile:
    """One open of /dev/net/tun (struct tun_file). ``nonblock`` is O_NONBLOCK.

    [EMU] ``read`` never blocks: with nothing queued it raises BlockingIOError (EAGAIN) whatever
    ``nonblock`` says; ``on_readable(file)`` (a callable, or None) is called when a packet is
    queued or the device goes away - the emulator's wake-up; vnetlab.tuntap builds blocking
    and asyncio reads on it. ``gone`` is set when the device was deleted under the file."""

    def __init__(self, ns, nonblock: bool = False):
        self.ns = ns
        self.kernel = ns.kernel
        self.tun: Tun | None = None
        self.detached: Tun | None = None
        self.ring = PtrRing(TUN_READQ_SIZE)
        self.queue_index = 0
        self.nonblock = nonblock
        self.closed = False
        self.gone = False
        self.on_readable = None

    def __repr__(self) -> str:
        dev = self.tun or self.detached
        return f"<TunFile {dev.name if dev else '(unattached)'} queued={len(self.ring)}>"

    def __enter__(self) -> "TunFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def readable(self) -> bool:
        return bool(self.ring.q)

    @property
    def name(self) -> str | None:
        dev = self.tun or self.detached
        return dev.name if dev is not None else None

    def _check(self) -> Tun:
        if self.closed:
            raise ValueError("I/O operation on closed tun file")
        tun = self.tun                   # a disabled queue keeps tfile->tun: I/O still works
        if tun is None:
            raise KernelError(EBADFD)
        return tun

    # -- TUNSETIFF ---------------------------------------------------------------------------
    def set_iff(self, name: str = "", flags: int = IFF_TUN, cred: Cred = ROOT) -> str:
        """TUNSETIFF: attach to ``name`` or create it; returns the device's name (TUN-02/03)."""
        if self.closed:
            raise ValueError("I/O operation on closed tun file")
        if self.tun is not None:
            raise KernelError(EEXIST)
        name = name.encode("utf-8", "surrogateescape")[:IFNAMSIZ - 1] \
            .decode("utf-8", "surrogateescape")
        ns = self.ns
        kernel = self.kernel
        dev = ns.by_name.get(name) if name else None
        if dev is not None:
            if flags & IFF_TUN_EXCL:
                raise KernelError(EBUSY)
            if not isinstance(dev, Tun):
                raise KernelError(EINVAL)
            if flags & IFF_TUN:                 # IFF_TUN wins when both bits are given
                if not dev.tun_flags & IFF_TUN:
                    raise KernelError(EINVAL)
            elif not (flags & IFF_TAP and dev.tun_flags & IFF_TAP):
                raise KernelError(EINVAL)
            if bool(flags & IFF_MULTI_QUEUE) != bool(dev.tun_flags & IFF_MULTI_QUEUE):
                raise KernelError(EINVAL)
            if self._not_capable(dev, cred):
                raise KernelError(EPERM)
            dev.attach(self)
            if dev.tun_flags & IFF_MULTI_QUEUE and len(dev.tfiles) + len(dev.disabled) > 1:
                return dev.name
            dev.tun_flags = (dev.tun_flags & ~TUN_FEATURES) | (flags & TUN_FEATURES)
        else:
            if not cred.net_admin:
                raise KernelError(EPERM)
            if flags & IFF_TUN:
                typ, template = IFF_TUN, "tun%d"
            elif flags & IFF_TAP:
                typ, template = IFF_TAP, "tap%d"
            else:
                raise KernelError(EINVAL)
            dev = Tun(kernel, name or template, typ | (flags & IFF_MULTI_QUEUE))
            dev.tun_flags = typ | (flags & TUN_FEATURES)
            dev.attach(self)
            try:
                kernel.register_netdevice(dev, ns)
            except KernelError:
                dev.tfiles.clear()
                self.tun = None
                raise
        if flags & IFF_NO_CARRIER:
            dev.carrier_off()
        else:
            dev.carrier_on()
        return dev.name

    @staticmethod
    def _not_capable(dev: Tun, cred: Cred) -> bool:
        """tun_not_capable()."""
        return ((dev.owner != -1 and cred.uid != dev.owner) or
                (dev.group_id != -1 and not cred.in_group(dev.group_id))) and not cred.net_admin

    # -- other ioctls ------------------------------------------------------------------------
    def get_iff(self) -> tuple[str, int]:
        """TUNGETIFF: (name, tun_flags)."""
        tun = self._ioctl_dev()
        return tun.name, tun.sysfs_flags()

    def _ioctl_dev(self) -> Tun:
        """__tun_chr_ioctl(): tun_get(tfile) or EBADFD (a disabled queue still counts)."""
        if self.closed:
            raise ValueError("I/O operation on closed tun file")
        tun = self.tun
        if tun is None:
            raise KernelError(EBADFD)
        return tun

    def set_persist(self, on: bool) -> None:
        tun = self._ioctl_dev()
        if on:
            tun.tun_flags |= IFF_PERSIST
        else:
            tun.tun_flags &= ~IFF_PERSIST

    def set_owner(self, uid: int) -> None:
        tun = self._ioctl_dev()
        if uid in (-1, 0xFFFFFFFF):
            raise KernelError(EINVAL)
        tun.owner = uid

    def set_group(self, gid: int) -> None:
        tun = self._ioctl_dev()
        if gid in (-1, 0xFFFFFFFF):
            raise KernelError(EINVAL)
        tun.group_id = gid

    def set_carrier(self, on: bool) -> None:
        """TUNSETCARRIER (tun_net_change_carrier)."""
        tun = self._ioctl_dev()
        if on:
            tun.carrier_on()
        else:
            tun.carrier_off()

    def set_vnet_hdr_sz(self, size: int) -> None:
        tun = self._ioctl_dev()
        if size < VNET_HDR_LEN:
            raise KernelError(EINVAL)
        tun.vnet_hdr_sz = size

    def set_queue(self, flags: int) -> None:
        """TUNSETQUEUE (tun_set_queue(), TUN-10)."""
        if self.closed:
            raise ValueError("I/O operation on closed tun file")
        if flags & IFF_ATTACH_QUEUE:
            tun = self.detached
            if tun is None:
                raise KernelError(EINVAL)
            tun.attach(self)
        elif flags & IFF_DETACH_QUEUE:
            tun = self.tun
            if tun is None or not tun.tun_flags & IFF_MULTI_QUEUE or self.detached is not None:
                raise KernelError(EINVAL)
            tun.detach(self, clean=False)
        else:
            raise KernelError(EINVAL)

    # -- write (tun_get_user) ----------------------------------------------------------------
    def write(self, buf) -> int:
        tun = self._check()
        buf = bytes(buf)
        total = len(buf)
        fl = tun.tun_flags
        off = 0
        proto = ETH_P_IP
        if not fl & IFF_NO_PI:
            if total < 4:
                raise KernelError(EINVAL)
            proto = (buf[2] << 8) | buf[3]
            off = 4
        if fl & IFF_VNET_HDR:
            sz = tun.vnet_hdr_sz
            if total - off < sz:
                raise KernelError(EINVAL)
            h = buf[off:off + VNET_HDR_LEN]
            hdr_len = h[2] | (h[3] << 8)
            if h[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM:
                need = (h[6] | (h[7] << 8)) + (h[8] | (h[9] << 8)) + 2
                if need > hdr_len:
                    hdr_len = need
            if hdr_len > total - off - sz:
                raise KernelError(EINVAL)
            off += sz
            if fl & IFF_TAP and 0 < hdr_len < ETH_HLEN:
                raise KernelError(EINVAL)
            if h[1] != VIRTIO_NET_HDR_GSO_NONE:
                tun.rx_frame_errors += 1          # [EMU] no GSO super-packets
                raise KernelError(EINVAL)
        data = buf[off:] if off else buf
        n = len(data)
        if fl & IFF_TAP:
            if n < ETH_HLEN:
                raise KernelError(EINVAL)
            skb = Skb(data, tun)
            eth_type_trans(skb, tun)
        else:
            if fl & IFF_NO_PI:
                v = data[0] >> 4 if n else 0
                if v == 4:
                    proto = ETH_P_IP
                elif v == 6:
                    proto = ETH_P_IPV6
                else:
                    tun.rx_dropped += 1
                    raise KernelError(EINVAL)
            skb = Skb(data, tun, proto, 0)
        if not tun.flags & IFF_UP:
            tun.rx_dropped += 1
            tr = tun.kernel.trace
            if tr is not None:
                tr.drop(tun.kernel.engine.now, tun.ns, tun, skb, "DEV_READY", "TUN-IO-03")
            raise KernelError(EIO)
        netif_rx(skb)
        if len(tun.tfiles) > 1:
            # tun_flow_update() runs after the packet went up the stack (netif_rx_ni() in the
            # write syscall): an answer sent at once still sees the old flow entry
            tun.kernel.engine.call_soon(tun.flow_update, data, 0 if fl & IFF_TUN else ETH_HLEN,
                                        self)
        tun.rx_packets += 1
        tun.rx_bytes += n
        return total

    # -- read (tun_do_read / tun_put_user) ---------------------------------------------------
    def read(self, n: int = 65536) -> bytes:
        tun = self._check()
        if n <= 0:
            return b""
        ring = self.ring
        if not ring.q:
            raise BlockingIOError(EAGAIN, "Resource temporarily unavailable")
        skb = ring.consume()
        data = skb.data
        fl = tun.tun_flags
        vsz = tun.vnet_hdr_sz if fl & IFF_VNET_HDR else 0
        total = len(data) + vsz
        head = b""
        if not fl & IFF_NO_PI:
            if n < 4:
                raise KernelError(EINVAL)        # the packet is freed
            total += 4
            pf = TUN_PKT_STRIP if n < total else 0
            p = skb.protocol
            head = bytes((pf & 0xFF, pf >> 8, p >> 8, p & 0xFF))
        if vsz:
            if n - len(head) < vsz:
                raise KernelError(EINVAL)
            head += b"\x00" * vsz
        tun.tx_packets += 1
        tun.tx_bytes += len(data)
        if head:
            data = head + data
        return data[:n] if n < len(data) else data

    # -- close -------------------------------------------------------------------------------
    def close(self) -> None:
        """tun_chr_close() -> tun_detach(tfile, true)."""
        if self.closed:
            return
        self.closed = True
        tun = self.tun or self.detached
        if tun is not None:
            tun.detach(self, clean=True)
        self.tun = None
        self.detached = None
        self.ring.q.clear()


def open_tun_file(ns, nonblock: bool = False) -> TunFile:
    """open("/dev/net/tun") in netns ``ns``: an unattached file (TUN-04)."""
    return TunFile(ns, nonblock)


class TunKind(LinkKind):
    """tun_link_ops: listing and deletion only."""

    kind = "tun"
    template = "tun%d"

    def validate(self, req) -> None:
        raise KernelError(EOPNOTSUPP, "tun/tap creation via rtnetlink is not supported.")


register_kind(TunKind())
