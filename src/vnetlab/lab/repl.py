"""``vnetlab shell [LAB]``: an interactive shell on the emulator (virtual time).

The prompt names the current netns. ``ns NAME`` switches to another one (``ns`` alone lists
them; ``ns -`` is the initial netns), ``time`` prints the virtual clock, ``sleep SECONDS``
advances it, ``help`` lists the commands, ``exit`` (or end of input) leaves. Every other line is
a command line of the command layer (ip, bridge, sysctl, ping, tcpdump, ifconfig, route, tc,
curl, ..., ``echo N > /proc/sys/...``), run inside the current netns. With readline, Tab
completes command names, netns names after ``ns`` and ``ip netns exec``, and device names of the
current netns plus the usual iproute2 keywords.
"""

from __future__ import annotations

import shlex
import sys

from ..hostinfo import possible_cpus
from .run import EmuRun, SetupError, run_line

BUILTINS = ("ns", "time", "sleep", "help", "exit", "quit")
KEYWORDS = ("link", "address", "addr", "route", "neigh", "netns", "show", "set", "add", "del",
            "dev", "up", "down", "type", "master", "nomaster", "peer", "name", "veth", "bridge",
            "macvlan", "ipvlan", "mode", "vepa", "private", "passthru", "via", "default", "exec",
            "mtu", "address", "fdb", "hairpin", "on", "off", "get", "list", "flush")


class Repl:
    def __init__(self, model=None, seed: int = 0):
        from ..api import Lab
        if model is not None:
            r = EmuRun(model, seed=seed)
            r.build()
            self.lab = r.lab
            first = next(iter(model.nodes))
            self.ns = self.lab.ns(first)
        else:
            self.lab = Lab(seed=seed, cpus=possible_cpus())
            self.ns = self.lab.kernel.init_ns
        self.done = False

    # -- the prompt and one line ---------------------------------------------------------------
    @property
    def ns_name(self) -> str:
        return self.ns.name or "init"

    def prompt(self) -> str:
        return f"[{self.ns_name}] vnetlab> "

    def namespaces(self) -> list[str]:
        return sorted(self.lab.kernel.named)

    def onecmd(self, line: str) -> tuple[int, str, str]:
        """Run one line; (status, stdout, stderr)."""
        try:
            words = shlex.split(line, comments=True)
        except ValueError as e:
            return 2, "", f"vnetlab: {e}\n"
        if not words:
            return 0, "", ""
        cmd = words[0]
        if cmd in ("exit", "quit"):
            self.done = True
            return 0, "", ""
        if cmd == "help":
            from ..commands import COMMANDS, load_all
            load_all()
            return 0, ("builtins: " + " ".join(BUILTINS) + "\ncommands: "
                       + " ".join(sorted(COMMANDS)) + "\n"), ""
        if cmd == "ns":
            if len(words) == 1:
                cur = self.ns_name
                return 0, "".join(f"{'*' if n == cur else ' '} {n}\n"
                                  for n in ["init"] + self.namespaces()), ""
            name = words[1]
            if name in ("-", "init"):
                self.ns = self.lab.kernel.init_ns
                return 0, "", ""
            target = self.lab.kernel.named.get(name)
            if target is None:
                return 1, "", f"ns: no network namespace named {name!r}\n"
            self.ns = target
            return 0, "", ""
        if cmd == "time":
            now = self.lab.engine.now
            return 0, f"{now // 1_000_000_000}.{now % 1_000_000_000:09d}\n", ""
        if self.ns is not self.lab.kernel.init_ns and \
                self.ns not in self.lab.kernel.named.values():
            self.ns = self.lab.kernel.init_ns           # the netns was deleted under us
        return run_line(self.lab, line, self.ns)

    # -- completion -----------------------------------------------------------------------------
    def candidates(self, line: str, text: str) -> list[str]:
        from ..commands import COMMANDS, load_all
        load_all()
        before = line[:len(line) - len(text)] if text else line
        words = before.split()
        if not words:
            pool = list(BUILTINS) + list(COMMANDS)
        elif words[0] == "ns" and len(words) == 1:
            pool = ["init"] + self.namespaces()
        elif words[-2:] == ["netns", "exec"] or words[-1:] in (["-n"], ["-netns"]) or \
                words[-1:] == ["netns"] and words[0] == "ip" and "link" in words:
            pool = self.namespaces()
        else:
            pool = [d.name for d in self.ns.devices] + list(KEYWORDS)
        return sorted({c for c in pool if c.startswith(text)})

    def complete(self, text: str, state: int):
        import readline
        opts = self.candidates(readline.get_line_buffer(), text)
        return opts[state] + " " if state < len(opts) else None


def main(model=None, seed: int = 0, stdin=None, stdout=None, stderr=None) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        repl = Repl(model, seed=seed)
    except SetupError as e:
        print(f"setup failed: {e}", file=stderr)
        return 2
    interactive = stdin is sys.stdin and stdin.isatty()
    if interactive:
        try:
            import readline
            readline.set_completer(repl.complete)
            readline.set_completer_delims(" \t\n")
            readline.parse_and_bind("tab: complete")
        except ImportError:                          # pragma: no cover
            pass
    code = 0
    while not repl.done:
        try:
            if interactive:
                line = input(repl.prompt())
            else:
                line = stdin.readline()
                if not line:
                    break
        except EOFError:
            if interactive:
                stdout.write("\n")
            break
        except KeyboardInterrupt:
            stdout.write("^C\n")
            continue
        code, out, err = repl.onecmd(line.rstrip("\n"))
        stdout.write(out)
        stderr.write(err)
        stdout.flush()
    return code
