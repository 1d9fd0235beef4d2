"""``type ipvlan`` / ``type ipvtap`` (iproute2 6.1 ``ip/iplink_ipvlan.c``).

* ``ipvlan_parse_opt()`` turns ``mode l2|l3|l3s`` and one of ``bridge|private|vepa`` (prefixes
  accepted, as ``matches()`` does: ``m l2 p``) into the ``LinkRequest.data`` that
  devices/ipvlan.py takes. iproute2 always sends the flags attribute (0 = bridge) once any
  option follows the kind, so ``… type ipvlan mode l2`` resets a private port to bridge
  (kernel-spec IPV-02). A second flag word is an unknown option. Errors go to stderr with
  status 1 (parse_opt returned -1); a missing mode argument is NEXT_ARG()'s exit(-1): 255.
* ``ipvlan_print_opt()`` prints the ``-d`` details from the device's ``fill_info()``:
  `` mode l3 bridge `` (after the kind's own ``ipvlan `` : two spaces), JSON keys ``mode`` and
  one of ``private`` / ``vepa`` / ``bridge`` (true).
* ``ipvlan_print_help()`` is ``ip link help ipvlan`` (stdout).
"""

from __future__ import annotations

from .. import Exit
from .common import incomplete, matches

IPVLAN_MODE_L2, IPVLAN_MODE_L3, IPVLAN_MODE_L3S = 0, 1, 2
IPVLAN_F_PRIVATE, IPVLAN_F_VEPA = 1, 2
_MODES = {"l2": IPVLAN_MODE_L2, "l3": IPVLAN_MODE_L3, "l3s": IPVLAN_MODE_L3S}
_MODE_NAMES = {v: k for k, v in _MODES.items()}


def _explain_text(kind: str) -> str:
    return ("Usage: ... %s [ mode MODE ] [ FLAGS ]\n"
            "\n"
            "MODE: l3 | l3s | l2\n"
            "FLAGS: bridge | private | vepa\n"
            "(first values are the defaults if nothing is specified).\n" % kind)


def ipvlan_print_help(ctx, kind: str) -> None:
    """print_explain(lu, stdout) (``ip link help ipvlan``)."""
    ctx.print(_explain_text(kind), end="")


def ipvlan_parse_opt(ctx, argv: list[str], r, kind: str = "ipvlan") -> None:
    """iplink_ipvlan.c: ipvlan_parse_opt(); sets ``r.data``."""
    data: dict = {}
    flags = 0
    mflag_given = False
    i, n = 0, len(argv)
    while i < n:
        a = argv[i]
        if matches(a, "mode"):
            i += 1
            if i >= n:
                incomplete(ctx)
            mode = _MODES.get(argv[i])
            if mode is None:
                ctx.eprint('Error: argument of "mode" must be either "l2", "l3" or "l3s"')
                raise Exit(1)
            data["mode"] = mode
        elif matches(a, "private") and not mflag_given:
            flags |= IPVLAN_F_PRIVATE
            mflag_given = True
        elif matches(a, "vepa") and not mflag_given:
            flags |= IPVLAN_F_VEPA
            mflag_given = True
        elif matches(a, "bridge") and not mflag_given:
            mflag_given = True
        elif matches(a, "help"):
            ctx.eprint(_explain_text(kind), end="")
            raise Exit(1)
        else:
            ctx.eprint(f'{kind}: unknown option "{a}"?')
            ctx.eprint(_explain_text(kind), end="")
            raise Exit(1)
        i += 1
    data["flags"] = flags
    r.data = data


def ipvlan_print_opt(lister, data: dict | None) -> None:
    """iplink_ipvlan.c: ipvlan_print_opt() over the device's fill_info() dict."""
    if not data:
        return
    p = lister.p
    if "mode" in data:
        p.any("mode", " mode %s ", _MODE_NAMES.get(int(data["mode"]), "unknown"))
    if "flags" in data:
        flags = int(data["flags"])
        if flags & IPVLAN_F_PRIVATE:
            p.any("private", "private ", True)
        elif flags & IPVLAN_F_VEPA:
            p.any("vepa", "vepa ", True)
        else:
            p.any("bridge", "bridge ", True)


__all__ = ["ipvlan_parse_opt", "ipvlan_print_opt", "ipvlan_print_help"]
