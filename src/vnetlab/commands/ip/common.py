"""Shared pieces of the ``ip`` command: iproute2's argument matching, its JSON/text printer and
its error conventions. Text formats follow iproute2 6.1 (the version on these machines)."""

from __future__ import annotations

import json

from .. import Exit


def matches(arg: str, word: str) -> bool:
    """iproute2's matches(): ``arg`` is a non-empty prefix of ``word``."""
    return bool(arg) and word.startswith(arg)


class Opts:
    """ip's global options (ip.c main)."""

    def __init__(self):
        self.family = 0          # 0 = unspec, 4, 6, "link" (0 via -0)
        self.json = False
        self.pretty = False
        self.brief = False
        self.details = 0
        self.stats = 0
        self.oneline = False
        self.force = False
        self.batch = None
        self.netns = None
        self.all = False
        self.numeric = False
        self.human = 0
        self.resolve = False
        self.timestamp = False

    @property
    def sl(self) -> str:
        """_SL_: the line separator; ``\\`` in oneline mode."""
        return "\\" if self.oneline else "\n"


class Printer:
    """A tiny version of iproute2's json_print: every print names a JSON key and a text format;
    text goes to the output unless in JSON mode, JSON keys build nested objects/arrays."""

    def __init__(self, ctx, opts: Opts):
        self.ctx = ctx
        self.opts = opts
        self.json = opts.json
        self.buf: list[str] = []
        self.stack: list = []        # JSON containers being built
        self.root: list = []

    # text -------------------------------------------------------------------------------
    def text(self, s: str) -> None:
        if not self.json:
            self.buf.append(s)

    def nl(self) -> None:
        """print_nl(): _SL_ in text mode, nothing in JSON."""
        if not self.json:
            self.buf.append(self.opts.sl)

    # json + text ------------------------------------------------------------------------
    def any(self, key: str | None, fmt: str, value) -> None:
        """print_*(PRINT_ANY, key, fmt, value)."""
        if self.json:
            if key is not None:
                self._put(key, value)
        elif fmt is not None:
            self.buf.append(fmt % (value,) if "%" in fmt else fmt)

    def jonly(self, key: str, value) -> None:
        if self.json:
            self._put(key, value)

    def _put(self, key, value) -> None:
        top = self.stack[-1]
        if isinstance(top, list):
            top.append(value)
        else:
            top[key] = value

    def open_object(self, key: str | None = None) -> None:
        if not self.json:
            return
        obj: dict = {}
        if not self.stack:
            self.root.append(obj)
        else:
            self._put(key, obj)
        self.stack.append(obj)

    def open_array(self, key: str | None) -> None:
        if not self.json:
            return
        arr: list = []
        self._put(key, arr)
        self.stack.append(arr)

    def close(self) -> None:
        if self.json:
            self.stack.pop()

    def flush(self) -> None:
        ctx = self.ctx
        if self.json:
            if self.opts.pretty:
                ctx.out.append(_pretty(self.root) + "\n")
            else:
                ctx.out.append(json.dumps(self.root, separators=(",", ":")) + "\n")
        else:
            ctx.out.append("".join(self.buf))
        self.buf = []
        self.root = []


def _pretty(v, indent: int = 0) -> str:
    """iproute2's json_writer pretty style: 4-space indent, ``"key": value``."""
    pad = "    " * indent
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = [f'{pad}    {json.dumps(k)}: {_pretty(x, indent + 1)}' for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, list):
        if not v:
            return "[]"
        items = [f"{pad}    {_pretty(x, indent + 1)}" for x in v]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(v)


def incomplete(ctx) -> None:
    ctx.fail('Command line is not complete. Try option "help"', 255)


def invarg(ctx, msg: str, arg: str) -> None:
    """invarg(): 'Error: argument "X" is wrong: MSG' and exit(-1)."""
    ctx.fail(f'Error: argument "{arg}" is wrong: {msg}', 255)


def duparg(ctx, key: str, arg: str) -> None:
    ctx.fail(f'Error: duplicate "{key}": "{arg}" is the second value.', 255)


def duparg2(ctx, key: str, arg: str) -> None:
    ctx.fail(f'Error: either "{key}" is duplicate, or "{arg}" is a garbage.', 255)


def rtnl_error(ctx, err, code: int = 2) -> None:
    """rtnl_talk() failure: the extack message if the kernel gave one, else strerror."""
    if getattr(err, "extack", None):
        ctx.fail(f"Error: {err.extack}", code)
    ctx.fail(f"RTNETLINK answers: {strerror(err.errno)}", code)


_STRERROR = {
    1: "Operation not permitted", 2: "No such file or directory", 3: "No such process",
    13: "Permission denied", 16: "Device or resource busy", 17: "File exists",
    19: "No such device", 22: "Invalid argument", 28: "No space left on device",
    34: "Numerical result out of range", 40: "Too many levels of symbolic links",
    90: "Message too long", 95: "Operation not supported", 98: "Address already in use",
    99: "Cannot assign requested address", 100: "Network is down",
    101: "Network is unreachable", 105: "No buffer space available", 113: "No route to host",
    23: "Too many open files in system", 7: "Argument list too long",
}


def strerror(e: int) -> str:
    return _STRERROR.get(e, f"Unknown error {e}")


def exit_(code: int):
    raise Exit(code)
