"""Traffic control (net/sched/*): qdiscs, classifiers, actions, and the two hooks the stack calls.

Rules (kernel-spec §7 and the functions named beside each):

* Default qdiscs (``attach_default_qdiscs()``): a device flagged IFF_NO_QUEUE (``no_queue``) gets
  ``noqueue``; any other gets the default qdisc (``pfifo_fast``, limit = tx_queue_len) at its first
  ``dev_open``. Before that the device has ``noop`` and ``tc qdisc show`` lists nothing for it.
  A default pfifo_fast on a device that is up and never stalls dequeues at once: it only counts.
* Egress (``__dev_queue_xmit``): clsact's egress filters run first (``sch_handle_egress``), then
  the root qdisc enqueues; ``qdisc_run`` dequeues while the qdisc allows and hands each frame to
  the driver, the packet taps seeing it then (``dev_hard_start_xmit`` -> ``xmit_one``). A qdisc
  that holds frames back (tbf, netem) arms a watchdog timer on the engine.
* Ingress (``sch_handle_ingress`` in ``__netif_receive_skb_core``): after the taps, before the
  rx_handler. A qdisc's statistics only move while a filter is attached in that direction
  (``tc_run``: no mini-qdisc, no accounting). Bytes at ingress exclude the link-layer header.
* ``skb.tc_skip`` (``tc_skip_classify``, set by ifb on the frames it returns): at ingress the
  taps and tc are skipped and the flag cleared; at egress the actions are skipped once
  (``tcf_action_exec``).
* Classification (``tcf_classify``): filters by ascending pref, protocol ETH_P_ALL or the frame's;
  the first result >= 0 wins. Actions (``tcf_action_exec``) run in order while they answer PIPE.
* mirred (``tcf_mirred_act``/``tcf_mirred_to_dev``): a target that is not UP or has no carrier
  counts an overlimit and a redirect becomes SHOT; redirect marks the frame ``redirected`` with
  ``from_ingress`` = caught at ingress and records ``iif``; egress targets get
  ``dev_queue_xmit``, ingress targets ``netif_receive_skb`` (caught at ingress) or ``netif_rx``.
  Redirect answers STOLEN by default, mirror PIPE; a failed transmit counts an overlimit.
  Nesting deeper than MIRRED_NEST_LIMIT (4) is SHOT.
* tbf (``sch_tbf.c``): tokens in nanoseconds, ``psched_l2t_ns`` with the kernel's mult/shift,
  an inner bfifo of ``limit`` bytes, a frame longer than ``max_size`` dropped at enqueue.
* netem (``sch_netem.c``): loss / duplicate / corrupt / reorder by ``get_crandom`` (with
  correlation), delay ``tabledist`` (uniform, or a distribution table), rate, a time-ordered
  queue of ``limit`` frames; the random numbers come from the engine's rng (seeded).
* htb (``sch_htb.c``), one level of classes: filters of the qdisc, then the ``default`` class,
  else the direct queue; a root-level class sends while its tokens are not negative (it has no
  parent to borrow from) and is charged after the frame; strict priority, DRR by quantum.

Only what the command layer needs is kept: every qdisc exposes ``dump()`` (the TCA_OPTIONS it
would send, as a dict) and its ``stats``.
"""

from __future__ import annotations

import heapq
from abc import ABC, abstractmethod

from .errors import EEXIST, EINVAL, ENODEV, ENOENT, EOPNOTSUPP, KernelError
from .kernel import PERNET_INIT
from .netdev import IFF_UP, NETDEV_CHANGE, NETDEV_DOWN, NETDEV_UNREGISTER, NETDEV_UP

# -- constants (include/uapi/linux/pkt_sched.h, pkt_cls.h) -------------------------------------
TC_H_ROOT = 0xFFFFFFFF
TC_H_INGRESS = 0xFFFFFFF1
TC_H_CLSACT = TC_H_INGRESS
TC_H_MIN_INGRESS = 0xFFF2
TC_H_MIN_EGRESS = 0xFFF3
TC_H_MAJ_MASK = 0xFFFF0000
TC_H_MIN_MASK = 0x0000FFFF

TC_ACT_UNSPEC = -1
TC_ACT_OK = 0
TC_ACT_RECLASSIFY = 1
TC_ACT_SHOT = 2
TC_ACT_PIPE = 3
TC_ACT_STOLEN = 4
TC_ACT_QUEUED = 5
TC_ACT_REPEAT = 6
TC_ACT_REDIRECT = 7
TC_ACT_TRAP = 8
TC_ACT_CONSUMED = 10 ** 9        # internal (TC_ACT_VALUE_MAX + 1)

TCA_EGRESS_REDIR = 1
TCA_EGRESS_MIRROR = 2
TCA_INGRESS_REDIR = 3
TCA_INGRESS_MIRROR = 4

NET_XMIT_SUCCESS = 0
NET_XMIT_DROP = 1
NET_XMIT_CN = 2

ETH_P_ALL = 0x0003
NSEC_PER_SEC = 1_000_000_000
PSCHED_SHIFT = 6
MIRRED_NEST_LIMIT = 4
HZ = 100                         # USER_HZ as tc prints action times (jiffies / hz)

# pfifo_fast (sch_generic.c): TC_PRIO_* -> band
PRIO2BAND = (1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1)


def tc_h(maj: int, minor: int) -> int:
    return (maj & TC_H_MAJ_MASK) | (minor & TC_H_MIN_MASK)


class Stats:
    """gnet_stats_basic + gnet_stats_queue."""

    __slots__ = ("bytes", "packets", "drops", "overlimits", "requeues", "backlog", "qlen")

    def __init__(self):
        self.bytes = self.packets = self.drops = self.overlimits = 0
        self.requeues = self.backlog = self.qlen = 0


# =============================================================================================
# rate tables (net/sched/sch_generic.c: psched_ratecfg_precompute, include/net/sch_generic.h)
# =============================================================================================

class RateCfg:
    __slots__ = ("rate", "mult", "shift", "overhead", "mpu", "linklayer")

    def __init__(self, rate: int = 0, overhead: int = 0, mpu: int = 0, linklayer: int = 1):
        self.rate = rate
        self.overhead = overhead
        self.mpu = mpu
        self.linklayer = linklayer
        mult, shift = 1, 0
        if rate > 0:
            factor = NSEC_PER_SEC
            while True:
                mult = (factor // rate) & 0xFFFFFFFF
                if mult & (1 << 31) or factor & (1 << 63):
                    break
                factor = (factor << 1) & 0xFFFFFFFFFFFFFFFF
                shift += 1
        self.mult = mult
        self.shift = shift

    def l2t_ns(self, length: int) -> int:
        """psched_l2t_ns()."""
        length += self.overhead
        if length < self.mpu:
            length = self.mpu
        if self.linklayer == 2:            # TC_LINKLAYER_ATM
            length = -(-length // 48) * 53
        return (length * self.mult) >> self.shift

    def t2l(self, ns: int) -> int:
        """psched_ns_t2l()."""
        length = (ns << self.shift) // self.mult if self.mult else 0
        if self.linklayer == 2:
            length = (length // 53) * 48
        if length > self.overhead:
            length -= self.overhead
        else:
            length = 0
        return length


# =============================================================================================
# qdiscs
# =============================================================================================

class Qdisc:
    """One qdisc. ``enqueue`` answers NET_XMIT_*; ``dequeue`` a frame or None (then the qdisc
    may have armed its watchdog); ``reset`` drops what is queued (qdisc_reset)."""

    kind = ""
    classless = True
    builtin = False              # noqueue / default handle 0

    def __init__(self, tcdev: "TcDev", handle: int, parent: int):
        self.tcdev = tcdev
        self.handle = handle
        self.parent = parent
        self.stats = Stats()
        self.q: list = []
        self.watchdog = None
        self.default = False

    @property
    def engine(self):
        return self.tcdev.dev.kernel.engine

    def init(self, opts: dict) -> None:
        self.change(opts)

    def change(self, opts: dict) -> None:
        pass

    # A queueing qdisc overrides both; ingress, clsact and noqueue never queue (the kernel's
    # q->enqueue is NULL for them and dev_queue_xmit/the ingress hook never call it), so the
    # base keeps them as errors rather than abstract methods.
    def enqueue(self, skb, length: int) -> int:
        raise NotImplementedError(f"{self.kind} does not queue")

    def dequeue(self):
        raise NotImplementedError(f"{self.kind} does not queue")

    def reset(self) -> None:
        self.q = []
        self.stats.backlog = 0
        self.stats.qlen = 0
        if self.watchdog is not None:
            self.watchdog.cancel()
            self.watchdog = None

    def destroy(self) -> None:
        self.reset()

    def dump(self) -> dict:
        return {}

    def watchdog_at(self, when: int) -> None:
        """qdisc_watchdog_schedule_ns(): one pending timer, moved only when earlier."""
        wd = self.watchdog
        if wd is not None and not wd.cancelled:
            if wd.when <= when:
                return
            wd.cancel()
        self.watchdog = self.engine.call_at(when, self._watchdog_fire)

    def _watchdog_fire(self) -> None:
        self.watchdog = None
        self.tcdev.qdisc_run()

    def drop(self, skb, length: int) -> int:
        self.stats.drops += 1
        dev = self.tcdev.dev
        tr = dev.kernel.trace
        if tr is not None:
            tr.drop(dev.kernel.engine.now, dev.ns, dev, skb, "QDISC_DROP", None)
        return NET_XMIT_DROP


class PfifoFast(Qdisc):
    """sch_generic.c pfifo_fast: three bands by priority, limit = tx_queue_len per band."""

    kind = "pfifo_fast"

    def enqueue(self, skb, length: int) -> int:
        band = PRIO2BAND[skb.priority & 15]
        st = self.stats
        if not self.q:
            self.q = [[], [], []]
        if len(self.q[band]) >= max(self.tcdev.dev.tx_queue_len, 1):
            return self.drop(skb, length)
        self.q[band].append((skb, length))
        st.backlog += length
        st.qlen += 1
        return NET_XMIT_SUCCESS

    def dequeue(self):
        for band in self.q:
            if band:
                skb, length = band.pop(0)
                st = self.stats
                st.backlog -= length
                st.qlen -= 1
                st.bytes += length
                st.packets += 1
                return skb
        return None

    def dump(self) -> dict:
        return {"bands": 3, "priomap": PRIO2BAND}


class Bfifo:
    """The tbf child (fifo_create_dflt(bfifo, limit)): a byte-limited FIFO."""

    def __init__(self, limit: int):
        self.limit = limit
        self.q: list = []
        self.backlog = 0


class Tbf(Qdisc):
    """sch_tbf.c."""

    kind = "tbf"

    def __init__(self, tcdev, handle, parent):
        super().__init__(tcdev, handle, parent)
        self.t_c = self.engine.now
        self.child = None

    def change(self, o: dict) -> None:
        """tbf_change(): ``o`` holds the tc_tbf_qopt fields iproute2 sends plus BURST/PBURST."""
        rate = RateCfg(o["rate"], o.get("overhead", 0), o.get("mpu", 0), o.get("linklayer", 1))
        buffer = min(o["buffer"] << PSCHED_SHIFT, 0xFFFFFFFF)
        mtu = min(o.get("mtu", 0) << PSCHED_SHIFT, 0xFFFFFFFF)
        if o.get("burst") is not None:
            max_size = o["burst"]
            buffer = rate.l2t_ns(max_size)
        else:
            max_size = min(rate.t2l(buffer), 0xFFFFFFFF)
        peak = None
        if o.get("peakrate"):
            peak = RateCfg(o["peakrate"], o.get("overhead", 0), o.get("mpu", 0),
                           o.get("linklayer", 1))
            if peak.rate <= rate.rate:
                raise KernelError(EINVAL)
            if o.get("pburst") is not None:
                max_size = min(max_size, o["pburst"])
                mtu = peak.l2t_ns(o["pburst"])
            else:
                max_size = min(max_size, peak.t2l(mtu))
        if not max_size:
            raise KernelError(EINVAL)
        limit = o.get("limit", 0)
        if self.child is not None:
            self.child.limit = limit
        elif limit > 0:
            self.child = Bfifo(limit)
        self.limit = limit
        self.mtu = mtu if peak is not None and o.get("pburst") is not None else \
            (o.get("mtu", 0) << PSCHED_SHIFT)
        self.max_size = max_size
        self.buffer = buffer if o.get("burst") is not None else (o["buffer"] << PSCHED_SHIFT)
        self.tokens = self.buffer
        self.ptokens = self.mtu
        self.rate = rate
        self.peak = peak
        self.opts = dict(o)

    def enqueue(self, skb, length: int) -> int:
        if length > self.max_size:
            return self.drop(skb, length)
        c = self.child
        if c is None or c.backlog + length > c.limit:      # noop child / bfifo_enqueue
            return self.drop(skb, length)
        c.q.append((skb, length))
        c.backlog += length
        st = self.stats
        st.backlog += length
        st.qlen += 1
        return NET_XMIT_SUCCESS

    def dequeue(self):
        c = self.child
        if c is None or not c.q:
            return None
        skb, length = c.q[0]
        now = self.engine.now
        toks = min(now - self.t_c, self.buffer)
        ptoks = 0
        peak = self.peak
        if peak is not None:
            ptoks = toks + self.ptokens
            if ptoks > self.mtu:
                ptoks = self.mtu
            ptoks -= peak.l2t_ns(length)
        toks += self.tokens
        if toks > self.buffer:
            toks = self.buffer
        toks -= self.rate.l2t_ns(length)
        if (toks | ptoks) >= 0:
            c.q.pop(0)
            c.backlog -= length
            self.t_c = now
            self.tokens = toks
            self.ptokens = ptoks
            st = self.stats
            st.backlog -= length
            st.qlen -= 1
            st.bytes += length
            st.packets += 1
            return skb
        self.watchdog_at(now + max(-toks, -ptoks))
        self.stats.overlimits += 1
        return None

    def reset(self) -> None:
        super().reset()
        if self.child is not None:
            self.child.q = []
            self.child.backlog = 0
        self.t_c = self.engine.now
        self.tokens = self.buffer
        self.ptokens = self.mtu

    def dump(self) -> dict:
        """tbf_dump(): the qopt as the kernel reports it (ticks from the ns values)."""
        r = {"rate": self.rate.rate, "buffer": (self.buffer >> PSCHED_SHIFT) & 0xFFFFFFFF,
             "mtu": (self.mtu >> PSCHED_SHIFT) & 0xFFFFFFFF, "limit": self.limit,
             "mpu": self.rate.mpu, "overhead": self.rate.overhead,
             "linklayer": self.rate.linklayer, "peakrate": 0}
        if self.peak is not None:
            r["peakrate"] = self.peak.rate
            r["pmpu"] = self.peak.mpu
        return r


NETEM_DIST_SCALE = 8192


def _cdiv(a: int, b: int) -> int:
    """C integer division (towards zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


class CrndState:
    __slots__ = ("last", "rho")

    def __init__(self, rho: int = 0):
        self.last = 0
        self.rho = rho


class Netem(Qdisc):
    """sch_netem.c (random loss model, uniform jitter, no slots)."""

    kind = "netem"

    def __init__(self, tcdev, handle, parent):
        super().__init__(tcdev, handle, parent)
        self.tfifo: list = []       # heap of (time_to_send, seq, skb, length)
        self.head: list = []        # frames put at the front by reordering
        self.seq = 0
        self.counter = 0
        self.latency = self.jitter = 0
        self.loss = self.duplicate = self.corrupt = self.reorder = self.gap = 0
        self.rate = 0
        self.limit = 1000
        self.delay_cor = CrndState()
        self.loss_cor = CrndState()
        self.dup_cor = CrndState()
        self.reorder_cor = CrndState()
        self.corrupt_cor = CrndState()
        self.packet_overhead = 0
        self.ecn = 0
        self.dist = None

    def change(self, o: dict) -> None:
        """netem_change(): the tc_netem_qopt fields (limit, latency, jitter in psched ticks,
        loss, gap, duplicate) and the correlations are replaced every time; reorder, corrupt
        and rate only when the request carries them (``None`` = absent)."""
        self.limit = o.get("limit", 1000)
        self.latency = o.get("latency", 0) << PSCHED_SHIFT
        self.jitter = o.get("jitter", 0) << PSCHED_SHIFT
        self.gap = o.get("gap", 0)
        self.counter = 0
        self.loss = o.get("loss", 0)
        self.duplicate = o.get("duplicate", 0)
        if self.gap:
            self.reorder = 0xFFFFFFFF
        d, lo, du = o.get("corr", (0, 0, 0))
        self.delay_cor = CrndState(d)
        self.loss_cor = CrndState(lo)
        self.dup_cor = CrndState(du)
        if o.get("reorder") is not None:
            self.reorder, rc = o["reorder"]
            self.reorder_cor = CrndState(rc)
        if o.get("corrupt") is not None:
            self.corrupt, cc = o["corrupt"]
            self.corrupt_cor = CrndState(cc)
        if o.get("rate") is not None:
            self.rate, self.packet_overhead = o["rate"]
        if o.get("ecn") is not None:
            self.ecn = o["ecn"]
        if o.get("dist") is not None:
            self.dist = o["dist"]

    def crandom(self, state: CrndState) -> int:
        """get_crandom()."""
        value = self.tcdev.dev.kernel.rng.getrandbits(32)
        if state.rho == 0:
            return value
        rho = state.rho + 1
        answer = (value * ((1 << 32) - rho) + state.last * rho) >> 32
        state.last = answer
        return answer

    def tabledist(self) -> int:
        mu, sigma = self.latency, self.jitter
        if sigma == 0:
            return mu
        rnd = self.crandom(self.delay_cor)
        dist = self.dist
        if not dist:
            return (rnd % (2 * (sigma & 0xFFFFFFFF) or 1)) + mu - sigma
        t = dist[rnd % len(dist)]
        x = (sigma % NETEM_DIST_SCALE) * t
        x = x + NETEM_DIST_SCALE // 2 if x >= 0 else x - NETEM_DIST_SCALE // 2
        return _cdiv(x, NETEM_DIST_SCALE) + (sigma // NETEM_DIST_SCALE) * t + mu

    def enqueue(self, skb, length: int) -> int:
        count = 1
        if self.duplicate and self.duplicate >= self.crandom(self.dup_cor):
            count += 1
        if self.loss and self.loss >= self.crandom(self.loss_cor):
            count -= 1
        st = self.stats
        if count == 0:
            st.drops += 1
            return NET_XMIT_SUCCESS        # | __NET_XMIT_BYPASS: the sender sees success
        skb2 = skb.clone() if count > 1 else None
        if self.corrupt and self.corrupt >= self.crandom(self.corrupt_cor):
            rng = self.tcdev.dev.kernel.rng
            data = bytearray(skb.data)        # anywhere in the frame, link header included
            if data:
                i = rng.randrange(len(data))
                data[i] ^= 1 << rng.randrange(8)
                skb.data = bytes(data)
        if st.qlen >= self.limit:
            st.drops += 1
            return NET_XMIT_DROP
        if skb2 is not None:
            dup, self.duplicate = self.duplicate, 0
            self.tcdev.root_enqueue(skb2, length)
            self.duplicate = dup
        st.backlog += length
        now = self.engine.now
        if (self.gap == 0 or self.counter < self.gap - 1
                or self.reorder < self.crandom(self.reorder_cor)):
            delay = self.tabledist()
            if self.rate:
                last = max(self.tfifo)[0] if self.tfifo else None
                if self.head and (last is None or self.head[-1][0] > last):
                    last = self.head[-1][0]
                if last is not None:
                    delay -= last - now
                    delay = max(0, delay)
                    now = last
                delay += (length + self.packet_overhead) * NSEC_PER_SEC // self.rate
            self.counter += 1
            self.seq += 1
            heapq.heappush(self.tfifo, (now + delay, self.seq, skb, length))
        else:
            self.counter = 0
            self.head.insert(0, (now, skb, length))
            st.requeues += 1
        st.qlen += 1
        return NET_XMIT_SUCCESS

    def dequeue(self):
        st = self.stats
        if self.head:
            _, skb, length = self.head.pop(0)
        elif self.tfifo:
            when = self.tfifo[0][0]
            now = self.engine.now
            if when > now:
                self.watchdog_at(when)
                return None
            _, _, skb, length = heapq.heappop(self.tfifo)
        else:
            return None
        st.qlen -= 1
        st.backlog -= length
        st.bytes += length
        st.packets += 1
        return skb

    def reset(self) -> None:
        super().reset()
        self.tfifo = []
        self.head = []

    def dump(self) -> dict:
        """netem_dump(): qopt in ticks, correlations, reorder, corrupt, rate."""
        return {"limit": self.limit, "latency": min(self.latency >> PSCHED_SHIFT, 0xFFFFFFFF),
                "jitter": min(self.jitter >> PSCHED_SHIFT, 0xFFFFFFFF),
                "latency_ns": self.latency, "jitter_ns": self.jitter,
                "loss": self.loss, "gap": self.gap, "duplicate": self.duplicate,
                "delay_corr": self.delay_cor.rho, "loss_corr": self.loss_cor.rho,
                "dup_corr": self.dup_cor.rho, "reorder": self.reorder,
                "reorder_corr": self.reorder_cor.rho, "corrupt": self.corrupt,
                "corrupt_corr": self.corrupt_cor.rho, "rate": self.rate,
                "packet_overhead": self.packet_overhead, "ecn": self.ecn}


class Ingress(Qdisc):
    """sch_ingress.c ingress (handle ffff:, parent ffff:fff1): a filter block, no queue."""

    kind = "ingress"

    def __init__(self, tcdev, handle, parent):
        super().__init__(tcdev, handle, parent)
        self.chains = {TC_H_MIN_INGRESS: []}


class Clsact(Ingress):
    """sch_ingress.c clsact: an ingress and an egress filter block."""

    kind = "clsact"

    def __init__(self, tcdev, handle, parent):
        super().__init__(tcdev, handle, parent)
        self.chains = {TC_H_MIN_INGRESS: [], TC_H_MIN_EGRESS: []}


class HtbClass:
    """One leaf class of htb (sch_htb.c), at the root level: it sends while its tokens are not
    negative (a root-level class has no parent to borrow from), charged after each frame."""

    def __init__(self, q: "Htb", classid: int):
        self.q = q
        self.classid = classid
        self.stats = Stats()
        self.fifo: list = []
        self.deficit = 0
        self.lended = self.borrowed = self.giants = 0
        self.t_c = q.engine.now

    def change(self, o: dict) -> None:
        """htb_change_class(): rates, buffers (ticks -> ns), quantum and prio."""
        q = self.q
        self.opts = dict(o)
        self.rate = RateCfg(o["rate"], o.get("overhead", 0), o.get("mpu", 0))
        self.ceil = RateCfg(o["ceil"], o.get("overhead", 0), o.get("mpu", 0))
        self.buffer = o["buffer"] << PSCHED_SHIFT
        self.cbuffer = o["cbuffer"] << PSCHED_SHIFT
        self.tokens = self.buffer
        self.ctokens = self.cbuffer
        self.mbuffer = 60 * NSEC_PER_SEC
        quantum = o.get("quantum", 0)
        self.warning = None
        if not quantum:
            quantum = min(self.rate.rate // q.r2q, 0x7FFFFFFF)
            if quantum < 1000:
                self.warning = "sch_htb: quantum of class %X is small. Consider r2q change." \
                    % self.classid
                quantum = 1000
            elif quantum > 200000:
                self.warning = "sch_htb: quantum of class %X is big. Consider r2q change." \
                    % self.classid
                quantum = 200000
        self.quantum = quantum
        self.prio = min(o.get("prio", 0), 7)
        self.deficit = self.quantum

    def mode_can_send(self, now: int) -> bool:
        diff = min(now - self.t_c, self.mbuffer)
        if self.ctokens + diff < 0:
            return False
        return self.tokens + diff >= 0

    def wait_ns(self, now: int) -> int:
        diff = min(now - self.t_c, self.mbuffer)
        return max(-(self.tokens + diff), -(self.ctokens + diff), 1)

    def charge(self, length: int, now: int) -> None:
        """htb_charge_class() for a leaf: both buckets, capped and floored."""
        diff = min(now - self.t_c, self.mbuffer)
        toks = diff + self.tokens
        if toks > self.buffer:
            toks = self.buffer
        toks -= self.rate.l2t_ns(length)
        if toks <= -self.mbuffer:
            toks = 1 - self.mbuffer
        self.tokens = toks
        toks = diff + self.ctokens
        if toks > self.cbuffer:
            toks = self.cbuffer
        toks -= self.ceil.l2t_ns(length)
        if toks <= -self.mbuffer:
            toks = 1 - self.mbuffer
        self.ctokens = toks
        self.t_c = now
        if not self.mode_can_send(now):
            self.stats.overlimits += 1
            self.q.stats.overlimits += 1

    def dump(self) -> dict:
        return {"rate": self.rate.rate, "ceil": self.ceil.rate,
                "buffer": (self.buffer >> PSCHED_SHIFT) & 0xFFFFFFFF,
                "cbuffer": (self.cbuffer >> PSCHED_SHIFT) & 0xFFFFFFFF,
                "quantum": self.quantum, "prio": self.prio, "mpu": self.rate.mpu,
                "overhead": self.rate.overhead, "level": 0,
                "tokens": max(min(self.tokens >> PSCHED_SHIFT, 2**31 - 1), -2**31),
                "ctokens": max(min(self.ctokens >> PSCHED_SHIFT, 2**31 - 1), -2**31)}


class Htb(Qdisc):
    """sch_htb.c, one level of classes: classification (filters of the qdisc, then the
    ``default`` class, else the direct queue), per-class token buckets, strict priority between
    prios and DRR (quantum) between the classes of one prio."""

    kind = "htb"
    classless = False

    def __init__(self, tcdev, handle, parent):
        super().__init__(tcdev, handle, parent)
        self.classes: dict[int, HtbClass] = {}
        self.clhash: list[list[int]] = [[], [], [], []]   # Qdisc_class_hash: dump order
        self.direct: list = []
        self.direct_pkts = 0
        self.chains = {0: []}
        self.rr: dict[int, int] = {}          # prio -> index of the class whose turn it is

    def init(self, o: dict) -> None:
        self.defcls = o.get("default", 0)
        self.r2q = o.get("r2q", 10) or 1
        dq = o.get("direct_qlen")
        self.direct_qlen = dq if dq is not None else self.tcdev.dev.tx_queue_len

    def change(self, o: dict) -> None:
        raise KernelError(EINVAL, "Change operation not supported by specified qdisc")

    def classify(self, skb, length):
        """htb_classify(): a class, "direct", or None (dropped / stolen)."""
        if skb.priority == self.handle:
            return "direct"
        cl = self.classes.get(skb.priority) if skb.priority else None
        if cl is not None:
            return cl
        filters = self.chains[0]
        if filters:
            RES[0] = 0
            r = classify(filters, skb, length, False, self.tcdev.dev.kernel.tc_depth + 1)
            if r >= 0:
                if r in (TC_ACT_SHOT, TC_ACT_STOLEN, TC_ACT_QUEUED, TC_ACT_TRAP):
                    return None
                cid = RES[0]
                if cid == self.handle:
                    return "direct"
                cl = self.classes.get(tc_h(self.handle, cid) if cid >> 16 == 0 else cid)
                if cl is not None:
                    return cl
        cl = self.classes.get(tc_h(self.handle, self.defcls))
        return cl if cl is not None else "direct"

    def enqueue(self, skb, length: int) -> int:
        st = self.stats
        cl = self.classify(skb, length)
        if cl is None:
            st.drops += 1
            return NET_XMIT_DROP
        if cl == "direct":
            if len(self.direct) >= self.direct_qlen:
                return self.drop(skb, length)
            self.direct.append((skb, length))
            self.direct_pkts += 1
        else:
            if len(cl.fifo) >= max(self.tcdev.dev.tx_queue_len, 1):
                cl.stats.drops += 1
                return self.drop(skb, length)
            cl.fifo.append((skb, length))
            cl.stats.backlog += length
            cl.stats.qlen += 1
        st.backlog += length
        st.qlen += 1
        return NET_XMIT_SUCCESS

    def _out(self, skb, length):
        st = self.stats
        st.backlog -= length
        st.qlen -= 1
        st.bytes += length
        st.packets += 1
        return skb

    def dequeue(self):
        if self.direct:
            skb, length = self.direct.pop(0)
            return self._out(skb, length)
        now = self.engine.now
        ready: dict[int, list] = {}
        wait = None
        for cl in self.classes.values():
            if not cl.fifo:
                continue
            if cl.mode_can_send(now):
                ready.setdefault(cl.prio, []).append(cl)
            else:
                w = cl.wait_ns(now)
                wait = w if wait is None or w < wait else wait
        if ready:
            prio = min(ready)
            group = sorted(ready[prio], key=lambda c: c.classid)
            i = self.rr.get(prio, 0) % len(group)
            cl = group[i]
            skb, length = cl.fifo.pop(0)
            cl.stats.backlog -= length
            cl.stats.qlen -= 1
            cl.stats.bytes += length
            cl.stats.packets += 1
            cl.charge(length, now)
            cl.deficit -= length
            if cl.deficit < 0 or not cl.fifo:
                if cl.deficit < 0:
                    cl.deficit += cl.quantum
                self.rr[prio] = i + 1
            return self._out(skb, length)
        if wait is not None:
            self.watchdog_at(now + wait)
        return None

    def reset(self) -> None:
        super().reset()
        self.direct = []
        for cl in self.classes.values():
            cl.fifo = []
            cl.stats.backlog = cl.stats.qlen = 0

    def dump(self) -> dict:
        return {"r2q": self.r2q, "defcls": self.defcls, "direct_pkts": self.direct_pkts,
                "direct_qlen": self.direct_qlen}

    # -- classes (tc_ctl_tclass -> htb_change_class / htb_delete) --------------------------
    def class_change(self, classid: int, parentid: int, o: dict, create: bool,
                     excl: bool) -> None:
        cl = self.classes.get(classid)
        if cl is not None:
            if excl:
                raise KernelError(EEXIST)
            cl.change(o)
            return cl.warning
        if not create:
            raise KernelError(ENOENT)
        if not classid & TC_H_MIN_MASK or (classid ^ self.handle) & TC_H_MAJ_MASK:
            raise KernelError(EINVAL)
        if parentid not in (TC_H_ROOT, self.handle):
            if parentid in self.classes:
                raise KernelError(EOPNOTSUPP, "vnetlab: nested htb classes are not emulated")
            raise KernelError(ENOENT)
        cl = HtbClass(self, classid)
        cl.change(o)
        self.classes[classid] = cl
        self.clhash[qdisc_class_hash(classid, len(self.clhash) - 1)].insert(0, classid)
        qdisc_class_hash_grow(self.clhash, len(self.classes))
        return cl.warning

    def class_delete(self, classid: int) -> None:
        cl = self.classes.get(classid)
        if cl is None:
            raise KernelError(ENOENT)
        st = self.stats
        for _, length in cl.fifo:
            st.backlog -= length
            st.qlen -= 1
        del self.classes[classid]
        self.clhash[qdisc_class_hash(classid, len(self.clhash) - 1)].remove(classid)

    def walk(self):
        """htb_walk(): the classes bucket by bucket of the class hash, newest first in each."""
        return [self.classes[c] for bucket in self.clhash for c in bucket]


def qdisc_class_hash(classid: int, mask: int) -> int:
    """qdisc_class_hash(): the bucket of a class id."""
    classid ^= classid >> 8
    classid ^= classid >> 4
    return classid & mask


def qdisc_class_hash_grow(clhash: list, elems: int) -> None:
    """qdisc_class_hash_grow(): past a load of 3/4 the table doubles; the old buckets are
    walked in order and each class is pushed onto the head of its new bucket."""
    size = len(clhash)
    if elems * 4 <= size * 3:
        return
    new = [[] for _ in range(size * 2)]
    for bucket in clhash:
        for c in bucket:
            new[qdisc_class_hash(c, size * 2 - 1)].insert(0, c)
    clhash[:] = new


class Noqueue(Qdisc):
    kind = "noqueue"
    builtin = True


QDISC_KINDS = {"pfifo_fast": PfifoFast, "tbf": Tbf, "netem": Netem, "htb": Htb, "ingress": Ingress,
               "clsact": Clsact, "noqueue": Noqueue}


# =============================================================================================
# actions
# =============================================================================================

class Action:
    """One tc action: ``act(skb, at_ingress, tcdev)`` answers a TC_ACT_* value."""

    kind = ""

    def __init__(self, ns, index: int, control: int):
        self.ns = ns
        self.index = index
        self.control = control
        self.stats = Stats()
        self.refcnt = 1
        self.bindcnt = 1
        self.install = ns.kernel.engine.now
        self.lastuse = 0
        self.firstuse = 0

    def touch(self, length: int) -> None:
        now = self.ns.kernel.engine.now
        if not self.firstuse:
            self.firstuse = now or 1
        self.lastuse = now
        self.stats.bytes += length
        self.stats.packets += 1


class Gact(Action):
    """act_gact.c: pass / drop / ... (the control action is the result)."""

    kind = "gact"

    def act(self, skb, length, at_ingress, depth) -> int:
        self.touch(length)
        if self.control == TC_ACT_SHOT:
            self.stats.drops += 1
        return self.control


class Mirred(Action):
    """act_mirred.c."""

    kind = "mirred"

    def __init__(self, ns, index, control, eaction: int, dev):
        super().__init__(ns, index, control)
        self.eaction = eaction
        self.dev = dev

    @property
    def is_redirect(self) -> bool:
        return self.eaction in (TCA_EGRESS_REDIR, TCA_INGRESS_REDIR)

    @property
    def wants_ingress(self) -> bool:
        return self.eaction in (TCA_INGRESS_REDIR, TCA_INGRESS_MIRROR)

    def act(self, skb, length, at_ingress, depth) -> int:
        retval = self.control
        if depth > MIRRED_NEST_LIMIT:
            return TC_ACT_SHOT
        self.touch(length)
        dev = self.dev
        if dev is None:
            self.stats.overlimits += 1
            return retval
        redirect = self.is_redirect
        if not dev.flags & IFF_UP or not dev.carrier:
            self.stats.overlimits += 1
            return TC_ACT_SHOT if redirect else retval
        dont_clone = at_ingress and redirect and retval in (TC_ACT_SHOT, TC_ACT_STOLEN,
                                                           TC_ACT_QUEUED, TC_ACT_TRAP)
        out = skb if dont_clone else skb.clone()
        want_ingress = self.wants_ingress
        if want_ingress and not at_ingress:
            out.dst = None
        out.iif = skb.dev.ifindex
        out.dev = dev
        if redirect:
            if dont_clone:
                retval = TC_ACT_CONSUMED
            out.redirected = True
            out.from_ingress = at_ingress
        from .netdev import dev_queue_xmit, netif_receive, netif_rx
        kernel = dev.kernel
        kernel.tc_depth = depth
        try:
            if not want_ingress:
                ok = dev_queue_xmit(out)
            elif at_ingress:
                netif_receive(out)
                ok = True
            else:
                netif_rx(out)
                ok = True
        finally:
            kernel.tc_depth = 0
        if not ok:
            self.stats.overlimits += 1
        return retval


# =============================================================================================
# filters
# =============================================================================================

class Filter(ABC):
    """One classifier instance (a tcf_proto at one pref), with its filter nodes."""

    kind = ""

    def __init__(self, prio: int, protocol: int, chain: int = 0):
        self.prio = prio
        self.protocol = protocol
        self.chain = chain
        self.nodes: list = []

    @abstractmethod
    def classify(self, skb, length, at_ingress, depth) -> int:
        """tcf_proto_ops.classify: the verdict for this skb."""


class FilterNode:
    __slots__ = ("handle", "classid", "actions", "keys", "flags", "order", "hits")

    def __init__(self, handle: int, classid: int, actions: list, keys=None, flags: int = 0):
        self.handle = handle
        self.classid = classid
        self.actions = actions
        self.keys = keys or []
        self.flags = flags
        self.order = 0
        self.hits = 0


RES = [0]      # tcf_result.classid of the last match (classification is never re-entered
               # between a filter's match and its reader)


def exts_exec(node: FilterNode, skb, length, at_ingress, depth) -> int:
    """tcf_exts_exec() -> tcf_action_exec()."""
    if not node.actions:
        return TC_ACT_OK
    if skb.tc_skip:
        skb.tc_skip = False
        return TC_ACT_OK
    ret = TC_ACT_OK
    for a in node.actions:
        ret = a.act(skb, length, at_ingress, depth)
        if ret != TC_ACT_PIPE:
            break
    return ret


class U32(Filter):
    """cls_u32.c, the root hash table only: each node's keys all match, at the network
    header (``(word ^ val) & mask == 0``)."""

    kind = "u32"

    def __init__(self, prio, protocol, chain=0, htid: int = 0x800):
        super().__init__(prio, protocol, chain)
        self.htid = htid

    def classify(self, skb, length, at_ingress, depth) -> int:
        data = skb.data
        nh = skb.mac_len
        n = len(data)
        for node in self.nodes:
            for mask, val, off in node.keys:
                o = nh + off
                if o < 0 or o + 4 > n:
                    break
                w = int.from_bytes(data[o:o + 4], "big")
                if (w ^ val) & mask:
                    break
            else:
                node.hits += 1
                RES[0] = node.classid
                r = exts_exec(node, skb, length, at_ingress, depth)
                if r < 0:
                    continue
                return r
        return TC_ACT_UNSPEC


class Matchall(Filter):
    """cls_matchall.c: one node, every frame."""

    kind = "matchall"

    def classify(self, skb, length, at_ingress, depth) -> int:
        for node in self.nodes:
            node.hits += 1
            RES[0] = node.classid
            return exts_exec(node, skb, length, at_ingress, depth)
        return TC_ACT_UNSPEC


FILTER_KINDS = {"u32": U32, "matchall": Matchall}


def classify(filters: list, skb, length: int, at_ingress: bool, depth: int = 0) -> int:
    """tcf_classify()."""
    proto = skb.protocol
    for f in filters:
        if f.protocol != ETH_P_ALL and f.protocol != proto:
            continue
        r = f.classify(skb, length, at_ingress, depth)
        if r >= 0:
            return r
    return TC_ACT_UNSPEC


# =============================================================================================
# per-device state and the hooks
# =============================================================================================

class TcDev:
    """A device's qdiscs: ``root`` (None = noqueue / not attached) and ``ingress`` (ingress or
    clsact). Installs ``dev.egress_hook`` / ``dev.ingress_hook`` only while they are needed."""

    def __init__(self, dev):
        self.dev = dev
        self.root: Qdisc | None = None
        self.ingress: Ingress | None = None
        self.ingress_queue = False       # dev_ingress_queue_create() ran once
        self.running = False

    # -- hook management ------------------------------------------------------------------
    def update_hooks(self) -> None:
        dev = self.dev
        ing = self.ingress
        egress = self.root is not None or (ing is not None and
                                           TC_H_MIN_EGRESS in ing.chains and
                                           bool(ing.chains[TC_H_MIN_EGRESS]))
        dev.egress_hook = self.xmit if egress else None
        dev.ingress_hook = self.receive if ing is not None and \
            ing.chains[TC_H_MIN_INGRESS] else None
        root = self.root
        dev.qdisc_kind = None if root is None or root.default else root.kind

    # -- egress ----------------------------------------------------------------------------
    def xmit(self, skb) -> bool:
        """__dev_queue_xmit() from sch_handle_egress() on."""
        dev = self.dev
        length = len(skb.data)
        ing = self.ingress
        if ing is not None:
            filters = ing.chains.get(TC_H_MIN_EGRESS)
            if filters:
                st = ing.stats
                st.bytes += length
                st.packets += 1
                res = classify(filters, skb, length, False, dev.kernel.tc_depth + 1)
                if res == TC_ACT_SHOT:
                    st.drops += 1
                    return False
                if res in (TC_ACT_STOLEN, TC_ACT_QUEUED, TC_ACT_TRAP, TC_ACT_CONSUMED):
                    return True
        root = self.root
        if root is None:
            if dev.ptype_all:
                for tap in dev.ptype_all:
                    tap(skb, dev, True)
            dev.ndo_start_xmit(skb)
            return True
        rc = root.enqueue(skb, length)
        self.qdisc_run()
        return rc == NET_XMIT_SUCCESS

    def root_enqueue(self, skb, length) -> None:
        if self.root is not None:
            self.root.enqueue(skb, length)

    def qdisc_run(self) -> None:
        """__qdisc_run(): dequeue and transmit until the qdisc holds back."""
        if self.running:
            return
        root = self.root
        dev = self.dev
        if root is None:
            return
        self.running = True
        try:
            while True:
                if not (dev.flags & IFF_UP) or not dev.qdisc_active:
                    return
                skb = root.dequeue()
                if skb is None:
                    return
                if dev.ptype_all:
                    for tap in dev.ptype_all:
                        tap(skb, dev, True)
                dev.ndo_start_xmit(skb)
        finally:
            self.running = False

    # -- ingress ---------------------------------------------------------------------------
    def receive(self, skb) -> bool:
        """sch_handle_ingress(): False when the frame goes no further."""
        if skb.tc_skip:
            skb.tc_skip = False
            return True
        ing = self.ingress
        filters = ing.chains[TC_H_MIN_INGRESS]
        length = len(skb.data) - skb.mac_len
        st = ing.stats
        st.bytes += length
        st.packets += 1
        res = classify(filters, skb, length, True, self.dev.kernel.tc_depth + 1)
        if res == TC_ACT_SHOT:
            st.drops += 1
            return False
        if res in (TC_ACT_STOLEN, TC_ACT_QUEUED, TC_ACT_TRAP, TC_ACT_CONSUMED):
            return False
        return True

    # -- lifecycle -------------------------------------------------------------------------
    def reset(self) -> None:
        if self.root is not None:
            self.root.reset()

    def shutdown(self) -> None:
        """dev_shutdown(): every qdisc goes."""
        if self.root is not None:
            self.root.destroy()
        self.root = None
        self.ingress = None
        self.update_hooks()


def tcdev_of(dev, create: bool = True) -> TcDev | None:
    t = getattr(dev, "tc", None)
    if t is None and create:
        if dev.ns is not None and not hasattr(dev.ns, "tc_actions"):
            _pernet_init(dev.ns)          # a kernel made before this module was imported
        t = TcDev(dev)
        dev.tc = t
    return t


def attach_default(dev) -> None:
    """attach_default_qdiscs() at the first dev_open(): pfifo_fast unless IFF_NO_QUEUE."""
    if dev.no_queue:
        return
    t = tcdev_of(dev)
    if t.root is None:
        q = PfifoFast(t, 0, TC_H_ROOT)
        q.default = True
        t.root = q
        t.update_hooks()


def tc_device_event(event: str, dev, **info) -> None:
    """The qdisc side of the netdevice notifier (dev_activate / dev_deactivate /
    dev_shutdown) plus act_mirred's NETDEV_UNREGISTER (targets become "gone")."""
    if event == NETDEV_UP:
        attach_default(dev)
    elif event == NETDEV_DOWN:
        t = getattr(dev, "tc", None)
        if t is not None:
            t.reset()
    elif event == NETDEV_CHANGE:
        t = getattr(dev, "tc", None)
        if t is not None and not dev.qdisc_active:
            t.reset()
        elif t is not None:
            t.qdisc_run()
    elif event == NETDEV_UNREGISTER:
        t = getattr(dev, "tc", None)
        if t is not None:
            t.shutdown()
            dev.tc = None
        if not info.get("moving"):
            for ns in dev.kernel.namespaces:
                for a in getattr(ns, "tc_actions", {}).values():
                    if getattr(a, "dev", None) is dev:
                        a.dev = None


def _pernet_init(ns) -> None:
    kernel = ns.kernel
    if not getattr(kernel, "tc_ready", False):
        kernel.tc_ready = True
        kernel.tc_depth = 0
        kernel.tc_autohandle = 0x80000000
        kernel.notifiers.append(tc_device_event)
    ns.tc_actions = {}          # (kind, index) -> Action
    ns.tc_action_next = {}      # kind -> next index


PERNET_INIT.append(_pernet_init)


# =============================================================================================
# control (what the command layer calls: RTM_NEWQDISC / DELQDISC / NEWTFILTER / DELTFILTER)
# =============================================================================================

def _err(errno: int, msg: str | None = None):
    return KernelError(errno, msg)


def alloc_handle(dev) -> int:
    """qdisc_alloc_handle(): a machine-wide counter from 8001:."""
    k = dev.kernel
    t = tcdev_of(dev)
    for _ in range(0x8000):
        k.tc_autohandle = (k.tc_autohandle + 0x10000) & 0xFFFFFFFF
        if k.tc_autohandle == tc_h(TC_H_ROOT, 0):
            k.tc_autohandle = 0x80000000
        h = k.tc_autohandle
        if not any(q is not None and q.handle == h for q in (t.root, t.ingress)):
            return h
    return 0


def qdisc_lookup(dev, handle: int):
    """qdisc_lookup(): a qdisc of the device by handle (the default one has handle 0)."""
    t = getattr(dev, "tc", None)
    if t is None or not handle:
        return None
    for q in (t.root, t.ingress):
        if q is not None and q.handle == handle:
            return q
    return None


NLM_F_REPLACE = 0x100
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400


def qdisc_modify(dev, clid: int, handle: int, kind: str | None, opts: dict | None,
                 flags: int) -> None:
    """tc_modify_qdisc() (RTM_NEWQDISC) for the root, the ingress slot and handles."""
    t = tcdev_of(dev)
    q = None
    if clid:
        if clid != TC_H_ROOT:
            if clid != TC_H_INGRESS:
                p = qdisc_lookup(dev, clid & TC_H_MAJ_MASK)
                if p is None:
                    raise _err(ENOENT, "Failed to find specified qdisc")
                if isinstance(p, Htb):
                    if clid not in p.classes:
                        raise _err(ENOENT, "Specified class not found")
                    raise _err(EOPNOTSUPP, "vnetlab: qdiscs under htb classes are not "
                                           "emulated")
                raise _err(EOPNOTSUPP, "Parent qdisc is not classful")
            t.ingress_queue = True
            q = t.ingress
        else:
            q = t.root
        if q is not None and q.handle == 0:
            q = None
        goto_create = False
        if q is None or not handle or q.handle != handle:
            if handle:
                if q is not None and not flags & NLM_F_REPLACE:
                    raise _err(EEXIST, "NLM_F_REPLACE needed to override")
                if handle & TC_H_MIN_MASK:
                    raise _err(EINVAL, "Invalid minor handle")
                q = qdisc_lookup(dev, handle)
                if q is None:
                    goto_create = True
                else:
                    if q.parent != clid:
                        raise _err(EINVAL, "Cannot move an existing qdisc to a different "
                                           "parent")
                    if flags & NLM_F_EXCL:
                        raise _err(EEXIST, "Exclusivity flag on, cannot override")
                    if kind and kind != q.kind:
                        raise _err(EINVAL, "Invalid qdisc name: must match existing qdisc")
                    if isinstance(q, Ingress):
                        raise _err(EINVAL, "Cannot regraft ingress or clsact Qdiscs")
                    return                      # grafting a qdisc where it already is
            else:
                if q is None:
                    goto_create = True
                elif (flags & NLM_F_CREATE and flags & NLM_F_REPLACE and
                      (flags & NLM_F_EXCL or (kind and kind != q.kind))):
                    if isinstance(q, Ingress):
                        raise _err(EINVAL, "Cannot regraft ingress or clsact Qdiscs")
                    goto_create = True
        if goto_create:
            return _create_n_graft(dev, t, clid, handle, kind, opts or {}, flags)
    else:
        if not handle:
            raise _err(EINVAL, "Handle cannot be zero")
        q = qdisc_lookup(dev, handle)
    if q is None:
        raise _err(ENOENT, "Specified qdisc not found")
    if flags & NLM_F_EXCL:
        raise _err(EEXIST, "Exclusivity flag on, cannot modify")
    if kind and kind != q.kind:
        raise _err(EINVAL, "Invalid qdisc name: must match existing qdisc")
    if opts is not None:
        if isinstance(q, (Ingress, PfifoFast, Htb)):
            raise _err(EINVAL, "Change operation not supported by specified qdisc")
        q.change(opts)
        t.qdisc_run()


def _create_n_graft(dev, t: TcDev, clid: int, handle: int, kind, opts: dict, flags: int):
    if not flags & NLM_F_CREATE:
        raise _err(ENOENT, "Qdisc not found. To create specify NLM_F_CREATE flag")
    cls = QDISC_KINDS.get(kind) if kind else None
    if cls is None or cls is Noqueue:
        raise _err(ENOENT, "Specified qdisc kind is unknown")
    if clid == TC_H_INGRESS:
        if not issubclass(cls, Ingress):
            raise _err(EOPNOTSUPP)
        t.ingress = cls(t, tc_h(TC_H_INGRESS, 0), TC_H_INGRESS)
        t.update_hooks()
        return
    if issubclass(cls, Ingress):
        raise _err(EOPNOTSUPP)
    if not handle:
        handle = alloc_handle(dev)
        if not handle:
            raise _err(12)
    nq = cls(t, handle, TC_H_ROOT)
    nq.init(opts)                      # may raise: nothing grafted then
    old = t.root
    if old is not None:
        old.destroy()
    t.root = nq
    t.update_hooks()
    t.qdisc_run()


def qdisc_delete(dev, clid: int, handle: int, kind: str | None) -> None:
    """tc_get_qdisc(RTM_DELQDISC) and qdisc_graft(NULL)."""
    t = tcdev_of(dev)
    if clid:
        if clid != TC_H_ROOT:
            if clid & TC_H_MAJ_MASK != TC_H_INGRESS & TC_H_MAJ_MASK:
                p = qdisc_lookup(dev, clid & TC_H_MAJ_MASK)
                if p is None:
                    raise _err(ENOENT, "Failed to find qdisc with specified classid")
                raise _err(EOPNOTSUPP, "Parent qdisc is not classful")
            if not getattr(t, "ingress_queue", False):
                raise _err(ENOENT, "Cannot find specified qdisc on specified device")
            q = t.ingress
            qh = q.handle if q is not None else 0
        else:
            q = t.root
            qh = q.handle if q is not None else 0
        if handle and qh != handle:
            raise _err(EINVAL, "Invalid handle")
    else:
        q = qdisc_lookup(dev, handle)
        if q is None:
            raise _err(ENOENT, "Failed to find qdisc with specified handle")
        qh = q.handle
    if q is None and (kind and kind != ("noqueue" if dev.no_queue else "noop")):
        raise _err(EINVAL, "Invalid qdisc name: must match existing qdisc")
    if q is not None and kind and kind != q.kind:
        raise _err(EINVAL, "Invalid qdisc name: must match existing qdisc")
    if not clid:
        raise _err(EINVAL, "Classid cannot be zero")
    if qh == 0:
        raise _err(ENOENT, "Cannot delete qdisc with handle of zero")
    if q is t.ingress:
        t.ingress = None
        _release_filters(q)
        t.update_hooks()
        return
    q.destroy()
    t.root = None
    if dev.flags & IFF_UP and not dev.no_queue:
        # qdisc_graft(NULL) then dev_activate(): a fresh default qdisc
        nq = PfifoFast(t, 0, TC_H_ROOT)
        nq.default = True
        t.root = nq
    t.update_hooks()


def _release_filters(q) -> None:
    for chain in q.chains.values():
        for f in chain:
            for n in f.nodes:
                for a in n.actions:
                    release_action(a)
        chain.clear()


def qdiscs(dev) -> list:
    """What RTM_GETQDISC dumps for ``dev``: root first (the default one as the kernel shows it,
    noqueue for IFF_NO_QUEUE devices), then ingress/clsact. A device still on noop (never up)
    shows nothing."""
    t = getattr(dev, "tc", None)
    out = []
    root = t.root if t is not None else None
    if root is not None:
        out.append(root)
    elif dev.qdisc_attached and dev.no_queue:
        out.append(_noqueue_view(t or TcDev(dev)))
    if t is not None and t.ingress is not None:
        out.append(t.ingress)
    return out


def _noqueue_view(t: TcDev) -> Noqueue:
    q = Noqueue(t, 0, TC_H_ROOT)
    q.default = True
    return q


def alloc_action_index(ns, kind: str, index: int = 0) -> int:
    """tcf_idr_check_alloc(): the requested index, or the next one (freed ones come back only
    after an RCU grace period, so a quick re-add takes a new one)."""
    if not hasattr(ns, "tc_actions"):
        _pernet_init(ns)
    nxt = ns.tc_action_next.get(kind, 1)
    if index:
        if (kind, index) in ns.tc_actions:
            raise _err(EEXIST)
        ns.tc_action_next[kind] = max(nxt, index + 1)
        return index
    while (kind, nxt) in ns.tc_actions:
        nxt += 1
    ns.tc_action_next[kind] = nxt + 1
    return nxt


def make_action(ns, spec: dict) -> Action:
    """tcf_action_init_1() for the kinds we have: spec = {"kind", "control", ...}."""
    kind = spec["kind"]
    if kind == "mirred":
        dev = ns.by_index.get(spec["ifindex"])
        if dev is None:
            raise _err(ENODEV)
        idx = alloc_action_index(ns, "mirred", spec.get("index", 0))
        a = Mirred(ns, idx, spec["control"], spec["eaction"], dev)
    elif kind == "gact":
        idx = alloc_action_index(ns, "gact", spec.get("index", 0))
        a = Gact(ns, idx, spec["control"])
    else:
        raise _err(ENOENT, "Failed to load TC action module.")
    ns.tc_actions[(kind, a.index)] = a
    return a


def release_action(a: Action) -> None:
    a.ns.tc_actions.pop((a.kind, a.index), None)


def filter_block(dev, parent: int):
    """The filter list a parent names: ffff: / ffff:fff2 = ingress, ffff:fff3 = egress."""
    t = getattr(dev, "tc", None)
    ing = t.ingress if t is not None else None
    if parent in (tc_h(TC_H_INGRESS, 0), tc_h(TC_H_CLSACT, TC_H_MIN_INGRESS)):
        if ing is None:
            raise _err(EINVAL, "Parent Qdisc doesn't exists.")
        if ing.kind == "clsact" and not parent & TC_H_MIN_MASK:
            raise _err(EINVAL)          # clsact_tcf_block(q, 0): no block, no message
        return t, ing.chains[TC_H_MIN_INGRESS]
    if parent == tc_h(TC_H_CLSACT, TC_H_MIN_EGRESS):
        if ing is None or TC_H_MIN_EGRESS not in ing.chains:
            raise _err(EINVAL, "Parent Qdisc doesn't exists.")
        return t, ing.chains[TC_H_MIN_EGRESS]
    q = qdisc_lookup(dev, parent & TC_H_MAJ_MASK) if parent not in (0, TC_H_ROOT) else \
        (t.root if t is not None and t.root is not None and not t.root.default else None)
    if q is None:
        raise _err(EINVAL, "Parent Qdisc doesn't exists.")
    if isinstance(q, Htb):
        if parent & TC_H_MIN_MASK:
            if parent not in q.classes:
                raise _err(ENOENT, "Specified class doesn't exist.")
            raise _err(EOPNOTSUPP, "vnetlab: filters on htb classes are not emulated")
        return t, q.chains[0]
    raise _err(EOPNOTSUPP, "Class doesn't support blocks.")


def filter_owner(dev, parent: int):
    """The qdisc whose u32 tables a filter at ``parent`` shares."""
    t = dev.tc
    if (parent & TC_H_MAJ_MASK) == (TC_H_INGRESS & TC_H_MAJ_MASK):
        return t.ingress
    return qdisc_lookup(dev, parent & TC_H_MAJ_MASK) if parent not in (0, TC_H_ROOT) else t.root


def filter_add(dev, parent: int, prio: int, protocol: int, kind: str, node_spec: dict,
               actions: list, handle: int = 0) -> None:
    """tc_new_tfilter(): find (or make) the tcf_proto at ``prio``, add one node."""
    t, chain = filter_block(dev, parent)
    if kind not in FILTER_KINDS:
        raise _err(ENOENT, "TC classifier not found.")
    tp = None
    if prio == 0:
        # tcf_auto_prio(): one below the first pref >= 0x8000 (the search stops there), else
        # 0xC000
        hi = [f.prio for f in chain if f.prio >= 0x8000]
        prio = (min(hi) - 1) if hi else 0xC000
    for f in chain:
        if f.prio == prio:
            tp = f
            break
    if tp is not None:
        if tp.kind != kind:
            raise _err(EINVAL, "Specified filter kind does not match existing one.")
        if protocol and tp.protocol != protocol:
            raise _err(EINVAL, "Protocol mismatch for filter with specified priority.")
        if kind == "matchall" and tp.nodes:
            raise _err(EEXIST)
    else:
        if not protocol:
            raise _err(ENOENT, "Filter with specified priority/protocol not found.")
        if kind == "u32":
            # the u32 "common" of the qdisc: its first table is 800:, the next ones come from
            # a cyclic allocator (gen_new_htid); it goes with the qdisc's last u32
            ing = filter_owner(dev, parent)
            used = {f.htid for fl in ing.chains.values() for f in fl if isinstance(f, U32)}
            if not used:
                htid = 0x800
                ing.u32_next = 1
            else:
                nxt = getattr(ing, "u32_next", 1)
                for _ in range(0x7FF):
                    if (nxt | 0x800) not in used:
                        break
                    nxt = nxt + 1 if nxt < 0x7FE else 1
                htid = nxt | 0x800
                ing.u32_next = nxt + 1 if nxt < 0x7FE else 1
            tp = U32(prio, protocol, 0, htid)
        else:
            tp = FILTER_KINDS[kind](prio, protocol)
    if kind == "u32":
        nid = handle & 0xFFF if handle else 0x800
        taken = {n.handle & 0xFFF for n in tp.nodes}
        if handle and nid in taken:
            raise _err(EEXIST)
        while nid in taken:
            nid += 1
        node = FilterNode((tp.htid << 20) | nid, node_spec.get("classid", 0), actions,
                          node_spec.get("keys", []), node_spec.get("flags", 0))
        node.order = nid
    else:
        node = FilterNode(handle or 1, node_spec.get("classid", 0), actions, [],
                          node_spec.get("flags", 0))
    tp.nodes.append(node)
    if tp not in chain:
        chain.append(tp)
        chain.sort(key=lambda f: f.prio)
    t.update_hooks()


def filter_delete(dev, parent: int, prio: int, protocol: int, kind: str | None) -> None:
    """tc_del_tfilter() without a handle: the whole tcf_proto at prio (or all of them)."""
    t, chain = filter_block(dev, parent)
    if not chain:
        # chain 0 exists only while it holds filters (tcf_chain_get(..., create=false))
        if prio == 0:
            return
        raise _err(ENOENT, "Cannot find specified filter chain.")
    if prio == 0:
        gone = list(chain)
        chain.clear()
    else:
        gone = [f for f in chain if f.prio == prio]
        if not gone:
            raise _err(ENOENT, "Filter with specified priority/protocol not found.")
        if protocol and gone[0].protocol != protocol:
            raise _err(EINVAL, "Protocol mismatch for filter with specified priority.")
        if kind and gone[0].kind != kind:
            raise _err(EINVAL, "Specified filter kind does not match existing one.")
        for f in gone:
            chain.remove(f)
    for f in gone:
        for n in f.nodes:
            for a in n.actions:
                release_action(a)
    t.update_hooks()


def class_modify(dev, parent: int, classid: int, kind: str | None, opts: dict | None,
                 flags: int) -> str | None:
    """tc_ctl_tclass(RTM_NEWTCLASS); the extack warning of a success, if any."""
    q = _class_qdisc(dev, parent, classid)
    qid = q.handle
    clid = tc_h(qid, classid) if classid else 0
    if kind and kind != q.kind:
        raise _err(EINVAL)
    pid = parent if parent == TC_H_ROOT or parent & TC_H_MAJ_MASK else tc_h(qid, parent)
    warning = q.class_change(clid, pid, opts or {}, bool(flags & NLM_F_CREATE),
                             bool(flags & NLM_F_EXCL))
    q.tcdev.qdisc_run()
    return warning


def class_delete(dev, parent: int, classid: int) -> None:
    q = _class_qdisc(dev, parent, classid)
    clid = tc_h(q.handle, classid) if classid else 0
    q.class_delete(clid)


def _class_qdisc(dev, parent: int, classid: int):
    """Step 1 of tc_ctl_tclass(): the qdisc X:0 from the class id and the parent."""
    t = tcdev_of(dev)
    qid = classid & TC_H_MAJ_MASK
    if parent != TC_H_ROOT:
        qid1 = parent & TC_H_MAJ_MASK
        if qid and qid1:
            if qid != qid1:
                raise _err(EINVAL)
        elif qid1:
            qid = qid1
        elif qid == 0:
            qid = t.root.handle if t.root is not None else 0
    elif qid == 0:
        qid = t.root.handle if t.root is not None else 0
    q = qdisc_lookup(dev, qid)
    if q is None:
        raise _err(ENOENT)
    if not isinstance(q, Htb):
        raise _err(EINVAL)
    return q


__all__ = ["class_modify", "class_delete", "Htb", "TcDev", "tcdev_of", "qdiscs", "qdisc_modify", "qdisc_delete", "filter_add",
           "filter_delete", "make_action", "RateCfg", "Tbf", "Netem", "PfifoFast", "Ingress",
           "Clsact", "U32", "Matchall", "Mirred", "Gact"]
