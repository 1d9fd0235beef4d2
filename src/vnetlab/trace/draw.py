"""Topology pictures: namespaces as boxes, their devices inside, and the links between devices
(veth pairs, bridge ports, macvlan / ipvlan lowers with their mode, NICs cabled to external
switches with the port's hairpin).

``topology(kernel, ...)`` reads a built emulator into a ``Topology`` (plain data); ``to_dot``
writes it for graphviz ``dot``; ``to_svg`` is the built-in SVG writer used when graphviz is not
installed. Pure: data in, text out; running ``dot`` is the caller's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape


@dataclass
class DevBox:
    id: str
    name: str
    kind: str
    addrs: list[str] = field(default_factory=list)
    up: bool = False
    mode: str | None = None


@dataclass
class NsBox:
    name: str
    devices: list[DevBox] = field(default_factory=list)


@dataclass
class Edge:
    a: str
    b: str
    label: str
    style: str = "solid"          # solid (cable / veth), dashed (master), dotted (stacked lower)


@dataclass
class Topology:
    namespaces: list[NsBox] = field(default_factory=list)
    switches: list[str] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


IPVLAN_MODES = {0: "l2", 1: "l3", 2: "l3s"}


def _fmt_ip(n: int) -> str:
    return f"{n >> 24 & 255}.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def _mode(dev) -> str | None:
    m = getattr(dev, "mode_name", None)
    if isinstance(m, str):
        return m
    if dev.kind in ("ipvlan", "ipvtap"):
        try:
            info = dev.fill_info()
        except Exception:            # noqa: BLE001 - a picture must not fail on a device
            return None
        mode = info.get("mode") if isinstance(info, dict) else None
        return IPVLAN_MODES.get(mode, None if mode is None else str(mode))
    return None


def topology(kernel, namespaces: list[str] | None = None,
             cables: list[tuple] = ()) -> Topology:
    """Read the kernel. ``namespaces``: names to draw, in order (default: every named netns,
    plus the init netns when it has more than lo). ``cables``: (nic device, switch name,
    hairpin) for each NIC plugged into an external switch."""
    named = kernel.named
    order = list(namespaces) if namespaces is not None else list(named)
    nss = [named[n] for n in order if n in named]
    init = kernel.init_ns
    if namespaces is None and len(init.devices) > 1:
        nss.insert(0, init)
    topo = Topology()
    ids: dict[int, str] = {}
    for ns in nss:
        nsname = ns.name or "init"
        box = NsBox(nsname)
        for dev in sorted(ns.devices, key=lambda d: d.ifindex):
            if dev.flags & 0x8:                       # IFF_LOOPBACK: lo is in every netns
                continue
            did = f"{nsname}/{dev.name}"
            ids[id(dev)] = did
            addrs = [f"{_fmt_ip(a.local)}/{a.prefixlen}" for a in
                     (dev.ip.ifa_list if dev.ip is not None else [])]
            box.devices.append(DevBox(did, dev.name, dev.kind or "nic", addrs,
                                      bool(dev.flags & 1), _mode(dev)))
        topo.namespaces.append(box)
    seen_veth = set()
    for ns in nss:
        for dev in ns.devices:
            did = ids.get(id(dev))
            if did is None:
                continue
            peer = getattr(dev, "peer", None)
            if dev.kind == "veth" and peer is not None and id(peer) in ids:
                pair = frozenset((did, ids[id(peer)]))
                if pair not in seen_veth:
                    seen_veth.add(pair)
                    topo.edges.append(Edge(did, ids[id(peer)], "veth"))
            master = getattr(dev, "master", None)
            if master is not None and id(master) in ids:
                topo.edges.append(Edge(did, ids[id(master)], f"{master.kind or 'master'} port",
                                       "dashed"))
            try:
                iflink = dev.get_iflink()
                lnet = dev.get_link_net()
            except Exception:                         # noqa: BLE001
                continue
            if dev.kind != "veth" and iflink and lnet is not None:
                lower = lnet.by_index.get(iflink)
                if lower is not None and lower is not dev and id(lower) in ids:
                    mode = _mode(dev)
                    topo.edges.append(Edge(did, ids[id(lower)],
                                           f"{dev.kind} {mode}" if mode else dev.kind, "dotted"))
    for nic, sw, hairpin in cables:
        if sw not in topo.switches:
            topo.switches.append(sw)
        did = ids.get(id(nic))
        if did is not None:
            topo.edges.append(Edge(did, f"switch/{sw}", "hairpin" if hairpin else "cable"))
    return topo


# -- graphviz -------------------------------------------------------------------------------------
def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dev_label(d: DevBox) -> list[str]:
    kind = d.kind + (f" {d.mode}" if d.mode else "")
    return [d.name, kind + ("" if d.up else " (down)")] + d.addrs


def to_dot(t: Topology, title: str | None = None) -> str:
    L = ["graph vnetlab {",
         '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.3, ranksep=0.9'
         + (f", label={_q(title)}, labelloc=t" if title else "") + "];",
         '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica",'
         ' fontsize=10];',
         '  edge [fontname="Helvetica", fontsize=9];']
    for i, ns in enumerate(t.namespaces):
        L.append(f"  subgraph cluster_{i} {{")
        L.append(f'    label={_q("netns " + ns.name)}; style="rounded,filled"; '
                 f'fillcolor="#eef3fb"; color="#5b7db1";')
        if not ns.devices:
            L.append(f'    {_q("empty/" + ns.name)} [label="(no devices)", style=invis];')
        for d in ns.devices:
            fill = "#ffffff" if d.up else "#e6e6e6"
            L.append(f"    {_q(d.id)} [label={_q(chr(10).join(dev_label(d)))}, "
                     f'fillcolor="{fill}"];')
        L.append("  }")
    for sw in t.switches:
        L.append(f'  {_q("switch/" + sw)} [label={_q("switch " + sw)}, shape=box3d, '
                 f'fillcolor="#fff3d6"];')
    for e in t.edges:
        attrs = [f"label={_q(e.label)}"]
        if e.style != "solid":
            attrs.append(f"style={e.style}")
        if e.label == "hairpin":
            attrs.append('color="#c0392b", penwidth=2')
        L.append(f"  {_q(e.a)} -- {_q(e.b)} [{', '.join(attrs)}];")
    L.append("}")
    return "\n".join(L) + "\n"


# -- the built-in SVG writer -------------------------------------------------------------------
NS_W, DEV_W, DEV_H, GAP, PAD, HEAD = 190, 150, 58, 90, 20, 34


def to_svg(t: Topology, title: str | None = None) -> str:
    """A simple layered drawing: namespaces side by side, devices stacked in each, switches in
    a row below. Edges: between neighbouring columns a curve between the facing sides; within
    one column a bow to the right; across several columns (or to a switch) down into a lane
    under the boxes, across, and up, so no edge runs through a namespace it does not touch."""
    pos: dict[str, tuple[float, float, int]] = {}
    boxes = []
    x = PAD
    top = PAD + (30 if title else 0)
    max_h = 0
    for col, ns in enumerate(t.namespaces):
        h = HEAD + max(1, len(ns.devices)) * (DEV_H + 16) + 8
        boxes.append((x, top, NS_W, h, ns))
        for j, d in enumerate(ns.devices):
            dx = x + (NS_W - DEV_W) / 2
            dy = top + HEAD + j * (DEV_H + 16)
            pos[d.id] = (dx + DEV_W / 2, dy + DEV_H / 2, col)
        max_h = max(max_h, h)
        x += NS_W + GAP
    width = max(x - GAP + PAD, 320)
    edges = [e for e in t.edges if e.a in pos or e.b in pos]
    long_edges = [e for e in edges if e.a in pos and e.b in pos
                  and abs(pos[e.a][2] - pos[e.b][2]) > 1]
    lane0 = top + max_h + 24
    lanes = {id(e): lane0 + 16 * i for i, e in enumerate(long_edges)}
    sw_y = lane0 + 16 * len(long_edges) + 50
    sws = []
    for k, sw in enumerate(t.switches):
        span = width / (len(t.switches) + 1)
        cx = span * (k + 1)
        pos[f"switch/{sw}"] = (cx, sw_y + 20, -1)
        sws.append((cx - 70, sw_y, 140, 40, sw))
    height = (sw_y + 60 if t.switches else lane0 + 16 * len(long_edges)) + PAD
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="Helvetica, Arial, sans-serif">',
           f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>']
    if title:
        out.append(f'<text x="{width / 2:.0f}" y="{PAD + 12}" text-anchor="middle" '
                   f'font-size="15" font-weight="bold">{escape(title)}</text>')
    for bx, by, bw, bh, ns in boxes:
        out.append(f'<g class="netns" id="netns-{escape(ns.name)}">'
                   f'<rect x="{bx}" y="{by}" width="{bw}" height="{bh}" rx="10" '
                   f'fill="#eef3fb" stroke="#5b7db1" stroke-width="1.5"/>'
                   f'<text x="{bx + bw / 2}" y="{by + 22}" text-anchor="middle" font-size="13" '
                   f'font-weight="bold">netns {escape(ns.name)}</text></g>')
    for sx, sy, sw_, sh, name in sws:
        out.append(f'<g class="switch"><rect x="{sx:.0f}" y="{sy:.0f}" width="{sw_}" '
                   f'height="{sh}" rx="4" fill="#fff3d6" stroke="#b7950b" stroke-width="1.5"/>'
                   f'<text x="{sx + sw_ / 2:.0f}" y="{sy + 25:.0f}" text-anchor="middle" '
                   f'font-size="12">switch {escape(name)}</text></g>')
    paths, labels = [], []
    col_x = [b[0] for b in boxes]
    gutter_use: dict[int, int] = {}
    for e in edges:
        if e.a not in pos or e.b not in pos:
            continue
        (x1, y1, c1), (x2, y2, c2) = pos[e.a], pos[e.b]
        dash = {"dashed": ' stroke-dasharray="7,4"', "dotted": ' stroke-dasharray="2,3"'}.get(
            e.style, "")
        color = "#c0392b" if e.label == "hairpin" else "#333333"
        pw = 2.5 if e.label == "hairpin" else 1.5
        anchor = "middle"
        if c1 == -1 or c2 == -1:                    # to a switch: out the side, down a gutter
            if c1 == -1:
                x1, y1, c1, x2, y2 = x2, y2, c2, x1, y1
            k = gutter_use.setdefault(c1, 0)
            gutter_use[c1] += 1
            gx = col_x[c1] + NS_W + 10 + 7 * k
            ey = y2 - 20
            low = lane0 + 16 * len(long_edges) + 6
            d = (f"M {x1 + DEV_W / 2:.0f} {y1:.0f} L {gx:.0f} {y1:.0f} L {gx:.0f} {low:.0f} "
                 f"C {gx:.0f} {low + 30:.0f} {x2:.0f} {ey - 30:.0f} {x2:.0f} {ey:.0f}")
            lx, ly, anchor = gx + 5, (y1 + low) / 2, "start"
        elif c1 == c2:                              # same column: bow out to the right
            cx = x1 + DEV_W / 2 + 60
            my = (y1 + y2) / 2
            d = (f"M {x1 + DEV_W / 2:.0f} {y1:.0f} Q {cx:.0f} {my:.0f} "
                 f"{x2 + DEV_W / 2:.0f} {y2:.0f}")
            lx, ly, anchor = x1 + DEV_W / 2 + 34, my + 4, "start"
        elif id(e) in lanes:                        # far apart: gutters and a lane below
            if c1 > c2:
                x1, y1, c1, x2, y2, c2 = x2, y2, c2, x1, y1, c1
            lane = lanes[id(e)]
            k1 = gutter_use.setdefault(c1, 0)
            gutter_use[c1] += 1
            k2 = gutter_use.setdefault(c2 - 1, 0)
            gutter_use[c2 - 1] += 1
            g1 = col_x[c1] + NS_W + 10 + 7 * k1
            g2 = col_x[c2] - 10 - 7 * k2
            d = (f"M {x1 + DEV_W / 2:.0f} {y1:.0f} L {g1:.0f} {y1:.0f} L {g1:.0f} {lane:.0f} "
                 f"L {g2:.0f} {lane:.0f} L {g2:.0f} {y2:.0f} L {x2 - DEV_W / 2:.0f} {y2:.0f}")
            lx, ly = (g1 + g2) / 2, lane - 4
        else:                                       # neighbouring columns: facing sides
            if x1 > x2:
                x1, y1, x2, y2 = x2, y2, x1, y1
            sx, ex = x1 + DEV_W / 2, x2 - DEV_W / 2
            k = max(30.0, (ex - sx) / 2)
            d = (f"M {sx:.0f} {y1:.0f} C {sx + k:.0f} {y1:.0f} {ex - k:.0f} {y2:.0f} "
                 f"{ex:.0f} {y2:.0f}")
            lx, ly = (sx + ex) / 2, (y1 + y2) / 2 - 6
        paths.append(f'<path d="{d}" fill="none" stroke="{color}" stroke-width="{pw}" '
                     f'stroke-linejoin="round"{dash}/>')
        labels.append(f'<text x="{lx:.0f}" y="{ly:.0f}" text-anchor="{anchor}" font-size="10" '
                      f'fill="{color}" stroke="#ffffff" stroke-width="3" paint-order="stroke">'
                      f'{escape(e.label)}</text>')
    out += paths
    for ns in t.namespaces:
        for dv in ns.devices:
            cx, cy, _ = pos[dv.id]
            x0, y0 = cx - DEV_W / 2, cy - DEV_H / 2
            fill = "#ffffff" if dv.up else "#e6e6e6"
            out.append(f'<g class="device" id="dev-{escape(dv.id)}"><rect x="{x0:.0f}" '
                       f'y="{y0:.0f}" width="{DEV_W}" height="{DEV_H}" rx="6" fill="{fill}" '
                       f'stroke="#444444"/>')
            for k, text in enumerate(dev_label(dv)[:4]):
                weight = ' font-weight="bold"' if k == 0 else ""
                out.append(f'<text x="{cx:.0f}" y="{y0 + 15 + k * 13:.0f}" text-anchor="middle" '
                           f'font-size="{11 if k == 0 else 10}"{weight}>{escape(text)}</text>')
            out.append("</g>")
    out += labels
    out.append("</svg>")
    return "\n".join(out) + "\n"
