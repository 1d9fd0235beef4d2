"""``ip netns`` as iproute2 6.1 has it (ip/ipnetns.c), over the emulated machine's named
namespaces (``Kernel.named``, the emulator's /run/netns).

[EMU] ``ip netns exec NS CMD ARGS`` runs the emulator's own command CMD (vnetlab.commands
.COMMANDS) with the namespace switched; a CMD the emulator does not provide fails the way a
failed execvp() does. /run/netns is listed newest first, as readdir() on tmpfs returns it. The
emulator has no processes: ``pids`` lists none and ``identify PID`` cannot open a PID's netns.
"""

from __future__ import annotations

from ...stack.errors import EEXIST, KernelError
from .. import COMMANDS, Ctx, Exit
from .common import Printer, duparg, get_integer, invarg, matches, rtnl_error, strerror

NETNS_RUN_DIR = "/run/netns"
NAME_MAX = 255

USAGE = """\
Usage:	ip netns list
	ip netns add NAME
	ip netns attach NAME PID
	ip netns set NAME NETNSID
	ip [-all] netns delete [NAME]
	ip netns identify [PID]
	ip netns pids NAME
	ip [-all] netns exec [NAME] cmd ...
	ip netns monitor
	ip netns list-id [target-nsid POSITIVE-INT] [nsid POSITIVE-INT]
NETNSID := auto | POSITIVE-INT
"""


def usage(ctx) -> None:
    ctx.eprint(USAGE, end="")
    raise Exit(255)


def _readdir(ctx) -> list[str]:
    """readdir(NETNS_RUN_DIR): newest first (tmpfs order)."""
    return list(reversed(list(ctx.lab.kernel.named)))


def _nsid(viewer, target) -> int:
    """RTM_GETNSID (rtnl_net_getid -> peernet2id): the id ``viewer`` knows ``target`` by, or -1
    when none is assigned (it is never allocated by asking)."""
    for i, n in viewer.ids.items():
        if n is target:
            return i
    return -1


def netns_list(ctx, opts) -> int:
    """ipnetns.c: netns_list()."""
    p = Printer(ctx, opts)
    for name in _readdir(ctx):
        p.open_object(None)
        p.any("name", "%s", name)
        nsid = _nsid(ctx.ns, ctx.lab.kernel.named[name])
        if nsid >= 0:
            p.any("id", " (id: %d)", nsid)
        p.text("\n")
        p.close()
    p.flush()
    return 0


def netns_list_id(ctx, opts, argv: list[str]) -> int:
    """ipnetns.c: netns_list_id(): the ids this netns gave to others (print_nsid())."""
    target_nsid = nsid = -1
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("target-nsid", "nsid"):
            if (target_nsid if arg == "target-nsid" else nsid) >= 0:
                duparg(ctx, arg, arg)
            i += 1
            if i >= len(argv):
                ctx.fail('Command line is not complete. Try option "help"', 255)
            v = get_integer(argv[i])
            if v is None:
                invarg(ctx, f'"{arg}" value is invalid', argv[i])
            if v < 0:
                invarg(ctx, f'"{arg}" value should be >= 0', argv[i])
            if arg == "nsid":
                nsid = v
            else:
                target_nsid = v
        else:
            usage(ctx)
        i += 1
    viewer = ctx.ns
    if target_nsid >= 0:
        viewer = ctx.ns.ids.get(target_nsid)
        if viewer is None:
            rtnl_error(ctx, KernelError(22, "Invalid target network namespace id"), 2)
    p = Printer(ctx, opts)
    for i, target in sorted(viewer.ids.items()):
        if nsid >= 0 and i != nsid:
            continue
        p.open_object(None)
        p.any("nsid", "nsid %d ", i)
        if target_nsid >= 0:
            cur = _nsid(ctx.ns, target)
            if cur < 0:
                p.text("current-nsid unassigned ")
            else:
                p.any("current-nsid", "current-nsid %d ", cur)
        name = target.name if ctx.lab.kernel.named.get(target.name) is target else None
        if name is not None:
            p.any("name", "(iproute2 netns name: %s)", name)
        p.text("\n")
        p.close()
    p.flush()
    return 0


def netns_add(ctx, argv: list[str]) -> int:
    """ipnetns.c: netns_add(create=true)."""
    if not argv:
        ctx.eprint("No netns name specified")
        return 1
    name = argv[0]
    try:
        ctx.lab.kernel.netns_add(name)
    except KernelError as e:
        ctx.eprint(f'Cannot create namespace file "{NETNS_RUN_DIR}/{name}": '
                   f"{strerror(e.errno)}")
        return 1
    return 0


def on_netns_del(ctx, name: str) -> int:
    """ipnetns.c: on_netns_del(): unlink /run/netns/NAME (the netns dies with its last user)."""
    try:
        ctx.lab.kernel.netns_del(name)
    except KernelError as e:
        ctx.eprint(f'Cannot remove namespace file "{NETNS_RUN_DIR}/{name}": '
                   f"{strerror(e.errno)}")
        return 1
    return 0


def netns_delete(ctx, opts, argv: list[str]) -> int:
    """ipnetns.c: netns_delete()."""
    if not argv and not opts.all:
        ctx.eprint("No netns name specified")
        return 1
    if opts.all:
        for name in _readdir(ctx):
            if on_netns_del(ctx, name):
                break
        return 0
    return on_netns_del(ctx, argv[0])


def cmd_exec(ctx, nsname: str, argv: list[str]) -> int:
    """lib/exec.c: cmd_exec() with netns_switch(): run an emulator command in NS; its status."""
    target = ctx.lab.kernel.named.get(nsname)
    if target is None:
        ctx.eprint(f'Cannot open network namespace "{nsname}": '
                   f"No such file or directory")
        return -1
    fn = COMMANDS.get(argv[0])
    if fn is None:
        ctx.eprint(f'exec of "{argv[0]}" failed: No such file or directory')
        return 1
    child = Ctx(ctx.lab, ns=target, stdin=ctx.stdin)
    try:
        code = fn(child, list(argv[1:]))
    except Exit as e:
        code = e.code
    ctx.out.extend(child.out)
    ctx.err.extend(child.err)
    return code & 0xFF


def netns_exec(ctx, opts, argv: list[str]) -> int:
    """ipnetns.c: netns_exec()."""
    if not argv and not opts.all:
        ctx.eprint("No netns name specified")
        return 1
    if (len(argv) < 2 and not opts.all) or (not argv and opts.all):
        ctx.eprint("No command specified")
        return 1
    if opts.all:
        for name in _readdir(ctx):
            ctx.print(f"\nnetns: {name}")
            cmd_exec(ctx, name, argv)
        return 0
    rc = cmd_exec(ctx, argv[0], argv[1:])
    return 255 if rc < 0 else rc


def netns_identify(ctx, argv: list[str]) -> int:
    """ipnetns.c: netns_identify(): the /run/netns name of the netns we are in."""
    if len(argv) > 1:
        ctx.eprint("extra arguments specified")
        return 1
    if argv:
        if not (argv[0].isascii() and argv[0].isdigit()):
            ctx.eprint(f"Specified string '{argv[0]}' is not a pid")
            return 1
        ctx.eprint("Cannot open network namespace: No such file or directory")
        return 1
    name = ""
    for n in _readdir(ctx):
        if ctx.lab.kernel.named[n] is ctx.ns:
            name = n
    ctx.print(name)
    return 0


def netns_pids(ctx, argv: list[str]) -> int:
    """ipnetns.c: netns_pids(): no emulated processes, so an existing netns lists none."""
    if not argv:
        ctx.eprint("No netns name specified")
        return 1
    if len(argv) > 1:
        ctx.eprint("extra arguments specified")
        return 1
    if argv[0] not in ctx.lab.kernel.named:
        ctx.eprint("Cannot open network namespace: No such file or directory")
        return 1
    return 0


def netns_set(ctx, argv: list[str]) -> int:
    """ipnetns.c: netns_set() -> RTM_NEWNSID (rtnl_net_newid)."""
    if not argv:
        ctx.eprint("No netns name specified")
        return 1
    if len(argv) < 2:
        ctx.eprint("No nsid specified")
        return 1
    name = argv[0]
    if argv[1] == "auto":
        nsid = -1
    else:
        nsid = get_integer(argv[1])
        if nsid is None:
            invarg(ctx, 'Invalid "netnsid" value', argv[1])
        if nsid < 0:
            invarg(ctx, '"netnsid" value should be >= 0', argv[1])
    target = ctx.lab.kernel.named.get(name)
    if target is None:
        ctx.eprint(f'Cannot open network namespace "{name}": No such file or directory')
        return 1
    viewer = ctx.ns
    if _nsid(viewer, target) >= 0:
        rtnl_error(ctx, KernelError(EEXIST, "Peer netns already has a nsid assigned"), 2)
    if nsid < 0:
        viewer.peernet_id(target)
    elif nsid in viewer.ids:
        rtnl_error(ctx, KernelError(EEXIST, "The specified nsid is already used"), 2)
    else:
        viewer.ids[nsid] = target
    return 0


def invalid_name(name: str) -> bool:
    """ipnetns.c: invalid_name()."""
    return (not name or len(name.encode("utf-8", "surrogateescape")) > NAME_MAX or "/" in name
            or name in (".", ".."))


def run(ctx, opts, argv: list[str]) -> int:
    """ipnetns.c: do_netns()."""
    if not argv:
        return netns_list(ctx, opts)
    if not opts.all and len(argv) > 1 and invalid_name(argv[1]):
        ctx.fail(f'Invalid netns name "{argv[1]}"', 255)
    cmd, rest = argv[0], argv[1:]
    if matches(cmd, "list") or matches(cmd, "show") or matches(cmd, "lst"):
        return netns_list(ctx, opts)
    if matches(cmd, "list-id"):
        return netns_list_id(ctx, opts, rest)
    if matches(cmd, "help"):
        usage(ctx)
    if matches(cmd, "add"):
        return netns_add(ctx, rest)
    if matches(cmd, "set"):
        return netns_set(ctx, rest)
    if matches(cmd, "delete"):
        return netns_delete(ctx, opts, rest)
    if matches(cmd, "identify"):
        return netns_identify(ctx, rest)
    if matches(cmd, "pids"):
        return netns_pids(ctx, rest)
    if matches(cmd, "exec"):
        return netns_exec(ctx, opts, rest)
    if matches(cmd, "monitor"):
        ctx.fail('vnetlab: "ip netns monitor" is not provided by the emulator', 1)
    if matches(cmd, "attach"):
        ctx.fail('vnetlab: "ip netns attach" needs a process; the emulator has none', 1)
    ctx.fail(f'Command "{cmd}" is unknown, try "ip netns help".', 255)
    return 255

