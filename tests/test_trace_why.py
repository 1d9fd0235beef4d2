"""Traces that explain (vnetlab.trace.explain) and ``vnetlab why``: each frame's hops, and where
and why it died, with the kernel's drop reason and the kernel-spec rule."""

from __future__ import annotations

from pathlib import Path

from vnetlab.api import Lab
from vnetlab.cli import main as cli
from vnetlab.lab.load import load, parse
from vnetlab.lab.why import explain
from vnetlab.trace.explain import TraceCollector, frame_info

ROOT = Path(__file__).resolve().parent.parent
LABS = ROOT / "examples" / "labs"

MTU_LAB = """\
nodes:
  a:
    setup:
      - ip link set eth0 mtu 9000
      - ip addr add 10.9.0.1/24 dev eth0
      - ip link set eth0 up
  b:
    setup:
      - ip addr add 10.9.0.2/24 dev eth0
      - ip link set eth0 up
links:
  - veth: [a:eth0, b:eth0]
"""


def test_frame_info_summaries():
    from vnetlab.wire import arp, ethernet
    f = ethernet.build(b"\xff" * 6, b"\x02\x00\x00\x00\x00\x01", 0x0806,
                       arp.build(1, b"\x02\x00\x00\x00\x00\x01", bytes([10, 0, 0, 1]),
                                 b"\x00" * 6, bytes([10, 0, 0, 2])))
    key, summary, cls = frame_info(f)
    assert summary == "ARP, Request who-has 10.0.0.2 tell 10.0.0.1" and cls == "arp"


def test_routed_flow_hops_in_order():
    code, text = explain(load(LABS / "routed-line.yaml"), "left", "right")
    assert code == 0, text
    req = text.split("== echo request")[1].split("== echo reply")[0]
    # the request leaves left, is forwarded by the router with the route it used, and is
    # delivered in right
    order = ["left       eth0       ip_output", "left       eth0       tx",
             "router     left0      rx", "router     left0      forward: <Route unicast "
             "10.2.0.0/24 dev right0", "router     right0     tx", "right      eth0       rx",
             "right      eth0       ip_local_deliver"]
    pos = [req.find(s) for s in order]
    assert -1 not in pos and pos == sorted(pos), req
    assert "=> delivered locally in right" in req
    assert "ok: left got its echo replies from 10.2.0.2" in text


def test_drop_reason_and_rule_named():
    code, text = explain(parse(MTU_LAB), "a", "b", size=3000)
    assert code == 1
    # veth_xmit() drops a frame longer than the peer's MTU: rx_dropped on the peer (VETH-06)
    assert "DROP PKT_TOO_BIG [VETH-06]" in text
    assert "died in b at eth0: SKB_DROP_REASON_PKT_TOO_BIG (VETH-06)" in text
    # small pings still pass
    assert explain(parse(MTU_LAB), "a", "b")[0] == 0


def test_vepa_without_hairpin_explained(capsys):
    code = cli(["why", str(LABS / "macvlan-vepa-no-hairpin.yaml"), "--from", "c1", "--to", "c2"])
    out = capsys.readouterr().out
    assert code == 1
    # ARP requests go out through the lower NIC; the switch never sends them back (SW-02)
    assert "switch: lan: flood to 0 port(s) (SW-02)" in out
    assert "SKB_DROP_REASON_NEIGH_FAILED" in out
    code = cli(["why", str(LABS / "macvlan-vepa-hairpin.yaml"), "--from", "c1", "--to", "c2"])
    out = capsys.readouterr().out
    assert code == 0 and "incl. ingress (SW-03)" in out


def test_why_bad_input(capsys):
    assert cli(["why", str(LABS / "routed-line.yaml"), "--from", "nope", "--to", "right"]) == 2
    assert "unknown node 'nope'" in capsys.readouterr().err
    assert cli(["why", str(LABS / "routed-line.yaml"), "--from", "left", "--to", "x.y"]) == 2
    assert "neither an IPv4 address" in capsys.readouterr().err


def test_run_trace_prints_every_frame(capsys):
    assert cli(["run", str(LABS / "bridge-two-ns.yaml"), "--trace"]) == 0
    out = capsys.readouterr().out
    assert "br_forward:" in out
    # with IPv6 (as on the real kernel) the MLD reports / DAD of the setup already taught br0
    # both MACs before the checks start: nothing is learnt while they are traced
    from vnetlab.stack.kernel import Kernel
    assert ("br_fdb_update: learnt" in out) == (not Kernel.IPV6_DEFAULT)
    # the ping to the absent 10.0.0.3: ARP requests flooded by the bridge, never answered
    assert "ARP, Request who-has 10.0.0.3 tell 10.0.0.1" in out


def test_collector_detach_restores():
    lab = Lab()
    a, b = lab.netns("a"), lab.netns("b")
    lab.add_veth("eth0", "eth0", ns=a, peer_ns=b)
    col = TraceCollector(lab.kernel).attach()
    assert lab.kernel.trace is col and lab.dev("eth0", a).ptype_all
    col.detach()
    assert lab.kernel.trace is None and not lab.dev("eth0", a).ptype_all
