"""The dummy device (vnetlab.devices.dummy, drivers/net/dummy.c) against the reference kernel.

tests/golden/vm-6.1/dummy-cases.out was made on the reference-kernel VM (Debian 6.1, iproute2
6.1; the host kernel has no dummy module) by ``dummy-gen.sh dummy-cases.txt``: each line run in
order in one fresh netns, with its stdout, stderr (``! ``) and status. Random MACs are masked.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import golden_cases

from normalize import normalize
from ipv6_off import disable_ipv6
from vnetlab.api import Lab
from vnetlab.commands import run

GOLDEN = Path(__file__).parent / "golden" / "vm-6.1"


def load(name: str) -> list[tuple[str, str, str, int]]:
    return golden_cases.load(name, GOLDEN)


def _strip(text: str) -> str:
    text = text.rstrip("\n")
    return text + "\n" if text else ""


def replay(name: str) -> list:
    """Run the transcript's ip/ping lines on the emulator; return the mismatches."""
    lab = Lab()
    ns = lab.netns("s")
    disable_ipv6(lab, "s")                    # as dummy-gen.sh did in its netns
    bad = []
    for cmd, out, err, rc in load(name):
        if cmd.startswith(("cat ", "sleep")) or "|" in cmd:
            lab.engine.run_for(200_000_000)
            continue
        got = run(lab, shlex.split(cmd), ns=ns)
        lab.engine.run_for(10_000_000)
        if (got[0], normalize(_strip(got[1])), got[2]) != (rc, normalize(out), err):
            bad.append((cmd, got, (rc, out, err)))
    return bad


def test_DUMMY_golden_transcript_matches_the_reference_kernel():
    """DUMMY-02/03/04: shape (BROADCAST,NOARP, qlen 1000, noqueue, minmtu/maxmtu 0, UNKNOWN when
    up), EEXIST, given MAC/MTU, tx counted then dropped (196 bytes for two pings)."""
    cases = load("dummy-cases.out")
    assert len(cases) >= 20
    assert replay("dummy-cases.out") == []


def test_DUMMY_03_transmit_counts_then_drops():
    lab = Lab()
    ns = lab.netns("s")
    disable_ipv6(lab, "s")        # as in the golden's netns: the counts are the pings' alone (no RS)
    for c in ("ip link add d0 type dummy", "ip link set d0 up", "ip addr add 10.9.0.1/24 dev d0"):
        assert run(lab, shlex.split(c), ns=ns)[0] == 0
    rc, out, _ = run(lab, shlex.split("ping -c 3 -W 1 10.9.0.7"), ns=ns)
    assert rc == 1 and "3 packets transmitted, 0 received" in out
    dev = ns.dev("d0")
    st = dev.get_stats64()
    assert (st["tx_packets"], st["tx_bytes"], st["rx_packets"]) == (3, 3 * 98, 0)


def test_DUMMY_01_module_load_with_systemd_numdummies_0_makes_no_dummy0():
    """On the reference VM (tests/golden/vm-6.1/dummy-initns.txt) ``ip link show`` in the
    initial netns after the autoload shows no dummy0: systemd's modprobe.d sets numdummies=0."""
    lab = Lab()
    ns = lab.netns("s")
    assert "dummy" not in lab.kernel.modules
    assert run(lab, shlex.split("ip link add d0 type dummy"), ns=ns)[0] == 0
    assert "dummy" in lab.kernel.modules
    init = lab.kernel.init_ns
    assert "dummy0" not in init.by_name and "dummy0" not in ns.by_name
    assert run(lab, ["modprobe", "dummy"], ns=ns)[0] == 0
    assert not [d for d in init.devices if d.kind == "dummy"]
    golden = (GOLDEN / "dummy-initns.txt").read_text()
    assert "dummy" in golden and "dummy0" not in golden


def test_DUMMY_02_invalid_given_mac_is_refused():
    lab = Lab()
    ns = lab.netns("s")
    rc, out, err = run(lab, shlex.split("ip link add d0 address 01:00:00:00:00:01 type dummy"),
                       ns=ns)
    assert rc == 2 and err == "RTNETLINK answers: Cannot assign requested address\n"


def test_DUMMY_conformance_33_matches_the_stored_reference_kernel_run():
    """tests/conformance/33-dummy.sh as the VM ran it (gen_conf.sh 33 -> conf-33-dummy.out)."""
    import subprocess
    import sys

    from normalize import emu_as_vm, vm_quirks
    script = Path(__file__).parent / "conformance" / "33-dummy.sh"
    p = subprocess.run([sys.executable, "-m", "vnetlab.cli", "sh", "--backend", "emu",
                        str(script)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=120)
    got = normalize(vm_quirks(emu_as_vm(p.stdout)))
    assert got == normalize(vm_quirks((GOLDEN / "conf-33-dummy.out").read_text()))
