"""``ip -d link`` details of kind ``tun`` (iproute2 6.1 ``ip/iptuntap.c``: tun_print_opt()).

Text: ``tun type tun|tap pi on|off vnet_hdr on|off [multi_queue numqueues N numdisabled N]
persist on|off [user NAME|UID] [group NAME|GID]``; JSON keys type, pi, vnet_hdr, multi_queue
(``false`` when off), numqueues, numdisabled, persist, user, group (a name string when the id
resolves in the passwd / group database, else the number). There is no parser: the kernel refuses
``ip link add … type tun`` (``tun_validate()``), so options after ``type tun`` are sent as they
are and the kernel answers; iproute2 6.1 has no ``parse_opt`` for tun either.
"""

from __future__ import annotations

IFF_TUN, IFF_TAP = 1, 2


def _user_name(uid: int):
    try:
        import pwd
        return pwd.getpwuid(uid).pw_name
    except (KeyError, ImportError, OverflowError):
        return None


def _group_name(gid: int):
    try:
        import grp
        return grp.getgrgid(gid).gr_name
    except (KeyError, ImportError, OverflowError):
        return None


def _onoff(lister, key: str, val) -> None:
    if lister.json:
        lister.p.jonly(key, bool(val))
    else:
        lister.p.text("%s %s " % (key, "on" if val else "off"))


def tun_print_opt(lister, data: dict | None) -> None:
    """tun_print_opt() over the device's fill_info() (IFLA_TUN_*)."""
    if not data:
        return
    p = lister.p
    if "type" in data:
        t = data["type"]
        if t == IFF_TUN:
            p.any("type", "type %s ", "tun")
        elif t == IFF_TAP:
            p.any("type", "type %s ", "tap")
        else:
            p.any("type", "type UNKNOWN:%s ", str(t & 0xFF))
    if "pi" in data:
        _onoff(lister, "pi", data["pi"])
    if "vnet_hdr" in data:
        _onoff(lister, "vnet_hdr", data["vnet_hdr"])
    # print_mq()
    if not data.get("multi_queue"):
        p.jonly("multi_queue", False)
    else:
        p.jonly("multi_queue", True)
        p.text("multi_queue ")
        if "numqueues" in data:
            p.any("numqueues", "numqueues %u ", int(data["numqueues"]))
        if "numdisabled" in data:
            p.any("numdisabled", "numdisabled %u ", int(data["numdisabled"]))
    if "persist" in data:
        _onoff(lister, "persist", data["persist"])
    if "owner" in data:
        uid = int(data["owner"])
        name = _user_name(uid)
        if name is not None:
            p.any("user", "user %s ", name)
        else:
            p.any("user", "user %u ", uid)
    if "group" in data:
        gid = int(data["group"])
        name = _group_name(gid)
        if name is not None:
            p.any("group", "group %s ", name)
        else:
            p.any("group", "group %u ", gid)


__all__ = ["tun_print_opt"]
