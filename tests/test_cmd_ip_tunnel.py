"""``ip tunnel`` and ``ip link ... type ipip`` (iproute2 6.1 ip/iptunnel.c, ip/link_iptnl.c),
``ip -d link``, ``ip -br``, ``ifconfig`` of ipip devices, against the reference kernel.

The transcript tests/golden/vm-6.1/ipip-cases.out was made on the reference-kernel VM (Debian
6.1 kernel, iproute2 6.1, net-tools 2.10) by ``ipip-gen.sh ipip-cases.txt``: each line run in
order in one fresh netns, with its stdout, stderr (``! ``) and status. The capture used
``$(...)``, which drops trailing blank lines: outputs are compared with those removed. Random
MACs (the veth pair) are masked.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import golden_cases

from ipv6_off import disable_ipv6
from normalize import normalize
from vnetlab.api import Lab
from vnetlab.commands import run

GOLDEN = Path(__file__).parent / "golden" / "vm-6.1"


def load(name: str) -> list[tuple[str, str, str, int]]:
    return golden_cases.load(name, GOLDEN)


CASES = load("ipip-cases.out")


def _strip(text: str) -> str:
    """What ``out=$(cmd); printf '%s\\n' "$out"`` keeps of a command's output."""
    text = text.rstrip("\n")
    return text + "\n" if text else ""


def test_golden_transcript_is_loaded_and_covers_the_commands():
    assert len(CASES) >= 120
    cmds = " ".join(c[0] for c in CASES)
    for word in ("ip tunnel add", "ip tunnel change", "ip tunnel del", "ip tunnel show",
                 "type ipip", "ifconfig tunl0", "ip -d link show tunl0"):
        assert word in cmds


def test_ip_tunnel_and_ipip_links_match_the_reference_kernel_transcript():
    lab = Lab()
    ns = lab.netns("s")
    disable_ipv6(lab, "s")                            # as ipip-gen.sh did in its netns
    for cmd, out, err, rc in CASES:
        if "|" in cmd:                                # a shell pipeline: not an ip command
            continue
        got = run(lab, shlex.split(cmd), ns=ns)
        assert (got[0], normalize(_strip(got[1])), got[2]) == \
            (rc, normalize(out), err), cmd


def test_first_tunnel_command_loads_ipip_and_tunl0_collides():
    """§13 / the transcript: ``ip tunnel show`` alone loads nothing; naming tunl0 does; a
    wildcard ``ip tunnel add`` is the same tunnel as tunl0 (EEXIST, exit 1)."""
    lab = Lab()
    ns = lab.netns("s")
    assert run(lab, ["ip", "tunnel", "show"], ns=ns) == (0, "", "")
    assert "ipip" not in lab.kernel.modules
    assert run(lab, ["ip", "tunnel", "add", "tunl0", "mode", "ipip"], ns=ns) == \
        (1, "", 'add tunnel "tunl0" failed: File exists\n')
    assert "ipip" in lab.kernel.modules
    assert run(lab, ["ip", "tunnel", "del", "tunl0"], ns=ns) == \
        (1, "", 'delete tunnel "tunl0" failed: Operation not permitted\n')
    assert run(lab, ["ip", "tunnel", "frob"], ns=ns) == \
        (255, "", 'Command "frob" is unknown, try "ip tunnel help"\n')
