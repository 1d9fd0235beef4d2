"""The kernel is the judge: every script of tests/conformance runs under `vnetlab sh` on the
emulator and on the real kernel (the linux backend's sandbox); normalized outputs must match."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from normalize import normalize

HERE = Path(__file__).parent / "conformance"
SCRIPTS = sorted(p for p in HERE.glob("[0-9]*.sh"))


def _sandbox_reason() -> str | None:
    if shutil.which("unshare") is None:
        return "needs util-linux unshare"
    probe = (["unshare", "--mount", "--net", "true"] if os.geteuid() == 0 else
             ["unshare", "--user", "--map-root-user", "--mount", "--net", "true"])
    if subprocess.run(probe, capture_output=True).returncode != 0:
        return "this machine refuses new mount/network namespaces"
    if shutil.which("ip") is None or shutil.which("ping") is None:
        return "the linux backend needs the real iproute2 and iputils-ping"
    return None


def run(script: Path, backend: str) -> tuple[int, str]:
    p = subprocess.run([sys.executable, "-m", "vnetlab.cli", "sh", "--backend", backend,
                        str(script)], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_conformance(script):
    reason = _sandbox_reason()
    if reason:
        pytest.skip(reason)
    rc_linux, out_linux = run(script, "linux")
    rc_emu, out_emu = run(script, "emu")
    assert normalize(out_emu) == normalize(out_linux)
    assert rc_emu == rc_linux


def test_there_are_conformance_scripts():
    assert len(SCRIPTS) >= 10
