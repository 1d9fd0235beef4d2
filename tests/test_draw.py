"""Topology pictures (vnetlab.trace.draw, ``vnetlab draw``): what is drawn, and that the real
renderers (graphviz ``dot``, ``rsvg-convert``) accept it."""

from __future__ import annotations

import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from vnetlab.cli import main as cli
from vnetlab.lab.load import load
from vnetlab.lab.picture import lab_topology
from vnetlab.trace.draw import to_dot, to_svg

ROOT = Path(__file__).resolve().parent.parent
LABS = ROOT / "examples" / "labs"
DOT = shutil.which("dot")
RSVG = shutil.which("rsvg-convert")


def edges(topo):
    return {(e.a, e.b, e.label, e.style) for e in topo.edges}


def test_macvlan_topology():
    t = lab_topology(load(LABS / "macvlan-vepa-hairpin.yaml"))
    assert [ns.name for ns in t.namespaces] == ["host", "c1", "c2"]
    assert [d.name for d in t.namespaces[1].devices] == ["mv1"]      # lo is left out
    mv1 = t.namespaces[1].devices[0]
    assert (mv1.kind, mv1.mode, mv1.addrs, mv1.up) == ("macvlan", "vepa",
                                                       ["192.168.50.11/24"], True)
    assert edges(t) == {("c1/mv1", "host/eth0", "macvlan vepa", "dotted"),
                        ("c2/mv2", "host/eth0", "macvlan vepa", "dotted"),
                        ("host/eth0", "switch/lan", "hairpin", "solid")}
    assert t.switches == ["lan"]


def test_bridge_topology():
    t = lab_topology(load(LABS / "bridge-two-ns.yaml"))
    e = edges(t)
    assert ("host/veth-a", "host/br0", "bridge port", "dashed") in e
    assert ("host/veth-b", "host/br0", "bridge port", "dashed") in e
    veths = {frozenset((a, b)) for a, b, label, _ in e if label == "veth"}
    assert veths == {frozenset(("a/eth0", "host/veth-a")), frozenset(("b/eth0", "host/veth-b"))}


@pytest.mark.skipif(DOT is None, reason="graphviz is not installed")
def test_dot_renders_with_graphviz():
    t = lab_topology(load(LABS / "macvlan-vepa-hairpin.yaml"))
    r = subprocess.run([DOT, "-Tsvg"], input=to_dot(t, "vepa").encode(), capture_output=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    svg = ET.fromstring(r.stdout)
    texts = " ".join(x.text or "" for x in svg.iter() if x.tag.endswith("text"))
    for want in ("netns c1", "netns host", "macvlan vepa", "hairpin", "switch lan",
                 "192.168.50.11/24"):
        assert want in texts


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_builtin_svg_is_valid_and_renders(tmp_path):
    t = lab_topology(load(LABS / "bridge-two-ns.yaml"))
    svg = to_svg(t, "bridge")
    root = ET.fromstring(svg)
    w, h = int(root.get("width")), int(root.get("height"))
    groups = [g.get("id") for g in root.iter("{http://www.w3.org/2000/svg}g")]
    assert {"netns-host", "netns-a", "netns-b", "dev-host/br0", "dev-a/eth0"} <= set(groups)
    if RSVG is None:
        pytest.skip("rsvg-convert is not installed (apt-get install librsvg2-bin)")
    r = subprocess.run([RSVG, "-f", "png"], input=svg.encode(), capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert _png_size(r.stdout) == (w, h)


def test_cli_draw_outputs(tmp_path, capsys):
    lab = str(LABS / "routed-line.yaml")
    assert cli(["draw", lab, "-o", str(tmp_path / "t.dot")]) == 0
    text = (tmp_path / "t.dot").read_text()
    assert text.startswith("graph vnetlab {") and '"left/eth0" -- "router/left0"' in text
    assert cli(["draw", lab, "--builtin", "-o", str(tmp_path / "t.svg")]) == 0
    ET.parse(tmp_path / "t.svg")
    if DOT or RSVG:
        assert cli(["draw", lab, "-o", str(tmp_path / "t.png")]) == 0
        _png_size((tmp_path / "t.png").read_bytes())
    assert cli(["draw", lab, "-o", str(tmp_path / "t.jpg")]) == 2
    assert "must end in .svg, .png or .dot" in capsys.readouterr().err
