"""The tutorials (docs/tutorial/): every lab passes ``vnetlab run`` on the emulator, the labs that
say ``# backends: ... linux`` also pass on the host kernel, and every expected-output block in
the markdown pages is what a real run prints now, so the docs cannot rot.

An expected-output block is a fenced block right after a marker line

    <!-- output of: COMMAND -->

where COMMAND is ``vnetlab ...`` or ``python ...``, run from the repository root with stdout
on a pipe (so rich tables are 120 columns wide, without colour).
"""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vnetlab.lab.load import load, parse
from vnetlab.lab.run import BuildProgress, run_emu

ROOT = Path(__file__).resolve().parent.parent
TUT = ROOT / "docs" / "tutorial"
LABS = sorted(TUT.glob("*.yaml"))
PAGES = sorted(TUT.glob("[0-9][0-9]-*.md"))
SECTIONS = ["01-tun", "02-tap", "03-macvlan-modes", "04-vepa", "05-macvtap", "06-ipvlan",
            "07-veth", "08-ifb", "09-lvs-vs-tun"]
MARKER = re.compile(r"^<!-- output of: (.+?) -->\n```[a-z]*\n(.*?)^```$", re.M | re.S)


def blocks(page: Path) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in MARKER.finditer(page.read_text())]


def backends(lab: Path) -> set[str]:
    m = re.search(r"^# backends: (.+)$", lab.read_text(), re.M)
    assert m, f"{lab.name}: no '# backends: ...' line"
    return set(m.group(1).split("(")[0].split())


def argv_of(cmd: str) -> list[str]:
    argv = shlex.split(cmd)
    if argv[0] == "vnetlab":
        exe = Path(sys.executable).parent / "vnetlab"
        return [str(exe) if exe.exists() else shutil.which("vnetlab") or "vnetlab"] + argv[1:]
    if argv[0] == "python":
        return [sys.executable] + argv[1:]
    raise AssertionError(f"unsupported command in a marker: {cmd!r}")


# -- the set of pages and labs -------------------------------------------------------------------
def test_every_section_has_a_page_and_a_lab():
    assert [p.stem for p in PAGES] == SECTIONS
    assert [p.stem for p in LABS] == SECTIONS
    for page in PAGES:
        text = page.read_text()
        assert f"docs/tutorial/{page.stem}.yaml" in text, page.name
        assert "Checked on" in text, page.name
        assert blocks(page), f"{page.name}: no expected-output block"


def test_index_lists_every_page():
    text = (TUT / "README.md").read_text()
    for s in SECTIONS:
        assert f"({s}.md)" in text


# -- every lab on the emulator -------------------------------------------------------------------
@pytest.mark.parametrize("path", LABS, ids=lambda p: p.stem)
def test_lab_passes_on_emu(path):
    assert "emu" in backends(path)
    model = load(path)
    assert model.checks, "a tutorial lab must check something"
    outcome, _ = run_emu(model, progress=False)
    bad = [f"{r.where}: {r.title}: {r.detail}" for r in outcome.results if not r.ok]
    assert outcome.setup_error is None, outcome.setup_error
    assert not bad, bad


def _mutate(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize("name,old,new", [
    # the round robin must start from the most recently added real server
    ("09-lvs-vs-tun", "expect: [rs3, rs2, rs3, rs2]", "expect: [rs2, rs3, rs2, rs3]"),
    # without arp_ignore on the real servers, rs3 answers the VIP's ARP and takes every request
    ("09-lvs-vs-tun", '- echo "1" >/proc/sys/net/ipv4/conf/all/arp_ignore\n      - echo "2" >'
                      '/proc/sys/net/ipv4/conf/all/arp_announce\n      - vnetlab-httpd --text rs3',
     "- vnetlab-httpd --text rs3"),
    ("04-vepa", "{wire: host:eth0, switch: hairpin, hairpin: true}",
     "{wire: host:eth0, switch: hairpin, hairpin: false}"),
    ("03-macvlan-modes", "name pr2 netns c2 type macvlan mode private",
     "name pr2 netns c2 type macvlan mode bridge"),
])
def test_labs_can_fail(name, old, new):
    """The checks are sharp: a change of behaviour turns the lab red (exit status 1)."""
    text = _mutate((TUT / f"{name}.yaml").read_text(), old, new)
    if name == "03-macvlan-modes":
        text = _mutate(text, "name pr1 netns c1 type macvlan mode private",
                       "name pr1 netns c1 type macvlan mode bridge")
        text = text.replace("macvlan mode private", "macvlan mode bridge")
    outcome, _ = run_emu(parse(text, f"{name}.yaml"), progress=False)
    assert outcome.setup_error is None, outcome.setup_error
    assert outcome.exit_code == 1


# -- the markdown's expected output is what a run prints -----------------------------------------
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_expected_output_matches_a_run(page):
    for cmd, want in blocks(page):
        p = subprocess.run(argv_of(cmd), cwd=ROOT, capture_output=True, text=True, timeout=120,
                           env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1"})
        assert p.stdout == want, (f"{page.name}: the output of {cmd!r} changed:\n{p.stdout}"
                                  f"\n(stderr: {p.stderr})")
        assert p.stderr == "", p.stderr      # no progress bar when stderr is not a terminal


# -- the labs that the host kernel can run --------------------------------------------------------
def _host_reason(lab: Path) -> str | None:
    if os.geteuid() != 0:
        return "needs root"
    for tool in ("unshare", "ip", "ping", "bridge", "tc"):
        if shutil.which(tool) is None:
            return f"needs {tool}"
    r = subprocess.run(["unshare", "--net", "sh", "-c",
                        "ip link add d0 type veth peer name d1 && "
                        "ip link add link d0 name m0 type macvtap mode bridge && "
                        "ip tuntap add dev t0 mode tun && ip link add i0 type ifb"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return f"host kernel lacks veth/macvtap/tun/ifb: {r.stderr.strip()}"
    return None


LINUX_LABS = [p for p in LABS if "linux" in backends(p)]


@pytest.mark.parametrize("path", LINUX_LABS, ids=lambda p: p.stem)
def test_lab_passes_on_the_host_kernel(path):
    why = _host_reason(path)
    if why:
        pytest.skip(why)
    p = subprocess.run(argv_of(f"vnetlab run --backend linux {path}"), cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr


# -- the build progress bar --------------------------------------------------------------------
class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal_and_after_a_delay():
    import time
    from vnetlab.lab.run import EmuRun
    model = load(TUT / "09-lvs-vs-tun.yaml")
    steps = len(model.links) + sum(len(n.setup) for n in model.nodes.values())
    seen = []
    EmuRun(model).build(progress=lambda done, total, what: seen.append((done, total)))
    assert len(seen) == steps and seen[-1] == (steps, steps)

    quiet = BuildProgress(stream=io.StringIO(), after=0.0).start()   # not a terminal: nothing
    assert not quiet.enabled
    EmuRun(model).build(progress=quiet)
    quiet.close()
    assert quiet.stream.getvalue() == ""

    late = BuildProgress(stream=_Tty(), after=3600.0).start()        # a fast build: nothing
    EmuRun(model).build(progress=late)
    late.close()
    assert late.stream.getvalue() == ""

    slow = BuildProgress(stream=_Tty(), after=0.0).start()           # a slow build: the bar
    for _ in range(200):                                             # the timer thread shows it
        if slow._bar is not None:
            break
        time.sleep(0.01)
    EmuRun(model).build(progress=slow)
    slow.close()
    out = slow.stream.getvalue()
    assert "building" in out and f"{steps}/{steps}" in out
