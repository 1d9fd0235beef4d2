"""The current main demo: two namespaces on a Linux bridge, a ping between them, on the emulator."""

from __future__ import annotations

from .api import Lab, fmt_ip


def build_demo(lab: Lab):
    a, b = lab.netns("a"), lab.netns("b")
    lab.add_bridge("br0", up=True)
    for ns, ip in ((a, "10.0.0.1/24"), (b, "10.0.0.2/24")):
        lab.add_veth(f"veth-{ns.name}", "eth0", peer_ns=ns)
        lab.set_link(f"veth-{ns.name}", master="br0", up=True)
        lab.set_link("eth0", ns=ns, up=True)
        lab.set_link("lo", ns=ns, up=True)
        lab.add_addr("eth0", ip, ns=ns, broadcast="+")
    lab.run_until_idle()
    return a, b


def main(out=print) -> int:
    lab = Lab(seed=1)
    a, b = build_demo(lab)
    out("vnetlab demo: netns a (10.0.0.1) -- veth -- br0 -- veth -- netns b (10.0.0.2)")
    res = lab.ping("10.0.0.2", ns=a, count=3, interval=1.0)
    out(f"PING 10.0.0.2 from netns a: {res.transmitted} transmitted, {res.received} received, "
        f"{res.loss_percent:g}% packet loss")
    for r in res.replies:
        out(f"  {r.size} bytes from {fmt_ip(r.src)}: icmp_seq={r.seq} ttl={r.ttl} "
            f"time={r.rtt_ns / 1e6:.3f} ms (virtual)")
    from .wire.ethernet import mac_str
    out("br0 forwarding database:")
    for e in lab.dev("br0").fdb_entries():
        kind = "permanent" if e.is_local else "static" if e.is_static else "learned"
        out(f"  {mac_str(e.mac)} dev {e.dev.name} {kind}")
    out("neighbours of a: " + ", ".join(f"{ip} {st}" for ip, _, _, st in lab.neighbours(a)))
    return 0 if res.received == res.transmitted else 1
