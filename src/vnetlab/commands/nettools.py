"""net-tools 2.10 (Debian 12: 2.10-0.1+deb12u2): ``ifconfig`` and ``route`` on the emulated kernel.

The tools speak to the kernel through the old ioctls and /proc/net files, so this module has two
halves, kept apart the way ip/addr.py keeps inet_rtm_newaddr() beside its printer:

* **the kernel side** (``k_*``): the handlers the tools reach: dev_ioctl() (net/core/dev_ioctl.c),
  devinet_ioctl() (net/ipv4/devinet.c), ip_rt_ioctl() with rtentry_to_fib_config()
  (net/ipv4/fib_frontend.c), the IPv6 addrconf ioctls (addrconf_add_ifaddr/del_ifaddr over
  stack/ipv6.py; a kernel built without IPv6 answers as one with disable_ipv6=1), the IPv6
  route ioctls (still those of a disabled IPv6: [EMU] ``route -A inet6 add/del`` is not wired to
  the fib6 yet), dev_load() module autoload, and the /proc/net files (dev, route, if_inet6,
  ipv6_route, rt_cache) the tools parse. They raise KernelError(errno).
* ifconfig prints a device's ``inet6 ADDR  prefixlen N  scopeid 0xS<scope>`` lines from
  /proc/net/if_inet6, whose order is the kernel's address hash (salted per netns: real order
  varies between namespaces; here the salt is 0). ``route -A inet6`` / ``-6`` list
  /proc/net/ipv6_route: main then local table, each ending with its null entry (``!n -1 lo``)
  unless it has a ::/0 route. [EMU] the Ref column (dst refcount) is not modelled.
* **the tool side**: ifconfig.c, route.c and the lib/ helpers they use (inet.c's resolver,
  inet_sr.c / inet_gr.c, hw types, the nstrcmp()-sorted interface cache of interface.c, glibc's
  inet_aton() and getopt_long()), with the tools' texts, quirks and exit codes.

Rules worth knowing (checked against the real tools on the host kernel, tests/test_cmd_nettools.py):

* ``ifconfig DEV ADDR`` is SIOCSIFADDR then SIOCSIFFLAGS(UP|RUNNING). The kernel replaces the
  address labelled DEV (or adds one) with the *classful* mask (A /8, B /16, C /24, E /32) and,
  on a BROADCAST device, the classful broadcast; ``0.0.0.0`` deletes it. ``netmask M`` is
  SIOCSIFNETMASK: it recomputes the broadcast only if that was still ``local | ~old_mask``.
  ``ADDR/N`` sets the mask after all other arguments, from ``~(0xffffffff >> (N & 31))`` (x86
  shift), so /32 gives netmask 0.0.0.0.
* ``DEV:N`` names an address label (an alias): SIOCGIF*/SIOCSIFADDR act on the address with that
  label; SIOCSIFFLAGS on an alias deletes it when UP is cleared and otherwise does nothing.
* ``ifconfig`` lists every device of /proc/net/dev plus every label of SIOCGIFCONF, sorted with
  nstrcmp(); only UP ones without ``-a``. Aliases print no counters.
* ``route add`` is SIOCADDRT with NLM_F_CREATE only: the same route twice is EEXIST, a second
  route with another nexthop is accepted. Without -net/-host a target is a host unless it names a
  network in /etc/networks (or is ``default``). ``route -n`` prints the main table from
  /proc/net/route (no broadcast/multicast routes); it exits 1 when the netns never had a main
  table (the kernel creates it with the first route or address).
* Names go through glibc: /etc/hosts (localhost) and /etc/networks (default, loopback,
  link-local) of a Debian host whose DNS server is unreachable (the linux backend's sandbox):
  names res_hnok() refuses fail with HOST_NOT_FOUND ("Unknown host"), the others with TRY_AGAIN
  ("Host name lookup failure"); a lookup that tries the hosts database first ends with the
  networks database, so it says "Unknown host".
* [EMU] where the real tool reads memory it never wrote (``hw ether 2`` fills the rest of the MAC
  from the stack; ``hw loop`` without an address walks past argv into the environment) the
  emulator uses zeros and an empty environment; a NULL-pointer call (``ifconfig DEV unix netmask
  X``) is reported as "Segmentation fault" with exit 139, the shell's view of it.
"""

from __future__ import annotations

import errno as _E
import weakref

from . import Exit, command
from .ip.common import settle, strerror
from ..stack.errors import KernelError
from ..wire.ipv6 import ntoa as _ip6_ntoa

# =============================================================================================
# C library helpers (glibc semantics on x86-64: long is 64 bits, int 32)
# =============================================================================================

_SPACE = " \t\n\v\f\r"
_LONG_MAX = 2**63 - 1
_ULONG_MAX = 2**64 - 1


def c_str(s: str) -> str:
    """An argv string as C sees it: it ends at the first NUL."""
    i = s.find("\0")
    return s if i < 0 else s[:i]


def c_bytes(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def c_decode(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def safe_strncpy(s: str, size: int) -> str:
    """safe_strncpy(dst, src, size): at most size-1 bytes."""
    b = c_bytes(s)
    return s if len(b) < size else c_decode(b[:size - 1])


def _int32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - 2**32 if v & 0x80000000 else v


def _short(v: int) -> int:
    v &= 0xFFFF
    return v - 0x10000 if v & 0x8000 else v


def c_strtol(s: str, base: int = 10) -> tuple[int, int]:
    """strtol(): (value clamped to long, index of the end); end 0 when no digits were read."""
    return _strto(s, base, signed=True)


def c_strtoul(s: str, base: int = 10) -> tuple[int, int]:
    """strtoul(): a leading '-' negates modulo 2**64; overflow gives ULONG_MAX."""
    return _strto(s, base, signed=False)


def _strto(s: str, base: int, signed: bool) -> tuple[int, int]:
    i, n = 0, len(s)
    while i < n and s[i] in _SPACE:
        i += 1
    neg = False
    if i < n and s[i] in "+-":
        neg = s[i] == "-"
        i += 1
    if base in (0, 16) and s[i:i + 2] in ("0x", "0X") and i + 2 < n and \
            s[i + 2] in "0123456789abcdefABCDEF":
        base, i = 16, i + 2
    elif base == 0:
        base = 8 if s[i:i + 1] == "0" else 10
    start, val = i, 0
    while i < n:
        c = s[i]
        d = int(c, 36) if c.isascii() and c.isalnum() else 99
        if d >= base:
            break
        val = val * base + d
        i += 1
    if i == start:
        return 0, 0
    if signed:
        if neg:
            val = -val
        val = max(-_LONG_MAX - 1, min(_LONG_MAX, val))
    else:
        if val > _ULONG_MAX:
            val = _ULONG_MAX
        elif neg:
            val = (-val) & _ULONG_MAX
    return val, i


def atoi(s: str) -> int:
    """atoi(): (int) strtol(s, NULL, 10)."""
    return _int32(c_strtol(s, 10)[0])


def atol(s: str) -> int:
    return c_strtol(s, 10)[0]


def _isdigit(c: str) -> bool:
    return "0" <= c <= "9" if c else False


def inet_aton(cp: str) -> int | None:
    """glibc inet_aton(): a.b.c.d, a.b.c, a.b, a in decimal, octal (0) or hex (0x); trailing
    whitespace (and whatever follows it) is ignored. The address as a host-order int."""
    parts: list[int] = []
    i, n = 0, len(cp)
    c = cp[0] if cp else ""
    while True:
        if not _isdigit(c):
            return None
        ul, end = c_strtoul(cp[i:], 0)
        if end == 0:
            return None
        if ul == _ULONG_MAX or ul > 0xFFFFFFFF:
            return None
        val = ul
        i += end
        c = cp[i] if i < n else ""
        if c == ".":
            if len(parts) > 2 or val > 0xFF:
                return None
            parts.append(val)
            i += 1
            c = cp[i] if i < n else ""
        else:
            break
    if c and not (c.isascii() and c in _SPACE):
        return None
    if val > (0xFFFFFFFF, 0xFFFFFF, 0xFFFF, 0xFF)[len(parts)]:
        return None
    word = 0
    for k, p in enumerate(parts):
        word |= p << (24 - 8 * k)
    return word | val


def inet_aton_exact(cp: str) -> int | None:
    """__inet_aton_exact(): inet_aton() with nothing after the address."""
    v = inet_aton(cp)
    if v is None or any(ch in _SPACE for ch in cp):
        return None
    return v


def ntoa(v: int) -> str:
    return f"{v >> 24 & 255}.{v >> 16 & 255}.{v >> 8 & 255}.{v & 255}"


def inet_pton6(s: str) -> bytes | None:
    """inet_pton(AF_INET6): hex groups, one '::', an optional dotted-quad tail; no zone id."""
    import ipaddress
    if not s or "%" in s or not s.isascii() or any(c in _SPACE for c in s):
        return None
    try:
        return ipaddress.IPv6Address(s).packed
    except ValueError:
        return None


# =============================================================================================
# the resolver of the emulated Debian host (glibc NSS: files, then an unreachable DNS server)
# =============================================================================================

HOST_NOT_FOUND, TRY_AGAIN, NO_RECOVERY, NO_DATA = 1, 2, 3, 4
_HSTRERROR = {0: "Resolver Error 0 (no error)", HOST_NOT_FOUND: "Unknown host",
              TRY_AGAIN: "Host name lookup failure", NO_RECOVERY: "Unknown server error",
              NO_DATA: "No address associated with name", -1: "Resolver internal error"}
ETC_HOSTS = {"localhost": 0x7F000001}                                 # /etc/hosts
ETC_NETWORKS = {"default": 0, "loopback": 0x7F000000, "link-local": 0xA9FE0000}   # netbase


def _ns_name_pton(name: str) -> list[bytes] | None:
    """ns_name_pton(): the labels of a presentation-format domain name (None if invalid)."""
    labels, cur, i, n = [], bytearray(), 0, len(name)
    b = c_bytes(name)
    n = len(b)
    while i < n:
        c = b[i]
        if c == 0x5C:                                   # backslash escape
            i += 1
            if i >= n:
                return None
            if i + 2 < n + 0 and all(0x30 <= x <= 0x39 for x in b[i:i + 3]) and i + 3 <= n:
                v = int(b[i:i + 3])
                if v > 255:
                    return None
                cur.append(v)
                i += 3
                continue
            cur.append(b[i])
            i += 1
            continue
        if c == 0x2E:                                   # '.'
            if not cur:
                if i == 0 and n == 1:
                    return []                           # the root "."
                return None
            if len(cur) > 63:
                return None
            labels.append(bytes(cur))
            cur = bytearray()
            i += 1
            continue
        cur.append(c)
        i += 1
    if cur:
        if len(cur) > 63:
            return None
        labels.append(bytes(cur))
    if sum(len(x) + 1 for x in labels) + 1 > 255:
        return None
    return labels


def res_hnok(name: str) -> bool:
    """glibc res_hnok(): printable ASCII, a valid domain name whose labels hold only
    [0-9A-Za-z_-], and no leading '-'."""
    if any(c <= " " or c > "~" for c in name):
        return False
    labels = _ns_name_pton(name)
    if labels is None:
        return False
    if labels and labels[0][:1] == b"-":
        return False
    ok = set(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_")
    return all(all(ch in ok for ch in lab) for lab in labels)


class Resolver:
    """The bits of glibc name resolution the tools use; ``h_errno`` is the process global."""

    def __init__(self):
        self.h_errno = 0

    def gethostbyname(self, name: str) -> int | None:
        """gethostbyname(): digits-and-dots names, /etc/hosts, then DNS (unreachable)."""
        if (name[:1].isascii() and name[:1].isdigit()):
            if all((c.isascii() and c.isdigit()) or c == "." for c in name) and not name.endswith("."):
                v = inet_aton_exact(name)
                if v is None:
                    self.h_errno = HOST_NOT_FOUND
                return v
        if (name[:1] in "0123456789abcdefABCDEF:" and name[:1] and ":" in name):
            self.h_errno = HOST_NOT_FOUND                 # an IPv6 literal for AF_INET
            return None
        v = ETC_HOSTS.get(name.lower())
        if v is not None:
            return v
        if not name:
            self.h_errno = NO_RECOVERY
        elif not res_hnok(name):
            self.h_errno = HOST_NOT_FOUND
        else:
            self.h_errno = TRY_AGAIN
        return None

    def getnetbyname(self, name: str) -> int | None:
        v = ETC_NETWORKS.get(name.lower())
        if v is None:
            self.h_errno = HOST_NOT_FOUND
        return v

    @staticmethod
    def gethostbyaddr(addr: int) -> str | None:
        for k, v in ETC_HOSTS.items():
            if v == addr:
                return k
        return None

    @staticmethod
    def getnetbyaddr(net: int) -> str | None:
        for k, v in ETC_NETWORKS.items():
            if v == net:
                return k
        return None

    def herror(self, ctx, text: str | None) -> None:
        msg = _HSTRERROR.get(self.h_errno, "Unknown resolver error")
        ctx.eprint(f"{text}: {msg}" if text else msg)

    def getaddrinfo6(self, name: str) -> tuple[bytes | None, int]:
        """getaddrinfo(name, AF_INET6): (address, 0) or (None, EAI_* code)."""
        a = inet_pton6(name)
        if a is not None:
            return a, 0
        if inet_aton(name) is not None:
            self.h_errno = 0
            return None, -9                               # EAI_ADDRFAMILY
        if not name:
            self.h_errno = NO_RECOVERY
            return None, -2                               # EAI_NONAME
        if not res_hnok(name) or ":" in name:
            self.h_errno = HOST_NOT_FOUND
            return None, -2
        self.h_errno = TRY_AGAIN
        return None, -3                                   # EAI_AGAIN


# =============================================================================================
# the kernel side: ioctls and /proc/net files
# =============================================================================================

IFNAMSIZ = 16
IFF_UP, IFF_BROADCAST, IFF_DEBUG, IFF_LOOPBACK = 0x1, 0x2, 0x4, 0x8
IFF_POINTOPOINT, IFF_NOTRAILERS, IFF_RUNNING, IFF_NOARP = 0x10, 0x20, 0x40, 0x80
IFF_PROMISC, IFF_ALLMULTI, IFF_MASTER, IFF_SLAVE = 0x100, 0x200, 0x400, 0x800
IFF_MULTICAST, IFF_PORTSEL, IFF_AUTOMEDIA, IFF_DYNAMIC = 0x1000, 0x2000, 0x4000, 0x8000
# __dev_change_flags(): the flags a user may set directly
_SETTABLE = (IFF_DEBUG | IFF_NOTRAILERS | IFF_NOARP | IFF_DYNAMIC | IFF_MULTICAST | IFF_PORTSEL
             | IFF_AUTOMEDIA)

ARPHRD_ETHER, ARPHRD_LOOPBACK, ARPHRD_SIT = 1, 772, 776
AF_UNIX, AF_INET, AF_INET6 = 1, 2, 10
IPV6_MIN_MTU = 1280

RTF_UP, RTF_GATEWAY, RTF_HOST, RTF_REINSTATE = 0x1, 0x2, 0x4, 0x8
RTF_DYNAMIC, RTF_MODIFIED, RTF_MTU, RTF_WINDOW = 0x10, 0x20, 0x40, 0x80
RTF_IRTT, RTF_REJECT = 0x100, 0x200

# the sockets the tools open: an address family with a socket, or None (fd -1: EBADF)
SOCKET_AFS = ("unix", "inet", "inet6")

_DEVINET = {"SIOCGIFADDR", "SIOCSIFADDR", "SIOCGIFBRDADDR", "SIOCSIFBRDADDR", "SIOCGIFNETMASK",
            "SIOCSIFNETMASK", "SIOCGIFDSTADDR", "SIOCSIFDSTADDR", "SIOCSIFFLAGS"}


class Ifreq:
    """struct ifreq (and in6_ifreq / rtentry where noted): the fields the tools use."""

    __slots__ = ("name", "flags", "addr", "mtu", "qlen", "newname", "hw_family", "hw_data",
                 "ifindex", "map")

    def __init__(self, name: str = ""):
        self.name = name
        self.flags = 0
        self.addr: tuple[int, int] = (0, 0)       # (sa_family, IPv4 address)
        self.mtu = 0
        self.qlen = 0
        self.newname = ""
        self.hw_family = 0
        self.hw_data = b""
        self.ifindex = 0
        self.map = None


def _kname(name: str) -> str:
    """ifr->ifr_name[IFNAMSIZ - 1] = 0."""
    return safe_strncpy(name, IFNAMSIZ)


def k_dev_load(ns, name: str) -> None:
    """dev_load(): a name that is not a device may load the module that provides it: first
    the ``netdev-NAME`` alias (ipip's tunl0), then, with CAP_SYS_MODULE, the module NAME."""
    if name and name not in ns.by_name:
        if not ns.kernel.request_module("netdev-" + name):
            ns.kernel.request_module(name)


def k_dev_get_flags(dev) -> int:
    """(short) dev_get_flags()."""
    return _short(dev.get_flags())


def k_dev_change_flags(kernel, dev, flags: int) -> None:
    """__dev_change_flags(): the simple flags, then UP, then PROMISC and ALLMULTI."""
    from ..stack.netdev import dev_set_allmulti, dev_set_promiscuity, dev_set_rx_mode
    flags &= 0xFFFFFFFF
    old = dev.flags
    dev.flags = (flags & _SETTABLE) | (dev.flags & ~_SETTABLE)
    dev_set_rx_mode(dev)
    if (old ^ flags) & IFF_UP:
        if old & IFF_UP:
            kernel.dev_close(dev)
        else:
            kernel.dev_open(dev)
    if (flags ^ dev.gflags) & IFF_PROMISC:
        dev.gflags ^= IFF_PROMISC
        dev_set_promiscuity(dev, 1 if flags & IFF_PROMISC else -1)
    if (flags ^ dev.gflags) & IFF_ALLMULTI:
        dev.gflags ^= IFF_ALLMULTI
        dev_set_allmulti(dev, 1 if flags & IFF_ALLMULTI else -1)


def k_dev_ioctl(ns, cmd: str, ifr: Ifreq) -> None:
    """dev_ioctl(): the generic device ioctls; the name loses its ':alias' part."""
    name = _kname(ifr.name).split(":", 1)[0]
    if cmd in ("SIOCGIFFLAGS", "SIOCGIFMTU", "SIOCGIFMAP", "SIOCGIFINDEX", "SIOCGIFTXQLEN",
               "SIOCGIFHWADDR", "SIOCGIFMETRIC"):
        k_dev_load(ns, name)
        dev = ns.by_name.get(name)
        if dev is None:
            raise KernelError(_E.ENODEV)
        if cmd == "SIOCGIFFLAGS":
            ifr.flags = k_dev_get_flags(dev)
        elif cmd == "SIOCGIFMTU":
            ifr.mtu = _int32(dev.mtu)
        elif cmd == "SIOCGIFMAP":
            ifr.map = {"mem_start": 0, "mem_end": 0, "base_addr": 0, "irq": 0, "dma": 0,
                       "port": 0}
        elif cmd == "SIOCGIFINDEX":
            ifr.ifindex = dev.ifindex
        elif cmd == "SIOCGIFTXQLEN":
            ifr.qlen = _int32(dev.tx_queue_len)
        elif cmd == "SIOCGIFHWADDR":
            ifr.hw_family = dev.type & 0xFFFF
            ifr.hw_data = bytes(dev.addr[:14]) if dev.addr_len else b""
        return
    set_cmds = ("SIOCSIFFLAGS", "SIOCSIFMTU", "SIOCSIFMAP", "SIOCSIFHWADDR", "SIOCSIFTXQLEN",
                "SIOCSIFNAME", "SIOCDEVPRIVATE")
    if cmd not in set_cmds:
        raise KernelError(_E.ENOTTY)
    k_dev_load(ns, name)
    dev = ns.by_name.get(name)
    if dev is None:
        raise KernelError(_E.ENODEV)
    k = ns.kernel
    if cmd == "SIOCSIFFLAGS":
        k_dev_change_flags(k, dev, ifr.flags)
    elif cmd == "SIOCSIFMTU":
        mtu = ifr.mtu
        if mtu == dev.mtu:
            return
        if mtu < 0 or mtu < dev.min_mtu or (dev.max_mtu > 0 and mtu > dev.max_mtu):
            raise KernelError(_E.EINVAL)
        k.dev_set_mtu(dev, mtu)
    elif cmd in ("SIOCSIFMAP", "SIOCDEVPRIVATE"):
        raise KernelError(_E.EOPNOTSUPP)          # no ndo_set_config / ndo_siocdevprivate
    elif cmd == "SIOCSIFHWADDR":
        # dev_set_mac_address(): the family must be the device's type
        if ifr.hw_family != (dev.type & 0xFFFF):
            raise KernelError(_E.EINVAL)
        if not dev.addr_len:
            raise KernelError(_E.EOPNOTSUPP)
        mac = (ifr.hw_data + bytes(14))[:dev.addr_len]
        k.dev_set_mac(dev, mac)
    elif cmd == "SIOCSIFTXQLEN":
        if ifr.qlen < 0:
            raise KernelError(_E.EINVAL)
        dev.tx_queue_len = ifr.qlen
    elif cmd == "SIOCSIFNAME":
        k.dev_change_name(dev, _kname(ifr.newname))


def _inet_abc_len(addr: int) -> int:
    """inet_abc_len(): the classful prefix length (-1: class D, multicast)."""
    if addr >> 24 == 0 or addr == 0xFFFFFFFF:
        return 0
    if addr & 0x80000000 == 0:
        return 8
    if addr & 0xC0000000 == 0x80000000:
        return 16
    if addr & 0xE0000000 == 0xC0000000:
        return 24
    if addr & 0xF0000000 == 0xF0000000:
        return 32
    return -1


def _make_mask(plen: int) -> int:
    return (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF if plen else 0


def _bad_mask(mask: int, addr: int) -> bool:
    """bad_mask(): the mask is not contiguous or the address has bits outside it."""
    host = ~mask & 0xFFFFFFFF
    if addr & host:
        return True
    return bool(host & (host + 1))


def _mask_len(mask: int) -> int:
    return 32 - ((~mask & 0xFFFFFFFF).bit_length())


def _ifa_set_mask(ifa, plen: int, mask: int) -> None:
    ifa.prefixlen = plen
    ifa.mask = mask


def _inet_del_ifa(ns, dev, ifa) -> None:
    """inet_del_ifa(in_dev, ifap, destroy=0): secondaries of a primary go with it."""
    ns.ipv4.addr_del(dev, ifa)


def _inet_insert_ifa(ns, dev, ifa) -> None:
    """inet_insert_ifa() -> __inet_insert_ifa(): an address 0.0.0.0 is silently dropped."""
    from ..stack.inet import IFA_F_SECONDARY
    ifa.flags &= ~IFA_F_SECONDARY
    if not ifa.local:
        return
    cstamp = ifa.cstamp
    ns.ipv4.addr_add(dev, ifa)
    if cstamp:
        ifa.cstamp = cstamp


def k_devinet_ioctl(ns, cmd: str, ifr: Ifreq) -> None:
    """devinet_ioctl(): addresses by label; ``DEV:N`` names the address labelled so."""
    from ..stack.inet import (IFA_F_PERMANENT, INFINITY_LIFE_TIME, RT_SCOPE_HOST,
                              CONF_DEFAULTS, IfAddr)
    name = _kname(ifr.name)
    sin_family, sin_addr = ifr.addr
    colon = ":" in name
    base = name.split(":", 1)[0]
    k_dev_load(ns, base)
    tryaddrmatch = False
    if cmd in ("SIOCGIFADDR", "SIOCGIFBRDADDR", "SIOCGIFDSTADDR", "SIOCGIFNETMASK"):
        tryaddrmatch = sin_family == AF_INET
        ifr.addr = (AF_INET, 0)
    elif cmd != "SIOCSIFFLAGS" and sin_family != AF_INET:
        raise KernelError(_E.EINVAL)
    dev = ns.by_name.get(base)
    if dev is None:
        raise KernelError(_E.ENODEV)
    in_dev = dev.ip
    ifa = None
    if in_dev is not None:
        if tryaddrmatch:
            ifa = next((a for a in in_dev.ifa_list
                        if a.label == name and a.local == sin_addr), None)
        if ifa is None:
            ifa = next((a for a in in_dev.ifa_list if a.label == name), None)
    if ifa is None and cmd not in ("SIOCSIFADDR", "SIOCSIFFLAGS"):
        raise KernelError(_E.EADDRNOTAVAIL)
    if cmd == "SIOCGIFADDR":
        ifr.addr = (AF_INET, ifa.local)
    elif cmd == "SIOCGIFBRDADDR":
        ifr.addr = (AF_INET, ifa.broadcast)
    elif cmd == "SIOCGIFDSTADDR":
        ifr.addr = (AF_INET, ifa.address)
    elif cmd == "SIOCGIFNETMASK":
        ifr.addr = (AF_INET, ifa.mask)
    elif cmd == "SIOCSIFFLAGS":
        if colon:
            if ifa is None:
                raise KernelError(_E.EADDRNOTAVAIL)
            if not ifr.flags & IFF_UP:
                _inet_del_ifa(ns, dev, ifa)
            return
        k_dev_change_flags(ns.kernel, dev, ifr.flags)
    elif cmd == "SIOCSIFADDR":
        plen = _inet_abc_len(sin_addr)
        if plen < 0:
            raise KernelError(_E.EINVAL)
        if ifa is None:
            if in_dev is None:
                raise KernelError(_E.ENOBUFS)
            ifa = IfAddr(dev, 0, 0, label=name if colon else dev.name)
        else:
            if ifa.local == sin_addr:
                return
            _inet_del_ifa(ns, dev, ifa)
            ifa.broadcast = 0
            ifa.scope = 0
        ifa.address = ifa.local = sin_addr
        if not dev.flags & IFF_POINTOPOINT:
            _ifa_set_mask(ifa, plen, _make_mask(plen))
            if dev.flags & IFF_BROADCAST and plen < 31:
                ifa.broadcast = ifa.address | (~ifa.mask & 0xFFFFFFFF)
        else:
            _ifa_set_mask(ifa, 32, 0xFFFFFFFF)
        ifa.flags |= IFA_F_PERMANENT                  # set_ifa_lifetime(INFINITY, INFINITY)
        ifa.valid_lft = ifa.preferred_lft = INFINITY_LIFE_TIME
        # inet_set_ifa()
        if dev.ip is None:
            raise KernelError(_E.ENOBUFS)
        dev.ip.conf_set.update(CONF_DEFAULTS)         # ipv4_devconf_setall()
        if sin_addr >> 24 == 127:
            ifa.scope = RT_SCOPE_HOST
        _inet_insert_ifa(ns, dev, ifa)
    elif cmd == "SIOCSIFBRDADDR":
        if ifa.broadcast != sin_addr:
            _inet_del_ifa(ns, dev, ifa)
            ifa.broadcast = sin_addr
            _inet_insert_ifa(ns, dev, ifa)
    elif cmd == "SIOCSIFDSTADDR":
        if ifa.address == sin_addr:
            return
        if _inet_abc_len(sin_addr) < 0:
            raise KernelError(_E.EINVAL)
        _inet_del_ifa(ns, dev, ifa)
        ifa.address = sin_addr
        _inet_insert_ifa(ns, dev, ifa)
    elif cmd == "SIOCSIFNETMASK":
        if _bad_mask(sin_addr, 0):
            raise KernelError(_E.EINVAL)
        if ifa.mask != sin_addr:
            old = ifa.mask
            _inet_del_ifa(ns, dev, ifa)
            _ifa_set_mask(ifa, _mask_len(sin_addr), sin_addr)
            if dev.flags & IFF_BROADCAST and ifa.prefixlen < 31 and \
                    ifa.broadcast == (ifa.local | (~old & 0xFFFFFFFF)):
                ifa.broadcast = ifa.local | (~sin_addr & 0xFFFFFFFF)
            _inet_insert_ifa(ns, dev, ifa)


def _in6_dev_exists(dev) -> bool:
    """An inet6_dev exists while the MTU is at least IPV6_MIN_MTU (it is disabled, though)."""
    return dev.mtu >= IPV6_MIN_MTU


def _ipv6(ns):
    """The netns's IPv6 (stack/ipv6.py), or None on a kernel built without it."""
    return getattr(ns, "ipv6", None)


def k_inet6_ioctl(ns, cmd: str, ifr: Ifreq, plen: int = 0, addr: bytes | None = None) -> None:
    """inet6_ioctl(): addrconf_add_ifaddr() / addrconf_del_ifaddr() / addrconf_set_dstaddr().
    Without IPv6 in the kernel: as a netns whose IPv6 is disabled everywhere."""
    v6 = _ipv6(ns)
    if v6 is not None and addr is not None and cmd in ("SIOCSIFADDR", "SIOCDIFADDR"):
        if plen > 128:
            raise KernelError(_E.EINVAL)
        dev = ns.by_index.get(ifr.ifindex)
        if dev is None:
            raise KernelError(_E.ENODEV)
        if cmd == "SIOCSIFADDR":
            if dev.ip6 is None and not _in6_dev_exists(dev):
                raise KernelError(_E.EINVAL)
            try:
                v6.addr_add(dev, addr, plen)
            except KernelError as e:
                raise KernelError(e.errno) from None
            return
        if dev.ip6 is None:
            raise KernelError(_E.ENXIO)
        try:
            v6.addr_del(dev, addr, plen)
        except KernelError as e:
            raise KernelError(e.errno) from None
        return
    if cmd == "SIOCSIFADDR":              # addrconf_add_ifaddr() -> inet6_addr_add()
        if plen > 128:
            raise KernelError(_E.EINVAL)
        dev = ns.by_index.get(ifr.ifindex)
        if dev is None:
            raise KernelError(_E.ENODEV)
        if not _in6_dev_exists(dev):
            raise KernelError(_E.EINVAL)
        raise KernelError(_E.EACCES)      # addrconf_add_dev(): idev->cnf.disable_ipv6
    if cmd == "SIOCDIFADDR":              # addrconf_del_ifaddr() -> inet6_addr_del()
        if plen > 128:
            raise KernelError(_E.EINVAL)
        dev = ns.by_index.get(ifr.ifindex)
        if dev is None:
            raise KernelError(_E.ENODEV)
        if not _in6_dev_exists(dev):
            raise KernelError(_E.ENXIO)
        raise KernelError(_E.EADDRNOTAVAIL)
    if cmd == "SIOCSIFDSTADDR":           # addrconf_set_dstaddr(): only sit devices
        dev = ns.by_index.get(ifr.ifindex)
        if dev is None or dev.type != ARPHRD_SIT:
            raise KernelError(_E.ENODEV)
        raise KernelError(_E.EOPNOTSUPP)
    k_dev_ioctl(ns, cmd, ifr)


def k_ioctl(ns, af: str | None, cmd: str, ifr: Ifreq, **kw) -> None:
    """ioctl(fd, cmd, ifr) on a socket of family ``af`` (None: fd -1)."""
    if af is None:
        raise KernelError(_E.EBADF)
    if af == "inet" and cmd in _DEVINET:
        return k_devinet_ioctl(ns, cmd, ifr)
    if af == "inet6" and cmd in ("SIOCSIFADDR", "SIOCDIFADDR", "SIOCSIFDSTADDR"):
        if cmd == "SIOCSIFDSTADDR" and "plen" not in kw:
            # ifconfig's dstaddr/pointopoint pass a plain ifreq: ifr6_ifindex reads 0
            raise KernelError(_E.ENODEV)
        return k_inet6_ioctl(ns, cmd, ifr, kw.get("plen", 0), kw.get("addr6"))
    return k_dev_ioctl(ns, cmd, ifr)


def k_siocgifconf(ns) -> list[tuple[str, int]]:
    """SIOCGIFCONF: (label, local) of every IPv4 address, device by device."""
    out = []
    for dev in ns.devices:
        if dev.ip is not None:
            out.extend((a.label, a.local) for a in dev.ip.ifa_list)
    return out


def k_proc_net_dev(ns) -> list[tuple[str, dict]]:
    """/proc/net/dev (dev_seq_printf_stats()): the counters ifconfig reads, per device."""
    rows = []
    for dev in ns.devices:
        s = dev.get_stats64()
        g = s.get
        rows.append((dev.name, {
            "rx_bytes": g("rx_bytes", 0), "rx_packets": g("rx_packets", 0),
            "rx_errors": g("rx_errors", 0),
            "rx_dropped": g("rx_dropped", 0) + g("rx_missed_errors", 0),
            "rx_fifo_errors": g("rx_fifo_errors", 0),
            "rx_frame_errors": g("rx_length_errors", 0) + g("rx_over_errors", 0)
            + g("rx_crc_errors", 0) + g("rx_frame_errors", 0),
            "rx_compressed": g("rx_compressed", 0), "rx_multicast": g("multicast", 0),
            "tx_bytes": g("tx_bytes", 0), "tx_packets": g("tx_packets", 0),
            "tx_errors": g("tx_errors", 0), "tx_dropped": g("tx_dropped", 0),
            "tx_fifo_errors": g("tx_fifo_errors", 0), "collisions": g("collisions", 0),
            "tx_carrier_errors": g("tx_carrier_errors", 0) + g("tx_aborted_errors", 0)
            + g("tx_window_errors", 0) + g("tx_heartbeat_errors", 0),
            "tx_compressed": g("tx_compressed", 0)}))
    return rows


# the kernel creates the main table lazily (with the first route or address, or with a route
# request that then fails); the emulator's Fib always has one, so remember the lazy creations
# the fib cannot show (a route request that failed)
_MAIN_CREATED: "weakref.WeakSet" = weakref.WeakSet()


def k_main_table_exists(ns) -> bool:
    fib = ns.ipv4.fib
    return fib in _MAIN_CREATED or fib.genid > 0 or any(t.count for t in fib.tables.values())


def k_proc_net_route(ns) -> list[dict] | None:
    """/proc/net/route (fib_route_seq_show()): the main table without broadcast / multicast
    routes; None when the netns has no main table (the file is empty)."""
    from ..stack.fib import (RT_TABLE_MAIN, RTN_BROADCAST, RTN_MULTICAST, RTN_PROHIBIT,
                             RTN_UNREACHABLE)
    if not k_main_table_exists(ns):
        return None
    rows = []
    for r in ns.ipv4.fib.all_routes(RT_TABLE_MAIN):
        if r.type in (RTN_BROADCAST, RTN_MULTICAST):
            continue
        flags = RTF_UP
        if r.type in (RTN_UNREACHABLE, RTN_PROHIBIT):
            flags |= RTF_REJECT
        if r.gw:
            flags |= RTF_GATEWAY
        if r.plen == 32:
            flags |= RTF_HOST
        m = r.metrics or {}
        advmss = m.get("advmss", 0)
        rows.append({"iface": r.dev.name if r.dev is not None else "*", "dst": r.dst,
                     "gw": r.gw, "flags": flags, "refcnt": 0, "use": 0,
                     "metric": _int32(r.priority), "mask": r.mask,
                     "mtu": advmss + 40 if advmss else 0,
                     "window": m.get("window", 0) & 0xFFFFFFFF,
                     "irtt": (m.get("rtt", 0) >> 3) & 0xFFFFFFFF})
    return rows


class RtEntry:
    """struct rtentry as route(8) fills it."""

    __slots__ = ("dst", "gateway", "gw_family", "genmask", "genmask_family", "flags", "metric",
                 "dev", "mtu", "window", "irtt")

    def __init__(self):
        self.dst = 0
        self.gateway = 0
        self.gw_family = 0
        self.genmask = 0
        self.genmask_family = 0
        self.flags = 0
        self.metric = 0            # short
        self.dev: str | None = None
        self.mtu = 0
        self.window = 0
        self.irtt = 0              # unsigned short


def k_ip_rt_ioctl(ns, cmd: str, rt: RtEntry) -> None:
    """ip_rt_ioctl() with rtentry_to_fib_config(), then fib_table_insert() / _delete()."""
    from .. import api
    from ..stack.fib import (RT_TABLE_MAIN, RTN_UNICAST, RTN_UNREACHABLE, RTPROT_BOOT)
    from ..stack.inet import RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_NOWHERE, RT_SCOPE_UNIVERSE
    from .ip.route import _kernel_metrics
    plen, addr = 32, rt.dst
    if not rt.flags & RTF_HOST:
        mask = rt.genmask
        if rt.genmask_family != AF_INET and (mask or rt.genmask_family):
            raise KernelError(_E.EAFNOSUPPORT)
        if _bad_mask(mask, addr):
            raise KernelError(_E.EINVAL)
        plen = _mask_len(mask)
    delete = cmd == "SIOCDELRT"
    cfg = api.RouteConfig(dst=addr, dst_len=plen, table=0, protocol=0 if delete else RTPROT_BOOT,
                          nlflags=0 if delete else api.NLM_F_CREATE)
    if rt.metric:
        cfg.priority = (rt.metric - 1) & 0xFFFFFFFF
    if rt.flags & RTF_REJECT:
        cfg.scope, cfg.type = RT_SCOPE_HOST, RTN_UNREACHABLE
    else:
        cfg.scope, cfg.type = RT_SCOPE_NOWHERE, RTN_UNICAST
        if rt.dev is not None:
            devname = safe_strncpy(rt.dev, IFNAMSIZ)
            base = devname.split(":", 1)[0]
            dev = ns.by_name.get(base)
            if dev is None:
                raise KernelError(_E.ENODEV)
            cfg.oif = dev
            if ":" in devname:
                if dev.ip is None:
                    raise KernelError(_E.ENODEV)
                ifa = next((a for a in dev.ip.ifa_list if a.label == devname), None)
                if ifa is None:
                    raise KernelError(_E.ENODEV)
                cfg.prefsrc = ifa.local
        if rt.gw_family == AF_INET and rt.gateway:
            cfg.gw = rt.gateway
            if rt.flags & RTF_GATEWAY and ns.ipv4.fib.addr_type(rt.gateway) == RTN_UNICAST:
                cfg.scope = RT_SCOPE_UNIVERSE
    if not cfg.table:
        cfg.table = RT_TABLE_MAIN
    if delete:
        if not k_main_table_exists(ns):
            raise KernelError(_E.ESRCH)
        api.fib_delroute(ns, cfg)
        return
    _MAIN_CREATED.add(ns.ipv4.fib)                   # fib_new_table() before the insert
    if cfg.type == RTN_UNICAST:
        if rt.flags & RTF_GATEWAY and not cfg.gw:
            raise KernelError(_E.EINVAL)
        if cfg.scope == RT_SCOPE_NOWHERE:
            cfg.scope = RT_SCOPE_LINK
        if rt.flags & (RTF_MTU | RTF_WINDOW | RTF_IRTT):
            mx = {}
            if rt.flags & RTF_MTU:
                mx["advmss"] = (rt.mtu - 40) & 0xFFFFFFFF
            if rt.flags & RTF_WINDOW:
                mx["window"] = rt.window & 0xFFFFFFFF
            if rt.flags & RTF_IRTT:
                mx["rtt"] = (rt.irtt << 3) & 0xFFFFFFFF
            cfg.metrics = _kernel_metrics(mx) or None
    api.fib_newroute(ns, cfg)


def k_ipv6_route_ioctl(ns, cmd: str, ifindex: int, has_gw: bool, dst: bytes | None = None,
                       plen: int = 0, gw: bytes | None = None, metric: int = 1) -> None:
    """ipv6_route_ioctl(): rtmsg_to_fib6_config() then ip6_route_add() / ip6_route_del() in
    the main table, protocol boot. Without IPv6 in the kernel: as with IPv6 disabled."""
    v6 = _ipv6(ns)
    if v6 is not None and dst is not None:
        from ..stack.ipv6 import Route6
        dev = ns.by_index.get(ifindex) if ifindex else None
        if ifindex and dev is None:
            raise KernelError(_E.ENODEV)
        pfx = int.from_bytes(dst, "big") & (((1 << 128) - 1) ^ ((1 << (128 - plen)) - 1))
        dst = pfx.to_bytes(16, "big")
        metric = metric or 1024                       # IP6_RT_PRIO_USER
        if cmd == "SIOCDELRT":
            v6.route_del(dst, plen, table=254, dev=dev, gw=gw, metric=metric)
            return
        if dev is not None and (dev.ip6 is None or dev.ip6.cnf["disable_ipv6"]):
            raise KernelError(_E.EACCES)              # "IPv6 is disabled on nexthop device"
        if gw is not None:
            if gw[0] == 0xFE and gw[1] & 0xC0 == 0x80:
                if dev is None:
                    raise KernelError(_E.EINVAL)
            else:                                     # ip6_validate_gw(): an on-link route
                r = v6.route_lookup(gw, dev)
                if r is None or r.gw is not None or r.type != 1 or \
                        (dev is not None and r.dev is not dev):
                    raise KernelError(_E.EHOSTUNREACH)
                dev = r.dev
        elif dev is None:
            raise KernelError(_E.ENODEV)
        v6.route_add(Route6(dst, plen, dev, gw, metric=metric, proto=3), excl=False)
        return
    if cmd == "SIOCDELRT":
        raise KernelError(_E.ESRCH)
    if not ifindex:
        raise KernelError(_E.EINVAL if has_gw else _E.ENODEV)
    raise KernelError(_E.EACCES)          # "IPv6 is disabled on nexthop device"


# /proc/net/ipv6_route of a netns with IPv6 disabled: the null entries of main and local
_IPV6_NULL_ROUTES = 2

# ipv6_addr_scope() values as /proc/net/if_inet6 prints them, from the rtnetlink scope
_IF_INET6_SCOPE = {254: 0x10, 253: 0x20, 200: 0x40, 0: 0x00}


def _inet6_addr_hash(addr: bytes) -> int:
    """inet6_addr_hash() with net_hash_mix() 0: hash_32(ipv6_addr_hash(addr), 8) (64-bit)."""
    x = int.from_bytes(addr[:8], "little") ^ int.from_bytes(addr[8:], "little")
    v = (x ^ (x >> 32)) & 0xFFFFFFFF
    return ((v * 0x61C88647) & 0xFFFFFFFF) >> 24


def k_proc_if_inet6(ns) -> list[tuple[bytes, int, int, int, int, str]]:
    """/proc/net/if_inet6 (if6_seq_show): (address, ifindex, prefix length, scope, flags, device)
    of every IPv6 address, in inet6_addr_lst order: hash bucket by bucket, newest first in a
    bucket. The kernel mixes a per-netns random value into the hash, so its order varies from
    netns to netns; this is the order of a netns whose mix is 0."""
    if _ipv6(ns) is None:
        return []
    buckets: dict[int, list] = {}
    for dev in ns.devices:
        idev = getattr(dev, "ip6", None)
        if idev is None:
            continue
        for ifa in sorted(idev.addr_list, key=lambda a: a.cstamp):
            buckets.setdefault(_inet6_addr_hash(ifa.addr), []).insert(0, ifa)
    out = []
    for h in sorted(buckets):
        for ifa in buckets[h]:
            out.append((ifa.addr, ifa.dev.ifindex, ifa.prefix_len,
                        _IF_INET6_SCOPE.get(ifa.scope, 0), ifa.flags & 0xFF, ifa.dev.name))
    return out


def proc_if_inet6_text(ns) -> str:
    """The text of /proc/net/if_inet6."""
    return "".join(f"{a.hex()} {ix:02x} {pl:02x} {sc:02x} {fl:02x} {name:>8}\n"
                   for a, ix, pl, sc, fl, name in k_proc_if_inet6(ns))


RTF_UP, RTF_GATEWAY, RTF_HOST, RTF_REJECT = 0x1, 0x2, 0x4, 0x200
RTF_NONEXTHOP, RTF_LOCAL = 0x200000, 0x80000000


def k_proc_ipv6_route(ns) -> list[tuple[bytes, int, bytes, int, int, int, int, str]] | None:
    """/proc/net/ipv6_route (ipv6_route_seq_show): (dst, plen, gateway, metric, refcnt, flags,
    use, device) table by table (main, then local), each in its trie walk order ending with the
    table's null entry unless a ::/0 route sits at the root. [EMU] refcnt is not modelled: 2 for
    local routes, 1 for the others (the kernel counts cached dsts too). None: no IPv6."""
    v6 = _ipv6(ns)
    if v6 is None:
        return None
    zero = bytes(16)
    null = (zero, 0, zero, 0xFFFFFFFF, 1, RTF_REJECT | RTF_NONEXTHOP, 0, "lo")
    out = []
    for tid in (254, 255):
        routes = [r for r in v6.tables.get(tid, []) if not r.nh_flags & 1]
        has_default = False
        for r in routes:
            if r.plen == 0:
                has_default = True
            if r.type == 2:                               # RTN_LOCAL
                flags, ref = RTF_UP | RTF_NONEXTHOP | RTF_LOCAL, 2
            elif r.type in (6, 7, 8):                      # blackhole / unreachable / prohibit
                flags, ref = RTF_UP | RTF_REJECT | RTF_NONEXTHOP, 1
            else:
                flags, ref = RTF_UP | (RTF_GATEWAY if r.gw else 0), 1
            name = r.dev.name if r.dev is not None else "lo"
            out.append((r.dst, r.plen, r.gw or zero, r.metric & 0xFFFFFFFF, ref, flags, 0, name))
        if not has_default:
            out.append(null)
    return out


# =============================================================================================
# the tools' tables: hardware types and address families (lib/hw.c, lib/af.c)
# =============================================================================================

class HwType:
    __slots__ = ("name", "title", "type", "alen", "printer", "parser", "suppress_null")

    def __init__(self, name, title, type_, alen, printer=None, parser=None, suppress=False):
        self.name, self.title, self.type, self.alen = name, title, type_, alen
        self.printer, self.parser, self.suppress_null = printer, parser, suppress


def _pr_colon(n: int):
    return lambda a: ":".join(f"{b:02x}" for b in (a + bytes(n))[:n])


def _pr_unspec(a: bytes) -> str:
    return "-".join(f"{b:02X}" for b in (a + bytes(16))[:16])


def _pr_ax25(a: bytes) -> str:
    a = a + bytes(7)
    call = "".join(chr((b >> 1) & 0x7F) for b in a[:6]).rstrip(" ")
    ssid = (a[6] >> 1) & 0x0F
    return f"{call}-{ssid}" if ssid else call


def _hex_val(c: int) -> int | None:
    if 0x30 <= c <= 0x39:
        return c - 0x30
    if 0x61 <= c <= 0x66:
        return c - 0x61 + 10
    if 0x41 <= c <= 0x46:
        return c - 0x41 + 10
    return None


def _in_ether_like(n: int, lenient: bool):
    """in_ether() / in_eui64() (lenient: a lone digit before ':' or the end is one byte) and
    in_fddi() / in_hippi() / in_arcnet() (two digits a byte). Missing bytes read as 0 [EMU]."""
    def parse(text: str) -> bytes | None:
        b = c_bytes(text)
        out, i = bytearray(), 0
        while i < len(b) and len(out) < n:
            hi = _hex_val(b[i])
            if hi is None:
                return None
            i += 1
            c = b[i] if i < len(b) else 0
            lo = _hex_val(c) if c else None
            if lo is not None:
                val = hi << 4 | lo
                i += 1
            elif lenient and c in (0x3A, 0):
                val = hi
            else:
                return None
            out.append(val)
            if i < len(b) and b[i] == 0x3A:
                i += 1
        return bytes(out)
    return parse


def _in_ax25(text: str) -> bytes | None:
    """AX25_input(): a callsign of up to 6 letters/digits, an optional -SSID."""
    b = c_bytes(text)
    out, i = bytearray(), 0
    while i < len(b) and b[i] != 0x2D and len(out) < 6:
        c = b[i]
        if 0x61 <= c <= 0x7A:
            c -= 32
        if not (0x41 <= c <= 0x5A or 0x30 <= c <= 0x39):
            return None
        out.append((c << 1) & 0xFE)
        i += 1
    if len(out) == 6 and i < len(b) and b[i] != 0x2D:
        return None
    while len(out) < 6:
        out.append((0x20 << 1) & 0xFE)
    out.append(((atoi(c_decode(b[i + 1:])) << 1) & 0xFE) if i < len(b) and b[i] == 0x2D
               else 0)
    return bytes(out)


def _ax25_error(text: str) -> str:
    b = c_bytes(text)
    i = n = 0
    while i < len(b) and b[i] != 0x2D and n < 6:
        c = b[i] - 32 if 0x61 <= b[i] <= 0x7A else b[i]
        if not (0x41 <= c <= 0x5A or 0x30 <= c <= 0x39):
            return "Invalid callsign"
        i += 1
        n += 1
    return "Callsign too long"


def _in_rose(text: str) -> bytes | None:
    return b"\0" * 5 if len(c_bytes(text)) == 10 else None


def _in_x25(text: str) -> tuple[int, str]:
    """X25_input(): (sigdigits, "") or (-1, message)."""
    b = c_bytes(text)
    if len(b) > 18:
        return -1, "Address can't exceed eighteen digits with sigdigits"
    if b"/" in b:
        addr, _, rest = b.partition(b"/")
        sig = atoi(c_decode(rest))
    else:
        addr, sig = b, len(b)
    if not 1 <= len(addr) <= 15 or sig > len(addr):
        return -1, "Invalid address"
    return sig, ""


def _in_ash(text: str) -> bytes | None:
    """in_ash(): hex hops separated by ':' (its "Malformed Ash address" has no newline)."""
    cur: str | None = text
    n = 0
    while cur is not None and n < 64:
        _v, end = c_strtol(cur, 16)
        n += 1
        rest = cur[end:]
        if rest[:1] == ":":
            cur = rest[1:]
        elif not rest:
            cur = None
        else:
            return None
    return b"\xc9" * 64


def _in_tunnel(text: str) -> bytes | None:
    return None


HWTYPES = [
    HwType("loop", "Local Loopback", ARPHRD_LOOPBACK, 0),
    HwType("slip", "Serial Line IP", 256, 0),
    HwType("cslip", "VJ Serial Line IP", 257, 0),
    HwType("slip6", "6-bit Serial Line IP", 258, 0),
    HwType("cslip6", "VJ 6-bit Serial Line IP", 259, 0),
    HwType("adaptive", "Adaptive Serial Line IP", 264, 0),
    HwType("ash", "Ash", 781, 64, lambda a: "[NONE SET]", _in_ash, True),
    HwType("ether", "Ethernet", ARPHRD_ETHER, 6, _pr_colon(6), _in_ether_like(6, True)),
    HwType("ax25", "AMPR AX.25", 3, 7, _pr_ax25, _in_ax25),
    HwType("netrom", "AMPR NET/ROM", 0, 7, _pr_ax25, _in_ax25),
    HwType("rose", "AMPR ROSE", 270, 10, lambda a: "".join(f"{b:02x}" for b in a[:5]),
           _in_rose),
    HwType("tunnel", "IPIP Tunnel", 768, 0, lambda a: "", _in_tunnel),
    HwType("ppp", "Point-to-Point Protocol", 512, 0),
    HwType("hdlc", "(Cisco)-HDLC", 513, 0),
    HwType("lapb", "LAPB", 516, 0),
    HwType("arcnet", "ARCnet", 7, 1, lambda a: f"{(a + bytes(1))[0]:02X}",
           _in_ether_like(1, False)),
    HwType("dlci", "Frame Relay DLCI", 15, 3, lambda a: str(int.from_bytes(a[:2], "little"))),
    HwType("frad", "Frame Relay Access Device", 770, 0),
    HwType("sit", "IPv6-in-IPv4", ARPHRD_SIT, 0),
    HwType("fddi", "Fiber Distributed Data Interface", 774, 6, _pr_colon(6),
           _in_ether_like(6, False)),
    HwType("hippi", "HIPPI", 780, 6, _pr_colon(6), _in_ether_like(6, False)),
    HwType("irda", "IrLAP", 783, 2, lambda a: ":".join(f"{b:02x}" for b in a[:4])),
    HwType("ec", "Econet", 782, 0),
    HwType("x25", "generic X.25", 271, 16, lambda a: c_decode(a.split(b"\0")[0])),
    HwType("eui64", "Generic EUI-64", 27, 8, _pr_colon(8), _in_ether_like(8, True)),
]
HW_UNSPEC = HwType("unspec", "UNSPEC", -1, 0, _pr_unspec)


def get_hwtype(name: str) -> HwType | None:
    return next((h for h in HWTYPES + [HW_UNSPEC] if h.name == name), None)


def get_hwntype(t: int) -> HwType:
    return next((h for h in HWTYPES if h.type == t), HW_UNSPEC)


# lib/af.c: (name, title, AF_* number, has route printer) in aftypes[] order
AFTYPES = [("unix", "UNIX Domain", 1, False), ("inet", "DARPA Internet", 2, True),
           ("inet6", "IPv6", 10, True), ("ax25", "AMPR AX.25", 3, True),
           ("netrom", "AMPR NET/ROM", 6, True), ("rose", "AMPR ROSE", 11, True),
           ("ipx", "Novell IPX", 4, True), ("ddp", "Appletalk DDP", 5, True),
           ("ec", "Econet", 19, False), ("ash", "Ash", 18, False), ("x25", "CCITT X.25", 9, True)]
_AF_NUM = {n: num for n, _t, num, _r in AFTYPES}
_AF_NUM["unspec"] = 0


def get_aftype(ctx, name: str) -> str | None:
    """get_aftype(): the family name, or None (with a note for a comma-separated list)."""
    if name in _AF_NUM:
        return name
    if "," in name:
        ctx.eprint("Please don't supply more than one address family.")
    return None


def _af_socket(af: str) -> str | None:
    """The fd of an address family's socket: only unix, inet and inet6 exist here."""
    return af if af in SOCKET_AFS else None


def _list3(items: list[str]) -> str:
    """print_hwlist() / print_aflist(): three per line."""
    out = ""
    for i, txt in enumerate(items):
        if i % 3 == 0:
            out += "\n    " if i else "    "
        out += txt + " "
    return out + "\n"


HWLIST = _list3([f"{h.name} ({h.title})" for h in HWTYPES])
AFLIST = _list3([f"{n} ({t})" for n, t, _num, _r in AFTYPES])
AFLIST_ROUTE = _list3([f"{n} ({t})" for n, t, _num, r in AFTYPES if r])


class Segfault(Exception):
    """The real tool calls a NULL function pointer here."""


def _segfault(ctx) -> None:
    ctx.eprint("Segmentation fault")
    raise Exit(139)


# =============================================================================================
# ifconfig
# =============================================================================================

IFCONFIG_USAGE = """Usage:
  ifconfig [-a] [-v] [-s] <interface> [[<AF>] <address>]
  [add <address>[/<prefixlen>]]
  [del <address>[/<prefixlen>]]
  [[-]broadcast [<address>]]  [[-]pointopoint [<address>]]
  [netmask <address>]  [dstaddr <address>]  [tunnel <address>]
  [outfill <NN>] [keepalive <NN>]
  [hw <HW> <address>]  [mtu <NN>]
  [[-]trailers]  [[-]arp]  [[-]allmulti]
  [multicast]  [[-]promisc]
  [mem_start <NN>]  [io_addr <NN>]  [irq <NN>]  [media <type>]
  [txqueuelen <NN>]
  [name <newname>]
  [[-]dynamic]
  [up|down] ...

  <HW>=Hardware Type.
  List of possible hardware types:
"""
IFCONFIG_USAGE2 = """  <AF>=Address family. Default: inet
  List of possible address families:
"""
IF_PORT_TEXT = (("unknown",), ("10base2", "bnc", "coax"), ("10baseT", "utp", "tpe"),
                ("AUI", "thick", "db15"), ("100baseT",), ("100baseTX",), ("100baseFX",))
E_USAGE, E_OPTERR = 0, 3


class Interface:
    """struct interface (interface.h)."""

    __slots__ = ("name", "type", "flags", "mtu", "tx_queue_len", "map", "hwaddr", "has_ip",
                 "addr", "dstaddr", "broadaddr", "netmask", "stats")

    def __init__(self, name: str):
        self.name = name
        self.type = 0
        self.flags = 0
        self.mtu = 0
        self.tx_queue_len = -1
        self.map = {"mem_start": 0, "mem_end": 0, "base_addr": 0, "irq": 0, "dma": 0,
                    "port": 0}
        self.hwaddr = bytes(32)
        self.has_ip = False
        self.addr = self.dstaddr = self.broadaddr = self.netmask = (0, 0)
        self.stats: dict | None = None


def _cutalias(name: bytes) -> tuple[bytes, bytes | None]:
    """cutalias(): split a trailing ':digits' alias off."""
    digit = False
    for pos in range(len(name), 0, -1):
        ch = name[pos - 1]
        if ch == 0x3A and digit:
            return name[:pos - 1], name[pos:]
        if not 0x30 <= ch <= 0x39:
            break
        digit = True
    return name, None


def _rindex_nondigit(name: bytes) -> int:
    for pos in range(len(name), 0, -1):
        if not 0x30 <= name[pos - 1] <= 0x39:
            return pos
    return 0


def _cmp(x: bytes, y: bytes) -> int:
    return (x > y) - (x < y)


def _batoi(b: bytes) -> int:
    return atoi(c_decode(b))


def nstrcmp(ap: str, bp: str) -> int:
    """lib/nstrcmp.c: strcmp() that orders eth2 before eth10 and knows ':N' aliases."""
    a, aalias = _cutalias(c_bytes(ap))
    b, balias = _cutalias(c_bytes(bp))
    ai, bi = _rindex_nondigit(a), _rindex_nondigit(b)
    n = min(ai, bi)
    res = _cmp(a[:n], b[:n])
    if res:
        return res
    if ai != bi:
        return 1 if ai > bi else -1
    av, bv = _batoi(a[ai:]), _batoi(b[bi:])
    if av != bv:
        return -1 if av < bv else 1
    res = _cmp(a, b)
    if res:
        return res
    av = _batoi(aalias) if aalias is not None else -1
    bv = _batoi(balias) if balias is not None else -1
    if av != bv:
        return -1 if av < bv else 1
    if aalias is not None and balias is not None:
        return _cmp(aalias, balias)
    return 0


class IfCache:
    """The sorted interface list of lib/interface.c (if_cache_add())."""

    def __init__(self):
        self.items: list[Interface] = []
        self.all = False

    def add(self, name: str) -> Interface:
        i = len(self.items)
        while i > 0:
            n = nstrcmp(self.items[i - 1].name, name)
            if n == 0:
                return self.items[i - 1]
            if n < 0:
                break
            i -= 1
        ife = Interface(name)
        self.items.insert(i, ife)
        return ife


class Ifconfig:
    """ifconfig.c main() and the lib/interface.c helpers, on one netns."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.ns = ctx.ns
        self.res = Resolver()
        self.opt_a = False
        self.opt_v = False
        self.short = False
        self.skfd: str | None = "inet6"      # sockets_open(0): the last socket it opened
        self.cache = IfCache()

    # -- ioctl plumbing ---------------------------------------------------------------------
    def ioctl(self, af: str | None, cmd: str, ifr: Ifreq, **kw) -> int:
        """0, or the errno of a failed ioctl."""
        try:
            k_ioctl(self.ns, af, cmd, ifr, **kw)
        except KernelError as e:
            return e.errno
        return 0

    def perror(self, what: str, err: int) -> None:
        self.ctx.eprint(f"{what}: {strerror(err)}")

    # -- usage ------------------------------------------------------------------------------
    def usage(self, rc: int) -> None:
        ctx = self.ctx
        put = ctx.eprint if rc else ctx.print
        put(IFCONFIG_USAGE, end="")
        ctx.eprint(HWLIST, end="")
        put(IFCONFIG_USAGE2, end="")
        ctx.eprint(AFLIST, end="")
        raise Exit(rc)

    # -- flags ------------------------------------------------------------------------------
    def _get_flags(self, fd, ifname: str, what: str) -> int | None:
        ifr = Ifreq(ifname)
        err = self.ioctl(fd, "SIOCGIFFLAGS", ifr)
        if err:
            self.ctx.eprint(f"{ifname}: ERROR while {what} interface flags: {strerror(err)}")
            return None
        return ifr.flags

    def set_flag(self, ifname: str, flag: int) -> int:
        flags = self._get_flags(self.skfd, ifname, "getting")
        if flags is None:
            return -1
        ifr = Ifreq(ifname)
        ifr.flags = _short(flags | flag)
        err = self.ioctl(self.skfd, "SIOCSIFFLAGS", ifr)
        if err:
            self.perror("SIOCSIFFLAGS", err)
            return -1
        return 0

    def clr_flag(self, ifname: str, flag: int) -> int:
        fd = "inet" if ":" in ifname else self.skfd
        flags = self._get_flags(fd, ifname, "getting")
        if flags is None:
            return -1
        ifr = Ifreq(ifname)
        ifr.flags = _short(flags & ~flag)
        err = self.ioctl(fd, "SIOCSIFFLAGS", ifr)
        if err:
            self.perror("SIOCSIFFLAGS", err)
            return -1
        return 0

    def test_flag(self, ifname: str, flag: int) -> int:
        fd = "inet" if ":" in ifname else self.skfd
        flags = self._get_flags(fd, ifname, "testing")
        if flags is None:
            return -1
        return flags & flag

    # -- reading interfaces (lib/interface.c) ------------------------------------------------
    def readlist_proc(self, target: str | None) -> None:
        for name, stats in k_proc_net_dev(self.ns):
            ife = self.cache.add(name)
            ife.stats = stats
            if target is not None and target == name:
                break

    def readlist(self) -> None:
        self.readlist_proc(None)
        for label, _local in k_siocgifconf(self.ns):
            self.cache.add(label)
        self.cache.all = True

    def lookup_interface(self, name: str) -> Interface:
        if not self.cache.all:
            self.readlist_proc(name)
        return self.cache.add(name)

    def if_fetch(self, ife: Interface) -> int:
        """if_fetch(): 0, or the errno of the SIOCGIFFLAGS that failed."""
        name, fd = ife.name, self.skfd
        ifr = Ifreq(name)
        err = self.ioctl(fd, "SIOCGIFFLAGS", ifr)
        if err:
            return err
        ife.flags = ifr.flags
        ifr = Ifreq(name)
        if self.ioctl(fd, "SIOCGIFHWADDR", ifr):
            ife.hwaddr = bytes(32)
        else:
            ife.hwaddr = (ifr.hw_data[:8] + bytes(32))[:32]
        ife.type = _short(ifr.hw_family)
        ifr = Ifreq(name)
        ife.mtu = 0 if self.ioctl(fd, "SIOCGIFMTU", ifr) else ifr.mtu
        ifr = Ifreq(name)
        if not self.ioctl(fd, "SIOCGIFMAP", ifr):
            ife.map = dict(ifr.map)
        ifr = Ifreq(name)
        ife.tx_queue_len = -1 if self.ioctl(fd, "SIOCGIFTXQLEN", ifr) else ifr.qlen
        # IPv4 address: each SIOCGIF* call sees the previous call's answer in ifr_addr
        ifr = Ifreq(name)
        ifr.addr = (AF_INET, 0)
        if self.ioctl("inet", "SIOCGIFADDR", ifr) == 0:
            ife.has_ip = True
            ife.addr = ifr.addr
            ife.dstaddr = (0, 0) if self.ioctl("inet", "SIOCGIFDSTADDR", ifr) else ifr.addr
            ife.broadaddr = (0, 0) if self.ioctl("inet", "SIOCGIFBRDADDR", ifr) else ifr.addr
            ife.netmask = (0, 0) if self.ioctl("inet", "SIOCGIFNETMASK", ifr) else ifr.addr
        else:
            ife.addr = (0, 0)
        return 0

    def do_if_fetch(self, ife: Interface) -> int:
        err = self.if_fetch(ife)
        if err:
            msg = "Device not found" if err == _E.ENODEV else strerror(err)
            self.ctx.eprint(f"{ife.name}: error fetching interface information: {msg}")
            return -1
        return 0

    # -- printing -----------------------------------------------------------------------------
    def ife_print(self, ife: Interface) -> None:
        (self.print_short if self.short else self.print_long)(ife)

    def print_short(self, p: Interface) -> None:
        line = f"{p.name[:15]:<15} {p.mtu:5d} "
        s = p.stats
        if s is not None:
            line += (f"{s['rx_packets']:8d} {s['rx_errors']:6d} {s['rx_dropped']:6d} "
                     f"{s['rx_fifo_errors']:<6d} ")
            line += (f"{s['tx_packets']:8d} {s['tx_errors']:6d} {s['tx_dropped']:6d} "
                     f"{s['tx_fifo_errors']:6d} ")
        else:
            line += f"{'     - no statistics available -':<56}"
        f = p.flags
        if f == 0:
            line += "[NO FLAGS]"
        for bit, ch in ((IFF_ALLMULTI, "A"), (IFF_BROADCAST, "B"), (IFF_DEBUG, "D"),
                        (IFF_LOOPBACK, "L"), (IFF_MULTICAST, "M"), (IFF_DYNAMIC, "d"),
                        (IFF_PROMISC, "P"), (IFF_NOTRAILERS, "N"), (IFF_NOARP, "O"),
                        (IFF_POINTOPOINT, "P"), (IFF_SLAVE, "s"), (IFF_MASTER, "m"),
                        (IFF_RUNNING, "R"), (IFF_UP, "U")):
            if f & bit:
                line += ch
        self.ctx.print(line)

    def print_long(self, p: Interface) -> None:
        out = []
        f = p.flags
        flags = f"flags={f}<"
        if f == 0:
            flags += ">"
        for bit, word in ((IFF_UP, "UP"), (IFF_BROADCAST, "BROADCAST"), (IFF_DEBUG, "DEBUG"),
                          (IFF_LOOPBACK, "LOOPBACK"), (IFF_POINTOPOINT, "POINTOPOINT"),
                          (IFF_NOTRAILERS, "NOTRAILERS"), (IFF_RUNNING, "RUNNING"),
                          (IFF_NOARP, "NOARP"), (IFF_PROMISC, "PROMISC"),
                          (IFF_ALLMULTI, "ALLMULTI"), (IFF_SLAVE, "SLAVE"),
                          (IFF_MASTER, "MASTER"), (IFF_MULTICAST, "MULTICAST"),
                          (IFF_DYNAMIC, "DYNAMIC")):
            if f & bit:
                flags += word + ","
        flags = flags[:-1] + ">" if flags.endswith(",") else flags[:-1]
        out.append(f"{p.name}: {flags}  mtu {p.mtu}\n")
        if p.has_ip:
            line = f"        inet {self.sprint(p.addr)}  netmask {self.sprint(p.netmask)}"
            if f & IFF_BROADCAST:
                line += f"  broadcast {self.sprint(p.broadaddr)}"
            if f & IFF_POINTOPOINT:
                line += f"  destination {self.sprint(p.dstaddr)}"
            out.append(line + "\n")
        # ife_print_long(): the /proc/net/if_inet6 lines of this interface (INET6_sprint)
        for a, _ix, plen, scope, _fl, name in k_proc_if_inet6(self.ns):
            if name == p.name:
                sname = {0: "global", 0x10: "host", 0x20: "link", 0x40: "site",
                         0x80: "compat"}.get(scope, "unknown")
                out.append(f"        inet6 {_ip6_ntoa(a)}  prefixlen {plen}  "
                           f"scopeid 0x{scope:x}<{sname}>\n")
        hw = get_hwntype(p.type)
        null = not any(p.hwaddr[:hw.alen])
        if hw.printer is not None and not (null and hw.suppress_null):
            line = f"        {hw.name} {hw.printer(p.hwaddr)}"
        else:
            line = f"        {hw.name}"
        if p.tx_queue_len != -1:
            line += f"  txqueuelen {p.tx_queue_len}"
        out.append(f"{line}  ({hw.title})\n")
        if f & IFF_PORTSEL:
            port = p.map.get("port", 0)
            text = IF_PORT_TEXT[port][0] if 0 <= port < len(IF_PORT_TEXT) else "unknown"
            out.append(f"        media {text}" + ("autoselect" if f & IFF_AUTOMEDIA else "")
                       + "\n")
        s = p.stats
        if s is not None:
            rx, tx = s["rx_bytes"], s["tx_bytes"]
            out.append(f"        RX packets {s['rx_packets']}  bytes {rx} ({_human(rx)})\n")
            out.append(f"        RX errors {s['rx_errors']}  dropped {s['rx_dropped']}  "
                       f"overruns {s['rx_fifo_errors']}  frame {s['rx_frame_errors']}\n")
            out.append(f"        TX packets {s['tx_packets']}  bytes {tx} ({_human(tx)})\n")
            out.append(f"        TX errors {s['tx_errors']}  dropped {s['tx_dropped']} "
                       f"overruns {s['tx_fifo_errors']}  carrier {s['tx_carrier_errors']}  "
                       f"collisions {s['collisions']}\n")
        out.append("\n")
        self.ctx.print("".join(out), end="")

    @staticmethod
    def sprint(sa: tuple[int, int]) -> str:
        """INET_sprint(sa, numeric): "[NONE SET]" for a family-less sockaddr."""
        fam, v = sa
        if fam in (0, 0xFFFF):
            return "[NONE SET]"
        return ntoa(v)

    # -- listing ------------------------------------------------------------------------------
    def if_print(self, ifname: str | None) -> int:
        if self.short:
            self.ctx.print("Iface      MTU    RX-OK RX-ERR RX-DRP RX-OVR    TX-OK TX-ERR "
                           "TX-DRP TX-OVR Flg")
        if ifname is None:
            if not self.cache.all:
                self.readlist()
            for ife in list(self.cache.items):
                res = self.do_if_fetch(ife)
                if res < 0:
                    return res
                if ife.flags & IFF_UP or self.opt_a:
                    self.ife_print(ife)
            return 0
        ife = self.lookup_interface(ifname)
        res = self.do_if_fetch(ife)
        if res >= 0:
            self.ife_print(ife)
        return res

    # -- address input ----------------------------------------------------------------------
    def af_input(self, af: str, host: str, what: str | None = None) -> tuple[int, object]:
        """ap->input(0, host, &sa): (rc, value). Prints nothing; errors come from af_herror()."""
        if af == "inet":
            return self.inet_resolve(host, False)
        if af == "inet6":
            a, code = self.res.getaddrinfo6(host)
            if a is None:
                self.ctx.eprint(f"getaddrinfo: {host}: {code}")
                return -1, None
            return 0, a
        if af in ("ax25", "netrom"):
            v = _in_ax25(host)
            self._afmsg = None if v is not None else _ax25_error(host)
            return (0, v) if v is not None else (-1, None)
        if af == "rose":
            v = _in_rose(host)
            self._afmsg = "Node address must be ten digits"
            return (0, v) if v is not None else (-1, None)
        if af == "x25":
            sig, msg = _in_x25(host)
            self._afmsg = msg
            return (sig, host) if sig >= 0 else (-1, None)
        if af == "ipx":
            v, end = c_strtoul(host, 16)
            if v in (0, 0xFFFFFFFF) or host[end:end + 1] != ":":
                return -1, None
            node = c_bytes(host[end + 1:])
            if len(node) < 12 or any(_hex_val(c) is None for c in node[:12]):
                return -1, None
            return 0, v
        if af == "ec":
            t = host.strip()
            head = t.split(".", 1)[0]
            v, end = c_strtol(head, 10)
            if end == 0:
                return -1, None
            return 0, v
        raise Segfault                      # ddp, ash, unix, unspec: no input function

    def af_has_input(self, af: str) -> bool:
        return af in ("inet", "inet6", "ax25", "netrom", "rose", "x25", "ipx", "ec")

    def af_herror(self, af: str, host: str | None) -> bool:
        """ap->herror(host) when the family has one (False: it has none)."""
        if af in ("inet", "inet6"):
            self.res.herror(self.ctx, host)
            return True
        if af in ("ax25", "netrom", "rose", "x25"):
            msg = getattr(self, "_afmsg", None) or ""
            self.ctx.eprint(f"{host}: {msg}" if host is not None else msg)
            return True
        return False

    def inet_resolve(self, name: str, hostfirst: bool) -> tuple[int, int]:
        """INET_resolve(): 1 for a network (or "default"), 0 for a host, -1 on failure."""
        if name == "default":
            return 1, 0
        v = inet_aton(name)
        if v is not None:
            return 0, v
        if hostfirst:
            v = self.res.gethostbyname(name)
            if v is not None:
                return 0, v
        v = self.res.getnetbyname(name)
        if v is not None:
            return 1, v
        if hostfirst:
            return -1, 0
        v = self.res.gethostbyname(name)
        if v is None:
            return -1, 0
        return 0, v

    # -- main ---------------------------------------------------------------------------------
    def main(self, argv: list[str]) -> int:
        ctx = self.ctx
        argv = [c_str(a) for a in argv]
        while argv and argv[0][:1] == "-":
            a = argv[0]
            if a == "-a":
                self.opt_a = True
            elif a == "-s":
                self.short = True
            elif a == "-v":
                self.opt_v = True
            elif a in ("-V", "-version", "--version"):
                ctx.print("net-tools 2.10")
                return 0
            elif a in ("-?", "-h", "-help", "--help"):
                self.usage(E_USAGE)
            else:
                ctx.eprint(f"ifconfig: option `{a}' not recognised.")
                ctx.eprint("ifconfig: `--help' gives usage information.")
                return 1
            argv = argv[1:]
        if not argv:
            return 1 if self.if_print(None) < 0 else 0
        ifname = safe_strncpy(argv[0], IFNAMSIZ)
        spp = argv[1:] + [None]
        if spp[0] is None:
            return 1 if self.if_print(ifname) < 0 else 0
        ap = get_aftype(ctx, spp[0])
        if ap is not None:
            spp = spp[1:]
        else:
            ap = "inet"
        self.skfd = _af_socket(ap) if ap != "unspec" else None
        self.ap = ap
        return self._args(ifname, spp)

    def _args(self, ifname: str, spp: list) -> int:
        ctx = self.ctx
        ap = self.ap
        apfd = _af_socket(ap)
        goterr = 0
        didnetmask = 0
        neednetmask = None
        i = 0

        def at(k):
            return spp[k] if k < len(spp) else None

        while at(i) is not None:
            w = spp[i]
            if w in ("arp", "-arp", "trailers", "-trailers", "promisc", "multicast",
                     "allmulti", "up", "down", "dynamic"):
                fn, flag = {"arp": (self.clr_flag, IFF_NOARP), "-arp": (self.set_flag, IFF_NOARP),
                            "trailers": (self.clr_flag, IFF_NOTRAILERS),
                            "-trailers": (self.set_flag, IFF_NOTRAILERS),
                            "promisc": (self.set_flag, IFF_PROMISC),
                            "multicast": (self.set_flag, IFF_MULTICAST),
                            "allmulti": (self.set_flag, IFF_ALLMULTI),
                            "up": (self.set_flag, IFF_UP | IFF_RUNNING),
                            "down": (self.clr_flag, IFF_UP),
                            "dynamic": (self.set_flag, IFF_DYNAMIC)}[w]
                goterr |= fn(ifname, flag)
                i += 1
                continue
            if w in ("-promisc", "-multicast", "-allmulti", "-dynamic", "-broadcast"):
                flag, word = {"-promisc": (IFF_PROMISC, None),
                              "-multicast": (IFF_MULTICAST, "MULTICAST"),
                              "-allmulti": (IFF_ALLMULTI, "ALLMULTI"),
                              "-dynamic": (IFF_DYNAMIC, "DYNAMIC"),
                              "-broadcast": (IFF_BROADCAST, "BROADCAST")}[w]
                goterr |= self.clr_flag(ifname, flag)
                if self.test_flag(ifname, flag) > 0:
                    if word is None:
                        ctx.eprint(f"Warning: Interface {ifname} still in promisc mode... "
                                   "maybe other application is running?")
                    else:
                        ctx.eprint(f"Warning: Interface {ifname} still in {word} mode.")
                i += 1
                continue
            if w in ("media", "port"):
                i += 1
                if at(i) is None:
                    self.usage(E_OPTERR)
                arg = spp[i]
                if arg.lower() == "auto":
                    # the real tool does not step past "auto": it is read again next round
                    goterr |= self.set_flag(ifname, IFF_AUTOMEDIA)
                    continue
                v, end = c_strtol(arg, 10)
                newport = _int32(v)
                if end != len(arg):
                    newport = -1
                    for k, names in enumerate(IF_PORT_TEXT):
                        if any(arg.lower() == n.lower() for n in names):
                            newport = k
                            break
                i += 1
                if newport == -1:
                    ctx.eprint("Unknown media type.")
                    goterr = 1
                else:
                    ifr = Ifreq(ifname)
                    err = self.ioctl(self.skfd, "SIOCGIFMAP", ifr)
                    if err:
                        self.perror("port: SIOCGIFMAP", err)
                        goterr = 1
                        continue
                    err = self.ioctl(self.skfd, "SIOCSIFMAP", ifr)
                    if err:
                        self.perror("port: SIOCSIFMAP", err)
                        goterr = 1
                continue
            if w in ("mtu", "keepalive", "outfill", "txqueuelen", "name"):
                i += 1
                if at(i) is None:
                    self.usage(E_OPTERR)
                arg = spp[i]
                ifr = Ifreq(ifname)
                if w == "mtu":
                    ifr.mtu = atoi(arg)
                    cmd, label = "SIOCSIFMTU", "SIOCSIFMTU"
                elif w == "txqueuelen":
                    ifr.qlen = _int32(c_strtoul(arg, 0)[0])
                    cmd, label = "SIOCSIFTXQLEN", "SIOCSIFTXQLEN"
                elif w == "name":
                    ifr.newname = safe_strncpy(arg, IFNAMSIZ)
                    cmd, label = "SIOCSIFNAME", "SIOCSIFNAME"
                else:
                    cmd, label = "SIOCDEVPRIVATE", ("SIOCSKEEPALIVE" if w == "keepalive"
                                                    else "SIOCSOUTFILL")
                err = self.ioctl(self.skfd, cmd, ifr)
                if err:
                    self.perror(label, err)
                    goterr = 1
                i += 1
                continue
            if w in ("mem_start", "io_addr", "irq"):
                i += 1
                if at(i) is None:
                    self.usage(E_OPTERR)
                ifr = Ifreq(ifname)
                err = self.ioctl(self.skfd, "SIOCGIFMAP", ifr)
                if err:
                    self.perror(f"{w}: SIOCGIFMAP", err)
                    i += 1
                    goterr = 1
                    continue
                err = self.ioctl(self.skfd, "SIOCSIFMAP", ifr)
                if err:
                    self.perror(f"{w}: SIOCSIFMAP", err)
                    goterr = 1
                i += 1
                continue
            if w == "broadcast":
                i += 1
                if at(i) is not None:
                    host = safe_strncpy(spp[i], 128)
                    rc, val = self._input_or_fail(ap, host, "broadcast")
                    if rc < 0:
                        goterr = 1
                        i += 1
                        continue
                    ifr = Ifreq(ifname)
                    ifr.addr = (_AF_NUM[ap], val if isinstance(val, int) else 0)
                    err = self.ioctl(apfd, "SIOCSIFBRDADDR", ifr)
                    if err:
                        self.perror("SIOCSIFBRDADDR", err)
                        goterr = 1
                    i += 1
                goterr |= self.set_flag(ifname, IFF_BROADCAST)
                continue
            if w in ("dstaddr", "netmask"):
                i += 1
                if at(i) is None or (w == "netmask" and didnetmask):
                    self.usage(E_OPTERR)
                host = safe_strncpy(spp[i], 128)
                rc, val = self._input_or_fail(ap, host, w)
                if rc < 0:
                    goterr = 1
                    i += 1
                    continue
                ifr = Ifreq(ifname)
                ifr.addr = (_AF_NUM[ap], val if isinstance(val, int) else 0)
                if w == "netmask":
                    didnetmask += 1
                    err = self.ioctl(apfd, "SIOCSIFNETMASK", ifr)
                    if err:
                        ctx.eprint(f"SIOCSIFNETMASK: {strerror(err)}")
                        goterr = 1
                else:
                    err = self.ioctl(apfd, "SIOCSIFDSTADDR", ifr)
                    if err:
                        self.perror("SIOCSIFDSTADDR", err)
                        goterr = 1
                i += 1
                continue
            if w in ("-pointopoint", "-pointtopoint"):
                goterr |= self.clr_flag(ifname, IFF_POINTOPOINT)
                i += 1
                if self.test_flag(ifname, IFF_POINTOPOINT) > 0:
                    ctx.eprint(f"Warning: Interface {ifname} still in POINTOPOINT mode.")
                continue
            if w in ("pointopoint", "pointtopoint"):
                if at(i + 1) is not None:
                    i += 1
                    host = safe_strncpy(spp[i], 128)
                    if not self.af_has_input(ap):
                        raise Segfault
                    rc, val = self.af_input(ap, host)
                    if rc:
                        if not self.af_herror(ap, host):
                            ctx.eprint(f"ifconfig: Error resolving '{host}' for pointopoint")
                        goterr = 1
                        i += 1
                        continue
                    ifr = Ifreq(ifname)
                    ifr.addr = (_AF_NUM[ap], val if isinstance(val, int) else 0)
                    err = self.ioctl(apfd, "SIOCSIFDSTADDR", ifr)
                    if err:
                        self.perror("SIOCSIFDSTADDR", err)
                        goterr = 1
                goterr |= self.set_flag(ifname, IFF_POINTOPOINT)
                i += 1
                continue
            if w == "hw":
                i += 1
                if at(i) is None:
                    self.usage(E_OPTERR)
                hw = get_hwtype(spp[i])
                if hw is None:
                    self.usage(E_OPTERR)
                if hw.parser is None:
                    ctx.eprint(f"hw address type `{spp[i]}' has no handler to set address. "
                               "failed.")
                    i += 2          # [EMU] past argv the real tool reads the environment
                    goterr = 1
                    continue
                i += 1
                if at(i) is None:
                    self.usage(E_OPTERR)
                host = safe_strncpy(spp[i], 128)
                data = hw.parser(host)
                if data is None:
                    if hw.name == "ash":
                        ctx.eprint("Malformed Ash address", end="")
                    ctx.eprint(f"{host}: invalid {hw.name} address.")
                    goterr = 1
                    i += 1
                    continue
                ifr = Ifreq(ifname)
                ifr.hw_family = hw.type & 0xFFFF
                ifr.hw_data = bytes(data)
                err = self.ioctl(self.skfd, "SIOCSIFHWADDR", ifr)
                if err:
                    if err == _E.EBUSY:
                        ctx.eprint(f"SIOCSIFHWADDR: {strerror(err)} - you may need to down "
                                   "the interface")
                    else:
                        ctx.eprint(f"SIOCSIFHWADDR: {strerror(err)}")
                    goterr = 1
                i += 1
                continue
            if w in ("add", "del", "tunnel"):
                i += 1
                if at(i) is None:
                    self.usage(E_OPTERR)
                goterr = self._add_del_tunnel(w, ifname, spp[i], goterr)
                i += 1
                continue
            # the catch-all: an address for the interface
            host = safe_strncpy(w, 128)
            if ap == "inet":
                m = self.inet_getmask(host)
                if m is not None:
                    rc, mask, host = m
                    if rc < 0:
                        self.usage(E_OPTERR)
                    if didnetmask:
                        self.usage(E_OPTERR)
                    neednetmask = mask
            if not self.af_has_input(ap):
                ctx.eprint("ifconfig: Cannot set address for this protocol family.")
                return 1
            rc, val = self.af_input(ap, host)
            if rc < 0:
                if not self.af_herror(ap, host):
                    ctx.eprint(f"ifconfig: error resolving '{host}' to set address for af={ap}")
                ctx.eprint("ifconfig: `--help' gives usage information.")
                return 1
            if ap == "inet":
                ifr = Ifreq(ifname)
                ifr.addr = (AF_INET, val)
                err = self.ioctl("inet", "SIOCSIFADDR", ifr)
                if err:
                    self.perror("SIOCSIFADDR", err)
                    goterr = 1
            elif ap == "ec":
                ctx.eprint("No support for ECONET on this system.")
                return 1
            else:
                ctx.eprint(f"Don't know how to set addresses for family {_AF_NUM[ap]}.")
                return 1
            bring_up = True
            if ":" in ifname:
                if ifname.endswith("-"):
                    bring_up = False
                elif ap == "inet" and val == 0:
                    bring_up = False
            if bring_up:
                goterr |= self.set_flag(ifname, IFF_UP | IFF_RUNNING)
            i += 1
        if neednetmask is not None:
            ifr = Ifreq(ifname)
            ifr.addr = (AF_INET, neednetmask)
            err = self.ioctl(self.skfd, "SIOCSIFNETMASK", ifr)
            if err:
                ctx.eprint(f"SIOCSIFNETMASK: {strerror(err)}")
                goterr |= 1
        if self.opt_v and goterr:
            ctx.eprint(f"WARNING: at least one error occured. ({goterr})")
        return goterr

    def _input_or_fail(self, ap: str, host: str, what: str) -> tuple[int, object]:
        """ap->input(0, host) for broadcast / dstaddr / netmask, with the error text."""
        if not self.af_has_input(ap):
            raise Segfault
        rc, val = self.af_input(ap, host)
        if rc < 0:
            if not self.af_herror(ap, host):
                self.ctx.eprint(f"ifconfig: Error resolving '{host}' for {what}")
            return -1, None
        return rc, val

    def inet_getmask(self, host: str) -> tuple[int, int, str] | None:
        """INET_getnetmask(): None without '/'; else (rc, mask, the host before the '/')."""
        if "/" not in host:
            return None
        head, _, tail = host.partition("/")
        v, end = c_strtoul(tail, 0)
        if end != len(tail):
            return -1, 0, head
        shift = v & 31                                  # the x86 shift of a 32-bit value
        return 1, (~(0xFFFFFFFF >> shift)) & 0xFFFFFFFF, head

    # -- add / del / tunnel ---------------------------------------------------------------------
    def _add_del_tunnel(self, what: str, ifname: str, arg: str, goterr: int) -> int:
        ctx = self.ctx
        if ":" in arg or what == "tunnel":
            head, slash, tail = arg.partition("/")
            prefix_len = 128
            if slash:
                prefix_len = atol(tail) & _ULONG_MAX
                if prefix_len > 128:
                    self.usage(E_OPTERR)
            host = safe_strncpy(head, 128)
            a = inet_pton6(host)
            if a is None:
                self.res.herror(ctx, host)
                return 1
            ifr = Ifreq(ifname)
            err = self.ioctl("inet6", "SIOCGIFINDEX", ifr)
            if err:
                self.perror("SIOGIFINDEX", err)
                return 1
            cmd = {"add": "SIOCSIFADDR", "del": "SIOCDIFADDR", "tunnel": "SIOCSIFDSTADDR"}[what]
            err = self.ioctl("inet6", cmd, ifr, plen=prefix_len, addr6=a)
            if err:
                self.perror(cmd, err)
                return 1
            return goterr
        host = safe_strncpy(arg, 128)
        rc, val = self.inet_resolve(host, False)
        if rc < 0:
            if not self.af_herror(self.ap, host):        # ap->herror(host) of the chosen AF
                raise Segfault
            return 1
        # get_nmbc_parent(), then set_ifstate()
        parent = self.lookup_interface(ifname)
        if self.do_if_fetch(parent) < 0:
            nm = bc = 0
        else:
            nm, bc = parent.netmask[1], parent.broadaddr[1]
        self._set_ifstate(ifname, val, nm, bc, what == "add")
        return goterr

    def _set_ifstate(self, parent: str, ip: int, nm: int, bc: int, up: bool) -> None:
        """set_ifstate(): switch the alias holding ``ip`` up or down, else make a new one."""
        searcher = set()
        if not self.cache.all:
            self.readlist()
        for x in list(self.cache.items):
            if self.do_if_fetch(x) < 0:
                continue
            if not x.name.startswith(parent) or ":" not in x.name:
                continue
            z = x.name.split(":", 1)[1]
            if "-" in z:
                continue
            n = atoi(z)
            if n < 0 or n > 255:
                self.ctx.eprint("Aborted")
                raise Exit(134)                  # abort()
            searcher.add(n)
            if x.dstaddr[1] != ip:
                continue
            if up:
                self.set_flag(x.name, IFF_UP | IFF_RUNNING)
            else:
                self.clr_flag(x.name, IFF_UP)
            return
        n = next((k for k in range(256) if k not in searcher), None)
        if n is None:
            return
        buf = f"{parent}:{n}"
        if len(c_bytes(buf)) > IFNAMSIZ:
            return
        buf = safe_strncpy(buf, IFNAMSIZ)                # snprintf(buf, IFNAMSIZ, ...)
        for cmd, v in (("SIOCSIFADDR", ip), ("SIOCSIFNETMASK", nm), ("SIOCSIFBRDADDR", bc)):
            ifr = Ifreq(buf)
            ifr.addr = (AF_INET, v)
            if self.ioctl(self.skfd, cmd, ifr):
                return
        self.set_flag(buf, IFF_BROADCAST)


def _human(n: int) -> str:
    """ife_print_long()'s "(12.3 KiB)"."""
    short = (n * 10) & 0xFFFFFFFFFFFFFFFF
    ext = "B"
    if n > 1152921504606846976:
        short, ext = n // 115292150460684697, "EiB"
    elif n > 1125899906842624:
        short, ext = short // 1125899906842624, "PiB"
    elif n > 1099511627776:
        short, ext = short // 1099511627776, "TiB"
    elif n > 1073741824:
        short, ext = short // 1073741824, "GiB"
    elif n > 1048576:
        short, ext = short // 1048576, "MiB"
    elif n > 1024:
        short, ext = short // 1024, "KiB"
    return f"{short // 10}.{short % 10} {ext}"


@command("ifconfig")
def ifconfig(ctx, argv: list[str]) -> int:
    settle(ctx)
    try:
        return Ifconfig(ctx).main(argv)
    except Segfault:
        _segfault(ctx)
    finally:
        settle(ctx)
    return 0


# =============================================================================================
# route
# =============================================================================================

ROUTE_USAGE = """Usage: route [-nNvee] [-FC] [<AF>]           List kernel routing tables
       route [-v] [-FC] {add|del|flush} ...  Modify routing table for AF.

       route {-h|--help} [<AF>]              Detailed usage syntax for specified AF.
       route {-V|--version}                  Display version/author and exit.

        -v, --verbose            be verbose
        -n, --numeric            don't resolve names
        -e, --extend             display other/more information
        -F, --fib                display Forwarding Information Base (default)
        -C, --cache              display routing cache instead of FIB

  <AF>=Use -4, -6, '-A <af>' or '--<af>'; default: inet
  List of possible address families (which support routing):
"""
ROUTE_VERSION = """net-tools 2.10
+NEW_ADDRT +RTF_IRTT +RTF_REJECT +I18N +SELINUX
AF: (inet) +UNIX +INET +INET6 +IPX +AX25 +NETROM +X25 +ATALK +ECONET +ROSE -BLUETOOTH
HW:  +ETHER +ARC +SLIP +PPP +TUNNEL -TR +AX25 +NETROM +X25 +FR +ROSE +ASH +SIT +FDDI +HIPPI +HDLC/LAPB +EUI64 
"""
INET_ROUTE_USAGE = """Usage: inet_route [-vF] del {-host|-net} Target[/prefix] [gw Gw] [metric M] [[dev] If]
       inet_route [-vF] add {-host|-net} Target[/prefix] [gw Gw] [metric M]
                              [netmask N] [mss Mss] [window W] [irtt I]
                              [mod] [dyn] [reinstate] [[dev] If]
       inet_route [-vF] add {-host|-net} Target[/prefix] [metric M] reject
       inet_route [-FC] flush      NOT supported
"""
INET6_ROUTE_USAGE = """Usage: inet6_route [-vF] del Target
       inet6_route [-vF] add Target [gw Gw] [metric M] [[dev] If]
       inet6_route [-FC] flush      NOT supported
"""
X25_ROUTE_USAGE = """Usage: x25_route [-v] del Target[/mask] [dev] If
       x25_route [-v] add Target[/mask] [dev] If
"""
FLAG_EXT, FLAG_NUM_HOST, FLAG_NUM, FLAG_SYM = 3, 4, 28, 32
FLAG_CACHE, FLAG_FIB, FLAG_VERBOSE = 64, 128, 256
E_NOTFOUND, E_SOCK, E_LOOKUP, E_INTERN = 8, 7, 6, 2
RTACTION_ADD, RTACTION_DEL, RTACTION_HELP, RTACTION_FLUSH, RTACTION_SHOW = 1, 2, 3, 4, 5

# lib/af.c aftrans[]: alias -> family name
AFTRANS = {"ax25": "ax25", "ip": "inet", "ip6": "inet6", "ipx": "ipx", "rose": "rose",
           "appletalk": "ddp", "netrom": "netrom", "inet": "inet", "inet6": "inet6",
           "ddp": "ddp", "unix": "unix", "tcpip": "inet", "econet": "ec", "x25": "x25",
           "ash": "ash", "bluetooth": "bluetooth"}
# route.c longopts (AFTRANS_OPTS first): (name, has_arg, returned value)
ROUTE_LONGOPTS = [("ax25", 0, 1), ("x25", 0, 1), ("ip", 0, 1), ("ipx", 0, 1),
                  ("appletalk", 0, 1), ("netrom", 0, 1), ("inet", 0, 1), ("inet6", 0, 1),
                  ("ddp", 0, 1), ("rose", 0, 1), ("unix", 0, 1), ("bluetooth", 0, 1),
                  ("tcpip", 0, 1), ("extend", 0, "e"), ("verbose", 0, "v"),
                  ("version", 0, "V"), ("numeric", 0, "n"), ("symbolic", 0, "N"),
                  ("protocol", 1, "A"), ("cache", 0, "C"), ("fib", 0, "F"), ("help", 0, "h")]
AFTRANS_CNT = 12


def getopt_long(ctx, prog: str, argv: list[str], optstring: str, longopts: list):
    """GNU getopt_long() with argument permutation: yields (opt, optarg, longindex) and
    finally returns the operands (non-options in order, then what follows "--")."""
    takes = {}
    k = 0
    while k < len(optstring):
        ch = optstring[k]
        takes[ch] = optstring[k + 1:k + 2] == ":"
        k += 2 if takes[ch] else 1
    out, operands = [], []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            operands.extend(argv[i + 1:])
            break
        if not a.startswith("-") or a == "-":
            operands.append(a)
            i += 1
            continue
        if a.startswith("--"):
            body = a[2:]
            name, eq, val = body.partition("=")
            exact = [j for j, o in enumerate(longopts) if o[0] == name]
            if exact:
                j = exact[0]
            else:
                cands = [j for j, o in enumerate(longopts) if o[0].startswith(name)]
                if not cands:
                    ctx.eprint(f"{prog}: unrecognized option '--{body}'")
                    out.append(("?", None, None))
                    i += 1
                    continue
                first = longopts[cands[0]]
                amb = [cands[0]] + [j for j in cands[1:]
                                    if longopts[j][1:] != first[1:]]
                if len(amb) > 1:
                    poss = "".join(f" '--{longopts[j][0]}'" for j in sorted(amb))
                    ctx.eprint(f"{prog}: option '--{body}' is ambiguous; possibilities:{poss}")
                    out.append(("?", None, None))
                    i += 1
                    continue
                j = cands[0]
            lname, has_arg, val_ = longopts[j]
            i += 1
            if eq:
                if not has_arg:
                    ctx.eprint(f"{prog}: option '--{lname}' doesn't allow an argument")
                    out.append(("?", None, None))
                    continue
                out.append((val_, val, j))
            elif has_arg:
                if i < len(argv):
                    out.append((val_, argv[i], j))
                    i += 1
                else:
                    ctx.eprint(f"{prog}: option '--{lname}' requires an argument")
                    out.append(("?", None, None))
            else:
                out.append((val_, None, j))
            continue
        # a cluster of short options
        k = 1
        i += 1
        while k < len(a):
            ch = a[k]
            k += 1
            if ch not in takes or ch == ":":
                ctx.eprint(f"{prog}: invalid option -- '{ch}'")
                out.append(("?", None, None))
                continue
            if takes[ch]:
                if k < len(a):
                    out.append((ch, a[k:], None))
                elif i < len(argv):
                    out.append((ch, argv[i], None))
                    i += 1
                else:
                    ctx.eprint(f"{prog}: option requires an argument -- '{ch}'")
                    out.append(("?", None, None))
                break
            out.append((ch, None, None))
    return out, operands


class Route:
    """route.c main() with lib/getroute.c, setroute.c, inet_gr.c, inet_sr.c, inet6_*.c."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.ns = ctx.ns
        self.res = Resolver()
        self.afname = ""
        self.nn_cache: dict = {}

    # -- option helpers ---------------------------------------------------------------------
    def aftrans_opt(self, arg: str) -> int:
        for part in safe_strncpy(arg, 256).split(","):
            name = AFTRANS.get(part)
            if name is None:
                self.ctx.eprint(f"Unknown address family `{part}'.")
                return 1
            if len(name) + len(self.afname) + 1 >= 256:
                self.ctx.eprint("Too much address family arguments.")
                return 0
            self.afname = f"{self.afname},{name}" if self.afname else name
        return 0

    def usage(self, rc: int) -> None:
        put = self.ctx.eprint if rc else self.ctx.print
        put(ROUTE_USAGE, end="")
        self.ctx.eprint(AFLIST_ROUTE, end="")
        raise Exit(rc)

    # -- main ---------------------------------------------------------------------------------
    def main(self, argv: list[str]) -> int:
        ctx = self.ctx
        argv = ["#" + a[1:] if a in ("-net", "-host") else a for a in (c_str(x) for x in argv)]
        opt_n = 0
        opt_v = 0
        opt_e = 1
        opt_fc = 0
        opt_h = 0
        opts, args = getopt_long(ctx, "route", argv, "A:eCFhnN64Vv?", ROUTE_LONGOPTS)
        for opt, optarg, lop in opts:
            if opt == "n":
                opt_n |= FLAG_NUM
            elif opt == "N":
                opt_n |= FLAG_SYM
            elif opt == "v":
                opt_v |= FLAG_VERBOSE
            elif opt == "e":
                opt_e += 1
            elif opt == 1:
                if lop < 0 or lop >= AFTRANS_CNT:
                    ctx.eprint("route.c: Internal Error `longopts 1 range'.")
                    continue
                rc = self.aftrans_opt(ROUTE_LONGOPTS[lop][0])
                if rc:
                    return rc
            elif opt == "C":
                opt_fc |= FLAG_CACHE
            elif opt == "F":
                opt_fc |= FLAG_FIB
            elif opt in ("A", "6", "4"):
                rc = self.aftrans_opt(optarg if opt == "A" else
                                      "inet6" if opt == "6" else "inet")
                if rc:
                    return rc
            elif opt == "V":
                ctx.print(ROUTE_VERSION, end="")
                return 0
            elif opt in ("h", "?"):
                opt_h += 1
        what = 0
        if opt_h:
            if not self.afname:
                self.usage(E_USAGE)
            what = RTACTION_HELP
        else:
            if not self.afname:
                self.afname = "inet"
            if not args:
                what = RTACTION_SHOW
            elif args[0] == "add":
                what = RTACTION_ADD
            elif args[0] in ("del", "delete"):
                what = RTACTION_DEL
            elif args[0] == "flush":
                what = RTACTION_FLUSH
            else:
                self.usage(E_OPTERR)
        options = (opt_e & FLAG_EXT) | opt_n | opt_fc | opt_v
        if not opt_fc:
            options |= FLAG_FIB
        if what == RTACTION_SHOW:
            return self.route_info(options)
        return self.route_edit(what, options, args[1:])

    # -- listing --------------------------------------------------------------------------------
    def route_info(self, options: int) -> int:
        ctx = self.ctx
        found = E_NOTFOUND
        for name in safe_strncpy(self.afname, 256).split(","):
            if not name:
                continue
            af = get_aftype(ctx, name)
            if af is None:
                ctx.eprint(f"Address family `{name}' not supported.")
                return E_OPTERR
            if af not in ("inet", "inet6", "ax25", "netrom", "rose", "ipx", "ddp", "x25"):
                ctx.eprint(f"No routing for address family `{af}'.")
                return E_OPTERR
            found = 0
            rc = self.rprint(af, options)
            if rc:
                return rc
        return found

    def rprint(self, af: str, options: int) -> int:
        ctx = self.ctx
        ext = options & FLAG_EXT
        numeric = options & (FLAG_NUM_HOST | FLAG_SYM)
        if af == "inet":
            rc = E_INTERN
            if options & FLAG_FIB:
                rc = self.rprint_fib(ext, numeric)
                if rc:
                    return rc
            if options & FLAG_CACHE:
                rc = self.rprint_cache(ext)
            return rc
        if af == "inet6":
            rc = E_INTERN
            if options & FLAG_FIB:
                self.rprint_fib6(numeric, cache=False)
                rc = 0
            if options & FLAG_CACHE:
                self.rprint_fib6(numeric, cache=True)
                rc = 0
            return rc
        if af == "ax25":
            ctx.eprint("/proc/net/ax25_route: No such file or directory")
            ctx.print("AX.25 not configured in this system.")
        elif af == "x25":
            ctx.print("X.25 not configured in this system.")
        elif af == "ipx":
            ctx.eprint("No such file or directory")
            ctx.print("IPX routing not in file /proc/net/ipx/route or /proc/net/ipx_route "
                      "found.")
        elif af == "ddp":
            ctx.eprint("Error opening /proc/net/atalk_route: No such file or directory")
            ctx.eprint("DDP (AppleTalk) not configured on this system.")
        elif af == "netrom":
            ctx.eprint("/proc/net/nr_nodes: No such file or directory")
            ctx.eprint("/proc/net/nr_neigh: Invalid argument")
            ctx.print("NET/ROM not configured in this system.")
        elif af == "rose":
            ctx.eprint("/proc/net/rose_nodes: No such file or directory")
            ctx.eprint("ROSE not configured in this system.")
        return 1

    def rresolve(self, ad: int, numeric: int, netmask: int) -> str:
        """INET_rresolve(): names from /etc/hosts (hosts) and /etc/networks (networks)."""
        if numeric & 0x0FFF:
            return ntoa(ad)
        if ad == 0:
            if netmask == 0:
                return "default" if numeric & 0x8000 else "*"
            return "0.0.0.0"
        host = bool(ad & ~netmask & 0xFFFFFFFF) or bool(numeric & 0x4000)
        key = (ad, host)
        if key in self.nn_cache:
            return self.nn_cache[key]
        name = (self.res.gethostbyaddr(ad) if host else self.res.getnetbyaddr(ad)) or ntoa(ad)
        self.nn_cache[key] = name
        return name

    def rprint_fib(self, ext: int, numeric: int) -> int:
        ctx = self.ctx
        ctx.print("Kernel IP routing table")
        if ext == 1:
            ctx.print("Destination     Gateway         Genmask         Flags Metric Ref    Use "
                      "Iface")
        elif ext == 2:
            ctx.print("Destination     Gateway         Genmask         Flags   MSS Window  irtt "
                      "Iface")
        elif ext >= 3:
            ctx.print("Destination     Gateway         Genmask         Flags Metric Ref    Use "
                      "Iface    MSS   Window irtt")
        rows = k_proc_net_route(self.ns)
        if rows is None:
            return 1
        for r in rows:
            fl = r["flags"]
            net = self.rresolve(r["dst"], numeric | 0x8000 | (0x4000 if fl & RTF_HOST else 0),
                                r["mask"])[:15]
            # INET_sprint() passes 0xffffff00 as the mask (a host-order constant compared with
            # a network-order address), but 0x4000 makes every gateway a host anyway
            gate = self.rresolve(r["gw"], numeric | 0x4000, 0xFFFFFF00)[:15]
            mask = ntoa(r["mask"])
            flags = "U"
            if fl & RTF_GATEWAY:
                flags += "G"
            if fl & RTF_REJECT:
                flags = "!"
            if fl & RTF_HOST:
                flags += "H"
            rej = bool(fl & RTF_REJECT)
            if ext == 1:
                if rej:
                    ctx.print(f"{net:<15} -               {mask:<15} {flags:<5} "
                              f"{r['metric']:<6d} -  {r['use']:7d} -")
                else:
                    ctx.print(f"{net:<15} {gate:<15} {mask:<15} {flags:<5} {r['metric']:<6d} "
                              f"{r['refcnt']:<2d} {r['use']:7d} {r['iface']}")
            elif ext == 2:
                if rej:
                    ctx.print(f"{net:<15} -               {mask:<15} {flags:<5}     - -"
                              "          - -")
                else:
                    ctx.print(f"{net:<15} {gate:<15} {mask:<15} {flags:<5} "
                              f"{_int32(r['mtu']):5d} {_int32(r['window']):<5d} "
                              f"{_int32(r['irtt']):6d} {r['iface']}")
            elif ext >= 3:
                if rej:
                    ctx.print(f"{net:<15} -               {mask:<15} {flags:<5} "
                              f"{r['metric']:<6d} -  {r['use']:7d} -        -     -      -")
                else:
                    ctx.print(f"{net:<15} {gate:<15} {mask:<15} {flags:<5} {r['metric']:<6d} "
                              f"{r['refcnt']:<3d} {r['use']:6d} {r['iface'][:6]:<6}   "
                              f"{_int32(r['mtu']):<5d} {_int32(r['window']):<6d} "
                              f"{_int32(r['irtt'])}")
        return 0

    def rprint_cache(self, ext: int) -> int:
        """rprint_cache(): modern kernels keep no IPv4 route cache: the headers only."""
        ctx = self.ctx
        ctx.print("Kernel IP routing cache")
        if ext == 1:
            ctx.print("Source          Destination     Gateway         Flags Metric Ref    Use "
                      "Iface")
        elif ext == 2:
            ctx.print("Source          Destination     Gateway         Flags   MSS Window  irtt "
                      "Iface")
        elif ext >= 3:
            ctx.print("Source          Destination     Gateway         Flags Metric Ref    Use "
                      "Iface    MSS   Window irtt  TOS HHRef HHUptod     SpecDst")
        return 0

    def rprint_fib6(self, numeric: int, cache: bool) -> None:
        ctx = self.ctx
        ctx.print("Kernel IPv6 routing cache" if cache else "Kernel IPv6 routing table")
        ctx.print("Destination                    Next Hop                   Flag Met Ref  Use If")
        if cache:
            return
        num = numeric & 0x7FFF
        rows = k_proc_ipv6_route(self.ns)
        if rows is None:
            dst, nh = ("::/0", "::") if num else ("[::]/0", "[::]")
            for _ in range(_IPV6_NULL_ROUTES):
                ctx.print(f"{dst:<30} {nh:<26} {'!n':<4} {-1:<3d} {1:<1d} {0:6d} lo")
            return

        def txt(a: bytes) -> str:         # INET6_rresolve(): [::] unless numeric
            return "::" if not any(a) and num else ("[::]" if not any(a) else _ip6_ntoa(a))

        for dst, plen, gw, metric, ref, iflags, use, dev in rows:
            flags = ""
            for bit, ch in ((RTF_UP, "U"), (RTF_REJECT, "!"), (RTF_GATEWAY, "G"),
                            (RTF_HOST, "H"), (RTF_NONEXTHOP, "n")):
                if iflags & bit:
                    flags += ch
            m = metric - (1 << 32) if metric & 0x80000000 else metric
            ctx.print(f"{txt(dst) + '/' + str(plen):<30} {txt(gw):<26} {flags:<4} {m:<3d} "
                      f"{ref:<1d} {use:6d} {dev}")

    # -- add / del ------------------------------------------------------------------------------
    def route_edit(self, action: int, options: int, args: list[str]) -> int:
        ctx = self.ctx
        af = get_aftype(ctx, self.afname)
        if af is None:
            ctx.eprint(f"Address family `{self.afname}' not supported.")
            return E_OPTERR
        if af == "inet":
            return self.inet_rinput(action, options, args)
        if af == "inet6":
            return self.inet6_rinput(action, args)
        if af == "ipx":
            ctx.eprint("IPX: this needs to be written")
            return 1
        if af == "netrom":
            ctx.eprint("NET/ROM: this needs to be written")
            return 1
        if af == "x25":
            return self.x25_rinput(action, options, args)
        ctx.eprint(f"No routing for address family `{af}'.")
        return E_OPTERR

    def inet_usage(self, rc: int) -> int:
        (self.ctx.eprint if rc else self.ctx.print)(INET_ROUTE_USAGE, end="")
        return rc

    def inet_rinput(self, action: int, options: int, args: list[str]) -> int:
        ctx = self.ctx
        if action == RTACTION_FLUSH:
            ctx.eprint("Flushing `inet' routing table not supported")
            return self.inet_usage(E_OPTERR)
        if options & FLAG_CACHE:
            ctx.eprint("Modifying `inet' routing cache not supported")
            return self.inet_usage(E_OPTERR)
        if not args or action == RTACTION_HELP:
            return self.inet_usage(E_USAGE)
        return self.inet_setroute(action, args)

    def inet_resolve(self, name: str, hostfirst: bool) -> tuple[int, int]:
        return Ifconfig.inet_resolve(self, name, hostfirst)     # same INET_resolve()

    def inet_setroute(self, action: int, args: list[str]) -> int:
        ctx = self.ctx
        xflag = 0
        args = list(args)
        if args[0] == "#net":
            xflag = 1
            args = args[1:]
        elif args[0] == "#host":
            xflag = 2
            args = args[1:]
        if not args:
            return self.inet_usage(E_OPTERR)
        target = safe_strncpy(args[0], 128)
        args = args[1:]
        rt = RtEntry()
        netmask_text = "default"
        if "/" in target:                           # the /prefix hack (INET_getnetmask)
            head, _, tail = target.partition("/")
            v, end = c_strtoul(tail, 0)
            if end != len(tail):
                return self.inet_usage(E_OPTERR)
            prefix = _int32(v)
            netmask_text = f"/{prefix}"
            target = head
            rt.genmask = (~(0xFFFFFFFF >> (prefix & 31))) & 0xFFFFFFFF
            rt.genmask_family = AF_INET
        isnet, addr = self.inet_resolve(target, xflag == 2)
        if isnet < 0:
            self.res.herror(ctx, target)
            return E_LOOKUP
        rt.dst = addr
        if xflag == 1:
            isnet = 1
        elif xflag == 2:
            isnet = 0
        rt.flags = RTF_UP | RTF_HOST
        if isnet:
            rt.flags &= ~RTF_HOST
        i = 0
        while i < len(args):
            a = args[i]
            if a == "metric":
                i += 1
                if i >= len(args) or not _isdigit(args[i][:1]):
                    return self.inet_usage(E_OPTERR)
                rt.metric = _short(atoi(args[i]) + 1)
                i += 1
                continue
            if a == "netmask":
                i += 1
                if i >= len(args) or rt.genmask:
                    return self.inet_usage(E_OPTERR)
                netmask_text = safe_strncpy(args[i], 128)
                rc, m = self.inet_resolve(netmask_text, False)
                if rc < 0:
                    self.res.herror(ctx, netmask_text)
                    return E_LOOKUP
                rt.genmask, rt.genmask_family = m, AF_INET
                i += 1
                continue
            if a in ("gw", "gateway"):
                i += 1
                if i >= len(args):
                    return self.inet_usage(E_OPTERR)
                if rt.flags & RTF_GATEWAY:
                    return self.inet_usage(E_OPTERR)
                gateway = safe_strncpy(args[i], 128)
                rc, g = self.inet_resolve(gateway, True)
                if rc < 0:
                    self.res.herror(ctx, gateway)
                    return E_LOOKUP
                rt.gateway, rt.gw_family = g, AF_INET
                if rc:
                    ctx.eprint(f"route: {gateway}: cannot use a NETWORK as gateway!")
                    return self.inet_usage(E_OPTERR)
                rt.flags |= RTF_GATEWAY
                i += 1
                continue
            if a in ("mss", "mtu"):
                i += 1
                rt.flags |= RTF_MTU
                if i >= len(args):
                    return self.inet_usage(E_OPTERR)
                rt.mtu = atoi(args[i]) & _ULONG_MAX
                i += 1
                if rt.mtu < 64 or rt.mtu > 65536:
                    ctx.eprint("route: Invalid MSS/MTU.")
                    return self.inet_usage(E_OPTERR)
                continue
            if a == "window":
                i += 1
                if i >= len(args):
                    return self.inet_usage(E_OPTERR)
                rt.flags |= RTF_WINDOW
                rt.window = atoi(args[i]) & _ULONG_MAX
                i += 1
                if rt.window < 128:
                    ctx.eprint("route: Invalid window.")
                    return self.inet_usage(E_OPTERR)
                continue
            if a == "irtt":
                i += 1
                if i >= len(args):
                    return self.inet_usage(E_OPTERR)
                i += 1
                rt.flags |= RTF_IRTT
                rt.irtt = atoi(args[i - 1]) & 0xFFFF          # CLK_TCK / 100 == 1
                continue
            if a == "reject":
                i += 1
                rt.flags |= RTF_REJECT
                continue
            if a in ("mod", "dyn", "reinstate"):
                i += 1
                rt.flags |= {"mod": RTF_MODIFIED, "dyn": RTF_DYNAMIC,
                             "reinstate": RTF_REINSTATE}[a]
                continue
            if a in ("device", "dev"):
                i += 1
                if rt.dev is not None or i >= len(args):
                    return self.inet_usage(E_OPTERR)
                rt.dev = args[i]
                i += 1
                continue
            if rt.dev is None:
                rt.dev = a
                i += 1
                if i < len(args):
                    return self.inet_usage(E_OPTERR)
            else:
                return self.inet_usage(E_OPTERR)
        if rt.flags & RTF_REJECT and rt.dev is None:
            rt.dev = "lo"
        if rt.genmask:
            mask = ~rt.genmask & 0xFFFFFFFF
            if rt.flags & RTF_HOST and mask != 0xFFFFFFFF:
                ctx.eprint(f"route: netmask {mask:08x} doesn't make sense with host route")
                return self.inet_usage(E_OPTERR)
            if mask & (mask + 1) & 0xFFFFFFFF:
                ctx.eprint(f"route: bogus netmask {netmask_text}")
                return self.inet_usage(E_OPTERR)
            if rt.dst & ~rt.genmask & 0xFFFFFFFF:
                ctx.eprint("route: netmask doesn't match route address")
                return self.inet_usage(E_OPTERR)
        if action == RTACTION_ADD and rt.flags & RTF_HOST:
            rt.genmask = 0xFFFFFFFF
        cmd = "SIOCDELRT" if action == RTACTION_DEL else "SIOCADDRT"
        try:
            k_ip_rt_ioctl(self.ns, cmd, rt)
        except KernelError as e:
            ctx.eprint(f"{cmd}: {strerror(e.errno)}")
            return E_SOCK
        return 0

    def inet6_rinput(self, action: int, args: list[str]) -> int:
        ctx = self.ctx
        if action == RTACTION_FLUSH:
            ctx.eprint("Flushing `inet6' routing table not supported")
            ctx.eprint(INET6_ROUTE_USAGE, end="")
            return E_OPTERR
        if action == RTACTION_HELP:
            ctx.print(INET6_ROUTE_USAGE, end="")
            return E_USAGE
        if not args:
            ctx.eprint(INET6_ROUTE_USAGE, end="")
            return E_OPTERR
        target = safe_strncpy(args[0], 128)
        args = args[1:]
        plen6, dst6, gw6, metric6 = 0, bytes(16), None, 1
        if target != "default":
            plen6 = 128
            if "/" in target:
                head, _, tail = target.partition("/")
                plen = _int32(atol(tail))
                if plen < 0 or plen > 128:
                    ctx.eprint(INET6_ROUTE_USAGE, end="")
                    return E_OPTERR
                plen6 = plen
                target = head
            dst6 = inet_pton6(target)
            if dst6 is None:
                a, code = self.res.getaddrinfo6(target)
                if a is None:
                    ctx.eprint(f"getaddrinfo: {target}: {code}")
                    self.res.herror(ctx, target)
                    return 1
                dst6 = a
        has_gw = False
        devname = None
        i = 0
        while i < len(args):
            a = args[i]
            if a == "metric":
                i += 1
                if i >= len(args) or not _isdigit(args[i][:1]):
                    ctx.eprint(INET6_ROUTE_USAGE, end="")
                    return E_OPTERR
                metric6 = atoi(args[i]) & 0xFFFFFFFF
                i += 1
                continue
            if a in ("gw", "gateway"):
                i += 1
                if i >= len(args) or has_gw:
                    ctx.eprint(INET6_ROUTE_USAGE, end="")
                    return E_OPTERR
                gateway = safe_strncpy(args[i], 128)
                gw6 = inet_pton6(gateway)
                if gw6 is None:
                    self.res.h_errno = 0
                    self.res.herror(ctx, gateway)
                    return E_LOOKUP
                has_gw = True
                i += 1
                continue
            if a in ("mod", "dyn"):
                i += 1
                continue
            if a in ("device", "dev"):
                i += 1
                if i >= len(args):
                    ctx.eprint(INET6_ROUTE_USAGE, end="")
                    return E_OPTERR
            elif i + 1 < len(args):
                ctx.eprint(INET6_ROUTE_USAGE, end="")
                return E_OPTERR
            devname = args[i]
            i += 1
        ifindex = 0
        if devname is not None:
            ifr = Ifreq(safe_strncpy(devname, IFNAMSIZ))
            try:
                k_dev_ioctl(self.ns, "SIOCGIFINDEX", ifr)
            except KernelError as e:
                ctx.eprint(f"SIOGIFINDEX: {strerror(e.errno)}")
                return E_SOCK
            ifindex = ifr.ifindex
        cmd = "SIOCDELRT" if action == RTACTION_DEL else "SIOCADDRT"
        try:
            k_ipv6_route_ioctl(self.ns, cmd, ifindex, has_gw, dst6, plen6, gw6, metric6)
        except KernelError as e:
            ctx.eprint(f"{cmd}: {strerror(e.errno)}")
            return E_SOCK
        return 0

    def x25_rinput(self, action: int, options: int, args: list[str]) -> int:
        ctx = self.ctx
        if action == RTACTION_FLUSH:
            ctx.eprint("Flushing `x25' routing table not supported")
            ctx.eprint(X25_ROUTE_USAGE, end="")
            return E_OPTERR
        if options & FLAG_CACHE:
            ctx.eprint("Modifying `x25' routing cache not supported")
            ctx.eprint(X25_ROUTE_USAGE, end="")
            return E_OPTERR
        if action == RTACTION_HELP:
            ctx.print(X25_ROUTE_USAGE, end="")
            return E_USAGE
        if not args:
            ctx.eprint(X25_ROUTE_USAGE, end="")
            return E_OPTERR
        target = safe_strncpy(args[0], 128)
        sig, msg = _in_x25(target)
        if sig < 0:
            ctx.eprint(f"{target}: {msg}")
            return E_LOOKUP
        device = None
        i = 1
        while i < len(args):
            if args[i] in ("device", "dev"):
                i += 1
                if i >= len(args):
                    ctx.eprint(X25_ROUTE_USAGE, end="")
                    return E_OPTERR
            elif i + 1 < len(args):
                ctx.eprint(X25_ROUTE_USAGE, end="")
                return E_OPTERR
            if device:
                ctx.eprint(X25_ROUTE_USAGE, end="")
                return E_OPTERR
            device = args[i]
            i += 1
        if not device:
            ctx.eprint(X25_ROUTE_USAGE, end="")
            return E_OPTERR
        addr = c_bytes(target).split(b"/")[0]
        if sig > 15:
            ctx.eprint(f"route: bogus netmask {sig}")
            ctx.eprint(X25_ROUTE_USAGE, end="")
            return E_OPTERR
        if sig > len(addr):
            ctx.eprint("route: netmask doesn't match route address")
            ctx.eprint(X25_ROUTE_USAGE, end="")
            return E_OPTERR
        ctx.eprint("socket: Address family not supported by protocol")
        return E_SOCK


@command("route")
def route(ctx, argv: list[str]) -> int:
    settle(ctx)
    try:
        return Route(ctx).main(argv)
    finally:
        settle(ctx)
