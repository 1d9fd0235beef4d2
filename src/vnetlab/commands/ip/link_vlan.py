"""``type vlan`` (iproute2 6.1 ``ip/iplink_vlan.c``).

* ``vlan_parse_opt()``: ``protocol id reorder_hdr gvrp mvrp loose_binding bridge_binding
  ingress-qos-map egress-qos-map help`` into ``LinkRequest.data`` (``protocol id flags
  ingress_qos egress_qos``, as devices/vlan.py takes them). Errors: invarg() (255), on_off()
  and ``vlan: unknown command "X"?`` + the help return -1: status 1.
* ``vlan_print_opt()``: ``protocol 802.1Q id N <FLAGS> [ingress-qos-map { F:T }]...``.
"""

from __future__ import annotations

from .. import Exit
from .common import get_u16, get_u32, incomplete, invarg, matches

_PROTOS = {"802.1q": 0x8100, "802.1ad": 0x88A8}
_PROTO_NAMES = {0x8100: "802.1Q", 0x88A8: "802.1ad"}
_FLAGS = (("reorder_hdr", 0x1), ("gvrp", 0x2), ("mvrp", 0x8), ("loose_binding", 0x4),
          ("bridge_binding", 0x10))
_FLAG_NAMES = (("REORDER_HDR", 0x1), ("GVRP", 0x2), ("MVRP", 0x8), ("LOOSE_BINDING", 0x4),
               ("BRIDGE_BINDING", 0x10))

HELP = ("Usage: ... vlan id VLANID\n"
        "\t\t[ protocol VLANPROTO ]\n"
        "\t\t[ reorder_hdr { on | off } ]\n"
        "\t\t[ gvrp { on | off } ]\n"
        "\t\t[ mvrp { on | off } ]\n"
        "\t\t[ loose_binding { on | off } ]\n"
        "\t\t[ bridge_binding { on | off } ]\n"
        "\t\t[ ingress-qos-map QOS-MAP ]\n"
        "\t\t[ egress-qos-map QOS-MAP ]\n"
        "\n"
        "VLANID := 0-4095\n"
        "VLANPROTO: [ 802.1Q | 802.1ad ]\n"
        "QOS-MAP := [ QOS-MAP ] QOS-MAPPING\n"
        "QOS-MAPPING := FROM:TO\n")


def vlan_print_help(ctx) -> None:
    ctx.print(HELP, end="")


def _proto_a2n(s: str) -> int | None:
    v = _PROTOS.get(s.lower())
    if v is not None:
        return v
    from ..tc import ll_proto_a2n
    return ll_proto_a2n(s)


def vlan_parse_opt(ctx, argv: list[str], r) -> None:
    data: dict = {}
    flags = mask = 0
    i, n = 0, len(argv)

    def next_arg() -> str:
        nonlocal i
        i += 1
        if i >= n:
            incomplete(ctx)
        return argv[i]

    while i < n:
        a = argv[i]
        if matches(a, "protocol"):
            v = next_arg()
            p = _proto_a2n(v)
            if p is None:
                invarg(ctx, "protocol is invalid", v)
            data["protocol"] = p
        elif matches(a, "id"):
            v = next_arg()
            vid = get_u16(v, 0)
            if vid is None:
                invarg(ctx, "id is invalid", v)
            data["id"] = vid
        elif any(matches(a, w) for w, _ in _FLAGS):
            word, bit = next((w, b) for w, b in _FLAGS if matches(a, w))
            v = next_arg()
            mask |= bit
            if v == "on":
                flags |= bit
            elif v == "off":
                flags &= ~bit
            else:
                ctx.eprint(f'Error: argument of "{word}" must be "on" or "off", not "{v}"')
                raise Exit(1)
        elif matches(a, "ingress-qos-map") or matches(a, "egress-qos-map"):
            key = "ingress_qos" if matches(a, "ingress-qos-map") else "egress_qos"
            name = "ingress-qos-map" if key == "ingress_qos" else "egress-qos-map"
            next_arg()
            maps = data.setdefault(key, [])
            while i < n and ":" in argv[i]:
                frm, _, to = argv[i].partition(":")
                f, t = get_u32(frm, 0), get_u32(to, 0)
                if f is None or t is None:
                    invarg(ctx, f"invalid {name}", frm)
                maps.append((f, t))
                i += 1
            continue
        elif matches(a, "help"):
            ctx.eprint(HELP, end="")
            raise Exit(1)
        else:
            ctx.eprint(f'vlan: unknown command "{a}"?')
            ctx.eprint(HELP, end="")
            raise Exit(1)
        i += 1
    if mask:
        data["flags"] = (flags, mask)
    r.data = data


def vlan_print_opt(lister, data: dict | None) -> None:
    if not data:
        return
    p = lister.p
    proto = data["protocol"]
    p.any("protocol", "protocol %s ", _PROTO_NAMES.get(proto, "[%d]" % proto))
    p.any("id", "id %u ", data["id"])
    flags = data["flags"]
    p.open_array("flags")
    p.text("<")
    for name, bit in _FLAG_NAMES:
        if flags & bit:
            flags &= ~bit
            p.item("%s," if flags else "%s", name)
    if flags:
        p.item("%x", flags)
    p.close()
    p.text("> ")
    for key, jkey, name in (("ingress_qos", "ingress_qos", "ingress-qos-map"),
                            ("egress_qos", "egress_qos", "egress-qos-map")):
        maps = data.get(key)
        if maps is None:
            continue
        p.open_array(jkey)
        p.nl()
        p.text(f"      {name} {{ ")
        for f, t in maps:
            if lister.json:
                p.open_object()
                p.jonly("from", f)
                p.jonly("to", t)
                p.close()
            else:
                p.text("%u:%u " % (f, t))
        p.close()
        p.text("} ")
