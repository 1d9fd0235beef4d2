"""``ip link`` / ``ip address`` on the emulator against iproute2 6.1 on the host kernel.

Three kinds of checks, all judged by the real tools:

* ``test_matches_host`` (root): every scenario of ``ip_scenarios.py`` runs on the emulator and,
  live, in throwaway netns on the host kernel; the normalised transcripts (stdout, stderr,
  exit status of every command) must be identical.
* ``test_matches_golden`` (no root needed): the same scenarios against transcripts captured
  from the host by ``golden/host-6.18/make_ip_link_addr.py``.
* ``test_stats_columns_golden``: counters of ~11 GB of flood ping captured from the host are fed
  to an emulated veth; ``ip -s`` / ``ip -s -s`` / ``ip -s -h`` must lay them out as iproute2 did
  (size_columns() widening the bytes column, print_num() scaling with -h).

Plus a few direct unit checks of the helpers (prefix matching, C number parsing, JSON writer).
"""

from __future__ import annotations

import json
import os

import pytest

import ip_scenarios as S

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "host-6.18", "ip-link-addr")


@pytest.mark.parametrize("name", sorted(S.SCENARIOS))
def test_matches_host(name, host):
    steps = S.SCENARIOS[name]
    assert S.run_emu(steps) == S.run_host(steps, host)


@pytest.mark.parametrize("name", sorted(S.SCENARIOS))
def test_matches_golden(name):
    path = os.path.join(GOLDEN, f"{name}.txt")
    if not os.path.exists(path):
        pytest.skip(f"no golden transcript for {name}: run make_ip_link_addr.py as root")
    with open(path) as f:
        want = f.read()
    assert S.run_emu(S.SCENARIOS[name]) == want


def _stats_lab(stats_json: dict):
    """An emulated veth pair across two netns whose end v0 reports the host's counters."""
    from vnetlab.api import Lab
    from vnetlab.stack.netdev import STATS64

    lab = Lab()
    lab.netns("a")
    lab.netns("b")
    lab.add_veth("v0", "v1", ns="a", peer_ns="b")
    lab.set_link("v0", ns="a", up=True)
    lab.set_link("v1", ns="b", up=True)
    lab.run_for(1.1)
    s = stats_json["stats64"]
    names = {("rx", "bytes"): "rx_bytes", ("rx", "packets"): "rx_packets",
             ("rx", "errors"): "rx_errors", ("rx", "dropped"): "rx_dropped",
             ("rx", "over_errors"): "rx_over_errors", ("rx", "multicast"): "multicast",
             ("rx", "length_errors"): "rx_length_errors", ("rx", "crc_errors"): "rx_crc_errors",
             ("rx", "frame_errors"): "rx_frame_errors", ("rx", "fifo_errors"): "rx_fifo_errors",
             ("rx", "missed_errors"): "rx_missed_errors", ("tx", "bytes"): "tx_bytes",
             ("tx", "packets"): "tx_packets", ("tx", "errors"): "tx_errors",
             ("tx", "dropped"): "tx_dropped", ("tx", "carrier_errors"): "tx_carrier_errors",
             ("tx", "collisions"): "collisions", ("tx", "aborted_errors"): "tx_aborted_errors",
             ("tx", "fifo_errors"): "tx_fifo_errors", ("tx", "window_errors"): "tx_window_errors",
             ("tx", "heartbeat_errors"): "tx_heartbeat_errors"}
    counters = {f: 0 for f in STATS64}
    for (d, k), field in names.items():
        counters[field] = s[d][k]
    dev = lab.dev("v0", ns="a")
    dev.get_stats64 = lambda: dict(counters)
    dev.carrier_changes = s["tx"]["carrier_changes"]
    return lab


def test_stats_columns_golden():
    from vnetlab.commands import run

    path = os.path.join(GOLDEN, "stats-columns.json")
    if not os.path.exists(path):
        pytest.skip("no stats-columns.json: run make_ip_link_addr.py as root")
    with open(path) as f:
        cap = json.load(f)
    lab = _stats_lab(cap["json"][0])
    for key, argv in (("s", ["-s"]), ("ss", ["-s", "-s"]), ("sh", ["-s", "-h"])):
        rc, out, err = run(lab, ["ip", "-n", "a"] + argv + ["link", "show", "v0"])
        assert (rc, err) == (0, "")
        assert S.normalize(out) == cap[key], key
    rc, out, _ = run(lab, ["ip", "-n", "a", "-j", "-s", "-s", "link", "show", "v0"])
    assert json.loads(S.normalize(out)) == cap["json"]


# -- helpers ------------------------------------------------------------------------------------

def test_matches_is_a_nonempty_prefix():
    from vnetlab.commands.ip.common import matches
    assert matches("d", "dynamic") and matches("dyn", "dynamic")
    assert not matches("", "dynamic") and not matches("dynamics", "dynamic")


def test_c_number_parsing():
    from vnetlab.commands.ip.common import get_integer, get_prefix_1, get_unsigned
    assert get_integer("0x10") == 16 and get_integer("010") == 8
    assert get_integer("08") is None and get_integer("") is None
    assert get_integer("-1") == -1 and get_unsigned("-1") is None
    assert get_prefix_1("10.0.0.1/33", 0) is None
    p = get_prefix_1("10.8/255.255.0.0", 0)
    assert (p.data, p.bitlen) == (0x0A080000, 16)


def test_json_writer_pretty_layout():
    from vnetlab.commands.ip.common import jsonw_dump
    tree = [{"ifindex": 1, "flags": ["UP", "LOWER_UP"], "addr_info": []}]
    assert jsonw_dump(tree) == '[{"ifindex":1,"flags":["UP","LOWER_UP"],"addr_info":[]}]'
    assert jsonw_dump(tree, True) == ('[ {\n        "ifindex": 1,\n        "flags": '
                                      '[ "UP","LOWER_UP" ],\n        "addr_info": [ ]\n    } ]')


def test_link_and_address_api_round_trip():
    """What the commands do is visible through the typed API and vice versa."""
    from vnetlab.api import Lab
    from vnetlab.commands import run
    lab = Lab()
    lab.add_veth("v0", "v1")
    assert run(lab, ["ip", "addr", "add", "10.0.0.1/24", "dev", "v0"])[0] == 0
    assert lab.addrs("v0") == ["10.0.0.1/24"]
    lab.add_addr("v1", "10.0.0.2/24")
    rc, out, _ = run(lab, ["ip", "-br", "-4", "addr", "show", "dev", "v1"])
    assert out == "v1@v0            DOWN           10.0.0.2/24 \n"
    assert run(lab, ["ip", "link", "del", "v1"])[0] == 0
    assert "v0" not in lab.kernel.init_ns.by_name
