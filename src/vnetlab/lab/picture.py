"""``vnetlab draw LAB -o FILE``: build the lab on the emulator (setup lines included, checks not
run) and draw what exists then. graphviz ``dot`` renders when installed; otherwise the built-in
SVG writer does (and ``rsvg-convert`` turns it into PNG when asked for .png)."""

from __future__ import annotations

import shutil
import subprocess
import sys

from .run import EmuRun, SetupError


def lab_topology(model, seed: int = 0):
    from ..trace.draw import topology
    r = EmuRun(model, seed=seed)
    r.build()
    cables = [(nic, sw, hp) for _, nic, sw, hp in r.plugged]
    return topology(r.lab.kernel, namespaces=list(model.nodes), cables=cables)


def render(model, fmt: str, builtin: bool = False) -> bytes:
    """The picture as bytes in ``fmt`` (svg, png or dot)."""
    from ..trace.draw import to_dot, to_svg
    topo = lab_topology(model)
    title = model.name
    if fmt == "dot":
        return to_dot(topo, title).encode()
    dot = None if builtin else shutil.which("dot")
    if dot is not None:
        r = subprocess.run([dot, f"-T{fmt}"], input=to_dot(topo, title).encode(),
                           capture_output=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"dot failed: {r.stderr.decode(errors='replace').strip()}")
        return r.stdout
    svg = to_svg(topo, title).encode()
    if fmt == "svg":
        return svg
    conv = shutil.which("rsvg-convert")
    if conv is None:
        raise RuntimeError("PNG needs graphviz (apt-get install graphviz) or rsvg-convert "
                           "(apt-get install librsvg2-bin); write .svg instead")
    r = subprocess.run([conv, "-f", "png"], input=svg, capture_output=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"rsvg-convert failed: {r.stderr.decode(errors='replace').strip()}")
    return r.stdout


def draw_main(model, output: str, builtin: bool = False) -> int:
    fmt = "svg"
    if output != "-":
        ext = output.rsplit(".", 1)[-1].lower() if "." in output else ""
        if ext not in ("svg", "png", "dot", "gv"):
            print(f"vnetlab draw: {output}: the name must end in .svg, .png or .dot",
                  file=sys.stderr)
            return 2
        fmt = "dot" if ext == "gv" else ext
    try:
        data = render(model, fmt, builtin=builtin)
    except SetupError as e:
        print(f"setup failed: {e}", file=sys.stderr)
        return 2
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        print(f"vnetlab draw: {e}", file=sys.stderr)
        return 1
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        try:
            with open(output, "wb") as f:
                f.write(data)
        except OSError as e:
            print(f"vnetlab draw: {output}: {e.strerror}", file=sys.stderr)
            return 1
    return 0
