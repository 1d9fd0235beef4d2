"""The core (wire codecs, the emulated stack, devices, the event engine) does no I/O and reads no
wall clock: all of its input comes through function calls and all time from ``Engine.now``.

An AST check over every core source file; each violation is reported as ``path:line: what``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "vnetlab"
CORE_DIRS = [PKG / "wire", PKG / "stack", PKG / "devices"]
CORE_FILES = [PKG / "sim.py"]

# Modules whose import alone means I/O, OS state, threads or a clock.
FORBIDDEN_MODULES = frozenset({
    "os", "sys", "io", "socket", "select", "selectors", "subprocess", "threading",
    "multiprocessing", "asyncio", "time", "datetime", "pathlib", "shutil", "tempfile", "signal",
    "logging", "urllib", "http", "requests",
    # the same effects by another door: dynamic import, raw builtins, FFI, descriptors
    "importlib", "builtins", "ctypes", "mmap", "fcntl",
})

# Builtins that do I/O (or import behind the checker's back).
FORBIDDEN_CALLS = frozenset({"open", "print", "input", "breakpoint", "__import__"})

# Wall-clock / sleeping attributes, matched on the full dotted name (so ``engine.now`` and
# ``self.time.now`` are fine, ``time.monotonic`` and ``datetime.datetime.now`` are not).
_TIME_FUNCS = ("time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns",
               "process_time", "process_time_ns", "thread_time", "thread_time_ns", "sleep",
               "localtime", "gmtime", "ctime", "asctime", "strftime")
FORBIDDEN_ATTRS = frozenset(
    {f"time.{f}" for f in _TIME_FUNCS}
    | {"datetime.now", "datetime.utcnow", "datetime.today", "date.today",
       "datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today",
       "datetime.date.today"})


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for an Attribute chain rooted at a plain name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def find_violations(source: str, filename: str = "<string>") -> list[str]:
    """Every impure construct in ``source``, as ``filename:line: description``."""
    tree = ast.parse(source, filename=filename)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FORBIDDEN_MODULES:
                    found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom):
            # relative imports (``from .time import x``) are the package's own modules
            if node.level == 0 and node.module and node.module.split(".")[0] in FORBIDDEN_MODULES:
                names = ", ".join(a.name for a in node.names)
                found.append((node.lineno, f"from {node.module} import {names}"))
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
                found.append((node.lineno, f"call to builtin {node.func.id}()"))
        elif isinstance(node, ast.Attribute):
            name = _dotted(node)
            if name in FORBIDDEN_ATTRS:
                found.append((node.lineno, f"wall clock: {name}"))
    return [f"{filename}:{line}: {what}" for line, what in sorted(found)]


def core_files() -> list[Path]:
    files = [f for d in CORE_DIRS for f in sorted(d.rglob("*.py"))]
    return files + [f for f in CORE_FILES if f.exists()]


def _rel(path: Path) -> str:
    return str(path.relative_to(SRC.parent))


def test_core_files_are_found():
    files = {_rel(f) for f in core_files()}
    # guard against the check passing vacuously because the layout moved
    for expected in ("src/vnetlab/wire/ipv4.py", "src/vnetlab/wire/checksum.py",
                     "src/vnetlab/stack/kernel.py", "src/vnetlab/devices/veth.py",
                     "src/vnetlab/sim.py"):
        assert expected in files


@pytest.mark.parametrize("path", core_files(), ids=_rel)
def test_core_module_is_pure(path: Path):
    violations = find_violations(path.read_text(encoding="utf-8"), _rel(path))
    assert not violations, "impure code in the core:\n" + "\n".join(violations)


# --------------------------------------------------------------------------- the checker itself


def test_checker_flags_print():
    src = "def f(x):\n    y = x + 1\n    print(y)\n    return y\n"
    assert find_violations(src, "snippet.py") == ["snippet.py:3: call to builtin print()"]


@pytest.mark.parametrize("src,line,what", [
    ("import os\n", 1, "import os"),
    ("x = 1\nimport os.path as p\n", 2, "import os.path"),
    ("import json, socket\n", 1, "import socket"),
    ("from time import monotonic\n", 1, "from time import monotonic"),
    ("from urllib.request import urlopen\n", 1, "from urllib.request import urlopen"),
    ("import datetime\n", 1, "import datetime"),
    ("def f():\n    with open('x') as fh:\n        return fh.read()\n", 2, "open()"),
    ("s = input()\n", 1, "input()"),
    ("m = __import__('os')\n", 1, "__import__()"),
    ("def f(time):\n    return time.monotonic()\n", 2, "time.monotonic"),
    ("cb = time.time\n", 1, "time.time"),
    ("d = datetime.datetime.now()\n", 1, "datetime.datetime.now"),
    ("d = datetime.now()\n", 1, "datetime.now"),
    ("time.sleep(1)\n", 1, "time.sleep"),
])
def test_checker_flags_impure_snippets(src, line, what):
    found = find_violations(src, "snippet.py")
    assert len(found) == 1, found
    assert found[0].startswith(f"snippet.py:{line}: ") and what in found[0]


def test_checker_accepts_pure_code():
    src = (
        "from __future__ import annotations\n"
        "import heapq, random, struct, re, errno\n"
        "from collections import deque\n"
        "from .time import helper\n"  # a sibling module that happens to be named time
        "from . import checksum\n"
        "def f(engine, data):\n"
        "    t = engine.now\n"
        "    self_time = engine.time.now\n"
        "    return struct.unpack('!H', data[:2]), re.compile('x'), t, self_time\n"
    )
    assert find_violations(src, "ok.py") == []
