"""`vnetlab sh`: real bash against the emulator, with /proc/sys/net writes landing in the
emulator, never on the host."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

SCRIPT = r"""
set -e
sysctl net.ipv4.ip_forward
echo 1 > /proc/sys/net/ipv4/ip_forward
sysctl -n net.ipv4.ip_forward
echo 1 > /proc/sys/net/ipv4/conf/lo/arp_ignore
sysctl net.ipv4.conf.lo.arp_ignore
ethtool -i lo || echo "ethtool status $?"
ping -c 1 127.0.0.1 || echo "ping status $?"
f() { echo "function $1"; }
f ok
sleep 0.05 & wait
exit 3
"""


def _can_unshare() -> str | None:
    if shutil.which("unshare") is None:
        return "needs util-linux unshare"
    p = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "--net", "true"],
                       capture_output=True)
    if p.returncode != 0 and subprocess.run(["unshare", "--mount", "--net", "true"],
                                            capture_output=True).returncode != 0:
        return "this machine refuses new mount/network namespaces"
    return None


@pytest.fixture
def sh(tmp_path):
    reason = _can_unshare()
    if reason:
        pytest.skip(reason)

    def run(text: str):
        p = tmp_path / "s.sh"
        p.write_text(text)
        return subprocess.run([sys.executable, "-m", "vnetlab.cli", "sh", str(p)],
                              capture_output=True, text=True, timeout=60)
    return run


def test_sh_runs_bash_with_emulated_tools(sh):
    with open("/proc/sys/net/ipv4/conf/lo/arp_ignore") as f:
        before = f.read()
    p = sh(SCRIPT)
    assert p.returncode == 3, p.stderr
    assert p.stdout.splitlines() == [
        "net.ipv4.ip_forward = 0", "1", "net.ipv4.conf.lo.arp_ignore = 1",
        "ethtool status 127", "ping status 2", "function ok"]
    assert "vnetlab: ethtool: not provided by the emulator" in p.stderr
    assert "ping: connect: Network is unreachable" in p.stderr
    with open("/proc/sys/net/ipv4/conf/lo/arp_ignore") as f:
        assert f.read() == before     # the host was never touched
