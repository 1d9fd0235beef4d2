"""``ip route``, ``ip neigh`` and ``ip netns`` against iproute2 6.1 on the host kernel.

Every scenario is a list of steps run twice: on the emulator (a fresh ``Lab``) and on the host
kernel (throwaway namespaces of the ``host`` fixture, IPv6 disabled before any device exists).
The outputs are compared after normalizing MAC addresses (placeholders in order of appearance)
and netns names (the host fixture's prefix is removed). Without root the same scenarios are
checked against transcripts captured on the host (``tests/golden/host-6.18/ip-route-neigh.json``,
made by ``tests/golden/host-6.18/gen_ip_route_neigh.py``).

Step syntax:
  ``ip -n {a} route ...``      a command, run on both sides; ``{a}`` names netns ``a``
  ``~ip -n {a} neigh``         the same, but lines are compared as a sorted set (the kernel lists
                               neighbours in hash order)
  ``@veth a veth0 b veth1``    setup: a veth pair, veth0 in netns a, its peer veth1 in b
  ``@addr a veth0 10.0.0.1/24`` / ``@deladdr ...`` / ``@up a veth0`` / ``@down a veth0``
  ``@sysctl a KEY=VALUE``      a sysctl inside netns a
  ``@ping a 10.0.0.2 [WAIT]``  ``ping -c1 [-W WAIT]`` from netns a (traffic for neighbour states)
  ``@sleep SECONDS``           let time pass (virtual time on the emulator)

The setup steps go through the Python API on the emulator because ``ip link``/``ip addr`` are
another module's; everything this module tests goes through ``vnetlab.commands.run``.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from ipv6_off import disable_ipv6

from vnetlab.api import Lab
from vnetlab.commands import run

GOLDEN = Path(__file__).parent / "golden" / "host-6.18" / "ip-route-neigh.json"

# MAC addresses the scenarios choose themselves: kept as they are
KNOWN_MACS = {"00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"} | {
    f"02:00:00:00:00:{i:02x}" for i in range(256)}

ROUTE_BASICS = [
    "@veth a veth0 b veth1",
    "@addr a veth0 10.0.0.1/24",
    "@addr b veth1 10.0.0.2/24",
    "ip -n {a} route",
    "ip -n {a} -j route",
    "ip -n {a} route add 10.1.0.0/16 via 10.0.0.2",
    "@up a veth0",
    "ip -n {a} route",
    "ip -n {a} route add 10.1.0.0/16 via 10.0.0.2",
    "ip -n {a} route add 10.1.0.0/16 dev veth0",
    "ip -n {a} route",
    "@up b veth1",
    "@up a lo",
    "@up b lo",
    "@sleep 1.2",
    "ip -n {a} route",
    "ip -n {a} route show table local",
    "ip -n {a} route show table all",
    "ip -n {a} route add default via 10.0.0.2",
    "ip -n {a} route add 10.1.0.0/16 via 10.0.0.2",
    "ip -n {a} route add 10.2.0.0/16 via 10.9.0.2",
    "ip -n {a} route add 10.2.0.1/16 via 10.0.0.2",
    "ip -n {a} route add 10.0.0.1/33 via 10.0.0.2",
    "ip -n {a} route add foo via 10.0.0.2",
    "ip -n {a} route add 10.3.0.0/16 via foo",
    "ip -n {a} route add 10.3.0.0/16 dev nosuch",
    "ip -n {a} route del 10.9.0.0/16",
    "ip -n {a} route del 10.9.0.0/16 table 100",
    "ip -n {a} route show table 100",
    "ip -n {a} -j route show table 100",
    "ip -n {a} route get 10.0.0.2",
    "ip -n {a} route get 10.1.2.3",
    "ip -n {a} route get 10.0.0.1",
    "ip -n {a} route get 127.0.0.1",
    "ip -n {a} route get 10.0.0.255",
    "ip -n {a} route get 255.255.255.255",
    "ip -n {a} route get 224.0.0.1",
    "ip -n {a} -j route get 10.1.2.3",
    "ip -n {a} -j route get 10.0.0.1",
    "ip -n {a} -j -p route get 10.0.0.255",
    "ip -n {a} -j route",
    "ip -n {a} -j -p route",
    "ip -n {a} route add blackhole 10.5.0.0/16",
    "ip -n {a} route add unreachable 10.6.0.0/16",
    "ip -n {a} route add prohibit 10.7.0.0/16 metric 5",
    "ip -n {a} route add throw 10.8.0.0/16",
    "ip -n {a} route add 10.9.0.0/16 via 10.0.0.2 src 10.0.0.1 metric 100 proto static mtu 1400",
    "ip -n {a} route add 10.10.0.0/16 via 10.0.0.2 table 100",
    "ip -n {a} route add local 10.11.0.1 dev veth0",
    "ip -n {a} route add broadcast 10.12.0.255 dev veth0",
    "ip -n {a} route",
    "ip -n {a} route show table all",
    "ip -n {a} -j route show table all",
    "ip -n {a} route get 10.5.0.1",
    "ip -n {a} route get 10.6.0.1",
    "ip -n {a} route get 10.7.0.1",
    "ip -n {a} route get 10.8.0.1",
    "ip -n {a} route get 10.9.0.1",
    "ip -n {a} -j route get 10.9.0.1",
    "ip -n {a} route get 10.11.0.1",
    "ip -n {a} route get 10.9.0.1 from 10.0.0.1",
    "ip -n {a} route get 10.9.0.1 oif veth0",
    "ip -n {a} route get 10.9.0.1 from 10.0.0.9",
    "ip -n {a} route get 10.9.0.1 uid 7",
    "ip -n {a} route get fibmatch 10.9.0.1",
    "ip -n {a} -o route get 10.0.0.2",
    "ip -n {a} route get 10.0.0.2 oif lo",
    "ip -n {a} route get 10.0.0.2 from 10.0.0.1 oif lo",
    "ip -n {a} route add 10.13.0.0/16 via 10.0.0.2 rtt 3 rttvar 2s rto_min 300ms features ecn "
    "quickack 1 initcwnd 10 window 5000",
    "ip -n {a} route show 10.13.0.0/16",
    "ip -n {a} -j route show 10.13.0.0/16",
    "ip -n {a} route add 10.14.0.0/16 dev veth0 congctl reno",
    "ip -n {a} route add 10.15.0.0/16 dev veth0 congctl bogus",
    "ip -n {a} route add 10.16.0.0/16 via 127.0.0.1",
    "ip -n {a} route add 10.17.0.0/16 via 10.0.0.2 dev lo",
    "ip -n {a} route show 10.14.0.0/16",
    "ip -n {a} -4 route",
    "ip -n {a} route show dev veth0",
    "ip -n {a} route show proto kernel",
    "ip -n {a} route show scope link",
    "ip -n {a} route show type unreachable",
    "ip -n {a} route show 10.9.0.0/16",
    "ip -n {a} route show 10.9.0.0",
    "ip -n {a} route show table main 10.0.0.0/8",
    "ip -n {a} route show dev nosuch",
    "ip -n {a} route list table local type broadcast",
    "ip -n {a} -d route show table 100",
    "ip -n {a} -N route show table all",
]

ROUTE_MODIFY = [
    "@veth a veth0 b veth1",
    "@veth a veth2 a veth3",
    "@addr a veth0 10.0.0.1/24",
    "@addr a veth2 10.0.2.1/24",
    "@addr b veth1 10.0.0.2/24",
    "@up a veth0",
    "@up b veth1",
    "@sleep 0.2",
    "ip -n {a} route add 10.1.0.0/16 dev veth2",
    "ip -n {a} route add 10.1.0.0/16 via 10.0.2.5",
    "ip -n {a} route add 10.1.0.0/16 via 10.0.2.5 onlink dev veth2",
    "ip -n {a} route add 10.1.0.0/16 via 10.0.0.5 dev veth2",
    "ip -n {a} route add 10.1.0.0/16 via 10.7.0.5 dev veth0 onlink",
    "ip -n {a} route add 10.1.0.0/16 via 10.0.0.5 src 10.0.0.9",
    "ip -n {a} route add 10.1.0.0/16 dev veth0 src 10.0.2.1",
    "ip -n {a} route add 10.2.0.0/16 via 10.0.0.5 metric 10",
    "ip -n {a} route append 10.2.0.0/16 via 10.0.0.6 metric 10",
    "ip -n {a} route prepend 10.2.0.0/16 via 10.0.0.7 metric 10",
    "ip -n {a} route add 10.2.0.0/16 via 10.0.0.8 metric 20",
    "ip -n {a} route",
    "ip -n {a} route replace 10.2.0.0/16 via 10.0.0.9 metric 10",
    "ip -n {a} route",
    "ip -n {a} route change 10.3.0.0/16 via 10.0.0.9",
    "ip -n {a} route change 10.2.0.0/16 via 10.0.0.3 metric 20",
    "ip -n {a} route replace 10.3.0.0/16 via 10.0.0.9",
    "ip -n {a} route test 10.4.0.0/16 via 10.0.0.9",
    "ip -n {a} route test 10.3.0.0/16 via 10.0.0.9",
    "ip -n {a} route",
    "ip -n {a} route del 10.2.0.0/16",
    "ip -n {a} route",
    "ip -n {a} route del 10.2.0.0/16 via 10.0.0.99",
    "ip -n {a} route del 10.2.0.0/16 metric 20",
    "ip -n {a} route del 10.2.0.0/16 dev veth0",
    "ip -n {a} route",
    "ip -n {a} route add 10.4.0.0/16 via 10.0.0.2 scope link",
    "ip -n {a} route add 10.4.0.0/16 via 10.0.0.2 scope host",
    "ip -n {a} route add 10.4.0.0/16 via 10.0.0.1",
    "ip -n {a} route add 10.5.0.0/16 dev veth0 scope global",
    "ip -n {a} route add 10.6.0.0/16 dev veth0 proto 99 table 200 metric 7",
    "ip -n {a} route add 10.6.0.0/16 dev veth0 proto bogus",
    "ip -n {a} route add 10.6.0.0/16 dev veth0 table bogus",
    "ip -n {a} route add 10.6.0.0/16 dev veth0 metric x",
    "ip -n {a} route add 10.6.0.0/16 dev veth0 scope x",
    "ip -n {a} route add 10.6.0.0/16 dev veth0 mtu x",
    "ip -n {a} route add 10.6.0.0/16 via 10.0.0.2 via 10.0.0.3",
    "ip -n {a} route add 10.6.0.0/16 10.7.0.0/16",
    "ip -n {a} route add blackhole 10.6.0.0/16 dev veth0",
    "ip -n {a} route add local 10.6.0.1 dev veth0 scope link",
    "ip -n {a} route add",
    "ip -n {a} route add via 10.0.0.2",
    "ip -n {a} route add 10.6.0.0/16 dev",
    "ip -n {a} route frob",
    "ip -n {a} route add 10.8.0.0/16",
    "ip -n {a} route add 10.8.0.0/16 dev veth0 mtu lock 1300 advmss 1200 hoplimit 9",
    "ip -n {a} route add 10.8.0.0 dev veth0 ",
    "ip -n {a} route add 10/8 dev veth0",
    "ip -n {a} route add 10.8.1.0/24 dev veth0 tos 0x10",
    "ip -n {a} route",
    "ip -n {a} -j route",
    "ip -n {a} route show table all",
    "ip -n {a} -d route",
    "ip -n {a} route show root 10.0.0.0/8",
    "ip -n {a} route show match 10.8.1.1",
    "ip -n {a} route show exact 10.8.0.0/16",
    "ip -n {a} route show 10.8.0.0/16",
    "ip -n {a} route show via 10.0.0.6",
    "ip -n {a} route show src 10.0.0.1",
    "ip -n {a} route show table 200",
    "ip -n {a} route show table 200 proto 99",
    "ip -n {a} route show metric 7 table all",
    "ip -n {a} route show table bogus",
    "ip -n {a} route show type bogus",
    "ip -n {a} route flush",
    "ip -n {a} route flush dev veth0 proto boot",
    "ip -n {a} route",
    "ip -n {a} -s route flush table 200",
    "ip -n {a} -s route flush table 200",
    "ip -n {a} route flush table 300",
    "ip -n {a} route flush table main",
    "ip -n {a} route",
    "ip -n {a} route show table all",
    "ip -n {a} route flush cache",
    "ip -n {a} route get",
    "ip -n {a} route get 10.0.0.0/24",
    "ip -n {a} route get 1.2.3.4",
    "ip -n {a} route get 10.0.0.2 oif nosuch",
    "ip -n {a} route get foo",
]

ROUTE_LINKDOWN = [
    "@veth a veth0 b veth1",
    "@addr a veth0 10.0.0.1/24",
    "@addr b veth1 10.0.0.2/24",
    "@up a veth0",
    "@up b veth1",
    "@sleep 0.2",
    "ip -n {a} route add 10.1.0.0/16 via 10.0.0.2",
    "ip -n {a} route add 10.3.0.0/16 via 10.0.0.2 onlink dev veth0",
    "@down b veth1",
    "@sleep 1.2",
    "ip -n {a} route",
    "ip -n {a} -j route",
    "ip -n {a} route get 10.1.0.1",
    "@sysctl a net.ipv4.conf.veth0.ignore_routes_with_linkdown=1",
    "ip -n {a} route",
    "ip -n {a} -j route",
    "ip -n {a} route add 10.2.0.0/16 via 10.0.0.2",
    "ip -n {a} route",
    "@up b veth1",
    "@sleep 1.2",
    "ip -n {a} route",
]

NEIGH = [
    "@veth a veth0 b veth1",
    "@addr a veth0 10.0.0.1/24",
    "@addr b veth1 10.0.0.2/24",
    "@up a veth0",
    "@up b veth1",
    "@sleep 0.2",
    "ip -n {a} neigh",
    "ip -n {a} -j neigh",
    "@ping a 10.0.0.2",
    "ip -n {a} neigh",
    "ip -n {b} neigh",
    "ip -n {a} -j neigh",
    "ip -n {a} -j -p neigh",
    "ip -n {a} neigh show dev veth0",
    "ip -n {a} -j neigh show dev veth0",
    "@ping a 10.0.0.3 1",
    "~ip -n {a} neigh",
    "ip -n {a} neigh show nud failed",
    "ip -n {a} neigh show nud reachable",
    "ip -n {a} neigh show nud incomplete",
    "@sleep 3",
    "~ip -n {a} neigh",
    "ip -n {a} neigh show 10.0.0.3",
    "ip -n {a} neigh add 10.0.0.7 lladdr 02:00:00:00:00:07 dev veth0",
    "ip -n {a} neigh add 10.0.0.7 lladdr 02:00:00:00:00:07 dev veth0",
    "ip -n {a} neigh add 10.0.0.8 lladdr 02:00:00:00:00:08 dev veth0 nud noarp",
    "ip -n {a} neigh add 10.0.0.9 lladdr 02:00:00:00:00:09 dev veth0 nud reachable router",
    "ip -n {a} neigh add 10.0.0.10 lladdr 02:00:00:00:00:0a dev veth0 nud stale",
    "ip -n {a} neigh add 10.0.0.11 dev veth0 nud permanent",
    "ip -n {a} neigh add 10.0.0.12 lladdr 2:0:0:0:0:C dev veth0",
    "ip -n {a} neigh add 10.0.0.14 lladdr 02:00 dev veth0",
    "ip -n {a} neigh add proxy 10.0.0.13 dev veth0",
    "~ip -n {a} neigh",
    "~ip -n {a} neigh show dev veth0",
    "ip -n {a} neigh show nud noarp dev veth0",
    "ip -n {a} neigh show nud stale",
    "~ip -n {a} neigh show nud permanent",
    "ip -n {a} neigh show proxy",
    "ip -n {a} -j neigh show proxy",
    "ip -n {a} neigh show 10.0.0.9",
    "ip -n {a} -j neigh show 10.0.0.9",
    "ip -n {a} neigh show 10.0.0.11 nud all",
    "ip -n {a} neigh get 10.0.0.9 dev veth0",
    "ip -n {a} -j neigh get 10.0.0.9 dev veth0",
    "~ip -n {a} -br neigh show dev veth0",
    "ip -n {a} -br neigh show 10.0.0.9",
    "ip -n {a} neigh get 10.0.0.99 dev veth0",
    "ip -n {a} neigh get 10.0.0.9",
    "ip -n {a} neigh replace 10.0.0.7 lladdr 02:00:00:00:00:17 dev veth0",
    "ip -n {a} neigh show 10.0.0.7",
    "ip -n {a} neigh change 10.0.0.99 lladdr 02:00:00:00:00:17 dev veth0",
    "ip -n {a} neigh change 10.0.0.7 lladdr 02:00:00:00:00:27 dev veth0 nud stale",
    "ip -n {a} neigh show 10.0.0.7",
    "ip -n {a} neigh del 10.0.0.7 dev veth0",
    "ip -n {a} neigh del 10.0.0.7 dev veth0",
    "ip -n {a} neigh show 10.0.0.7",
    "ip -n {a} neigh del proxy 10.0.0.13 dev veth0",
    "ip -n {a} neigh del proxy 10.0.0.13 dev veth0",
    "ip -n {a} neigh show proxy",
    "ip -n {a} neigh del 10.0.0.7",
    "ip -n {a} neigh add 10.0.0.7",
    "ip -n {a} neigh add 10.0.0.7 lladdr zz dev veth0",
    "ip -n {a} neigh add 10.0.0.7 lladdr 02:00:00:00:00:07 dev nosuch",
    "ip -n {a} neigh add 10.0.0.7 lladdr 02:00:00:00:00:07 dev veth0 nud bogus",
    "ip -n {a} neigh add 10.0.0.7 lladdr 02:00:00:00:00:07 lladdr 02:00:00:00:00:08 dev veth0",
    "ip -n {a} neigh add 10.0.0.7 10.0.0.8 dev veth0",
    "ip -n {a} neigh add foo dev veth0",
    "ip -n {a} neigh show dev nosuch",
    "ip -n {a} neigh show nud bogus",
    "ip -n {a} neigh show foo",
    "ip -n {a} neigh flush",
    "ip -n {a} neigh frob",
    "ip -n {a} neigh flush dev veth0",
    "~ip -n {a} neigh",
    "ip -n {a} -s neigh flush dev veth0",
    "ip -n {a} neigh add 10.0.0.20 lladdr 02:00:00:00:00:14 dev veth0 nud stale",
    "ip -n {a} -s neigh flush dev veth0",
    "ip -n {a} neigh add 10.0.0.30 lladdr 02:00:00:00:00:1e dev veth0 nud none",
    "ip -n {a} neigh add 10.0.0.31 lladdr 02:00:00:00:00:1f dev veth0 nud failed",
    "ip -n {a} neigh add 10.0.0.32 dev veth0 nud incomplete",
    "~ip -n {a} neigh show nud all dev veth0",
    "ip -n {a} neigh show nud none dev veth0",
    "ip -n {a} neigh flush nud permanent dev veth0",
    "~ip -n {a} neigh show dev veth0 nud all",
]

# DELAY, PROBE and FAILED from an (administratively) STALE entry whose owner never answers
NEIGH_TIMERS = [
    "@veth a veth0 b veth1",
    "@addr a veth0 10.0.0.1/24",
    "@addr b veth1 10.0.0.2/24",
    "@up a veth0",
    "@up b veth1",
    "@sysctl a net.ipv4.neigh.veth0.delay_first_probe_time=1",
    "@sleep 0.2",
    "ip -n {a} neigh add 10.0.0.5 lladdr 02:00:00:00:00:05 dev veth0 nud stale",
    "ip -n {a} neigh add 10.0.0.6 lladdr 02:00:00:00:00:06 dev veth0 nud stale",
    "@ping a 10.0.0.6 0.3",
    "ip -n {a} neigh show 10.0.0.6",
    "ip -n {a} -j neigh show nud delay",
    "@ping a 10.0.0.5 1",
    "@sleep 0.5",
    "ip -n {a} neigh show 10.0.0.5",
    "~ip -n {a} neigh show nud probe",
    "@sleep 4",
    "~ip -n {a} neigh",
    "~ip -n {a} neigh show nud failed",
]

SCENARIOS = {"route_basics": ROUTE_BASICS, "route_modify": ROUTE_MODIFY,
             "route_linkdown": ROUTE_LINKDOWN, "neigh": NEIGH, "neigh_timers": NEIGH_TIMERS}

# ``ip netns`` runs on the host in a private mount namespace with its own tmpfs /run/netns:
# the listing order is tmpfs's (newest first) and no namespace but ours is ever visible.
NETNS = [
    "ip netns",
    "ip netns add {e}",
    "ip netns add {e}",
    "ip netns add {f}",
    "ip netns add {g}",
    "ip netns list",
    "ip -j netns list",
    "ip netns del {f}",
    "ip netns add {f}",
    "ip netns show",
    "ip netns exec {e} ip route get 127.0.0.1",
    "ip netns exec {e} ip -j route",
    "ip netns exec {e} nosuchcmd arg",
    "ip netns exec {zz} ip route",
    "ip netns exec {e}",
    "ip netns exec",
    "ip netns exec {e} ip netns identify",
    "ip netns exec {e} ip route frob",
    "ip -n {e} netns exec {g} ip netns identify",
    "ip netns del {zz}",
    "ip netns delete {g}",
    "ip netns del",
    "ip netns add",
    "ip netns add a/b",
    "ip netns identify",
    "ip netns identify 1 2",
    "ip netns identify abc",
    "ip netns pids {e}",
    "ip netns pids {zz}",
    "ip netns pids",
    "ip netns set {e} 5",
    "ip netns set {e} 6",
    "ip netns set {f} 5",
    "ip netns set {f} auto",
    "ip netns set {f}",
    "ip netns set {f} -3",
    "ip netns list",
    "ip netns list-id",
    "ip -all netns exec ip route get 127.0.0.2",
    "ip netns frob",
    "ip netns help",
    "ip -n {zz} route",
    "ip -all netns del",
    "ip netns list",
]


# =============================================================================================
# the two sides
# =============================================================================================

MAC_RE = re.compile(r"\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b")


def normalize(text: str, prefix: str | None = None) -> str:
    if prefix:
        text = text.replace(prefix + "-", "")
    seen: dict[str, str] = {}

    def sub(m):
        mac = m.group(0)
        if mac in KNOWN_MACS:
            return mac
        return seen.setdefault(mac, f"<MAC{len(seen) + 1}>")
    return MAC_RE.sub(sub, text)


def _names(steps) -> list[str]:
    names = []
    for s in steps:
        for n in re.findall(r"\{(\w+)\}", s):
            if n not in names:
                names.append(n)
        if s.startswith("@veth"):
            for n in (s.split()[1], s.split()[3]):
                if n not in names:
                    names.append(n)
        elif s.startswith("@"):
            parts = s.split()
            if len(parts) > 1 and parts[0] not in ("@sleep",) and parts[1] not in names:
                names.append(parts[1])
    return names


def _sorted_if(step: str, text: str) -> str:
    if step.startswith("~"):
        return "".join(sorted(text.splitlines(keepends=True)))
    return text


def run_emulated(steps) -> list[tuple[str, int, str, str]]:
    """Run a scenario on a fresh emulated machine; the transcript of its commands."""
    lab = Lab()
    for n in _names(steps):
        lab.netns(n)
        disable_ipv6(lab, n)         # as run_on_host (and the goldens' recorder) does
    out = []
    for step in steps:
        if step.startswith("@"):
            _emu_setup(lab, step)
            continue
        cmd = step.lstrip("~").format(**{n: n for n in _names(steps)})
        rc, so, se = run(lab, shlex.split(cmd))
        out.append((step, rc, _sorted_if(step, normalize(so)), _sorted_if(step, normalize(se))))
    return out


def _emu_setup(lab: Lab, step: str) -> None:
    op, *args = step.split()
    if op == "@veth":
        lab.add_veth(args[1], args[3], ns=args[0], peer_ns=args[2])
    elif op == "@addr":
        lab.add_addr(args[1], args[2], ns=args[0])
    elif op == "@deladdr":
        lab.del_addr(args[1], args[2], ns=args[0])
    elif op in ("@up", "@down"):
        lab.set_link(args[1], ns=args[0], up=op == "@up")
    elif op == "@sysctl":
        key, val = args[1].split("=")
        lab.sysctl_set(key, int(val), ns=args[0])
    elif op == "@ping":
        lab.ping(args[1], ns=args[0], count=1, wait=float(args[2]) if len(args) > 2 else 10)
    elif op == "@sleep":
        lab.run_for(float(args[0]))
    else:
        raise ValueError(step)
    lab.run_for(0.01)


def run_on_host(host, steps) -> list[tuple[str, int, str, str]]:
    """Run a scenario in the host fixture's namespaces; the normalized transcript."""
    real = {}
    for n in _names(steps):
        real[n] = host.ns(n)
        host.run("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                 "net.ipv6.conf.default.disable_ipv6=1", ns=n)
    out = []
    for step in steps:
        if step.startswith("@"):
            _host_setup(host, real, step)
            continue
        cmd = step.lstrip("~").format(**real)
        p = subprocess.run(shlex.split(cmd), capture_output=True, text=True, timeout=60)
        out.append((step, p.returncode, _sorted_if(step, normalize(p.stdout, host.prefix)),
                    _sorted_if(step, normalize(p.stderr, host.prefix))))
    return out


def _host_setup(host, real: dict, step: str) -> None:
    op, *args = step.split()
    if op == "@veth":
        host.run(f"ip -n {real[args[0]]} link add {args[1]} type veth peer name {args[3]} "
                 f"netns {real[args[2]]}")
    elif op == "@addr":
        host.run(f"ip -n {real[args[0]]} addr add {args[2]} dev {args[1]}")
    elif op == "@deladdr":
        host.run(f"ip -n {real[args[0]]} addr del {args[2]} dev {args[1]}")
    elif op in ("@up", "@down"):
        host.run(f"ip -n {real[args[0]]} link set {args[1]} {op[1:]}")
    elif op == "@sysctl":
        host.run(f"sysctl -qw {args[1]}", ns=args[0])
    elif op == "@ping":
        wait = f" -W {args[2]}" if len(args) > 2 else ""
        host.run(f"ping -c1{wait} {args[1]} >/dev/null", ns=args[0], check=False)
    elif op == "@sleep":
        time.sleep(float(args[0]))
    else:
        raise ValueError(step)


def run_netns_emulated(steps) -> list[tuple[str, int, str, str]]:
    lab = Lab()
    out = []
    for step in steps:
        cmd = step.format(**{n: n for n in _names(steps)})
        rc, so, se = run(lab, shlex.split(cmd))
        out.append((step, rc, normalize(so), normalize(se)))
    return out


def run_netns_on_host(host, steps) -> list[tuple[str, int, str, str]]:
    """All steps in one private mount namespace whose /run/netns is a fresh tmpfs."""
    real = {n: f"{host.prefix}-{n}" for n in _names(steps)}
    with tempfile.TemporaryDirectory() as tmp:
        script = ["set -u", "mount -t tmpfs vnetlab-netns /run/netns"]
        for i, step in enumerate(steps):
            cmd = step.format(**real)
            script.append(f"{cmd} >{tmp}/{i}.out 2>{tmp}/{i}.err; echo $? >{tmp}/{i}.rc")
        script.append("ip -all netns del >/dev/null 2>&1; umount /run/netns")
        subprocess.run(["unshare", "-m", "--propagation", "private", "bash", "-c",
                        "\n".join(script)], check=True, timeout=120)
        out = []
        for i, step in enumerate(steps):
            rd = lambda ext: Path(tmp, f"{i}.{ext}").read_text()  # noqa: E731
            out.append((step, int(rd("rc")), normalize(rd("out"), host.prefix),
                        normalize(rd("err"), host.prefix)))
    return out


def _compare(expected, got) -> None:
    """Step-by-step equality, reported with the first differing command."""
    assert [e[0] for e in expected] == [g[0] for g in got]
    for e, g in zip(expected, got):
        assert g[1:] == e[1:], f"step {e[0]!r}\n  kernel: {e[1:]!r}\n  emu:    {g[1:]!r}"


# =============================================================================================
# tests: against the host kernel (root) and against the stored transcripts (no root)
# =============================================================================================

@pytest.mark.parametrize("name", list(SCENARIOS))
def test_matches_host_kernel(host, name):
    steps = SCENARIOS[name]
    _compare(run_on_host(host, steps), run_emulated(steps))


def test_netns_matches_host_kernel(host):
    _compare(run_netns_on_host(host, NETNS), run_netns_emulated(NETNS))


def _golden() -> dict:
    if not GOLDEN.exists():
        pytest.skip(f"no golden transcripts at {GOLDEN}")
    return json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("name", list(SCENARIOS) + ["netns"])
def test_matches_golden_transcript(name):
    golden = _golden()
    if name not in golden:
        pytest.skip(f"{name} was not captured")
    expected = [tuple(x) for x in golden[name]]
    got = run_netns_emulated(NETNS) if name == "netns" else run_emulated(SCENARIOS[name])
    _compare(expected, got)


# =============================================================================================
# emulator-only checks of what the kernel comparison cannot pin down
# =============================================================================================

def test_netns_ids_are_listed_once_assigned():
    lab = Lab()
    for cmd in ("ip netns add x", "ip netns add y", "ip netns set y 3"):
        assert run(lab, shlex.split(cmd))[0] == 0
    assert run(lab, ["ip", "netns", "list"]) == (0, "y (id: 3)\nx\n", "")
    assert run(lab, ["ip", "-j", "netns"]) == (0, '[{"name":"y","id":3},{"name":"x"}]\n', "")
    assert run(lab, ["ip", "-n", "x", "netns"]) == (0, "y\nx\n", "")


def test_netns_exec_runs_the_command_in_the_namespace():
    lab = Lab()
    run(lab, ["ip", "netns", "add", "x"])
    ns = lab.kernel.named["x"]
    lab.set_link("lo", ns=ns, up=True)
    lab.run_for(0.01)
    rc, out, err = run(lab, shlex.split("ip netns exec x ip route get 127.0.0.1"))
    assert (rc, err) == (0, "")
    assert out == "local 127.0.0.1 dev lo src 127.0.0.1 uid 0 \n    cache <local> \n"
    assert run(lab, shlex.split("ip route get 127.0.0.1"))[0] == 2


def test_route_flush_with_two_s_prints_each_route():
    lab = Lab()
    a = lab.netns("a")
    lab.add_veth("v0", "v1", ns=a)
    lab.add_addr("v0", "10.0.0.1/24", ns=a)
    lab.set_link("v0", ns=a, up=True)
    rc, out, err = run(lab, shlex.split("ip -n a -s -s route flush table main"))
    assert rc == 0 and err == ""
    assert out == ("10.0.0.0/24 dev v0 proto kernel scope link src 10.0.0.1 linkdown \n"
                   "\n*** Round 1, deleting 1 entries ***\n"
                   "*** Flush is complete after 1 round ***\n")

