"""``modprobe`` on the emulated kernel: loading a module does what the kernel's autoload does;
errors are kmod 30's (compared with the real modprobe for modules that do not exist, which
changes nothing on the host)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from vnetlab.api import Lab
from vnetlab.commands import run

BAD = [["modprobe", "nosuchmod"], ["modprobe", "-q", "nosuchmod"], ["modprobe"],
       ["modprobe", "-z", "x"], ["modprobe", "--zz", "x"]]


def test_modprobe_ipip_creates_tunl0_in_every_netns():
    lab = Lab()
    lab.netns("a")
    assert "tunl0" not in lab.ns("a").by_name
    assert run(lab, ["modprobe", "ipip"]) == (0, "", "")
    assert "tunl0" in lab.ns("a").by_name and "tunl0" in lab.kernel.init_ns.by_name
    lab.netns("b")
    # loopback_net_init runs first in a new netns: lo is 1 and tunl0 2, as on the VM kernel
    assert [(d.name, d.ifindex) for d in lab.ns("b").devices] == [("lo", 1), ("tunl0", 2)]


def test_modprobe_ip_vs_brings_proc_sys_net_ipv4_vs():
    lab = Lab()
    assert run(lab, ["sysctl", "-n", "net.ipv4.vs.conntrack"])[0] != 0
    assert run(lab, ["modprobe", "-q", "ip_vs_rr"])[0] == 0
    assert run(lab, ["sysctl", "-n", "net.ipv4.vs.conntrack"]) == (0, "0\n", "")


def test_modprobe_remove_is_refused_loudly():
    rc, out, err = run(Lab(), ["modprobe", "-r", "ipip"])
    assert rc == 1 and "not emulated" in err


@pytest.mark.parametrize("argv", BAD, ids=[" ".join(a) for a in BAD])
def test_modprobe_errors_match_kmod(argv):
    if shutil.which("modprobe") is None:
        pytest.skip("needs kmod's modprobe")
    real = subprocess.run(argv, capture_output=True, text=True)
    assert run(Lab(), argv) == (real.returncode, real.stdout, real.stderr)


def test_addr_add_on_an_alias_name_uses_the_device(host):
    """dev_ioctl() cuts "lo:1" at the colon: iproute2's if_nametoindex() fallback finds lo, and
    the address gets no label of its own (the kernel selftest ipvs.sh relies on it)."""
    script = "ip addr add 10.9.9.9/32 dev lo:1; echo rc=$?; ip -br addr show dev lo"
    real = host.run(script, ns="t", check=False)
    lab = Lab()
    lab.netns("t")
    out = []
    for cmd in (["ip", "addr", "add", "10.9.9.9/32", "dev", "lo:1"],):
        rc, o, e = run(lab, cmd, ns="t")
        out.append(o + e + f"rc={rc}\n")
    rc, o, e = run(lab, ["ip", "-br", "addr", "show", "dev", "lo"], ns="t")
    assert "".join(out) + o == real.stdout + real.stderr
