"""``vnetlab why LAB --from A --to B``: build the lab on the emulator, ping once from A to B with
the trace on, and explain the flow: the hops of the echo request and of the reply, the ARP
exchanges they needed, and where and why a frame died (drop reason and kernel-spec rule)."""

from __future__ import annotations

import sys

from .run import EmuRun, SetupError


def explain(model, src: str, dst: str, count: int = 1, seed: int = 0,
            wait: int = 5, size: int | None = None) -> tuple[int, str]:
    """(exit status, text). Status 0 when the ping got its replies, 1 when not, 2 on bad
    input or a failed setup."""
    from ..trace.explain import TraceCollector
    if src not in model.nodes:
        return 2, f"vnetlab why: unknown node {src!r} (nodes: {', '.join(model.nodes)})\n"
    r = EmuRun(model, seed=seed)
    try:
        r.build()
    except SetupError as e:
        return 2, f"setup failed: {e}\n"
    to = r.resolve(dst)
    if to is None or (dst not in model.nodes and not _is_ip(dst)):
        return 2, (f"vnetlab why: {dst!r} is neither an IPv4 address nor a node with a "
                   f"global address\n")
    col = TraceCollector(r.lab.kernel).attach()
    from ..commands import run
    code, out, err = run(r.lab, ["ping", "-c", str(count), "-W", str(wait)]
              + (["-s", str(size)] if size is not None else []) + [to], ns=r.lab.ns(src))
    col.detach()
    frames = col.frames()
    lines = [f"ping from {src} to {dst}" + (f" ({to})" if to != dst else "") + ":"]
    lines += ["  " + ln for ln in (out + err).rstrip("\n").splitlines()]
    lines.append("")
    req = [f for f in frames if f.cls == "echo-request"]
    rep = [f for f in frames if f.cls == "echo-reply"]
    arp = [f for f in frames if f.cls == "arp"]
    errs = [f for f in frames if f.cls == "icmp-error"]
    for title, group in (("echo request", req), ("echo reply", rep),
                         ("ICMP errors", errs), ("ARP", arp)):
        if not group:
            continue
        lines.append(f"== {title} ({len(group)} frame{'s' if len(group) != 1 else ''})")
        for f in group:
            lines.append(f.render())
            lines.append("")
    lines.append("== verdict")
    if code == 0:
        lines.append(f"  ok: {src} got its echo replies from {to}")
    else:
        lines.append(f"  failed (ping exit {code})")
        if not req:
            lines.append(f"  no echo request left {src}: "
                         + ((err or out).strip().splitlines() or ["(no output)"])[0])
        for f in req + rep + arp:
            if f.drops and not f.delivered:
                d = f.drops[-1]
                lines.append(f"  {f.summary}: died in {d.ns} at {d.dev}: "
                             f"SKB_DROP_REASON_{d.what}" + (f" ({d.detail})" if d.detail else ""))
        if req and not rep and not any(f.drops for f in req) and \
                not any(f.delivered for f in req):
            last = req[-1].events[-1]
            if last.kind == "hop" and last.what == "neigh_resolve_output":
                lines.append(f"  the echo request waits in {last.ns} at {last.dev} for the "
                             f"neighbour to resolve: {last.detail}")
                for f in arp[-1:]:
                    lines.append(f"  last ARP frame: {f.summary}: {f.verdict()}")
            else:
                lines.append(f"  the echo request was last seen in {last.ns} at {last.dev} "
                             f"and went nowhere from there")
        if req and any(f.delivered for f in req) and not rep:
            lines.append(f"  the echo request reached {to}, but no reply came back")
    return (0 if code == 0 else 1), "\n".join(lines) + "\n"


def _is_ip(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


def why(model, src: str, dst: str, count: int = 1, seed: int = 0, wait: int = 5,
        size: int | None = None, out=None) -> int:
    code, text = explain(model, src, dst, count=count, seed=seed, wait=wait, size=size)
    (out or (sys.stdout if code != 2 else sys.stderr)).write(text)
    return code
