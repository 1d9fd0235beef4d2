"""The hybrid bridge (vnetlab.devices.hostlink + vnetlab.backends.hybrid): an emulated device wired
to a real TAP device, the emulator in real-time mode.

The host-link unit tests are pure (no root, virtual time). The bridge tests need root and the
host kernel: the TAP is made inside a throwaway network namespace (``host`` fixture, or the
fresh namespace of ``vnetlab sh``), so nothing outside it is touched; they skip otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vnetlab.api import Lab
from vnetlab.apps.ping import Ping
from vnetlab.devices.hostlink import HostLink, add_hostlink
from vnetlab.stack.errors import KernelError

ROOT = Path(__file__).resolve().parent.parent
MAC_A = bytes.fromhex("020000000001")
MAC_REAL = bytes.fromhex("02000000aaaa")


def _arp_request(src_mac: bytes, src_ip: bytes, dst_ip: bytes) -> bytes:
    import struct
    return (b"\xff" * 6 + src_mac + b"\x08\x06" +
            struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, src_mac, src_ip, bytes(6), dst_ip))


def _lab_with_hostlink(up: bool = True):
    from ipv6_off import disable_ipv6
    lab = Lab()
    ns = lab.netns("a")
    disable_ipv6(lab, "a")      # the outbox then holds the ping's ARP/ICMP, not also RS/MLD
    dev = add_hostlink(lab.kernel, ns, "eth0", MAC_A)
    if up:
        lab.set_link("eth0", ns="a", up=True)
        lab.add_addr("eth0", "10.77.0.2/24", ns="a")
    lab.engine.run_now()
    return lab, dev


# -- pure: the host link device ------------------------------------------------------------------

def test_hostlink_is_a_plain_ethernet_device_without_carrier_until_attached():
    lab, dev = _lab_with_hostlink()
    assert isinstance(dev, HostLink) and dev.kind == "" and dev.addr == MAC_A
    assert not dev.carrier
    code, out, _ = lab_run(lab, ["ip", "-n", "a", "link", "show", "eth0"])
    assert code == 0 and "NO-CARRIER" in out and "link/ether 02:00:00:00:00:01" in out
    woke = []
    dev.attach(lambda: woke.append(1))
    lab.run_for(2)                              # linkwatch
    code, out, _ = lab_run(lab, ["ip", "-n", "a", "link", "show", "eth0"])
    assert "NO-CARRIER" not in out and "state UP" in out
    # not removable by rtnl (no kind), not creatable either
    assert lab_run(lab, ["ip", "-n", "a", "link", "del", "eth0"])[0] != 0
    assert lab_run(lab, ["ip", "-n", "a", "link", "add", "x0", "type", "hostlink"])[0] != 0
    dev.detach()
    lab.run_for(2)
    assert not dev.carrier and dev.outbox == []


def test_hostlink_transmit_goes_to_the_outbox_and_wakes_the_driver_once():
    lab, dev = _lab_with_hostlink()
    woke = []
    dev.attach(lambda: woke.append(lab.engine.now))
    lab.run_for(2)
    p = Ping(lab.netns("a"), 0x0A4D0001, count=1, wait_ns=10**9).start()   # 10.77.0.1
    lab.engine.run_now()
    frames = dev.take()
    assert len(frames) == 1 and woke == [lab.engine.now]
    arp = frames[0]
    assert arp[:6] == b"\xff" * 6 and arp[6:12] == MAC_A and arp[12:14] == b"\x08\x06"
    assert arp[38:42] == bytes([10, 77, 0, 1])
    assert dev.tx_packets == 1 and dev.tx_bytes == len(arp) and dev.outbox == []
    # the "real" side answers the ARP: the queued echo request leaves, the driver is woken again
    import struct
    reply = (MAC_A + MAC_REAL + b"\x08\x06" +
             struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, MAC_REAL, bytes([10, 77, 0, 1]),
                         MAC_A, bytes([10, 77, 0, 2])))
    assert dev.deliver(reply)
    lab.engine.run_now()
    frames = dev.take()
    assert len(woke) == 2 and len(frames) == 1
    echo = frames[0]
    assert echo[:6] == MAC_REAL and echo[12:14] == b"\x08\x00" and echo[23] == 1   # ICMP
    assert echo[34] == 8                                                           # request
    assert dev.rx_packets == 1 and dev.rx_bytes == len(reply)
    assert not p.done


def test_hostlink_deliver_answers_arp_and_counts():
    lab, dev = _lab_with_hostlink()
    dev.attach()
    lab.engine.run_now()                        # linkwatch: carrier on, qdisc active
    req = _arp_request(MAC_REAL, bytes([10, 77, 0, 1]), bytes([10, 77, 0, 2]))
    assert dev.deliver(req)
    assert dev.rx_packets == 1 and dev.rx_bytes == 42 and dev.multicast == 0
    lab.engine.run_now()
    (ans,) = dev.take()
    assert ans[:6] == MAC_REAL and ans[6:12] == MAC_A and ans[20:22] == b"\x00\x02"
    assert ans[22:28] == MAC_A and ans[28:32] == bytes([10, 77, 0, 2])
    # multicast counts, broadcast does not
    assert dev.deliver(b"\x01\x00\x5e\x00\x00\x01" + MAC_REAL + b"\x08\x00" + bytes(20))
    assert dev.multicast == 1 and dev.rx_packets == 2


def test_hostlink_drops():
    lab, dev = _lab_with_hostlink(up=False)
    req = _arp_request(MAC_REAL, bytes([10, 77, 0, 1]), bytes([10, 77, 0, 2]))
    assert not dev.deliver(req)                                   # HL-04: down
    assert dev.rx_dropped == 1 and dev.rx_packets == 0
    lab.set_link("eth0", ns="a", up=True)
    assert not dev.deliver(b"\x00" * 13)                          # runt
    assert not dev.deliver(MAC_A + MAC_REAL + b"\x08\x00" + bytes(1500 + 5))   # > mtu + 18
    assert dev.rx_dropped == 3
    # HL-03: no driver -> tx dropped with a carrier error
    lab.add_addr("eth0", "10.77.0.2/24", ns="a")
    Ping(lab.netns("a"), 0x0A4D0001, count=1, wait_ns=10**9).start()
    lab.engine.run_now()
    assert dev.outbox == [] and dev.tx_dropped >= 1          # no carrier: the qdisc drops
    from vnetlab.stack.skb import Skb
    before = dev.tx_dropped
    dev.ndo_start_xmit(Skb(req, dev))                         # the driver itself, no carrier
    assert dev.outbox == [] and dev.tx_dropped == before + 1 and dev.tx_carrier_errors == 1
    # a full outbox drops too
    dev.attach()
    lab.engine.run_now()
    dev.outbox_limit = 1
    dev.deliver(req)
    dev.deliver(_arp_request(MAC_REAL, bytes([10, 77, 0, 3]), bytes([10, 77, 0, 2])))
    lab.engine.run_now()
    assert len(dev.outbox) == 1 and dev.tx_dropped >= 2


def test_hostlink_mac_is_validated_and_names_are_unique():
    lab = Lab()
    ns = lab.netns("a")
    with pytest.raises(KernelError):
        add_hostlink(lab.kernel, ns, "eth0", b"\x01" * 6)
    add_hostlink(lab.kernel, ns, "eth0")
    with pytest.raises(KernelError):
        add_hostlink(lab.kernel, ns, "eth0")
    assert add_hostlink(lab.kernel, ns).name == "eth1"


def test_parse_attach():
    from vnetlab.backends.hybrid import parse_attach
    assert parse_attach("tap0=a:eth0") == ("tap0", "a", "eth0")
    assert parse_attach("tap0=eth0") == ("tap0", "", "eth0")
    for bad in ("tap0", "=a:eth0", "tap0=", "tap0=a:", "averyveryverylongname=eth0"):
        with pytest.raises(ValueError):
            parse_attach(bad)


def test_cli_rejects_attach_outside_the_emulators_real_time():
    from vnetlab.cli import main
    for extra in (["--backend", "linux"], ["--virtual"]):
        with pytest.raises(SystemExit) as e:
            main(["sh", "--attach", "tap0=a:eth0", *extra, "/dev/null"])
        assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["sh", "--attach", "tap0", "/dev/null"])
    assert e.value.code == 2


def lab_run(lab, argv):
    from vnetlab.commands import run
    return run(lab, argv)


# -- root: the real kernel through a real TAP ------------------------------------------------

def _need_tap():
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("the host has no /dev/net/tun")
    if shutil.which("ping") is None:
        pytest.skip("needs iputils' ping on the host")


def test_real_ping_reaches_the_emulator_and_back(host):
    _need_tap()
    from vnetlab.backends.hybrid import Hybrid
    t0 = time.monotonic()
    real = host.ns("hy")
    lab = Lab()
    with Hybrid(lab) as hy:
        br = hy.attach("a", "eth0", "vtap0", real_netns=real)
        lab.set_link("eth0", ns="a", up=True)
        lab.add_addr("eth0", "10.77.0.2/24", ns="a")
        host.run("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                 "net.ipv6.conf.default.disable_ipv6=1; "
                 "ip addr add 10.77.0.1/24 dev vtap0 && ip link set vtap0 up", ns="hy")
        # the real ping, in the real netns, to the emulated host
        proc = subprocess.Popen(["ip", "netns", "exec", real, "ping", "-c", "3", "-W", "2",
                                 "-i", "0.5", "10.77.0.2"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            assert hy.run(until=lambda: proc.poll() is not None, timeout=15)
        finally:
            if proc.poll() is None:
                proc.kill()
        out, err = proc.communicate()
        assert proc.returncode == 0, out + err
        assert "3 packets transmitted, 3 received, 0% packet loss" in out
        assert out.count("bytes from 10.77.0.2: icmp_seq=") == 3
        # the emulated ping to the real kernel
        p = Ping(lab.netns("a"), 0x0A4D0001, count=3, interval_ns=500_000_000,
                 wait_ns=2 * 10**9).start()
        assert hy.run(until=lambda: p.done, timeout=10)
        assert p.result.transmitted == 3 and p.result.received == 3
        assert all(r.ttl == 64 and r.src == 0x0A4D0001 for r in p.result.replies)
        # counters on both sides
        assert br.rx_frames >= 7 and br.tx_frames >= 7 and br.tx_errors == 0
        assert br.dev.rx_packets == br.rx_frames
        neigh = host.run("ip neigh show 10.77.0.2", ns="hy").stdout
        assert ":".join(f"{b:02x}" for b in br.dev.addr) in neigh
    # the TAP went with its file
    assert "vtap0" not in host.run("ip -br link", ns="hy").stdout
    assert time.monotonic() - t0 < 30


SCRIPT = r'''
set -e
ip -n a addr add 10.77.0.2/24 dev eth0
ip -n a link set eth0 up
/usr/sbin/ip addr add 10.77.0.1/24 dev tap0
/usr/sbin/ip link set tap0 up
/usr/bin/ping -c 3 -W 2 -i 0.5 10.77.0.2 | grep -c "bytes from 10.77.0.2"
ip netns exec a ping -c 3 -i 0.5 10.77.0.1 | tail -2 | head -1
/usr/sbin/ip -br link show tap0 | cut -d' ' -f1
'''


def test_vnetlab_sh_attach(host, tmp_path):
    """``vnetlab sh --attach tap0=a:eth0``: the script's real tools reach the emulated host and
    the emulated ping reaches the sandbox's real kernel. Run from a throwaway netns."""
    _need_tap()
    for tool in ("/usr/sbin/ip", "/usr/bin/ping"):
        if not os.access(tool, os.X_OK):
            pytest.skip(f"needs {tool}")
    script = tmp_path / "hy.sh"
    script.write_text(SCRIPT)
    t0 = time.monotonic()
    p = subprocess.run(["ip", "netns", "exec", host.ns("sh"), sys.executable, "-m", "vnetlab.cli",
                        "sh", "--attach", "tap0=a:eth0", str(script)],
                       capture_output=True, text=True, timeout=30, cwd=str(ROOT))
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "3"
    assert lines[1].startswith("3 packets transmitted, 3 received, 0% packet loss")
    assert lines[2] == "tap0"
    assert time.monotonic() - t0 < 30
    # nothing left in the namespace the command ran from
    assert "tap0" not in host.run("ip -br link", ns="sh").stdout
