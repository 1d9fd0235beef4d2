"""Golden command transcripts captured from the real tools on the host kernel.

A ``*.out`` file (made by ``tests/golden/host-6.18/gen_cases.sh CASES``) holds, for each command
line run in order in one fresh netns: ``$ CMD``, its stdout lines, its stderr lines prefixed with
``! ``, then ``rc=N``.
"""

from __future__ import annotations

import shlex
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden" / "host-6.18"


def load(name: str, base: Path = GOLDEN) -> list[tuple[str, str, str, int]]:
    """The (command, stdout, stderr, status) cases of ``base/name`` (host goldens by default;
    the VM's are in ``golden/vm-6.1``)."""
    cases = []
    cmd, out, err = None, [], []
    for line in (base / name).read_text().splitlines():
        if line.startswith("$ "):
            cmd, out, err = line[2:], [], []
        elif line.startswith("rc="):
            cases.append((cmd, "".join(o + "\n" for o in out), "".join(e + "\n" for e in err),
                          int(line[3:])))
        elif line.startswith("! "):
            err.append(line[2:])
        else:
            out.append(line)
    return cases


def run_emulated(lab, ns, cmdline: str):
    from vnetlab.commands import run
    return run(lab, shlex.split(cmdline), ns=ns)
