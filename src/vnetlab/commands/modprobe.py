"""``modprobe`` (kmod 30) for the emulated kernel's modules.

Loading a module is what the kernel's own autoload does (``Kernel.request_module``): ``modprobe
ipip`` creates ``tunl0`` in every netns, ``modprobe ip_vs`` brings ``/proc/sys/net/ipv4/vs``.
A module the emulator knows as a device kind (veth, bridge, tun, ...) loads as a no-op, as a
module that is already loaded does; a name it does not know fails as kmod fails for a module
that is not installed. Removal (``-r``) is not emulated and says so.
"""

from __future__ import annotations

import os

from . import command

# kernel modules of the emulator's device kinds that have no load-time effect here
_NOOP = {"veth", "bridge", "tun", "8021q", "dummy", "ip_tunnel", "tunnel4", "udp_tunnel",
         "ip6_udp_tunnel", "sch_ingress", "sch_tbf", "sch_netem", "sch_htb", "cls_u32",
         "cls_matchall", "act_mirred", "act_gact", "tap"}


def _release() -> str:
    return os.uname().release


@command("modprobe")
def main(ctx, argv: list[str]) -> int:
    from ..stack.kernel import LINK_KINDS, MODULE_ALIASES, MODULES
    quiet = remove = False
    names: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-q", "--quiet"):
            quiet = True
        elif a in ("-r", "--remove"):
            remove = True
        elif a in ("-a", "--all", "-b", "--use-blacklist", "-v", "--verbose", "-s", "--syslog"):
            pass
        elif a in ("-V", "--version"):
            ctx.print("kmod version 30")
            ctx.print("+ZSTD +XZ -ZLIB +LIBCRYPTO -EXPERIMENTAL")
            return 0
        elif a == "--":
            names += argv[i + 1:]
            break
        elif a.startswith("-") and a != "-":
            ctx.eprint(f"modprobe: unrecognized option '{a}'" if a.startswith("--")
                       else f"modprobe: invalid option -- '{a[1:2]}'")
            return 1
        else:
            names.append(a)
        i += 1
    if not names:
        ctx.eprint("modprobe: ERROR: missing parameters. See -h.")
        return 1
    if remove:
        ctx.eprint("vnetlab: modprobe -r is not emulated (the emulated kernel keeps its modules)")
        return 1
    # modprobe without -a takes one module; the words after it are its parameters
    name = names[0].replace("-", "_")
    kernel = ctx.ns.kernel
    if name in MODULES or name in MODULE_ALIASES or names[0] in MODULE_ALIASES:
        ok = kernel.request_module(names[0] if names[0] in MODULE_ALIASES else name)
    elif name.startswith("ip_vs_"):              # schedulers and helpers pull ip_vs in
        ok = kernel.request_module("ip_vs")
    else:
        ok = name in _NOOP or name in LINK_KINDS
    if not ok:
        if not quiet:
            ctx.eprint(f"modprobe: FATAL: Module {names[0]} not found in directory "
                       f"/lib/modules/{_release()}")
        return 1
    return 0
