"""VXLAN (vnetlab.devices.vxlan, ``ip link ... type vxlan``, ``bridge fdb ... dev vxlan``)
against kernel-spec §8.2 (VXL-*), with the host kernel (6.18, which has vxlan) as the judge.

* tests/golden/host-6.18/vxlan-cases.out: iproute2 6.1 on the host kernel, made by
  ``vxlan-gen.sh vxlan-cases.txt`` (each line in order in one fresh netns; the capture drops
  trailing blank lines; ``| sort`` lines are sorted). Re-checked live when root.
* Per-rule tests build two or three netns with the emulated tools; the expected values come
  from the spec text and from what the host printed (tests/conformance/83-84 compare whole
  scripts with the host).
"""

from __future__ import annotations

import shlex
import struct
import subprocess
from pathlib import Path

import golden_cases

from normalize import normalize
from vnetlab.api import Lab
from vnetlab.commands import run

GOLDEN = Path(__file__).parent / "golden" / "host-6.18"
SEC = 1_000_000_000


def load(name: str) -> list[tuple[str, str, str, int]]:
    return golden_cases.load(name, GOLDEN)


CASES = load("vxlan-cases.out")


def _strip(text: str) -> str:
    text = text.rstrip("\n")
    return text + "\n" if text else ""


def emulate(lab, ns, cmd: str):
    sort = cmd.endswith("| sort")
    if sort:
        cmd = cmd[:-len("| sort")]
    rc, out, err = run(lab, shlex.split(cmd), ns=ns)
    if sort:
        out = "".join(sorted(out.splitlines(True)))
    return rc, _strip(out), _strip(err)


def sh(lab, ns, line: str, ok: bool = True):
    rc, out, err = run(lab, shlex.split(line), ns=ns)
    if ok:
        assert rc == 0, (line, out, err)
    return rc, out, err


def test_golden_transcript_is_loaded():
    assert len(CASES) >= 60


def test_vxlan_commands_match_the_host_transcript():
    lab = Lab()
    ns = lab.netns("s")
    for cmd, out, err, rc in CASES:
        got = emulate(lab, ns, cmd)
        assert (got[0], normalize(got[1]), got[2]) == (rc, normalize(out), err), cmd


def test_vxlan_transcript_still_matches_live_host(host):
    p = subprocess.run(["bash", str(GOLDEN / "vxlan-gen.sh"), str(GOLDEN / "vxlan-cases.txt")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0
    assert normalize(p.stdout) == normalize((GOLDEN / "vxlan-cases.out").read_text())


# ---------------------------------------------------------------------------------------------
def pair(n: int = 2, mtu: int = 1500, vx: str = "dstport 4789"):
    """n netns on one bridged underlay (10.0.0.i/24); vx0 (VNI 42) with MAC 02::0i in each.
    IPv6 is disabled by sysctl in every netns first: the fdb learning and drop counts checked
    here are of the tests' own IPv4 traffic, not of the MLD/RS/DAD an IPv6 kernel sends."""
    from ipv6_off import lab_without_ipv6
    lab = lab_without_ipv6()
    u = lab.netns("u")
    sh(lab, u, "ip link add br0 type bridge")
    sh(lab, u, "ip link set br0 up")
    nss = []
    for i in range(1, n + 1):
        ns = lab.netns(f"n{i}")
        sh(lab, u, f"ip link add p{i} type veth peer name eth0 netns n{i}")
        sh(lab, u, f"ip link set p{i} master br0")
        sh(lab, u, f"ip link set p{i} up")
        sh(lab, ns, f"ip link set eth0 mtu {mtu}")
        sh(lab, ns, f"ip addr add 10.0.0.{i}/24 dev eth0")
        sh(lab, ns, "ip link set eth0 up")
        sh(lab, ns, f"ip link add vx0 address 02:00:00:00:00:0{i} type vxlan id 42 {vx} "
                    f"local 10.0.0.{i} dev eth0")
        sh(lab, ns, f"ip addr add 192.168.7.{i}/24 dev vx0")
        sh(lab, ns, "ip link set vx0 up")
        nss.append(ns)
    lab.run_for(2)
    return lab, nss


def capture(dev) -> list:
    got: list = []

    def tap(skb, d, outgoing):
        if skb.protocol == 0x0800:
            got.append(("out" if outgoing else "in", bytes(skb.data[skb.mac_len:])))
    dev.ptype_all.append(tap)
    return got


def fdb(lab, ns) -> list[str]:
    return sorted(sh(lab, ns, "bridge fdb show dev vx0")[1].splitlines())


def test_VXL_01_default_port_8472_with_iproute2_warning_and_vni_per_port():
    lab = Lab()
    ns = lab.netns("s")
    rc, out, err = sh(lab, ns, "ip link add vx0 type vxlan id 5")
    assert err.startswith("vxlan: destination port not specified\n")
    assert "Use 'dstport 4789' to get the IANA assigned value" in err
    assert ns.by_name["vx0"].fill_info()["port"] == 8472
    sh(lab, ns, "ip link add vx1 type vxlan id 5 dstport 4789")       # same VNI, other port
    assert sh(lab, ns, "ip link add vx2 type vxlan id 5 dstport 4789", ok=False) == \
        (2, "", "Error: A VXLAN device with the specified VNI already exists.\n")
    # the encapsulation really uses the port: a listener on 8472 is the tunnel's socket
    sh(lab, ns, "ip link set vx0 up")
    assert 8472 in ns.ipv4.udp.tunnels
    sh(lab, ns, "ip link set vx0 down")
    assert 8472 not in ns.ipv4.udp.tunnels


def test_VXL_02_learning_maps_inner_source_mac_to_outer_source_ip():
    lab, (a, b, c) = pair(3)
    for ns, peers in ((a, (2, 3)), (b, (1, 3)), (c, (1, 2))):
        for j in peers:
            sh(lab, ns, f"bridge fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.{j}")
    sh(lab, a, "ping -c 1 192.168.7.2")
    assert "02:00:00:00:00:02 dst 10.0.0.2 self " in fdb(lab, a)
    assert "02:00:00:00:00:01 dst 10.0.0.1 self " in fdb(lab, b)
    # c saw a's broadcast (head-end replication) and learned a too
    assert "02:00:00:00:00:01 dst 10.0.0.1 self " in fdb(lab, c)
    # nolearning: nothing new is learned
    sh(lab, c, "ip link set vx0 type vxlan nolearning")
    sh(lab, c, "bridge fdb del 02:00:00:00:00:01 dev vx0")
    sh(lab, a, "ping -c 1 192.168.7.3")
    assert [e for e in fdb(lab, c) if not e.startswith("00:00")] == []
    # ageing: dynamic entries go after 300 s (checked every 10 s); permanent ones stay
    lab.run_for(320)
    assert [e for e in fdb(lab, a) if not e.startswith("00:00")] == []
    assert len(fdb(lab, a)) == 2


def test_VXL_02_static_entry_is_not_migrated_and_own_mac_is_dropped():
    lab, (a, b, c) = pair(3)
    sh(lab, a, "bridge fdb add 02:00:00:00:00:02 dev vx0 dst 10.0.0.3")    # wrong on purpose
    sh(lab, b, "bridge fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.1")
    vx = a.by_name["vx0"]
    rx = vx.rx_packets
    # b's frames arrive from 10.0.0.2 with source MAC 02..02: the static entry keeps 10.0.0.3
    # and the frame is dropped (vxlan_snoop)
    sh(lab, b, "ping -c 1 -W 1 192.168.7.1", ok=False)
    assert "02:00:00:00:00:02 dst 10.0.0.3 self permanent" in fdb(lab, a)
    assert vx.rx_packets == rx and vx.rx_dropped >= 1
    # a frame carrying a's own MAC as source is dropped
    from vnetlab.devices.vxlan import VXLAN_HF_VNI
    lab.run_for(5)                                   # b's ARP retries are over
    drops = vx.rx_dropped
    frame = b"\xff" * 6 + bytes.fromhex("020000000001") + b"\x08\x06" + b"\x00" * 28
    vxh = struct.pack("!II", VXLAN_HF_VNI, 42 << 8)
    udp = struct.pack("!HHHH", 40000, 4789, 8 + len(vxh) + len(frame), 0) + vxh + frame
    b.ipv4.ip_send(0x0A000001, 17, udp)
    lab.run_for(1)
    assert vx.rx_dropped == drops + 1


def test_VXL_03_head_end_replication_and_drop_without_any_entry():
    lab, (a, b, c) = pair(3)
    vx = a.by_name["vx0"]
    sh(lab, a, "ip neigh add 192.168.7.2 lladdr 02:00:00:00:00:02 dev vx0")
    sh(lab, a, "ping -c 1 -W 1 192.168.7.2", ok=False)
    assert vx.tx_dropped == 1 and vx.tx_packets == 0          # no entry, no all-zeros entry
    sh(lab, a, "bridge fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.2")
    sh(lab, a, "bridge fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.3")
    cap = capture(a.by_name["eth0"])
    sh(lab, a, "ip neigh del 192.168.7.2 dev vx0")
    sh(lab, a, "ping -c 1 -W 1 192.168.7.3", ok=False)        # the ARP broadcast: 2 copies
    arp = [f[1] for f in cap if f[0] == "out" and f[1][9] == 17 and f[1][48:50] == b"\x08\x06"]
    assert sorted(p[16:20] for p in arp[:2]) == [bytes([10, 0, 0, 2]), bytes([10, 0, 0, 3])]
    # VXLAN header: I flag, VNI 42; UDP to 4789 from the ephemeral range
    p = arp[0]
    sport, dport = struct.unpack_from("!HH", p, 20)
    assert dport == 4789 and 32768 <= sport <= 60999
    assert p[28] == 0x08 and int.from_bytes(p[32:35], "big") == 42
    # `remote` makes the permanent all-zeros entry by itself
    sh(lab, a, "ip link add vx9 type vxlan id 9 dstport 4789 remote 10.0.0.2")
    assert sh(lab, a, "bridge fdb show dev vx9")[1] == \
        "00:00:00:00:00:00 dst 10.0.0.2 self permanent\n"


def test_VXL_04_mtu_from_the_lower_device_minus_50_and_no_queue():
    lab, (a, b) = pair(2, mtu=1400)
    vx = a.by_name["vx0"]
    assert vx.mtu == 1350 and vx.no_queue
    assert sh(lab, a, "ip link set vx0 mtu 1351", ok=False) == \
        (2, "", "RTNETLINK answers: Invalid argument\n")
    sh(lab, a, "ip link add vx1 type vxlan id 1 dstport 4789")
    assert a.by_name["vx1"].mtu == 1500
    sh(lab, a, "ip link set vx1 mtu 9000")
    assert "qdisc noqueue" in sh(lab, a, "ip link show vx0")[1]
    # a full-size overlay frame fits the underlay exactly: 1350 + 50 = 1400
    sh(lab, a, "ping -c 1 -s 1322 -M do 192.168.7.2", ok=False)
    cap = capture(a.by_name["eth0"])
    sh(lab, a, "bridge fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.2")
    sh(lab, b, "bridge fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.1")
    sh(lab, a, "ping -c 1 -s 1322 192.168.7.2")
    assert max(len(f[1]) for f in cap if f[0] == "out") == 1400
