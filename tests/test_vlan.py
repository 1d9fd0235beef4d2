"""802.1Q / 802.1ad VLAN devices (vnetlab.devices.vlan, net/8021q/) against the reference kernel.

tests/golden/vm-6.1/vlan-cases.out was made on the reference-kernel VM (Debian 6.1, iproute2
6.1; the host kernel has no 8021q module) by ``dummy-gen.sh vlan-cases.txt`` (the shared case
runner): each line run in order in one fresh netns, with stdout, stderr (``! ``) and status.
"""

from __future__ import annotations

import shlex

from normalize import normalize
from test_dummy import load, replay
from vnetlab.api import Lab
from vnetlab.commands import run
from vnetlab.stack.skb import Skb


def test_VLAN_golden_transcript_matches_the_reference_kernel():
    """VLAN-01/02/03/06: create, -d/-j printer (flags, qos maps, 802.1ad), EEXIST/ERANGE/
    missing id/link extacks, parser errors, MTU limits, lower down/up closes/opens, stolen MAC,
    bridge_binding without a bridge has no carrier, vlan on lo refused, delete with the lower."""
    cases = load("vlan-cases.out")
    assert len(cases) >= 45
    assert replay("vlan-cases.out") == []


def _pair():
    from ipv6_off import disable_ipv6
    lab = Lab()
    a, b = lab.netns("a"), lab.netns("b")
    # IPv6 off (sysctl before the devices exist): what is seen and counted below is the tests'
    # own IPv4 traffic, not the untagged MLD/DAD of v0/v1 an IPv6 kernel would add
    disable_ipv6(lab, "a")
    disable_ipv6(lab, "b")
    for c, ns in (("ip link add v0 type veth peer name v1 netns b", a),
                  ("ip link add link v0 name v0.10 type vlan id 10", a),
                  ("ip link add link v1 name v1.10 type vlan id 10", b),
                  ("ip addr add 10.10.0.1/24 dev v0.10", a),
                  ("ip addr add 10.10.0.2/24 dev v1.10", b),
                  ("ip link set v0 up", a), ("ip link set v1 up", b)):
        assert run(lab, shlex.split(c), ns=ns)[0] == 0, c
    lab.engine.run_for(100_000_000)
    return lab, a, b


def test_VLAN_04_05_ping_over_vlan_tags_on_the_wire_and_untags_on_receive():
    lab, a, b = _pair()
    seen = []
    b.dev("v1").ptype_all.append(lambda skb, dev, out: seen.append(bytes(skb.data)))
    rc, out, _ = run(lab, shlex.split("ping -c 2 -W 1 10.10.0.2"), ns=a)
    assert rc == 0 and "2 received" in out
    assert seen and all(f[12:14] == b"\x81\x00" and (f[14] << 8 | f[15]) & 0xFFF == 10
                        for f in seen)
    v = b.dev("v1.10").get_stats64()
    assert v["rx_packets"] >= 2 and v["tx_packets"] >= 2


def test_VLAN_05_unknown_vid_is_otherhost_and_not_delivered():
    lab, a, b = _pair()
    v1 = b.dev("v1")
    frame = (v1.addr + a.dev("v0").addr + b"\x81\x00\x00\x0b\x08\x00" +
             bytes.fromhex("450000140000400040010000") + bytes([10, 10, 0, 1, 10, 10, 0, 2]))
    from vnetlab.stack.netdev import netif_receive
    skb = Skb(frame, dev=v1, protocol=0x8100)
    netif_receive(skb)
    assert skb.pkt_type == 3                 # PACKET_OTHERHOST: VID 11 has no vlan device
    assert b.dev("v1.10").get_stats64()["rx_packets"] == 0


def test_VLAN_02_lower_mtu_decrease_pulls_the_vlan_mtu_down():
    lab, a, b = _pair()
    assert run(lab, shlex.split("ip link set v0 mtu 1400"), ns=a)[0] == 0
    assert a.dev("v0.10").mtu == 1400
    rc, _, err = run(lab, shlex.split("ip link set v0.10 mtu 1450"), ns=a)
    assert rc == 2 and err == "RTNETLINK answers: Numerical result out of range\n"


def _emu_script(name: str) -> str:
    import subprocess
    import sys
    from pathlib import Path
    script = Path(__file__).parent / "conformance" / name
    p = subprocess.run([sys.executable, "-m", "vnetlab.cli", "sh", "--backend", "emu",
                        str(script)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=120)
    return p.stdout


def test_VLAN_conformance_34_matches_the_stored_reference_kernel_run():
    """tests/conformance/34-vlan.sh as the VM ran it (gen_conf.sh 34 -> conf-34-vlan.out):
    tagging, untagging, unknown VID, 802.1ad, rx counting without the Ethernet header and
    without broadcasts in mcast, MTU cap, lower down/up."""
    from normalize import emu_as_vm, vm_quirks
    from test_dummy import GOLDEN
    got = normalize(vm_quirks(emu_as_vm(_emu_script("34-vlan.sh"))))
    assert got == normalize(vm_quirks((GOLDEN / "conf-34-vlan.out").read_text()))


def test_VLAN_conformance_35_tcpdump_matches_the_stored_reference_kernel_run():
    """tests/conformance/35-vlan-tcpdump.sh as the VM ran it (conf-35-vlan-tcpdump.out):
    ``vlan 10, p 0, ethertype ...`` with -e on the lower, frame lengths with the tag, the same
    packets untagged on the vlan device."""
    from normalize import emu_as_vm, vm_quirks
    from test_dummy import GOLDEN
    got = normalize(vm_quirks(emu_as_vm(_emu_script("35-vlan-tcpdump.sh"))))
    assert got == normalize(vm_quirks((GOLDEN / "conf-35-vlan-tcpdump.out").read_text()))
