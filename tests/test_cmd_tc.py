"""``tc`` (iproute2 6.1 tc/) against the real tool: qdisc add/change/replace/delete/show with
ingress, clsact, tbf and the default qdiscs (noqueue / pfifo_fast), u32 filters with mirred
actions, ``-s -d -j -p -r -i``, and tc's error texts and statuses, replayed from a transcript
made on the host kernel (``tests/golden/host-6.18/tc-cases.out``, by ``tc-gen-cases.sh
tc-cases.txt``) and re-checked live when root. netem (absent from the host kernel) is checked
against a transcript from the reference VM (``tests/golden/vm-6.1/tc-netem.out``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from golden_cases import GOLDEN, load, run_emulated
from normalize import normalize
from vnetlab.api import Lab
from vnetlab.commands import run

CASES = load("tc-cases.out")
VM = Path(__file__).parent / "golden" / "vm-6.1"


def _same(got, rc, out, err) -> bool:
    # gen_cases.sh captures with $(...): trailing newlines of the output are not kept
    return (got[0], normalize(got[1].rstrip("\n")), got[2].rstrip("\n")) == \
        (rc, normalize(out.rstrip("\n")), err.rstrip("\n"))


def test_golden_transcript_is_loaded():
    assert len(CASES) >= 150


def test_tc_matches_host_transcript():
    lab = Lab()
    ns = lab.netns("s")
    for cmd, out, err, rc in CASES:
        lab.engine.run_for(10_000_000)
        got = run_emulated(lab, ns, cmd)
        assert _same(got, rc, out, err), (cmd, got, (rc, out, err))


def test_tc_transcript_still_matches_live_host(host):
    """Re-run the cases on the host now: the stored transcript must still be what it prints."""
    p = subprocess.run(["bash", str(GOLDEN / "tc-gen-cases.sh"), str(GOLDEN / "tc-cases.txt")],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0
    assert normalize(p.stdout) == normalize((GOLDEN / "tc-cases.out").read_text())


def _vm_cases(name):
    """A VM transcript: ``$ cmd`` lines, output lines, ``rc=N``."""
    path = VM / name
    if not path.exists():
        return []
    cases, cmd, out = [], None, []
    for line in path.read_text().splitlines():
        if line.startswith("$ "):
            cmd, out = line[2:], []
        elif line.startswith("rc=") and cmd is not None:
            cases.append((cmd, "".join(o + "\n" for o in out), int(line[3:])))
            cmd = None
        elif cmd is not None:
            out.append(line)
    return cases


NETEM = _vm_cases("tc-netem.out")
MATCHALL = _vm_cases("tc-matchall.out")


@pytest.mark.skipif(not NETEM, reason="no netem transcript from the reference VM")
def test_tc_netem_matches_vm_transcript():
    """netem's parser and printer (q_netem.c) against tc 6.1 on the Debian 6.1 kernel; the
    transcript mixes stdout and stderr, as the VM run recorded them."""
    lab = Lab()
    ns = lab.netns("s")
    run_emulated(lab, ns, "ip link add eth0 type veth peer name peer0")
    run_emulated(lab, ns, "ip link set eth0 up")
    run_emulated(lab, ns, "ip link set peer0 up")
    for cmd, out, rc in NETEM:
        got = run_emulated(lab, ns, cmd)
        assert (got[0], _refcnt(got[1] + got[2])) == (rc, _refcnt(out)), (cmd, got, out)


def _refcnt(text: str) -> str:
    """A root qdisc's refcnt is 1 + the tx queues of the device: a veth has one per CPU on the
    kernel (2 in the VM), one in the emulator."""
    import re
    return re.sub(r'refcnt"?:? ?\d+', "refcnt N", text)


def test_tc_usage_and_global_options():
    lab = Lab()
    rc, out, err = run(lab, ["tc"])
    assert rc == 0 and err.startswith("Usage:\ttc [ OPTIONS ] OBJECT")
    rc, out, err = run(lab, ["tc", "-V"])
    assert (rc, out) == (0, "tc utility, iproute2-6.1.0, libbpf 1.1.2\n")
    rc, out, err = run(lab, ["tc", "-x", "qdisc"])
    assert (rc, err) == (255, 'Option "-x" is unknown, try "tc -help".\n')
    lab.netns("n")
    run(lab, ["ip", "-n", "n", "link", "add", "ifb0", "type", "ifb"])
    run(lab, ["ip", "-n", "n", "link", "set", "ifb0", "up"])
    rc, out, err = run(lab, ["tc", "-n", "n", "qdisc", "show", "dev", "ifb0"])
    assert out.startswith("qdisc pfifo_fast 0: root refcnt 2 bands 3 priomap")


def test_tc_never_tracebacks_on_garbage():
    lab = Lab()
    ns = lab.netns("g")
    run_emulated(lab, ns, "ip link add eth0 type veth peer name p0")
    run_emulated(lab, ns, "tc qdisc add dev eth0 clsact")
    words = ["qdisc", "filter", "add", "del", "change", "replace", "show", "dev", "eth0", "root",
             "ingress", "egress", "clsact", "tbf", "netem", "rate", "burst", "latency", "limit",
             "u32", "match", "ip", "src", "action", "mirred", "redirect", "mirror", "egress",
             "1mbit", "10k", "1ms", "0", "0xffff", "at", "parent", "ffff:", "handle", "1:",
             "delay", "loss", "50%", "drop", "pass", "prio", "protocol", "all", "x", "-1", ""]
    import random
    rng = random.Random(7)
    for _ in range(3000):
        argv = ["tc"] + [rng.choice(words) for _ in range(rng.randrange(1, 12))]
        rc, out, err = run(lab, argv, ns=ns)
        assert isinstance(rc, int) and "Traceback" not in err and "internal error" not in err


@pytest.mark.skipif(not MATCHALL, reason="no matchall transcript from the reference VM")
def test_tc_matchall_gact_match_vm_transcript():
    """cls_matchall and act_gact (absent from the host kernel) against the Debian 6.1 VM."""
    lab = Lab()
    ns = lab.netns("s")
    run_emulated(lab, ns, "ip link add eth0 type veth peer name peer0")
    run_emulated(lab, ns, "ip link set eth0 up")
    for cmd, out, rc in MATCHALL:
        got = run_emulated(lab, ns, cmd)
        assert (got[0], got[1] + got[2]) == (rc, out), (cmd, got, out)
