"""socat, curl, nc and vnetlab-httpd on the emulator against transcripts of the real tools
(curl 7.88.1, socat 1.7.4.4, OpenBSD netcat 1.219 on the host kernel 6.18):
tests/golden/host-6.18/{curl,socat,nc}-cases.txt, made by curl-gen.sh in the same topology
(a = 10.0.0.1, b = 10.0.0.2 running ``socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:...``).
What differs by nature is normalized: socat's date/pid prefix, elapsed milliseconds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vnetlab import commands
from vnetlab.api import Lab

SEC = 1_000_000_000
GOLD = Path(__file__).parent / "golden" / "host-6.18"
SERVER = ["socat", "TCP-LISTEN:80,fork,reuseaddr",
          "SYSTEM:echo HTTP/1.0 200 OK; echo; echo hello from b"]
# cases whose output depends on the terminal/progress meter or the host, not on the network
SKIP = {"curl http://10.0.0.2:81/": "curl's progress meter (not modelled)",
        "socat -V": "socat's build/feature listing",
        "socat - TCP-LISTEN:99999": "real socat listens on port 99999 mod 65536 until killed"}


def cases(name: str):
    text = (GOLD / f"{name}-cases.txt").read_bytes().decode()   # keep the CRs
    out = []
    for block in text.split("### ")[1:]:
        head, _, rest = block.partition("\n")
        stdout, _, rest = rest.partition("--- stderr\n")
        stderr, _, rest = rest.partition("--- exit ")
        out.append((head, stdout, stderr, int(rest.split("\n")[0])))
    return out


def norm(s: str) -> str:
    s = re.sub(r"(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d socat\[\d+\] ", "socat[PID] ", s)
    s = re.sub(r"after \d+ ms", "after N ms", s)
    s = re.sub(r"after \d+ milliseconds", "after N milliseconds", s)
    s = re.sub(r"0x[0-9a-f]{6,}", "0xADDR", s)
    return s


@pytest.fixture(scope="module")
def lab():
    lab = Lab()
    a, b = lab.netns("a"), lab.netns("b")
    lab.add_veth("eth0", "eth0", ns=a, peer_ns=b)
    for ns, ip in ((a, "10.0.0.1/24"), (b, "10.0.0.2/24")):
        lab.set_link("eth0", ns=ns, up=True)
        lab.set_link("lo", ns=ns, up=True)
        lab.add_addr("eth0", ip, ns=ns)
    lab.engine.run_for(2 * SEC)
    code, out, err = commands.run(lab, SERVER, ns="b")
    assert code == 0, err
    return lab


ALL = [(tool, c) for tool in ("curl", "socat", "nc") for c in cases(tool)]


@pytest.mark.parametrize("tool,case", ALL, ids=[c[0] for _, c in ALL])
def test_tool_matches_real_transcript(lab, tool, case):
    cmd, stdout, stderr, code = case
    if cmd in SKIP:
        pytest.skip(SKIP[cmd])
    argv = cmd.split(" ")
    got = commands.run(lab, argv, ns="a")
    assert (got[0], norm(got[1]), norm(got[2])) == (code, norm(stdout), norm(stderr))


def test_httpd_answers_with_the_netns_name(lab):
    b = lab.ns("b")
    code, out, err = commands.run(lab, ["vnetlab-httpd", "-p", "8080"], ns="b")
    assert code == 0 and out == err == ""
    assert commands.run(lab, ["curl", "-s", "http://10.0.0.2:8080/"], ns="a") == (0, "b\n", "")
    code, out, err = commands.run(lab, ["curl", "-sI", "http://10.0.0.2:8080/"], ns="a")
    assert code == 0 and out.startswith("HTTP/1.0 200 OK\r\n") and "Content-Length: 2\r\n" in out
    assert commands.run(lab, ["vnetlab-httpd", "-p", "8081", "--text", "rs1"], ns="b")[0] == 0
    assert commands.run(lab, ["curl", "-s", "http://10.0.0.2:8081/x"], ns="a")[1] == "rs1\n"
    assert commands.run(lab, ["vnetlab-httpd", "-p", "8080"], ns="b") == \
        (1, "", "vnetlab-httpd: bind: Address already in use\n")
    assert commands.run(lab, ["vnetlab-httpd", "-p", "x"], ns="b")[0] == 2
    assert b.ipv4.tcp.listeners


def test_nc_listen_and_transfer(lab):
    ctx = commands.Ctx(lab, ns=lab.ns("b"))
    commands.load_all()
    pending = []
    ctx.spawn = lambda c, is_done, finish: pending.append((is_done, finish))
    assert commands.COMMANDS["nc"](ctx, ["-l", "6000"]) == 0
    assert commands.run(lab, ["nc", "-N", "10.0.0.2", "6000"], ns="a", stdin="one\ntwo\n") == \
        (0, "", "")
    lab.engine.run_for(SEC)
    assert pending[0][0]() and pending[0][1]() == 0 and ctx.stdout == "one\ntwo\n"


def test_socat_udp_send_and_receive(lab):
    ctx = commands.Ctx(lab, ns=lab.ns("b"))
    ctx.spawn = lambda c, is_done, finish: None
    assert commands.COMMANDS["socat"](ctx, ["-u", "UDP-RECV:5000", "STDOUT"]) == 0
    assert commands.run(lab, ["socat", "-u", "-", "UDP:10.0.0.2:5000"], ns="a",
                        stdin="datagram\n") == (0, "", "")
    lab.engine.run_for(SEC)
    assert ctx.stdout == "datagram\n"
    code, out, err = commands.run(lab, ["socat", "-", "UDP:10.0.0.2:5001"], ns="a", stdin="x\n")
    assert code == 1 and "E read(5, " in err and err.endswith("Connection refused\n")
