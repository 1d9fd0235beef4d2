"""``tcpdump`` (4.99.3 / libpcap 1.10.3) on the emulator against the real tool.

* ``test_read_golden``: ``tcpdump -r`` of a capture made by the real tcpdump on the host
  (``golden/host-6.18/tcpdump/traffic.pcap``: ARP, ICMP echo / unreachable / time exceeded, UDP,
  TCP with options and HTTP, VXLAN) with 60 flag sets and filter expressions; stdout, stderr and
  exit status must be the real tool's (``read-cases.json``, captured with TZ=UTC).
* ``test_read_live``: the same commands run now by the real ``tcpdump`` binary, if installed.
* ``test_emulated_capture_read_by_real_tcpdump``: a live capture on the emulator written with
  ``-w`` is read back by the real ``tcpdump -r`` and by dpkt; the text must be what the
  emulator's own ``-r`` prints.
* live capture behaviour (the ring block timing, ``-c``, interruption, promiscuity, direction,
  errors) on the emulator; the same behaviour against the real kernel is judged by the
  conformance scripts 24-26 (``test_conformance.py``).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import struct
import subprocess
import time

import pytest

from vnetlab.api import Lab
from vnetlab.commands import Ctx, load_all, run

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "host-6.18", "tcpdump")
CASES = json.load(open(os.path.join(GOLDEN, "read-cases.json")))
# valid pcap-filter syntax the emulator refuses (with a vnetlab: message) instead of guessing
UNSUPPORTED = {"tcpdump -r traffic.pcap -n 'tcp[tcpflags] & tcp-syn != 0'"}
SEC = 1_000_000_000


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("case", CASES, ids=[c["cmd"][len("tcpdump "):] for c in CASES])
def test_read_golden(case, utc, monkeypatch):
    monkeypatch.chdir(GOLDEN)
    got = run(Lab(), shlex.split(case["cmd"]))
    if case["cmd"] in UNSUPPORTED:
        assert got[0] == 1 and "vnetlab:" in got[2]
        return
    assert got == (case["rc"], case["out"], case["err"])


@pytest.mark.skipif(shutil.which("tcpdump") is None, reason="needs the real tcpdump")
@pytest.mark.parametrize("case", [c for c in CASES if c["cmd"] not in UNSUPPORTED
                                  and "--version" not in c["cmd"] and "-h" != c["cmd"][-2:]],
                         ids=lambda c: c["cmd"][len("tcpdump "):])
def test_read_live(case, utc, monkeypatch):
    monkeypatch.chdir(GOLDEN)
    p = subprocess.run(shlex.split(case["cmd"]), capture_output=True, text=True,
                       env=dict(os.environ, TZ="UTC"))
    assert run(Lab(), shlex.split(case["cmd"])) == (p.returncode, p.stdout, p.stderr)


# -- a small emulated topology ---------------------------------------------------------------

def _pair():
    from ipv6_off import disable_ipv6
    lab = Lab()
    a, b = lab.netns("a"), lab.netns("b")
    # IPv6 off in both (sysctl before eth0 exists): the captures counted here are the ping's
    # ARP + ICMP, not the MLD/RS/DAD a real kernel with IPv6 would also send on link-up
    disable_ipv6(lab, "a")
    disable_ipv6(lab, "b")
    for cmd, ns in (("ip link add eth0 type veth peer name eth0 netns b", a),
                    ("ip addr add 10.0.0.1/24 dev eth0", a),
                    ("ip addr add 10.0.0.2/24 dev eth0", b),
                    ("ip link set eth0 up", a), ("ip link set eth0 up", b)):
        assert run(lab, cmd.split(), ns=ns)[0] == 0
    lab.run_for(1.2)
    return lab, a, b


def _ping(ns, count=2, dst=0x0A000002):
    from vnetlab.apps.ping import Ping
    p = Ping(ns, dst, count=count, interval_ns=SEC // 5)
    p.start()
    return p


class _Spawn:
    """What `vnetlab sh` gives a command: spawn() plus the later finish()."""

    def __init__(self, lab, ns):
        load_all()
        self.ctx = Ctx(lab, ns=ns)
        self.ctx.spawn = self.spawn
        self.done = self.finish = None

    def spawn(self, ctx, is_done, finish):
        self.done, self.finish = is_done, finish

    def start(self, argv):
        from vnetlab.commands.tcpdump import main
        assert main(self.ctx, argv) == 0

    def end(self):
        return self.finish(), self.ctx.stdout, self.ctx.stderr


def test_count_ends_at_the_block_tick_with_more_received():
    lab, a, b = _pair()
    sp = _Spawn(lab, a)
    sp.start(["-i", "eth0", "-n", "-c", "2"])
    _ping(a, count=2)
    lab.engine.run_for(SEC // 2)
    assert not sp.done()                    # frames wait in the ring until the block retires
    lab.engine.run_for(SEC // 2)
    assert sp.done()
    rc, out, err = sp.end()
    assert rc == 0
    assert len(out.splitlines()) == 2
    assert err.endswith("2 packets captured\n6 packets received by filter\n"
                        "0 packets dropped by kernel\n")


def test_interrupt_loses_the_open_block_and_prints_a_newline():
    lab, a, b = _pair()
    sp = _Spawn(lab, a)
    sp.start(["-i", "eth0", "-n", "icmp"])
    _ping(a, count=1)
    lab.engine.run_for(SEC // 10)
    sp.ctx.on_signal(15)
    rc, out, err = sp.end()
    assert (rc, out) == (0, "\n")
    assert "0 packets captured\n2 packets received by filter\n" in err


def test_line_buffered_ticks_every_100ms_and_streams():
    lab, a, b = _pair()
    sp = _Spawn(lab, a)
    sp.start(["-i", "eth0", "-n", "-l", "icmp"])
    assert sp.ctx.stream is True
    _ping(a, count=1)
    lab.engine.run_for(SEC // 10 + 1)
    assert len(sp.ctx.stdout.splitlines()) == 2
    sp.ctx.on_signal(2)
    rc, out, err = sp.end()
    assert out.endswith("length 64\n\n")


def test_promiscuity_is_held_for_the_capture_only():
    lab, a, b = _pair()
    dev = lab.dev("eth0", ns=a)
    sp = _Spawn(lab, a)
    sp.start(["-i", "eth0"])
    assert dev.promiscuity == 1 and sp.start and dev.ptype_all
    sp.ctx.on_signal(15)
    sp.end()
    assert dev.promiscuity == 0 and not dev.ptype_all
    sp = _Spawn(lab, a)
    sp.start(["-p", "-i", "eth0"])
    assert dev.promiscuity == 0
    sp.ctx.on_signal(15)
    sp.end()


def test_direction_in_drops_outgoing_after_counting():
    lab, a, b = _pair()
    sp = _Spawn(lab, a)
    sp.start(["-i", "eth0", "-n", "-Q", "in", "icmp"])
    _ping(a, count=1)
    lab.engine.run_for(SEC * 2)
    sp.ctx.on_signal(15)
    rc, out, err = sp.end()
    assert "echo reply" in out and "echo request" not in out
    assert "1 packet captured\n2 packets received by filter\n" in err


def test_without_spawn_runs_in_virtual_time_until_count_or_idle():
    lab, a, b = _pair()
    _ping(a, count=2)
    rc, out, err = run(lab, ["tcpdump", "-i", "eth0", "-n", "-t", "-c", "3"], ns="b")
    assert rc == 0
    assert out.splitlines() == [
        "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28",
        "ARP, Reply 10.0.0.2 is-at %s, length 28" % ":".join(
            f"{x:02x}" for x in lab.dev("eth0", ns="b").addr),
        "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id %s, seq 1, length 64"
        % out.split("id ")[1].split(",")[0]]
    # without -c: until nothing is left to happen (here the neighbour entries' own ARP probes)
    rc, out, err = run(lab, ["tcpdump", "-i", "eth0", "-n"], ns="b")
    assert rc == 0 and out.endswith("length 28\n\n") and lab.engine.next_deadline() is None


def test_device_deleted_or_moved_ends_the_capture():
    lab, a, b = _pair()
    sp = _Spawn(lab, a)
    sp.start(["-i", "eth0", "-n", "-t", "icmp"])
    _ping(a, count=1)
    lab.engine.run_for(SEC // 10)
    assert not sp.done()
    assert run(lab, ["ip", "link", "set", "eth0", "down"], ns=a)[0] == 0
    assert not sp.done()                        # a device that is down keeps the capture
    assert run(lab, ["ip", "link", "del", "eth0"], ns=b)[0] == 0
    assert sp.done()
    rc, out, err = sp.end()
    assert rc == 1 and len(out.splitlines()) == 2          # the ring is read out first
    assert err.endswith("tcpdump: pcap_loop: The interface disappeared\n2 packets captured\n"
                        "2 packets received by filter\n0 packets dropped by kernel\n")


def test_errors():
    lab, a, b = _pair()
    assert run(lab, ["tcpdump", "-i", "nosuch"], ns=a) == (
        1, "", "tcpdump: nosuch: No such device exists\n(No such device exists)\n")
    assert run(lab, ["ip", "link", "set", "eth0", "down"], ns=a)[0] == 0
    assert run(lab, ["tcpdump", "-i", "eth0"], ns=a) == (
        1, "", "tcpdump: eth0: That device is not up\n")
    assert run(lab, ["tcpdump", "-c", "x"], ns=a) == (
        1, "", "tcpdump: invalid packet count x\n")
    rc, out, err = run(lab, ["tcpdump", "-k"], ns=a)
    assert rc == 1 and err.startswith("tcpdump: invalid option -- 'k'\ntcpdump version 4.99.3")
    rc, out, err = run(lab, ["tcpdump", "-v"], ns=a)
    assert rc == 1 and "vnetlab" in err


def test_default_device_is_libpcaps_first():
    from vnetlab.commands.tcpdump import default_device
    lab, a, b = _pair()
    assert default_device(a) == "eth0"
    run(lab, ["ip", "link", "set", "lo", "up"], ns=a)
    assert default_device(a) == "eth0"           # loopback ranks after up devices
    run(lab, ["ip", "link", "set", "eth0", "down"], ns=a)
    assert default_device(a) == "lo"


# -- pcap files ----------------------------------------------------------------------------------

def test_pcap_writer_bytes():
    from vnetlab.trace import pcap
    h = pcap.file_header()
    assert h == struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)
    assert h[:4] == bytes.fromhex("d4c3b2a1")
    r = pcap.record(3 * SEC + 1_234_567, b"\x01" * 60)
    assert r[:16] == struct.pack("<IIII", 3, 1234, 60, 60) and r[16:] == b"\x01" * 60
    r = pcap.record(0, b"\x02" * 100, snaplen=64)
    assert struct.unpack("<IIII", r[:16]) == (0, 0, 64, 100) and len(r) == 16 + 64
    recs = list(pcap.records(pcap.dump([(SEC, b"a" * 20), (2 * SEC + 5000, b"b" * 30)])))
    assert [(x.ts_sec, x.ts_frac, x.caplen, x.length) for x in recs] == [
        (1, 0, 20, 20), (2, 5, 30, 30)]
    with pytest.raises(pcap.PcapError, match="unknown file format"):
        pcap.parse_header(b"x" * 24)


def _capture_file(tmp_path) -> str:
    lab, a, b = _pair()
    path = str(tmp_path / "emu.pcap")
    _ping(a, count=2)
    rc, out, err = run(lab, ["tcpdump", "-i", "eth0", "-w", path, "-c", "6"], ns="b")
    assert (rc, out) == (0, "")
    assert err == ("tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length "
                   "262144 bytes\n6 packets captured\n6 packets received by filter\n"
                   "0 packets dropped by kernel\n")
    return path


def test_emulated_capture_is_a_classic_pcap(tmp_path):
    dpkt = pytest.importorskip("dpkt")
    path = _capture_file(tmp_path)
    with open(path, "rb") as f:
        assert f.read(4) == bytes.fromhex("d4c3b2a1")
        f.seek(0)
        r = dpkt.pcap.Reader(f)
        assert r.datalink() == dpkt.pcap.DLT_EN10MB
        frames = [(ts, dpkt.ethernet.Ethernet(buf)) for ts, buf in r]
    kinds = [type(e.data).__name__ for _, e in frames]
    assert kinds == ["ARP", "ARP", "IP", "IP", "IP", "IP"]
    assert frames[0][0] == pytest.approx(1.2, abs=1e-6)        # virtual time, from the epoch


@pytest.mark.skipif(shutil.which("tcpdump") is None, reason="needs the real tcpdump")
@pytest.mark.parametrize("flags", ["-n", "-n -e", "-e", "-n -q -t", "-n -X", "-n -tt icmp"])
def test_emulated_capture_read_by_real_tcpdump(tmp_path, utc, monkeypatch, flags):
    _capture_file(tmp_path)
    monkeypatch.chdir(tmp_path)
    argv = ["tcpdump", "-r", "emu.pcap"] + shlex.split(flags)
    real = subprocess.run(argv, capture_output=True, text=True, env=dict(os.environ, TZ="UTC"))
    assert real.returncode == 0, real.stderr
    assert run(Lab(), argv) == (0, real.stdout, real.stderr)


# -- under `vnetlab sh` --------------------------------------------------------------------------

def _sh_reason():
    probe = (["unshare", "--mount", "--net", "true"] if os.geteuid() == 0 else
             ["unshare", "--user", "--map-root-user", "--mount", "--net", "true"])
    if shutil.which("unshare") is None or subprocess.run(probe, capture_output=True).returncode:
        return "needs unshare (vnetlab sh)"
    return None


@pytest.mark.skipif(_sh_reason() is not None, reason="needs unshare (vnetlab sh)")
def test_signals_under_vnetlab_sh(tmp_path):
    import sys
    script = tmp_path / "t.sh"
    script.write_text("""
ip netns add a; ip netns add b
ip link add eth0 netns a type veth peer name eth0 netns b
ip -n a addr add 10.0.0.1/24 dev eth0; ip -n b addr add 10.0.0.2/24 dev eth0
ip -n a link set eth0 up; ip -n b link set eth0 up; sleep 1.2
ip netns exec b tcpdump -l -n -t icmp > out 2> err & pid=$!
sleep 0.5
ip netns exec a ping -c 1 10.0.0.2 > /dev/null
sleep 0.5
echo "while running: $(wc -l < out)"
kill -INT $pid; wait $pid; echo "tcpdump $?"
cat out err
ip netns exec a ping -c 50 10.0.0.2 > /dev/null & pid=$!
sleep 0.3; kill $pid; wait $pid; echo "ping $?"
""")
    p = subprocess.run([sys.executable, "-m", "vnetlab.cli", "sh", str(script)],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    lines = p.stdout.splitlines()
    assert lines[0] == "while running: 2"
    assert lines[1] == "tcpdump 0"
    assert lines[2].startswith("IP 10.0.0.1 > 10.0.0.2: ICMP echo request")
    assert lines[4] == ""
    assert lines[-1] == "ping 143"
    assert "2 packets captured" in p.stdout
