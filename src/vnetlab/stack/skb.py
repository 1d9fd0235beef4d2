"""The socket buffer: one frame in flight plus the metadata the kernel keeps beside it."""

from __future__ import annotations

# skb->pkt_type (include/uapi/linux/if_packet.h)
PACKET_HOST = 0
PACKET_BROADCAST = 1
PACKET_MULTICAST = 2
PACKET_OTHERHOST = 3
PACKET_OUTGOING = 4
PACKET_LOOPBACK = 5

PKT_TYPE_NAMES = ("HOST", "BROADCAST", "MULTICAST", "OTHERHOST", "OUTGOING", "LOOPBACK")


class Skb:
    """``data`` is the whole frame as bytes, link-layer header included (``mac_len`` bytes of it;
    0 on L3 devices such as tun or ipip). Frames are immutable: a hop that rewrites a header
    builds new bytes. The same Skb travels hop to hop, as in the kernel; floods use ``clone()``."""

    __slots__ = ("data", "dev", "pkt_type", "protocol", "mac_len", "mark", "iif", "priority",
                 "redirected", "from_ingress", "tc_skip", "dst", "sk", "offload_fwd_mark", "cb")

    def __init__(self, data: bytes, dev=None, protocol: int = 0, mac_len: int = 14):
        self.data = data
        self.dev = dev
        self.pkt_type = PACKET_HOST
        self.protocol = protocol
        self.mac_len = mac_len
        self.mark = 0
        self.iif = 0
        self.priority = 0
        self.redirected = False
        self.from_ingress = False
        self.tc_skip = False
        self.dst = None       # route chosen for this packet (set by IPv4 input/output)
        self.sk = None        # owning socket, for locally generated packets
        self.offload_fwd_mark = 0
        self.cb = None        # per-layer scratch (the kernel's skb->cb)

    def clone(self) -> "Skb":
        c = Skb.__new__(Skb)
        c.data = self.data
        c.dev = self.dev
        c.pkt_type = self.pkt_type
        c.protocol = self.protocol
        c.mac_len = self.mac_len
        c.mark = self.mark
        c.iif = self.iif
        c.priority = self.priority
        c.redirected = self.redirected
        c.from_ingress = self.from_ingress
        c.tc_skip = self.tc_skip
        c.dst = self.dst
        c.sk = None
        c.offload_fwd_mark = self.offload_fwd_mark
        c.cb = None
        return c

    def __len__(self) -> int:
        return len(self.data)

    @property
    def network(self) -> bytes:
        """The L3 part of the frame (after the link-layer header)."""
        return self.data[self.mac_len:]

    def __repr__(self) -> str:
        dev = self.dev.name if self.dev is not None else None
        return f"<Skb len={len(self.data)} dev={dev} pkt_type={PKT_TYPE_NAMES[self.pkt_type]} proto={self.protocol:#06x}>"
