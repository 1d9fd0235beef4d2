"""The linux backend for scripts: the real tools on the real kernel, inside a throwaway sandbox.

The script runs in new mount and network namespaces (plus a user namespace when not root) with a
private tmpfs on /run/netns, so ``ip netns add`` creates namespaces that only the sandbox can see,
sysctl writes reach only the sandbox's network namespaces, and nothing it does can change the
host's own links, addresses, routes, sysctls or named namespaces. When the sandbox's processes
end - normally or killed - the kernel frees every namespace it made.
"""

from __future__ import annotations

import os
import shutil
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
               timeout: float | None = None):
    """Run ``bash script args`` in the sandbox. Returns the exit status, or the
    CompletedProcess when ``capture`` is set."""
    argv = sandbox_prefix() + ["sh", "-c", PROLOGUE, "vnetlab-sandbox", script] + list(args)
    env = dict(os.environ)
    for k in ("VNETLAB_SOCK", "VNETLAB_NS", "VNETLAB_SYSDIR"):
        env.pop(k, None)
    if capture:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    return subprocess.run(argv, timeout=timeout, env=env).returncode
