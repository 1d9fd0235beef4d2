"""Bulk builds on the real kernel (backends/bulk.py) against the ``ip -batch`` floor.

The lab: N hosts (default 1,000), each a named netns ``hK`` with a veth whose inner end ``eth0``
has an IPv4 address (10.X.Y.Z/16) and is up, and whose outer end ``vK`` is a port of one bridge
``br0`` (a kernel bridge takes at most 1,024 ports) in the sandbox's own netns, up.

* bulk_build_s      wall seconds of ``bulk.build(spec)`` in a Python process already started
                    (netns add x N, bridge, N veth pairs created straight into their netns with
                    the port end up and enslaved, then per netns one RTM_GETLINK and one
                    RTM_NEWADDR + RTM_NEWLINK(up) batch).
* bulk_build_cli_s  the same as the lab scripts run it: ``python -m vnetlab.backends.bulk build
                    SPEC`` end to end (interpreter start, import, JSON, build).
* floor_build_s     the floor measured in the same run: one ``ip -batch`` of ``netns add hK``
                    x N, ``link add br0 up type bridge`` and ``link add vK up master br0 type
                    veth peer name eth0 netns hK`` x N (``... peer name eth0 netns hK up``
                    is refused: the kernel cannot open a veth peer before the pair is joined,
                    ENOTCONN). Included: netns creation (unshare + bind mount),
                    bridge, veth pairs with the peer created directly in its netns, port up and
                    enslaved. Excluded (ip -batch cannot do them without forking ``ip netns exec``
                    per host): the address and link up of each ``eth0`` - so the floor does less
                    than the builder.
* floor_teardown_full_lab_s  ``ip -batch`` of ``netns del`` on the full lab (built by the
                    builder, with the eth0 addresses and up): the like-for-like floor of
                    bulk_teardown_s.
* bulk_same_*       the builder doing exactly the floor's work (the same spec without the
                    eth0 addresses and link-up), built and torn down: the like-for-like ratio.
* bulk_teardown_s   wall seconds of ``bulk.teardown(names)``: umount2(MNT_DETACH) + unlink per
                    netns.
* floor_teardown_s  ``ip -batch`` of ``netns del hK`` x N (the same two syscalls per netns).
  Both teardowns exclude the kernel's asynchronous freeing of the namespaces (cleanup_net,
  which runs after the last reference goes; it destroys the veths too).
* bulk_build_ratio / bulk_teardown_ratio  ours / the floor (target <= 1.5).

Teardown wall time includes the kernel's concurrent work of freeing what was already deleted
(cleanup_net runs on a kworker, on the other core of this 2-core machine, while the unmounts go
on); it is heavier for namespaces whose links were up with addresses (IPv6 addrconf state,
routes), so only the like-for-like figures compare the teardown code itself.

Each side runs in its own private sandbox (``unshare --mount --net``, a tmpfs on /run/netns), so
the host never sees the namespaces; ``reps`` rounds alternate the two sides and the minimum of
each is reported (each run first waits until the kernel has freed the previous run's netns:
the net_namespace slab's active count is back to where it was).
Needs root; prints ``unavailable`` otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

SANDBOX = ("mount -t tmpfs -o mode=755 vnetlab-bench /run/netns && "
           "{ [ /var/run/netns -ef /run/netns ] || mount --bind /run/netns /var/run/netns; } && "
           'exec "$@"')


def spec(n: int) -> dict:
    s: dict = {"netns": [f"h{k}" for k in range(n)],
               "bridges": [{"ns": "", "name": "br0", "up": True}], "veths": [], "addrs": [],
               "up": []}
    for k in range(n):
        s["veths"].append({"ns": "", "name": f"v{k}", "up": True, "master": "br0",
                           "peer_ns": f"h{k}", "peer": "eth0", "what": f"host h{k}"})
        s["addrs"].append({"ns": f"h{k}", "dev": "eth0",            # 10.1.X.Y, distinct
                           "cidr": f"10.1.{k // 250}.{k % 250 + 1}/16"})
        s["up"].append({"ns": f"h{k}", "dev": "eth0"})
    return s


def _child(side: str, n: int, spec_path: str) -> None:
    """Inside a sandbox: build and tear down one side, print the timings as JSON."""
    names = [f"h{k}" for k in range(n)]
    out: dict = {}
    if side == "floor":
        with tempfile.TemporaryDirectory() as d:
            b1, b3 = (os.path.join(d, f) for f in ("build", "del"))
            with open(b1, "w") as f:
                f.writelines(f"netns add {x}\n" for x in names)
                f.write("link add br0 up type bridge\n")
                f.writelines(f"link add v{k} up master br0 type veth peer name eth0 netns h{k}\n"
                             for k in range(n))
            with open(b3, "w") as f:
                f.writelines(f"netns del {x}\n" for x in names)
            t0 = time.perf_counter()
            subprocess.run(["ip", "-batch", b1], check=True)
            out["build"] = time.perf_counter() - t0
            _verify(n, addresses=False)
            t0 = time.perf_counter()
            subprocess.run(["ip", "-batch", b3], check=True)
            out["teardown"] = time.perf_counter() - t0
    elif side == "bulk_cli":
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "vnetlab.backends.bulk", "build", spec_path],
                       check=True)
        out["build_cli"] = time.perf_counter() - t0
        _verify(n, addresses=True)
    else:
        from .backends.bulk import build, teardown
        with open(spec_path) as f:
            s = json.load(f)
        if side == "bulk_same":                  # exactly the floor's work: no eth0 config
            s["addrs"], s["up"] = [], []
        t0 = time.perf_counter()
        build(s).close()
        out["build"] = time.perf_counter() - t0
        _verify(n, addresses=side != "bulk_same")
        t0 = time.perf_counter()
        if side == "iptd":                       # the floor's teardown of the full lab
            with tempfile.NamedTemporaryFile("w", suffix=".batch") as f:
                f.writelines(f"netns del {x}\n" for x in names)
                f.flush()
                t0 = time.perf_counter()
                subprocess.run(["ip", "-batch", f.name], check=True)
                out["teardown"] = time.perf_counter() - t0
            del out["build"]
        else:
            got = teardown(names)
            out["teardown"] = time.perf_counter() - t0
            assert got == n, got
    print(json.dumps(out))


def _verify(n: int, addresses: bool) -> None:
    """The build is complete: N ports on br0, the last host's eth0 as expected."""
    ports = subprocess.run(["ip", "-o", "link", "show", "master", "br0"], capture_output=True,
                           text=True, check=True).stdout.count("\n")
    if ports != n:
        raise RuntimeError(f"{ports} bridge ports, expected {n}")
    if addresses:
        p = subprocess.run(["ip", "-n", f"h{n - 1}", "-br", "addr", "show", "eth0"],
                           capture_output=True, text=True, check=True).stdout
        if "10.1." not in p or "UP" not in p and "LOWERLAYERDOWN" not in p:
            raise RuntimeError(f"h{n - 1}: {p!r}")


def _run_side(side: str, n: int, spec_path: str) -> dict:
    argv = ["unshare", "--mount", "--net", "--propagation", "private", "sh", "-c", SANDBOX,
            "vnetlab-bench", sys.executable, "-c",
            f"from vnetlab.bench_bulk import _child; _child({side!r}, {n}, {spec_path!r})"]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"{side}: {p.stderr.strip()}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def _live_netns() -> int | None:
    """Network namespaces alive in the kernel (active objects of the net_namespace slab)."""
    try:
        with open("/proc/slabinfo") as f:
            for line in f:
                if line.startswith("net_namespace "):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _quiet(baseline: int | None, timeout: float = 60.0) -> None:
    """Wait until the kernel has freed the previous sandbox's namespaces (cleanup_net's kworker
    time would otherwise land in the next measurement)."""
    deadline = time.monotonic() + timeout
    while True:
        live = _live_netns()
        if live is None:
            time.sleep(2.0)
            return
        if live <= baseline + 20 or time.monotonic() > deadline:
            time.sleep(0.2)
            return
        time.sleep(0.1)


def bench(n: int = 1000, reps: int = 3) -> dict | None:
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="vnetlab-bulk-",
                                     delete=False) as f:
        json.dump(spec(n), f)
    try:
        best: dict = {}
        baseline = _live_netns()
        for _ in range(reps):
            for side in ("floor", "bulk_same", "bulk", "bulk_cli", "iptd"):
                _quiet(baseline)
                r = _run_side(side, n, f.name)
                for k, v in r.items():
                    key = {"bulk_cli": "bulk"}.get(side, side) + f"_{k}"
                    best[key] = min(best.get(key, v), v)
        return best
    finally:
        os.unlink(f.name)


def main(quick: bool = False, out=print) -> int:
    n = 200 if quick else 1000
    r = bench(n, reps=2 if quick else 3)
    if r is None:
        out("bulk_build_ratio: unavailable (needs root, unshare and iproute2)")
        return 0
    out(f"bulk_hosts: {n}")
    out(f"bulk_build_s: {r['bulk_build']:.3f}")
    out(f"bulk_build_cli_s: {r['bulk_build_cli']:.3f}")
    out(f"floor_build_s: {r['floor_build']:.3f}")
    out(f"bulk_build_ratio: {r['bulk_build'] / r['floor_build']:.2f}")
    out(f"bulk_build_cli_ratio: {r['bulk_build_cli'] / r['floor_build']:.2f}")
    out(f"bulk_teardown_s: {r['bulk_teardown']:.3f}")
    out(f"floor_teardown_s: {r['floor_teardown']:.3f}")
    out(f"bulk_teardown_ratio: {r['bulk_teardown'] / r['floor_teardown']:.2f}")
    out(f"floor_teardown_full_lab_s: {r['iptd_teardown']:.3f}")
    out(f"bulk_teardown_full_lab_ratio: {r['bulk_teardown'] / r['iptd_teardown']:.2f}")
    out(f"bulk_same_build_s: {r['bulk_same_build']:.3f}")
    out(f"bulk_same_build_ratio: {r['bulk_same_build'] / r['floor_build']:.2f}")
    out(f"bulk_same_teardown_s: {r['bulk_same_teardown']:.3f}")
    out(f"bulk_same_teardown_ratio: {r['bulk_same_teardown'] / r['floor_teardown']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main("--quick" in sys.argv))
