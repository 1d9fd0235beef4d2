"""``ip tuntap`` / ``ip tap`` (iproute2 6.1 ``ip/iptuntap.c``) on the emulated kernel.

* ``add``  opens /dev/net/tun, TUNSETIFF with the parsed flags | IFF_TUN_EXCL, TUNSETOWNER and
  TUNSETGROUP when given, TUNSETPERSIST 1, close (tap_add_ioctl); errors are perror() lines
  (``ioctl(TUNSETIFF): Device or resource busy``) and status 1.
* ``del``  TUNSETIFF (no EXCL) then TUNSETPERSIST 0 and close: the device goes when its last file
  does. A name that does not exist is created and at once removed (status 0, as on the kernel).
  ``user`` / ``group`` are not options of ``del``: they are taken as the name.
* ``show`` / ``list`` / ``lst`` (the default): every kind-"tun" link of the netns, with the
  sysfs ``tun_flags`` (tun tap pi one_queue multi_queue vnet_hdr persist filter, then any other
  bits as hex), ``owner`` and ``group``; ``-d`` adds ``Attached to processes:`` (no emulated
  process holds a file here: the list is empty); ``-j`` as iproute2 6.1 prints it.
* parse_args(): ``matches()`` prefixes in iproute2's order (mode, user, group, pi, one_queue,
  vnet_hdr, multi_queue, dev, else the name); its messages and exit(-1) = 255.
"""

from __future__ import annotations

from .. import Exit
from ...devices.tuntap import (IFF_MULTI_QUEUE, IFF_NO_PI, IFF_ONE_QUEUE, IFF_PERSIST, IFF_TAP,
                               IFF_TUN, IFF_TUN_EXCL, IFF_VNET_HDR, Tun, open_tun_file)
from ...stack.errors import KernelError
from .common import Printer, check_ifname, duparg2, incomplete, invarg, matches, strerror

USAGE = """Usage: ip tuntap { add | del | show | list | lst | help } [ dev PHYS_DEV ]
       [ mode { tun | tap } ] [ user USER ] [ group GROUP ]
       [ one_queue ] [ pi ] [ vnet_hdr ] [ multi_queue ] [ name NAME ]

Where: USER  := { STRING | NUMBER }
       GROUP := { STRING | NUMBER }
"""


def usage(ctx) -> None:
    ctx.eprint(USAGE, end="")
    raise Exit(255)


def _strtol_full(s: str):
    """``**argv && (strtol(argv, &end, 10), !*end)``: the value (as C's uid_t) or None."""
    t = s.lstrip(" \t\n\v\f\r")
    body = t[1:] if t[:1] in "+-" else t
    if not s or not body or not (body.isascii() and body.isdigit()):
        return None
    v = int(t, 10)
    lo, hi = -(1 << 63), (1 << 63) - 1        # strtol saturates
    v = max(lo, min(hi, v))
    return v & 0xFFFFFFFF                       # stored in a uid_t / gid_t


def _lookup_user(name: str):
    try:
        import pwd
        return pwd.getpwnam(name).pw_uid
    except (KeyError, ImportError):
        return None


def _lookup_group(name: str):
    try:
        import grp
        return grp.getgrnam(name).gr_gid
    except (KeyError, ImportError):
        return None


def parse_args(ctx, argv: list[str], with_ids: bool):
    """iptuntap.c parse_args(): (name, flags, uid, gid) or None ("You failed to specify...")."""
    flags = IFF_NO_PI
    name = ""
    uid = gid = 0xFFFFFFFF
    i, n = 0, len(argv)

    def next_arg():
        nonlocal i
        i += 1
        if i >= n:
            incomplete(ctx)

    while i < n:
        a = argv[i]
        if matches(a, "mode"):
            next_arg()
            m = argv[i]
            if matches(m, "tun"):
                if flags & IFF_TAP:
                    ctx.fail("You managed to ask for more than one tunnel mode.", 255)
                flags |= IFF_TUN
            elif matches(m, "tap"):
                if flags & IFF_TUN:
                    ctx.fail("You managed to ask for more than one tunnel mode.", 255)
                flags |= IFF_TAP
            else:
                ctx.fail(f'Unknown tunnel mode "{m}"', 255)
        elif with_ids and matches(a, "user"):
            next_arg()
            v = _strtol_full(argv[i])
            if v is None:
                v = _lookup_user(argv[i]) if argv[i] else None
                if v is None:
                    ctx.fail(f'invalid user "{argv[i]}"', 255)
            uid = v
        elif with_ids and matches(a, "group"):
            next_arg()
            v = _strtol_full(argv[i])
            if v is None:
                v = _lookup_group(argv[i]) if argv[i] else None
                if v is None:
                    ctx.fail(f'invalid group "{argv[i]}"', 255)
            gid = v
        elif matches(a, "pi"):
            flags &= ~IFF_NO_PI
        elif matches(a, "one_queue"):
            flags |= IFF_ONE_QUEUE
        elif matches(a, "vnet_hdr"):
            flags |= IFF_VNET_HDR
        elif matches(a, "multi_queue"):
            flags |= IFF_MULTI_QUEUE
        elif matches(a, "dev"):
            next_arg()
            if not check_ifname(argv[i]):
                invarg(ctx, '"dev" not a valid ifname', argv[i])
            name = argv[i]
        else:
            if matches(a, "name"):
                next_arg()
            elif matches(a, "help"):
                usage(ctx)
            if name:
                duparg2(ctx, "name", argv[i])
            if not check_ifname(argv[i]):
                invarg(ctx, '"name" not a valid ifname', argv[i])
            name = argv[i]
        i += 1
    if not flags & (IFF_TUN | IFF_TAP):
        ctx.eprint("You failed to specify a tunnel mode")
        return None
    return name, flags, uid, gid


def _ioctl(ctx, what: str, fn, *args) -> bool:
    try:
        fn(*args)
    except KernelError as e:
        ctx.eprint(f"ioctl({what}): {strerror(e.errno)}")
        return False
    return True


def do_add(ctx, argv: list[str]) -> int:
    parsed = parse_args(ctx, argv, True)
    if parsed is None:
        return 1
    name, flags, uid, gid = parsed
    f = open_tun_file(ctx.ns)
    try:
        if not _ioctl(ctx, "TUNSETIFF", f.set_iff, name, flags | IFF_TUN_EXCL):
            return 1
        if uid != 0xFFFFFFFF and not _ioctl(ctx, "TUNSETOWNER", f.set_owner, uid):
            return 1
        if gid != 0xFFFFFFFF and not _ioctl(ctx, "TUNSETGROUP", f.set_group, gid):
            return 1
        if not _ioctl(ctx, "TUNSETPERSIST", f.set_persist, True):
            return 1
        return 0
    finally:
        f.close()


def do_del(ctx, argv: list[str]) -> int:
    parsed = parse_args(ctx, argv, False)
    if parsed is None:
        return 1
    name, flags, _, _ = parsed
    f = open_tun_file(ctx.ns)
    try:
        if not _ioctl(ctx, "TUNSETIFF", f.set_iff, name, flags):
            return 1
        if not _ioctl(ctx, "TUNSETPERSIST", f.set_persist, False):
            return 1
        return 0
    finally:
        f.close()


_FLAG_WORDS = ((IFF_TUN, "tun"), (IFF_TAP, "tap"))


def _flag_words(flags: int) -> list[str]:
    """print_flags(): the words, then what is left as %#llx."""
    words = [w for bit, w in _FLAG_WORDS if flags & bit]
    if not flags & IFF_NO_PI:
        words.append("pi")
    if flags & IFF_ONE_QUEUE:
        words.append("one_queue")
    if flags & IFF_MULTI_QUEUE:
        words.append("multi_queue")
    if flags & IFF_VNET_HDR:
        words.append("vnet_hdr")
    if flags & IFF_PERSIST:
        words.append("persist")
    if not flags & IFF_NO_PI:                   # IFF_NOFILTER is the same bit as IFF_NO_PI
        words.append("filter")
    rest = flags & ~(IFF_TUN | IFF_TAP | IFF_NO_PI | IFF_ONE_QUEUE | IFF_MULTI_QUEUE |
                     IFF_VNET_HDR | IFF_PERSIST)
    if rest:
        words.append("%#x" % rest)
    return words


def do_show(ctx, opts) -> int:
    p = Printer(ctx, opts)
    for dev in sorted(ctx.ns.devices, key=lambda d: d.ifindex):
        if not isinstance(dev, Tun) or dev.type not in (1, 0xFFFE):
            continue
        p.open_object(None)
        p.any("ifname", "%s:", dev.name)
        p.open_array("flags")
        for w in _flag_words(dev.sysfs_flags()):
            p.item(" %s", w)
        p.close()
        if dev.owner != -1:
            p.any("user", " user %d", dev.owner)
        if dev.group_id != -1:
            p.any("group", " group %d", dev.group_id)
        if opts.details:
            p.text(opts.sl + "\tAttached to processes:")
            p.open_array("processes")
            p.close()
        p.close()
        p.text("\n")
    p.flush()
    return 0


def run(ctx, opts, argv: list[str]) -> int:
    """do_iptuntap()."""
    if not argv:
        return do_show(ctx, opts)
    a, rest = argv[0], argv[1:]
    if matches(a, "add"):
        return do_add(ctx, rest)
    if matches(a, "delete"):
        return do_del(ctx, rest)
    if matches(a, "show") or matches(a, "lst") or matches(a, "list"):
        return do_show(ctx, opts)
    if matches(a, "help"):
        usage(ctx)
    ctx.fail(f'Command "{a}" is unknown, try "ip tuntap help".', 255)
    return 255


__all__ = ["run", "parse_args"]
