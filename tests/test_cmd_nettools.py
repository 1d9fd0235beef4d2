"""ifconfig and route (net-tools 2.10) against the real tools on the host kernel.

The transcript tests/golden/host-6.18/nettools-cases.json holds, for each line of
nettools-cases.txt run in order in one fresh netns on the host (gen_nettools.py), the exact
stdout, stderr and exit status; the emulator must print the same bytes. ``sleep`` lines advance
the emulator's virtual clock. The ``host`` tests re-run scenarios live when root is available.
"""

from __future__ import annotations

import json
import shlex
import subprocess

import pytest

from golden_cases import GOLDEN
from ipv6_off import disable_ipv6
from vnetlab.api import Lab
from vnetlab.commands import run

CASES_TXT = GOLDEN / "nettools-cases.txt"
GOLDEN_JSON = GOLDEN / "nettools-cases.json"


def capture_on_host(host, lines: list[str]) -> list[list]:
    """Run each line with bash in one throwaway netns; [cmd, rc, stdout, stderr] per line."""
    ns = host.ns("nt")
    rows = []
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        p = subprocess.run(["ip", "netns", "exec", ns, "bash", "-c", line],
                           capture_output=True, timeout=60)
        rows.append([line, p.returncode, p.stdout.decode("utf-8", "surrogateescape"),
                     p.stderr.decode("utf-8", "surrogateescape")])
    return rows


def run_emulated(lab, ns, lines: list[str]) -> list[list]:
    rows = []
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        argv = shlex.split(line)
        if argv[0] == "sleep":
            lab.run_for(float(argv[1]))
            rows.append([line, 0, "", ""])
            continue
        rc, out, err = run(lab, argv, ns=ns)
        rows.append([line, rc, out, err])
    return rows


def _golden() -> list[list]:
    return json.loads(GOLDEN_JSON.read_text())


def test_golden_transcript_is_complete():
    rows = _golden()
    lines = [x for x in CASES_TXT.read_text().splitlines() if x.strip() and not x.startswith("#")]
    assert [r[0] for r in rows] == lines
    assert len(rows) >= 200


def test_nettools_match_host_transcript():
    lab = Lab()
    lab.kernel.missing_modules.add("ipip")    # the host kernel 6.18 has no ipip (tunl0)
    ns = lab.netns("s")
    want = _golden()
    got = run_emulated(lab, ns, [r[0] for r in want])
    for w, g in zip(want, got):
        assert g == w, w[0]


def test_transcript_still_matches_live_host(host):
    """Re-run the cases with the real net-tools now: the stored transcript must still be what
    they print (needs root and Debian's net-tools)."""
    import shutil
    if shutil.which("ifconfig") is None or shutil.which("route") is None:
        pytest.skip("needs net-tools (apt-get install net-tools)")
    want = _golden()
    got = capture_on_host(host, [r[0] for r in want])
    for w, g in zip(want, got):
        assert g == w, w[0]


# the seed's director / real-server addressing on a veth pair, run live on both sides
SEED_STEPS = [
    ("dir", "ip link add eth0 type veth peer name eth1 netns {rs}"),
    ("dir", "ifconfig eth0 200.168.10.1"),
    ("rs", "ifconfig eth1 200.168.10.2"),
    ("dir", "ifconfig lo up"),
    ("rs", "ifconfig lo up"),
    ("dir", "sleep 1.2"),
    ("dir", "ifconfig eth0"),
    ("rs", "ifconfig -a"),
    ("dir", "route -n"),
    ("dir", "ifconfig eth0:0 200.168.10.10 netmask 255.255.255.255 up"),
    ("dir", "route add -host 200.168.10.10 dev eth0"),
    ("dir", "route add -host 200.168.10.10 dev eth0"),
    ("dir", "ping -c 1 200.168.10.2"),
    ("rs", "ping -c 1 200.168.10.10"),
    ("dir", "ping -c 3 -i 0.2 -s 1400 200.168.10.2"),
    ("dir", "ifconfig"),
    ("dir", "ifconfig -s"),
    ("dir", "route -n"),
    ("dir", "ifconfig tunl0 200.168.10.10 netmask 255.255.255.255 up"),
    ("dir", "route add -host 200.168.10.10 dev tunl0"),
    ("rs", "route del -host 200.168.10.10"),
    ("rs", "ifconfig eth1 down"),
    ("dir", "sleep 1.2"),
    ("dir", "ifconfig -a"),
]


def _norm(rows):
    from normalize import normalize
    return [[c, rc, normalize(o), normalize(e)] for c, rc, o, e in rows]


def test_seed_director_matches_live_host(host):
    import shutil
    if shutil.which("ifconfig") is None:
        pytest.skip("needs net-tools (apt-get install net-tools)")
    for short in ("dir", "rs"):
        host.run("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                 "net.ipv6.conf.default.disable_ipv6=1", ns=short)
    names = {"rs": host.ns("rs"), "dir": host.ns("dir")}
    want = []
    for ns, cmd in SEED_STEPS:
        p = host.run(cmd.format(**names), ns=ns, check=False)
        want.append([cmd, p.returncode, p.stdout, p.stderr])
    lab = Lab()
    lab.kernel.missing_modules.add("ipip")    # the host kernel 6.18 has no ipip (tunl0)
    nss = {"dir": lab.netns("dir"), "rs": lab.netns("rs")}
    for short in nss:
        disable_ipv6(lab, short)              # as on the host side above
    got = []
    for ns, cmd in SEED_STEPS:
        got.extend(run_emulated(lab, nss[ns], [cmd.format(rs="rs", dir="dir")]))
        got[-1][0] = cmd
    time_re = __import__("re").compile(r"time=[0-9.]+ ms|rtt min/avg/max/mdev = [0-9./]+ ms")
    for w, g in zip(_norm(want), _norm(got)):
        w[2], g[2] = time_re.sub("T", w[2]), time_re.sub("T", g[2])
        assert g == w, w[0]


# -- the C helpers, against the values the C code gives --------------------------------------

def test_nstrcmp_matches_the_c_test_vectors():
    from vnetlab.commands.nettools import nstrcmp
    sign = lambda x: (x > 0) - (x < 0)                        # noqa: E731
    vectors = [("eth1", "eth1", 0), ("eth0:1", "eth0:1", 0), ("lan", "lan", 0), ("100", "100", 0),
               ("", "", 0), (":", ":", 0), ("a:b:c", "a:b:c", 0), ("a:", "a:", 0), (":a", ":a", 0),
               ("a", "aa", -1), ("eth0", "eth1", -1), ("eth1", "eth20", -1),
               ("eth20", "eth100", -1), ("eth1", "eth13", -1), ("eth", "eth2", -1),
               ("eth0:1", "eth0:2", -1), ("eth1:10", "eth13:10", -1), ("eth1:1", "eth1:13", -1),
               ("a", "a:", -1), ("aa", "a", 1), ("eth2", "eth1", 1), ("eth13", "eth1", 1),
               ("eth2", "eth", 1), ("eth2:10", "eth2:1", 1), ("eth2:5", "eth2:4", 1),
               ("eth3:2", "eth2:3", 1), ("eth13:1", "eth1:0", 1), ("a:", "a", 1),
               ("a1b12", "a1b2", 1), ("eth1", "eth01", 1), ("eth01", "eth1", -1),
               ("eth1:1", "eth01:1", 1), ("eth01:1", "eth1:1", -1), ("eth1:1", "eth01:01", 1),
               ("eth1:01", "eth01:1", 1), ("eth01:1", "eth1:01", -1), ("eth01:01", "eth1:1", -1)]
    for a, b, want in vectors:
        assert sign(nstrcmp(a, b)) == want, (a, b)


@pytest.mark.parametrize("text,want", [
    ("10.1.2.3", 0x0A010203), ("10.1", 0x0A000001), ("10", 10), ("0x7f.1", 0x7F000001),
    ("010.0.0.1", 0x08000001), ("1.2.3.4 junk", 0x01020304), ("1.2.3.4.5", None),
    ("256.1.1.1", None), ("1.2.3.", None), (" 1.2.3.4", None), ("08", None), ("0x", None),
    ("4294967295", 0xFFFFFFFF), ("4294967296", None), ("1.16777215", 0x01FFFFFF), ("", None)])
def test_inet_aton_is_glibc(text, want):
    from vnetlab.commands.nettools import inet_aton
    assert inet_aton(text) == want


@pytest.mark.parametrize("name,ok", [("foo", True), ("a_b", True), ("a-", True), ("a.-b", True),
                                     ("-a", False), ("A=1", False), ("a..b", False),
                                     ("x" * 64, False), ("x" * 63, True), ("a\\b", True),
                                     ("é", False), (".", True), ("1.2.3.4/8", False)])
def test_res_hnok_is_glibc(name, ok):
    from vnetlab.commands.nettools import res_hnok
    assert res_hnok(name) is ok
