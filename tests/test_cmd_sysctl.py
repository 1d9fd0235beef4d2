"""sysctl against transcripts of procps-ng's sysctl on the host kernel (kernel-spec §10.1)."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from golden_cases import GOLDEN, load, run_emulated
from vnetlab.api import Lab
from vnetlab.commands import run

CASES = load("sysctl-cases.out")


def test_golden_transcript_is_loaded():
    assert len(CASES) >= 25


def test_sysctl_matches_host_transcript():
    lab = Lab()
    ns = lab.netns("s")
    for cmd, out, err, rc in CASES:
        got = run_emulated(lab, ns, cmd)
        assert (got[0], got[1], got[2]) == (rc, out, err), cmd


def test_SYS_00_default_write_reaches_unwritten_devices_only():
    lab = Lab()
    ns = lab.netns("s")
    run_emulated(lab, ns, "sysctl -w net.ipv4.conf.lo.arp_announce=1")
    run_emulated(lab, ns, "sysctl -w net.ipv4.conf.default.arp_announce=2")
    assert run_emulated(lab, ns, "sysctl -n net.ipv4.conf.lo.arp_announce")[1] == "1\n"
    lab.add_veth("v0", "v1", ns=ns)
    assert run_emulated(lab, ns, "sysctl -n net.ipv4.conf.v0.arp_announce")[1] == "2\n"


def test_SYS_00b_all_forwarding_propagates():
    lab = Lab()
    ns = lab.netns("s")
    lab.add_veth("v0", "v1", ns=ns)
    run_emulated(lab, ns, "sysctl -qw net.ipv4.ip_forward=1")
    got = run_emulated(lab, ns, "sysctl -n net.ipv4.conf.v0.forwarding net.ipv4.conf.default.forwarding")
    assert got[1] == "1\n1\n"


def test_sysctl_transcript_still_matches_live_host(host):
    """Re-run the cases on the host now: the stored transcript must still be what it prints."""
    p = subprocess.run(["bash", str(GOLDEN / "gen_cases.sh"), str(GOLDEN / "sysctl-cases.txt")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0
    assert p.stdout == (GOLDEN / "sysctl-cases.out").read_text()


def test_SYS_new_netns_copies_init_net_all_and_default():
    """devinet_init_net() with devconf_inherit_init_net = 0: a new netns starts from init_net's
    current all/default values (ip_forward included) and its lo takes the copied default.
    Golden: tests/golden/vm-6.1/netns-inherit.{sh,txt}, from the reference kernel's init_net
    (the host's init_net may not be changed by tests)."""
    gold = Path(__file__).parent / "golden" / "vm-6.1"
    lines = (gold / "netns-inherit.sh").read_text().splitlines()[:3]
    lab = Lab()
    out = []
    for line in lines:
        rc, o, e = run(lab, shlex.split(line))
        assert rc == 0, (line, e)
        out.append(o)
    assert "".join(out) == (gold / "netns-inherit.txt").read_text()
    # the compiled-in values are what init_net itself starts from
    assert Lab().sysctl_get("net.ipv4.conf.all.arp_ignore") == 0
