"""``vnetlab bench --only lvs``: the seed's claim "VS/TUN raises the cluster's maximum throughput
about tenfold over VS/NAT" measured on the emulator, in virtual time (deterministic).

The cluster is the seed's (examples/lvs-modes.sh): one L2 segment (a Linux bridge in netns
``lan``) with the director ``lvs`` (eth0 200.168.10.1, IPVS service VIP:80 scheduler rr), real
servers ``rs1..rsS`` (eth1 200.168.10.2..) and client hosts ``c1..cC`` (eth0 200.168.10.129..),
built with the same command lines a shell script would use. Per mode:

* ``nat`` (-m): the VIP on the director's eth0; the real servers route the clients' /25 via the
  director, which rewrites requests (DNAT) and replies (SNAT).
* ``tun`` (-i): the VIP on tunl0 of the director and the real servers (the seed as written),
  arp_ignore=1 / arp_announce=2 on the real servers; the director encapsulates the requests in
  IPIP, the real servers answer the clients directly.
* ``dr`` (-g): the VIP on the real servers' ``lo`` (the classic LVS-DR set-up) with the same ARP
  sysctls; the director only rewrites the destination MAC.

Every veth has ``gso_max_segs 1``: one TCP segment per packet, as on a wire (a real veth would
otherwise carry TSO super-packets of up to 64 kB, which the emulator never builds).

Workload: N concurrent closed-loop clients (32 by default, spread over 4 client hosts). A
transaction is one TCP connection, as HTTP/1.0 does it: connect to VIP:80, send a REQUEST-byte
request, read the RESPONSE-byte answer to EOF (the server closes first), close. Requests are 100
bytes; responses 100 B, 1 kB and 10 kB (ratios 1, 10, 100): a small GET answered by a tiny
object, a small page, a large object (7 segments at MSS 1448) - each in one connection, so the
handshake and the close count too, as they did for the seed's HTTP/1.0 web farm.

What is reported, per mode x ratio:

* director packets and bytes per transaction, in (received) and out (sent), counted by the
  director's eth0 (its only link; bytes are Ethernet frames without FCS, as the kernel's
  rx_bytes/tx_bytes and tc count them); measured idle to idle over a batch of transactions.
* (a) link bottleneck: the director's link shaped to LINK_RATE (100 Mbit/s) in each direction
  with tc tbf (root qdisc on the director's eth0 for what it sends, on its bridge port for what
  it receives); every other link is unshaped (infinitely fast in the emulator). Cluster
  throughput, transactions per second and response goodput (Mbit/s of response payload),
  measured over MEASURE transactions after WARMUP ones. Formula check: a full-duplex link of
  rate R carries at most R / (8 * max(bytes in, bytes out per transaction)) transactions per
  second.
* (b) CPU bottleneck: the director processes at most P packets per second (CPU_PPS, 100,000): a
  single FIFO server with a fixed service time 1/P per packet received on eth0, ahead of the
  protocol layer (what the kernel does for a packet - IPVS lookup, rewrite or encapsulation,
  transmit - happens in its receive softirq, so the cost is charged once per received packet);
  a backlog of netdev_max_backlog (1000) packets, beyond which packets are dropped as the
  kernel's enqueue_to_backlog() does. Links unshaped. Formula: P / packets in per transaction.
* (c) every link equal: the director's and each real server's link at LINK_RATE (clients, the
  Internet, unshaped), 100:1 replies, 2 / 5 / 10 real servers. NAT stays bound by the
  director's link; TUN and DR by the real servers' links, S * R / 8 / (bytes a real server
  sends per transaction), until the director's own share binds.

The per-transaction counts were checked against Debian's 6.1 kernel (the same command lines and
the same client/server behaviour in plain Python sockets, in the reference VM):
tests/golden/vm-6.1/lvs-bench.out, tests/test_bench_lvs.py.

``main(quick=False, out=print)`` prints the tables in markdown, the TUN/NAT and DR/NAT gains and
the CPU seconds it took (``vnetlab bench --only lvs [--quick]``; ~45 s, quick ~8 s).
"""

from __future__ import annotations

import collections
import shlex
import time
from dataclasses import dataclass, field

from .api import Lab
from .stack.errors import KernelError
from .stack.netdev import netif_receive
from .stack.sock import SOCK_STREAM, socket

SEC = 1_000_000_000
MS = 1_000_000
MODES = ("nat", "tun", "dr")
FWD = {"nat": "-m", "tun": "-i", "dr": "-g"}
VIP = "200.168.10.10"
VIP_INT = 0xC8A80A0A
LAN = "200.168.10"
LINK_RATE = 100_000_000         # bit/s, each direction of the director's link
CPU_PPS = 100_000               # packets/s the director's CPU can receive and process
REQUEST = 100
RESPONSES = (100, 1_000, 10_000)
NETDEV_MAX_BACKLOG = 1000


@dataclass
class Counters:
    rx_packets: int = 0
    rx_bytes: int = 0
    tx_packets: int = 0
    tx_bytes: int = 0

    @classmethod
    def of(cls, dev) -> "Counters":
        st = dev.get_stats64()
        return cls(st["rx_packets"], st["rx_bytes"], st["tx_packets"], st["tx_bytes"])

    def __sub__(self, o: "Counters") -> "Counters":
        return Counters(self.rx_packets - o.rx_packets, self.rx_bytes - o.rx_bytes,
                        self.tx_packets - o.tx_packets, self.tx_bytes - o.tx_bytes)


class CpuBudget:
    """The director's CPU as one FIFO server: each packet received on ``dev`` waits for the
    packets ahead of it, takes ``1/pps`` seconds, then goes up the stack (through the device's
    tc-ingress seam, ``ingress_hook``, which the bench owns on that device). At most ``limit``
    packets wait; more are dropped (counted in ``drops`` and the device's rx_dropped)."""

    def __init__(self, dev, pps: int, limit: int = NETDEV_MAX_BACKLOG):
        if dev.ingress_hook is not None:
            raise ValueError(f"{dev.name} already has a tc ingress hook")
        self.dev = dev
        self.engine = dev.kernel.engine
        self.service = SEC // pps
        self.limit = limit
        self.queue: collections.deque = collections.deque()
        self.busy = False
        self.releasing = None
        self.drops = 0
        self.served = 0
        dev.ingress_hook = self.hook

    def hook(self, skb) -> bool:
        if skb is self.releasing:
            return True                  # served: on up the stack
        if len(self.queue) >= self.limit:
            self.drops += 1
            self.dev.rx_dropped += 1
            return False
        self.queue.append(skb)
        if not self.busy:
            self.busy = True
            self.engine.call_later(self.service, self._done)
        return False

    def _done(self) -> None:
        skb = self.queue.popleft()
        self.served += 1
        if self.queue:
            self.engine.call_later(self.service, self._done)
        else:
            self.busy = False
        self.releasing = skb
        try:
            netif_receive(skb)
        finally:
            self.releasing = None


class Server:
    """The real server's application: accept, read REQUEST bytes, answer RESPONSE bytes, close
    (HTTP/1.0 style: the server closes first)."""

    def __init__(self, ns, request: int, response: int):
        self.request = request
        self.body = b"x" * response
        self.got: dict = {}
        self.served = 0
        s = self.sock = socket(ns, SOCK_STREAM)
        s.setsockopt_reuseaddr()
        s.bind((0, 80))
        s.listen(4096)
        s.on_event = self._accept

    def _accept(self, s) -> None:
        while True:
            try:
                c, _ = s.accept()
            except KernelError:
                return
            self.got[c] = 0
            c.on_event = self._conn
            self._conn(c)

    def _conn(self, c) -> None:
        n = self.got.get(c)
        if n is None:
            return
        while True:
            try:
                d = c.recv(65536)
            except KernelError as e:
                if e.errno == 11:
                    return
                d = b""
            if not d:
                del self.got[c]
                c.close()
                return
            n += len(d)
            self.got[c] = n
            if n >= self.request:
                del self.got[c]
                c.send(self.body)
                c.close()
                self.served += 1
                return


class Clients:
    """``conc`` closed-loop clients spread over the client netns: each runs one transaction at
    a time and starts the next as soon as the previous one ends."""

    def __init__(self, nss, conc: int, request: int, response: int, on_done=None):
        self.nss = nss
        self.req = b"r" * request
        self.response = response
        self.running = False
        self.done = 0
        self.failed = 0
        self.short = 0
        self.on_done = on_done
        self.limit = None            # stop starting transactions after this many
        self.started = 0
        self.conc = conc
        self.st: dict = {}

    def start(self, limit: int | None = None) -> None:
        self.running = True
        self.limit = None if limit is None else self.started + limit
        for i in range(self.conc):
            self._new(self.nss[i % len(self.nss)])

    def stop(self) -> None:
        self.running = False

    def _new(self, ns) -> None:
        if not self.running or (self.limit is not None and self.started >= self.limit):
            return
        self.started += 1
        s = socket(ns, SOCK_STREAM)
        self.st[s] = [ns, False, 0]
        s.on_event = self._ev
        s.connect((VIP_INT, 80))

    def _ev(self, s) -> None:
        st = self.st.get(s)
        if st is None:
            return
        if s.err:
            self._end(s, st, ok=False)
            return
        if not st[1]:
            if not s.connected:
                return
            s.send(self.req)
            st[1] = True
        while True:
            try:
                d = s.recv(65536)
            except KernelError as e:
                if e.errno == 11:
                    return
                self._end(s, st, ok=False)
                return
            if not d:
                self._end(s, st, ok=True)
                return
            st[2] += len(d)

    def _end(self, s, st, ok: bool) -> None:
        del self.st[s]
        s.close()
        if not ok:
            self.failed += 1
        elif st[2] != self.response:
            self.short += 1
        else:
            self.done += 1
            if self.on_done is not None:
                self.on_done(self.done)
        self._new(st[0])


def setup_commands(mode: str, servers: int = 2, client_hosts: int = 4,
                   link_rate: int | None = None,
                   rs_link_rate: int | None = None) -> list[tuple[str | None, str]]:
    """The cluster as command lines: (netns or None, line); a shell script runs a line with a
    netns as ``ip netns exec NETNS LINE``. The same lines build the emulated cluster and the
    reference kernel's (tests/golden/vm-6.1/lvs-bench-gen.py)."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: one of {', '.join(MODES)}")
    rs = [f"rs{i}" for i in range(1, servers + 1)]
    cl = [f"c{i}" for i in range(1, client_hosts + 1)]
    ip = {"lvs": f"{LAN}.1"}
    hosts = [h for h in range(2, 128) if f"{LAN}.{h}" != VIP]     # .2, .3 as in the seed
    ip.update({n: f"{LAN}.{hosts[i]}" for i, n in enumerate(rs)})
    ip.update({n: f"{LAN}.{128 + i}" for i, n in enumerate(cl, 1)})
    dev = {n: ("eth1" if n in rs else "eth0") for n in ip}
    cmds: list[tuple[str | None, str]] = [(None, "ip link show tunl0")]  # ipip: tunl0 everywhere
    for n in ["lan", "lvs", *rs, *cl]:
        cmds += [(None, f"ip netns add {n}"),
                 (n, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                     "net.ipv6.conf.default.disable_ipv6=1"),
                 (None, f"ip -n {n} link set lo up")]
    cmds += [(None, "ip -n lan link add br0 type bridge"), (None, "ip -n lan link set br0 up")]
    for n in ["lvs", *rs, *cl]:
        cmds += [(None, f"ip -n lan link add p-{n} type veth peer name {dev[n]} netns {n}"),
                 (None, f"ip -n lan link set p-{n} master br0"),
                 (None, f"ip -n lan link set p-{n} up"),
                 # one TCP segment per packet, as on a wire: a real veth would otherwise carry
                 # TSO super-packets of up to 64 kB (the emulator never builds them)
                 (None, f"ip -n {n} link set {dev[n]} gso_max_segs 1"),
                 (None, f"ip -n {n} addr add {ip[n]}/24 dev {dev[n]}"),
                 (None, f"ip -n {n} link set {dev[n]} up")]
    if mode == "nat":
        cmds += [(None, f"ip -n lvs addr add {VIP}/32 dev eth0"),
                 ("lvs", "sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 "
                         "net.ipv4.conf.eth0.send_redirects=0")]
        cmds += [(None, f"ip -n {n} route add {LAN}.128/25 via {ip['lvs']}") for n in rs]
    else:
        cmds += [(None, f"ip -n lvs addr add {VIP}/32 dev tunl0"),
                 (None, "ip -n lvs link set tunl0 up")]
        for n in rs:
            if mode == "tun":
                cmds += [(None, f"ip -n {n} addr add {VIP}/32 dev tunl0"),
                         (None, f"ip -n {n} link set tunl0 up")]
            else:
                cmds.append((None, f"ip -n {n} addr add {VIP}/32 dev lo"))
            cmds.append((n, "sysctl -qw net.ipv4.conf.all.arp_ignore=1 "
                            "net.ipv4.conf.all.arp_announce=2"))
    cmds.append(("lvs", f"ipvsadm -A -t {VIP}:80 -s rr"))
    cmds += [("lvs", f"ipvsadm -a -t {VIP}:80 -r {ip[n]} {FWD[mode]}") for n in rs]
    if link_rate:
        # each direction of the director's link: what it sends (its eth0) and what it
        # receives (its bridge port); burst ~ 10 full frames, queue limit 200 ms of traffic
        q = _tbf(link_rate)
        cmds += [("lvs", f"tc qdisc add dev eth0 {q}"), ("lan", f"tc qdisc add dev p-lvs {q}")]
    if rs_link_rate:
        q = _tbf(rs_link_rate)
        for n in rs:
            cmds += [(n, f"tc qdisc add dev eth1 {q}"), ("lan", f"tc qdisc add dev p-{n} {q}")]
    return cmds


def _tbf(rate: int) -> str:
    return f"root tbf rate {rate // 1000}kbit burst 16kb limit {rate // 8 // 5}"


def shell_line(ns: str | None, line: str) -> str:
    return line if ns is None else f"ip netns exec {ns} {line}"


class Cluster:
    """The seed's LVS cluster in one mode on the emulator, built by ``setup_commands``."""

    def __init__(self, mode: str, servers: int = 2, client_hosts: int = 4, seed: int = 1,
                 link_rate: int | None = None, cpu_pps: int | None = None,
                 rs_link_rate: int | None = None):
        from .commands import run
        self.mode = mode
        self.lab = lab = Lab(seed=seed)
        self.script = setup_commands(mode, servers, client_hosts, link_rate, rs_link_rate)
        for ns, line in self.script:
            status, out, err = run(lab, shlex.split(line), ns=ns)
            if status:
                raise RuntimeError(f"{shell_line(ns, line)}: {err.strip()}")
        lab.run_for(2.0)             # carriers up (linkwatch)
        self.director = lab.dev("eth0", "lvs")
        self.cpu = CpuBudget(self.director, cpu_pps) if cpu_pps else None
        self.rs = [lab.ns(f"rs{i}") for i in range(1, servers + 1)]
        self.clients_ns = [lab.ns(f"c{i}") for i in range(1, client_hosts + 1)]
        self.servers: list[Server] = []

    def serve(self, request: int, response: int) -> None:
        self.servers = [Server(ns, request, response) for ns in self.rs]

    def counters(self) -> Counters:
        return Counters.of(self.director)

    def rs_counters(self) -> Counters:
        """The real servers' eth1 counters, summed."""
        tot = Counters()
        for ns in self.rs:
            k = Counters.of(ns.dev("eth1"))
            tot = Counters(tot.rx_packets + k.rx_packets, tot.rx_bytes + k.rx_bytes,
                           tot.tx_packets + k.tx_packets, tot.tx_bytes + k.tx_bytes)
        return tot


@dataclass
class Result:
    mode: str
    request: int
    response: int
    per_tx: Counters = field(default_factory=Counters)
    batch: int = 0
    link_tps: float = 0.0
    cpu_tps: float = 0.0
    link_counts: Counters | None = None
    cpu_counts: Counters | None = None
    failed: int = 0

    @property
    def in_pkts(self) -> float:
        return self.per_tx.rx_packets / self.batch

    @property
    def out_pkts(self) -> float:
        return self.per_tx.tx_packets / self.batch

    @property
    def in_bytes(self) -> float:
        return self.per_tx.rx_bytes / self.batch

    @property
    def out_bytes(self) -> float:
        return self.per_tx.tx_bytes / self.batch

    def link_formula(self, rate: int = LINK_RATE) -> float:
        return rate / 8 / max(self.in_bytes, self.out_bytes)

    def cpu_formula(self, pps: int = CPU_PPS) -> float:
        return pps / self.in_pkts


def count(mode: str, request: int, response: int, batch: int = 40, servers: int = 2,
          seed: int = 1) -> tuple[Counters, int]:
    """Director eth0 counters for ``batch`` transactions made one after the other by one
    client host, idle to idle: first ``servers`` warm-up transactions (rr gives each real
    server one, so every ARP entry is resolved), 1 s of quiet, the counters, the batch, 1 s of
    quiet (delayed ACKs, last segments), the counters again. The reference kernel's numbers
    come from the same procedure (tests/golden/vm-6.1/lvs-bench-gen.py)."""
    c = Cluster(mode, servers=servers, client_hosts=1, seed=seed)
    c.serve(request, response)
    cl = Clients(c.clients_ns, 1, request, response)
    cl.start(limit=servers)
    c.lab.run_for(1.0)
    if cl.done != servers or cl.st:
        raise RuntimeError(f"{mode}: warm-up failed ({cl.done} of {servers})")
    c0 = c.counters()
    cl.start(limit=batch)
    c.lab.run_for(1.0)
    while cl.st:
        c.lab.run_for(1.0)
    if cl.done != servers + batch:
        raise RuntimeError(f"{mode}: {cl.done - servers} of {batch} transactions, "
                           f"{cl.failed} failed, {cl.short} short")
    return c.counters() - c0, batch


def throughput(mode: str, request: int, response: int, conc: int, warmup: int, measure: int,
               link_rate: int | None = None, cpu_pps: int | None = None, client_hosts: int = 4,
               seed: int = 1, servers: int = 2,
               rs_link_rate: int | None = None) -> tuple[float, Counters, int, Cluster]:
    """Transactions per virtual second over ``measure`` completions after ``warmup`` ones, with
    ``conc`` concurrent clients; also the director's counters over that window."""
    c = Cluster(mode, servers=servers, client_hosts=client_hosts, seed=seed,
                link_rate=link_rate, cpu_pps=cpu_pps, rs_link_rate=rs_link_rate)
    c.serve(request, response)
    marks = {}

    def on_done(n):
        if n == warmup or n == warmup + measure:
            marks[n] = (c.lab.engine.now, c.counters(), c.rs_counters())

    cl = Clients(c.clients_ns, conc, request, response, on_done)
    cl.start()
    eng = c.lab.engine
    step = 10 * MS
    limit = eng.now + 600 * SEC
    while warmup + measure not in marks:
        eng.run_for(step)
        if eng.now > limit:
            raise RuntimeError(f"{mode}: no progress ({cl.done} done)")
    cl.stop()
    (t0, k0, r0), (t1, k1, r1) = marks[warmup], marks[warmup + measure]
    c.rs_window = r1 - r0
    return measure * SEC / (t1 - t0), k1 - k0, cl.failed, c


def run_matrix(modes=MODES, responses=RESPONSES, request: int = REQUEST, conc: int = 32,
               warmup: int = 200, measure: int = 1000, batch: int = 40,
               link_rate: int = LINK_RATE, cpu_pps: int = CPU_PPS, client_hosts: int = 4,
               progress=None) -> list[Result]:
    out = []
    for mode in modes:
        for resp in responses:
            r = Result(mode, request, resp)
            r.per_tx, r.batch = count(mode, request, resp, batch)
            r.link_tps, r.link_counts, f1, _ = throughput(
                mode, request, resp, conc, warmup, measure, link_rate=link_rate,
                client_hosts=client_hosts)
            r.cpu_tps, r.cpu_counts, f2, _ = throughput(
                mode, request, resp, conc, warmup, measure, cpu_pps=cpu_pps,
                client_hosts=client_hosts)
            r.failed = f1 + f2
            out.append(r)
            if progress:
                progress(r)
    return out


def table(results: list[Result], link_rate: int = LINK_RATE, cpu_pps: int = CPU_PPS) -> str:
    lines = [
        f"| mode | resp/req | director pkts in/out per tx | director bytes in/out per tx "
        f"| (a) link {link_rate / 1e6:g} Mbit/s: tx/s | resp Mbit/s | formula tx/s "
        f"| (b) CPU {cpu_pps:,} pkt/s: tx/s | resp Mbit/s | formula tx/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.mode} | {r.response // r.request} | {r.in_pkts:.1f} / {r.out_pkts:.1f} "
            f"| {r.in_bytes:,.0f} / {r.out_bytes:,.0f} | {r.link_tps:,.0f} "
            f"| {r.link_tps * r.response * 8 / 1e6:,.1f} | {r.link_formula(link_rate):,.0f} "
            f"| {r.cpu_tps:,.0f} | {r.cpu_tps * r.response * 8 / 1e6:,.1f} "
            f"| {r.cpu_formula(cpu_pps):,.0f} |")
    return "\n".join(lines)


def gains(results: list[Result]) -> dict:
    """{response: (tun/nat link, tun/nat cpu, dr/nat link, dr/nat cpu)}"""
    by = {(r.mode, r.response): r for r in results}
    g = {}
    for resp in sorted({r.response for r in results}):
        nat, tun, dr = by.get(("nat", resp)), by.get(("tun", resp)), by.get(("dr", resp))
        if nat and tun and dr:
            g[resp] = (tun.link_tps / nat.link_tps, tun.cpu_tps / nat.cpu_tps,
                       dr.link_tps / nat.link_tps, dr.cpu_tps / nat.cpu_tps)
    return g


@dataclass
class Scale:
    servers: int
    tps: dict                         # mode -> transactions/s
    rs_tx_bytes: dict                 # mode -> bytes the real servers send per transaction


def run_scaling(servers=(2, 5, 10), response: int = RESPONSES[-1], request: int = REQUEST,
                rate: int = LINK_RATE, conc: int = 32, warmup: int = 200,
                measure: int = 1000) -> list[Scale]:
    """(c) every link at ``rate`` - the director's and each real server's (the clients stand
    for the Internet, unshaped): cluster throughput by number of real servers. NAT stays
    bound by the director's link; TUN and DR by the real servers' links until the director's
    share becomes the bottleneck. Formula: min(director bound, S * rate / 8 / bytes a real
    server sends per transaction)."""
    out = []
    for n in servers:
        sc = Scale(n, {}, {})
        for mode in MODES:
            tps, _, failed, c = throughput(mode, request, response, conc, warmup, measure,
                                           link_rate=rate, rs_link_rate=rate, servers=n)
            if failed:
                raise RuntimeError(f"{mode} with {n} real servers: {failed} failed")
            sc.tps[mode] = tps
            sc.rs_tx_bytes[mode] = c.rs_window.tx_bytes / measure
        out.append(sc)
    return out


def scaling_table(rows: list[Scale], response: int = RESPONSES[-1], request: int = REQUEST,
                  rate: int = LINK_RATE) -> str:
    lines = [f"| real servers (every link {rate / 1e6:g} Mbit/s, resp/req "
             f"{response // request}) | NAT tx/s | TUN tx/s | DR tx/s | TUN/NAT | DR/NAT |",
             "|---|---|---|---|---|---|"]
    for sc in rows:
        t = sc.tps
        lines.append(f"| {sc.servers} | {t['nat']:,.0f} | {t['tun']:,.0f} | {t['dr']:,.0f} "
                     f"| {t['tun'] / t['nat']:.2f} | {t['dr'] / t['nat']:.2f} |")
    return "\n".join(lines)


def main(quick: bool = False, out=print) -> int:
    t0 = time.process_time()
    kw = dict(conc=16, warmup=50, measure=200, batch=10) if quick else {}
    res = run_matrix(**kw)
    out(table(res))
    out("")
    for resp, (tl, tc, dl, dc) in gains(res).items():
        out(f"lvs_gain_{resp // REQUEST}x: TUN/NAT link {tl:.2f} cpu {tc:.2f}; "
            f"DR/NAT link {dl:.2f} cpu {dc:.2f}")
    out("")
    sk = dict(servers=(2, 5), conc=16, warmup=50, measure=200) if quick else {}
    out(scaling_table(run_scaling(**sk)))
    out(f"lvs_bench_cpu_s: {time.process_time() - t0:.1f}")
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main("--quick" in sys.argv))
