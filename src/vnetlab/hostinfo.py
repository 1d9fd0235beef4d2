"""Facts about the machine vnetlab runs on that the emulated kernel mirrors by default.

The core never reads them itself (it does no I/O); the entry points that stand for "this
machine's kernel" (``vnetlab sh``, ``vnetlab run``, ``vnetlab shell``) pass them in, so an
emulated script prints what the real kernel here would. ``VNETLAB_CPUS=N`` overrides.
"""

from __future__ import annotations

import os


def possible_cpus() -> int:
    """num_possible_cpus(): the CPUs in /sys/devices/system/cpu/possible ("0-1" -> 2)."""
    env = os.environ.get("VNETLAB_CPUS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    try:
        with open("/sys/devices/system/cpu/possible") as f:
            text = f.read().strip()
    except OSError:
        return os.cpu_count() or 1
    n = 0
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        try:
            n += int(hi or lo) - int(lo) + 1
        except ValueError:
            return os.cpu_count() or 1
    return max(1, n)
