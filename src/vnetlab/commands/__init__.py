"""The emulator's tools (ip, sysctl, ping, ...): iproute2's syntax and text live here and only here.

Every command is ``fn(ctx, argv) -> exit status`` and writes to ``ctx.out`` / ``ctx.err``.
``run(lab, argv)`` runs one command line and returns (status, stdout, stderr).
"""

from __future__ import annotations

from dataclasses import dataclass, field

COMMANDS: dict = {}


class Exit(Exception):
    """Raised by a command to stop with an exit status (like the tools' exit())."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


class Return(Exit):
    """A command function's non-zero return, raised from deep in a helper (the C code's
    ``return nodev(dev)`` / ``return -2`` up to main): the same exit status as Exit, but a
    ``-batch`` counts it as a failed line and goes on (``-force``) instead of ending."""


@dataclass
class Ctx:
    lab: object
    ns: object = None                   # the netns the command runs in
    out: list = field(default_factory=list)
    err: list = field(default_factory=list)
    stdin: str = ""

    def __post_init__(self):
        if self.ns is None:
            self.ns = self.lab.kernel.init_ns

    def print(self, text: str = "", end: str = "\n") -> None:
        self.out.append(text + end)

    def eprint(self, text: str = "", end: str = "\n") -> None:
        self.err.append(text + end)

    def fail(self, text: str, code: int) -> None:
        self.eprint(text)
        raise Exit(code)

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)


def command(name: str):
    def deco(fn):
        COMMANDS[name] = fn
        return fn
    return deco


_loaded = False


def load_all() -> None:
    """Import every command module (each registers itself); once per process (``run`` calls
    it for every command line)."""
    global _loaded
    if _loaded:
        return
    import importlib
    from . import ip, ping, sysctl  # noqa: F401
    for name in OPTIONAL_MODULES:
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
    _loaded = True


# command modules that register themselves when present (each tool's issue adds its module)
OPTIONAL_MODULES = ("bridge", "nettools", "tcpdump", "tc", "ipvsadm", "socat", "curl", "nc",
                    "httpd", "modprobe")

def run(lab, argv: list[str], ns=None, stdin: str = "") -> tuple[int, str, str]:
    """Run one command; never raises for bad input (the tool's error text and status instead)."""
    load_all()
    if isinstance(ns, str):
        ns = lab.ns(ns)
    ctx = Ctx(lab, ns=ns, stdin=stdin)
    if not argv:
        return 0, "", ""
    fn = COMMANDS.get(argv[0])
    if fn is None:
        return 127, "", f"vnetlab: {argv[0]}: command not provided by the emulator\n"
    try:
        code = fn(ctx, list(argv[1:]))
    except Exit as e:
        code = e.code
    return code & 0xFF, ctx.stdout, ctx.stderr
