"""Shared fixtures.

``host`` gives tests a way to run the same scenario on the real host kernel: namespaces it creates
carry a unique prefix and are always deleted afterwards. It skips, with the reason, when the test
cannot touch the kernel (not root, no ``ip``, no netns support).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import pytest

# Opt-in while the tree's default is still IPv6 off: VNETLAB_TEST_IPV6=1 runs every test with the
# emulated kernel built with IPv6 (as the real one is). VNETLAB_IPV6 carries it to the `vnetlab`
# CLI subprocesses (`vnetlab sh` / `run`), which read it in vnetlab.cli (the core reads no env).
if os.environ.get("VNETLAB_TEST_IPV6") == "1":
    import vnetlab.stack.kernel as _kernel
    _kernel.Kernel.IPV6_DEFAULT = True
    os.environ["VNETLAB_IPV6"] = "1"


class HostKernel:
    """Runs commands inside throwaway network namespaces on the host kernel."""

    def __init__(self):
        self.prefix = f"vnlt{uuid.uuid4().hex[:6]}"
        self.created: list[str] = []

    def ns(self, short: str) -> str:
        """Create (once) and return the real name of namespace ``short``."""
        name = f"{self.prefix}-{short}"
        if name not in self.created:
            subprocess.run(["ip", "netns", "add", name], check=True)
            self.created.append(name)
        return name

    def run(self, cmd: str, ns: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        """Run a shell command; with ``ns`` it runs inside that (short-named) namespace."""
        argv = ["bash", "-c", cmd]
        if ns is not None:
            argv = ["ip", "netns", "exec", self.ns(ns)] + argv
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError(f"{cmd!r} failed ({p.returncode}): {p.stderr}")
        return p

    def cleanup(self) -> None:
        for name in reversed(self.created):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        self.created.clear()


def _host_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root to create network namespaces on the host kernel"
    if shutil.which("ip") is None:
        return "needs iproute2's ip"
    p = subprocess.run(["ip", "netns", "add", "vnlt-probe"], capture_output=True)
    if p.returncode != 0:
        return f"host kernel refused a netns: {p.stderr.decode().strip()}"
    subprocess.run(["ip", "netns", "del", "vnlt-probe"], capture_output=True)
    return None


@pytest.fixture(scope="session")
def host_reason():
    return _host_reason()


@pytest.fixture
def host(host_reason):
    if host_reason:
        pytest.skip(host_reason)
    h = HostKernel()
    try:
        yield h
    finally:
        h.cleanup()


# The conformance report: every run that ran test_conformance writes a script x backend table to
# $VNETLAB_REPORT_DIR/conformance-report.md (default build/ at the repo root).
_CONFORMANCE_REPORTS: list = []


def pytest_runtest_logreport(report):
    if "test_conformance.py::test_conformance[" in report.nodeid:
        _CONFORMANCE_REPORTS.append(report)


def pytest_sessionfinish(session, exitstatus):
    if _CONFORMANCE_REPORTS:
        from pathlib import Path
        from test_conformance import write_report
        default = Path(__file__).resolve().parent.parent / "build"
        write_report(_CONFORMANCE_REPORTS, os.environ.get("VNETLAB_REPORT_DIR") or default)
