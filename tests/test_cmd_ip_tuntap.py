"""``ip tuntap`` / ``ip tap`` (iproute2 6.1 ip/iptuntap.c) and ``ip -d link`` of kind tun, against
the host: a stored transcript of iproute2 6.1 on Linux 6.18 (``tests/golden/host-6.18/
tuntap-cases.out``, made by ``gen_cases.sh tuntap-cases.txt`` in one fresh netns), re-checked live
on the host when root. Covers the parser's messages and exit statuses, the ioctl errors
(TUN-02/03), ``show`` text / JSON, the ``-d`` printer, ``ip link add … type tun`` (refused by
the kernel), carrier of a persistent tun without a file (TUN-07) and the MTU / MAC rules of
TUN-05/06."""

from __future__ import annotations

import subprocess

from golden_cases import GOLDEN, load, run_emulated
from vnetlab.api import Lab

CASES = load("tuntap-cases.out")


def test_golden_transcript_is_loaded():
    assert len(CASES) >= 90


def test_ip_tuntap_matches_host_transcript():
    lab = Lab()
    ns = lab.netns("s")
    for cmd, out, err, rc in CASES:
        got = run_emulated(lab, ns, cmd)
        assert (got[0], got[1], got[2]) == (rc, out, err), cmd


def test_ip_tuntap_transcript_still_matches_live_host(host):
    """Re-run the cases on the host now: the stored transcript must still be what it prints."""
    p = subprocess.run(["bash", str(GOLDEN / "gen_cases.sh"), str(GOLDEN / "tuntap-cases.txt")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0
    assert p.stdout == (GOLDEN / "tuntap-cases.out").read_text()


def test_ip_tap_is_an_alias_of_tuntap():
    lab = Lab()
    ns = lab.netns("s")
    assert run_emulated(lab, ns, "ip tap add dev z0 mode tap")[0] == 0
    assert run_emulated(lab, ns, "ip tap")[1] == "z0: tap persist\n"
    assert run_emulated(lab, ns, "ip tap del dev z0 mode tap")[0] == 0
    assert run_emulated(lab, ns, "ip tuntap")[1] == ""


def test_details_show_lists_no_processes():
    lab = Lab()
    ns = lab.netns("s")
    run_emulated(lab, ns, "ip tuntap add dev t0 mode tun user 4242")
    assert run_emulated(lab, ns, "ip -d tuntap show")[1] == \
        "t0: tun persist user 4242\n\tAttached to processes:\n"
    assert run_emulated(lab, ns, "ip -o -d tuntap show")[1] == \
        "t0: tun persist user 4242\\\tAttached to processes:\n"
    assert run_emulated(lab, ns, "ip -j -d tuntap show")[1] == \
        '[{"ifname":"t0","flags":["tun","persist"],"user":4242,"processes":[]}]\n'
