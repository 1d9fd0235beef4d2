"""IPv6 in the tools outside ``ip``, judged by the real tools (issue 10).

tcpdump 4.99.3 (``golden/host-6.18/ipv6``; captures made on the host kernel 6.18 by
gen_tcpdump6.sh and gen_veth.sh, texts by gen_read6.py with TZ=UTC):

* ``test_read6_golden``: ``tcpdump -r`` of IPv6 captures (MLDv2 reports from :: and from the
  link-local, DAD NS with the nonce option, RS, NS/NA, echo, time exceeded, unreachable
  route / prohibited / port, fragments, UDP and TCP over IPv6, HBH router alert) with flag
  sets and IPv6 filters (ip6, icmp6, host/net/port with IPv6 addresses, ip6 multicast): stdout,
  stderr and exit status must be the real tool's. ``-v`` is refused by the emulator's tcpdump
  (its IPv4/UDP/TCP verbose fields are not ported), so those cases must be that refusal.
* ``test_verbose_ipv6_decoder``: the ``-v``/``-vv``/``-vvv``/``-e -v`` text of every IPv6
  frame that is not UDP/TCP, printed by netdissect, against the real tool's, frame by frame.
* ``test_read6_live``: the same commands run now by the real ``tcpdump`` binary, if installed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time

import pytest

from vnetlab.api import Lab
from vnetlab.commands import run
from vnetlab.commands.netdissect import Ndo, pretty_print_packet
from vnetlab.trace import pcap

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "host-6.18", "ipv6")
CASES = json.load(open(os.path.join(GOLDEN, "read6-cases.json")))


def _verbose(cmd: str) -> bool:
    return any(w.startswith("-v") or (w.startswith("-") and "v" in w and not w.startswith("--"))
               for w in shlex.split(cmd)[1:])


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("case", CASES, ids=[c["cmd"][len("tcpdump -r "):] for c in CASES])
def test_read6_golden(case, utc, monkeypatch):
    monkeypatch.chdir(GOLDEN)
    got = run(Lab(), shlex.split(case["cmd"]))
    if _verbose(case["cmd"]):
        assert got[0] == 1 and "vnetlab:" in got[2] and "-v" in got[2]
        return
    assert got == (case["rc"], case["out"], case["err"])


def _frames(out: str) -> list[str]:
    frames: list[str] = []
    for line in out.splitlines(True):
        if line[:1].isdigit():
            frames.append(line)
        else:
            frames[-1] += line
    return frames


VERBOSE = [(f, flags) for f in ("veth-1.pcap", "tcpdump6.pcap")
           for flags in ("-n -v", "-n -vv", "-n -vvv", "-n -e -v")]


@pytest.mark.parametrize("pcap_name,flags", VERBOSE, ids=[f"{f} {g}" for f, g in VERBOSE])
def test_verbose_ipv6_decoder(pcap_name, flags, utc):
    real = _frames(next(c for c in CASES
                        if c["cmd"] == f"tcpdump -r {pcap_name} {flags}")["out"])
    with open(os.path.join(GOLDEN, pcap_name), "rb") as f:
        recs = list(pcap.records(f.read()))
    assert len(recs) == len(real)
    vflag = flags.count("v")
    compared = 0
    for rec, want in zip(recs, real):
        fr = rec.data
        if fr[12:14] != b"\x86\xdd" or fr[20] in (6, 17):   # UDP/TCP -v: not ported
            continue
        ndo = Ndo(nflag=1, vflag=vflag, eflag=int("-e" in flags), utc=True)
        assert pretty_print_packet(ndo, rec.ts_sec, rec.ts_frac, fr, rec.length) == want
        compared += 1
    assert compared >= 16


@pytest.mark.skipif(shutil.which("tcpdump") is None, reason="needs the real tcpdump")
@pytest.mark.parametrize("case", [c for c in CASES if not _verbose(c["cmd"])],
                         ids=lambda c: c["cmd"][len("tcpdump -r "):])
def test_read6_live(case, utc, monkeypatch):
    monkeypatch.chdir(GOLDEN)
    p = subprocess.run(shlex.split(case["cmd"]), capture_output=True, text=True,
                       env=dict(os.environ, TZ="UTC"))
    assert run(Lab(), shlex.split(case["cmd"])) == (p.returncode, p.stdout, p.stderr)


# -- net-tools over IPv6 ---------------------------------------------------------------------------
# nettools6-cases.json: gen_nettools6_cases.py on the host kernel (ifconfig inet6 lines and
# add/del with their errors, route -A inet6 / -6 / netstat -rn -A inet6 from the fib, IPv6
# disabled on the device). Compared after dropping what is timing or kernel-internal: the
# ifconfig counters (the peer's carrier may come 1 s late), the order of ifconfig's inet6 lines
# (hash order, salted per netns) and route's Ref column (the kernel's dst refcount, not modelled).

NT6 = json.load(open(os.path.join(GOLDEN, "nettools6-cases.json")))


def _nt6_norm(text: str) -> str:
    """Drop the counters, mask route's Ref column, sort each device's inet6 lines (their order
    is the kernel's address hash, salted per netns: it changes from run to run)."""
    import re
    text = re.sub(r"(?m)^        [RT]X .*\n", "", text)
    text = re.sub(r"(?m)(?:^        inet6 .*\n)+",
                  lambda m: "".join(sorted(m.group(0).splitlines(True))), text)
    return re.sub(r"(?m)^(\S+\s+\S+\s+\S+\s+-?\d+\s+)\d+(\s+\d+ \S+)$", r"\1R\2", text)


@pytest.fixture
def ipv6_lab(monkeypatch):
    from vnetlab.stack.kernel import Kernel
    monkeypatch.setattr(Kernel, "IPV6_DEFAULT", True)
    lab = Lab()
    a, b = lab.netns("a"), lab.netns("b")
    if getattr(a, "ipv6", None) is None:
        pytest.skip("the emulated kernel has no IPv6 (stack/ipv6.py)")
    for argv, ns in ((["ip", "link", "add", "eth0", "netns", "a", "address",
                       "02:00:00:00:0a:01", "type", "veth", "peer", "name", "eth0", "netns", "b",
                       "address", "02:00:00:00:0b:01"], None),
                     (["ip", "link", "set", "lo", "up"], a), (["ip", "link", "set", "eth0", "up"], a),
                     (["ip", "link", "set", "eth0", "up"], b)):
        assert run(lab, argv, ns=ns)[0] == 0
    return lab, a


def test_nettools_over_ipv6_match_host(ipv6_lab):
    lab, a = ipv6_lab
    for line, rc, out, err in NT6:
        if line.startswith("sleep"):
            lab.run_for(float(line.split()[1]))
            continue
        if line.startswith("netstat"):                  # netstat is not emulated
            continue
        got = run(lab, line.split(), ns=a)
        assert (got[0], _nt6_norm(got[1]), got[2]) == (rc, _nt6_norm(out), err), line


def test_proc_if_inet6_format(ipv6_lab):
    from vnetlab.commands.nettools import proc_if_inet6_text
    lab, a = ipv6_lab
    lab.run_for(4)
    # the host kernel's /proc/net/if_inet6 of the same namespace (nettools6.txt, first listing)
    assert sorted(proc_if_inet6_text(a).splitlines()) == sorted([
        "fe80000000000000000000fffe000a01 02 40 20 80     eth0",
        "00000000000000000000000000000001 01 80 10 80       lo"])


# -- the emulator's own IPv6 frames, read back by the real tcpdump ---------------------------------

@pytest.mark.skipif(shutil.which("tcpdump") is None, reason="needs the real tcpdump")
@pytest.mark.parametrize("flags", ["-n", "-n -e", "-n -v", "-n -vv", "-n -e -v", "-n -x"])
def test_emulated_ipv6_capture_read_by_real_tcpdump(ipv6_lab, tmp_path, utc, monkeypatch, flags):
    """A veth pair coming up on the emulator (MLDv2 reports, DAD NS with its nonce, RS, from ::
    and from the link-local), captured with -w: the real tcpdump must decode every frame as
    the emulator's tcpdump does (checksums included: ``[icmp6 sum ok]`` with -v)."""
    lab, a = ipv6_lab
    path = str(tmp_path / "emu6.pcap")
    rc, out, err = run(lab, ["tcpdump", "-i", "eth0", "-w", path, "-c", "8"], ns=a)
    assert (rc, out) == (0, ""), err
    monkeypatch.chdir(tmp_path)
    argv = ["tcpdump", "-r", "emu6.pcap"] + shlex.split(flags)
    real = subprocess.run(argv, capture_output=True, text=True, env=dict(os.environ, TZ="UTC"))
    assert real.returncode == 0, real.stderr
    assert "ICMP6" in real.stdout
    if "-v" not in flags:
        assert run(Lab(), argv) == (0, real.stdout, real.stderr)
        return
    with open(path, "rb") as f:
        recs = list(pcap.records(f.read()))
    want = _frames(real.stdout)
    assert len(recs) == len(want) == 8
    for rec, line in zip(recs, want):
        ndo = Ndo(nflag=1, vflag=flags.count("v"), eflag=int("-e" in flags), utc=True)
        assert pretty_print_packet(ndo, rec.ts_sec, rec.ts_frac, rec.data, rec.length) == line
    assert "[icmp6 sum ok]" in real.stdout and "bad" not in real.stdout
