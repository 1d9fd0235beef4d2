"""Reading a lab file: YAML (ruamel.yaml, YAML 1.2, so a MAC such as ``52:54:00:12:34:56`` stays a
string) into the typed ``Lab`` model, with every problem reported as ``FILE:LINE:COL: KEY: what``.

The data is read with the safe loader (``typ="safe", pure=True``); the positions come from a
second, round-trip read of the same text (its mappings and sequences keep ``.lc``), walked along
each pydantic error's location.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .model import Lab


class LabError(Exception):
    """A lab file that cannot be used; ``problems`` are ready-to-print lines."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _loc_text(loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _position(doc, loc) -> tuple[tuple, int, int]:
    """Walk the round-trip document along ``loc`` (skipping pydantic's union tags and the
    other parts the document does not have): the document path reached and its (line, col),
    1-based."""
    node = doc
    line, col = 1, 1
    path: list = []
    for i, part in enumerate(loc):
        lc = getattr(node, "lc", None)
        nxt = loc[i + 1] if i + 1 < len(loc) else None
        if isinstance(node, dict) and part in node and isinstance(nxt, str) and nxt in node \
                and not (isinstance(node[part], dict) and nxt in node[part]):
            continue                               # a union tag that is also a key here
        if isinstance(node, dict) and part in node:
            if lc is not None:
                try:
                    line, col = lc.key(part)
                    line, col = line + 1, col + 1
                except (KeyError, TypeError, AttributeError):
                    pass
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            if lc is not None:
                try:
                    line, col = lc.item(part)
                    line, col = line + 1, col + 1
                except (KeyError, IndexError, TypeError, AttributeError):
                    pass
            node = node[part]
            path.append(part)
    return tuple(path), line, col


def _describe(err: dict) -> str:
    msg = err["msg"]
    t = err.get("type", "")
    if t == "missing":
        return "required key missing"
    if t == "extra_forbidden":
        return "unknown key"
    if t.startswith("value_error"):
        msg = msg.removeprefix("Value error, ")
    if t == "string_pattern_mismatch":
        return f"{err.get('input')!r} does not match the pattern " \
               f"{err.get('ctx', {}).get('pattern')}"
    if t == "literal_error":
        return f"{err.get('input')!r}: {msg}"
    return msg


def parse(text: str, filename: str = "<lab>") -> Lab:
    """Parse and validate lab text; LabError with positioned messages on any problem."""
    try:
        data = YAML(typ="safe", pure=True).load(text)
        doc = YAML(typ="rt", pure=True).load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
        raise LabError([f"{where}: YAML syntax: {e.problem or e.context}"]) from None
    except YAMLError as e:
        raise LabError([f"{filename}: YAML: {e}"]) from None
    if not isinstance(data, dict):
        raise LabError([f"{filename}:1:1: a lab file is a mapping with 'nodes' (and 'links', "
                        f"'checks'), not {type(data).__name__}"])
    try:
        lab = Lab.model_validate(data)
    except ValidationError as e:
        out = []
        for err in e.errors():
            loc = err["loc"]
            path, line, col = _position(doc, loc)
            if err.get("type") == "missing" and (not path or path[-1] != loc[-1]):
                path = path + (loc[-1],)
            key = _loc_text(path)
            out.append(f"{filename}:{line}:{col}: {key or '(top)'}: {_describe(err)}")
        raise LabError(out) from None
    problems = []
    for loc, msg in lab.references():
        path, line, col = _position(doc, loc)
        problems.append(f"{filename}:{line}:{col}: {_loc_text(loc)}: {msg}")
    if problems:
        raise LabError(problems)
    _remember_lines(lab, doc)
    return lab


def _remember_lines(lab: Lab, doc) -> None:
    """Line numbers of each setup line and check, for run-time messages."""
    pos = {}
    for name, node in lab.nodes.items():
        for i in range(len(node.setup)):
            pos[("nodes", name, "setup", i)] = _position(doc, ("nodes", name, "setup", i))[1]
    for i in range(len(lab.links)):
        pos[("links", i)] = _position(doc, ("links", i))[1]
    for i in range(len(lab.checks)):
        pos[("checks", i)] = _position(doc, ("checks", i))[1]
    for i in range(len(lab.attach)):
        pos[("attach", i)] = _position(doc, ("attach", i))[1]
    lab._positions = pos


def load(path: str | Path) -> Lab:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise LabError([f"{p}: cannot read: {e.strerror or e}"]) from None
    except UnicodeDecodeError as e:
        raise LabError([f"{p}: not UTF-8 text: {e.reason}"]) from None
    lab = parse(text, str(p))
    lab._filename = str(p)
    return lab


def where(lab: Lab, *loc) -> str:
    """``FILE:LINE`` of a setup line or check, as well as known."""
    fn = lab._filename
    line = lab._positions.get(tuple(loc))
    return f"{fn}:{line}" if line else fn
