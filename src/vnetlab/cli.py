"""The ``vnetlab`` command: demo and bench for now; run/sh/shell/up/down/clean/draw come with
their issues."""

from __future__ import annotations

import argparse
import sys


def _ipv6_default_from_env() -> None:
    """VNETLAB_IPV6=0|1 sets the emulated kernel's IPv6 default (Kernel.IPV6_DEFAULT) for this
    process: the test suite passes its choice to the `vnetlab sh` / `run` it spawns this way."""
    import os
    v = os.environ.get("VNETLAB_IPV6")
    if v in ("0", "1"):
        from .stack.kernel import Kernel
        Kernel.IPV6_DEFAULT = v == "1"


def main(argv: list[str] | None = None) -> int:
    _ipv6_default_from_env()
    p = argparse.ArgumentParser(prog="vnetlab", description="A lab for Linux virtual networking")
    sub = p.add_subparsers(dest="cmd")
    sub.add_parser("demo", help="ping between two namespaces through a bridge (emulator)")
    b = sub.add_parser("bench", help="print the benchmark figures, one 'name: value' per line")
    b.add_argument("--only", action="append", default=None,
                   help="run only this figure (l2_rx_per_s, routed_fwd_per_s, "
                        "flood_ratio_vs_kernel, build_10k, tun_echo, bulk_build, lvs)")
    b.add_argument("--quick", action="store_true", help="smaller runs (for smoke tests)")
    sh = sub.add_parser("sh", help="run a bash script against the emulator (ip, sysctl, ping...)")
    sh.add_argument("script")
    sh.add_argument("args", nargs=argparse.REMAINDER)
    sh.add_argument("--seed", type=int, default=0)
    sh.add_argument("--virtual", action="store_true",
                    help="do not follow the wall clock (commands complete at once)")
    sh.add_argument("--backend", choices=("emu", "linux"), default="emu",
                    help="emu: the emulator (default); linux: the real tools on the real "
                         "kernel, in a throwaway sandbox")
    sh.add_argument("--kernel", choices=("host", "vm"), default="host",
                    help="with --backend linux: host: the running kernel (default); vm: the "
                         "reference kernel booted in a VM (virtme-ng + qemu)")
    sh.add_argument("--attach", action="append", default=[], metavar="TAPNAME=[NS:]DEV",
                    help="emulated device DEV in NS is wired to a real TAP TAPNAME in the "
                         "script's sandbox netns (root; see vnetlab.backends.hybrid)")
    from .lab.cli import COMMANDS as LAB_COMMANDS, add_parsers as add_lab_parsers
    add_lab_parsers(sub)
    from .backends.lifecycle import COMMANDS as LIFE_COMMANDS, add_parsers as add_life_parsers
    add_life_parsers(sub)
    args = p.parse_args(argv)
    if args.cmd == "sh" and args.attach:
        from .backends.hybrid import parse_attach
        if args.backend != "emu" or args.virtual:
            sh.error("--attach needs the emulator in real time (no --backend linux, --virtual)")
        try:
            args.attach = [parse_attach(a) for a in args.attach]
        except ValueError as e:
            sh.error(str(e))
    if args.cmd == "sh" and args.kernel == "vm":
        if args.backend != "linux":
            sh.error("--kernel vm needs --backend linux")
        from .backends.vm import sh_main as run_vm
        return run_vm(args.script, args.args)
    if args.cmd == "sh" and args.backend == "linux":
        from .backends.linux import run_script as run_linux
        return run_linux(args.script, args.args)
    if args.cmd == "sh":
        from .shell import run_script
        return run_script(args.script, args.args, seed=args.seed, realtime=not args.virtual,
                          **({"attach": args.attach} if args.attach else {}))
    if args.cmd == "demo":
        from .demo import main as demo
        return demo()
    if args.cmd == "bench":
        from .bench import main as bench
        return bench(only=args.only, quick=args.quick)
    if args.cmd in LIFE_COMMANDS:
        from .backends.lifecycle import main as lifecycle
        return lifecycle(args)
    if args.cmd in LAB_COMMANDS:
        from .lab.cli import dispatch as lab_dispatch
        return lab_dispatch(args)
    p.print_help(sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
