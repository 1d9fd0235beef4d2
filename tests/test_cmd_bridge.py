"""``bridge`` (iproute2 6.1) on the emulator against the real tool on the host kernel.

* ``test_matches_host`` (root): every scenario of ``bridge_scenarios.py`` runs on the emulator
  and, live, in throwaway netns on the host kernel; the normalised transcripts (stdout, stderr,
  exit status of every command) must be identical.
* ``test_matches_golden`` (no root needed): the same scenarios against the transcripts captured
  from the host by ``golden/host-6.18/make_bridge_tcpdump.py``.

Plus direct checks of what the transcripts cannot pin down alone (parsing helpers, the kernel's
address-list model, the bridge API calls behind ``bridge link set`` / ``bridge fdb``).
"""

from __future__ import annotations

import os

import pytest

import bridge_scenarios as B
import ip_scenarios as S

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "host-6.18", "bridge")


@pytest.mark.parametrize("name", sorted(B.SCENARIOS))
def test_matches_host(name, host):
    steps = B.SCENARIOS[name]
    assert S.run_emu(steps) == S.run_host(steps, host)


@pytest.mark.parametrize("name", sorted(B.SCENARIOS))
def test_matches_golden(name):
    path = os.path.join(GOLDEN, f"{name}.txt")
    if not os.path.exists(path):
        pytest.skip(f"no golden transcript for {name}: run make_bridge_tcpdump.py as root")
    with open(path) as f:
        want = f.read()
    assert S.run_emu(B.SCENARIOS[name]) == want


# -- helpers and the kernel side -------------------------------------------------------------

def _lab():
    from vnetlab.api import Lab
    from vnetlab.commands import run

    from ipv6_off import disable_ipv6

    lab = Lab()
    lab.netns("a")
    # the lists below are those of a netns with IPv6 disabled (all-nodes 33:33:00:00:00:01 is
    # joined at register even then; no link-local, so no solicited-node 33:33:ff:..)
    disable_ipv6(lab, "a")
    for cmd in ("ip link add br0 type bridge", "ip link set br0 up",
                "ip link add p0 address 02:00:00:00:00:a0 type veth peer name q0",
                "ip link add p1 address 02:00:00:00:00:a1 type veth peer name q1",
                "ip link set p0 master br0", "ip link set p1 master br0",
                "ip link set p0 up", "ip link set q0 up", "ip link set p1 up",
                "ip link set q1 up"):
        assert run(lab, cmd.split(), ns="a")[0] == 0, cmd
    lab.run_for(1.1)
    return lab, (lambda cmd: run(lab, cmd.split(), ns="a"))


def test_sscanf_mac_quirks():
    from vnetlab.commands.bridge import sscanf_mac
    assert sscanf_mac("2:0:0:0:0:9") == bytes([2, 0, 0, 0, 0, 9])
    assert sscanf_mac("02:00:00:00:00:08:09") == bytes([2, 0, 0, 0, 0, 8])   # rest ignored
    assert sscanf_mac("0x2:0:0:0:0:1ff") == bytes([2, 0, 0, 0, 0, 0xFF])      # %hhx truncates
    assert sscanf_mac("02:00:00:00:00") is None
    assert sscanf_mac("zz") is None


def test_link_set_reaches_the_bridge_port():
    from vnetlab.devices.bridge import port_of
    lab, sh = _lab()
    dev = lab.dev("p0", ns="a")
    assert sh("bridge link set dev p0 hairpin on learning off cost 9 priority 7")[0] == 0
    p = port_of(dev)
    assert (p.hairpin, p.learning, p.path_cost, p.priority) == (True, False, 9, 7)
    assert sh("bridge link set dev p0 state 2")[0] == 0
    assert p.state == 2
    # the kernel's br_set_port_state() does not look at the bridge itself
    assert sh("ip link set br0 down")[0] == 0
    assert sh("bridge link set dev p0 state 1")[0] == 0
    assert p.state == 1


def test_fdb_static_entry_steers_forwarding_and_is_listed():
    lab, sh = _lab()
    br = lab.dev("br0", ns="a")
    assert sh("bridge fdb add 02:00:00:00:00:99 dev p1 master static")[0] == 0
    e = br.fdb_lookup(bytes.fromhex("020000000099"))
    assert e is not None and e.is_static and not e.is_local and e.dev.name == "p1"
    rc, out, err = sh("bridge fdb show brport p1")
    assert "02:00:00:00:00:99 master br0 static\n" in out
    assert sh("bridge fdb del 02:00:00:00:00:99 dev p1 master")[0] == 0
    assert br.fdb_lookup(bytes.fromhex("020000000099")) is None


def test_self_entries_follow_the_device_lists():
    lab, sh = _lab()
    q0 = lab.dev("q0", ns="a")
    assert sh("bridge fdb add 02:00:00:00:00:77 dev q0")[0] == 0
    assert bytes.fromhex("020000000077") in q0.uc
    assert q0.promiscuity == 1            # no IFF_UNICAST_FLT on veth: uc_promisc
    rc, out, _ = sh("bridge fdb show dev q0")
    assert out.splitlines() == ["02:00:00:00:00:77 self permanent",
                                "33:33:00:00:00:01 self permanent",
                                "01:00:5e:00:00:01 self permanent"]
    assert sh("bridge fdb del 02:00:00:00:00:77 dev q0")[0] == 0
    assert q0.uc == [] and q0.promiscuity == 0


def test_multicast_list_model():
    from vnetlab.commands.bridge import hw_mc_list
    lab, sh = _lab()
    br, q0 = lab.dev("br0", ns="a"), lab.dev("q0", ns="a")
    hexes = lambda lst: [m.hex() for m in lst]
    assert hexes(hw_mc_list(br)) == ["333300000001", "01005e00006a", "33330000006a",
                                     "01005e000001"]
    assert sh("ip link set br0 type bridge mcast_snooping 0")[0] == 0
    assert hexes(hw_mc_list(br)) == ["333300000001", "01005e000001"]
    assert sh("ip link set q0 down")[0] == 0
    assert hexes(hw_mc_list(q0)) == ["333300000001"]


def test_refused_options_say_so():
    lab, sh = _lab()
    rc, out, err = sh("bridge link set dev p0 locked on")
    assert rc == 255 and "vnetlab" in err and "locked" in err
    rc, out, err = sh("bridge link set dev p0 locked off")
    assert rc == 0
