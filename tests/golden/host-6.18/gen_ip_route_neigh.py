#!/usr/bin/env python3
"""Captures tests/golden/host-6.18/ip-route-neigh.json from the real tools (run as root):
every scenario of tests/test_cmd_ip_route_neigh.py, run in throwaway namespaces on the host
kernel (iproute2 6.1, Linux 6.18 here), normalized the way the test compares them.

    sudo .venv/bin/python tests/golden/host-6.18/gen_ip_route_neigh.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))          # tests/

from conftest import HostKernel  # noqa: E402
from test_cmd_ip_route_neigh import (GOLDEN, NETNS, SCENARIOS, run_netns_on_host,  # noqa: E402
                                     run_on_host)


def main() -> None:
    out = {}
    for name, steps in SCENARIOS.items():
        host = HostKernel()
        try:
            out[name] = run_on_host(host, steps)
        finally:
            host.cleanup()
    host = HostKernel()
    out["netns"] = run_netns_on_host(host, NETNS)
    GOLDEN.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {GOLDEN}")


if __name__ == "__main__":
    main()
