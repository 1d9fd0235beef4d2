"""ping's text and status against iputils on the host kernel, timings normalized."""

from __future__ import annotations

import re
import shlex

import pytest

from vnetlab.api import Lab
from vnetlab.commands import run

CASES = [
    "ping -c 2 -i 0.2 10.0.0.2",
    "ping -c 3 -i 0.2 10.0.0.9",
    "ping -c1 -q 10.0.0.2",
    "ping -c 2 -i 0.2 -s 100 10.0.0.2",
    "ping -c1 10.9.9.9",
    "ping -c 1 -W 1 10.0.0.1",
    "ping -c 2 -w 1 -i 0.2 10.0.0.7",
    "ping 300.1.1.1",
    "ping -c1 -t 1 10.0.0.2",
]


def norm(text: str) -> str:
    text = re.sub(r"time=[0-9.]+ ms", "time=T ms", text)
    text = re.sub(r"time [0-9]+ms", lambda m: f"time {round(int(m.group(0)[5:-2]), -2)}ms", text)
    text = re.sub(r"= [0-9./]+ ms", "= RTT ms", text)
    return text


def emulated() -> list[tuple[int, str, str]]:
    lab = Lab()
    a, b = lab.netns("pa"), lab.netns("pb")
    lab.add_veth("eth0", "eth0", ns=a, peer_ns=b)
    for ns, ip in ((a, "10.0.0.1/24"), (b, "10.0.0.2/24")):
        lab.set_link("eth0", ns=ns, up=True)
        lab.add_addr("eth0", ip, ns=ns)
    lab.set_link("lo", ns=a, up=True)
    lab.run_for(0.3)
    return [run(lab, shlex.split(c), ns=a) for c in CASES]


def test_ping_unreachable_neighbour_reports_host_unreachable_after_arp_fails():
    rc, out, err = emulated()[1]
    assert rc == 1
    assert out.count("Destination Host Unreachable") == 3
    assert "+3 errors" in out and "pipe 3" in out


def test_ping_deadline_keeps_sending_until_the_deadline():
    rc, out, err = emulated()[6]
    assert "5 packets transmitted, 0 received" in out and rc == 1


def test_ping_matches_host_kernel(host):
    host.run("ip link add eth0 netns {a} type veth peer name eth0 netns {b}".format(
        a=host.ns("a"), b=host.ns("b")))
    host.run("ip link set eth0 up; ip link set lo up; ip addr add 10.0.0.1/24 dev eth0", ns="a")
    host.run("ip link set eth0 up; ip addr add 10.0.0.2/24 dev eth0", ns="b")
    host.run("sleep 0.3")
    got = emulated()
    for cmd, (rc, out, err) in zip(CASES, got):
        p = host.run(cmd, ns="a", check=False)
        assert (rc, norm(out), norm(err)) == (p.returncode, norm(p.stdout), norm(p.stderr)), cmd
