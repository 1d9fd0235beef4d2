#!/usr/bin/env python3
"""Captures tests/golden/host-6.18/nettools-cases.json from the real net-tools 2.10 (Debian 12's
``net-tools`` package) on the host kernel (run as root): every line of nettools-cases.txt, run
in order in one throwaway netns, with its exact stdout, stderr and exit status.

    sudo .venv/bin/python tests/golden/host-6.18/gen_nettools.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))          # tests/

from conftest import HostKernel  # noqa: E402
from test_cmd_nettools import CASES_TXT, GOLDEN_JSON, capture_on_host  # noqa: E402


def main() -> None:
    host = HostKernel()
    try:
        rows = capture_on_host(host, CASES_TXT.read_text().splitlines())
    finally:
        host.cleanup()
    GOLDEN_JSON.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {GOLDEN_JSON} ({len(rows)} commands)")


if __name__ == "__main__":
    main()
