"""``ip`` (iproute2 6.1): global options, object dispatch by prefix, batch mode."""

from __future__ import annotations

from .. import Exit, command
from ..batch import do_batch
from .common import Opts, matches, settle

# (object, module attribute) in iproute2's cmds[] order: the first prefix match wins
_OBJECTS = [
    ("address", "addr"), ("addrlabel", None), ("maddress", None), ("route", "route"),
    ("rule", None), ("neighbor", "neigh"), ("neighbour", "neigh"), ("ntable", None),
    ("ntbl", None), ("link", "link"), ("l2tp", None), ("fou", None), ("ila", None),
    ("macsec", None), ("tunnel", "tunnel"), ("tunl", "tunnel"), ("tuntap", "tuntap"), ("tap", "tuntap"),
    ("token", None), ("tcpmetrics", None), ("tcp_metrics", None), ("monitor", None),
    ("xfrm", None), ("mroute", None), ("mrule", None), ("netns", "netns"), ("netconf", None),
    ("vrf", None), ("sr", None), ("nexthop", None), ("mptcp", None), ("ioam", None),
    ("stats", None), ("help", None),
]

USAGE = """Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }
       ip [ -force ] -batch filename
where  OBJECT := { address | addrlabel | fou | help | ila | ioam | l2tp | link |
                   macsec | maddress | monitor | mptcp | mroute | mrule |
                   neighbor | neighbour | netconf | netns | nexthop | ntable |
                   ntbl | route | rule | sr | tap | tcpmetrics |
                   token | tunnel | tuntap | vrf | xfrm }
       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[esolve] |
                    -h[uman-readable] | -iec | -j[son] | -p[retty] |
                    -f[amily] { inet | inet6 | mpls | bridge | link } |
                    -4 | -6 | -M | -B | -0 |
                    -l[oops] { maximum-addr-flush-attempts } | -br[ief] |
                    -o[neline] | -t[imestamp] | -ts[hort] | -b[atch] [filename] |
                    -rc[vbuf] [size] | -n[etns] name | -N[umeric] | -a[ll] |
                    -c[olor]}
"""


def _usage(ctx) -> None:
    ctx.eprint(USAGE, end="")
    raise Exit(255)


@command("ip")
def main(ctx, argv: list[str]) -> int:
    o = Opts()
    i = 0
    while i < len(argv):
        opt = argv[i]
        if opt == "--":
            i += 1
            break
        if not opt.startswith("-"):
            break
        if opt.startswith("--"):
            opt = opt[1:]
        if matches(opt, "-loops"):
            i += 1
        elif matches(opt, "-family"):
            i += 1
            if i >= len(argv):
                _usage(ctx)
            f = argv[i]
            fam = {"inet": 4, "inet6": 6, "link": "link"}.get(f)
            if fam is None and f not in ("mpls", "bridge", "help"):
                ctx.fail(f'Error: argument "{f}" is wrong: invalid protocol family', 255)
            o.family = fam or f
        elif opt == "-4":
            o.family = 4
        elif opt == "-6":
            o.family = 6
        elif opt == "-0":
            o.family = "link"
        elif opt in ("-M", "-B"):
            o.family = opt
        elif matches(opt, "-human") or matches(opt, "-human-readable"):
            o.human += 1
        elif matches(opt, "-iec"):
            pass
        elif matches(opt, "-stats") or matches(opt, "-statistics"):
            o.stats += 1
        elif matches(opt, "-details"):
            o.details += 1
        elif matches(opt, "-resolve"):
            o.resolve = True
        elif matches(opt, "-oneline"):
            o.oneline = True
        elif matches(opt, "-timestamp"):
            o.timestamp = True
        elif matches(opt, "-tshort"):
            o.timestamp = True
        elif matches(opt, "-Version"):
            ctx.print("ip utility, iproute2-6.1.0, libbpf 1.1.2")
            return 0
        elif matches(opt, "-force"):
            o.force = True
        elif matches(opt, "-batch"):
            i += 1
            if i >= len(argv):
                _usage(ctx)
            o.batch = argv[i]
        elif matches(opt, "-brief"):
            o.brief = True
        elif matches(opt, "-json"):
            o.json = True
        elif matches(opt, "-pretty"):
            o.pretty = True
        elif matches(opt, "-rcvbuf"):
            i += 1
        elif matches(opt, "-color") or matches(opt, "-colour"):
            pass
        elif matches(opt, "-help"):
            _usage(ctx)
        elif matches(opt, "-netns"):
            i += 1
            if i >= len(argv):
                ctx.fail('Command line is not complete. Try option "help"', 255)
            name = argv[i]
            ns = ctx.lab.kernel.named.get(name)
            if ns is None:
                ctx.fail(f'Cannot open network namespace "{name}": No such file or directory',
                         255)
            ctx.ns = ns
        elif matches(opt, "-Numeric"):
            o.numeric = True
        elif matches(opt, "-all"):
            o.all = True
        else:
            ctx.fail(f'Option "{opt}" is unknown, try "ip -help".', 255)
        i += 1
    if o.json and o.oneline:
        pass
    rest = argv[i:]
    if o.batch is not None:
        return _batch(ctx, o)
    if not rest:
        _usage(ctx)
    return do_cmd(ctx, o, rest)


def do_cmd(ctx, o: Opts, argv: list[str]) -> int:
    obj = argv[0]
    for name, mod in _OBJECTS:
        if matches(obj, name):
            if name == "help":
                _usage(ctx)
            if mod is None:
                ctx.fail(f'vnetlab: "ip {name}" is not provided by the emulator yet', 1)
            import importlib
            m = importlib.import_module(f"{__name__}.{mod}")
            # every command starts and ends on a settled kernel: deferred work already due
            # (linkwatch, the backlog) runs between two commands on a real system
            settle(ctx)
            try:
                return m.run(ctx, o, argv[1:])
            finally:
                settle(ctx)
    ctx.fail(f'Object "{obj}" is unknown, try "ip help".', 1)
    return 1


def _batch(ctx, o: Opts) -> int:
    """-batch FILE (ip.c batch() over lib/utils.c do_batch())."""
    return do_batch(ctx, o.batch, o.force, lambda args: do_cmd(ctx, o, args))
