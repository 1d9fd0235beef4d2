"""The lab subcommands of ``vnetlab``: run, why, draw, schema, shell (wired in vnetlab.cli)."""

from __future__ import annotations

import argparse
import json
import sys

COMMANDS = ("run", "why", "draw", "schema", "shell")


def add_parsers(sub) -> None:
    r = sub.add_parser("run", help="run a YAML lab: build it, run its setup and checks")
    r.add_argument("lab", help="the lab file (YAML)")
    r.add_argument("--backend", choices=("emu", "linux"), default="emu",
                   help="emu: the emulator (default); linux: the real kernel, in a throwaway "
                        "sandbox")
    r.add_argument("--trace", action="store_true",
                   help="print each frame's path hop by hop and every drop with its reason")
    r.add_argument("--pcap", metavar="DIR", help="write DIR/NETNS.pcapng for every netns")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--print-script", action="store_true",
                   help="print the bash script the lab compiles to for --backend linux "
                        "(its $1 is the directory the checks write to) and exit")
    w = sub.add_parser("why", help="explain one ping flow of a lab: hops and where it died")
    w.add_argument("lab")
    w.add_argument("--from", dest="src", required=True, help="the node that pings")
    w.add_argument("--to", dest="dst", required=True, help="an IPv4 address or a node")
    w.add_argument("--count", type=int, default=1)
    w.add_argument("--wait", type=int, default=5, help="ping -W: seconds to wait for a reply")
    w.add_argument("--size", type=int, default=None, help="ping -s: data bytes")
    w.add_argument("--seed", type=int, default=0)
    d = sub.add_parser("draw", help="draw a lab's topology (SVG, PNG or DOT)")
    d.add_argument("lab")
    d.add_argument("-o", "--output", default="-",
                   help="FILE.svg, FILE.png or FILE.dot (default: SVG on stdout)")
    d.add_argument("--builtin", action="store_true",
                   help="use the built-in SVG writer even when graphviz is installed")
    sub.add_parser("schema", help="print the JSON Schema of lab files")
    s = sub.add_parser("shell", help="an interactive shell on the emulator (optionally a lab)")
    s.add_argument("lab", nargs="?")
    s.add_argument("--seed", type=int, default=0)


def _load(path: str):
    from .load import LabError, load
    try:
        return load(path)
    except LabError as e:
        for p in e.problems:
            print(p, file=sys.stderr)
        return None


def dispatch(args: argparse.Namespace) -> int:
    if args.cmd == "schema":
        from .model import json_schema
        print(json.dumps(json_schema(), indent=2, sort_keys=True))
        return 0
    if args.cmd == "run" and args.print_script:
        model = _load(args.lab)
        if model is None:
            return 2
        from .run import compile_script
        sys.stdout.write(compile_script(model))
        return 0
    if args.cmd == "run":
        from .run import main
        return main(args.lab, backend=args.backend, trace=args.trace, pcap=args.pcap,
                    seed=args.seed)
    if args.cmd == "why":
        model = _load(args.lab)
        if model is None:
            return 2
        from .why import why
        return why(model, args.src, args.dst, count=args.count, seed=args.seed, wait=args.wait,
                   size=args.size)
    if args.cmd == "draw":
        model = _load(args.lab)
        if model is None:
            return 2
        from .picture import draw_main
        return draw_main(model, args.output, builtin=args.builtin)
    if args.cmd == "shell":
        model = None
        if args.lab:
            model = _load(args.lab)
            if model is None:
                return 2
        from .repl import main as repl
        return repl(model, seed=args.seed)
    return 2
