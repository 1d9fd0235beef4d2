"""The hybrid bridge: an emulated device wired to a real TAP device (like ns-3's TapBridge).

Real programs on the host (the real ``ping``, ``curl``, a browser) reach emulated hosts through a
real TAP device, and emulated programs reach the real kernel; the emulator runs in real-time
mode while the bridge is served.

Python API::

    from vnetlab.api import Lab
    from vnetlab.backends.hybrid import Hybrid

    lab = Lab()
    hy = Hybrid(lab)
    br = hy.attach("a", "eth0", "vtap0", real_netns="vnlt-x")   # emulated a:eth0 <-> real vtap0
    lab.add_addr("eth0", "10.77.0.2/24", ns="a"); lab.set_link("eth0", ns="a", up=True)
    hy.run(until=lambda: proc.poll() is not None, timeout=20)     # serve in real time
    hy.close()

Semantics, exactly:

* ``Hybrid.attach(ns, dev, tap_name, real_netns=None, mac=None)`` (also the module function
  ``attach(lab, ns, dev, tap_name, real_netns=None)``, which does not serve anything by itself):
  in the emulator, creates netns ``ns`` if missing (``None`` / ``""`` = the initial netns) and in
  it ``dev``, a host link (``vnetlab.devices.hostlink``: a plain Ethernet device, DOWN, no
  address, carrier on once attached); ``dev`` must not exist yet (EEXIST). On the real kernel,
  opens ``/dev/net/tun`` and TUNSETIFF ``tap_name`` with IFF_TAP|IFF_NO_PI, non-blocking, inside
  ``real_netns`` - ``None``: the caller's own netns; a name: ``/run/netns/NAME`` of ``ip netns``;
  a path (``/proc/PID/ns/net``) or an open netns fd - then the thread returns to its own netns
  (the TAP stays where it was made). The TAP is not persistent: it disappears when the bridge is
  closed or the process exits. Its address, state and routes are the caller's business (real
  ``ip``); the emulated device's are the script's (emulated ``ip``). Root (CAP_NET_ADMIN in that
  netns) is needed.
* Frames: each frame the real kernel sends out of the TAP is read from the fd and handed to the
  host link's ``deliver()`` at the engine's current time, after the engine has caught up with the
  wall clock; the engine then processes it at once. Every frame the emulator sends through the
  host link (``outbox``) is written to the TAP after each engine step. No filtering, no
  rewriting: the two MAC addresses are the TAP's and the host link's own (ARP resolves them).
  A frame the kernel refuses (EIO while the TAP is down, EINVAL) is counted in
  ``TapBridge.tx_errors`` and dropped.
* Time: ``Hybrid.run(until=None, timeout=None)`` runs the engine in real-time mode - its clock
  follows the wall clock from where it stands (``now`` never jumps back), timers fire when their
  time comes, work runs as fast as the CPU allows - and waits in ``select()`` for a TAP fd to be
  readable or the engine's next timer, whichever comes first. It returns True when ``until()``
  became true, False when ``timeout`` (wall seconds) ran out; ``step(max_wait)`` does one round.
  Between two ``run`` calls the clock keeps following the wall clock.

Under ``vnetlab sh`` (``--attach TAPNAME=[NS:]DEV``, repeatable; root only; emulator only, real
time only): before the script starts, the emulated device DEV is created in NS (created if
missing; empty = the initial netns) as above, and the real TAP TAPNAME in the sandbox network
namespace the script runs in (the bash of ``vnetlab sh`` always runs in a fresh network namespace
of its own; here that namespace is made by this module so the TAP can be created in it before
bash starts). The script reaches the real side with the real tools by absolute path (the plain
names are the emulator's shims)::

    ip -n a addr add 10.77.0.2/24 dev eth0; ip -n a link set eth0 up      # emulated
    /usr/sbin/ip addr add 10.77.0.1/24 dev tap0; /usr/sbin/ip link set tap0 up   # real
    /usr/bin/ping -c 3 10.77.0.2                                           # real -> emulated
    ip netns exec a ping -c 3 10.77.0.1                                    # emulated -> real

Because NS exists before the script starts, the script must not ``ip netns add NS`` again (that
fails with "File exists", as on the kernel). The TAP and the sandbox namespace disappear when the
run ends; the host's own links, addresses and routes are never touched.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import time

from ..devices.hostlink import HostLink, add_hostlink
from ..tuntap import CLONE_NEWNET, IFF_NO_PI, IFF_TAP, LinuxBackend, _libc, _setns

__all__ = ["Hybrid", "TapBridge", "attach", "in_netns", "new_netns", "parse_attach",
           "popen_in_sandbox"]

READ_BATCH = 64          # frames read from one TAP per wake-up, so timers keep their pace


# ---------------------------------------------------------------------------------------------
# network namespaces of the real kernel
# ---------------------------------------------------------------------------------------------

def _open_netns(target) -> tuple[int, bool]:
    """An fd for ``target`` (name, path or fd) and whether we opened it."""
    if isinstance(target, int):
        return target, False
    path = target if "/" in target else f"/run/netns/{target}"
    return os.open(path, os.O_RDONLY), True


@contextlib.contextmanager
def in_netns(target):
    """Run the block with this thread in the real netns ``target`` (None: stay where we are)."""
    if target is None or target == "":
        yield
        return
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        fd, opened = _open_netns(target)
        try:
            _setns(fd)
        finally:
            if opened:
                os.close(fd)
        try:
            yield
        finally:
            _setns(own)
    finally:
        os.close(own)


@contextlib.contextmanager
def new_netns():
    """Run the block with this thread in a brand-new real network namespace (unshare(2)
    CLONE_NEWNET); yields an fd for it (closed on exit). Processes started inside the block are
    born in it. The thread returns to its own netns afterwards, even on error."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        if hasattr(os, "unshare"):
            os.unshare(CLONE_NEWNET)
        else:
            import ctypes
            if _libc().unshare(CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, os.strerror(e))
        try:
            fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
            try:
                yield fd
            finally:
                os.close(fd)
        finally:
            _setns(own)
    finally:
        os.close(own)


# ---------------------------------------------------------------------------------------------
# the bridge: one host link <-> one real TAP
# ---------------------------------------------------------------------------------------------

class TapBridge:
    """A host link and the real TAP fd behind it. ``pump()`` moves TAP -> emulator,
    ``flush()`` emulator -> TAP; neither runs the engine."""

    def __init__(self, dev: HostLink, tap):
        self.dev = dev
        self.tap = tap
        self.name = tap.name
        self.rx_frames = 0          # real -> emulated, delivered
        self.tx_frames = 0          # emulated -> real, written
        self.tx_errors = 0          # refused by the real TAP
        self.woken = False
        dev.attach(self._wake)

    def _wake(self) -> None:
        self.woken = True            # called from inside the engine: only note it

    def fileno(self) -> int:
        return self.tap.fileno()

    def pump(self, limit: int = READ_BATCH) -> int:
        """Read up to ``limit`` frames from the TAP and deliver each to the host link."""
        n = 0
        fd = self.tap.fileno()
        while n < limit:
            try:
                frame = os.read(fd, 65536)
            except BlockingIOError:
                break
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EINTR):
                    break
                raise
            if not frame:
                break
            n += 1
            if self.dev.deliver(frame):
                self.rx_frames += 1
        return n

    def flush(self) -> int:
        """Write what the host link sent to the TAP."""
        self.woken = False
        frames = self.dev.take()
        fd = self.tap.fileno()
        for frame in frames:
            try:
                os.write(fd, frame)
                self.tx_frames += 1
            except OSError:
                self.tx_errors += 1
        return len(frames)

    def close(self) -> None:
        self.dev.detach()
        self.tap.close()


def attach(lab, ns, dev: str, tap_name: str, real_netns=None, mac: bytes | None = None
           ) -> TapBridge:
    """Create host link ``dev`` in emulated netns ``ns`` and the real TAP ``tap_name`` in real
    netns ``real_netns``, wired together (see the module docstring). Nothing is served yet."""
    kernel = lab.kernel
    ens = lab.netns(ns) if ns else kernel.init_ns
    hl = add_hostlink(kernel, ens, dev, mac)
    try:
        with in_netns(real_netns):
            tap = LinuxBackend().open_tun(tap_name, IFF_TAP | IFF_NO_PI, nonblock=True)
    except BaseException:
        kernel.unregister_many([hl])
        raise
    br = TapBridge(hl, tap)
    lab.engine.run_now()
    return br


class Hybrid:
    """The real-time driver of one Lab and its TAP bridges (see the module docstring)."""

    def __init__(self, lab, clock=time.monotonic_ns):
        self.lab = lab
        self.engine = lab.engine
        self.clock = clock
        self.bridges: list[TapBridge] = []
        self._base: int | None = None
        self._sel = selectors.DefaultSelector()

    def attach(self, ns, dev: str, tap_name: str, real_netns=None, mac: bytes | None = None
               ) -> TapBridge:
        br = attach(self.lab, ns, dev, tap_name, real_netns, mac)
        self.bridges.append(br)
        self._sel.register(br.fileno(), selectors.EVENT_READ, br)
        return br

    # -- time ----------------------------------------------------------------------------------
    def wall_ns(self) -> int:
        """The engine time that corresponds to the wall clock now."""
        t = self.clock()
        if self._base is None:
            self._base = self.engine.now - t
        return t + self._base

    def advance(self) -> None:
        """Catch the engine up with the wall clock, then write what it sent."""
        eng = self.engine
        eng.run_until(max(eng.now, self.wall_ns()))
        for br in self.bridges:
            br.flush()

    # -- serving -------------------------------------------------------------------------------
    def step(self, max_wait: float = 0.05) -> None:
        """One round: wait for a TAP frame or the next timer (at most ``max_wait`` s), deliver
        what arrived at the current engine time, run what is due, write what was sent."""
        self.advance()
        timeout = max_wait
        nxt = self.engine.next_deadline()
        if nxt is not None:
            timeout = max(0.0, min(timeout, (nxt - self.wall_ns()) / 1e9))
        ready = self._sel.select(timeout) if self.bridges else []
        if not self.bridges and timeout > 0:
            time.sleep(timeout)
        if ready:
            self.advance()                  # the frames arrive now, not at the last step
            for key, _ in ready:
                key.data.pump()
        self.advance()

    def run(self, until=None, timeout: float | None = None) -> bool:
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            if until is not None and until():
                return True
            if end is not None and time.monotonic() >= end:
                return False
            wait = 0.05 if end is None else max(0.0, min(0.05, end - time.monotonic()))
            self.step(wait)
            if until is None and self.engine.idle and not self.bridges:
                return True

    def close(self) -> None:
        for br in self.bridges:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._sel.unregister(br.fileno())
            br.close()
        self.bridges = []
        self._sel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------
# vnetlab sh --attach
# ---------------------------------------------------------------------------------------------

def parse_attach(spec: str) -> tuple[str, str, str]:
    """``TAPNAME=[NS:]DEV`` -> (tap, ns, dev); ValueError with the reason otherwise."""
    tap, sep, rest = spec.partition("=")
    if not sep or not tap or not rest:
        raise ValueError(f"--attach {spec!r}: expected TAPNAME=[NS:]DEV")
    ns, _, dev = rest.rpartition(":")
    if not dev:
        raise ValueError(f"--attach {spec!r}: no device name after ':'")
    for what, name in (("TAPNAME", tap), ("DEV", dev)):
        if len(name.encode()) > 15 or "/" in name or any(c.isspace() for c in name) \
                or name in (".", ".."):
            raise ValueError(f"--attach {spec!r}: {what} {name!r} is not a valid device name")
    return tap, ns, dev


def popen_in_sandbox(lab, specs, argv: list[str], env: dict):
    """Start the script of ``vnetlab sh`` (``argv``, an ``unshare ... --net ...`` command line)
    in a network namespace made here, after creating the attachments ``specs`` ((tap, ns, dev)
    triples) in it; ``--net`` is removed from ``argv`` since the namespace already exists.
    Returns (Popen, [TapBridge...])."""
    import subprocess
    if os.geteuid() != 0:
        raise SystemExit("vnetlab sh --attach: needs root (a TAP device is created in the "
                         "script's sandbox network namespace)")
    if not os.path.exists("/dev/net/tun"):
        raise SystemExit("vnetlab sh --attach: this host has no /dev/net/tun")
    argv = [a for a in argv if a != "--net"]
    from ..stack.errors import KernelError
    bridges: list[TapBridge] = []
    try:
        with new_netns():
            for tap, ns, dev in specs:
                try:
                    bridges.append(attach(lab, ns, dev, tap))
                except (KernelError, OSError) as e:
                    where = f"{ns}:{dev}" if ns else dev
                    raise SystemExit(f"vnetlab sh --attach {tap}={where}: "
                                     f"{os.strerror(e.errno) if e.errno else e}") from None
            proc = subprocess.Popen(argv, env=env)
    except BaseException:
        for br in bridges:
            br.close()
        raise
    return proc, bridges
