"""The linux backend for scripts: the real tools on the real kernel, inside a throwaway sandbox.

The script runs in new mount and network namespaces (plus a user namespace when not root) with a
private tmpfs on /run/netns, so ``ip netns add`` creates namespaces that only the sandbox can see,
sysctl writes reach only the sandbox's network namespaces, and nothing it does can change the
host's own links, addresses, routes, sysctls or named namespaces. When the sandbox's processes
end - normally or killed - the kernel frees every namespace it made.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess

PROLOGUE = r'''
set -e
mkdir -p /run/netns /var/run/netns 2>/dev/null || true
mount -t tmpfs -o mode=755 vnetlab-netns /run/netns
[ /var/run/netns -ef /run/netns ] || mount --bind /run/netns /var/run/netns
set +e
exec bash "$@"
'''


def sandbox_prefix() -> list[str]:
    if shutil.which("unshare") is None:
        raise SystemExit("vnetlab sh --backend linux: needs util-linux's unshare "
                         "(apt-get install util-linux)")
    if os.geteuid() == 0:
        return ["unshare", "--mount", "--net", "--propagation", "private"]
    return ["unshare", "--user", "--map-root-user", "--mount", "--net", "--propagation",
            "private"]


def run_script(script: str, args: list[str], capture: bool = False,
               timeout: float | None = None, pass_fds: tuple = (),
               extra_env: dict | None = None):
    """Run ``bash script args`` in the sandbox. Returns the exit status, or the
    CompletedProcess when ``capture`` is set. ``pass_fds``/``extra_env`` hand fds (e.g. the
    host's netns for a lab's ``attach``) and variables to the script."""
    argv = sandbox_prefix() + ["sh", "-c", PROLOGUE, "vnetlab-sandbox", script] + list(args)
    env = dict(os.environ)
    for k in ("VNETLAB_SOCK", "VNETLAB_NS", "VNETLAB_SYSDIR", "VNETLAB_HOST_NETNS_FD"):
        env.pop(k, None)
    env.update(extra_env or {})
    if capture:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                              pass_fds=pass_fds)
    return subprocess.run(argv, timeout=timeout, env=env, pass_fds=pass_fds).returncode


# -- safety: a lab never names the host's own interfaces ------------------------------------------
# The sandbox already makes host changes impossible; this check turns what would be a confusing
# "Cannot find device" inside a node into a clear refusal before anything is built.
_DEV_KEYWORDS = {"dev", "link", "master", "oif", "iif", "iifname", "oifname", "lowerdev"}
_PER_NETNS = {"lo", "all", "default", "tunl0", "gre0", "gretap0", "erspan0", "ip_vti0",
              "ip6tnl0", "sit0", "ip6gre0", "ip6_vti0", "ip6gretap0", "bond0"}
_CONF = re.compile(r"(?:^|[./])net[./]ipv[46][./](?:conf|neigh)[./]([^./=\s]+)[./]")
_NSENTER_HOST = re.compile(r"(?:^|\s)(?:-t\s*|--target[=\s]+)1(?:\s|$)|/proc/1/ns/")


def host_interfaces() -> set[str]:
    """Interface names of the network namespace vnetlab was started in (the host's)."""
    try:
        return {name for _, name in socket.if_nameindex()}
    except OSError:
        return set()


def host_netns_names() -> set[str]:
    try:
        return set(os.listdir("/run/netns"))
    except OSError:
        return set()


def _lab_objects(model) -> tuple[set[str], set[str]]:
    """(interface names the lab makes, namespace names it makes)."""
    from ..lab.model import VethLink
    ifs: set[str] = set()
    for link in model.links:
        eps = link.ends() if isinstance(link, VethLink) else (link.nic(),)
        ifs.update(ep.ifname for ep in eps)
    ifs.update(a.name for a in model.attach)
    netns = set(model.nodes) | {f"vnlsw-{s}" for s in model.switches()}
    for node in model.nodes.values():
        for line in node.setup:
            argv = _split(line)
            for i, tok in enumerate(argv[:-1]):
                nxt = argv[i + 1]
                if tok in ("name", "add") and not nxt.startswith("-") and \
                        nxt not in ("link", "dev", "name"):
                    ifs.add(nxt)                     # ip link add [name] X, peer name X
                elif tok == "dev" and i > 0 and argv[i - 1] == "add":
                    ifs.add(nxt)                     # ip tuntap add dev X
                elif argv[:2] == ["ip", "netns"] and tok == "add":
                    netns.add(nxt)
    return ifs, netns


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line, comments=True)
    except ValueError:
        return []


def _named_devices(argv: list[str]) -> list[str]:
    """Interface names a command line refers to (not the ones it creates)."""
    out = []
    tool = os.path.basename(argv[0]) if argv else ""
    for i, tok in enumerate(argv[:-1]):
        if tok in _DEV_KEYWORDS and tool in ("ip", "tc", "bridge", "ping", "tcpdump", "arping"):
            if tok == "link" and i > 0 and argv[i - 1] in ("ip", "-n") or \
                    tok == "link" and (i == 1 or argv[i - 1].startswith("-")):
                continue                             # 'ip link ...': the object, not a device
            out.append(argv[i + 1])
    for tok in argv:
        out += _CONF.findall(tok)
    if tool == "ip":
        words = [a for a in argv[1:] if not a.startswith("-")]
        # ip link set|show|del X / ip link set dev X
        if len(words) >= 3 and words[0] in ("link", "l", "li", "lin") and \
                words[1] in ("set", "show", "del", "delete", "list", "s") and \
                words[2] not in ("dev", "up", "down"):
            out.append(words[2])
    if tool in ("ifconfig", "ethtool") and len(argv) > 1 and not argv[1].startswith("-"):
        out.append(argv[1].split(":")[0])
    if tool in ("ping", "tcpdump", "arping"):
        for i, tok in enumerate(argv[:-1]):
            if tok in ("-I", "-i"):
                out.append(argv[i + 1])
    return out


def _named_netns(argv: list[str]) -> list[str]:
    out = []
    for i, tok in enumerate(argv[:-1]):
        if tok in ("-n", "-netns", "--netns", "netns") and argv[i + 1] not in ("exec", "add",
                                                                                 "del", "list"):
            out.append(argv[i + 1])
        if tok == "exec" and i > 0 and argv[i - 1] == "netns":
            out.append(argv[i + 1])
    return out


def host_refusals(model, host_ifs: set[str] | None = None,
                  host_netns: set[str] | None = None) -> list[str]:
    """Problems (one message each) of a lab whose setup or check lines name the host's own
    interfaces or namespaces, or whose ``attach`` names a host device that does not exist.
    Empty: the lab may be built."""
    from ..lab.load import where
    from ..lab.model import check_kind
    host_ifs = host_interfaces() if host_ifs is None else host_ifs
    host_netns = host_netns_names() if host_netns is None else host_netns
    ifs, netns = _lab_objects(model)
    attached = {a.host for a in model.attach}
    out = []
    lines = [(where(model, "nodes", n, "setup", i), f"nodes.{n}.setup[{i}]", n, line)
             for n, node in model.nodes.items() for i, line in enumerate(node.setup)]
    for i, chk in enumerate(model.checks):
        if check_kind(chk) == "exec":
            lines.append((where(model, "checks", i), f"checks[{i}].exec", chk.exec.node,
                          chk.exec.cmd))
    for loc, key, node, line in lines:
        argv = _split(line)
        if not argv:
            continue
        if os.path.basename(argv[0]) == "nsenter" and _NSENTER_HOST.search(" ".join(argv)):
            out.append(f"{loc}: {key}: {line!r} enters the host's namespaces (pid 1): the "
                       f"linux backend never touches the host; a lab runs only in its own "
                       f"namespaces")
            continue
        for ns in _named_netns(argv):
            if ns in host_netns and ns not in netns:
                out.append(f"{loc}: {key}: {line!r} names netns {ns}, a network namespace of "
                           f"the host, not of this lab (nodes: {', '.join(model.nodes)}): the "
                           f"linux backend never touches the host's namespaces")
        for dev in dict.fromkeys(_named_devices(argv)):
            if dev in host_ifs and dev not in ifs and dev not in _PER_NETNS:
                hint = ("it is attached, but by the name " + next(
                    a.name for a in model.attach if a.host == dev) + " inside node " + next(
                    a.node for a in model.attach if a.host == dev) + "; use that name") \
                    if dev in attached else (
                    f"to use it, attach it explicitly and use the new device: "
                    f"attach: [{{host: {dev}, node: {node}, type: macvlan, mode: bridge, "
                    f"name: mv0}}] (a macvlan/macvtap/ipvlan on {dev} created directly "
                    f"inside {node}; the host's own device list does not change)")
                out.append(f"{loc}: {key}: {line!r} names {dev}, an interface of the host, "
                           f"not of this lab: the linux backend refuses to touch the host's "
                           f"own interfaces, addresses, routes or sysctls (inside node {node} "
                           f"there is no {dev}); {hint}")
    for i, a in enumerate(model.attach):
        if a.host not in host_ifs:
            out.append(f"{where(model, 'attach', i)}: attach[{i}].host: the host has no "
                       f"interface {a.host}")
    return out
