"""The one user-space TUN/TAP API (vnetlab.tuntap) on both backends, and the example programs
(examples/tun-echo.py, examples/mini-vpn.py) run unchanged on the emulator and on the host
kernel (in throwaway network namespaces, as root)."""

from __future__ import annotations

import asyncio
import errno
import io
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from vnetlab.tuntap import EmuBackend, open_tun

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _icmp_echo(src: bytes, dst: bytes, seq: int = 1) -> bytes:
    import struct

    def csum(b):
        s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        return ~s & 0xFFFF
    body = struct.pack("!BBHHH", 8, 0, 0, 7, seq) + bytes(56)
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 84, seq, 0x4000, 64, 1, 0, src, dst)
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + body


def _exercise(be) -> list:
    """Same calls on either backend: create, address, echo through the kernel, read back."""
    out = []
    be.run(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1"])
    with open_tun("api0", "tun", backend=be, nonblock=True) as t:
        out.append(t.name)
        be.run(["ip", "link", "set", "api0", "up"])
        be.run(["ip", "addr", "add", "10.7.0.1", "peer", "10.7.0.2", "dev", "api0"])
        try:
            t.read(100)
        except BlockingIOError as e:
            out.append(errno.errorcode[e.errno])
        out.append(t.write(_icmp_echo(bytes([10, 7, 0, 2]), bytes([10, 7, 0, 1]))))
        reply = t.read(2000)
        out.append((len(reply), reply[12:16].hex(), reply[16:20].hex(), reply[20]))
        out.append(t.get_iff())
    out.append(be.run(["ip", "-br", "link", "show", "type", "tun"])[1])
    return out


def test_api_on_the_emulator():
    be = EmuBackend()
    got = _exercise(be)
    assert got == ["api0", "EAGAIN", 84, (84, "0a070001", "0a070002", 0), ("api0", 0x1001), ""]


def test_api_matches_the_host_kernel(host):
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("the host has no /dev/net/tun")
    code = ("import sys, json; sys.path.insert(0, %r); import test_tuntap_api as t; "
            "from vnetlab.tuntap import LinuxBackend; "
            "print(json.dumps(t._exercise(LinuxBackend())))" % str(Path(__file__).parent))
    p = host.run(f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}", ns="api")
    import json
    real = json.loads(p.stdout)
    emu = json.loads(__import__("json").dumps(_exercise(EmuBackend())))
    assert emu == real


def test_emulated_file_has_no_fileno_and_works_from_asyncio():
    be = EmuBackend()
    t = open_tun("as0", "tap", backend=be)
    with pytest.raises(io.UnsupportedOperation):
        t.fileno()

    async def main():
        n = await t.awrite(b"\xff" * 6 + b"\x02" * 6 + b"\x08\x06")
        return n
    with pytest.raises(OSError) as e:          # TUN-IO-03: the tap is down
        asyncio.run(main())
    assert e.value.errno == errno.EIO
    be.run(["ip", "link", "set", "as0", "up"])
    assert asyncio.run(main()) == 14
    t.close()
    assert be.run(["ip", "link", "show", "as0"])[0] == 1      # not persistent: gone


def test_emulated_blocking_read_raises_when_the_emulator_is_idle():
    be = EmuBackend()
    t = open_tun("bl0", "tun", backend=be)
    with pytest.raises(TimeoutError):
        t.read(100)


def test_real_file_has_a_fileno_and_works_from_asyncio(host):
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("the host has no /dev/net/tun")
    code = (
        "import asyncio, sys\n"
        "sys.path.insert(0, %r)\n"
        "from test_tuntap_api import _icmp_echo\n"
        "from vnetlab.tuntap import LinuxBackend, open_tun\n"
        "be = LinuxBackend()\n"
        "be.run(['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1',"
        " 'net.ipv6.conf.default.disable_ipv6=1'])\n"
        "t = open_tun('ar0', 'tun', backend=be, nonblock=True)\n"
        "be.run(['ip', 'link', 'set', 'ar0', 'up'])\n"
        "be.run(['ip', 'addr', 'add', '10.7.0.1', 'peer', '10.7.0.2', 'dev', 'ar0'])\n"
        "async def main():\n"
        "    await t.awrite(_icmp_echo(bytes([10,7,0,2]), bytes([10,7,0,1])))\n"
        "    r = await asyncio.wait_for(t.aread(2000), 5)\n"
        "    return r[20]\n"
        "print(t.fileno() >= 0, asyncio.run(main()))\n" % str(Path(__file__).parent))
    p = host.run(f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}", ns="ar")
    assert p.stdout.split() == ["True", "0"]


def _example(name: str, *args: str, prefix: list[str] | None = None):
    return subprocess.run((prefix or []) + [sys.executable, str(EXAMPLES / name), *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name,last", [("tun-echo.py", "answered 3 echo requests"),
                                       ("mini-vpn.py", "relayed a->b yes, b->a yes")])
def test_example_on_the_emulator(name, last):
    p = _example(name)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("3 packets transmitted, 3 received, 0% packet loss")
    assert lines[1].endswith(last) and "(emu)" in lines[1]


def test_tun_echo_example_on_the_host_kernel(host):
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("the host has no /dev/net/tun")
    p = _example("tun-echo.py", "--backend", "linux",
                 prefix=["ip", "netns", "exec", host.ns("echo")])
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("3 packets transmitted, 3 received, 0% packet loss")
    assert lines[1] == "tun-echo (linux): answered 3 echo requests"


def test_mini_vpn_example_on_the_host_kernel(host):
    """The example makes (and deletes) its own two namespaces; it runs from a throwaway netns."""
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("the host has no /dev/net/tun")
    p = _example("mini-vpn.py", "--backend", "linux",
                 prefix=["ip", "netns", "exec", host.ns("vpn")])
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("3 packets transmitted, 3 received, 0% packet loss")
    assert lines[1] == "mini-vpn (linux): relayed a->b yes, b->a yes"
    assert "vnlvpn" not in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                           text=True).stdout

