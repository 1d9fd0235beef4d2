"""One user-space TUN/TAP API over two backends: the emulator and the real ``/dev/net/tun``.

    from vnetlab.tuntap import EmuBackend, LinuxBackend, open_tun

    be = EmuBackend()                    # or LinuxBackend() (root; real kernel, current netns)
    tun = open_tun("tun0", "tun", backend=be, ns="a")
    be.run(["ip", "addr", "add", "10.0.0.1", "peer", "10.0.0.2", "dev", "tun0"], ns="a")
    tun.on_readable(lambda: ...)         # called when a packet can be read (both backends)
    pkt = tun.read(2048); tun.write(reply); tun.close()

``open_tun(name, mode="tun"|"tap", flags=..., backend=..., ns=...)`` does what a C program does:
open ``/dev/net/tun`` and TUNSETIFF (``IFF_NO_PI`` unless ``pi=True``; ``vnet_hdr``,
``multi_queue``, ``no_carrier`` map to their IFF_ bits; ``flags`` overrides them all). The handle
(``TunHandle``) has ``read(n)``, ``write(buf)``, ``fileno()`` (real backend only), ``close()``,
``name``, ``flags``, the ioctls ``set_persist / set_owner / set_group / set_carrier /
set_queue``, ``on_readable(cb)``, and ``await aread(n)`` / ``await awrite(buf)`` for asyncio.

Backends:

* ``EmuBackend(lab=None)``: a ``vnetlab.api.Lab``; ``ns`` names an emulated netns (created on
  first use; None = the initial one). The file is the emulated device's ``TunFile``. Time is
  virtual: a blocking ``read`` runs the emulator until a packet is queued; when the emulator has
  nothing left to do it raises ``TimeoutError`` instead of hanging forever ([EMU]); a device
  deleted under a blocked reader gives EFAULT (TUN-IO-05). ``on_readable`` callbacks run inside
  the emulator, at the virtual instant the packet is queued, so a responder written as a callback
  answers within the same run. ``run(argv, ns=)`` runs one of the emulator's tools.
* ``LinuxBackend()``: the real kernel; TUNSETIFF through ``fcntl.ioctl``. ``ns`` names a netns
  of ``ip netns`` (the file is opened inside it with ``setns``, then the thread returns to its own
  netns: the device stays where it was made); None = the caller's netns. ``run(argv, ns=)``
  runs the real tool (``ip netns exec NS ...``) under an asyncio loop that serves every
  ``on_readable`` callback while the tool runs - so the same callback code serves both
  backends. Needs CAP_NET_ADMIN (root) to create devices.

Nothing here runs at import time; the emulator core stays pure (this module is outside it).
"""

from __future__ import annotations

import asyncio
import errno
import os
import struct

from .devices.tuntap import (IFF_MULTI_QUEUE, IFF_NO_CARRIER, IFF_NO_PI, IFF_TAP, IFF_TUN,
                             IFF_VNET_HDR)

__all__ = ["open_tun", "EmuBackend", "LinuxBackend", "TunHandle", "EmuTun", "RealTun",
           "tun_flags", "IFF_TUN", "IFF_TAP", "IFF_NO_PI", "IFF_VNET_HDR", "IFF_MULTI_QUEUE",
           "IFF_NO_CARRIER"]

# _IOW('T', n, int) and friends (include/uapi/linux/if_tun.h)
TUNSETIFF = 0x400454CA
TUNSETPERSIST = 0x400454CB
TUNSETOWNER = 0x400454CC
TUNSETGROUP = 0x400454CE
TUNGETIFF = 0x800454D2
TUNSETVNETHDRSZ = 0x400454D8
TUNSETQUEUE = 0x400454D9
TUNSETCARRIER = 0x400454E2
CLONE_NEWNET = 0x40000000
_IFREQ = "16sH22x"


def tun_flags(mode: str = "tun", *, pi: bool = False, vnet_hdr: bool = False,
              multi_queue: bool = False, no_carrier: bool = False) -> int:
    if mode not in ("tun", "tap"):
        raise ValueError(f"mode must be 'tun' or 'tap', not {mode!r}")
    f = IFF_TUN if mode == "tun" else IFF_TAP
    if not pi:
        f |= IFF_NO_PI
    if vnet_hdr:
        f |= IFF_VNET_HDR
    if multi_queue:
        f |= IFF_MULTI_QUEUE
    if no_carrier:
        f |= IFF_NO_CARRIER
    return f


def _oserror(e) -> OSError:
    """A KernelError as the OSError a real syscall raises (same errno)."""
    err = e.errno
    if err in (errno.EAGAIN,):
        return BlockingIOError(err, os.strerror(err))
    return OSError(err, os.strerror(err))


class TunHandle:
    """What open_tun() returns; see the module docstring."""

    name: str
    flags: int

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# =============================================================================================
# emulator backend
# =============================================================================================

class EmuTun(TunHandle):
    """An emulated tun file (``vnetlab.devices.tuntap.TunFile``) behind the common API."""

    def __init__(self, backend: "EmuBackend", tfile, name: str, flags: int, nonblock: bool):
        self.backend = backend
        self.file = tfile
        self.name = name
        self.flags = flags
        self.nonblock = nonblock
        self._cb = None
        self._pending = False

    def fileno(self) -> int:
        import io
        raise io.UnsupportedOperation("an emulated tun file has no file descriptor")

    def read(self, n: int = 65536, timeout: float | None = None) -> bytes:
        from .stack.errors import KernelError
        f = self.file
        try:
            if self.nonblock or f.readable or n <= 0 or self.backend.depth:
                return f.read(n)            # inside the emulator a read cannot block
            self._wait(timeout)
            return f.read(n)
        except KernelError as e:
            raise _oserror(e) from None

    def _wait(self, timeout: float | None) -> None:
        """Run the emulator until the file is readable (a blocking read in virtual time)."""
        eng = self.backend.lab.engine
        f = self.file
        stop = None if timeout is None else eng.now + int(timeout * 1e9)
        if f.tun is None:
            return                              # read() raises EBADFD
        while not f.readable:
            if f.gone:
                raise OSError(errno.EFAULT, os.strerror(errno.EFAULT))
            eng.run_now()
            if f.readable or f.gone:
                continue
            nxt = eng.next_deadline()
            if nxt is None or (stop is not None and nxt > stop):
                if stop is not None:
                    eng.run_until(stop)
                raise TimeoutError("the emulator is idle: no packet will reach this tun file")
            eng.run_until(nxt)
        if f.gone:
            raise OSError(errno.EFAULT, os.strerror(errno.EFAULT))

    def write(self, buf) -> int:
        from .stack.errors import KernelError
        try:
            n = self.file.write(buf)
        except KernelError as e:
            raise _oserror(e) from None
        if not self.backend.depth:
            self.backend.lab.engine.run_now()   # the backlog: what the kernel does at once
        return n

    async def aread(self, n: int = 65536) -> bytes:
        return self.read(n)

    async def awrite(self, buf) -> int:
        return self.write(buf)

    def on_readable(self, cb) -> None:
        """Call ``cb()`` whenever a packet is queued (inside the emulator); None removes it."""
        self._cb = cb
        if cb is None:
            self.file.on_readable = None
        else:
            self.file.on_readable = self._wake

    def _wake(self, _f) -> None:
        """The reader is woken: it runs after the current kernel work, as a process would."""
        if not self._pending:
            self._pending = True
            self.backend.lab.engine.call_soon(self._fire)

    def _fire(self) -> None:
        self._pending = False
        cb = self._cb
        if cb is None:
            return
        be = self.backend
        be.depth += 1
        try:
            cb()
        finally:
            be.depth -= 1

    def _ioctl(self, fn, *args):
        from .stack.errors import KernelError
        try:
            return fn(*args)
        except KernelError as e:
            raise _oserror(e) from None

    def set_persist(self, on: bool = True) -> None:
        self._ioctl(self.file.set_persist, on)

    def set_owner(self, uid: int) -> None:
        self._ioctl(self.file.set_owner, uid)

    def set_group(self, gid: int) -> None:
        self._ioctl(self.file.set_group, gid)

    def set_carrier(self, on: bool) -> None:
        self._ioctl(self.file.set_carrier, on)

    def set_queue(self, attach: bool) -> None:
        from .devices.tuntap import IFF_ATTACH_QUEUE, IFF_DETACH_QUEUE
        self._ioctl(self.file.set_queue, IFF_ATTACH_QUEUE if attach else IFF_DETACH_QUEUE)

    def get_iff(self) -> tuple[str, int]:
        return self._ioctl(self.file.get_iff)

    def close(self) -> None:
        self.file.on_readable = None
        self._cb = None
        self.file.close()
        if not self.backend.depth:
            self.backend.lab.engine.run_now()


class EmuBackend:
    """The emulator: one ``Lab``; netns by name."""

    name = "emu"

    def __init__(self, lab=None):
        if lab is None:
            from .api import Lab
            lab = Lab()
        self.lab = lab
        self.depth = 0          # > 0 while an on_readable callback runs inside the emulator

    def netns(self, ns):
        if ns is None or ns == "":
            return self.lab.kernel.init_ns
        if isinstance(ns, str):
            return self.lab.netns(ns)
        return ns

    def open_tun(self, name: str = "", flags: int = IFF_TUN | IFF_NO_PI, ns=None,
                 nonblock: bool = False) -> EmuTun:
        from .devices.tuntap import open_tun_file
        from .stack.errors import KernelError
        f = open_tun_file(self.netns(ns), nonblock)
        try:
            got = f.set_iff(name, flags)
        except KernelError as e:
            f.close()
            raise _oserror(e) from None
        self.lab.engine.run_now()
        return EmuTun(self, f, got, flags, nonblock)

    def run(self, argv: list[str], ns=None, stdin: str = "") -> tuple[int, str, str]:
        """One of the emulator's tools (``ip``, ``ping``, ...) in netns ``ns``."""
        from .commands import run
        return run(self.lab, list(argv), ns=self.netns(ns) if ns else None, stdin=stdin)

    def add_netns(self, name: str) -> str:
        self.lab.netns(name)
        return name

    def del_netns(self, name: str) -> None:
        if name in self.lab.kernel.named:
            self.lab.netns_del(name)

    def close(self) -> None:
        pass


# =============================================================================================
# real backend
# =============================================================================================

def _libc():
    import ctypes
    import ctypes.util
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _setns(fd: int) -> None:
    import ctypes
    if hasattr(os, "setns"):
        os.setns(fd, CLONE_NEWNET)
        return
    if _libc().setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


class RealTun(TunHandle):
    """A real /dev/net/tun file descriptor with TUNSETIFF done."""

    def __init__(self, backend: "LinuxBackend", fd: int, name: str, flags: int, nonblock: bool):
        self.backend = backend
        self.fd = fd
        self.name = name
        self.flags = flags
        self.nonblock = nonblock
        self._cb = None

    def fileno(self) -> int:
        return self.fd

    def read(self, n: int = 65536) -> bytes:
        return os.read(self.fd, n)

    def write(self, buf) -> int:
        return os.write(self.fd, buf)

    async def aread(self, n: int = 65536) -> bytes:
        loop = asyncio.get_running_loop()
        while True:
            try:
                return os.read(self.fd, n)
            except BlockingIOError:
                pass
            fut = loop.create_future()
            loop.add_reader(self.fd, lambda: fut.done() or fut.set_result(None))
            try:
                await fut
            finally:
                loop.remove_reader(self.fd)

    async def awrite(self, buf) -> int:
        return os.write(self.fd, buf)

    def on_readable(self, cb) -> None:
        """Call ``cb()`` whenever the fd is readable, while ``backend.run()`` (or any asyncio
        loop the backend serves) is running; None removes it."""
        self._cb = cb
        if cb is None:
            self.backend._readers.pop(self.fd, None)
        else:
            self.backend._readers[self.fd] = (self, cb)

    def _ioctl(self, req: int, arg) -> bytes | int:
        import fcntl
        return fcntl.ioctl(self.fd, req, arg)

    def set_persist(self, on: bool = True) -> None:
        self._ioctl(TUNSETPERSIST, 1 if on else 0)

    def set_owner(self, uid: int) -> None:
        self._ioctl(TUNSETOWNER, uid - (1 << 32) if uid >= 1 << 31 else uid)

    def set_group(self, gid: int) -> None:
        self._ioctl(TUNSETGROUP, gid - (1 << 32) if gid >= 1 << 31 else gid)

    def set_carrier(self, on: bool) -> None:
        self._ioctl(TUNSETCARRIER, struct.pack("i", 1 if on else 0))

    def set_queue(self, attach: bool) -> None:
        self._ioctl(TUNSETQUEUE, struct.pack(_IFREQ, b"", 0x0200 if attach else 0x0400))

    def get_iff(self) -> tuple[str, int]:
        r = self._ioctl(TUNGETIFF, struct.pack(_IFREQ, b"", 0))
        name, flags = struct.unpack(_IFREQ, r)
        return name.rstrip(b"\0").decode(), flags

    def close(self) -> None:
        if self.fd >= 0:
            self.backend._readers.pop(self.fd, None)
            os.close(self.fd)
            self.fd = -1


class LinuxBackend:
    """The real kernel, through /dev/net/tun and the real tools."""

    name = "linux"

    def __init__(self):
        self._readers: dict = {}
        self._made: list[str] = []

    def open_tun(self, name: str = "", flags: int = IFF_TUN | IFF_NO_PI, ns=None,
                 nonblock: bool = False) -> RealTun:
        import fcntl
        own = None
        if ns:
            own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
            target = os.open(f"/run/netns/{ns}", os.O_RDONLY)
            try:
                _setns(target)
            finally:
                os.close(target)
        try:
            fd = os.open("/dev/net/tun", os.O_RDWR | (os.O_NONBLOCK if nonblock else 0))
            try:
                r = fcntl.ioctl(fd, TUNSETIFF, struct.pack(_IFREQ, name.encode(), flags))
            except OSError:
                os.close(fd)
                raise
        finally:
            if own is not None:
                _setns(own)
                os.close(own)
        got = struct.unpack(_IFREQ, r)[0].rstrip(b"\0").decode()
        return RealTun(self, fd, got, flags, nonblock)

    def run(self, argv: list[str], ns=None, stdin: str = "") -> tuple[int, str, str]:
        """Run the real tool (in ``ip netns exec NS`` when ``ns``) while serving the
        on_readable callbacks of this backend's tun files."""
        if ns:
            argv = ["ip", "netns", "exec", ns] + list(argv)
        return asyncio.run(self._run(list(argv), stdin))

    async def _run(self, argv: list[str], stdin: str):
        loop = asyncio.get_running_loop()
        served = []
        for fd, ent in list(self._readers.items()):
            if ent is None:
                continue
            handle, cb = ent
            if handle.nonblock is False:
                os.set_blocking(fd, False)
                handle.nonblock = True
            loop.add_reader(fd, cb)
            served.append(fd)
        try:
            p = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE)
            out, err = await p.communicate(stdin.encode())
        finally:
            for fd in served:
                loop.remove_reader(fd)
        return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")

    def add_netns(self, name: str) -> str:
        import subprocess
        subprocess.run(["ip", "netns", "add", name], check=True)
        self._made.append(name)
        return name

    def del_netns(self, name: str) -> None:
        import subprocess
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
        if name in self._made:
            self._made.remove(name)

    def close(self) -> None:
        for name in list(self._made):
            self.del_netns(name)


def open_tun(name: str = "", mode: str = "tun", *, flags: int | None = None, pi: bool = False,
             vnet_hdr: bool = False, multi_queue: bool = False, no_carrier: bool = False,
             nonblock: bool = False, backend=None, ns=None) -> TunHandle:
    """Open /dev/net/tun and attach to (or create) ``name``; see the module docstring.
    ``backend``: an EmuBackend / LinuxBackend, a ``Lab`` (emulator), "emu" or "linux"."""
    if flags is None:
        flags = tun_flags(mode, pi=pi, vnet_hdr=vnet_hdr, multi_queue=multi_queue,
                          no_carrier=no_carrier)
    if backend is None or backend == "emu":
        backend = EmuBackend()
    elif backend == "linux":
        backend = LinuxBackend()
    elif not isinstance(backend, (EmuBackend, LinuxBackend)):
        backend = EmuBackend(backend)           # a Lab
    return backend.open_tun(name, flags, ns=ns, nonblock=nonblock)
