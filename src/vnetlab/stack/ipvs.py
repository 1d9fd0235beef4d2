"""IPVS (net/netfilter/ipvs/): the Linux Virtual Server inside one netns. kernel-spec §9.

Rules (IDs from kernel-spec §9) and the kernel functions they follow:

* IPVS-01  ``in_hook`` runs in LOCAL_IN (ip_vs_core.c: ip_vs_in_hook): a packet to a local
           address that matches a virtual service is scheduled and transmitted instead of
           delivered. ``fwd_hook`` runs in FORWARD (ip_vs_out_hook): replies of NAT connections
           get their source rewritten back to VIP:vport.
* IPVS-02  service lookup: fwmark, then <proto, VIP, vport>, then <proto, VIP, 0>
           (ip_vs_ctl.c: ip_vs_service_find()).
* IPVS-03  only a TCP SYN without RST creates a connection (sloppy_tcp: any non-RST); any UDP
           datagram does; other TCP segments without a connection go to the local stack
           (ip_vs_proto_tcp.c: tcp_conn_schedule()).
* IPVS-04  no destination: ICMP port unreachable and drop (ip_vs_leave()).
* IPVS-05  a connection whose destination was removed drops its packets; expire_nodest_conn=1
           expires it and drops the packet.
* IPVS-FWD-*  transmitters (ip_vs_xmit.c): NAT rewrites daddr/dport (DNAT) and routes to the
           RS; DR sends the packet unchanged with the RS as L2 next hop; TUN encapsulates in IPIP
           (outer src by route lookup, TTL and TOS copied, DF copied when pmtu_disc=1); all
           decrement the TTL first (decrement_ttl()) and check the MTU (ensure_mtu_is_adequate());
           a local RS means local delivery (NAT still rewrites).
* IPVS-CONN-*  connections: new ones are INACTIVE; TCP state table (tcp_states[],
           INPUT_ONLY for DR/TUN), active in SYN_RECV/ESTABLISHED/SYN_SENT/SYNACK; timeouts;
           the expiry timer re-armed on every packet; templates with controlled connections are
           kept (re-armed 60 s); overload thresholds -x/-y.
* IPVS-PER-*  persistence templates <proto, client & mask, 0, VIP, vport> (ip_vs_sched_persist).
* §9.5     schedulers rr wrr lc wlc sed nq fo ovf dh sh mh lblc lblcr twos, the destination list
           newest first (list_add_rcu), strict comparisons.

[EMU] Hash-table iteration orders of the kernel (services for ``--nosort``, connections for
``-Lnc``) depend on boot-time random seeds and pointer values; here both are insertion order.
Statistics are published by the 2-second estimator as in 6.1 (ip_vs_est.c): the counters that
``--stats`` shows and the rates of ``--rate`` change only at estimator ticks, computed lazily.
"""

from __future__ import annotations

import struct
from abc import ABC, abstractmethod

from .errors import EEXIST, EINVAL, ENOENT, ERANGE, KernelError

SEC = 1_000_000_000
IPPROTO_IP = 0
IPPROTO_ICMP = 1
IPPROTO_IPIP = 4
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_SCTP = 132

IP_VS_VERSION_CODE = 0x010201
IP_VS_CONN_TAB_SIZE = 4096          # CONFIG_IP_VS_TAB_BITS=12 (IPVS-CONN-05)
IP_VS_SCHEDNAME_MAXLEN = 16

# conn flags (include/uapi/linux/ip_vs.h)
IP_VS_CONN_F_MASQ = 0
IP_VS_CONN_F_LOCALNODE = 1
IP_VS_CONN_F_TUNNEL = 2
IP_VS_CONN_F_DROUTE = 3
IP_VS_CONN_F_BYPASS = 4
IP_VS_CONN_F_FWD_MASK = 7
IP_VS_CONN_F_HASHED = 0x0040
IP_VS_CONN_F_NOOUTPUT = 0x0080
IP_VS_CONN_F_INACTIVE = 0x0100
IP_VS_CONN_F_TEMPLATE = 0x1000
IP_VS_CONN_F_ONE_PACKET = 0x2000

# service flags
IP_VS_SVC_F_PERSISTENT = 0x0001
IP_VS_SVC_F_HASHED = 0x0002
IP_VS_SVC_F_ONEPACKET = 0x0004
IP_VS_SVC_F_SCHED1 = 0x0008
IP_VS_SVC_F_SCHED2 = 0x0010
IP_VS_SVC_F_SCHED3 = 0x0020

# dest flags
IP_VS_DEST_F_AVAILABLE = 0x0001
IP_VS_DEST_F_OVERLOAD = 0x0002

TUN_TYPE_IPIP, TUN_TYPE_GUE, TUN_TYPE_GRE = 0, 1, 2

# TCP states (ip_vs_proto_tcp.c)
S_NONE, S_ES, S_SS, S_SR, S_FW, S_TW, S_CL, S_CW, S_LA, S_LI, S_SA = range(11)
TCP_STATE_NAMES = ("NONE", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT", "TIME_WAIT",
                   "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "SYNACK")
TCP_TIMEOUTS = [2, 900, 120, 60, 120, 120, 10, 60, 30, 120, 120]
TCP_ACTIVE = frozenset((S_SR, S_ES, S_SS, S_SA))       # tcp_state_active_table[]
UDP_TIMEOUT = 300
DIR_INPUT, DIR_OUTPUT, DIR_INPUT_ONLY = 0, 4, 8

_NO, _ES, _SS, _SR, _FW, _TW, _CL, _CW, _LA, _LI, _SA = range(11)
# tcp_states[]: rows [dir + (syn, fin, ack, rst)], columns = current state
TCP_STATES = (
    # INPUT
    (_SR, _ES, _ES, _SR, _SR, _SR, _SR, _SR, _SR, _SR, _SR),
    (_CL, _CW, _SS, _TW, _TW, _TW, _CL, _CW, _LA, _LI, _TW),
    (_CL, _ES, _SS, _ES, _FW, _TW, _CL, _CW, _CL, _LI, _ES),
    (_CL, _CL, _CL, _SR, _CL, _CL, _CL, _CL, _LA, _LI, _SR),
    # OUTPUT
    (_SS, _ES, _SS, _SR, _SS, _SS, _SS, _SS, _SS, _LI, _SR),
    (_TW, _FW, _SS, _TW, _FW, _TW, _CL, _TW, _LA, _LI, _TW),
    (_ES, _ES, _SS, _ES, _FW, _TW, _CL, _CW, _LA, _ES, _ES),
    (_CL, _CL, _SS, _CL, _CL, _TW, _CL, _CL, _CL, _CL, _CL),
    # INPUT-ONLY
    (_SR, _ES, _ES, _SR, _SR, _SR, _SR, _SR, _SR, _SR, _SR),
    (_CL, _FW, _SS, _TW, _FW, _TW, _CL, _CW, _LA, _LI, _TW),
    (_CL, _ES, _SS, _ES, _FW, _TW, _CL, _CW, _CL, _LI, _ES),
    (_CL, _CL, _CL, _SR, _CL, _CL, _CL, _CL, _LA, _LI, _CL),
)

TH_FIN, TH_SYN, TH_RST, TH_ACK = 0x01, 0x02, 0x04, 0x10

SYSCTL_DEFAULTS = {
    "am_droprate": 10, "amemthresh": 1024, "backup_only": 0, "cache_bypass": 0,
    "conn_reuse_mode": 1, "conntrack": 0, "drop_entry": 0, "drop_packet": 0,
    "expire_nodest_conn": 0, "expire_quiescent_template": 0, "ignore_tunneled": 0,
    "lblc_expiration": 86400, "lblcr_expiration": 86400, "nat_icmp_send": 0,
    "pmtu_disc": 1, "run_estimation": 1, "schedule_icmp": 0, "secure_tcp": 0,
    "sloppy_sctp": 0, "sloppy_tcp": 0, "snat_reroute": 1, "sync_persist_mode": 0,
    "sync_ports": 1, "sync_qlen_max": 0, "sync_refresh_period": 0, "sync_retries": 0,
    "sync_sock_size": 0, "sync_threshold": (3, 50), "sync_version": 1,
}

_IPH = struct.Struct("!BBHHHBBHII")
GOLDEN_RATIO_32 = 0x61C88647


def hash_32(val: int, bits: int) -> int:
    return ((val * GOLDEN_RATIO_32) & 0xFFFFFFFF) >> (32 - bits)


def _csum_fold(s: int) -> int:
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def _csum_replace(check: int, old: bytes, new: bytes) -> int:
    """RFC 1624 incremental update of a one's complement checksum (inet_proto_csum_replace)."""
    s = (~check) & 0xFFFF
    for i in range(0, len(old), 2):
        s += (~((old[i] << 8) | old[i + 1])) & 0xFFFF
        s += (new[i] << 8) | new[i + 1]
    return (~_csum_fold(s)) & 0xFFFF


def _ip_csum(hdr: bytes) -> bytes:
    h = hdr[:10] + b"\x00\x00" + hdr[12:]
    s = 0
    for i in range(0, len(h), 2):
        s += (h[i] << 8) | h[i + 1]
    return h[:10] + ((~_csum_fold(s)) & 0xFFFF).to_bytes(2, "big") + h[12:]


# =========================================================================================
# objects
# =========================================================================================
class Stats:
    """ip_vs_stats: counters plus the 2 s estimator (ip_vs_est.c, 6.1)."""

    __slots__ = ("conns", "inpkts", "outpkts", "inbytes", "outbytes", "shown", "last",
                 "cps", "inpps", "outpps", "inbps", "outbps", "zero")

    def __init__(self):
        self.conns = self.inpkts = self.outpkts = self.inbytes = self.outbytes = 0
        self.shown = (0, 0, 0, 0, 0)      # kstats as of the last estimator tick
        self.last = (0, 0, 0, 0, 0)       # counters at the previous tick
        self.cps = self.inpps = self.outpps = self.inbps = self.outbps = 0
        self.zero = (0, 0, 0, 0, 0)       # kstats0 (ipvsadm -Z)

    def counters(self) -> tuple:
        return (self.conns, self.inpkts, self.outpkts, self.inbytes, self.outbytes)

    def tick(self) -> None:
        """estimation_timer(): publish the counters and update the EWMA rates."""
        cur = self.counters()
        self.shown = cur
        c, ip, op, ib, ob = (cur[i] - self.last[i] for i in range(5))
        self.last = cur
        self.cps += ((c << 9) - self.cps) >> 2
        self.inpps += ((ip << 9) - self.inpps) >> 2
        self.outpps += ((op << 9) - self.outpps) >> 2
        self.inbps += ((ib << 4) - self.inbps) >> 2
        self.outbps += ((ob << 4) - self.outbps) >> 2

    def view(self) -> dict:
        s = [self.shown[i] - self.zero[i] for i in range(5)]
        return {"conns": s[0], "inpkts": s[1], "outpkts": s[2], "inbytes": s[3],
                "outbytes": s[4], "cps": (self.cps + 0x1FF) >> 10,
                "inpps": (self.inpps + 0x1FF) >> 10, "outpps": (self.outpps + 0x1FF) >> 10,
                "inbps": (self.inbps + 0xF) >> 5, "outbps": (self.outbps + 0xF) >> 5}

    def zero_now(self) -> None:
        """ip_vs_zero_stats(): kstats0 = kstats; the rate estimator restarts."""
        self.zero = self.shown
        self.cps = self.inpps = self.outpps = self.inbps = self.outbps = 0
        self.last = self.counters()


class Dest:
    __slots__ = ("svc", "af", "addr", "port", "weight", "last_weight", "fwd", "conn_flags",
                 "u_threshold", "l_threshold", "activeconns", "inactconns", "persistconns",
                 "flags", "stats", "tun_type", "tun_port", "tun_flags", "refs")

    def __init__(self, svc, addr: int, port: int):
        self.svc = svc
        self.af = 2
        self.addr = addr
        self.port = port
        self.weight = 1
        self.last_weight = 1
        self.fwd = IP_VS_CONN_F_DROUTE
        self.conn_flags = IP_VS_CONN_F_DROUTE | IP_VS_CONN_F_INACTIVE | IP_VS_CONN_F_NOOUTPUT
        self.u_threshold = 0
        self.l_threshold = 0
        self.activeconns = 0
        self.inactconns = 0
        self.persistconns = 0
        self.flags = IP_VS_DEST_F_AVAILABLE
        self.stats = Stats()
        self.tun_type = TUN_TYPE_IPIP
        self.tun_port = 0
        self.tun_flags = 0
        self.refs = 0

    @property
    def available(self) -> bool:
        return bool(self.flags & IP_VS_DEST_F_AVAILABLE)

    @property
    def overloaded(self) -> bool:
        return bool(self.flags & IP_VS_DEST_F_OVERLOAD)

    def overhead(self) -> int:
        """ip_vs_dest_conn_overhead()."""
        return (self.activeconns << 8) + self.inactconns

    def __repr__(self) -> str:
        return f"<Dest {_ntoa(self.addr)}:{self.port} w={self.weight}>"


class Service:
    __slots__ = ("af", "protocol", "addr", "port", "fwmark", "sched_name", "flags", "timeout",
                 "netmask", "pe_name", "dests", "sched", "stats", "ipvs")

    def __init__(self, ipvs, protocol: int, addr: int, port: int, fwmark: int):
        self.ipvs = ipvs
        self.af = 2
        self.protocol = protocol
        self.addr = addr
        self.port = port
        self.fwmark = fwmark
        self.sched_name = "wlc"
        self.flags = 0
        self.timeout = 0
        self.netmask = 0xFFFFFFFF
        self.pe_name = ""
        self.dests: list[Dest] = []       # newest first (list_add_rcu)
        self.sched = None
        self.stats = Stats()

    @property
    def key(self) -> tuple:
        return (self.fwmark, self.protocol, self.addr, self.port)

    def available(self) -> list[Dest]:
        return [d for d in self.dests if d.available]


class Conn:
    __slots__ = ("protocol", "caddr", "cport", "vaddr", "vport", "daddr", "dport", "flags",
                 "state", "timeout", "expires", "dest", "control", "n_control", "timer",
                 "fwmark", "dead", "in_pkts", "old_state")

    def __init__(self, protocol, caddr, cport, vaddr, vport, daddr, dport, flags, dest):
        self.protocol = protocol
        self.caddr = caddr
        self.cport = cport
        self.vaddr = vaddr
        self.vport = vport
        self.daddr = daddr
        self.dport = dport
        self.flags = flags
        self.state = 0
        self.old_state = 0
        self.timeout = 3 * SEC
        self.expires = 0
        self.dest = dest
        self.control = None
        self.n_control = 0
        self.timer = None
        self.fwmark = 0
        self.dead = False
        self.in_pkts = 0

    @property
    def fwd(self) -> int:
        return self.flags & IP_VS_CONN_F_FWD_MASK

    @property
    def is_template(self) -> bool:
        return bool(self.flags & IP_VS_CONN_F_TEMPLATE)

    def state_name(self) -> str:
        if self.protocol == IPPROTO_UDP:
            return "UDP"
        if self.protocol == IPPROTO_TCP:
            return TCP_STATE_NAMES[self.state]
        return "NONE" if self.protocol == IPPROTO_IP else "ERR!"

    def __repr__(self) -> str:
        return (f"<Conn {_ntoa(self.caddr)}:{self.cport} -> {_ntoa(self.vaddr)}:{self.vport}"
                f" -> {_ntoa(self.daddr)}:{self.dport} {self.state_name()}>")


def _ntoa(a: int) -> str:
    return ".".join(str((a >> s) & 255) for s in (24, 16, 8, 0))


# =========================================================================================
# schedulers (§9.5)
# =========================================================================================
class Scheduler(ABC):
    name = ""

    def __init__(self, svc: Service):
        self.svc = svc

    def dests_changed(self) -> None:
        pass

    def del_dest(self, dest: Dest) -> None:
        pass

    @abstractmethod
    def schedule(self, ipvs, saddr: int, sport: int, daddr: int, dport: int):
        """The scheduler's pick (ip_vs_scheduler.schedule), or None."""


class RR(Scheduler):
    """ip_vs_rr.c: a cursor into the list, initially the head."""
    name = "rr"

    def __init__(self, svc):
        super().__init__(svc)
        self.cursor = None          # None = the list head

    def del_dest(self, dest):
        if self.cursor is dest:     # ip_vs_rr_del_dest(): step back to the previous entry
            ds = self.svc.dests
            i = ds.index(dest)
            self.cursor = ds[i - 1] if i > 0 else None

    def schedule(self, ipvs, saddr, sport, daddr, dport):
        ds = self.svc.dests
        n = len(ds)
        if not n:
            return None
        start = 0 if self.cursor is None or self.cursor not in ds else ds.index(self.cursor) + 1
        for k in range(n):
            d = ds[(start + k) % n]
            if not d.flags & IP_VS_DEST_F_OVERLOAD and d.weight > 0:
                self.cursor = d
                return d
        return None


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


class WRR(Scheduler):
    """ip_vs_wrr.c: interleaved weighted round robin with cw stepping by the weights' gcd."""
    name = "wrr"

    def __init__(self, svc):
        super().__init__(svc)
        self.cl = None
        self.di = self._gcd()
        self.mw = self._max() - (self.di - 1)
        self.cw = self.mw

    def _gcd(self) -> int:
        g = 0
        for d in self.svc.dests:
            if d.weight > 0:
                g = _gcd(d.weight, g) if g > 0 else d.weight
        return g or 1

    def _max(self) -> int:
        return max((d.weight for d in self.svc.dests), default=0)

    def dests_changed(self):
        self.cl = None
        self.di = self._gcd()
        self.mw = self._max() - (self.di - 1)
        if self.cw > self.mw or not self.cw:
            self.cw = self.mw
        elif self.di > 1:
            self.cw = (self.cw // self.di) * self.di + 1

    def del_dest(self, dest):
        pass

    def schedule(self, ipvs, saddr, sport, daddr, dport):
        ds = self.svc.dests
        if self.mw == 0 or not ds:
            return None
        # positions: -1 = head; the list is walked as a ring through the head
        last = -1 if self.cl is None or self.cl not in ds else ds.index(self.cl)
        pos = last
        stop = None
        restarted = False
        last_pass = False
        n = len(ds)
        while True:
            i = pos + 1
            while i < n:
                d = ds[i]
                if not d.flags & IP_VS_DEST_F_OVERLOAD and d.weight >= self.cw:
                    self.cl = d
                    return d
                if stop is not None and i == stop:
                    return None
                i += 1
            pos = -1
            self.cw -= self.di
            if self.cw <= 0:
                self.cw = self.mw
                if last_pass or last == -1:
                    return None
                restarted = True
            last_pass = self.cw <= self.di
            if last_pass and restarted and last != -1:
                stop = last


class LC(Scheduler):
    name = "lc"

    def schedule(self, ipvs, saddr, sport, daddr, dport):
        least = None
        loh = 0
        for d in self.svc.dests:
            if d.flags & IP_VS_DEST_F_OVERLOAD or d.weight == 0:
                continue
            doh = d.overhead()
            if least is None or doh < loh:
                least, loh = d, doh
        return least


def _weighted_least(dests, overhead):
    """The wlc/sed shape: first non-overloaded weight>0 dest, then strict loh*w > doh*lw."""
    it = iter(dests)
    least = None
    for d in it:
        if not d.flags & IP_VS_DEST_F_OVERLOAD and d.weight > 0:
            least = d
            break
    if least is None:
        return None
    loh = overhead(least)
    for d in it:
        if d.flags & IP_VS_DEST_F_OVERLOAD:
            continue
        doh = overhead(d)
        if loh * d.weight > doh * least.weight:
            least, loh = d, doh
    return least


class WLC(Scheduler):
    name = "wlc"

    def schedule(self, ipvs, saddr, sport, daddr, dport):
        return _weighted_least(self.svc.dests, Dest.overhead)


class SED(Scheduler):
    name = "sed"

    def schedule(self, ipvs, saddr, sport, daddr, dport):
        return _weighted_least(self.svc.dests, lambda d: d.activeconns + 1)


class NQ(Scheduler):
    name = "nq"

    def schedule(self, ipvs, saddr, sport, daddr, dport):
        least = None
        loh = 0
        for d in self.svc.dests:
            if d.flags & IP_VS_DEST_F_OVERLOAD or not d.weight:
                continue
            doh = d.activeconns + 1
            if d.activeconns == 0:
                return d
            if least is None or loh * d.weight > doh * least.weight:
                least, loh = d, doh
        return least


class FO(Scheduler):
    name = "fo"

    def schedule(self, ipvs, saddr, sport, daddr, dport):
        best, hw = None, 0
        for d in self.svc.dests:
            if not d.flags & IP_VS_DEST_F_OVERLOAD and d.weight > hw:
                best, hw = d, d.weight
        return best


class OVF(Scheduler):
    name = "ovf"

    def schedule(self, ipvs, saddr, sport, daddr, dport):
        h = None
        for d in self.svc.dests:
            w = d.weight
            if d.flags & IP_VS_DEST_F_OVERLOAD or d.activeconns > w or w == 0:
                continue
            if h is None or w > h.weight:
                h = d
        return h


class DH(Scheduler):
    """ip_vs_dh.c: 256 buckets filled round robin over the list, ignoring weight."""
    name = "dh"

    def __init__(self, svc):
        super().__init__(svc)
        self.dests_changed()

    def dests_changed(self):
        ds = self.svc.dests
        self.buckets = [ds[i % len(ds)] for i in range(256)] if ds else [None] * 256

    def schedule(self, ipvs, saddr, sport, daddr, dport):
        d = self.buckets[hash_32(daddr, 8)]
        if d is None or not d.available or d.weight <= 0 or d.overloaded:
            return None
        return d


class SH(Scheduler):
    """ip_vs_sh.c: 256 buckets, each dest fills ``weight`` consecutive ones (at least one)."""
    name = "sh"

    def __init__(self, svc):
        super().__init__(svc)
        self.dests_changed()

    def dests_changed(self):
        ds = self.svc.dests
        b = []
        if ds:
            i = 0
            cnt = 0
            while len(b) < 256:
                d = ds[i % len(ds)]
                b.append(d)
                cnt += 1
                if cnt >= d.weight:
                    i += 1
                    cnt = 0
        else:
            b = [None] * 256
        self.buckets = b

    @staticmethod
    def _unavailable(d) -> bool:
        return d is None or d.weight <= 0 or d.overloaded

    def _key(self, addr: int, port: int, offset: int) -> int:
        return (offset + hash_32((port + addr) & 0xFFFFFFFF, 8)) % 256

    def schedule(self, ipvs, saddr, sport, daddr, dport):
        port = sport if self.svc.flags & IP_VS_SVC_F_SCHED2 else 0
        ihash = self._key(saddr, port, 0)
        d = self.buckets[ihash]
        if not self.svc.flags & IP_VS_SVC_F_SCHED1:       # sh-fallback
            return None if self._unavailable(d) else d
        if d is None:
            return None
        if not self._unavailable(d):
            return d
        for off in range(256):
            d = self.buckets[self._key(saddr, port, (off + ihash) % 256)]
            if not self._unavailable(d):
                return d
        return None


# --- mh: Maglev hashing with hsiphash (lib/siphash.c, 64-bit: SipHash-1-3, u32 result) -----
_M64 = 0xFFFFFFFFFFFFFFFF


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _M64


def _sipround(v0, v1, v2, v3):
    v0 = (v0 + v1) & _M64; v1 = _rotl(v1, 13); v1 ^= v0; v0 = _rotl(v0, 32)   # noqa: E702
    v2 = (v2 + v3) & _M64; v3 = _rotl(v3, 16); v3 ^= v2                      # noqa: E702
    v0 = (v0 + v3) & _M64; v3 = _rotl(v3, 21); v3 ^= v0                      # noqa: E702
    v2 = (v2 + v1) & _M64; v1 = _rotl(v1, 17); v1 ^= v2; v2 = _rotl(v2, 32)  # noqa: E702
    return v0, v1, v2, v3


def hsiphash_u32(value: int, k0: int, k1: int) -> int:
    """hsiphash(&v, 4, key) on a 64-bit little-endian kernel."""
    v0 = 0x736F6D6570736575 ^ k0
    v1 = 0x646F72616E646F6D ^ k1
    v2 = 0x6C7967656E657261 ^ k0
    v3 = 0x7465646279746573 ^ k1
    b = (4 << 56) | (value & 0xFFFFFFFF)
    v3 ^= b
    v0, v1, v2, v3 = _sipround(v0, v1, v2, v3)
    v0 ^= b
    v2 ^= 0xFF
    for _ in range(3):
        v0, v1, v2, v3 = _sipround(v0, v1, v2, v3)
    return (v0 ^ v1 ^ v2 ^ v3) & 0xFFFFFFFF


MH_TAB_SIZE = 4093
MH_KEY1 = 2654435761
MH_KEY2 = 2654446892


class MH(Scheduler):
    """ip_vs_mh.c: Maglev lookup table of 4093 entries over last_weight."""
    name = "mh"

    def __init__(self, svc):
        super().__init__(svc)
        self.dests_changed()

    @staticmethod
    def _hash(addr: int, port: int, key: int, offset: int = 0) -> int:
        return hsiphash_u32((offset + port + addr) & 0xFFFFFFFF, key, key)

    def dests_changed(self):
        ds = self.svc.dests
        self.table = [None] * MH_TAB_SIZE
        if not ds:
            return
        ws = [d.last_weight for d in ds if d.last_weight > 0]
        g = 0
        for w in ws:
            g = _gcd(w, g) if g else w
        g = g or 1
        mw = max(ws, default=0) // g
        # ip_vs_mh_shift_weight(): shift = fls(max/gcd) - IP_VS_MH_TAB_BITS (12 / 2)
        shift = max(0, mw.bit_length() - 6)
        setup = []
        for d in ds:
            off = self._hash(d.addr, d.port, MH_KEY1) % MH_TAB_SIZE
            skip = self._hash(d.addr, d.port, MH_KEY2) % (MH_TAB_SIZE - 1) + 1
            lw = d.last_weight
            turns = ((lw // g) >> shift) or (1 if lw else 0)
            setup.append([d, off, skip, off, turns])
        n = 0
        filled = [False] * MH_TAB_SIZE
        if not any(s[4] for s in setup):
            return
        while n < MH_TAB_SIZE:
            for s in setup:
                for _ in range(s[4]):
                    c = s[3]
                    while filled[c]:
                        c = (c + s[2]) % MH_TAB_SIZE
                    self.table[c] = s[0]
                    filled[c] = True
                    s[3] = (c + s[2]) % MH_TAB_SIZE
                    n += 1
                    if n == MH_TAB_SIZE:
                        return

    @staticmethod
    def _unavailable(d) -> bool:
        return d is None or d.weight <= 0 or d.overloaded

    def schedule(self, ipvs, saddr, sport, daddr, dport):
        port = sport if self.svc.flags & IP_VS_SVC_F_SCHED2 else 0
        h = self._hash(saddr, port, MH_KEY1) % MH_TAB_SIZE
        d = self.table[h]
        if not self.svc.flags & IP_VS_SVC_F_SCHED1:        # mh-fallback
            return None if self._unavailable(d) else d
        if d is None:
            return None
        if not self._unavailable(d):
            return d
        for off in range(MH_TAB_SIZE):
            roff = (off + (self._hash(saddr, port, MH_KEY1) % MH_TAB_SIZE)) % MH_TAB_SIZE
            d = self.table[self._hash(saddr, port, MH_KEY1, roff) % MH_TAB_SIZE]
            if d is None:
                break
            if not self._unavailable(d):
                return d
        return None


def _lblc_overloaded(dest, svc) -> bool:
    if dest.activeconns > dest.weight:
        for d in svc.dests:
            if d.activeconns * 2 < d.weight:
                return True
    return False


class LBLC(Scheduler):
    """ip_vs_lblc.c: a per-destination-IP cache in front of a wlc pick."""
    name = "lblc"

    def __init__(self, svc):
        super().__init__(svc)
        self.cache: dict[int, list] = {}     # daddr -> [dest, lastuse]

    def del_dest(self, dest):
        for k in [k for k, v in self.cache.items() if v[0] is dest]:
            del self.cache[k]

    def schedule(self, ipvs, saddr, sport, daddr, dport):
        now = ipvs.engine.now
        exp = ipvs.sysctl["lblc_expiration"] * SEC
        en = self.cache.get(daddr)
        if en is not None and now - en[1] > exp:
            en = None
            del self.cache[daddr]
        if en is not None:
            d = en[0]
            if d.available and d.weight > 0 and not _lblc_overloaded(d, self.svc):
                en[1] = now
                return d
        d = _weighted_least(self.svc.dests, Dest.overhead)
        if d is None:
            return None
        self.cache[daddr] = [d, now]
        return d


class LBLCR(Scheduler):
    """ip_vs_lblcr.c: a per-destination-IP server set."""
    name = "lblcr"

    def __init__(self, svc):
        super().__init__(svc)
        self.sets: dict[int, list] = {}      # daddr -> [members, lastuse, lastmod]

    def del_dest(self, dest):
        for en in self.sets.values():
            if dest in en[0]:
                en[0].remove(dest)

    def schedule(self, ipvs, saddr, sport, daddr, dport):
        now = ipvs.engine.now
        exp = ipvs.sysctl["lblcr_expiration"] * SEC
        en = self.sets.get(daddr)
        d = None
        if en is not None:
            en[1] = now
            d = _weighted_least(en[0], Dest.overhead)
            if len(en[0]) > 1 and now - en[2] > exp:
                worst, woh = None, -1
                for m in en[0]:
                    moh = m.overhead()
                    if worst is None or moh * worst.weight > woh * m.weight:
                        worst, woh = m, moh
                if worst is not None:
                    en[0].remove(worst)
                    en[2] = now
            if d is not None and not _lblc_overloaded(d, self.svc):
                return d
        d = _weighted_least(self.svc.dests, Dest.overhead)
        if d is None:
            return None
        if en is None:
            en = self.sets[daddr] = [[], now, now]
        if d not in en[0]:
            en[0].insert(0, d)
            en[2] = now
        return d


class TWOS(Scheduler):
    """ip_vs_twos.c: power of two random choices (kernel randomness: distribution only)."""
    name = "twos"

    def schedule(self, ipvs, saddr, sport, daddr, dport):
        total = 0
        for d in self.svc.dests:
            if not d.overloaded and d.weight > 0:
                total += d.weight
        if not total:
            return None
        total += 1
        r1 = ipvs.rng.randrange(total)
        r2 = ipvs.rng.randrange(total)
        c1 = c2 = None
        for d in self.svc.dests:
            if d.overloaded or d.weight <= 0:
                continue
            if c1 is None:
                r1 -= d.weight
                if r1 <= 0:
                    c1 = d
            if c2 is None:
                r2 -= d.weight
                if r2 <= 0:
                    c2 = d
        if c1 is None:
            c1 = c2
        if c2 is None:
            c2 = c1
        if c1 is None:
            return None
        if c2.weight * c1.overhead() > c1.weight * c2.overhead():
            return c2
        return c1


SCHEDULERS = {c.name: c for c in (RR, WRR, LC, WLC, SED, NQ, FO, OVF, DH, SH, MH, LBLC, LBLCR,
                                  TWOS)}
SCHED_FLAG_SCHEDS = {"sh", "mh"}
# ip_vs_twos.c arrived in 6.2: the reference kernel (6.1) answers ENOENT for "-s twos", so the
# emulator does too unless a lab opts in (IPVS.schedulers = SCHEDULERS).
SCHEDULERS_61 = {k: v for k, v in SCHEDULERS.items() if k != "twos"}


# =========================================================================================
# the per-netns IPVS instance
# =========================================================================================
class IPVS:
    """netns_ipvs: services, destinations, connections, sysctls, timeouts."""

    def __init__(self, ns):
        self.ns = ns
        self.kernel = ns.kernel
        self.engine = ns.kernel.engine
        self.rng = ns.kernel.rng
        self.services: dict[tuple, Service] = {}        # insertion order
        self.conns: dict[tuple, Conn] = {}              # <proto, caddr, cport, vaddr, vport>
        self.out: dict[tuple, Conn] = {}                # <proto, daddr, dport, caddr, cport>
        self.templates: dict[tuple, Conn] = {}
        self.trash: dict[tuple, Dest] = {}            # removed dests still used by conns
        self.sysctl = dict(SYSCTL_DEFAULTS)
        self.tcp_timeouts = list(TCP_TIMEOUTS)
        self.udp_timeout = UDP_TIMEOUT
        self.enable = False
        self.tot_stats = Stats()
        self.est_base = self.engine.now
        self.est_ticks = 0
        self.dropped = 0

    # -- estimator -------------------------------------------------------------------------
    def _all_stats(self):
        yield self.tot_stats
        for s in self.services.values():
            yield s.stats
            for d in s.dests:
                yield d.stats

    def est_update(self) -> None:
        """Run the 2 s estimator ticks that are due (lazily, no standing timer)."""
        due = (self.engine.now - self.est_base) // (2 * SEC)
        n = due - self.est_ticks
        if n <= 0:
            return
        self.est_ticks = due
        for st in self._all_stats():
            for i in range(min(n, 64)):
                st.tick()

    # -- configuration (ip_vs_ctl.c) -------------------------------------------------------
    def find_service(self, fwmark: int, protocol: int, addr: int, port: int) -> Service | None:
        if fwmark:
            return self.services.get((fwmark, 0, 0, 0))
        return self.services.get((0, protocol, addr, port))

    schedulers = SCHEDULERS_61

    def _sched(self, name: str, flags: int):
        cls = self.schedulers.get(name)
        if cls is None:
            raise KernelError(ENOENT)
        return cls

    def add_service(self, protocol: int, addr: int, port: int, fwmark: int = 0,
                    sched: str = "wlc", flags: int = 0, timeout: int = 0,
                    netmask: int = 0xFFFFFFFF, pe_name: str = "") -> Service:
        """ip_vs_add_service()."""
        key = (fwmark, 0, 0, 0) if fwmark else (0, protocol, addr, port)
        if key in self.services:
            raise KernelError(EEXIST)
        cls = self._sched(sched, flags)
        if pe_name and pe_name != "sip":
            raise KernelError(ENOENT)
        self.est_update()
        svc = Service(self, 0 if fwmark else protocol, 0 if fwmark else addr,
                      0 if fwmark else port, fwmark)
        svc.sched_name = sched
        svc.flags = flags & ~IP_VS_SVC_F_HASHED
        svc.timeout = timeout
        svc.netmask = netmask
        svc.pe_name = pe_name
        svc.sched = cls(svc)
        self.services[key] = svc
        if not self.enable:
            # ipvs->enable: the hooks do nothing before the first service, so the IPv4 seams
            # stay None (one attribute check per packet) until then
            self.enable = True
            self.ns.ipv4.ipvs_in = self.in_hook
            self.ns.ipv4.ipvs_fwd = self.fwd_hook
        return svc

    def edit_service(self, svc: Service, sched: str, flags: int, timeout: int,
                     netmask: int, pe_name: str = "") -> None:
        """ip_vs_edit_service(): a new scheduler starts with fresh state."""
        cls = self._sched(sched, flags)
        if pe_name and pe_name != "sip":
            raise KernelError(ENOENT)
        if svc.sched_name != sched:
            svc.sched_name = sched
            svc.sched = cls(svc)
        svc.flags = flags & ~IP_VS_SVC_F_HASHED
        svc.timeout = timeout
        svc.netmask = netmask
        svc.pe_name = pe_name

    def del_service(self, svc: Service) -> None:
        self.est_update()
        for d in list(svc.dests):
            self._unlink_dest(svc, d)
        # connections keep their (now unavailable, trashed) destination until they expire
        del self.services[svc.key]

    def flush(self) -> None:
        for svc in list(self.services.values()):
            self.del_service(svc)

    def zero(self, svc: Service | None = None) -> None:
        self.est_update()
        if svc is None:
            for st in self._all_stats():
                st.zero_now()
            return
        svc.stats.zero_now()
        for d in svc.dests:
            d.stats.zero_now()

    def find_dest(self, svc: Service, addr: int, port: int) -> Dest | None:
        for d in svc.dests:
            if d.addr == addr and d.port == port:
                return d
        return None

    def _check_dest(self, addr, weight: int, u: int, l: int) -> None:
        """ip_vs_add_dest() / ip_vs_new_dest() checks, in the kernel's order."""
        if weight < 0:
            raise KernelError(ERANGE)
        if l > u:
            raise KernelError(ERANGE)

    def _check_new_dest(self, addr) -> None:
        """ip_vs_new_dest(): the RS address must be RTN_UNICAST or RTN_LOCAL by
        inet_addr_type(). [VM 6.1] In a netns whose local table was never created (lo down,
        no address) inet_addr_type() answers RTN_BROADCAST, so every -a fails with EINVAL."""
        if isinstance(addr, tuple):
            return
        from .fib import RT_TABLE_LOCAL, RTN_LOCAL, RTN_UNICAST
        fib = self.ns.ipv4.fib
        t = fib.tables.get(RT_TABLE_LOCAL)
        if t is None or not t.count:
            # [EMU] a table emptied again (lo taken down) still exists in the kernel
            raise KernelError(EINVAL)
        if fib.addr_type(addr, None) not in (RTN_UNICAST, RTN_LOCAL):
            raise KernelError(EINVAL)

    def _update_dest(self, svc: Service, d: Dest, fwd: int, weight: int, u: int, l: int,
                     tun_type: int, tun_port: int, tun_flags: int, add: bool) -> None:
        """__ip_vs_update_dest()."""
        d.fwd = fwd
        flags = fwd | IP_VS_CONN_F_INACTIVE
        if fwd != IP_VS_CONN_F_MASQ:
            flags |= IP_VS_CONN_F_NOOUTPUT
        d.conn_flags = flags
        d.weight = weight
        if weight > 0:
            d.last_weight = weight
        d.tun_type, d.tun_port, d.tun_flags = tun_type, tun_port, tun_flags
        d.u_threshold = u
        d.l_threshold = l
        if not u or (d.activeconns + d.inactconns) < u:
            # ip_vs_update_dest(): re-evaluate the overload mark against the new thresholds
            if not u:
                d.flags &= ~IP_VS_DEST_F_OVERLOAD
        d.flags |= IP_VS_DEST_F_AVAILABLE
        if add:
            svc.dests.insert(0, d)
        svc.sched.dests_changed()

    def add_dest(self, svc: Service, addr: int, port: int, fwd: int = IP_VS_CONN_F_DROUTE,
                 weight: int = 1, u_threshold: int = 0, l_threshold: int = 0,
                 tun_type: int = 0, tun_port: int = 0, tun_flags: int = 0) -> Dest:
        """ip_vs_add_dest()."""
        self._check_dest(addr, weight, u_threshold, l_threshold)
        if self.find_dest(svc, addr, port) is not None:
            raise KernelError(EEXIST)
        self._check_new_dest(addr)
        self.est_update()
        # ip_vs_trash_get_dest(): a removed dest that connections still hold comes back
        d = self.trash.pop((svc.key, addr, port), None)
        if d is not None:
            d.svc = svc
            self._update_dest(svc, d, fwd, weight, u_threshold, l_threshold, tun_type,
                              tun_port, tun_flags, add=True)
            return d
        d = Dest(svc, addr, port)
        d.last_weight = 0
        self._update_dest(svc, d, fwd, weight, u_threshold, l_threshold, tun_type, tun_port,
                          tun_flags, add=True)
        if weight == 0:
            d.last_weight = weight
        return d

    def edit_dest(self, svc: Service, addr: int, port: int, fwd: int = IP_VS_CONN_F_DROUTE,
                  weight: int = 1, u_threshold: int = 0, l_threshold: int = 0,
                  tun_type: int = 0, tun_port: int = 0, tun_flags: int = 0) -> Dest:
        """ip_vs_edit_dest()."""
        if weight < 0 or l_threshold > u_threshold:
            raise KernelError(ERANGE)
        d = self.find_dest(svc, addr, port)
        if d is None:
            raise KernelError(ENOENT)
        self._update_dest(svc, d, fwd, weight, u_threshold, l_threshold, tun_type, tun_port,
                          tun_flags, add=False)
        return d

    def _unlink_dest(self, svc: Service, d: Dest) -> None:
        svc.sched.del_dest(d)
        svc.dests.remove(d)
        d.flags &= ~IP_VS_DEST_F_AVAILABLE
        svc.sched.dests_changed()
        if d.refs:
            self.trash[(svc.key, d.addr, d.port)] = d

    def del_dest(self, svc: Service, addr: int, port: int) -> None:
        d = self.find_dest(svc, addr, port)
        if d is None:
            raise KernelError(ENOENT)
        self.est_update()
        self._unlink_dest(svc, d)

    def set_timeout(self, tcp: int, tcpfin: int, udp: int) -> None:
        """ip_vs_set_timeout(): 0 leaves a value unchanged."""
        if tcp:
            self.tcp_timeouts[S_ES] = tcp
        if tcpfin:
            self.tcp_timeouts[S_FW] = tcpfin
        if udp:
            self.udp_timeout = udp

    def get_timeout(self) -> tuple[int, int, int]:
        return self.tcp_timeouts[S_ES], self.tcp_timeouts[S_FW], self.udp_timeout

    # -- connections (ip_vs_conn.c) --------------------------------------------------------
    def conn_list(self) -> list[Conn]:
        """Live entries of the connection table (templates included), insertion order."""
        return [c for c in list(self.conns.values()) + list(self.templates.values())
                if not c.dead]

    def expire_in(self, c: Conn) -> int:
        """(timer.expires - jiffies) / HZ, as /proc/net/ip_vs_conn prints it."""
        return max(0, (c.expires - self.engine.now) // SEC)

    def _bind_dest(self, c: Conn, d: Dest) -> None:
        """ip_vs_bind_dest()."""
        flags = d.conn_flags
        if c.protocol != IPPROTO_UDP:
            flags &= ~IP_VS_CONN_F_ONE_PACKET
        c.flags |= flags
        c.dest = d
        d.refs += 1
        if c.is_template:
            d.persistconns += 1
        elif c.flags & IP_VS_CONN_F_INACTIVE:
            d.inactconns += 1
        else:
            d.activeconns += 1
        if d.u_threshold and d.activeconns + d.inactconns >= d.u_threshold:
            d.flags |= IP_VS_DEST_F_OVERLOAD

    def _unbind_dest(self, c: Conn) -> None:
        """ip_vs_unbind_dest()."""
        d = c.dest
        if d is None:
            return
        if c.is_template:
            d.persistconns -= 1
        elif c.flags & IP_VS_CONN_F_INACTIVE:
            d.inactconns -= 1
        else:
            d.activeconns -= 1
        total = d.activeconns + d.inactconns
        if d.l_threshold:
            if total < d.l_threshold:
                d.flags &= ~IP_VS_DEST_F_OVERLOAD
        elif d.u_threshold:
            if total * 4 < d.u_threshold * 3:
                d.flags &= ~IP_VS_DEST_F_OVERLOAD
        else:
            d.flags &= ~IP_VS_DEST_F_OVERLOAD
        d.refs -= 1
        c.dest = None
        if not d.refs and not d.available:
            key = (d.svc.key, d.addr, d.port)
            if self.trash.get(key) is d:
                del self.trash[key]

    def conn_new(self, protocol, caddr, cport, vaddr, vport, dest: Dest, dport: int,
                 flags: int = 0) -> Conn:
        c = Conn(protocol, caddr, cport, vaddr, vport, dest.addr, dport, flags, None)
        self._bind_dest(c, dest)
        if c.is_template:
            self.templates[(protocol, caddr, cport, vaddr, vport)] = c
        else:
            self.conns[(protocol, caddr, cport, vaddr, vport)] = c
            if c.fwd == IP_VS_CONN_F_MASQ:
                self.out[(protocol, c.daddr, dport, caddr, cport)] = c
        return c

    def conn_put(self, c: Conn) -> None:
        """__ip_vs_conn_put_timer(): re-arm the expiry to now + timeout."""
        c.expires = self.engine.now + c.timeout
        t = c.timer
        if t is None or t.cancelled:
            c.timer = self.engine.call_at(c.expires, self._conn_timer, c)
        elif t.when > c.expires:
            t.cancel()
            c.timer = self.engine.call_at(c.expires, self._conn_timer, c)

    def _conn_timer(self, c: Conn) -> None:
        if c.dead:
            return
        now = self.engine.now
        if c.expires > now:
            c.timer = self.engine.call_at(c.expires, self._conn_timer, c)
            return
        self.conn_expire(c)

    def conn_expire(self, c: Conn) -> None:
        """ip_vs_conn_expire(): a template that still controls connections waits 60 s more."""
        if c.n_control:
            c.timeout = 60 * SEC
            self.conn_put(c)
            return
        self._conn_unlink(c)

    def _conn_unlink(self, c: Conn) -> None:
        c.dead = True
        if c.timer is not None:
            c.timer.cancel()
        key = (c.protocol, c.caddr, c.cport, c.vaddr, c.vport)
        if c.is_template:
            if self.templates.get(key) is c:
                del self.templates[key]
        else:
            if self.conns.get(key) is c:
                del self.conns[key]
            okey = (c.protocol, c.daddr, c.dport, c.caddr, c.cport)
            if self.out.get(okey) is c:
                del self.out[okey]
        ct = c.control
        if ct is not None:
            ct.n_control -= 1
            c.control = None
        self._unbind_dest(c)

    def flush_conns(self) -> None:
        for c in self.conn_list():
            self._conn_unlink(c)

    def _set_state(self, c: Conn, direction: int, tcp_flags: int) -> None:
        if c.protocol == IPPROTO_UDP:
            c.timeout = self.udp_timeout * SEC
            return
        if c.protocol != IPPROTO_TCP:
            return
        off = direction
        if c.flags & IP_VS_CONN_F_NOOUTPUT:
            if off == DIR_OUTPUT:
                c.flags &= ~IP_VS_CONN_F_NOOUTPUT
            else:
                off = DIR_INPUT_ONLY
        if tcp_flags & TH_RST:
            idx = 3
        elif tcp_flags & TH_SYN:
            idx = 0
        elif tcp_flags & TH_FIN:
            idx = 1
        elif tcp_flags & TH_ACK:
            idx = 2
        else:
            idx = -1
        new = S_CL if idx < 0 else TCP_STATES[off + idx][c.state]
        if new != c.state:
            d = c.dest
            if d is not None:
                if not c.flags & IP_VS_CONN_F_INACTIVE and new not in TCP_ACTIVE:
                    d.activeconns -= 1
                    d.inactconns += 1
                    c.flags |= IP_VS_CONN_F_INACTIVE
                elif c.flags & IP_VS_CONN_F_INACTIVE and new in TCP_ACTIVE:
                    d.activeconns += 1
                    d.inactconns -= 1
                    c.flags &= ~IP_VS_CONN_F_INACTIVE
        c.state = new
        c.timeout = self.tcp_timeouts[new] * SEC

    # -- scheduling (ip_vs_core.c) -----------------------------------------------------------
    def _sched_persist(self, svc: Service, proto, saddr, sport, daddr, dport) -> Conn | None:
        snet = saddr & svc.netmask
        if svc.fwmark:
            tkey = (IPPROTO_IP, snet, 0, svc.fwmark, 0)
        elif svc.port:
            tkey = (proto, snet, 0, daddr, dport)
        else:
            tkey = (proto, snet, 0, daddr, 0)
        ct = self.templates.get(tkey)
        if ct is not None and not self._check_template(ct):
            ct = None
        if ct is None:
            dest = svc.sched.schedule(self, saddr, sport, daddr, dport)
            if dest is None:
                return None
            tport = dest.port if (svc.port or svc.fwmark) else 0
            ct = self.conn_new(tkey[0], tkey[1], 0, tkey[3], tkey[4], dest, tport,
                               IP_VS_CONN_F_TEMPLATE)
            ct.timeout = svc.timeout * SEC
            ct.fwmark = svc.fwmark
        else:
            dest = ct.dest
        dp = dest.port or dport
        c = self.conn_new(proto, saddr, sport, daddr, dport, dest, dp,
                          IP_VS_CONN_F_ONE_PACKET if svc.flags & IP_VS_SVC_F_ONEPACKET else 0)
        c.control = ct
        ct.n_control += 1
        ct.timeout = svc.timeout * SEC
        self.conn_put(ct)
        return c

    def _check_template(self, ct: Conn) -> bool:
        """ip_vs_check_template(): invalid if the dest is gone / unavailable, or quiesced with
        expire_quiescent_template."""
        d = ct.dest
        if d is None or not d.available or (self.sysctl["expire_quiescent_template"]
                                           and d.weight == 0):
            key = (ct.protocol, ct.caddr, ct.cport, ct.vaddr, ct.vport)
            if self.templates.get(key) is ct:
                # the kernel re-keys it so it is never found again and lets it expire
                del self.templates[key]
                self.templates[("dead", id(ct))] = ct
            return False
        return True

    def schedule(self, svc: Service, proto, saddr, sport, daddr, dport) -> Conn | None:
        """ip_vs_schedule()."""
        if svc.flags & IP_VS_SVC_F_PERSISTENT:
            c = self._sched_persist(svc, proto, saddr, sport, daddr, dport)
        else:
            dest = svc.sched.schedule(self, saddr, sport, daddr, dport)
            if dest is None:
                return None
            dp = dest.port or dport
            flags = IP_VS_CONN_F_ONE_PACKET if svc.flags & IP_VS_SVC_F_ONEPACKET else 0
            c = self.conn_new(proto, saddr, sport, daddr, dport, dest, dp, flags)
        if c is not None:
            c.fwmark = svc.fwmark
            self.est_update()
            c.dest.stats.conns += 1
            svc.stats.conns += 1
            self.tot_stats.conns += 1
        return c

    # -- hooks -------------------------------------------------------------------------------
    def in_hook(self, skb, m: int, ihl: int, proto: int, saddr: int, daddr: int) -> bool:
        """LOCAL_IN (ip_vs_in_hook). True when IPVS took the packet (sent or dropped)."""
        if not self.enable or proto not in (IPPROTO_TCP, IPPROTO_UDP):
            return False
        data = skb.data
        if len(data) < m + ihl + 8:
            return False
        sport, dport = struct.unpack_from("!HH", data, m + ihl)
        tcp_flags = data[m + ihl + 13] if proto == IPPROTO_TCP and \
            len(data) >= m + ihl + 14 else 0
        c = self.conns.get((proto, saddr, sport, daddr, dport))
        if c is not None and proto == IPPROTO_TCP and tcp_flags & TH_SYN and \
                not tcp_flags & TH_RST and self.sysctl["conn_reuse_mode"] and \
                not c.control and c.state == S_TW:
            # is_new_conn_expected(): a new SYN on a TIME_WAIT connection reschedules
            self._conn_unlink(c)
            c = None
        if c is None:
            svc = self.find_service(skb.mark, proto, daddr, dport)
            if svc is None:
                svc = self.find_service(0, proto, daddr, dport) or \
                    self.find_service(0, proto, daddr, 0)
            if svc is None:
                return False
            if proto == IPPROTO_TCP:
                if tcp_flags & TH_RST:
                    return False
                if not tcp_flags & TH_SYN and not self.sysctl["sloppy_tcp"]:
                    return False        # IPVS-03: to the local stack
            c = self.schedule(svc, proto, saddr, sport, daddr, dport)
            if c is None:
                # ip_vs_leave(): ICMP port unreachable, drop (IPVS-04)
                self.ns.ipv4.icmp_send(skb, 3, 3)
                self.dropped += 1
                return True
        d = c.dest
        if d is not None and not d.available:
            # IPVS-05
            if self.sysctl["expire_nodest_conn"]:
                self._conn_unlink(c)
            self.dropped += 1
            return True
        self.est_update()
        n = len(data) - m
        for st in (d.stats, d.svc.stats, self.tot_stats) if d is not None else (self.tot_stats,):
            st.inpkts += 1
            st.inbytes += n
        self._set_state(c, DIR_INPUT, tcp_flags)
        c.in_pkts += 1
        taken = self.xmit(c, skb, m, ihl, proto)
        if c.flags & IP_VS_CONN_F_ONE_PACKET:
            self._conn_unlink(c)
        else:
            self.conn_put(c)
        return taken

    def fwd_hook(self, skb, m: int) -> bool:
        """FORWARD (ip_vs_out_hook): SNAT of NAT replies. True if the packet was dropped."""
        data = skb.data
        proto = data[m + 9]
        if proto not in (IPPROTO_TCP, IPPROTO_UDP):
            return False
        ihl = (data[m] & 15) << 2
        if len(data) < m + ihl + 8:
            return False
        saddr, daddr = struct.unpack_from("!II", data, m + 12)
        sport, dport = struct.unpack_from("!HH", data, m + ihl)
        c = self.out.get((proto, saddr, sport, daddr, dport))
        if c is None or c.dead:
            return False
        tcp_flags = data[m + ihl + 13] if proto == IPPROTO_TCP else 0
        self.est_update()
        n = len(data) - m
        d = c.dest
        for st in (d.stats, d.svc.stats, self.tot_stats) if d is not None else (self.tot_stats,):
            st.outpkts += 1
            st.outbytes += n
        skb.data = data[:m] + self._rewrite(data[m:], ihl, proto, c.vaddr, c.vport, src=True)
        self._set_state(c, DIR_OUTPUT, tcp_flags)
        self.conn_put(c)
        return False

    # -- transmitters (ip_vs_xmit.c) ---------------------------------------------------------
    @staticmethod
    def _rewrite(ip: bytes, ihl: int, proto: int, addr: int, port: int, src: bool) -> bytes:
        """Rewrite source (SNAT) or destination (DNAT) address and port, fixing checksums
        incrementally (tcp_snat_handler / tcp_dnat_handler, udp_*)."""
        a_off = 12 if src else 16
        p_off = ihl + (0 if src else 2)
        old_a = ip[a_off:a_off + 4]
        new_a = addr.to_bytes(4, "big")
        old_p = ip[p_off:p_off + 2]
        new_p = port.to_bytes(2, "big")
        b = bytearray(ip)
        b[a_off:a_off + 4] = new_a
        b[p_off:p_off + 2] = new_p
        c_off = ihl + (16 if proto == IPPROTO_TCP else 6)
        if len(b) >= c_off + 2:
            check = (b[c_off] << 8) | b[c_off + 1]
            if proto == IPPROTO_TCP or check:
                nc = _csum_replace(check, old_a + old_p, new_a + new_p)
                if proto == IPPROTO_UDP and nc == 0:
                    nc = 0xFFFF
                b[c_off:c_off + 2] = nc.to_bytes(2, "big")
        return _ip_csum(bytes(b[:ihl])) + bytes(b[ihl:])

    def xmit(self, c: Conn, skb, m: int, ihl: int, proto: int) -> bool:
        """cp->packet_xmit. True = stolen (sent or dropped), False = deliver locally."""
        ipv4 = self.ns.ipv4
        fwd = c.fwd
        ip = skb.data[m:]
        if fwd == IP_VS_CONN_F_LOCALNODE:
            return False
        try:
            route, rtype, rsrc, odev, nh = ipv4.route_output(c.daddr)
        except KernelError:
            # err_unreach: dst_link_failure() -> ICMP host unreachable
            ipv4.icmp_send(skb, 3, 1)
            return True
        from .fib import RTN_LOCAL, RTN_UNICAST
        if rtype == RTN_LOCAL:
            # IPVS-FWD-05: a local real server gets the packet through the local stack
            if fwd == IP_VS_CONN_F_MASQ:
                if (c.daddr >> 24) == 127:
                    return True        # DNAT to loopback of a packet from the world
                skb.data = skb.data[:m] + self._rewrite(ip, ihl, proto, c.daddr, c.dport,
                                                        src=False)
            return False
        if rtype != RTN_UNICAST:
            return True
        # decrement_ttl()
        ttl = ip[8]
        if ttl <= 1:
            ipv4.icmp_send(skb, 11, 0)
            return True
        hdr = bytearray(ip[:ihl])
        hdr[8] = ttl - 1
        ip = _ip_csum(bytes(hdr)) + ip[ihl:]
        mtu = odev.mtu
        if route is not None and route.metrics and route.metrics.get("mtu"):
            mtu = route.metrics["mtu"]
        if ipv4.pmtu:
            mtu = ipv4.path_mtu(c.daddr, mtu)
        df = (ip[6] << 8 | ip[7]) & 0x4000
        if fwd == IP_VS_CONN_F_TUNNEL:
            mtu -= 20
            if mtu < 68:
                return True
            pmtu_disc = self.sysctl["pmtu_disc"]
            if pmtu_disc and df and len(ip) > mtu:
                ipv4.icmp_send(skb, 3, 4, mtu)
                return True
            outer_df = df if pmtu_disc else 0
            tos = ip[1]
            ident = 0 if outer_df else ipv4.next_ident()
            outer = _IPH.pack(0x45, tos, 20 + len(ip), ident, outer_df, ip[8], IPPROTO_IPIP,
                              0, rsrc, c.daddr)
            pkt = _ip_csum(outer) + ip
            return self._send(skb, pkt, odev, nh, mtu + 20)
        if df and len(ip) > mtu:
            ipv4.icmp_send(skb, 3, 4, mtu)
            return True
        if fwd == IP_VS_CONN_F_MASQ:
            pkt = self._rewrite(ip, ihl, proto, c.daddr, c.dport, src=False)
            return self._send(skb, pkt, odev, nh, mtu, ignore_df=True)
        # DROUTE: FLOWI_FLAG_KNOWN_NH: the RS address itself is the L2 next hop
        return self._send(skb, ip, odev, c.daddr, mtu, ignore_df=True)

    def _send(self, skb, pkt: bytes, odev, nexthop: int, mtu: int, ignore_df=False) -> bool:
        from .skb import Skb
        ipv4 = self.ns.ipv4
        out = Skb(pkt, odev, 0x0800, 0)
        out.mark = skb.mark
        if ignore_df and len(pkt) > mtu and pkt[6] & 0x40:
            b = bytearray(pkt[:20])
            b[6] &= ~0x40
            pkt = _ip_csum(bytes(b)) + pkt[20:]
            out.data = pkt
        ipv4.ip_finish_output(out, odev, nexthop, mtu)
        return True


def get_ipvs(ns, create: bool = True) -> IPVS | None:
    """The netns's IPVS instance (ip_vs_net_init at module load)."""
    ipvs = getattr(ns, "ipvs", None)
    if ipvs is None and create:
        ipvs = IPVS(ns)
        ns.ipvs = ipvs
    return ipvs


def _load_ip_vs(kernel) -> None:
    """modprobe ip_vs: every netns (old and new) gets its IPVS state."""
    for ns in kernel.namespaces:
        get_ipvs(ns)


def register() -> None:
    from .kernel import MODULES, PERNET_INIT
    MODULES["ip_vs"] = _load_ip_vs

    def _pernet(ns):
        if "ip_vs" in ns.kernel.modules:
            get_ipvs(ns)
    if _pernet.__name__ not in [f.__name__ for f in PERNET_INIT]:
        PERNET_INIT.append(_pernet)


register()
