"""The linux backend leaves the host exactly as it was - also when the script is killed midway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from test_conformance import _sandbox_reason

SCRIPT = """
ip netns add left
ip netns add right
ip link add veth0 type veth peer name veth1
ip link set veth0 up
ip addr add 192.0.2.1/24 dev veth0
ip route add 198.51.100.0/24 via 192.0.2.2
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.ipv4.conf.all.arp_ignore=2
echo 1 > /proc/sys/net/ipv4/conf/all/arp_announce
ip link add br9 netns left type bridge
echo ready
sleep 30
"""


def host_state() -> dict:
    def out(*cmd):
        return subprocess.run(cmd, capture_output=True, text=True).stdout
    return {
        "link": out("ip", "-j", "link"), "addr": out("ip", "-j", "addr"),
        "route": out("ip", "-j", "route", "show", "table", "all"),
        "netns": out("ip", "netns", "list"),
        "sysctl": out("sysctl", "net.ipv4.ip_forward", "net.ipv4.conf.all.arp_ignore",
                      "net.ipv4.conf.all.arp_announce"),
    }


@pytest.fixture
def sandbox(tmp_path):
    reason = _sandbox_reason()
    if reason:
        pytest.skip(reason)
    p = tmp_path / "s.sh"
    p.write_text(SCRIPT)
    return p


def test_linux_backend_leaves_host_unchanged_when_killed_midway(sandbox):
    before = host_state()
    proc = subprocess.Popen([sys.executable, "-m", "vnetlab.cli", "sh", "--backend", "linux",
                             str(sandbox)], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    assert proc.stdout.readline().strip() == "ready"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    time.sleep(0.5)     # the kernel frees the sandbox's namespaces asynchronously
    assert host_state() == before


def test_linux_backend_leaves_host_unchanged_after_a_normal_run(sandbox, tmp_path):
    before = host_state()
    short = tmp_path / "short.sh"
    short.write_text(SCRIPT.replace("sleep 30", "true"))
    p = subprocess.run([sys.executable, "-m", "vnetlab.cli", "sh", "--backend", "linux",
                        str(short)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == "ready", p.stderr
    assert host_state() == before
