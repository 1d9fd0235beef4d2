"""TUN echo round trips: user space writes an 84-byte ICMP echo request (IPv4, 56 data bytes)
into a TUN device, addressed to the device's own address; the kernel answers through the same
device and user space reads the 84-byte reply. One round trip = one write + one read.

* tun_echo_emu_per_s     round trips per CPU second on the emulated device (``TunFile.write``,
                         the emulator runs what is due, ``TunFile.read``), virtual time.
* tun_echo_kernel_per_s  round trips per wall second on the real device: a plain Python
                         ``os.write`` / ``os.read`` loop on /dev/net/tun in a throwaway netns
                         (``unshare --net``, root only; None otherwise).
* tun_echo_kernel_per_cpu_s  the same per CPU second of that process (user + system time),
                         steadier than wall time on a loaded machine.

``main(out=print)`` prints both as ``name: value`` lines (the lead wires it into ``vnetlab
bench``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

from .wire.checksum import checksum

__all__ = ["echo_request", "bench_tun_echo_emu", "bench_tun_echo_kernel", "main"]


def echo_request(seq: int = 1, src: bytes = bytes((10, 9, 0, 2)),
                 dst: bytes = bytes((10, 9, 0, 1))) -> bytes:
    """An 84-byte IPv4 ICMP echo request from ``src`` to ``dst``."""
    body = bytes((8, 0, 0, 0)) + (0x4242).to_bytes(2, "big") + (seq & 0xFFFF).to_bytes(2, "big") \
        + bytes(range(56))
    body = body[:2] + checksum(body).to_bytes(2, "big") + body[4:]
    hdr = bytes((0x45, 0, 0, 84)) + (seq & 0xFFFF).to_bytes(2, "big") + bytes((0x40, 0, 64, 1,
                                                                               0, 0)) + src + dst
    hdr = hdr[:10] + checksum(hdr).to_bytes(2, "big") + hdr[12:]
    return hdr + body


def bench_tun_echo_emu(n: int = 50_000) -> float:
    """Round trips per CPU second through the emulated TUN device."""
    from .api import Lab
    from .commands import run
    from .devices.tuntap import IFF_NO_PI, IFF_TUN, open_tun_file
    lab = Lab(seed=5)
    ns = lab.netns("bench")
    f = open_tun_file(ns)
    f.set_iff("tun0", IFF_TUN | IFF_NO_PI)
    run(lab, ["ip", "link", "set", "tun0", "up"], ns=ns)
    run(lab, ["ip", "addr", "add", "10.9.0.1", "peer", "10.9.0.2", "dev", "tun0"], ns=ns)
    reqs = [echo_request(i) for i in range(256)]
    eng = lab.engine
    write, read, run_now = f.write, f.read, eng.run_now
    write(reqs[0])
    run_now()
    if len(read(2048)) != 84:
        raise RuntimeError("no echo reply from the emulated kernel")
    t0 = time.process_time()
    for i in range(n):
        write(reqs[i & 255])
        run_now()
        read(2048)
    cpu = time.process_time() - t0
    return n / cpu


_KERNEL_LOOP = r"""
import fcntl, os, struct, subprocess, sys, time
sys.path.insert(0, {src!r})
from vnetlab.bench_tuntap import echo_request
subprocess.run(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1"], check=True)
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH22x", b"tun0", 0x1001))
subprocess.run(["ip", "link", "set", "tun0", "up"], check=True)
subprocess.run(["ip", "addr", "add", "10.9.0.1", "peer", "10.9.0.2", "dev", "tun0"], check=True)
req = echo_request(1)
os.write(fd, req); assert len(os.read(fd, 2048)) == 84
n = {n}
t0, c0 = time.perf_counter(), time.process_time()
for _ in range(n):
    os.write(fd, req)
    os.read(fd, 2048)
plain = (n / (time.perf_counter() - t0), n / (time.process_time() - c0))
# the same loop through the user-space API's real handle (vnetlab.tuntap.RealTun)
from vnetlab.tuntap import RealTun
t = RealTun(None, fd, "tun0", 0x1001, False)
t0 = time.perf_counter()
for _ in range(n):
    t.write(req)
    t.read(2048)
api = n / (time.perf_counter() - t0)
print(plain[0], plain[1], api)
"""


def bench_tun_echo_kernel(n: int = 200_000) -> tuple[float, float, float] | None:
    """(plain os.write/os.read round trips per wall second, the same per CPU second of the
    process - user + system, so the kernel's own work in the write syscall counts - and round
    trips per wall second through the API's RealTun handle) on the real /dev/net/tun in a fresh
    netns; None when it cannot run here."""
    if os.geteuid() != 0 or shutil.which("unshare") is None or \
            not os.path.exists("/dev/net/tun"):
        return None
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = _KERNEL_LOOP.format(src=src, n=n)
    try:
        p = subprocess.run(["unshare", "--net", sys.executable, "-c", code],
                           capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.SubprocessError):
        return None
    if p.returncode != 0:
        return None
    try:
        wall, cpu, api = p.stdout.strip().splitlines()[-1].split()
        return float(wall), float(cpu), float(api)
    except (ValueError, IndexError):
        return None


def main(quick: bool = False, out=print) -> int:
    out(f"tun_echo_emu_per_s: {bench_tun_echo_emu(2_000 if quick else 50_000):.0f}")
    k = bench_tun_echo_kernel(5_000 if quick else 200_000)
    if k is None:
        out("tun_echo_kernel_per_s: unavailable (needs root and /dev/net/tun)")
    else:
        out(f"tun_echo_kernel_per_s: {k[0]:.0f}")
        out(f"tun_echo_kernel_per_cpu_s: {k[1]:.0f}")
        out(f"tun_echo_api_per_s: {k[2]:.0f}")
        out(f"tun_echo_api_vs_plain: {k[2] / k[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main("--quick" in sys.argv))
