"""``sysctl`` (procps-ng 4.0.2) over the emulated /proc/sys/net."""

from __future__ import annotations

import errno

from . import command
from .procsys import ProcError, list_keys, read, write

USAGE = """
Usage:
 sysctl [options] [variable[=value] ...]

Options:
  -a, --all            display all variables
  -A                   alias of -a
  -X                   alias of -a
      --deprecated     include deprecated parameters to listing
      --dry-run        Print the key and values but do not write
  -b, --binary         print value without new line
  -e, --ignore         ignore unknown variables errors
  -N, --names          print variable names without values
  -n, --values         print only values of the given variable(s)
  -p, --load[=<file>]  read values from file
  -f                   alias of -p
      --system         read values from all system directories
  -r, --pattern <expression>
                       select setting that match expression
  -q, --quiet          do not echo variable set
  -w, --write          enable writing a value to variable
  -o                   does nothing
  -x                   does nothing
  -d                   alias of -h

 -h, --help     display this help and exit
 -V, --version  output version information and exit

For more details see sysctl(8).
"""


def _paths(key: str) -> tuple[str, str]:
    """(path under /proc/sys, display name): dots and slashes swap as procps does."""
    if "/" in key:
        return key.strip("/"), key.strip("/").replace("/", ".")
    return key.replace(".", "/"), key


class _Opts:
    def __init__(self):
        self.write = False
        self.quiet = False
        self.values = False
        self.names = False
        self.ignore = False
        self.binary = False
        self.all = False
        self.dry = False
        self.load = None


@command("sysctl")
def main(ctx, argv: list[str]) -> int:
    o = _Opts()
    args = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--"):
            long = {"--all": "a", "--binary": "b", "--ignore": "e", "--names": "N",
                    "--values": "n", "--quiet": "q", "--write": "w", "--help": "h",
                    "--version": "V", "--dry-run": "D", "--system": "S"}
            if a.startswith("--load"):
                o.load = a.split("=", 1)[1] if "=" in a else "/etc/sysctl.conf"
            elif a in long:
                if _flag(ctx, o, long[a]):
                    return 0
            else:
                ctx.eprint(f"sysctl: unrecognized option '{a}'")
                ctx.eprint(USAGE, end="")
                return 1
        elif a.startswith("-") and len(a) > 1:
            for ch in a[1:]:
                if ch in "pf":
                    o.load = "/etc/sysctl.conf"
                    continue
                if ch not in "aAXbeNnqwhdVox":
                    ctx.eprint(f"sysctl: invalid option -- '{ch}'")
                    ctx.eprint(USAGE, end="")
                    return 1
                if _flag(ctx, o, ch):
                    return 0
        else:
            args.append(a)
        i += 1
    ns = ctx.ns
    if o.all:
        for path in list_keys(ns):
            _show(ctx, o, path, path.replace("/", "."))
        return 0
    if o.load is not None:
        return _load(ctx, o, args[0] if args else o.load)
    if not args:
        ctx.eprint(USAGE, end="")
        return 1
    rc = 0
    for a in args:
        if "=" in a:
            key, value = a.split("=", 1)
            rc |= _set(ctx, o, key.strip(), value.strip())
        elif o.write:
            ctx.eprint("sysctl: command line(0): invalid syntax, continuing...")
            rc = 1
        else:
            path, name = _paths(a)
            try:
                value = read(ns, path)
            except ProcError as e:
                if e.errno == errno.EIO:       # e.g. an unset stable_secret: nothing printed
                    rc = 1
                    continue
                if not o.ignore:
                    ctx.eprint(f"sysctl: cannot stat /proc/sys/{path}: No such file or directory")
                    rc = 1
                continue
            _print(ctx, o, name, value)
    return rc


def _flag(ctx, o: _Opts, ch: str) -> bool:
    if ch in "aAX":
        o.all = True
    elif ch == "b":
        o.binary = True
    elif ch == "e":
        o.ignore = True
    elif ch == "N":
        o.names = True
    elif ch == "n":
        o.values = True
    elif ch == "q":
        o.quiet = True
    elif ch == "w":
        o.write = True
    elif ch == "D":
        o.dry = True
    elif ch in "hd":
        ctx.print(USAGE, end="")
        return True
    elif ch == "V":
        ctx.print("sysctl from procps-ng 4.0.2")
        return True
    return False


def _print(ctx, o: _Opts, name: str, value: str) -> None:
    if o.names:
        ctx.print(name)
    elif o.values:
        ctx.print(value, end="" if o.binary else "\n")
    else:
        ctx.print(f"{name} = {value}")


def _show(ctx, o, path, name) -> None:
    try:
        _print(ctx, o, name, read(ctx.ns, path))
    except ProcError:
        pass


def _set(ctx, o: _Opts, key: str, value: str) -> int:
    path, name = _paths(key)
    if not key:
        ctx.eprint(f'sysctl: malformed setting "={value}"')
        return 1
    try:
        read(ctx.ns, path)
    except ProcError as e:
        if e.errno == errno.EIO:
            pass                               # readable or not, the key exists
        elif o.ignore:
            return 0
        else:
            ctx.eprint(f"sysctl: cannot stat /proc/sys/{path}: No such file or directory")
            return 1
    if not o.dry:
        try:
            write(ctx.ns, path, value + "\n")
        except ProcError as e:
            ctx.eprint(f'sysctl: setting key "{name}": {e.strerror}')
            # procps reports a failed write of a read-only key only at close: status stays 0
            return 0 if path.endswith("/mc_forwarding") else 1
    if not o.quiet:
        _print(ctx, o, name, value)
    return 0


def _load(ctx, o: _Opts, fname: str) -> int:
    try:
        # the command layer may read the user's files; they are bytes, not always UTF-8
        with open(fname, encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().splitlines()
    except OSError as e:
        ctx.eprint(f"sysctl: cannot open \"{fname}\": {e.strerror}")
        return 1
    rc = 0
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        ignore = line.startswith("-")
        if ignore:
            line = line[1:]
        if "=" not in line:
            ctx.eprint(f"sysctl: {fname}({n}): invalid syntax, continuing...")
            continue
        k, v = line.split("=", 1)
        saved = o.ignore
        o.ignore = o.ignore or ignore
        rc |= _set(ctx, o, k.strip(), v.strip())
        o.ignore = saved
    return rc
