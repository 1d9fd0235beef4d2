#!/usr/bin/env python3
"""Regenerate the golden transcripts of ``ip link`` / ``ip address`` taken from the host
(Linux 6.18, iproute2 6.1). Needs root. Run from the repository root:

    sudo .venv/bin/python tests/golden/host-6.18/make_ip_link_addr.py

Writes ``ip-link-addr/<scenario>.txt`` (tests/ip_scenarios.py run on the host kernel, normalised)
and ``ip-link-addr/stats-columns.json``: the counters and ``ip -s`` / ``ip -s -s`` text of a veth
end after ~11 GB of flood ping, where iproute2's column sizing has to widen the bytes and
packets columns (size_columns()).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, TESTS)

from conftest import HostKernel  # noqa: E402
import ip_scenarios as S  # noqa: E402

OUT = os.path.join(HERE, "ip-link-addr")


def scenarios() -> None:
    for name, steps in S.SCENARIOS.items():
        h = HostKernel()
        try:
            text = S.run_host(steps, h)
        finally:
            h.cleanup()
        with open(os.path.join(OUT, f"{name}.txt"), "w") as f:
            f.write(text)
        print("wrote", name)


def stats_columns(count: int = 170000) -> None:
    h = HostKernel()
    try:
        a, b = h.ns("a"), h.ns("b")
        sh = f"""
        for n in {a} {b}; do ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
            net.ipv6.conf.default.disable_ipv6=1; done
        ip -n {a} link add v0 type veth peer name v1 netns {b}
        ip -n {a} addr add 10.9.0.1/24 dev v0
        ip -n {b} addr add 10.9.0.2/24 dev v1
        ip -n {a} link set v0 up; ip -n {b} link set v1 up; sleep 1.1
        ip netns exec {a} ping -f -q -c {count} -s 65507 10.9.0.2 >/dev/null
        """
        subprocess.run(["bash", "-c", sh], check=True)
        cap = {}
        for key, argv in (("json", ["-j", "-s", "-s"]), ("s", ["-s"]), ("ss", ["-s", "-s"]),
                          ("sh", ["-s", "-h"])):
            p = subprocess.run(["ip", "-n", a] + argv + ["link", "show", "v0"],
                               capture_output=True, text=True, check=True)
            cap[key] = S.normalize(p.stdout.replace(b, "b"))
        cap["json"] = json.loads(cap["json"])
    finally:
        h.cleanup()
    with open(os.path.join(OUT, "stats-columns.json"), "w") as f:
        json.dump(cap, f, indent=1)
        f.write("\n")
    print("wrote stats-columns")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    which = sys.argv[1:]
    if not which or "scenarios" in which:
        scenarios()
    if not which or "stats" in which:
        stats_columns()
