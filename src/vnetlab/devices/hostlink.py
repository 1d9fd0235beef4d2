"""The host link: an emulated Ethernet device whose wire leaves the emulator.

The emulated half of the hybrid bridge (``vnetlab.backends.hybrid``, like ns-3's TapBridge): the
device's other end is whatever a driver outside the core connects it to - a real TAP device on
the host kernel. Here there is no I/O at all, only an inbox/outbox contract:

* HL-01 shape      a "physical" Ethernet device, like ``nic.Nic``: no rtnl kind (``kind == ""``,
                   so ``ip link add`` cannot make it and ``ip link del`` cannot remove it), made
                   with ``add_hostlink(kernel, ns, name, mac=None)``; random (seeded) MAC unless
                   one is given; MTU 68..65521 (a TAP's range), qlen 1000.
* HL-02 carrier    on while a driver is attached (``attach(wake)``), off after ``detach()``: a
                   fresh host link has no carrier, as a TAP has none without its file (TUN-07).
                   linkwatch applies operstate with its usual rules.
* HL-03 transmit   ``ndo_start_xmit`` counts tx_packets/tx_bytes and appends the frame (bytes)
                   to ``outbox``, then calls the driver's ``wake()`` when the outbox was empty.
                   Without a driver, or with ``outbox_limit`` frames already waiting (the
                   driver is not draining), the frame is dropped: tx_dropped (and
                   tx_carrier_errors without a driver), and a trace drop.
* HL-04 receive    ``deliver(frame)`` takes a frame from outside, at the engine's current time:
                   dropped (rx_dropped) when the device is not UP, shorter than 14 bytes or
                   longer than mtu + 18; else rx_packets/rx_bytes (and multicast for group
                   addresses other than broadcast), eth_type_trans, netif_rx - the frame is
                   processed when the engine next runs its "now" queue (``run_now``). There is
                   no unicast filter (a TAP has none): frames for another MAC reach the stack
                   as PACKET_OTHERHOST, which IPv4 drops. Returns True when accepted.
* HL-05 draining   ``take()`` returns and clears the outbox (the driver writes it to the wire).
"""

from __future__ import annotations

from ..stack.netdev import IFF_UP, NetDevice, eth_type_trans, netif_rx
from ..stack.skb import Skb

__all__ = ["HostLink", "add_hostlink"]

_ZERO_MAC = b"\x00" * 6
_BCAST_MAC = b"\xff" * 6


class HostLink(NetDevice):
    """An Ethernet device whose frames go to (and come from) a driver outside the emulator."""

    kind = ""
    max_mtu = 65521
    outbox_limit = 1000

    def __init__(self, kernel, name: str, mac: bytes | None = None):
        super().__init__(kernel, name)
        if mac is not None:
            mac = bytes(mac)
            if len(mac) != 6 or mac[0] & 1 or mac == _ZERO_MAC:
                from ..stack.errors import EADDRNOTAVAIL, KernelError
                raise KernelError(EADDRNOTAVAIL)
            self.addr = mac
            self.addr_assign_type = 3              # NET_ADDR_SET
        self.carrier = False                       # HL-02: no driver yet
        self.outbox: list[bytes] = []
        self.wake = None
        self.attached = False

    # -- HL-02 ---------------------------------------------------------------------------------
    def attach(self, wake=None) -> None:
        """A driver takes the other end; ``wake()`` is called when the outbox becomes non-empty
        (from inside the engine: it must only note that there is work, never run the engine)."""
        self.wake = wake
        if not self.attached:
            self.attached = True
            self.carrier_on()

    def detach(self) -> None:
        self.wake = None
        self.outbox.clear()
        if self.attached:
            self.attached = False
            self.carrier_off()

    # -- HL-03 / HL-05 -------------------------------------------------------------------------
    def ndo_start_xmit(self, skb) -> None:
        outbox = self.outbox
        if not self.attached or len(outbox) >= self.outbox_limit:
            if not self.attached:
                self.tx_carrier_errors += 1
            self.tx_dropped += 1
            tr = self.kernel.trace
            if tr is not None:
                tr.drop(self.kernel.engine.now, self.ns, self, skb,
                        "NO_TX_TARGET" if not self.attached else "FULL_RING", "HL-03")
            return
        data = bytes(skb.data)
        self.tx_packets += 1
        self.tx_bytes += len(data)
        outbox.append(data)
        if len(outbox) == 1 and self.wake is not None:
            self.wake()

    def take(self) -> list[bytes]:
        """The frames sent since the last call, oldest first (HL-05)."""
        out = self.outbox
        self.outbox = []
        return out

    # -- HL-04 ---------------------------------------------------------------------------------
    def deliver(self, frame) -> bool:
        data = bytes(frame)
        n = len(data)
        if not self.flags & IFF_UP or n < 14 or n > self.mtu + 18:
            self.rx_dropped += 1
            return False
        if data[0] & 1 and data[:6] != _BCAST_MAC:
            self.multicast += 1
        self.rx_packets += 1
        self.rx_bytes += n
        skb = Skb(data, self)
        eth_type_trans(skb, self)
        netif_rx(skb)
        return True

    def uninit(self) -> None:
        self.wake = None
        self.outbox.clear()
        self.attached = False


def add_hostlink(kernel, ns, name: str = "eth%d", mac: bytes | None = None) -> HostLink:
    """Make a host link (no driver yet: no carrier; DOWN) in ``ns``; ``name`` may hold ``%d``."""
    dev = HostLink(kernel, name, mac)
    kernel.register_netdevice(dev, ns)
    return dev
