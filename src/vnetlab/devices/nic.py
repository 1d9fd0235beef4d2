"""A plain Ethernet NIC and the external L2 segment (``Switch``) it plugs into.

The NIC is a "physical" device: no rtnl kind (``kind == ""``, so ``ip link add/del`` cannot make
or remove it), a permanent MAC, made with ``add_nic(kernel, ns, name, mac=None)``. The Switch is a
segment outside every namespace and every kernel — VMware's host-only VMnet1, a lab switch, the
wire between two machines — so NICs of several emulated machines (sharing one Engine) can meet.

Rules:

* NIC-01 carrier   follows the cable: on while the NIC is plugged into a switch that is running,
                   off when unplugged or the switch is powered off (``carrier_on/off``, so
                   linkwatch applies operstate with its usual lag). A fresh NIC is unplugged.
* NIC-02 transmit  ``ndo_start_xmit`` counts tx and hands the frame bytes to the switch port.
                   Without a link the frame is lost (tx_carrier_errors, tx_dropped).
* NIC-03 receive   a frame from the switch reaches a NIC only while it is UP. The NIC's receive
                   filter (IFF_UNICAST_FLT hardware) keeps unicast frames addressed to its own MAC
                   or to an address in its unicast list (``dev.uc``, where macvlan puts its MACs),
                   every group-addressed frame, and everything while promiscuous; the rest is
                   dropped silently, as hardware does. Accepted frames count rx_packets/rx_bytes
                   (whole frame) and multicast, then go eth_type_trans + netif_rx.
* SW-01 learning   the switch learns each valid unicast source MAC on the ingress port; entries
                   age out after ``ageing_ns`` (300 s), checked lazily on lookup (no timers).
* SW-02 forwarding known unicast goes to its port only; unknown unicast, broadcast and
                   multicast flood to every other port with a NIC that is up.
* SW-03 hairpin    per-port reflective relay (802.1Qbg VEPA's adjacent bridge): a frame may go
                   back out its ingress port - known unicast whose destination sits on that port,
                   and floods, which then include the ingress port. Off by default (SW-02 never
                   sends a frame back where it came from). This is what makes MACVLAN vepa work.
* SW-04 latency    each port has a one-way cable latency (ns, default the switch's ``latency_ns``,
                   0): a frame from port A to port B arrives A.latency + B.latency later, via
                   engine timers; with 0 it moves through the engine's "now" queue.
"""

from __future__ import annotations

from ..stack.netdev import (IFF_UP, NetDevice, eth_type_trans, netif_rx)
from ..stack.skb import Skb

__all__ = ["Nic", "Switch", "SwitchPort", "add_nic"]

NSEC_PER_SEC = 1_000_000_000
_ZERO_MAC = b"\x00" * 6
_BCAST_MAC = b"\xff" * 6


class Nic(NetDevice):
    """A wired Ethernet NIC (think e1000): 1 Gb/s, MTU 68..9000, permanent MAC, qlen 1000."""

    kind = ""
    max_mtu = 9000
    ethtool_speed = 1000
    unicast_flt = True          # IFF_UNICAST_FLT: ``uc`` is a hardware filter (NIC-03)

    def __init__(self, kernel, name: str, mac: bytes | None = None):
        super().__init__(kernel, name)
        if mac is not None:
            mac = bytes(mac)
            if len(mac) != 6 or mac[0] & 1 or mac == _ZERO_MAC:
                from ..stack.errors import EADDRNOTAVAIL, KernelError
                raise KernelError(EADDRNOTAVAIL)
            self.addr = mac
        self.addr_assign_type = 0                  # NET_ADDR_PERM
        self.perm_addr = self.addr
        self.carrier = False                       # NIC-01: unplugged
        self.link: SwitchPort | None = None

    # -- NIC-02 ---------------------------------------------------------------------------------
    def ndo_start_xmit(self, skb) -> None:
        link = self.link
        data = skb.data
        if link is None or not link.switch.running:
            self.tx_carrier_errors += 1
            self.tx_dropped += 1
            tr = self.kernel.trace
            if tr is not None:
                tr.drop(self.kernel.engine.now, self.ns, self, skb, "NO_TX_TARGET", "NIC-02")
            return
        self.tx_packets += 1
        self.tx_bytes += len(data)
        if link.latency_ns:
            link.switch.engine.call_later(link.latency_ns, link.switch._ingress, link, data)
        else:
            link.switch._ingress(link, data)

    # -- NIC-03 ---------------------------------------------------------------------------------
    def receive_frame(self, data: bytes) -> bool:
        """The frame came off the wire. True when the NIC accepted it."""
        if not self.flags & IFF_UP or len(data) < 14:
            return False
        if not data[0] & 1:
            dst = data[:6]
            if dst != self.addr and not self.promiscuity and dst not in self.uc:
                return False                       # hardware unicast filter
        elif data[:6] != _BCAST_MAC:
            self.multicast += 1
        self.rx_packets += 1
        self.rx_bytes += len(data)
        skb = Skb(data, self)
        eth_type_trans(skb, self)
        netif_rx(skb)
        return True

    def uninit(self) -> None:
        if self.link is not None:
            self.link.switch.unplug(self)

    def plugged(self) -> bool:
        return self.link is not None


def add_nic(kernel, ns, name: str = "eth%d", mac: bytes | None = None) -> Nic:
    """Make a NIC (unplugged, DOWN) in ``ns`` and register it; ``name`` may hold ``%d``."""
    dev = Nic(kernel, name, mac)
    kernel.register_netdevice(dev, ns)
    return dev


class SwitchPort:
    """One socket of the switch and the cable in it."""

    __slots__ = ("switch", "nic", "hairpin", "latency_ns", "rx_frames", "tx_frames", "index")

    def __init__(self, switch: "Switch", nic: Nic, index: int, hairpin: bool, latency_ns: int):
        self.switch = switch
        self.nic = nic
        self.index = index
        self.hairpin = hairpin
        self.latency_ns = latency_ns
        self.rx_frames = 0            # frames the switch received on this port
        self.tx_frames = 0            # frames the switch sent out of this port

    def __repr__(self) -> str:
        nic = self.nic.name if self.nic is not None else None
        return f"<SwitchPort {self.switch.name}#{self.index} nic={nic} hairpin={self.hairpin}>"


class Switch:
    """An external learning switch (SW-01..SW-04). Lives outside namespaces and kernels."""

    def __init__(self, engine, name: str = "switch", latency_ns: int = 0,
                 ageing_ns: int = 300 * NSEC_PER_SEC):
        self.engine = engine
        self.name = name
        self.latency_ns = int(latency_ns)
        self.ageing_ns = int(ageing_ns)
        self.running = True
        self.ports: list[SwitchPort] = []
        self.fdb: dict[bytes, list] = {}          # mac -> [port, last seen ns]
        self._next_index = 0

    # -- cabling ----------------------------------------------------------------------------
    def plug(self, nic: Nic, hairpin: bool = False, latency_ns: int | None = None) -> SwitchPort:
        """Plug ``nic`` into a new port. A NIC has one cable: plugging it elsewhere first
        unplugs it."""
        if nic.kernel.engine is not self.engine:
            raise ValueError("the NIC's kernel runs on another engine than this switch")
        if nic.link is not None:
            nic.link.switch.unplug(nic)
        port = SwitchPort(self, nic, self._next_index, hairpin,
                          self.latency_ns if latency_ns is None else int(latency_ns))
        self._next_index += 1
        self.ports.append(port)
        nic.link = port
        if self.running:
            nic.carrier_on()
        return port

    def unplug(self, nic: Nic) -> None:
        port = nic.link
        if port is None or port.switch is not self:
            return
        self.ports.remove(port)
        port.nic = None
        nic.link = None
        for mac in [m for m, ent in self.fdb.items() if ent[0] is port]:
            del self.fdb[mac]
        nic.carrier_off()

    def port_of(self, nic: Nic) -> SwitchPort:
        port = nic.link
        if port is None or port.switch is not self:
            raise ValueError(f"{nic.name} is not plugged into {self.name}")
        return port

    def set_hairpin(self, nic: Nic, on: bool = True) -> None:
        """SW-03: reflective relay on the port ``nic`` is plugged into."""
        self.port_of(nic).hairpin = bool(on)

    def set_running(self, on: bool) -> None:
        """Power the segment on/off: carrier of every plugged NIC follows (NIC-01)."""
        on = bool(on)
        if on == self.running:
            return
        self.running = on
        if not on:
            self.fdb.clear()
        for port in list(self.ports):
            if on:
                port.nic.carrier_on()
            else:
                port.nic.carrier_off()

    def fdb_entries(self) -> list[tuple[bytes, Nic, int]]:
        """(mac, nic, age_ns) of every live entry, oldest learnt first."""
        now = self.engine.now
        return [(mac, ent[0].nic, now - ent[1]) for mac, ent in self.fdb.items()
                if now - ent[1] < self.ageing_ns]

    # -- frames -------------------------------------------------------------------------------
    def _ingress(self, port: SwitchPort, data: bytes) -> None:
        if port.nic is None or not self.running:
            return                                   # unplugged / powered off in flight
        port.rx_frames += 1
        now = self.engine.now
        fdb = self.fdb
        if not data[6] & 1 and data[6:12] != _ZERO_MAC:          # SW-01
            src = data[6:12]
            ent = fdb.get(src)
            if ent is not None and ent[0] is port:
                ent[1] = now
            else:
                fdb[src] = [port, now]
        tr = port.nic.kernel.trace
        skb = Skb(data, port.nic) if tr is not None else None     # only for the trace sink
        if not data[0] & 1:
            ent = fdb.get(data[:6])
            if ent is not None and now - ent[1] < self.ageing_ns:
                out = ent[0]
                if out is not port or port.hairpin:               # SW-02 / SW-03
                    if tr is not None:
                        tr.hop(now, port.nic.ns, port.nic, skb, "switch",
                               f"{self.name}: known unicast -> port {out.index}"
                               + (" (reflective relay, SW-03)" if out is port else " (SW-02)"))
                    self._egress(out, data)
                elif tr is not None:
                    tr.drop(now, port.nic.ns, port.nic, skb, "NO_TX_TARGET", "SW-03")
                return
        sent = 0
        for out in self.ports:                                      # SW-02 flood
            if out is port and not port.hairpin:
                continue
            self._egress(out, data)
            sent += 1
        if tr is not None:
            tr.hop(now, port.nic.ns, port.nic, skb, "switch",
                   f"{self.name}: flood to {sent} port(s)"
                   + (" incl. ingress (SW-03)" if port.hairpin else " (SW-02)"))

    def _egress(self, out: SwitchPort, data: bytes) -> None:
        nic = out.nic
        if nic is None or not nic.flags & IFF_UP:
            return                                   # no link partner listening
        out.tx_frames += 1
        if out.latency_ns:
            self.engine.call_later(out.latency_ns, self._deliver, out, nic, data)
        else:
            nic.receive_frame(data)

    def _deliver(self, out: SwitchPort, nic: Nic, data: bytes) -> None:
        if out.nic is nic and self.running:
            nic.receive_frame(data)

    def __repr__(self) -> str:
        return f"<Switch {self.name} ports={len(self.ports)} running={self.running}>"
