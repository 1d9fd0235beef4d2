"""``-batch FILE`` of iproute2's tools (lib/utils.c: do_batch(), getcmdline(), makeargs()).

One reader serves ``ip`` and ``bridge``: lines are read from FILE (``-`` is stdin); a ``#``
starts a comment; a backslash before the newline joins the next line; words split on blanks,
and a word that begins with a quote runs to the matching quote (nothing else is special). A
command that returns non-zero prints ``Command failed FILE:LINE`` and stops the batch unless
``-force``; a command that calls exit() (here: raises Exit) ends the whole tool with its
status, as it does in C.
"""

from __future__ import annotations

import os
from typing import Callable, Iterator

from . import Exit, Return

MAX_ARGS = 512
_WS = " \t\r\n"


def read_batch(ctx, name: str) -> str:
    if name == "-":
        return ctx.stdin
    path = os.path.join(getattr(ctx, "cwd", None) or "", name)   # relative to the caller
    try:
        # the command layer may read files; a file is bytes, not always UTF-8
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return f.read()
    except OSError as e:
        ctx.fail(f'Cannot open file "{name}" for reading: {e.strerror}', 1)


def getcmdline(text: str) -> Iterator[tuple[int, str]]:
    """(line number of the command's last physical line, the joined line without comment)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    n = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        n += 1
        while line.endswith("\\") and i < len(lines):
            line = line[:-1] + lines[i]
            i += 1
            n += 1
        yield n, line.split("#", 1)[0]


def makeargs(ctx, line: str) -> list[str]:
    """Blank-separated words; a word that starts with ' or " ends at the same quote."""
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        while i < n and line[i] in _WS:
            i += 1
        if i >= n:
            break
        if len(out) >= MAX_ARGS - 1:
            ctx.fail("Too many arguments to command", 1)
        q = line[i]
        if q in "'\"":
            j = line.find(q, i + 1)
            if j < 0:
                ctx.fail("Unterminated quoted string", 1)
            out.append(line[i + 1:j])
        else:
            j = i
            while j < n and line[j] not in _WS:
                j += 1
            out.append(line[i:j])
        i = j + 1
    return out


def do_batch(ctx, name: str, force: bool, cmd: Callable[[list[str]], int]) -> int:
    ret = 0
    for lineno, line in getcmdline(read_batch(ctx, name)):
        args = makeargs(ctx, line)
        if not args:
            continue
        try:
            code = cmd(args)
        except Return as r:
            code = r.code
        if code:
            ctx.eprint(f"Command failed {name}:{lineno}")
            ret = 1
            if not force:
                break
    return ret


__all__ = ["do_batch", "makeargs", "getcmdline", "Exit", "Return"]
