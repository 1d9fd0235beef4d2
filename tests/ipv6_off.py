"""The emulator side of "this host netns has IPv6 disabled".

Tests that compare the emulator with a host kernel (or with goldens) recorded with
``sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1`` run in each
netns right after it was created make the emulated netns do exactly the same, through the same
command layer. A kernel built without IPv6 (``Kernel(ipv6=False)``) has no net.ipv6 keys: there is
nothing to disable and the call does nothing.
"""

from __future__ import annotations

ARGV = ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]


def disable_ipv6(lab, ns=None) -> None:
    """``sysctl -qw net.ipv6.conf.{all,default}.disable_ipv6=1`` in emulated netns ``ns``."""
    if not lab.kernel.ipv6_enabled:
        return
    from vnetlab.commands import run
    rc, out, err = run(lab, list(ARGV), ns=ns)
    assert rc == 0, f"sysctl disable_ipv6 failed in {ns!r}: {err}"


def lab_without_ipv6(**kw):
    """A ``vnetlab.api.Lab`` whose every netns (the initial one now, each new one as
    ``lab.netns(NAME)`` creates it) runs ``disable_ipv6`` before any device of the test exists:
    the emulator side of a host test whose namespaces all start with that sysctl."""
    from vnetlab.api import Lab

    class LabIPv6Off(Lab):
        def netns(self, name):
            new = name not in self.kernel.named
            ns = super().netns(name)
            if new:
                disable_ipv6(self, name)
            return ns

    lab = LabIPv6Off(**kw)
    disable_ipv6(lab, None)
    return lab
