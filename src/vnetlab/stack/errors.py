"""Errors the emulated kernel returns, carrying the kernel's errno (and extack text when the kernel
has one). Nothing here prints: the command layer turns these into iproute2's messages."""

from __future__ import annotations

import errno as _errno


class KernelError(OSError):
    """A request the kernel refused: ``errno`` is the kernel's (positive) errno value.

    ``extack`` is the extended-ack message the kernel attaches (``Error: ...`` in iproute2), or None.
    """

    def __init__(self, err: int, extack: str | None = None):
        super().__init__(err, _errno.errorcode.get(err, str(err)))
        self.extack = extack

    def __str__(self) -> str:  # pragma: no cover - for debugging
        name = _errno.errorcode.get(self.errno, str(self.errno))
        return f"{name}: {self.extack}" if self.extack else name


EEXIST = _errno.EEXIST
ENODEV = _errno.ENODEV
EINVAL = _errno.EINVAL
EADDRINUSE = _errno.EADDRINUSE
EADDRNOTAVAIL = _errno.EADDRNOTAVAIL
EBUSY = _errno.EBUSY
ENOENT = _errno.ENOENT
EPERM = _errno.EPERM
ENETUNREACH = _errno.ENETUNREACH
EHOSTUNREACH = _errno.EHOSTUNREACH
ENOTSUP = _errno.EOPNOTSUPP
ERANGE = _errno.ERANGE
ESRCH = _errno.ESRCH
ENOBUFS = _errno.ENOBUFS
EOPNOTSUPP = _errno.EOPNOTSUPP
ELOOP = _errno.ELOOP
ENOTCONN = _errno.ENOTCONN
EMSGSIZE = _errno.EMSGSIZE
EAGAIN = _errno.EAGAIN
EIO = _errno.EIO
E2BIG = _errno.E2BIG
EBADFD = _errno.EBADFD
EFAULT = _errno.EFAULT
EACCES = _errno.EACCES
EAFNOSUPPORT = _errno.EAFNOSUPPORT
EDESTADDRREQ = _errno.EDESTADDRREQ
EMLINK = _errno.EMLINK
ENOSPC = _errno.ENOSPC
EDOM = _errno.EDOM
EPROTONOSUPPORT = _errno.EPROTONOSUPPORT
EOVERFLOW = _errno.EOVERFLOW
EMFILE = _errno.EMFILE
EISCONN = _errno.EISCONN
ECONNREFUSED = _errno.ECONNREFUSED
ETIMEDOUT = _errno.ETIMEDOUT
EALREADY = _errno.EALREADY
EINPROGRESS = _errno.EINPROGRESS
ENAMETOOLONG = _errno.ENAMETOOLONG
EFBIG = _errno.EFBIG
ENXIO = _errno.ENXIO
EREMOTEIO = _errno.EREMOTEIO
EHOSTDOWN = _errno.EHOSTDOWN
ENOTDIR = _errno.ENOTDIR
EISDIR = _errno.EISDIR
ENOMEM = _errno.ENOMEM
EPROTO = _errno.EPROTO
ECONNRESET = _errno.ECONNRESET
EPIPE = _errno.EPIPE
EWOULDBLOCK = _errno.EWOULDBLOCK
EXDEV = _errno.EXDEV
EROFS = _errno.EROFS
ENFILE = _errno.ENFILE
ENETDOWN = _errno.ENETDOWN
