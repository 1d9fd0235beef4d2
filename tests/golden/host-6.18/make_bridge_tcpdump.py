#!/usr/bin/env python3
"""Regenerate the golden transcripts of ``bridge`` (iproute2 6.1) and ``tcpdump`` (4.99.3) taken
from the host (Linux 6.18). Needs root. Run from the repository root:

    sudo .venv/bin/python tests/golden/host-6.18/make_bridge_tcpdump.py [bridge] [tcpdump]

Writes

* ``bridge/<scenario>.txt``: tests/bridge_scenarios.py run on the host kernel, normalised as
  ip_scenarios does;
* ``tcpdump/traffic.pcap``: a capture by the real tcpdump (``-w``) on a host of a small routed
  topology while it exchanges ARP, ICMP echo, ICMP port unreachable, ICMP time exceeded, UDP,
  TCP (a refused connection and an HTTP request) and VXLAN traffic;
* ``tcpdump/read-cases.json``: ``tcpdump -r traffic.pcap`` with many flag sets and filter
  expressions (plus error cases), each with stdout, stderr and exit status, run with TZ=UTC in
  the ``tcpdump`` directory.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, TESTS)

from conftest import HostKernel  # noqa: E402
import bridge_scenarios as B  # noqa: E402
import ip_scenarios as S  # noqa: E402

TCPDUMP_DIR = os.path.join(HERE, "tcpdump")
BRIDGE_DIR = os.path.join(HERE, "bridge")

# flag sets x filters for tcpdump -r; {MAC} is the first frame's source MAC
READ_CASES = [
    "-n", "", "-nn", "-n -e", "-e", "-n -q", "-q", "-n -e -q", "-n -t", "-n -tt", "-n -ttt",
    "-n -tttt", "-n -ttttt", "-n -x", "-n -xx", "-n -X", "-n -XX", "-n -#", "-n -S",
    "-n -c 3", "-n -c 1 -e -t", "-n icmp", "-n arp", "-n udp", "-n tcp", "-n ip",
    "-n 'tcp port 80'", "-n port 80", "-n 'udp port 4789'", "-n 'host 10.0.1.2'",
    "-n 'src 10.0.0.1 and not arp'", "-n 'dst host 10.0.0.1'", "-n 'icmp or arp'",
    "-n 'net 10.0.1.0/24'", "-n 'src net 10.0.0.0/24 and (udp or tcp)'", "-n not ip",
    "-n '! icmp && ! tcp'", "-n 'host 10.0.0.1 or 10.0.0.254'", "-n 'arp and host 10.0.0.9'",
    "-n -e 'ether host {MAC}'", "-n 'ether src {MAC}'", "-n 'ether dst {MAC}'",
    "-n broadcast", "-n 'ip proto 17'", "-n 'dst port 5000'", "-n 'src port 80'",
    "-n 'tcp[tcpflags] & tcp-syn != 0'",
    "-n 'host 10.0.0.300'", "-n 'port 99999'", "-n 'port nosuchservice'", "-n 'tcp and'",
    "-n '(icmp'", "-n 'net 10.0.0.0/33'", "-n 'host nosuch.invalid'",
    "-c 0", "-c x", "-k", "-n -Q in",
]
EXTRA_CASES = [
    "tcpdump -r nosuch.pcap",
    "tcpdump -r garbage.pcap",
    "tcpdump -r empty.pcap -n",
    "tcpdump --version",
    "tcpdump -h",
]


def bridge() -> None:
    os.makedirs(BRIDGE_DIR, exist_ok=True)
    for name, steps in B.SCENARIOS.items():
        h = HostKernel()
        try:
            text = S.run_host(steps, h)
        finally:
            h.cleanup()
        with open(os.path.join(BRIDGE_DIR, f"{name}.txt"), "w") as f:
            f.write(text)
        print("wrote bridge", name)


def _sh(script: str) -> None:
    subprocess.run(["bash", "-ec", script], check=True)


def capture_traffic(path: str) -> None:
    h = HostKernel()
    try:
        a, r, b = h.ns("a"), h.ns("r"), h.ns("b")
        _sh(f"""
        for n in {a} {r} {b}; do ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
            net.ipv6.conf.default.disable_ipv6=1; done
        ip -n {a} link add eth0 type veth peer name eth0 netns {r}
        ip -n {r} link add eth1 type veth peer name eth0 netns {b}
        ip -n {a} addr add 10.0.0.1/24 dev eth0
        ip -n {r} addr add 10.0.0.254/24 dev eth0
        ip -n {r} addr add 10.0.1.254/24 dev eth1
        ip -n {b} addr add 10.0.1.2/24 dev eth0
        for n in {a} {b}; do ip -n $n link set eth0 up; ip -n $n link set lo up; done
        ip -n {r} link set eth0 up; ip -n {r} link set eth1 up
        ip netns exec {r} sysctl -qw net.ipv4.ip_forward=1
        ip -n {a} route add default via 10.0.0.254
        ip -n {b} route add default via 10.0.1.254
        ip -n {a} link add vx0 type vxlan id 42 remote 10.0.1.2 dstport 4789 dev eth0
        ip -n {b} link add vx0 type vxlan id 42 remote 10.0.0.1 dstport 4789 dev eth0
        ip -n {a} addr add 192.168.7.1/24 dev vx0
        ip -n {b} addr add 192.168.7.2/24 dev vx0
        ip -n {a} link set vx0 up; ip -n {b} link set vx0 up
        sleep 1.2
        """)
        server = subprocess.Popen(["ip", "netns", "exec", b, "python3", "-m", "http.server",
                                   "80", "--bind", "10.0.1.2"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, cwd=TCPDUMP_DIR)
        cap = subprocess.Popen(["ip", "netns", "exec", a, "tcpdump", "-i", "eth0", "-U", "-w",
                                path], stderr=subprocess.DEVNULL)
        time.sleep(1.5)
        _sh(f"""
        ip netns exec {a} ping -c 2 -i 0.2 10.0.1.2 > /dev/null
        ip netns exec {a} ping -c 1 -t 1 -W 1 10.0.1.2 > /dev/null || true
        ip netns exec {a} bash -c 'echo hi > /dev/udp/10.0.1.2/5000'
        sleep 0.3
        ip netns exec {a} bash -c 'echo > /dev/tcp/10.0.1.2/81' 2> /dev/null || true
        ip netns exec {a} curl -s -o /dev/null http://10.0.1.2/ || true
        ip netns exec {a} ping -c 2 -i 0.2 192.168.7.2 > /dev/null
        ip netns exec {a} ping -c 1 -W 1 10.0.0.9 > /dev/null || true
        sleep 1.5
        """)
        cap.terminate()
        cap.wait()
        server.terminate()
        server.wait()
    finally:
        h.cleanup()


def tcpdump() -> None:
    os.makedirs(TCPDUMP_DIR, exist_ok=True)
    pcap = os.path.join(TCPDUMP_DIR, "traffic.pcap")
    capture_traffic(pcap)
    with open(os.path.join(TCPDUMP_DIR, "garbage.pcap"), "wb") as f:
        f.write(b"this is not a capture file\n")
    with open(pcap, "rb") as f:
        data = f.read()
    with open(os.path.join(TCPDUMP_DIR, "empty.pcap"), "wb") as f:
        f.write(data[:24])
    mac = ":".join(f"{b:02x}" for b in data[24 + 16 + 6:24 + 16 + 12])
    cases = []
    env = dict(os.environ, TZ="UTC")
    cmds = [f"tcpdump -r traffic.pcap {c.format(MAC=mac)}".strip() for c in READ_CASES]
    for cmd in cmds + EXTRA_CASES:
        p = subprocess.run(shlex.split(cmd), capture_output=True, text=True, cwd=TCPDUMP_DIR,
                           env=env)
        cases.append({"cmd": cmd, "out": p.stdout, "err": p.stderr, "rc": p.returncode})
    with open(os.path.join(TCPDUMP_DIR, "read-cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")
    print("wrote tcpdump", len(cases), "cases")


if __name__ == "__main__":
    what = sys.argv[1:] or ["bridge", "tcpdump"]
    if "bridge" in what:
        bridge()
    if "tcpdump" in what:
        tcpdump()
