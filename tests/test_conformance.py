"""The kernel is the judge: every script of tests/conformance runs under `vnetlab sh` on the
emulator and on each real backend that can run it; normalized outputs and exit codes must match.

Backends (test ids say ``BACKEND-SCRIPT``, e.g. ``test_conformance[vm-40-macvlan-modes]``):

- ``host``: the host kernel, in the linux backend's sandbox (``vnetlab sh --backend linux``).
- ``vm``: the reference kernel (Debian 6.1) in ONE VM boot for all the selected scripts
  (vnetlab.backends.vm); skipped with the missing piece's message when the VM cannot run, or
  when ``VNETLAB_VM=0``.

A script states what it needs in a header line ``# requires: FEATURE ...`` (ipvlan, ipip, ipvs,
dummy, netem, vlan, gre, ...; ``vm`` means VM only). Features are probed once per kernel, each in
a throwaway namespace inside the sandbox; a backend that lacks one reports the script as
unsupported (``host kernel lacks ipvlan``). The emulator runs every script, once.
The session writes a script x backend table to ``$VNETLAB_REPORT_DIR/conformance-report.md``
(default ``build/``) through the hooks in conftest.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from normalize import emu_as_vm, normalize, vm_quirks

HERE = Path(__file__).parent / "conformance"
SCRIPTS = sorted(p for p in HERE.glob("[0-9]*.sh"))
BACKENDS = ("host", "vm")
VM_SCRIPT_TIMEOUT = 180

# What "# requires: X" means, as a probe run in a fresh netns inside the sandbox (exit 0 = has
# it). An unknown X is probed as a link type: `ip link add vnp0 type X`.
_VETH = "ip link add vnp0 type veth peer name vnp1 && "
FEATURE_PROBES = {
    "veth": "ip link add vnp0 type veth peer name vnp1",
    "bridge": "ip link add vnp0 type bridge",
    "dummy": "ip link add vnp0 type dummy",
    "macvlan": _VETH + "ip link add vnp2 link vnp0 type macvlan",
    "macvtap": _VETH + "ip link add vnp2 link vnp0 type macvtap",
    "ipvlan": _VETH + "ip link add vnp2 link vnp0 type ipvlan",
    "ipvtap": _VETH + "ip link add vnp2 link vnp0 type ipvtap",
    "vlan": _VETH + "ip link add link vnp0 name vnp0.5 type vlan id 5",
    "vxlan": "ip link add vnp0 type vxlan id 5 dstport 4789",
    "ipip": "ip link add vnp0 type ipip local 192.0.2.1",
    "gre": "ip link add vnp0 type gre local 192.0.2.1",
    "gretap": "ip link add vnp0 type gretap local 192.0.2.1",
    "sit": "ip link add vnp0 type sit local 192.0.2.1",
    "ifb": "ip link add vnp0 type ifb",
    "tun": "ip tuntap add vnp0 mode tun",
    "tap": "ip tuntap add vnp0 mode tap",
    "netem": _VETH + "tc qdisc add dev vnp0 root netem delay 1ms",
    "tbf": _VETH + "tc qdisc add dev vnp0 root tbf rate 1mbit burst 32kbit latency 400ms",
    "u32": _VETH + "tc qdisc add dev vnp0 ingress && tc filter add dev vnp0 parent ffff: "
                   "protocol ip u32 match u32 0 0",
    "mirred": _VETH + "tc qdisc add dev vnp0 ingress && tc filter add dev vnp0 parent ffff: "
                      "protocol ip u32 match u32 0 0 action mirred egress redirect dev vnp1",
    "ipvs": "ipvsadm -A -t 192.0.2.1:80 && ipvsadm -C",
    # a persistent tun/tap with no file attached has no carrier once up (6.18 does; the
    # Debian 6.1 VM kernel reports carrier on, state UNKNOWN)
    "tun-nocarrier": "ip tuntap add vnp0 mode tap && ip link set vnp0 up && "
                     "ip link show vnp0 | grep -q NO-CARRIER",
    # the machine is fast enough for scripts that sync by sleeping or race kernel timers (a
    # neighbour's 5 s DELAY): a tcpdump started 1 s before a ping sees it, and `ip netns exec`
    # of a tool takes under 150 ms (a TCG guest on a loaded host takes seconds)
    "timing": "ip link set lo up && { tcpdump --immediate-mode -i lo -n -c 1 icmp >/dev/null 2>&1 & "
              "p=$!; "
              "sleep 1; ping -c 1 -W 1 127.0.0.1 >/dev/null; sleep 1; "
              "! kill $p 2>/dev/null && wait $p; } && t0=${EPOCHREALTIME/./} && "
              "for i in 1 2 3 4 5 6 7 8; do ip netns exec vnlprobe ip -br link show lo; done && "
              "t1=${EPOCHREALTIME/./} && [ $(( (t1 - t0) / 8 )) -lt 150000 ]",
}
TOOLS = {"ipvsadm", "tcpdump", "socat", "nc", "curl", "ifconfig", "route", "tc"}


def requires(script: Path) -> list[str]:
    """The features named by ``# requires:`` lines of the script's leading comment block."""
    feats: list[str] = []
    for line in script.read_text().splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        m = re.match(r"#\s*requires:\s*(.*)", line)
        if m:
            feats += m.group(1).replace(",", " ").split()
    return feats


def probe_script(features) -> str:
    """A sandbox script printing ``FEATURE 0|1`` for each feature (1 = missing). All probes share
    one throwaway netns (forks and namespaces are slow in a TCG guest), each with its own names."""
    lines = ["ip netns add vnlprobe || exit 1", "ip netns exec vnlprobe bash -s <<'EOF'",
             "exec 2>/dev/null"]
    for i, f in enumerate(sorted(set(features) - {"vm"})):
        if f in TOOLS:
            body = f"command -v {f}"
        else:
            body = FEATURE_PROBES.get(f, f"ip link add vnp0 type {f}").replace("vnp", f"p{i}v")
        lines.append(f"({body}) >/dev/null </dev/null; echo \"{f} $?\"")
    lines += ["EOF", "ip netns del vnlprobe"]
    return "\n".join(lines) + "\n"


def parse_probe(out: str) -> dict[str, bool]:
    res = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            res[parts[0]] = parts[1] == "0"
    return res


def all_features() -> set[str]:
    feats = set(FEATURE_PROBES)
    for s in SCRIPTS:
        feats.update(requires(s))
    return feats - {"vm"}


def lacks(backend: str, have: dict[str, bool], feats) -> str | None:
    """The reason a backend cannot run a script needing ``feats``, or None."""
    for f in feats:
        if f == "vm":
            if backend != "vm":
                return f"VM only (# requires: vm)"
            continue
        if not have.get(f, False):
            if f == "timing":
                return (f"{backend} too slow for the script's sleep-based timing (probe: a "
                        "tcpdump started 1 s before a ping sees it; ip netns exec < 150 ms)")
            what = "kernel" if f not in TOOLS else "machine"
            return f"{backend} {what} lacks {f}"
    return None


def _sandbox_reason() -> str | None:
    if shutil.which("unshare") is None:
        return "needs util-linux unshare"
    probe = (["unshare", "--mount", "--net", "true"] if os.geteuid() == 0 else
             ["unshare", "--user", "--map-root-user", "--mount", "--net", "true"])
    if subprocess.run(probe, capture_output=True).returncode != 0:
        return "this machine refuses new mount/network namespaces"
    if shutil.which("ip") is None or shutil.which("ping") is None:
        return "the linux backend needs the real iproute2 and iputils-ping"
    return None


_HOST_FEATURES: dict[str, bool] | None = None


def host_features() -> dict[str, bool]:
    """Probe every known feature on the host kernel once (inside the linux backend's sandbox)."""
    global _HOST_FEATURES
    if _HOST_FEATURES is None:
        from vnetlab.backends.linux import run_script
        with tempfile.NamedTemporaryFile("w", suffix=".sh", prefix="vnetlab-probe-") as f:
            f.write(probe_script(all_features()))
            f.flush()
            p = run_script(f.name, [], capture=True, timeout=120)
        _HOST_FEATURES = parse_probe(p.stdout)
    return _HOST_FEATURES


def run(script: Path, backend: str) -> tuple[int, str]:
    p = subprocess.run([sys.executable, "-m", "vnetlab.cli", "sh", "--backend", backend,
                        str(script)], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


_EMU: dict[Path, tuple[int, str]] = {}


def emu(script: Path) -> tuple[int, str]:
    """The emulator's run of a script, once per session (shared by every backend's test)."""
    if script not in _EMU:
        _EMU[script] = run(script, "emu")
    return _EMU[script]


class VMBatch:
    """Every selected script (and the feature probe) in one boot of the reference-kernel VM."""

    def __init__(self, scripts: list[Path]):
        from vnetlab.backends import vm
        self.reason = None if os.environ.get("VNETLAB_VM", "1") != "0" else \
            "the VM backend is switched off (VNETLAB_VM=0)"
        self.reason = self.reason or vm.unavailable_reason()
        self.error = None
        self.results: dict[Path, object] = {}
        self.features: dict[str, bool] = {}
        self.seconds = 0.0
        self.kernel = ""
        if self.reason:
            return
        probe = tempfile.NamedTemporaryFile("w", suffix=".sh", prefix="vnetlab-probe-",
                                            delete=False)
        try:
            probe.write(probe_script(all_features()) + "uname -r >&2\n")
            probe.close()
            jobs = [vm.Job(probe.name, [], 300)] + [vm.Job(str(s), [], VM_SCRIPT_TIMEOUT)
                                                    for s in scripts]
            t0 = time.monotonic()
            try:
                res = vm.run_batch(jobs)
            except vm.VMError as e:
                self.error = str(e)
                return
            finally:
                self.seconds = time.monotonic() - t0
            self.features = parse_probe(res[0].stdout)
            self.kernel = res[0].stderr.strip().splitlines()[-1] if res[0].stderr.strip() else ""
            self.results = dict(zip(scripts, res[1:]))
        finally:
            os.unlink(probe.name)


VM_STATS: dict[str, object] = {}


@pytest.fixture(scope="session")
def vm_batch(request):
    """One boot for the session: the scripts of every selected vm test that the VM can run."""
    picked = []
    for item in request.session.items:
        cs = getattr(item, "callspec", None)
        if (getattr(item, "originalname", None) == "test_conformance" and cs
                and cs.params.get("backend") == "vm"):
            picked.append(cs.params["script"])
    batch = VMBatch(sorted(set(picked)))
    VM_STATS.update(seconds=batch.seconds, scripts=len(batch.results), kernel=batch.kernel)
    return batch


CASES = [(b, s) for b in BACKENDS for s in SCRIPTS]


@pytest.mark.parametrize("backend,script", CASES, ids=[f"{b}-{s.stem}" for b, s in CASES])
def test_conformance(backend, script, request):
    reason = _sandbox_reason()
    if reason:
        pytest.skip(reason)
    feats = requires(script)
    if backend == "host":
        why = lacks("host", host_features(), feats)
        if why:
            pytest.skip(f"unsupported: {why}")
        rc_real, out_real = run(script, "linux")
    else:
        batch = request.getfixturevalue("vm_batch")
        if batch.reason:
            pytest.skip(batch.reason)
        if batch.error:
            pytest.fail(f"VM: {batch.error}")
        why = lacks("vm", batch.features, feats)
        if why:
            pytest.skip(f"unsupported: {why}")
        res = batch.results[script]
        rc_real, out_real = res.returncode, res.stdout + res.stderr
        if res.timed_out:
            out_real += f"[vnetlab: the script timed out in the VM after {VM_SCRIPT_TIMEOUT} s]\n"
    rc_emu, out_emu = emu(script)
    if backend == "vm":     # the differences between the two real kernels (normalize.py)
        out_emu, out_real = vm_quirks(emu_as_vm(out_emu)), vm_quirks(out_real)
    assert normalize(out_emu) == normalize(out_real)
    assert rc_emu == rc_real


def test_there_are_conformance_scripts():
    assert len(SCRIPTS) >= 10


# -- the report (written by conftest's session-finish hook) -------------------------------------

def write_report(reports, directory: str | os.PathLike) -> Path:
    """A markdown table script x backend -> pass / fail / unsupported (reason) / skipped."""
    cells: dict[tuple[str, str], str] = {}
    for rep in reports:
        m = re.search(r"test_conformance\[(\w+)-(.+)\]$", rep.nodeid)
        if not m:
            continue
        key = (m.group(2), m.group(1))
        if rep.when == "call" and rep.passed:
            cells.setdefault(key, "pass")
        elif rep.failed:
            cells[key] = "fail" if rep.when == "call" else f"error ({rep.when})"
        elif rep.skipped:
            text = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
            text = text.removeprefix("Skipped: ")
            if text.startswith("unsupported: "):
                cells[key] = f"unsupported ({text.removeprefix('unsupported: ')})"
            else:
                cells[key] = f"skipped ({text})"
    scripts = sorted({s for s, _ in cells})
    lines = ["# Conformance: emulator vs real kernels", "",
             "Each cell: the script's normalized output and exit status on the emulator equal "
             "the backend's.", ""]
    if VM_STATS.get("scripts"):
        lines += [f"VM batch: {VM_STATS['scripts']} scripts in one boot of "
                  f"{VM_STATS.get('kernel') or 'the VM kernel'}, "
                  f"{VM_STATS['seconds']:.0f} s wall time.", ""]
    lines += ["| script | " + " | ".join(BACKENDS) + " |",
              "|---|" + "---|" * len(BACKENDS)]
    for s in scripts:
        lines.append(f"| {s} | " + " | ".join(cells.get((s, b), "not run") for b in BACKENDS)
                     + " |")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "conformance-report.md"
    path.write_text("\n".join(lines) + "\n")
    return path
