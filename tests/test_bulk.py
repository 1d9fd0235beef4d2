"""Bulk builds on the real kernel (backends/bulk.py): the builder's lab equals the bash-built lab,
its errors name the lab object with the kernel's errno text, teardown deletes the namespaces,
and a builder killed mid-build leaves nothing on the host.

Root tests run inside the linux backend's sandbox (own mount + network namespaces, private
/run/netns) and skip with the reason when that is impossible here.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vnetlab.backends import bulk
from vnetlab.lab.load import load, parse
from vnetlab.lab.run import compile_script

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "labs").glob("*.yaml"))

MIXED = """name: mixed
nodes:
  a:
    setup: [ip addr add 10.5.0.1/24 dev eth0, ip link set eth0 up, ip link set lo up,
            ip route add 10.6.0.0/16 via 10.5.0.2]
  b:
    setup: [ip addr add 10.5.0.2/24 dev eth0, ip link set eth0 up,
            ip addr add 10.7.0.2/24 dev nic0, ip link set nic0 up,
            sysctl -qw net.ipv4.ip_forward=1, ip link set lo up]
  c:
    setup: [ip addr add 10.7.0.3/24 dev nic0, ip link set nic0 up, ip link set big up]
links:
  - veth: [a:eth0, b:eth0]
  - wire: b:nic0
    switch: lan
    hairpin: true
    mac: 52:54:00:aa:bb:01
  - wire: c:nic0
    switch: lan
  - veth: [a:big, c:big]
    mtu: 9000
checks:
  - ping: {from: a, to: c}
"""


def _root_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root: the bulk builder makes network namespaces and bind mounts"
    from test_conformance import _sandbox_reason
    return _sandbox_reason()


needs_root = pytest.mark.skipif(bool(_root_reason()), reason=_root_reason() or "")


# -- no root: the spec and the messages -------------------------------------------------------
def test_lab_spec_follows_the_bash_build_order():
    model = load(ROOT / "examples/labs/macvlan-vepa-hairpin.yaml")
    s = bulk.lab_spec(model)
    assert s["netns"] == ["host", "c1", "c2", "vnlsw-lan"]
    assert s["bridges"] == [{"ns": "vnlsw-lan", "name": "br0", "up": True, "what": "switch lan"}]
    [v] = s["veths"]
    assert (v["ns"], v["name"], v["mac"]) == ("host", "eth0", "52:54:00:12:34:56")
    assert (v["peer_ns"], v["peer"]) == ("vnlsw-lan", "p0")
    [p] = s["ports"]
    assert (p["ns"], p["dev"], p["master"], p["up"], p["hairpin"]) == \
        ("vnlsw-lan", "p0", "br0", True, True)
    assert re.match(r".*macvlan-vepa-hairpin.yaml:\d+: links\[0\]$", v["what"])


def test_veth_request_puts_each_end_in_its_netns():
    """RTM_NEWLINK for a pair: IFLA_NET_NS_FD at the top (the device) and inside
    IFLA_INFO_DATA/VETH_INFO_PEER (the peer); no rename or move needed afterwards."""
    built = bulk.Built()
    built.fds.update({"a": 7, "b": 9})
    body = bulk._veth_msg(built, {"ns": "a", "name": "eth0", "peer_ns": "b", "peer": "e1",
                                  "mtu": 1400})

    def attrs(data, off=0):
        out = {}
        while off + 4 <= len(data):
            ln, t = struct.unpack_from("=HH", data, off)
            out[t & 0x3FFF] = data[off + 4:off + ln]
            off += (ln + 3) & ~3
        return out
    top = attrs(body, 16)
    assert top[bulk.IFLA_IFNAME] == b"eth0\0"
    assert struct.unpack("=I", top[bulk.IFLA_NET_NS_FD]) == (7,)
    assert struct.unpack("=I", top[bulk.IFLA_MTU]) == (1400,)
    info = attrs(top[bulk.IFLA_LINKINFO])
    assert info[bulk.IFLA_INFO_KIND] == b"veth\0"
    peer = attrs(attrs(info[bulk.IFLA_INFO_DATA])[bulk.VETH_INFO_PEER], 16)
    assert peer[bulk.IFLA_IFNAME] == b"e1\0"
    assert struct.unpack("=I", peer[bulk.IFLA_NET_NS_FD]) == (9,)


def test_compile_script_with_bulk_has_no_ip_per_object(tmp_path):
    model = parse(MIXED)
    spec = tmp_path / "x.json"
    s = compile_script(model, bulk=str(spec))
    assert "ip netns add" not in s and "type veth" not in s and "type bridge" not in s
    assert f"-m vnetlab.backends.bulk build {spec}" in s
    lifted = json.loads(spec.read_text())["lifted"]
    assert lifted == {"a": 4, "b": 4, "c": 3}    # c's 'ip link set big up': big is c's too
    assert "ip link set eth0 up" not in s

    full = compile_script(model)
    assert "ip netns add a" in full                      # --print-script: the bash build


# -- root: the builder against the bash build ------------------------------------------------
_MAC = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
_LL = re.compile(r"^fe80::[0-9a-f:]+$")
_BRID = re.compile(r"^[0-9a-f]{4}\.([0-9a-f]{1,2}:){5}[0-9a-f]{1,2}$")


def _norm(x, keep: set[str]):
    """MACs the lab did not set, bridge ids and timers vary between two builds: blank them;
    IPv6 link-local addresses (derived from the random MACs) are dropped."""
    if isinstance(x, dict):
        out = {}
        for k, v in x.items():
            if k.endswith("_timer") or k in ("gc_timer",):
                v = 0
            out[k] = _norm(v, keep)
        return out
    if isinstance(x, list):
        return [_norm(v, keep) for v in x
                if not (isinstance(v, dict) and str(v.get("local", "")).startswith("fe80:"))]
    if isinstance(x, str) and (_MAC.match(x) and x not in keep or _BRID.match(x)):
        return "MAC"
    if isinstance(x, str) and _LL.match(x):
        return "fe80::LL"
    return x


def _dump_lab(model, use_bulk: bool, tmp: Path) -> dict:
    from vnetlab.backends.linux import run_script
    tag = "bulk" if use_bulk else "bash"
    spec = tmp / f"{tag}.json"
    spec.write_text(json.dumps(bulk.lab_spec(model)))
    script = compile_script(model.model_copy(update={"checks": []}),
                            bulk=str(spec) if use_bulk else None)
    names = list(model.nodes) + [f"vnlsw-{s}" for s in model.switches()]
    script += "sleep 1\n" + "".join(
        f"echo '=== {n} link'; ip -n {n} -j -d link; echo '=== {n} addr'; ip -n {n} -j addr; "
        f"echo '=== {n} route'; ip -n {n} -4 -j route show table all\n" for n in names)
    (tmp / f"{tag}.sh").write_text(script)
    out = tmp / f"{tag}.out"
    out.mkdir()
    p = run_script(str(tmp / f"{tag}.sh"), [str(out)], capture=True, timeout=120)
    assert p.returncode == 0 and not (out / "setup.err").exists(), \
        (p.stderr, (out / "setup.err").read_text() if (out / "setup.err").exists() else "")
    keep = {link.mac for link in model.links if getattr(link, "mac", None)}
    got = {}
    for block in p.stdout.split("=== ")[1:]:
        head, _, body = block.partition("\n")
        got[head] = _norm(json.loads(body), keep)
        if head.endswith(" route"):     # same-prefix IPv6 routes of several devices come in
            got[head].sort(key=lambda r: json.dumps(r, sort_keys=True))   # timing order
    return got


@needs_root
@pytest.mark.parametrize("text", [MIXED] + [p.read_text() for p in EXAMPLES],
                         ids=["mixed"] + [p.stem for p in EXAMPLES])
def test_bulk_build_equals_bash_build(text, tmp_path):
    model = parse(text)
    a = _dump_lab(model, False, tmp_path)
    b = _dump_lab(model, True, tmp_path)
    assert a.keys() == b.keys()
    for k in a:
        assert b[k] == a[k], k


def _setup_err(model, use_bulk: bool, tmp: Path) -> str:
    from vnetlab.backends.linux import run_script
    tag = "bulk" if use_bulk else "bash"
    (tmp / f"{tag}.sh").write_text(compile_script(
        model, bulk=str(tmp / f"{tag}.json") if use_bulk else None))
    out = tmp / f"{tag}.out"
    out.mkdir()
    p = run_script(str(tmp / f"{tag}.sh"), [str(out)], capture=True, timeout=120)
    assert p.returncode == 2, p.stderr
    return (out / "setup.err").read_text()


@needs_root
@pytest.mark.parametrize("lines", [
    "[ip addr add 10.5.0.1/24 dev eth0, ip link set eth0 up, ip addr add 10.5.0.1/24 dev eth0]",
    "[ip route add 10.9.0.0/16 via 10.5.0.9]",
    "[ip link set eth0 up, ip route add 10.9.0.0/8 dev eth0]",
], ids=["duplicate-address", "unreachable-gateway", "bad-prefix"])
def test_lifted_setup_line_fails_like_the_bash_build(lines, tmp_path):
    """A setup line the builder does itself fails with the bash build's very message: the
    line, then iproute2's text for the kernel's answer (extack 'Error: ...' or 'RTNETLINK
    answers: ...')."""
    model = parse(f"nodes:\n  a: {{setup: {lines}}}\n  b: {{}}\nlinks:\n"
                  f"  - veth: [a:eth0, b:eth0]\n", "lab.yaml")
    model._filename = "lab.yaml"
    spec = bulk.lab_spec(model)
    assert spec["lifted"] == {"a": len(model.nodes["a"].setup)}
    assert _setup_err(model, True, tmp_path) == _setup_err(model, False, tmp_path)


# -- root: errors, teardown, kill -9 ---------------------------------------------------------
def _in_sandbox(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    from vnetlab.backends.linux import PROLOGUE, sandbox_prefix
    return subprocess.run(sandbox_prefix() + ["sh", "-c", PROLOGUE, "x", "-c",
                                              f"{sys.executable} -c {_sq(code)}"],
                          capture_output=True, text=True, timeout=timeout)


def _sq(s: str) -> str:
    import shlex
    return shlex.quote(s)


@needs_root
def test_errors_name_the_lab_object_and_the_errno_text():
    p = _in_sandbox("""
from vnetlab.backends import bulk
def err(spec):
    try:
        bulk.build(spec).close()
    except bulk.BuildError as e:
        return str(e)
    return 'no error'
print(err({"netns": ["a"], "bridges": [{"ns": "a", "name": "lo", "what": "switch lan"}]}))
print(err({"netns": ["b"], "veths": [{"ns": "b", "name": "e0", "peer_ns": "nowhere",
           "peer": "e1", "what": "lab.yaml:9: links[2]"}]}))
print(err({"netns": ["c"], "veths": [{"ns": "c", "name": "e0", "peer_ns": "c", "peer": "e1",
           "mtu": 70000, "what": "lab.yaml:4: links[0]"}]}))
print(err({"netns": ["c"]}))
print(err({"netns": ["d"], "addrs": [{"ns": "d", "dev": "eth7", "cidr": "10.0.0.1/24"}]}))
""")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "switch lan: the kernel refused: File exists"
    assert lines[1] == "lab.yaml:9: links[2]: unknown netns 'nowhere'"
    assert lines[2].startswith("lab.yaml:4: links[0]: the kernel refused: Invalid argument")
    assert lines[3] == "netns c: cannot create /run/netns/c: File exists"
    assert lines[4] == "d: device eth7: the kernel refused: No such device"


@needs_root
def test_run_reports_a_refused_topology_and_exits_2(tmp_path, capsys):
    from vnetlab.cli import main
    f = tmp_path / "lab.yaml"
    f.write_text("nodes:\n  vnlsw-lan: {}\n  a: {}\nlinks:\n  - wire: a:eth0\n"
                 "    switch: lan\n")
    assert main(["run", "--backend", "linux", str(f)]) == 2
    err = capsys.readouterr().err
    assert "setup failed: switch lan: cannot create /run/netns/vnlsw-lan: File exists" in err


@needs_root
def test_teardown_deletes_what_was_built():
    p = _in_sandbox("""
import os, subprocess
from vnetlab.backends import bulk
from vnetlab.bench_bulk import spec
bulk.build(spec(50)).close()
before = subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True).stdout
def ours():
    return sum(l.split()[4].startswith('/run/netns/h') for l in open('/proc/self/mountinfo'))
mounts = ours()
n = bulk.teardown()
after = subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True).stdout
left = ours()
print(len(before.splitlines()), mounts, n, repr(after), left, os.listdir('/run/netns'))
""")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["50", "50", "50", "''", "0", "[]"]


def _group_alive(pgid: int) -> bool:
    """Some process of the group is alive (zombies waiting for their reaper do not count)."""
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                stat = Path(f"/proc/{p}/stat").read_text()
            except OSError:
                continue
            f = stat[stat.rindex(")") + 2:].split()
            if int(f[2]) == pgid and f[0] != "Z":
                return True
    return False


def _leftovers(names: set[str], links: set[str]) -> list[str]:
    """Anything of the builder's lab visible on the host: named netns, their mounts, links.
    (Only our names: other tests on this machine create and delete their own meanwhile.)"""
    out = []
    ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    out += [f"netns {ln.split()[0]}" for ln in ns.splitlines() if ln.split()[0] in names]
    for ln in Path("/proc/self/mountinfo").read_text().splitlines():
        mp = ln.split()[4]
        if mp.startswith("/run/netns/") and mp[len("/run/netns/"):] in names:
            out.append(f"mount {mp}")
    js = json.loads(subprocess.run(["ip", "-j", "link"], capture_output=True,
                                   text=True).stdout or "[]")
    out += [f"link {d['ifname']}" for d in js if d.get("ifname") in links]
    return out


@needs_root
def test_kill_9_mid_build_leaves_nothing(tmp_path):
    """kill -9 the sandbox (its whole process group, or only its root process) while the
    builder is making 600 hosts, at random points; after ``vnetlab clean`` nothing of it runs
    and the host shows none of its namespaces, mounts or links."""
    from vnetlab.backends.linux import PROLOGUE, sandbox_prefix
    from vnetlab.bench_bulk import spec
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec(600)))
    names = {f"h{k}" for k in range(600)}
    links = {f"v{k}" for k in range(600)}
    assert _leftovers(names, links) == []
    rnd = random.Random(int(os.environ.get("VNETLAB_FAULT_SEED", "8")))
    env = dict(os.environ, VNETLAB_STATE_DIR=str(tmp_path / "state"))
    for trial in range(int(os.environ.get("VNETLAB_BULK_FAULT_TRIALS", "6"))):
        proc = subprocess.Popen(sandbox_prefix() + [
            "sh", "-c", PROLOGUE, "x", "-c",
            f"{sys.executable} -m vnetlab.backends.bulk build {spec_file}; sleep 60"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rnd.uniform(0.05, 1.5))
        if trial % 2:       # only the sandbox's root: the builder runs on, orphaned, until
            os.kill(proc.pid, signal.SIGKILL)            # 'vnetlab clean' finds and kills it
        else:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        p = subprocess.run([sys.executable, "-m", "vnetlab.cli", "clean"], env=env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        deadline = time.monotonic() + 15             # nothing of the sandbox is left
        while _group_alive(proc.pid):
            assert time.monotonic() < deadline, (trial, "sandbox processes survive SIGKILL")
            time.sleep(0.05)
        assert _leftovers(names, links) == [], trial
