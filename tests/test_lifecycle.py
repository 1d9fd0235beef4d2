"""vnetlab up / down / status / exec / clean (backends/lifecycle.py) on the host kernel.

Every test compares the host's ``ip -j link/addr/route``, ``ip netns list`` and mounts before and
after. The state directory is a temporary one (``VNETLAB_STATE_DIR``) so that these tests never
see or touch labs of anyone else on the machine.
"""

from __future__ import annotations

import json
import random
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from test_conformance import _sandbox_reason


def _reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root: persistent labs are compared with the host's links, addresses, " \
               "routes, named netns and mounts, and clean reads every process's /proc/PID/fd"
    if shutil.which("nsenter") is None:
        return "needs util-linux's nsenter"
    return _sandbox_reason()


pytestmark = pytest.mark.skipif(bool(_reason()), reason=_reason() or "")


def host_state() -> dict:
    def out(*cmd):
        return subprocess.run(cmd, capture_output=True, text=True).stdout
    return {
        "link": out("ip", "-j", "link"), "addr": out("ip", "-j", "addr"),
        "route": out("ip", "-j", "route", "show", "table", "all"),
        "netns": out("ip", "netns", "list"),
        "mounts": sorted(" ".join(ln.split()[3:]) for ln in
                         Path("/proc/self/mountinfo").read_text().splitlines()),
    }


def assert_host_unchanged(before: dict, wait: float = 5.0) -> None:
    deadline = time.monotonic() + wait
    while True:
        now = host_state()
        if now == before or time.monotonic() > deadline:
            break
        time.sleep(0.2)                # the kernel frees namespaces asynchronously
    for k in before:
        assert now[k] == before[k], f"host {k} changed"


@pytest.fixture
def env(tmp_path, monkeypatch):
    e = dict(os.environ)
    e["VNETLAB_STATE_DIR"] = str(tmp_path / "state")
    monkeypatch.setenv("VNETLAB_STATE_DIR", e["VNETLAB_STATE_DIR"])
    yield e
    # a failed test must not leave a lab running: take down whatever is in this state dir
    subprocess.run([sys.executable, "-m", "vnetlab.cli", "clean", "--all"], env=e,
                   capture_output=True, timeout=60, start_new_session=True)


def vn(env, *args, timeout=120, check=None) -> subprocess.CompletedProcess:
    # its own session: a stray kill(0) / killpg in vnetlab would fail the test, not kill pytest
    p = subprocess.run([sys.executable, "-m", "vnetlab.cli", *args], capture_output=True,
                       text=True, env=env, timeout=timeout, start_new_session=True)
    if check is not None:
        assert p.returncode == check, (p.returncode, p.stdout, p.stderr)
    return p


def lab_file(tmp_path, extra_setup: str = "", marker: str = "") -> tuple[Path, str]:
    name = f"lc-{uuid.uuid4().hex[:8]}"
    f = tmp_path / "lab.yaml"
    f.write_text(f"""name: {name}
nodes:
  a:
    setup:
      - ip link set lo up
      - ip addr add 10.77.0.1/24 dev eth0
      - ip link set eth0 up
      {("- " + repr(marker)) if marker else ""}
  b:
    setup:
      - ip link set lo up
      - ip addr add 10.77.0.2/24 dev eth0
      - ip link set eth0 up
      {("- " + repr(extra_setup)) if extra_setup else ""}
links:
  - veth: [a:eth0, b:eth0]
checks:
  - ping: {{from: a, to: b}}
""")
    return f, name


def status(env) -> list[dict]:
    return json.loads(vn(env, "status", "--json", check=0).stdout)


def pids_of(cmdline_part: str) -> list[int]:
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if cmdline_part in Path(f"/proc/{p}/cmdline").read_text().replace("\0", " "):
                    out.append(int(p))
            except OSError:
                pass
    return out


def test_up_status_exec_second_up_down(tmp_path, env):
    before = host_state()
    f, name = lab_file(tmp_path)
    p = vn(env, "up", str(f), check=0)
    assert f"lab {name} is up" in p.stdout
    try:
        [row] = status(env)
        assert row["name"] == name and row["state"] == "up" and row["alive"]
        assert row["nodes"] == ["a", "b"]
        assert name in vn(env, "status", check=0).stdout
        # the lab survives 'up' exiting: a ping between two nodes works
        p = vn(env, "exec", name, "a", "--", "ping", "-c", "1", "-W", "2", "10.77.0.2", check=0)
        assert "1 received" in p.stdout
        p = vn(env, "exec", name, "b", "--", "ip", "-br", "addr", "show", "eth0", check=0)
        assert "10.77.0.2/24" in p.stdout
        p = vn(env, "exec", name, "nosuch", "--", "true")
        assert p.returncode == 2 and "no node 'nosuch'" in p.stderr
        # nothing of the lab is visible on the host
        assert host_state()["netns"] == before["netns"]
        # a second up of the same lab is refused while it runs
        p = vn(env, "up", str(f))
        assert p.returncode == 1 and f"lab {name} is already up" in p.stderr, p.stderr
        assert [r["holder_pid"] for r in status(env)] == [row["holder_pid"]]
    finally:
        p = vn(env, "down", name)
    assert p.returncode == 0 and f"lab {name} is down" in p.stdout, p.stderr
    assert status(env) == []
    assert "no labs" in vn(env, "status", check=0).stdout
    assert not os.path.exists(f"/proc/{row['holder_pid']}/cmdline") or \
        "vnetlab-lab:" not in Path(f"/proc/{row['holder_pid']}/cmdline").read_text()
    p = vn(env, "down", name)                       # idempotent
    assert p.returncode == 0 and "is not up" in p.stderr
    p = vn(env, "exec", name, "a", "--", "true")
    assert p.returncode == 1 and "is not up" in p.stderr
    assert_host_unchanged(before)


def test_kill_holder_then_clean(tmp_path, env):
    before = host_state()
    marker = f"sleep 7{uuid.uuid4().int % 10**6}.5"
    f, name = lab_file(tmp_path, marker=marker + " &")
    vn(env, "up", str(f), check=0)
    [row] = status(env)
    server = pids_of(marker)
    assert len(server) == 1, server
    os.kill(row["holder_pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while status(env)[0]["state"] != "stale" and time.monotonic() < deadline:
        time.sleep(0.1)
    [row] = status(env)
    assert row["state"] == "stale" and not row["alive"]
    assert pids_of(marker) == []                    # the whole pid namespace died with it
    p = vn(env, "clean", check=0)
    assert f"removed: lab {name} (stale)" in p.stdout
    assert status(env) == []
    assert not (Path(env["VNETLAB_STATE_DIR"]) / name).exists()
    assert_host_unchanged(before)
    # the name is free again
    vn(env, "up", str(f), check=0)
    vn(env, "down", name, check=0)
    assert_host_unchanged(before)


def test_up_killed_midway_then_clean(tmp_path, env):
    before = host_state()
    marker = f"sleep 6{uuid.uuid4().int % 10**6}.5"
    f, name = lab_file(tmp_path, extra_setup=marker)     # a slow setup line
    proc = subprocess.Popen([sys.executable, "-m", "vnetlab.cli", "up", str(f)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 30
    while not pids_of(marker):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    time.sleep(0.2)
    [row] = status(env)
    assert row["state"] == "incomplete", row
    p = vn(env, "up", str(f))                       # still locked by the half-built lab
    assert p.returncode == 1 and "already incomplete" in p.stderr, p.stderr
    p = vn(env, "clean", check=0)
    assert f"removed: lab {name} (incomplete)" in p.stdout
    assert status(env) == [] and pids_of(marker) == []
    assert_host_unchanged(before)


def test_failed_setup_leaves_nothing(tmp_path, env):
    before = host_state()
    f, name = lab_file(tmp_path, extra_setup="ip link set nosuchdev up")
    p = vn(env, "up", str(f))
    assert p.returncode == 2 and "setup failed" in p.stderr and "nodes.b.setup[3]" in p.stderr, \
        p.stderr
    assert status(env) == []
    assert_host_unchanged(before)


def test_clean_keeps_labs_that_are_up_unless_all(tmp_path, env):
    before = host_state()
    f, name = lab_file(tmp_path)
    vn(env, "up", str(f), check=0)
    p = vn(env, "clean", check=0)
    assert f"kept: lab {name} is up" in p.stdout
    assert [r["state"] for r in status(env)] == ["up"]
    p = vn(env, "clean", "--all", check=0)
    assert f"removed: lab {name} (up)" in p.stdout
    assert status(env) == []
    assert_host_unchanged(before)


ORPHAN = """
ip netns add left
ip link add vo0 type veth peer name vo1 netns left
setsid sleep {n} < /dev/null > /dev/null 2>&1 &
echo $!
"""

LIVE = """
ip netns add right
echo ready
sleep {n}
"""


def test_clean_kills_orphaned_sandbox_processes_only(tmp_path, env):
    before = host_state()
    n1, n2 = f"5{uuid.uuid4().int % 10**6}.5", f"4{uuid.uuid4().int % 10**6}.5"
    (tmp_path / "orphan.sh").write_text(ORPHAN.format(n=n1))
    (tmp_path / "live.sh").write_text(LIVE.format(n=n2))
    live = subprocess.Popen([sys.executable, "-m", "vnetlab.cli", "sh", "--backend", "linux",
                             str(tmp_path / "live.sh")], stdout=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    try:
        assert live.stdout.readline().strip() == "ready"
        # a sandbox run that ended normally but left a daemon behind in its namespaces
        p = vn(env, "sh", "--backend", "linux", str(tmp_path / "orphan.sh"), check=0)
        orphan = int(p.stdout.split()[-1])
        time.sleep(0.2)
        assert pids_of(f"sleep {n1}") == [orphan]
        p = vn(env, "clean", check=0)
        assert str(orphan) in p.stdout
        time.sleep(0.2)
        assert pids_of(f"sleep {n1}") == []
        assert live.poll() is None and len(pids_of(f"sleep {n2}")) == 1   # a live run is kept
    finally:
        os.killpg(live.pid, signal.SIGKILL)
        live.wait(timeout=10)
    assert_host_unchanged(before)


def test_kill_up_at_random_points_then_clean(tmp_path, env):
    """The fault test: kill -9 ``vnetlab up`` (its whole process group) at random points of the
    build, 20 times; after ``vnetlab clean`` the host equals its state before, every time, and
    nothing of the lab is left (no state, no process of its pid namespace)."""
    before = host_state()
    rnd = random.Random(int(os.environ.get("VNETLAB_FAULT_SEED", "8")))
    marker = f"sleep 3{uuid.uuid4().int % 10**6}.5"
    f, name = lab_file(tmp_path, marker=marker + " &")
    outcomes = []
    for trial in range(int(os.environ.get("VNETLAB_FAULT_TRIALS", "20"))):
        proc = subprocess.Popen([sys.executable, "-m", "vnetlab.cli", "up", str(f)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        time.sleep(rnd.uniform(0.0, 2.0))
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)
        rows = status(env)
        outcomes.append(rows[0]["state"] if rows else "none")
        vn(env, "clean", "--all", check=0)
        assert status(env) == [], trial
        assert pids_of(marker) == [], trial
        assert_host_unchanged(before)
    assert not (Path(env["VNETLAB_STATE_DIR"]) / name).exists()
    print("states seen when killed:", outcomes)
