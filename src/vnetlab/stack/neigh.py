"""The neighbour table for IPv4 (net/core/neighbour.c + net/ipv4/arp.c).

States and transitions (neigh_timer_handler, __neigh_event_send, neigh_update):

  NONE/FAILED --send--> INCOMPLETE (probes = ucast_solicit; broadcast probe now, then every
                        retrans_time) --after mcast_solicit probes--> FAILED (queued packets get
                        ICMP host unreachable)
  INCOMPLETE  --reply--> REACHABLE (queued packets sent)
  REACHABLE   --reachable_time since confirmed--> STALE (or DELAY if used recently)
  STALE       --send--> DELAY --delay_first_probe_time--> REACHABLE if confirmed meanwhile,
                        else PROBE (unicast probes, ucast_solicit of them) --> FAILED
  NOARP/PERMANENT never change by themselves.

Packets wait in the entry's queue while INCOMPLETE (limit unres_qlen_bytes of truesize).
Entries in STALE/FAILED are garbage-collected after gc_stale_time of disuse.
"""

from __future__ import annotations

from collections import deque

NUD_INCOMPLETE = 0x01
NUD_REACHABLE = 0x02
NUD_STALE = 0x04
NUD_DELAY = 0x08
NUD_PROBE = 0x10
NUD_FAILED = 0x20
NUD_NOARP = 0x40
NUD_PERMANENT = 0x80
NUD_NONE = 0x00

NUD_IN_TIMER = NUD_INCOMPLETE | NUD_REACHABLE | NUD_DELAY | NUD_PROBE
NUD_VALID = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY
NUD_CONNECTED = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE

NUD_NAMES = {NUD_INCOMPLETE: "INCOMPLETE", NUD_REACHABLE: "REACHABLE", NUD_STALE: "STALE",
             NUD_DELAY: "DELAY", NUD_PROBE: "PROBE", NUD_FAILED: "FAILED", NUD_NOARP: "NOARP",
             NUD_PERMANENT: "PERMANENT", NUD_NONE: "NONE"}

NEIGH_UPDATE_F_OVERRIDE = 0x1
NEIGH_UPDATE_F_WEAK_OVERRIDE = 0x2
NEIGH_UPDATE_F_OVERRIDE_ISROUTER = 0x4
NEIGH_UPDATE_F_ADMIN = 0x80000000

NTF_ROUTER = 0x80
NTF_PROXY = 0x08

SEC = 1_000_000_000
MSEC = 1_000_000
GC_THRESH1 = 128        # net.ipv4.neigh.default.gc_thresh1
# [EMU] skb truesize of a queued packet: the kernel's default unres_qlen_bytes (212992) holds
# 101 full-size frames, i.e. about 2112 bytes of truesize for 1514 bytes of frame.
TRUESIZE_OVERHEAD = 598

# net.ipv4.neigh.default.* in a fresh netns (read off the host kernel); times in ns
PARMS_DEFAULTS = {
    "anycast_delay": 1 * SEC, "app_solicit": 0, "base_reachable_time": 30 * SEC,
    "delay_first_probe_time": 5 * SEC, "gc_stale_time": 60 * SEC,
    "interval_probe_time": 5 * SEC, "locktime": 1 * SEC, "mcast_resolicit": 0,
    "mcast_solicit": 3, "proxy_delay": 800 * MSEC, "proxy_qlen": 64, "retrans_time": 1 * SEC,
    "ucast_solicit": 3, "unres_qlen_bytes": 212992,
}


class Neighbour:
    __slots__ = ("tbl", "key", "dev", "state", "ha", "hh", "confirmed", "updated", "used",
                 "probes", "timer", "queue", "queue_bytes", "flags", "type", "dead",
                 "reachable_time", "protocol")

    def __init__(self, tbl, key: int, dev):
        self.tbl = tbl
        self.key = key
        self.dev = dev
        self.state = NUD_NONE
        self.ha = b""
        self.hh = None            # cached link-layer header (dst, src, type) when CONNECTED
        now = tbl.engine.now
        self.confirmed = now - 2 * PARMS_DEFAULTS["base_reachable_time"]
        self.updated = now
        self.used = now
        self.probes = 0
        self.timer = None
        self.queue: deque = deque()
        self.queue_bytes = 0
        self.flags = 0
        self.type = 1             # RTN_UNICAST
        self.dead = False
        self.reachable_time = tbl.reachable_time
        self.protocol = 0

    @property
    def state_name(self) -> str:
        return NUD_NAMES.get(self.state, hex(self.state))

    def __repr__(self) -> str:
        from ..wire.ipv4 import from_int, ntoa
        return f"<Neighbour {ntoa(from_int(self.key))} dev {self.dev.name} {self.state_name}>"


class NeighTable:
    """One netns's ARP table. ``solicit(neigh, skb)`` and ``error_report(neigh, skb)`` are
    provided by the IPv4 layer; ``output(neigh, skb)`` sends a resolved packet."""

    def __init__(self, ipv4):
        self.ipv4 = ipv4
        self.engine = ipv4.ns.kernel.engine
        self.rng = ipv4.ns.kernel.rng
        self.parms = dict(PARMS_DEFAULTS)
        self.dev_parms: dict = {}   # ifindex -> overrides
        self.entries: dict[tuple, Neighbour] = {}
        self.reachable_time = self.rand_reach_time(self.parms["base_reachable_time"])
        self.gc_timer = None

    # -- parameters ---------------------------------------------------------------------------
    def parm(self, dev, key: str):
        p = self.dev_parms.get(dev.ifindex) if dev is not None else None
        if p is not None and key in p:
            return p[key]
        return self.parms[key]

    def rand_reach_time(self, base: int) -> int:
        """neigh_rand_reach_time(): uniform in [base/2, 3*base/2)."""
        return self.rng.randrange(base) + (base >> 1) if base > 0 else 0

    # -- lookup / create ----------------------------------------------------------------------
    def lookup(self, key: int, dev) -> Neighbour | None:
        return self.entries.get((key, dev))

    def create(self, key: int, dev) -> Neighbour:
        n = self.entries.get((key, dev))
        if n is not None:
            return n
        n = Neighbour(self, key, dev)
        self.ipv4.arp_constructor(n)
        self.entries[(key, dev)] = n
        return n

    def remove(self, n: Neighbour) -> None:
        if self.entries.get((n.key, n.dev)) is n:
            del self.entries[(n.key, n.dev)]
        self._del_timer(n)
        n.dead = True
        n.queue.clear()
        n.queue_bytes = 0

    def flush_dev(self, dev, skip_perm: bool = False) -> None:
        for (key, d), n in list(self.entries.items()):
            if d is dev and not (skip_perm and n.state & NUD_PERMANENT):
                self.remove(n)

    # -- timers --------------------------------------------------------------------------------
    def _del_timer(self, n: Neighbour) -> None:
        if n.timer is not None:
            n.timer.cancel()
            n.timer = None

    def _add_timer(self, n: Neighbour, when: int) -> None:
        self._del_timer(n)
        n.timer = self.engine.call_at(when, self.timer_handler, n)

    def _arm(self, n: Neighbour, when: int) -> None:
        """neigh_add_timer(): besides arming, ``used`` is raised to ``confirmed``. So an entry
        confirmed by a reply counts as just used: with delay_first_probe_time longer than
        reachable_time it cycles REACHABLE -> DELAY -> PROBE -> REACHABLE (seen on 6.18)."""
        if n.used < n.confirmed:
            n.used = n.confirmed
        self._add_timer(n, when)

    def timer_handler(self, n: Neighbour) -> None:
        """neigh_timer_handler()."""
        n.timer = None
        if n.dead or not (n.state & NUD_IN_TIMER):
            return
        now = self.engine.now
        state = n.state
        dev = n.dev
        if state & NUD_REACHABLE:
            if now <= n.confirmed + n.reachable_time:
                nxt = n.confirmed + n.reachable_time
            elif now <= n.used + self.parm(dev, "delay_first_probe_time"):
                n.state = NUD_DELAY
                n.updated = now
                n.hh = None
                nxt = now + self.parm(dev, "delay_first_probe_time")
            else:
                n.state = NUD_STALE
                n.updated = now
                n.hh = None
                nxt = now
                self._schedule_gc()
        elif state & NUD_DELAY:
            if now <= n.confirmed + self.parm(dev, "delay_first_probe_time"):
                n.state = NUD_REACHABLE
                n.updated = now
                self.ipv4.neigh_connect(n)
                nxt = n.confirmed + n.reachable_time
            else:
                n.state = NUD_PROBE
                n.updated = now
                n.probes = 0
                nxt = now + max(self.parm(dev, "retrans_time"), 10 * MSEC)
        else:
            nxt = now + max(self.parm(dev, "retrans_time"), 10 * MSEC)

        if n.state & (NUD_INCOMPLETE | NUD_PROBE) and n.probes >= self.max_probes(n):
            n.state = NUD_FAILED
            n.updated = now
            n.hh = None
            self.invalidate(n)
            self._schedule_gc()
            return
        if n.state & NUD_IN_TIMER:
            if nxt < now + 10 * MSEC:        # the kernel's HZ/100 floor
                nxt = now + 10 * MSEC
            self._add_timer(n, nxt)
        if n.state & (NUD_INCOMPLETE | NUD_PROBE):
            self.probe(n)

    def max_probes(self, n: Neighbour) -> int:
        dev = n.dev
        return (self.parm(dev, "ucast_solicit") + self.parm(dev, "app_solicit")
                + (self.parm(dev, "mcast_resolicit") if n.state & NUD_PROBE
                   else self.parm(dev, "mcast_solicit")))

    def probe(self, n: Neighbour) -> None:
        """neigh_probe(): solicit, then count the probe (arp_solicit() reads the count first,
        so all ucast_solicit probes of NUD_PROBE are unicast)."""
        skb = n.queue[-1] if n.queue else None
        self.ipv4.arp_solicit(n, skb)
        n.probes += 1

    def invalidate(self, n: Neighbour) -> None:
        """neigh_invalidate(): report every queued packet as unreachable, drop the queue."""
        while n.queue and n.state == NUD_FAILED:
            skb = n.queue.popleft()
            self.ipv4.arp_error_report(n, skb)
        n.queue.clear()
        n.queue_bytes = 0

    # -- sending --------------------------------------------------------------------------------
    def event_send(self, n: Neighbour, skb) -> bool:
        """__neigh_event_send(): True when ``skb`` was queued or dropped (not sendable now)."""
        state = n.state
        if state & (NUD_CONNECTED | NUD_DELAY | NUD_PROBE):
            return False
        now = self.engine.now
        dev = n.dev
        immediate = False
        if not (state & (NUD_STALE | NUD_INCOMPLETE)):
            if self.parm(dev, "mcast_solicit") + self.parm(dev, "app_solicit"):
                n.probes = self.parm(dev, "ucast_solicit")
                n.state = NUD_INCOMPLETE
                n.updated = now
                self._arm(n, now + max(self.parm(dev, "retrans_time"), 10 * MSEC))
                immediate = True
            else:
                # no probe may be sent: the packet is freed, with no error report
                n.state = NUD_FAILED
                n.updated = now
                tr = dev.kernel.trace
                if skb is not None and tr is not None:
                    tr.drop(now, dev.ns, dev, skb, "NEIGH_FAILED", None)
                return True
        elif state & NUD_STALE:
            n.state = NUD_DELAY
            n.updated = now
            self._arm(n, now + self.parm(dev, "delay_first_probe_time"))
            return False
        if n.state == NUD_INCOMPLETE and skb is not None:
            size = len(skb.data) + TRUESIZE_OVERHEAD
            limit = self.parm(dev, "unres_qlen_bytes")
            while n.queue and n.queue_bytes + size > limit:
                old = n.queue.popleft()
                n.queue_bytes -= len(old.data) + TRUESIZE_OVERHEAD
                tr = dev.kernel.trace
                if tr is not None:
                    tr.drop(now, dev.ns, dev, old, "NEIGH_QUEUEFULL", None)
            n.queue.append(skb)
            n.queue_bytes += size
        if immediate:
            self.probe(n)
        return True

    def update(self, n: Neighbour, lladdr: bytes | None, new: int, flags: int) -> None:
        """neigh_update()."""
        old = n.state
        now = self.engine.now
        dev = n.dev
        if not (flags & NEIGH_UPDATE_F_ADMIN) and old & (NUD_NOARP | NUD_PERMANENT):
            return
        if not (new & NUD_VALID):
            self._del_timer(n)
            if old & NUD_CONNECTED:
                n.hh = None
            n.state = new
            n.updated = now
            if old & (NUD_INCOMPLETE | NUD_PROBE) and new & NUD_FAILED:
                self.invalidate(n)
            if new == NUD_FAILED:
                self._schedule_gc()
            return
        if lladdr is None:
            if not (old & NUD_VALID):
                return
            lladdr = n.ha
        elif old & NUD_VALID and lladdr == n.ha:
            lladdr = n.ha
        if new & NUD_CONNECTED:
            n.confirmed = now
        if old & NUD_VALID:
            if lladdr != n.ha and not (flags & NEIGH_UPDATE_F_OVERRIDE):
                if flags & NEIGH_UPDATE_F_WEAK_OVERRIDE and old & NUD_CONNECTED:
                    lladdr = n.ha
                    new = NUD_STALE
                else:
                    return
            elif lladdr == n.ha and new == NUD_STALE and not (flags & NEIGH_UPDATE_F_ADMIN):
                new = old
        if new != old or lladdr != n.ha:
            n.updated = now
        if new != old:
            self._del_timer(n)
            if new & NUD_PROBE:
                n.probes = 0
            if new & NUD_IN_TIMER:
                self._arm(n, now + (n.reachable_time if new & NUD_REACHABLE else 0))
            n.state = new
        if lladdr != n.ha:
            n.ha = lladdr
            n.hh = None
            if not (new & NUD_CONNECTED):
                n.confirmed = now - 2 * self.parm(dev, "base_reachable_time")
        if new == old and n.hh is not None:
            return
        if new & NUD_CONNECTED:
            self.ipv4.neigh_connect(n)
        else:
            n.hh = None
        if new & (NUD_STALE | NUD_FAILED):
            self._schedule_gc()
        if not (old & NUD_VALID):
            q = n.queue
            n.queue = deque()
            n.queue_bytes = 0
            for skb in q:
                self.ipv4.neigh_output(n, skb)

    # -- garbage collection (neigh_periodic_work, armed only while there is garbage) -------------
    def _schedule_gc(self) -> None:
        if self.gc_timer is None:
            self.gc_timer = self.engine.call_later(self.parms["base_reachable_time"] // 2,
                                                   self._periodic)

    def _periodic(self) -> None:
        """neigh_periodic_work(): nothing is collected while the table (arp_tbl, one for all
        netns) holds fewer than gc_thresh1 entries; then FAILED entries and entries unused
        for gc_stale_time go."""
        self.gc_timer = None
        now = self.engine.now
        pending = False
        total = sum(len(ns.ipv4.arp.entries) for ns in self.ipv4.kernel.namespaces
                    if ns.ipv4 is not None)
        if total < GC_THRESH1:
            return      # [EMU] re-armed by the next entry going STALE/FAILED, so runs can idle
        for n in list(self.entries.values()):
            if n.state & (NUD_PERMANENT | NUD_IN_TIMER | NUD_NOARP):
                continue
            if n.used < n.confirmed:
                n.used = n.confirmed
            if n.state == NUD_FAILED or now > n.used + self.parm(n.dev, "gc_stale_time"):
                self.remove(n)
            else:
                pending = True
        if pending:
            self._schedule_gc()
