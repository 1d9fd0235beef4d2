"""``ping`` (iputils 20221126) on the emulator, in virtual time: the text, the statistics and the
exit status of the real tool. The protocol side is ``vnetlab.apps.ping``."""

from __future__ import annotations

from ..apps.ping import MS, SEC, Ping
from ..stack.errors import KernelError
from . import command

UNREACH = {0: "Destination Net Unreachable", 1: "Destination Host Unreachable",
           2: "Destination Protocol Unreachable", 3: "Destination Port Unreachable",
           5: "Source Route Failed", 6: "Destination Net Unknown", 7: "Destination Host Unknown",
           8: "Source Host Isolated", 9: "Destination Net Prohibited",
           10: "Destination Host Prohibited", 11: "Destination Net Unreachable for Type of Service",
           12: "Destination Host Unreachable for Type of Service", 13: "Packet filtered",
           14: "Precedence Violation", 15: "Precedence Cutoff"}

USAGE = """
Usage
  ping [options] <destination>

Options:
  <destination>      dns name or ip address
  -a                 use audible ping
  -A                 use adaptive ping
  -B                 sticky source address
  -c <count>         stop after <count> replies
  -C                 call connect() syscall on socket creation
  -D                 print timestamps
  -d                 use SO_DEBUG socket option
  -e <identifier>    define identifier for ping session, default is random for
                     SOCK_RAW and kernel defined for SOCK_DGRAM
                     Imply using SOCK_RAW (for IPv4 only for identifier 0)
  -f                 flood ping
  -h                 print help and exit
  -I <interface>     either interface name or address
  -i <interval>      seconds between sending each packet
  -L                 suppress loopback of multicast packets
  -l <preload>       send <preload> number of packages while waiting replies
  -m <mark>          tag the packets going out
  -M <pmtud opt>     define path MTU discovery, can be one of <do|dont|want>
  -n                 no dns name resolution
  -O                 report outstanding replies
  -p <pattern>       contents of padding byte
  -q                 quiet output
  -Q <tclass>        use quality of service <tclass> bits
  -s <size>          use <size> as number of data bytes to be sent
  -S <size>          use <size> as SO_SNDBUF socket option value
  -t <ttl>           define time to live
  -U                 print user-to-user latency
  -v                 verbose output
  -V                 print version and exit
  -w <deadline>      reply wait <deadline> in seconds
  -W <timeout>       time to wait for response

IPv4 options:
  -4                 use IPv4
  -b                 allow pinging broadcast
  -R                 record route
  -T <timestamp>     define timestamp, can be one of <tsonly|tsandaddr|tsprespec>

IPv6 options:
  -6                 use IPv6
  -F <flowlabel>     define flow label, default is random
  -N <nodeinfo opt>  use icmp6 node info query, try -N help as a help

For more details see ping(8).
"""

_WITH_ARG = set("cIiwWstlmMpQSTeFN")
_FLAGS = set("aABCDdfhLnOqUvV46bR")


def _ip(text: str) -> int | None:
    parts = text.split(".")
    if len(parts) != 4 or not all((p.isascii() and p.isdigit()) and int(p) < 256 for p in parts):
        return None
    v = 0
    for p in parts:
        v = (v << 8) | int(p)
    return v


def _fmt(v: int) -> str:
    return f"{v >> 24 & 255}.{v >> 16 & 255}.{v >> 8 & 255}.{v & 255}"


def _ms(ns: int) -> str:
    """iputils' reply time: 3 decimals under 1 ms ... none from 100 ms."""
    us = ns // 1000
    if us >= 100000:
        return f"{us // 1000}"
    if us >= 10000:
        return f"{us // 1000}.{us % 1000 // 100:01d}"
    if us >= 1000:
        return f"{us // 1000}.{us % 1000 // 10:02d}"
    return f"{us // 1000}.{us % 1000:03d}"


def _num(ctx, opt: str, val: str, kind=float):
    try:
        return kind(val)
    except ValueError:
        ctx.fail(f"ping: invalid argument: '{val}'", 2)


@command("ping6")
def main6(ctx, argv: list[str]) -> int:
    """``ping6`` is ``ping -6`` under another name (messages say ping6)."""
    return main(ctx, argv, prog="ping6")


@command("ping")
def main(ctx, argv: list[str], prog: str = "ping") -> int:
    o = {"c": 0, "i": None, "w": None, "W": 10.0, "s": 56, "t": None, "I": None, "q": False,
         "f": False, "n": False, "b": False, "6": prog == "ping6", "4": False}
    args = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("-") and len(a) > 1 and not args:
            j = 1
            while j < len(a):
                ch = a[j]
                if ch in _WITH_ARG:
                    val = a[j + 1:] if j + 1 < len(a) else None
                    if val is None:
                        i += 1
                        if i >= len(argv):
                            ctx.eprint(f"ping: option requires an argument -- '{ch}'")
                            ctx.eprint(USAGE, end="")
                            return 2
                        val = argv[i]
                    _opt(ctx, o, ch, val)
                    break
                if ch not in _FLAGS:
                    ctx.eprint(f"ping: invalid option -- '{ch}'")
                    ctx.eprint(USAGE, end="")
                    return 2
                if ch == "V":
                    ctx.print("ping from iputils 20221126")
                    return 0
                if ch == "h":
                    ctx.print(USAGE, end="")
                    return 2
                o[ch] = True
                j += 1
        else:
            args.append(a)
        i += 1
    if not args:
        ctx.eprint(USAGE, end="")
        return 2
    host = args[-1]
    dst = _ip(host)
    if (o["6"] or (dst is None and ":" in host)) and not o["4"]:
        return _main6(ctx, o, host, prog)
    if dst is None:
        ctx.fail(f"ping: {host}: Temporary failure in name resolution", 2)
    ns = ctx.ns
    ipv4 = ns.ipv4
    dev = None
    src = 0
    if o["I"] is not None:
        s = _ip(o["I"])
        if s is not None:
            src = s
        else:
            dev = ns.get(o["I"])
            if dev is None:
                ctx.fail(f"ping: SO_BINDTODEVICE {o['I']}: No such device", 2)
    # iputils first connect()s a probe socket: routing errors show up here
    try:
        route, rtype, rsrc, odev, nh = ipv4.route_output(dst, src, dev)
    except KernelError as e:
        from .ip.common import strerror
        ctx.fail(f"ping: connect: {strerror(e.errno)}", 2)
    if rtype == 3 and not o["b"]:   # RTN_BROADCAST
        ctx.fail(f"ping: Do you want to ping broadcast? Then -b. If not, check your local "
                 f"firewall rules", 2)
    size = o["s"]
    ctx.print(f"PING {host} ({_fmt(dst)}) {size}({size + 28}) bytes of data.")
    interval = o["i"]
    if interval is None:
        interval = 0.0 if o["f"] else 1.0
    quiet = o["q"]
    out_lines = ctx.out

    def on_event(ev):
        if quiet:
            return
        if o["f"]:
            return
        if hasattr(ev, "rtt_ns"):
            dup = " (DUP!)" if ev.dup else ""
            out_lines.append(f"{ev.size} bytes from {_fmt(ev.src)}: icmp_seq={ev.seq} "
                             f"ttl={ev.ttl} time={_ms(ev.rtt_ns)} ms{dup}\n")
        else:
            out_lines.append(f"From {_fmt(ev.src)} icmp_seq={ev.seq} {_err_text(ev)}\n")

    p = Ping(ns, dst, count=o["c"], interval_ns=int(interval * SEC), size=size, ttl=o["t"],
             wait_ns=int(o["W"] * SEC), src=src, dev=dev, flood=o["f"],
             deadline_ns=int(o["w"] * SEC) if o["w"] is not None else None, on_event=on_event)
    p.start()
    spawn = getattr(ctx, "spawn", None)
    if spawn is not None:   # under `vnetlab sh`: the server finishes us when virtual time comes
        spawn(ctx, lambda: p.done, lambda: _finish(ctx, host, p.result, o))
        return 0
    eng = ctx.lab.engine
    while not p.done:
        nxt = eng.next_deadline()
        if nxt is None:
            break
        eng.run_until(nxt)
    res = p.result
    return _finish(ctx, host, res, o)


V6_UNREACH = {0: "No route", 1: "Administratively prohibited",
              2: "Beyond scope of source address", 3: "Address unreachable",
              4: "Port unreachable"}


def _err_text6(e) -> str:
    """iputils ping6_common.c: print_icmp() texts."""
    if e.type == 1:
        return "Destination unreachable: " + V6_UNREACH.get(e.code, f"Unknown code {e.code}")
    if e.type == 2:
        return f"Packet too big: mtu={e.info}"
    if e.type == 3:
        return "Time exceeded: " + ("Hop limit" if e.code == 0 else
                                    "Defragmentation failure" if e.code == 1 else
                                    f"code {e.code}")
    if e.type == 4:
        what = {0: "Wrong header field ", 1: "Unknown header ", 2: "Unknown option "}.get(
            e.code, f"code {e.code} ")
        return f"Parameter problem: {what}at {e.info}"
    return f"Bad ICMP type: {e.type}"


def _main6(ctx, o, host: str, prog: str) -> int:
    """ping -6 / ping6: ICMPv6 echo; ``ADDR%DEV`` scopes a link-local destination."""
    from ..wire.ipv6 import aton, ntoa
    ns = ctx.ns
    ipv6 = getattr(ns, "ipv6", None)
    name, _, scope = host.partition("%")
    try:
        dst = aton(name)
    except ValueError:
        ctx.fail(f"{prog}: {host}: Address family for hostname not supported"
                 if _ip(host) is not None else
                 f"{prog}: {host}: Name or service not known", 2)
    if ipv6 is None:
        ctx.fail(f"{prog}: socket: Address family not supported by protocol", 2)
    dev = None
    src = b""
    if scope:
        dev = ns.get(scope)
        if dev is None:
            ctx.fail(f"{prog}: {host}: Name or service not known", 2)
    if o["I"] is not None:
        try:
            src = aton(o["I"])
        except ValueError:
            d = ns.get(o["I"])
            if d is None:
                ctx.fail(f"{prog}: SO_BINDTODEVICE {o['I']}: No such device", 2)
            dev = d
            ctx.eprint(f"{prog}: Warning: source address might be selected on device other "
                       f"than: {o['I']}")
    link_local = dst[0] == 0xFE and dst[1] & 0xC0 == 0x80
    r = ipv6.route_lookup(dst, dev)
    if r is None or r.type in (6, 7, 8):
        from .ip.common import strerror
        ctx.fail(f"{prog}: connect: {strerror(101)}", 2)
    if not src:
        odev = dev if dev is not None else r.dev
        src = ipv6.select_saddr(dst, None if (r.type == 2 and dev is None) else odev) or b""
        if not src:
            ctx.fail(f"{prog}: connect: Cannot assign requested address", 2)
    size = o["s"]
    shown = ntoa(dst) + (f"%{scope}" if scope else "")
    head = f"PING {host}({shown}) "
    if o["I"] is not None:
        head += f"from {ntoa(src) if dev is None else '::'} {o['I'] if dev is not None else ''}: "
    ctx.print(f"{head}{size} data bytes")
    interval = o["i"]
    if interval is None:
        interval = 0.0 if o["f"] else 1.0
    quiet = o["q"]
    out_lines = ctx.out

    def addr_text(a: bytes, ifname: str) -> str:
        t = ntoa(a)
        if a[0] == 0xFE and a[1] & 0xC0 == 0x80 and ifname:
            t += "%" + ifname
        return t

    def on_event(ev):
        if quiet or o["f"]:
            return
        if hasattr(ev, "rtt_ns"):
            dup = " (DUP!)" if ev.dup else ""
            out_lines.append(f"{ev.size} bytes from {addr_text(ev.src, ev.ifname)}: "
                             f"icmp_seq={ev.seq} ttl={ev.ttl} time={_ms(ev.rtt_ns)} ms{dup}\n")
        else:
            out_lines.append(f"From {addr_text(ev.src, ev.ifname)} icmp_seq={ev.seq} "
                             f"{_err_text6(ev)}\n")

    bound = dev if (dev is not None and (link_local or o["I"] is not None)) else dev
    p = Ping(ns, dst, count=o["c"], interval_ns=int(interval * SEC), size=size, ttl=o["t"],
             wait_ns=int(o["W"] * SEC), src=src, dev=bound, flood=o["f"],
             deadline_ns=int(o["w"] * SEC) if o["w"] is not None else None, on_event=on_event)
    p.start()
    spawn = getattr(ctx, "spawn", None)
    if spawn is not None:
        spawn(ctx, lambda: p.done, lambda: _finish(ctx, host, p.result, o))
        return 0
    eng = ctx.lab.engine
    while not p.done:
        nxt = eng.next_deadline()
        if nxt is None:
            break
        eng.run_until(nxt)
    return _finish(ctx, host, p.result, o)


def _opt(ctx, o, ch, val) -> None:
    if ch == "c":
        n = _num(ctx, ch, val, int)
        if n <= 0:
            ctx.fail(f"ping: invalid argument: '{val}': out of range: 1 <= value <= "
                     f"9223372036854775807", 2)
        o["c"] = n
    elif ch == "i":
        v = _num(ctx, ch, val)
        if v != v or v in (float("inf"), float("-inf")):
            ctx.fail(f"ping: bad timing interval: {val}: Numerical result out of range", 2)
        if v < 0.002 and v != 0:
            ctx.fail("ping: cannot flood; minimal interval allowed for user is 2ms", 2)
        o["i"] = v
    elif ch == "w":
        v = _num(ctx, ch, val)
        if v != v or v in (float("inf"), float("-inf")):
            ctx.fail(f"ping: invalid argument: '{val}'", 1)
        if not 0 <= v <= 2147483647:
            ctx.fail(f"ping: invalid argument: '{val}': out of range: 0 <= value <= 2147483647",
                     1)
        o["w"] = v
    elif ch == "W":
        v = _num(ctx, ch, val)
        if v != v or v in (float("inf"), float("-inf")):
            ctx.fail(f"ping: bad linger time: {val}: Numerical result out of range", 2)
        o["W"] = v
    elif ch == "s":
        n = _num(ctx, ch, val, int)
        if not 0 <= n <= 65507:
            ctx.fail(f"ping: invalid argument: '{val}': out of range: 0 <= value <= 2147483647",
                     2)
        o["s"] = n
    elif ch == "t":
        n = _num(ctx, ch, val, int)
        if not 0 <= n <= 255:
            ctx.fail(f"ping: invalid argument: '{val}': out of range: 0 <= value <= 255", 2)
        o["t"] = n
    elif ch == "I":
        o["I"] = val
    else:
        o[ch] = val


def _err_text(e) -> str:
    if e.type == 3:
        if e.code == 4:
            return f"Frag needed and DF set (mtu = {e.info & 0xFFFF})"
        return UNREACH.get(e.code, f"Dest Unreachable, Bad Code: {e.code}")
    if e.type == 11:
        return "Time to live exceeded" if e.code == 0 else "Frag reassembly time exceeded"
    if e.type == 12:
        return f"Parameter problem: pointer = {e.info >> 24}"
    if e.type == 5:
        return "Redirect Network"
    return f"Bad ICMP type: {e.type}"


def _finish(ctx, host: str, res, o) -> int:
    loss = res.loss_percent
    ctx.print("")
    ctx.print(f"--- {host} ping statistics ---")
    line = f"{res.transmitted} packets transmitted, {res.received} received"
    if res.duplicates:
        line += f", +{res.duplicates} duplicates"
    if res.errors:
        line += f", +{len(res.errors)} errors"
    line += f", {loss:g}% packet loss, time {res.elapsed_ns // MS}ms"
    ctx.print(line)
    parts = []
    if res.received:
        mn, avg, mx, mdev = res.rtt_stats_us()
        parts.append(f"rtt min/avg/max/mdev = {mn // 1000}.{mn % 1000:03d}/{avg // 1000}."
                     f"{avg % 1000:03d}/{mx // 1000}.{mx % 1000:03d}/{mdev // 1000}."
                     f"{mdev % 1000:03d} ms")
    if res.pipesize > 1:
        parts.append(f"pipe {res.pipesize}")
    ctx.print(", ".join(parts))
    if o["c"] and o["w"] is not None and res.received < o["c"]:
        return 1
    return 0 if res.received else 1
