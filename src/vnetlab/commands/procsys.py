"""/proc/sys/net as the emulated kernel exposes it: the keys, their text, and writes with the
kernel's parsing (proc_dointvec: optional whitespace and sign, decimal, must fit an int; a
trailing newline is fine). Used by ``sysctl`` and by writes to /proc/sys in scripts.

Keys modelled (per netns):
  net/ipv4/ip_forward, net/ipv4/{ip_default_ttl,icmp_*,ip_no_pmtu_disc,...}
  net/ipv4/conf/{all,default,DEV}/KEY            (kernel-spec §10.1 rules live in the stack)
  net/ipv4/neigh/{default,DEV}/KEY
  net/ipv6/conf/{all,default,DEV}/KEY            (the stack's devconf, stack/ipv6.py, with the
                                                  kernel's write handlers; a kernel without IPv6:
                                                  only disable_ipv6, stored)
  net/ipv6/neigh/DEV/KEY, net/ipv6/{icmp,route}/KEY, net/ipv6/KEY
"""

from __future__ import annotations

import errno

from ..stack.errors import KernelError
from ..stack.inet import CONF_DEFAULTS, CONF_READONLY

SEC = 1_000_000_000
# SKB_TRUESIZE(ETH_FRAME_LEN) on x86_64: 1514 + 256 (sk_buff) + 320 (skb_shared_info)
SKB_TRUESIZE_ETH_FRAME = 2090
MS = 1_000_000

# neigh key -> (parms name, unit in ns or 1)
NEIGH_KEYS = {
    "anycast_delay": ("anycast_delay", 10 * MS), "app_solicit": ("app_solicit", 1),
    "base_reachable_time": ("base_reachable_time", SEC),
    "base_reachable_time_ms": ("base_reachable_time", MS),
    "delay_first_probe_time": ("delay_first_probe_time", SEC),
    "gc_stale_time": ("gc_stale_time", SEC),
    "interval_probe_time_ms": ("interval_probe_time", MS), "locktime": ("locktime", 10 * MS),
    "mcast_resolicit": ("mcast_resolicit", 1), "mcast_solicit": ("mcast_solicit", 1),
    "proxy_delay": ("proxy_delay", 10 * MS), "proxy_qlen": ("proxy_qlen", 1),
    "retrans_time": ("retrans_time", 10 * MS), "retrans_time_ms": ("retrans_time", MS),
    "ucast_solicit": ("ucast_solicit", 1), "unres_qlen": (None, 1),
    "unres_qlen_bytes": ("unres_qlen_bytes", 1),
}
IPV4_SCALARS = ("ip_default_ttl", "icmp_echo_ignore_all", "icmp_echo_ignore_broadcasts",
                "icmp_ratelimit", "icmp_ratemask", "icmp_errors_use_inbound_ifaddr",
                "icmp_ignore_bogus_error_responses", "icmp_msgs_per_sec", "icmp_msgs_burst",
                "ip_no_pmtu_disc", "ip_forward_use_pmtu")


class ProcError(OSError):
    pass


def _enoent(path: str):
    raise ProcError(errno.ENOENT, "No such file or directory", path)


def parse_int(text: str) -> int:
    """proc_dointvec's parser."""
    s = text.strip(" \t\n")
    if not s:
        raise ProcError(errno.EINVAL, "Invalid argument")
    body = s[1:] if s[0] in "+-" else s
    if not (body.isascii() and body.isdigit()):
        raise ProcError(errno.EINVAL, "Invalid argument")
    v = int(s)
    if not -(2 ** 31) <= v < 2 ** 31:
        raise ProcError(errno.EINVAL, "Invalid argument")
    return v


def _split(path: str) -> list[str]:
    return [p for p in path.strip("/").split("/") if p]


def _devices(ns) -> list[str]:
    return [d.name for d in ns.devices if d.ip is not None]


def list_keys(ns) -> list[str]:
    """Every modelled path, sorted as ``sysctl -a`` sorts them (directory walk order)."""
    out = []
    v4 = ns.ipv4
    for target in ["all", "default"] + sorted(_devices(ns)):
        for k in sorted(CONF_DEFAULTS):
            out.append(f"net/ipv4/conf/{target}/{k}")
    for k in sorted(IPV4_SCALARS + ("ip_forward",)):
        out.append(f"net/ipv4/{k}")
    for target in ["default"] + sorted(_devices(ns)):
        for k in sorted(NEIGH_KEYS):
            out.append(f"net/ipv4/neigh/{target}/{k}")
    if getattr(ns, "ipv6", None) is not None:
        out.extend(_v6_keys(ns))
    else:
        for target in ["all", "default"] + sorted(_devices(ns)):
            out.append(f"net/ipv6/conf/{target}/disable_ipv6")
    ipvs = getattr(ns, "ipvs", None)      # net/ipv4/vs/*: once ip_vs is loaded (stack/ipvs.py)
    if ipvs is not None:
        out.extend(f"net/ipv4/vs/{k}" for k in ipvs.sysctl)
    del v4
    return sorted(out)


def read(ns, path: str) -> str:
    p = _split(path)
    v4 = ns.ipv4
    try:
        if p[:2] == ["net", "ipv4"]:
            if p[2:] == ["ip_forward"]:
                return str(v4.conf_all["forwarding"])
            if len(p) == 3 and p[2] in IPV4_SCALARS:
                return str(v4.sysctl[p[2]])
            if len(p) == 5 and p[2] == "conf":
                return str(v4.conf_read(p[3], p[4]))
            if len(p) == 5 and p[2] == "neigh" and p[4] in NEIGH_KEYS:
                return str(_neigh_read(ns, p[3], p[4]))
            if len(p) == 4 and p[2] == "vs" and p[3] in getattr(getattr(ns, "ipvs", None),
                                                                 "sysctl", ()):
                v = ns.ipvs.sysctl[p[3]]
                return "\t".join(map(str, v)) if isinstance(v, tuple) else str(v)
        if p[:2] == ["net", "ipv6"] and getattr(ns, "ipv6", None) is not None:
            return _v6_read(ns, p, path)
        if p[:3] == ["net", "ipv6", "conf"] and len(p) == 5 and p[4] == "disable_ipv6":
            return str(_v6(ns).get(_v6_target(ns, p[3], path), 0))
    except KernelError as e:
        if e.errno == errno.EIO:
            raise ProcError(errno.EIO, "Input/output error", path) from None
    _enoent(path)


# -- IPv6 (ns.ipv6 present) ------------------------------------------------------------------

def _v6_devs(ns) -> list[str]:
    return sorted(d.name for d in ns.devices if d.ip6 is not None)


def _v6_keys(ns) -> list[str]:
    from ..stack.addrconf import DEVCONF_KEYS
    out = []
    for target in ["all", "default"] + _v6_devs(ns):
        for k in DEVCONF_KEYS:
            out.append(f"net/ipv6/conf/{target}/{k}")
    neigh = (["default"] if ns is ns.kernel.init_ns else []) + _v6_devs(ns)
    for target in neigh:
        for k in sorted(NEIGH_KEYS):
            if k in ("base_reachable_time", "retrans_time"):
                continue            # IPv6 has only the _ms forms
            out.append(f"net/ipv6/neigh/{target}/{k}")
    for k in ns.ipv6.sysctl:
        out.append("net/ipv6/" + k.replace(".", "/"))
    return out


def _v6_read(ns, p: list[str], path: str) -> str:
    v6 = ns.ipv6
    if len(p) == 5 and p[2] == "conf":
        v = v6.conf_read(p[3], p[4])
        if isinstance(v, bytes):
            # addrconf_sysctl_stable_secret(): "%pI6", all eight groups, zero-padded
            return ":".join(v[i:i + 2].hex() for i in range(0, 16, 2))
        return str(v)
    if len(p) == 5 and p[2] == "neigh" and p[4] in NEIGH_KEYS and \
            p[4] not in ("base_reachable_time", "retrans_time"):
        if p[3] == "default" and ns is not ns.kernel.init_ns:
            _enoent(path)
        return str(_neigh_read(ns, p[3], p[4], v6.nd))
    key = ".".join(p[2:])
    if key in v6.sysctl:
        return str(v6.sysctl[key])
    _enoent(path)


def _v6_write(ns, p: list[str], text: str, path: str) -> None:
    v6 = ns.ipv6
    if len(p) == 5 and p[2] == "conf":
        _v6_read(ns, p, path) if p[4] != "stable_secret" else None
        if p[4] == "stable_secret":
            if p[3] not in ("all", "default") and (ns.get(p[3]) is None or
                                                   ns.get(p[3]).ip6 is None):
                _enoent(path)
            value = text.strip()
        else:
            value = parse_int(text)
        try:
            v6.conf_write(p[3], p[4], value)
        except KernelError as e:
            if e.errno == errno.ENOENT:
                _enoent(path)
            raise ProcError(e.errno, os_strerror(e.errno)) from None
        return
    if len(p) == 5 and p[2] == "neigh" and p[4] in NEIGH_KEYS:
        _v6_read(ns, p, path)
        _neigh_write(ns, p[3], p[4], parse_int(text), path, v6.nd)
        return
    key = ".".join(p[2:])
    if key in v6.sysctl:
        v6.sysctl[key] = parse_int(text)
        return
    _enoent(path)


def os_strerror(e: int) -> str:
    import os
    return os.strerror(e)


def write(ns, path: str, text: str) -> None:
    p = _split(path)
    v4 = ns.ipv4
    if p[:2] == ["net", "ipv4"]:
        if p[2:] == ["ip_forward"]:
            v4.conf_write("all", "forwarding", parse_int(text))
            return
        if len(p) == 3 and p[2] in IPV4_SCALARS:
            v4.sysctl[p[2]] = parse_int(text)
            return
        if len(p) == 5 and p[2] == "conf":
            if p[4] in CONF_READONLY and p[4] in CONF_DEFAULTS:
                read(ns, path)
                raise ProcError(errno.EINVAL, "Invalid argument")
            value = parse_int(text)
            try:
                v4.conf_write(p[3], p[4], value)
            except KernelError:
                _enoent(path)
            return
        if len(p) == 5 and p[2] == "neigh" and p[4] in NEIGH_KEYS:
            _neigh_write(ns, p[3], p[4], parse_int(text), path)
            return
        if len(p) == 4 and p[2] == "vs" and p[3] in getattr(getattr(ns, "ipvs", None),
                                                             "sysctl", ()):
            old = ns.ipvs.sysctl[p[3]]
            if isinstance(old, tuple):
                vals = text.split()
                if len(vals) != len(old):
                    raise ProcError(errno.EINVAL, "Invalid argument")
                ns.ipvs.sysctl[p[3]] = tuple(parse_int(v) for v in vals)
            else:
                ns.ipvs.sysctl[p[3]] = parse_int(text)
            return
    if p[:2] == ["net", "ipv6"] and getattr(ns, "ipv6", None) is not None:
        _v6_write(ns, p, text, path)
        return
    if p[:3] == ["net", "ipv6", "conf"] and len(p) == 5 and p[4] == "disable_ipv6":
        value = parse_int(text)
        target = _v6_target(ns, p[3], path)
        store = _v6(ns)
        store[target] = value
        if target == "default":
            pass
        return
    _enoent(path)


def _v6(ns) -> dict:
    store = ns.__dict__.get("_disable_ipv6")
    if store is None:
        store = ns.__dict__["_disable_ipv6"] = {}
    return store


def _v6_target(ns, target: str, path: str) -> str:
    if target in ("all", "default") or ns.get(target) is not None:
        return target
    _enoent(path)


def _neigh_parms(ns, target: str, path: str | None = None, tbl=None):
    v6 = tbl is not None
    tbl = tbl if tbl is not None else ns.ipv4.arp
    if target == "default":
        return tbl, None
    dev = ns.get(target)
    if dev is None or (dev.ip6 if v6 else dev.ip) is None:
        _enoent(path or target)
    return tbl, dev


def _neigh_read(ns, target: str, key: str, tbl=None) -> int:
    tbl, dev = _neigh_parms(ns, target, None, tbl)
    name, unit = NEIGH_KEYS[key]
    if name is None:  # unres_qlen: derived from unres_qlen_bytes
        return tbl.parm(dev, "unres_qlen_bytes") // SKB_TRUESIZE_ETH_FRAME
    return tbl.parm(dev, name) // unit


def _neigh_write(ns, target: str, key: str, value: int, path: str, tbl=None) -> None:
    tbl, dev = _neigh_parms(ns, target, path, tbl)
    name, unit = NEIGH_KEYS[key]
    if key.endswith("_ms") and value < 0:
        # proc_dointvec_ms_jiffies(): a negative time converts past INT_MAX jiffies
        raise ProcError(errno.EINVAL, "Invalid argument")
    if name is None:
        name, value, unit = "unres_qlen_bytes", value * SKB_TRUESIZE_ETH_FRAME, 1
    if dev is None:
        tbl.parms[name] = value * unit
    else:
        tbl.dev_parms.setdefault(dev.ifindex, {})[name] = value * unit
    if name == "base_reachable_time":
        tbl.reachable_time = tbl.rand_reach_time(value * unit)
