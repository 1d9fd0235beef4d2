"""Qdiscs in virtual time (vnetlab.stack.tc): tbf's token bucket and netem's delay / loss, measured
with a packet generator on the engine's clock. Expected figures come from the configured values
and the kernel's arithmetic (sch_tbf.c, sch_generic.c psched_ratecfg_precompute, sch_netem.c),
never from the emulator's own output."""

from __future__ import annotations

import pytest

from vnetlab.api import Lab, parse_ip
from vnetlab.commands import run
from vnetlab.stack import tc as T

SEC = 1_000_000_000
PROTO = 253                       # experimental: a raw socket takes it, nothing answers


def pair(seed: int = 0):
    from ipv6_off import disable_ipv6
    lab = Lab(seed=seed)
    a, b = lab.netns("a"), lab.netns("b")
    # IPv6 off (sysctl before eth0 exists): the qdisc counts and the rates measured are of the
    # generator's own packets, not also of the MLD reports an IPv6 kernel retransmits
    disable_ipv6(lab, "a")
    disable_ipv6(lab, "b")
    for c, ns in (("ip link add eth0 type veth peer name eth0 netns b", "a"),
                  ("ip addr add 10.0.0.1/24 dev eth0", "a"),
                  ("ip addr add 10.0.0.2/24 dev eth0", "b"),
                  ("ip link set eth0 up", "a"), ("ip link set eth0 up", "b"),
                  ("ip neigh add 10.0.0.2 lladdr {mac} dev eth0", "a")):
        if "{mac}" in c:
            c = c.format(mac=":".join("%02x" % x for x in b.get("eth0").addr))
        rc, out, err = run(lab, c.split(), ns=ns)
        assert rc == 0, (c, err)
    lab.engine.run_for(2 * SEC)
    return lab, a, b


def tc(lab, ns, cmd):
    rc, out, err = run(lab, ["tc"] + cmd.split(), ns=ns)
    assert rc == 0, (cmd, err)
    return out


class Gen:
    """Sends ``size``-byte payloads (proto 253) from a to 10.0.0.2 every ``gap_ns``; the
    receiver records (arrival time, sequence number)."""

    def __init__(self, lab, a, b, size: int, gap_ns: int, count: int):
        self.lab, self.a = lab, a
        self.size, self.gap, self.left = size, gap_ns, count
        self.got: list = []
        self.sent: dict = {}
        self.seq = 0
        b.ipv4.raw_open(PROTO, self._rx)
        self.dst = parse_ip("10.0.0.2")

    def _rx(self, ip, skb):
        seq = int.from_bytes(ip[20:24], "big")
        self.got.append((self.lab.engine.now, seq))

    def start(self):
        self._tick()

    def _tick(self):
        if self.left <= 0:
            return
        self.left -= 1
        self.seq += 1
        self.sent[self.seq] = self.lab.engine.now
        payload = self.seq.to_bytes(4, "big") + bytes(self.size - 4)
        self.a.ipv4.ip_send(self.dst, PROTO, payload)
        self.lab.engine.call_later(self.gap, self._tick)


# -- tbf -------------------------------------------------------------------------------------

def test_tbf_rate_precompute_is_the_kernels():
    """psched_ratecfg_precompute(): the largest mult with bit 31 set, u32 arithmetic."""
    r = T.RateCfg(375000)                 # 3mbit
    assert (r.mult, r.shift) == (2796202666, 20)
    assert r.l2t_ns(10240) == 27306666
    r = T.RateCfg(1)                      # 8bit: mult overflows u32 at shift 3, stops at 2
    assert (r.mult, r.shift) == (4000000000, 2)
    r = T.RateCfg(125_000_000)            # 1gbit
    assert (r.mult, r.shift) == (1 << 31, 28)
    assert r.l2t_ns(1048576) == 8388608


def test_tbf_output_rate_within_1pct_over_10s():
    lab, a, b = pair()
    tc(lab, "a", "qdisc add dev eth0 root handle 1: tbf rate 1mbit burst 10k latency 50ms")
    g = Gen(lab, a, b, size=1000, gap_ns=4_000_000, count=3000)       # 2 Mbit/s offered
    g.start()
    lab.engine.run_for(12 * SEC)
    frame = 1000 + 20 + 14
    t0 = lab.engine.now - 12 * SEC
    window = [t for t, _ in g.got if t0 + SEC <= t < t0 + 11 * SEC]
    rate = len(window) * frame / 10
    assert abs(rate - 125000) / 125000 < 0.01
    st = a.get("eth0").tc.root.stats
    assert st.drops > 0 and st.overlimits > 0
    # every frame that left was Sent; none vanished between qdisc and wire
    assert st.packets == len(g.got)


def test_tbf_burst_leaves_at_once_then_paced():
    lab, a, b = pair()
    tc(lab, "a", "qdisc add dev eth0 root handle 1: tbf rate 1mbit burst 5000 limit 100000")
    g = Gen(lab, a, b, size=966, gap_ns=1, count=10)                   # 1000-byte frames
    g.start()
    lab.engine.run_for(SEC)
    times = [t - g.sent[1] for t, _ in g.got]
    assert len(times) == 10
    # a full bucket (5000 bytes of tokens): 5 frames at once, then one per 8 ms (1000 B at
    # 125000 B/s), each when the bucket holds exactly its l2t
    assert all(t < 10 for t in times[:5])
    assert abs(times[5] - 8_000_000) < 10
    for i in range(6, 10):
        assert times[i] - times[i - 1] == 8_000_000


def test_tbf_limit_drops_and_backlog():
    lab, a, b = pair()
    tc(lab, "a", "qdisc add dev eth0 root handle 1: tbf rate 100kbit burst 1540 limit 3000")
    g = Gen(lab, a, b, size=966, gap_ns=1, count=10)
    g.start()
    lab.engine.run_for(1_000)
    st = a.get("eth0").tc.root.stats
    # 1 frame passes (1540 bytes of tokens), 3000 bytes of bfifo hold 3, the rest are dropped
    assert (st.packets, st.qlen, st.backlog, st.drops) == (1, 3, 3000, 6)
    lab.engine.run_for(SEC)
    assert (st.packets, st.qlen, st.backlog) == (4, 0, 0)


# -- netem -----------------------------------------------------------------------------------

def test_netem_delay_is_exact():
    lab, a, b = pair()
    tc(lab, "a", "qdisc add dev eth0 root netem delay 100ms")
    g = Gen(lab, a, b, size=100, gap_ns=10_000_000, count=20)
    g.start()
    lab.engine.run_for(SEC)
    assert len(g.got) == 20
    # 100 ms = 1562500 psched ticks: exactly 100,000,000 ns
    assert {t - g.sent[s] for t, s in g.got} == {100_000_000}


def test_netem_jitter_stays_within_bounds_and_reorders():
    lab, a, b = pair(seed=5)
    tc(lab, "a", "qdisc add dev eth0 root netem delay 20ms 5ms")
    g = Gen(lab, a, b, size=100, gap_ns=1_000_000, count=500)
    g.start()
    lab.engine.run_for(2 * SEC)
    assert len(g.got) == 500
    d = [t - g.sent[s] for t, s in g.got]
    lo, hi = (20_000_000 - 5_000_000) // 64 * 64, 25_000_000     # ticks: 312500, 78125
    assert min(d) >= 15_000_000 - 64 and max(d) < hi
    seqs = [s for _, s in g.got]
    assert seqs != sorted(seqs)           # tfifo orders by time to send: jitter reorders


def _loss_run(seed: int) -> list:
    lab, a, b = pair(seed=seed)
    tc(lab, "a", "qdisc add dev eth0 root netem loss 10%")
    g = Gen(lab, a, b, size=64, gap_ns=100_000, count=10000)
    g.start()
    lab.engine.run_for(2 * SEC)
    st = a.get("eth0").tc.root.stats
    assert st.drops + len(g.got) == 10000
    return [s for _, s in g.got]


def test_netem_loss_rate_within_bounds_and_reproducible():
    got = _loss_run(11)
    # binomial(10000, 0.9): sd 30; five sd either side
    assert abs(len(got) - 9000) < 150
    assert _loss_run(11) == got            # same seed, same losses
    assert _loss_run(12) != got


def test_netem_duplicate_all():
    lab, a, b = pair()
    tc(lab, "a", "qdisc add dev eth0 root netem duplicate 100%")
    g = Gen(lab, a, b, size=64, gap_ns=1_000_000, count=10)
    g.start()
    lab.engine.run_for(SEC)
    assert sorted(s for _, s in g.got) == sorted(list(range(1, 11)) * 2)


def test_netem_limit_and_rate():
    lab, a, b = pair()
    tc(lab, "a", "qdisc add dev eth0 root netem rate 1mbit limit 5")
    g = Gen(lab, a, b, size=966, gap_ns=1, count=10)                   # 1000-byte frames
    g.start()
    lab.engine.run_for(SEC)
    st = a.get("eth0").tc.root.stats
    assert st.drops == 5 and len(g.got) == 5
    # each frame takes 1000 B / 125000 B/s = 8 ms of the link, back to back
    times = [t - g.sent[1] for t, _ in g.got]
    assert times == [8_000_000 * (i + 1) for i in range(5)]


@pytest.mark.parametrize("cmd", ["qdisc add dev eth0 root netem delay 50ms",
                                 "qdisc add dev eth0 root tbf rate 1mbit burst 10k latency 1ms"])
def test_device_down_resets_the_queue(cmd):
    lab, a, b = pair()
    tc(lab, "a", cmd)
    g = Gen(lab, a, b, size=1000, gap_ns=1, count=20)
    g.start()
    lab.engine.run_for(100_000)
    q = a.get("eth0").tc.root
    assert q.stats.qlen > 0
    run(lab, "ip link set eth0 down".split(), ns="a")
    assert (q.stats.qlen, q.stats.backlog) == (0, 0)


# -- htb (one level of classes) ------------------------------------------------------------------

def test_htb_classes_get_their_rates_and_the_default_class_the_rest():
    """Two floods through one htb: the one a u32 filter sends to 1:20 (2mbit) and the default
    class 1:10 (1mbit). Root-level classes cannot borrow: each is held to its rate."""
    lab, a, b = pair()
    tc(lab, "a", "qdisc add dev eth0 root handle 1: htb default 10")
    tc(lab, "a", "class add dev eth0 parent 1: classid 1:10 htb rate 1mbit")
    tc(lab, "a", "class add dev eth0 parent 1: classid 1:20 htb rate 2mbit ceil 4mbit")
    tc(lab, "a", "filter add dev eth0 parent 1: protocol ip prio 1 u32 "
                 "match ip tos 0x10 0xff flowid 1:20")
    fast = Gen(lab, a, b, size=966, gap_ns=2_000_000, count=6000)      # 4 Mbit/s offered
    g2 = []
    b.ipv4.raw_open(254, lambda ip, skb: g2.append(lab.engine.now))
    dst = parse_ip("10.0.0.2")

    def tick(n=[0]):
        if n[0] < 6000:
            n[0] += 1
            a.ipv4.ip_send(dst, 254, bytes(966), tos=0x10)
            lab.engine.call_later(2_000_000, tick)
    fast.start()
    tick()
    lab.engine.run_for(12 * SEC)
    t0 = lab.engine.now - 12 * SEC
    frame = 1000
    r10 = sum(1 for t, _ in fast.got if t0 + SEC <= t < t0 + 11 * SEC) * frame / 10
    r20 = sum(1 for t in g2 if t0 + SEC <= t < t0 + 11 * SEC) * frame / 10
    assert abs(r10 - 125000) / 125000 < 0.02
    assert abs(r20 - 250000) / 250000 < 0.02
    q = a.get("eth0").tc.root
    assert q.direct_pkts == 0 and q.classes[0x10010].stats.drops > 0


def test_htb_without_default_class_sends_direct():
    lab, a, b = pair()
    tc(lab, "a", "qdisc add dev eth0 root handle 1: htb")
    tc(lab, "a", "class add dev eth0 parent 1: classid 1:10 htb rate 1mbit")
    g = Gen(lab, a, b, size=966, gap_ns=1, count=50)
    g.start()
    lab.engine.run_for(1000)
    q = a.get("eth0").tc.root
    # no filter, default 0: every frame goes to the direct queue, unshaped
    assert q.direct_pkts == 50 and len(g.got) == 50
    out = tc(lab, "a", "qdisc show dev eth0")
    assert "direct_packets_stat 50 " in out


def test_netem_corrupt_flips_one_bit_per_frame():
    """corrupt 100%: each frame leaves with exactly one bit flipped (anywhere in the linear
    data, link header included), compared with the frame that entered the qdisc."""
    lab, a, b = pair(seed=9)
    tc(lab, "a", "qdisc add dev eth0 root netem corrupt 100%")
    q = a.get("eth0").tc.root
    before, after = [], []
    enqueue = q.enqueue

    def record(skb, length):
        before.append(skb.data)
        return enqueue(skb, length)
    q.enqueue = record
    a.get("eth0").ptype_all.append(lambda skb, dev, out: after.append(skb.data))
    g = Gen(lab, a, b, size=200, gap_ns=1_000_000, count=20)
    g.start()
    lab.engine.run_for(SEC)
    assert len(before) == len(after) == 20
    for x, y in zip(before, after):
        assert sum(bin(p ^ r).count("1") for p, r in zip(x, y)) == 1
