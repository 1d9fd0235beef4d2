"""The pcapng file format (draft-ietf-opsawg-pcapng): pure functions from frames to bytes, and a
capture object that taps every device of one netns. No I/O: callers write the bytes.

One file per netns: a Section Header Block (shb_userappl "vnetlab"), one Interface Description
Block per device (if_name, if_tsresol 9 = nanoseconds, linktype Ethernet - or RAW for a device
without a link-layer header), then Enhanced Packet Blocks whose timestamps are the engine's
virtual time in nanoseconds and whose epb_flags give the direction (inbound / outbound).
Every block is little-endian and padded to 32 bits.

The capture hook is the kernel's packet tap (``dev.ptype_all``), the seam tcpdump uses: it sees
a received frame in netif_receive before any rx_handler, and a sent frame in dev_queue_xmit
before the qdisc, exactly where AF_PACKET sees them.
"""

from __future__ import annotations

import struct

BT_SHB = 0x0A0D0D0A
BT_IDB = 0x00000001
BT_EPB = 0x00000006
BYTE_ORDER_MAGIC = 0x1A2B3C4D
OPT_ENDOFOPT = 0
OPT_COMMENT = 1
SHB_HARDWARE, SHB_OS, SHB_USERAPPL = 2, 3, 4
IF_NAME, IF_DESCRIPTION, IF_MACADDR, IF_TSRESOL = 2, 3, 6, 9
EPB_FLAGS = 2
EPB_INBOUND, EPB_OUTBOUND = 1, 2
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
DEFAULT_SNAPLEN = 262144


def _pad(b: bytes) -> bytes:
    return b + b"\x00" * (-len(b) % 4)


def option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + _pad(value)


def _options(opts: list[bytes]) -> bytes:
    return b"".join(opts) + struct.pack("<HH", OPT_ENDOFOPT, 0) if opts else b""


def block(btype: int, body: bytes) -> bytes:
    body = _pad(body)
    total = len(body) + 12
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def section_header(userappl: str = "vnetlab", hardware: str | None = None,
                   os: str | None = None) -> bytes:
    opts = []
    if hardware:
        opts.append(option(SHB_HARDWARE, hardware.encode()))
    if os:
        opts.append(option(SHB_OS, os.encode()))
    if userappl:
        opts.append(option(SHB_USERAPPL, userappl.encode()))
    body = struct.pack("<IHHq", BYTE_ORDER_MAGIC, 1, 0, -1) + _options(opts)
    return block(BT_SHB, body)


def interface_description(name: str, linktype: int = LINKTYPE_ETHERNET,
                          snaplen: int = DEFAULT_SNAPLEN, description: str | None = None,
                          mac: bytes | None = None, tsresol: int = 9) -> bytes:
    opts = [option(IF_NAME, name.encode())]
    if description:
        opts.append(option(IF_DESCRIPTION, description.encode()))
    if mac is not None and len(mac) == 6:
        opts.append(option(IF_MACADDR, bytes(mac)))
    opts.append(option(IF_TSRESOL, bytes([tsresol])))
    body = struct.pack("<HHI", linktype, 0, snaplen) + _options(opts)
    return block(BT_IDB, body)


def enhanced_packet(if_id: int, ts: int, data: bytes, orig_len: int | None = None,
                    flags: int | None = None, snaplen: int = DEFAULT_SNAPLEN) -> bytes:
    """``ts`` is in the interface's resolution (nanoseconds with if_tsresol 9)."""
    cap = bytes(data[:snaplen])
    orig = len(data) if orig_len is None else orig_len
    ts = int(ts)
    head = struct.pack("<IIIII", if_id, (ts >> 32) & 0xFFFFFFFF, ts & 0xFFFFFFFF, len(cap), orig)
    opts = [option(EPB_FLAGS, struct.pack("<I", flags))] if flags is not None else []
    return block(BT_EPB, head + _pad(cap) + _options(opts))


class NsCapture:
    """Capture every device of one netns into one pcapng section (in memory).

    ``start()`` taps the devices present now (one IDB each, in ifindex order); ``stop()``
    removes the taps; ``data()`` is the whole file."""

    def __init__(self, ns, snaplen: int = DEFAULT_SNAPLEN):
        self.ns = ns
        self.snaplen = snaplen
        self.blocks: list[bytes] = [section_header("vnetlab")]
        self.ifids: dict[int, int] = {}            # id(dev) -> interface id
        self.taps: list[tuple] = []
        self.count = 0

    def _add_interface(self, dev) -> int:
        idx = len(self.ifids)
        self.ifids[id(dev)] = idx
        has_eth = getattr(dev, "has_eth_header", True)
        self.blocks.append(interface_description(
            dev.name, LINKTYPE_ETHERNET if has_eth else LINKTYPE_RAW, self.snaplen,
            description=f"{self.ns.name or 'init'} {dev.name} ({dev.kind or 'nic'})"
            if getattr(dev, "kind", None) is not None else None,
            mac=dev.addr if has_eth else None))
        return idx

    def start(self) -> None:
        for dev in sorted(self.ns.devices, key=lambda d: d.ifindex):
            self._add_interface(dev)
            tap = self._tap_for(self.ifids[id(dev)])
            dev.ptype_all.append(tap)
            self.taps.append((dev, tap))

    def _tap_for(self, if_id: int):
        blocks = self.blocks
        snaplen = self.snaplen

        def tap(skb, dev, is_tx: bool) -> None:
            data = skb.data
            if not getattr(dev, "has_eth_header", True) and skb.mac_len:
                data = data[skb.mac_len:]
            blocks.append(enhanced_packet(if_id, dev.kernel.engine.now, data,
                                          flags=EPB_OUTBOUND if is_tx else EPB_INBOUND,
                                          snaplen=snaplen))
            self.count += 1
        return tap

    def stop(self) -> None:
        for dev, tap in self.taps:
            try:
                dev.ptype_all.remove(tap)
            except ValueError:
                pass
        self.taps = []

    def data(self) -> bytes:
        return b"".join(self.blocks)


def read_blocks(data: bytes):
    """(block type, body) of each block of a little-endian pcapng file (for tests and tools)."""
    off = 0
    while off + 12 <= len(data):
        btype, total = struct.unpack_from("<II", data, off)
        if total < 12 or off + total > len(data):
            raise ValueError(f"damaged block at offset {off}")
        yield btype, data[off + 8:off + total - 4]
        off += total
