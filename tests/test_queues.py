"""Device queue counts: rtnl_create_link()'s IFLA_NUM_TX_QUEUES / IFLA_NUM_RX_QUEUES and veth's
default of one queue per possible CPU (veth_get_num_queues), checked against the host kernel."""

from __future__ import annotations

import json

import pytest

from vnetlab.api import Lab
from vnetlab.commands import run
from vnetlab.hostinfo import possible_cpus


def _queues(lab, dev):
    rc, out, err = run(lab, ["ip", "-d", "-j", "link", "show", dev])
    assert rc == 0, err
    d = json.loads(out)[0]
    return d["num_tx_queues"], d["num_rx_queues"]


@pytest.mark.parametrize("cpus", [1, 2, 3, 64])
def test_veth_default_queues_follow_possible_cpus(cpus):
    lab = Lab(cpus=cpus)
    assert run(lab, ["ip", "link", "add", "a0", "type", "veth", "peer", "name", "a1"])[0] == 0
    assert _queues(lab, "a0") == (cpus, cpus)
    assert _queues(lab, "a1") == (cpus, cpus)


def test_explicit_queues_win_and_other_kinds_have_one():
    lab = Lab(cpus=4)
    assert run(lab, ["ip", "link", "add", "a0", "numtxqueues", "3", "type", "veth", "peer",
                     "name", "a1", "numrxqueues", "5"])[0] == 0
    assert _queues(lab, "a0") == (3, 4)
    assert _queues(lab, "a1") == (4, 5)
    assert run(lab, ["ip", "link", "add", "b0", "type", "bridge"])[0] == 0
    assert _queues(lab, "b0") == (1, 1)


@pytest.mark.parametrize("arg,msg", [("numtxqueues", "transmit"), ("numrxqueues", "receive")])
@pytest.mark.parametrize("val", ["0", "4097"])
def test_queue_count_range(arg, msg, val):
    lab = Lab()
    rc, out, err = run(lab, ["ip", "link", "add", "a0", arg, val, "type", "veth"])
    assert (rc, err) == (2, f"Error: Invalid number of {msg} queues.\n")
    assert "a0" not in lab.kernel.init_ns.by_name


def test_tbf_root_refcnt_counts_tx_queues():
    lab = Lab(cpus=2)
    for cmd in ("ip link add a0 numtxqueues 3 type veth peer name a1", "ip link set a0 up",
                "tc qdisc add dev a0 root handle 1: tbf rate 1mbit burst 10k limit 1000"):
        assert run(lab, cmd.split())[0] == 0
    assert "root refcnt 4 " in run(lab, "tc qdisc show dev a0".split())[1]


def test_host_veth_default_matches_possible_cpus(host):
    """The host kernel's veth gets num_possible_cpus() queues: what the emulator is given."""
    host.run("ip link add qa0 type veth peer name qa1", ns="q")
    d = json.loads(host.run("ip -d -j link show qa0", ns="q").stdout)[0]
    assert (d["num_tx_queues"], d["num_rx_queues"]) == (possible_cpus(), possible_cpus())
