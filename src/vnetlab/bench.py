"""``vnetlab bench``: the trunk's performance figures, one ``name: value`` line each.

* l2_rx_per_s      device receptions (``netif_receive`` passes, counted by the kernel) per CPU
                   second while two netns flood-ping each other through veth + a Linux bridge
                   (ping -f: the next request leaves when the reply arrives).
* routed_fwd_per_s IPv4 forwards (IpForwDatagrams summed over the routers) per CPU second while
                   one host streams packets to another through a chain of 8 routers (veth links).
* build_10k_s      CPU seconds to build 10,000 netns, each with a veth whose peer is a bridge port
                   in the init netns, all up with an address (measured in a fresh process). A
                   kernel bridge takes at most 1024 ports, so the ports are spread over 10 access
                   bridges trunked to a core bridge (one L2 segment).
* build_10k_rss_mb peak RSS of that process (MiB).
* tun_echo_*       a user-space ICMP echo loop on a TUN device, 84-byte packets: round trips per
                   CPU second on the emulated device, per wall second on the real /dev/net/tun
                   (see bench_tuntap.py).
* lvs              the seed's LVS cluster in NAT / TUN / DR: director packets and bytes per
                   transaction and cluster throughput with the director's link or CPU as the
                   bottleneck, as a markdown table (see bench_lvs.py; ``--only lvs``).
* bulk_*           a 1,000-host lab built on the real kernel by backends/bulk.py against the
                   ``ip -batch`` floor measured in the same run (see bench_bulk.py).
* flood_ratio_vs_kernel  CPU seconds of the emulator for `ping -f -c 50000 -q` between two netns
                   on a bridge, divided by the wall seconds the real kernel needs for the same
                   script (run in the linux backend's sandbox on this machine).

CPU time is ``time.process_time()`` around the measured loop only (setup excluded).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

from .api import Lab, parse_ip
from .wire.checksum import checksum

SEC = 1_000_000_000


def _echo(ident: int, seq: int, payload: bytes) -> bytes:
    body = bytes((8, 0, 0, 0)) + ident.to_bytes(2, "big") + seq.to_bytes(2, "big") + payload
    c = checksum(body)
    return body[:2] + c.to_bytes(2, "big") + body[4:]


def bench_l2(rounds: int = 50_000) -> float:
    from .demo import build_demo
    lab = Lab(seed=7)
    a, b = build_demo(lab)
    dst = parse_ip("10.0.0.2")
    payload = bytes(range(56))
    state = {"seq": 0, "on": False}
    ipv4 = a.ipv4

    def on_reply(ip, skb):
        if state["on"] and ip[20] == 0 and state["seq"] < rounds:
            state["seq"] += 1
            ipv4.ip_send(dst, 1, _echo(0x1234, state["seq"] & 0xFFFF, payload))

    ipv4.raw_open(1, on_reply)
    ipv4.ip_send(dst, 1, _echo(0x1234, 0, payload))     # resolve ARP outside the measurement
    lab.run_for(0.1)
    k = lab.kernel
    state["on"] = True
    rx0 = k.rx_count
    t0 = time.process_time()
    ipv4.ip_send(dst, 1, _echo(0x1234, 0, payload))
    lab.engine.run_now()
    cpu = time.process_time() - t0
    if state["seq"] < rounds:
        raise RuntimeError(f"flood stopped after {state['seq']} of {rounds} round trips")
    return (k.rx_count - rx0) / cpu


def build_chain(lab: Lab, routers: int = 8):
    names = ["h1"] + [f"r{i}" for i in range(1, routers + 1)] + ["h2"]
    nss = [lab.netns(n) for n in names]
    for i in range(len(nss) - 1):
        left, right = nss[i], nss[i + 1]
        lab.add_veth(f"e{i}r", f"e{i}l", ns=left, peer_ns=right)
        lab.set_link(f"e{i}r", ns=left, up=True)
        lab.set_link(f"e{i}l", ns=right, up=True)
        lab.add_addr(f"e{i}r", f"10.{i}.0.1/24", ns=left)
        lab.add_addr(f"e{i}l", f"10.{i}.0.2/24", ns=right)
    last = len(nss) - 1
    for i, ns in enumerate(nss):
        lab.set_link("lo", ns=ns, up=True)
        if 0 < i < last:
            lab.sysctl_set("net.ipv4.ip_forward", 1, ns=ns)
        if i < last - 1:
            lab.add_route(f"10.{last - 1}.0.0/24", ns=ns, via=f"10.{i}.0.2")
        if i > 1:
            lab.add_route("10.0.0.0/24", ns=ns, via=f"10.{i - 1}.0.1")
    lab.run_until_idle()
    return nss


def bench_routed(packets: int = 20_000, burst: int = 200) -> float:
    lab = Lab(seed=3)
    nss = build_chain(lab, 8)
    h1, h2 = nss[0], nss[-1]
    dst = parse_ip(f"10.{len(nss) - 2}.0.2")
    got = [0]
    h2.ipv4.raw_open(253, lambda ip, skb: got.__setitem__(0, got[0] + 1))
    payload = bytes(64)
    send = h1.ipv4.ip_send
    send(dst, 253, payload)          # resolve neighbours along the path first
    lab.run_for(0.1)
    routers = nss[1:-1]
    f0 = sum(ns.ipv4.forwarded for ns in routers)
    eng = lab.engine
    t0 = time.process_time()
    sent = 0
    while sent < packets:
        for _ in range(burst):
            send(dst, 253, payload)
        sent += burst
        eng.run_now()
    cpu = time.process_time() - t0
    fwd = sum(ns.ipv4.forwarded for ns in routers) - f0
    if got[0] < packets:
        raise RuntimeError(f"only {got[0]} of {packets} packets arrived")
    return fwd / cpu


BR_MAX_PORTS = 1024   # the kernel's limit on a bridge's ports (EXFULL beyond it)


def _no_ipv6(lab: Lab, ns) -> None:
    """What ``sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1``
    does in the kernel (the two devconf writes, with their propagation), without the command
    layer: the build's other steps use the API too."""
    ipv6 = (ns or lab.kernel.init_ns).ipv6
    if ipv6 is not None:
        ipv6.conf_write("all", "disable_ipv6", 1)
        ipv6.conf_write("default", "disable_ipv6", 1)


def build_star(n: int, per_bridge: int = 1000) -> Lab:
    """n netns, each with a veth whose peer is a bridge port. One Linux bridge takes at most
    1024 ports (as the kernel), so the ports hang off ceil(n / per_bridge) access bridges, each
    joined to the core bridge br0 by a veth trunk: one L2 segment, 10.0.0.0/8.

    IPv6 is disabled (net.ipv6.conf.{all,default}.disable_ipv6=1 written) in every netns,
    the initial one included, before its devices exist: the figure is the IPv4 build. With IPv6
    each device's MLD reports / RS / DAD NS flood the one bridged segment to every other device
    (no MLD querier, as on the real kernel): quadratic in n."""
    lab = Lab(seed=5)
    _no_ipv6(lab, None)
    lab.add_bridge("br0", up=True)
    for i in range(n):
        b = i // per_bridge
        if i % per_bridge == 0:
            lab.add_bridge(f"br{b + 1}", up=True)
            lab.add_veth(f"up{b + 1}", f"dn{b + 1}")
            lab.set_link(f"up{b + 1}", master=f"br{b + 1}", up=True)
            lab.set_link(f"dn{b + 1}", master="br0", up=True)
        ns = lab.netns(f"n{i}")
        _no_ipv6(lab, ns)
        lab.add_veth(f"v{i}", "eth0", peer_ns=ns)
        lab.set_link(f"v{i}", master=f"br{b + 1}", up=True)
        lab.set_link("eth0", ns=ns, up=True)
        lab.add_addr("eth0", f"10.{(i + 1) >> 16 & 255}.{(i + 1) >> 8 & 255}.{(i + 1) & 255}/8",
                     ns=ns)
    lab.run_for(1.0)
    return lab


def _build_child(n: int) -> None:
    from .cli import _ipv6_default_from_env
    _ipv6_default_from_env()                 # VNETLAB_IPV6 reaches this child too
    t0 = time.process_time()
    lab = build_star(n)
    cpu = time.process_time() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert len(lab.kernel.namespaces) == n + 1
    print(json.dumps({"cpu": cpu, "rss_mb": rss}))


def bench_build(n: int = 10_000) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c",
                          f"from vnetlab.bench import _build_child; _build_child({n})"],
                         capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONHASHSEED="0"))
    d = json.loads(out.stdout.strip().splitlines()[-1])
    return d["cpu"], d["rss_mb"]


FLOOD_SETUP = """
ip netns add a
ip netns add b
ip link add br0 type bridge
ip link set br0 up
for n in a b; do
  ip link add veth-$n type veth peer name eth0 netns $n
  ip link set veth-$n master br0
  ip link set veth-$n up
  ip -n $n link set eth0 up
done
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
"""
FLOOD = "ping -f -c {n} -q 10.0.0.2"


def bench_flood_emu(n: int = 50_000) -> float:
    """CPU seconds the emulator spends on `ping -f -c N -q` between two netns on a bridge."""
    import shlex
    from .commands import run
    lab = Lab(seed=11)
    cmds = ["ip netns add a", "ip netns add b", "ip link add br0 type bridge",
            "ip link set br0 up"]
    for ns in ("a", "b"):
        cmds += [f"ip link add veth-{ns} type veth peer name eth0 netns {ns}",
                 f"ip link set veth-{ns} master br0", f"ip link set veth-{ns} up",
                 f"ip -n {ns} link set eth0 up"]
    cmds += ["ip -n a addr add 10.0.0.1/24 dev eth0", "ip -n b addr add 10.0.0.2/24 dev eth0"]
    for cmd in cmds:
        status, out, err = run(lab, shlex.split(cmd))
        if status:
            raise RuntimeError(f"{cmd}: {err}")
    lab.run_for(1.5)
    t0 = time.process_time()
    status, out, err = run(lab, shlex.split(FLOOD.format(n=n)), ns=lab.ns("a"))
    cpu = time.process_time() - t0
    if f"{n} packets transmitted, {n} received" not in out:
        raise RuntimeError(f"flood failed: {out} {err}")
    return cpu


def bench_flood_kernel(n: int = 50_000) -> float | None:
    """Wall seconds the real kernel needs for the same flood (linux backend sandbox), or None."""
    import tempfile
    from .backends.linux import run_script
    script = FLOOD_SETUP + "sleep 1.5\nTIMEFORMAT=%R\n{ time ip netns exec a " + \
        FLOOD.format(n=n) + " >/dev/null; } 2>&1\n"
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
        f.write(script)
    try:
        p = run_script(f.name, [], capture=True, timeout=300)
    except (OSError, SystemExit, subprocess.SubprocessError):
        return None
    finally:
        os.unlink(f.name)
    try:
        return float(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def main(only=None, quick: bool = False, out=print) -> int:
    want = set(only or ["l2_rx_per_s", "routed_fwd_per_s", "flood_ratio_vs_kernel", "build_10k",
                        "tun_echo", "bulk_build"])
    if "l2_rx_per_s" in want:
        out(f"l2_rx_per_s: {bench_l2(2_000 if quick else 50_000):.0f}")
    if "routed_fwd_per_s" in want:
        out(f"routed_fwd_per_s: {bench_routed(2_000 if quick else 20_000):.0f}")
    if "flood_ratio_vs_kernel" in want:
        n = 2_000 if quick else 50_000
        emu = bench_flood_emu(n)
        ker = bench_flood_kernel(n)
        out(f"flood_emu_cpu_s: {emu:.2f}")
        if ker is not None:
            out(f"flood_kernel_wall_s: {ker:.2f}")
            out(f"flood_ratio_vs_kernel: {emu / ker:.2f}")
        else:
            out("flood_ratio_vs_kernel: unavailable (no sandbox for the real kernel here)")
    if "build_10k" in want:
        s, mb = bench_build(500 if quick else 10_000)
        out(f"build_10k_s: {s:.2f}")
        out(f"build_10k_rss_mb: {mb:.0f}")
    if "tun_echo" in want:
        from .bench_tuntap import main as bench_tun
        bench_tun(quick=quick, out=out)
    if "bulk_build" in want:
        from .bench_bulk import main as bench_bulk
        bench_bulk(quick=quick, out=out)
    if "lvs" in want:
        from .bench_lvs import main as bench_lvs
        bench_lvs(quick=quick, out=out)
    return 0
