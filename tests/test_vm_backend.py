"""The reference-kernel VM backend (vnetlab.backends.vm) and the conformance harness around it.

Tests that boot the VM share ONE boot (the ``batch`` fixture) plus one for the CLI; they skip,
with the missing piece's message, where the VM cannot run (or with ``VNETLAB_VM=0``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from vnetlab.backends import vm
from vnetlab import cli

import test_conformance as tc


def _vm_reason() -> str | None:
    if os.environ.get("VNETLAB_VM", "1") == "0":
        return "the VM backend is switched off (VNETLAB_VM=0)"
    return vm.unavailable_reason()


needs_vm = pytest.mark.skipif(_vm_reason() is not None, reason=str(_vm_reason()))


SCRIPT_A = r"""
echo "out A $1 $2"
echo "err A" >&2
ip netns add leak
ip -n leak link add d0 type veth peer name d1
ip link add stray type bridge
sleep 1000 &
exit 3
"""

SCRIPT_B = r"""
echo "out B"
ip netns list | wc -l
ip -br link | cut -d' ' -f1 | sort | tr '\n' ' '; echo
[ -d /proc/sys/net/ipv4/vs ] && echo "ipvs loaded" || echo "ipvs not loaded"
grep -c -E '^(ipip|ip_vs) ' /proc/modules
true
"""

# Item 7 of issue 8: module autoload at first use, in a fresh netns of a fresh kernel.
SCRIPT_AUTOLOAD = r"""
ip netns add a
ip -n a link show tunl0; echo "tunl0 rc=$?"
ip netns add b
ip -n b -br link show tunl0; echo "tunl0 in a later netns rc=$?"
ip netns exec a ipvsadm -Ln; echo "ipvsadm rc=$?"
ip netns exec a ipvsadm -A -t 192.0.2.1:80 -s rr; echo "add rc=$?"
ip netns exec a ipvsadm -Ln
"""


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    reason = _vm_reason()
    if reason:
        pytest.skip(reason)
    d = tmp_path_factory.mktemp("vmjobs")
    paths = {}
    for name, text in (("a", SCRIPT_A), ("b", SCRIPT_B), ("slow", "echo started; sleep 600\n"),
                       ("autoload", SCRIPT_AUTOLOAD), ("b2", SCRIPT_B)):
        p = d / f"{name}.sh"
        p.write_text(text)
        paths[name] = str(p)
    jobs = [vm.Job(paths["a"], ["x y", "z"], 60), vm.Job(paths["b"], [], 60),
            vm.Job(paths["slow"], [], 5), vm.Job(paths["autoload"], [], 60),
            vm.Job(paths["b2"], [], 60)]
    return dict(zip(("a", "b", "slow", "autoload", "b2"), vm.run_batch(jobs)))


@needs_vm
def test_batch_returns_each_scripts_status_and_output(batch):
    a, b = batch["a"], batch["b"]
    assert a.returncode == 3 and b.returncode == 0
    assert a.stdout == "out A x y z\n" and a.stderr == "err A\n"
    assert b.stdout.startswith("out B\n") and b.stderr == ""


@needs_vm
def test_batch_isolates_scripts(batch):
    # a's netns, devices and background job are gone for b: a fresh sandbox, no netns, only lo
    assert batch["b"].stdout == "out B\n0\nlo \nipvs not loaded\n0\n"


@needs_vm
def test_batch_unloads_modules_between_scripts(batch):
    # the autoload script loaded ipip and ip_vs; the next script sees a kernel without them
    assert batch["autoload"].leftover == []
    assert batch["b2"].stdout == "out B\n0\nlo \nipvs not loaded\n0\n"


@needs_vm
def test_batch_per_script_timeout(batch):
    slow = batch["slow"]
    assert slow.timed_out and slow.returncode == 124
    assert slow.stdout == "started\n"
    assert batch["autoload"].returncode == 0     # the batch went on after it


@needs_vm
def test_TNL_autoload_tunl0_and_ipvs_at_first_use(batch):
    # kernel-spec §13: naming tunl0 loads ipip; tunl0 then exists in every netns, old and new.
    # IPVS: the first ipvsadm loads ip_vs (the table starts empty).
    out = batch["autoload"].stdout
    assert "tunl0@NONE: <NOARP> mtu 1480 qdisc noop state DOWN" in out
    assert "link/ipip 0.0.0.0 brd 0.0.0.0" in out
    assert "tunl0 rc=0" in out and "tunl0 in a later netns rc=0" in out
    assert "IP Virtual Server version 1.2.1 (size=4096)" in out
    assert "ipvsadm rc=0" in out and "add rc=0" in out
    assert "TCP  192.0.2.1:80 rr" in out


@needs_vm
def test_cli_relays_the_vm_scripts_output_and_status(tmp_path):
    s = tmp_path / "s.sh"
    s.write_text('echo "hello $1"; echo oops >&2; uname -r; exit 7\n')
    p = subprocess.run([sys.executable, "-m", "vnetlab.cli", "sh", "--backend", "linux",
                        "--kernel", "vm", str(s), "there"], capture_output=True, text=True,
                       timeout=900)
    assert p.returncode == 7, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "hello there"
    assert lines[1] == os.path.basename(vm.find_kernel()).removeprefix("vmlinuz-")
    assert p.stderr == "oops\n"


# -- without the VM ----------------------------------------------------------------------------

def test_cli_relays_status_and_bytes(monkeypatch, capfdbinary):
    seen = {}

    def fake(script, args, timeout=None):
        seen.update(script=script, args=args)
        return vm.Result(5, b"out \xff\n", b"err\n")
    monkeypatch.setattr(vm, "run_script", fake)
    assert cli.main(["sh", "--backend", "linux", "--kernel", "vm", "x.sh", "a", "b"]) == 5
    out, err = capfdbinary.readouterr()
    assert out == b"out \xff\n" and err == b"err\n"
    assert seen == {"script": "x.sh", "args": ["a", "b"]}


def test_cli_kernel_vm_needs_backend_linux(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["sh", "--kernel", "vm", "x.sh"])
    assert e.value.code == 2
    assert "--kernel vm needs --backend linux" in capsys.readouterr().err


def test_missing_kernel_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setenv("VNETLAB_VM_KERNEL", str(tmp_path / "vmlinuz-none"))
    with pytest.raises(vm.VMUnavailable) as e:
        vm.find_kernel()
    assert "linux-image-amd64" in str(e.value) and "\n" not in str(e.value)


def _piece_missing_before_kernel() -> bool:
    try:
        vm.find_vng(), vm.find_qemu(), vm.find_busybox()
    except vm.VMUnavailable:
        return True
    return False


def test_missing_kernel_cli_message_and_status(tmp_path):
    if _piece_missing_before_kernel():
        pytest.skip(f"an earlier piece is missing: {vm.unavailable_reason()}")
    s = tmp_path / "s.sh"
    s.write_text("true\n")
    env = dict(os.environ, VNETLAB_VM_KERNEL=str(tmp_path / "vmlinuz-none"))
    p = subprocess.run([sys.executable, "-m", "vnetlab.cli", "sh", "--backend", "linux",
                        "--kernel", "vm", str(s)], capture_output=True, text=True, timeout=60,
                       env=env)
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.count("\n") == 1
    assert p.stderr.startswith("vnetlab sh --kernel vm: ")
    assert "apt-get install linux-image-amd64" in p.stderr


def test_missing_qemu_vng_busybox_name_their_packages(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(vm.VMUnavailable, match=r"apt-get install qemu-system-x86"):
        vm.find_qemu()
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    with pytest.raises(vm.VMUnavailable, match=r"pip install virtme-ng"):
        vm.find_vng()
    monkeypatch.setattr(vm, "_BUSYBOX_DIRS", ())
    with pytest.raises(vm.VMUnavailable, match=r"apt-get install busybox-static"):
        vm.find_busybox()


def test_newest_kernel_is_picked_by_version(monkeypatch, tmp_path):
    for v in ("5.10.0-9-amd64", "6.1.0-56-amd64", "6.1.0-9-amd64"):
        (tmp_path / f"vmlinuz-{v}").write_text("")
        (tmp_path / "modules" / v).mkdir(parents=True)
    monkeypatch.delenv("VNETLAB_VM_KERNEL", raising=False)
    monkeypatch.setattr(vm, "_BOOT_DIR", str(tmp_path))
    monkeypatch.setattr(vm, "_MODULES_DIR", str(tmp_path / "modules"))
    assert vm.find_kernel() == str(tmp_path / "vmlinuz-6.1.0-56-amd64")


def test_accel_choice(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("VNETLAB_VM_ACCEL", "tcg")
    assert vm.accel_candidates("/k", "/q") == ["tcg"]
    monkeypatch.setenv("VNETLAB_VM_ACCEL", "auto")
    monkeypatch.setattr(vm, "_KVM_DEV", str(tmp_path / "no-kvm"))
    assert vm.accel_candidates("/k", "/q") == ["tcg"]
    monkeypatch.setattr(vm, "_KVM_DEV", str(tmp_path / "kvm"))
    (tmp_path / "kvm").write_text("")
    assert vm.accel_candidates("/k", "/q") == ["kvm", "tcg"]
    vm._store_accel(vm._accel_key("/k", "/q"), "tcg")     # KVM did not boot here once
    assert vm.accel_candidates("/k", "/q") == ["tcg"]


def test_runner_quotes_arguments_and_sandboxes_each_job(tmp_path):
    text = vm._runner(str(tmp_path), [vm.Job("/x/it's.sh", ["a b", "$c"], 9)], "/w d")
    assert "job 0 9 '/w d' '/x/it'\"'\"'s.sh' 'a b' '$c'" in text
    assert "unshare --mount --net --propagation private" in text
    bash = subprocess.run(["bash", "-n"], input=text, text=True, capture_output=True)
    assert bash.returncode == 0, bash.stderr


# -- the harness: # requires:, feature probes, the report ----------------------------------------

def test_requires_header(tmp_path):
    s = tmp_path / "x.sh"
    s.write_text("# requires: ipvlan ipip\n# requires: vm\n. lib.sh\n# requires: gre\n")
    assert tc.requires(s) == ["ipvlan", "ipip", "vm"]
    s.write_text(". lib.sh\necho hi\n")
    assert tc.requires(s) == []


def test_unsupported_reasons():
    have = {"ipvlan": False, "veth": True}
    assert tc.lacks("host", have, ["veth", "ipvlan"]) == "host kernel lacks ipvlan"
    assert tc.lacks("host", have, ["veth"]) is None
    assert tc.lacks("host", have, ["vm"]) == "VM only (# requires: vm)"
    assert tc.lacks("vm", {"ipvlan": True}, ["vm", "ipvlan"]) is None


def test_host_feature_probe(host, tmp_path):
    """The probe's verdict for each feature equals what creating it in a throwaway netns of the
    host kernel says (host fixture), and nonsense is reported missing."""
    feats = tc.host_features()
    assert feats["veth"] is True and feats["bridge"] is True
    for kind in ("dummy", "ipvlan", "macvlan", "vxlan", "ifb"):
        body = tc.FEATURE_PROBES[kind]
        p = host.run(body, ns="p" + kind, check=False)
        assert feats[kind] is (p.returncode == 0), (kind, p.stderr)
    from vnetlab.backends.linux import run_script
    probe = tmp_path / "probe.sh"
    probe.write_text(tc.probe_script({"no-such-kind", "veth"}))
    p = run_script(str(probe), [], capture=True, timeout=60)
    assert tc.parse_probe(p.stdout) == {"no-such-kind": False, "veth": True}


def test_report_table(tmp_path):
    def rep(nodeid, when, outcome, longrepr=None):
        return SimpleNamespace(nodeid=nodeid, when=when, passed=outcome == "passed",
                               failed=outcome == "failed", skipped=outcome == "skipped",
                               longrepr=longrepr)
    base = "tests/test_conformance.py::test_conformance"
    reps = [rep(f"{base}[host-01-veth-basic]", "setup", "passed"),
            rep(f"{base}[host-01-veth-basic]", "call", "passed"),
            rep(f"{base}[vm-01-veth-basic]", "call", "failed"),
            rep(f"{base}[host-50-ipvlan-modes]", "setup", "skipped",
                ("f", 1, "Skipped: unsupported: host kernel lacks ipvlan")),
            rep(f"{base}[vm-50-ipvlan-modes]", "setup", "skipped",
                ("f", 1, "Skipped: the VM needs qemu-system-x86_64 (apt-get install x)"))]
    path = tc.write_report(reps, tmp_path / "r")
    text = path.read_text()
    assert path.name == "conformance-report.md"
    assert "| 01-veth-basic | pass | fail |" in text
    assert ("| 50-ipvlan-modes | unsupported (host kernel lacks ipvlan) | skipped (the VM needs "
            "qemu-system-x86_64 (apt-get install x)) |") in text
