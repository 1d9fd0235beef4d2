"""Bulk builds on the real kernel: a lab's topology over rtnetlink from one process.

``build(spec)`` creates, inside the calling process's mount namespace (the linux backend's
sandbox, whose ``/run/netns`` is a private tmpfs):

- named network namespaces with the convention of ``ip netns add``: ``/run/netns`` made a shared
  mount (bind-mounted on itself first when it is not a mount point), an empty file
  ``/run/netns/NAME`` (mode 0) and a bind mount of the new namespace on it. The namespaces are
  made by ``unshare(CLONE_NEWNET)`` on a worker thread (a network namespace is a per-thread
  attribute), which then opens one NETLINK_ROUTE socket while it is inside each new namespace
  (the socket stays bound to that namespace) and an fd of the namespace; at the end the thread
  goes back (``setns``) to where it started. No process is forked.
- bridges (``br0`` of each external switch) and veth pairs created directly with each end in its
  target namespace: ``RTM_NEWLINK`` sent from the device's namespace (or carrying
  ``IFLA_NET_NS_FD`` for it) and, inside ``IFLA_INFO_DATA``/``VETH_INFO_PEER``, an
  ``IFLA_NET_NS_FD`` for the peer - no move, no rename (each costs the kernel an RCU grace
  period). A device can get ``IFLA_MASTER`` and ``IFF_UP`` in the same message (the benchmark's
  bridge ports are made so); a lab's switch port is the peer, as in the bash build (the node's
  NIC is the device), and is then enslaved and set up by one batched ``RTM_NEWLINK`` per
  switch - that keeps even the kernel's netns-id numbering equal to the bash build's. Hairpin
  is set with ``IFLA_INFO_SLAVE_DATA``/``IFLA_BRPORT_MODE`` (what ``ip link set P type
  bridge_slave hairpin on`` sends; same kernel function, ``br_setport``, as ``bridge link set dev
  P hairpin on``).
  The peer cannot be created up (the kernel opens it before the pair is joined: ``veth_open``
  answers ENOTCONN), so the end that must be up at once is the device, not the peer.
- IPv4 addresses, links up and routes per namespace (``RTM_NEWADDR``/``RTM_NEWLINK``/
  ``RTM_NEWROUTE`` on that namespace's socket, in the spec's order - one batch per namespace, the
  kernel applies its messages in order; the ifindexes come from one batched ``RTM_GETLINK``).
  For a lab file these are each node's *leading* setup lines of the plain forms ``ip addr add
  A.B.C.D/N dev D``, ``ip link set [dev] D up``, ``ip route add default|PREFIX [via GW] [dev
  D]`` on a device the topology makes (``lift_line``): the builder sends the very requests
  iproute2 would, a refusal reads exactly as the bash build's (the line, then ``Error:
  EXTACK.`` or ``RTNETLINK answers: ERRNO``), and the bash script skips those lines
  (``spec["lifted"]``). Within a node the order of its lines is kept; across nodes, a node's
  lifted lines now run before the bash lines of the nodes listed before it (only a setup line
  that probes another node over the network could tell).

Requests are batched: many messages per ``sendmsg`` (up to ``BATCH`` at a time), the ACKs read
in bulk (``NETLINK_CAP_ACK`` keeps them small, ``NETLINK_EXT_ACK`` brings the kernel's extack
text). Every request carries the lab object it builds; the first refusal raises ``BuildError``
naming that object, with the kernel's errno text (and extack message if any).

``teardown()`` deletes named namespaces like ``ip netns del``: ``umount2(MNT_DETACH)`` and
``unlink`` of each bind mount; the kernel frees the rest (devices, addresses, routes) when the
last reference to each namespace goes. ``teardown(kill=True)`` first SIGTERMs the processes
living in them (one pass over /proc instead of ``ip netns pids`` per namespace): the lab
script's EXIT trap runs it, so servers started by setup lines end with the run. (The sandbox's
death would free everything too: its mount namespace holds the only bind mounts.)

Command line (used inside the sandbox by the compiled lab script)::

    python -m vnetlab.backends.bulk build SPEC.json     # exit 2 + message on stderr on failure
    python -m vnetlab.backends.bulk teardown [--kill] [NAME...]   # default: every /run/netns
                                                    # entry; --kill: SIGTERM their processes

A spec is JSON (``lab_spec(model)`` makes one from a lab file)::

    {"netns": ["a", "b", "vnlsw-lan"],          # "" below: the builder's own netns
     "bridges": [{"ns": "vnlsw-lan", "name": "br0", "up": true, "what": "switch lan"}],
     "veths": [{"ns": "a", "name": "eth0", "peer_ns": "b", "peer": "eth0", "mtu": null,
                "peer_mtu": null, "mac": null, "peer_mac": null, "up": false,
                "master": null, "hairpin": false, "what": "lab.yaml:12: links[0]"}],
     "ports": [{"ns": "vnlsw-lan", "dev": "p0", "master": "br0", "up": true,
                "hairpin": true, "what": "..."}],
     "attach": [{"host": "eth1", "node": "a", "type": "macvlan", "mode": "bridge",
                 "name": "mv0", "what": "..."}],
     "addrs": [{"ns": "a", "dev": "eth0", "cidr": "10.0.0.1/24", "what": "..."}],
     "up": [{"ns": "a", "dev": "eth0", "what": "..."}],
     "routes": [{"ns": "a", "dst": "default", "via": "10.0.0.254", "dev": null, "what": "..."}],
     "config": [{"op": "addr|up|route", "ns": "a", ..., "line": true, "what": "..."}],
     "lifted": {"a": 2}}

Order of the build: netns, bridges, veths, ports, attach, then addrs + up + routes + config.

``attach`` devices are created from a socket in the namespace the builder was started in (the
host's, handed in as an fd: ``host_netns_fd``) with ``IFLA_LINK`` = the host device and
``IFLA_NET_NS_FD`` = the node, so they appear directly inside the node and the host's own device
list never changes.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno as _errno
import json
import os
import re
import socket
import struct
import sys
import threading

__all__ = ["BuildError", "Built", "build", "teardown", "lab_spec", "host_netns_handle",
           "NETNS_RUN_DIR"]

NETNS_RUN_DIR = "/run/netns"
BATCH = 256

CLONE_NEWNET = 0x40000000
MS_BIND, MS_REC, MS_SHARED = 4096, 16384, 1 << 20
MNT_DETACH = 2

# netlink / rtnetlink
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 1, 4, 0x200, 0x400
NLM_F_ACK_TLVS = 0x200
NLMSGERR_ATTR_MSG = 1
NETLINK_CAP_ACK, NETLINK_EXT_ACK = 10, 11
SOL_NETLINK = 270
RTM_NEWLINK, RTM_GETLINK, RTM_NEWADDR, RTM_NEWROUTE = 16, 18, 20, 24
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER = 1, 3, 4, 5, 10
IFLA_LINKINFO, IFLA_EXT_MASK, IFLA_NET_NS_FD = 18, 29, 28
IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA = 1, 2, 4, 5
VETH_INFO_PEER = 1
IFLA_BRPORT_MODE = 4
IFLA_MACVLAN_MODE = 1
MACVLAN_MODES = {"private": 1, "vepa": 2, "bridge": 4, "passthru": 8, "source": 16}
IFA_ADDRESS, IFA_LOCAL = 1, 2
RTA_DST, RTA_OIF, RTA_GATEWAY = 1, 4, 5
RTEXT_FILTER_SKIP_STATS = 1 << 3
IFF_UP = 1
RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, RTN_UNICAST = 254, 3, 0, 253, 1

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_void_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


class BuildError(Exception):
    """A lab object the kernel (or the file system) refused; the message names it."""


def _oserr(what: str) -> OSError:
    e = ctypes.get_errno()
    return OSError(e, os.strerror(e), what)


def _unshare_net() -> None:
    if _libc.unshare(CLONE_NEWNET) != 0:
        raise _oserr("unshare(CLONE_NEWNET)")


def _setns(fd: int, nstype: int = CLONE_NEWNET) -> None:
    if _libc.setns(fd, nstype) != 0:
        raise _oserr("setns")


def _mount(src: str, target: str, flags: int, fstype: str = "none") -> None:
    if _libc.mount(src.encode(), target.encode(), fstype.encode(), flags, None) != 0:
        raise _oserr(f"mount {target}")


# -- message encoding ------------------------------------------------------------------------
_HDR = struct.Struct("=IHHII")
_IFI = struct.Struct("=BxHiII")


def _attr(t: int, payload: bytes) -> bytes:
    n = 4 + len(payload)
    return struct.pack("=HH", n, t) + payload + b"\0" * (-n & 3)


def _str(t: int, s: str) -> bytes:
    return _attr(t, s.encode() + b"\0")


def _u32(t: int, v: int) -> bytes:
    return _attr(t, struct.pack("=I", v))


def _ifi(index: int = 0, up: bool = False, family: int = 0, change: int = IFF_UP) -> bytes:
    return _IFI.pack(family, 0, index, IFF_UP if up else 0, change)


def _mac(text: str) -> bytes:
    return bytes(int(x, 16) for x in text.split(":"))


def _ipv4(text: str) -> bytes:
    return socket.inet_aton(text)


class _Conn:
    """One NETLINK_ROUTE socket (bound to the namespace it was opened in) and a queue of
    requests, sent in batches; ``flush()`` raises BuildError on the first refusal."""

    def __init__(self, ns: str):
        self.ns = ns
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC,
                          socket.NETLINK_ROUTE)
        for opt in (NETLINK_CAP_ACK, NETLINK_EXT_ACK):
            try:
                s.setsockopt(SOL_NETLINK, opt, 1)
            except OSError:
                pass
        for force, plain, size in ((33, 8, 8 << 20), (32, 7, 4 << 20)):   # RCVBUF(FORCE), SND
            try:
                s.setsockopt(socket.SOL_SOCKET, force, size)
            except OSError:
                s.setsockopt(socket.SOL_SOCKET, plain, size)
        s.bind((0, 0))
        self.sock = s
        self.seq = 0
        self.queue: list[tuple[int, bytes, str]] = []
        self.replies: dict[int, bytes] = {}        # seq -> the payload of a reply (GETLINK)

    def add(self, typ: int, flags: int, body: bytes, what: str) -> int:
        self.seq += 1
        self.queue.append((self.seq, _HDR.pack(16 + len(body), typ, flags | NLM_F_REQUEST,
                                                self.seq, 0) + body, what))
        return self.seq

    def flush(self) -> None:
        q, self.queue = self.queue, []
        for i in range(0, len(q), BATCH):
            part = q[i:i + BATCH]
            self.sock.send(b"".join(m for _, m, _ in part))
            whats = {seq: what for seq, _, what in part}
            self._acks(whats)

    def _acks(self, pending: dict[int, str]) -> None:
        first: tuple[int, str] | None = None
        while pending:
            data = self.sock.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                ln, typ, flags, seq, _ = _HDR.unpack_from(data, off)
                if ln < 16:
                    break
                if typ == NLMSG_ERROR:
                    (err,) = struct.unpack_from("=i", data, off + 16)
                    what = pending.pop(seq, None)
                    if err and what is not None:
                        msg = os.strerror(-err)
                        ext_text = ""
                        if flags & NLM_F_ACK_TLVS:
                            olen = _HDR.unpack_from(data, off + 20)[0]
                            tl = off + 20 + (16 if flags & 0x100 else (olen + 3) & ~3)
                            ext = _find_attr(data, tl, off + ln, NLMSGERR_ATTR_MSG)
                            if ext:
                                ext_text = ext.rstrip(bytes(1)).decode(errors="replace")
                                msg += f" ({ext_text})"
                        if isinstance(what, _IpLine):       # as iproute2 prints it
                            text = f"{what}\n" + (f"Error: {ext_text}." if ext_text else
                                                  f"RTNETLINK answers: {os.strerror(-err)}")
                        else:
                            text = f"{what}: the kernel refused: {msg}"
                        if first is None or seq < first[0]:
                            first = (seq, text)
                elif typ != NLMSG_DONE:
                    self.replies[seq] = data[off + 16:off + ln]
                off += (ln + 3) & ~3
        if first is not None:
            raise BuildError(first[1])

    def close(self) -> None:
        self.sock.close()


def _find_attr(data: bytes, off: int, end: int, want: int) -> bytes | None:
    while off + 4 <= end:
        ln, t = struct.unpack_from("=HH", data, off)
        if ln < 4:
            return None
        if t & 0x3FFF == want:
            return data[off + 4:off + ln]
        off += (ln + 3) & ~3
    return None


# -- the build -------------------------------------------------------------------------------
class Built:
    """What ``build`` made: namespaces (name -> fd) and their sockets; ``close()`` releases our
    handles (the namespaces stay: they are bind-mounted)."""

    def __init__(self):
        self.fds: dict[str, int] = {}
        self.conns: dict[str, _Conn] = {}
        self.ifindex: dict[tuple[str, str], int] = {}

    def close(self) -> None:
        for c in self.conns.values():
            c.close()
        for fd in self.fds.values():
            os.close(fd)
        self.conns.clear()
        self.fds.clear()


def _make_shared(run_dir: str) -> None:
    os.makedirs(run_dir, mode=0o755, exist_ok=True)
    if _libc.mount(b"", run_dir.encode(), b"none", MS_SHARED | MS_REC, None) == 0:
        return
    if ctypes.get_errno() != _errno.EINVAL:
        raise _oserr(f"mount --make-shared {run_dir}")
    _mount(run_dir, run_dir, MS_BIND | MS_REC)              # not a mount point yet: make it one
    _mount("", run_dir, MS_SHARED | MS_REC)


def _create_netns(names: list[str], built: Built, run_dir: str, whats: dict[str, str]) -> None:
    """On a worker thread: one new netns per name, bind-mounted, with its socket and fd."""
    err: list[BaseException] = []

    def work():
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        try:
            me = "/proc/thread-self/ns/net"
            for name in names:
                path = f"{run_dir}/{name}"
                try:
                    fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0)
                    os.close(fd)
                except OSError as e:
                    raise BuildError(f"{whats.get(name, 'netns ' + name)}: cannot create "
                                     f"{path}: {e.strerror}") from None
                try:
                    _unshare_net()
                    _mount(me, path, MS_BIND)
                except OSError as e:
                    try:
                        os.unlink(path)
                    except OSError:
                        pass
                    raise BuildError(f"{whats.get(name, 'netns ' + name)}: {e.filename}: "
                                     f"{e.strerror}") from None
                built.fds[name] = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                built.conns[name] = _Conn(name)
        except BaseException as e:                          # handed to the caller's thread
            err.append(e)
        finally:
            try:
                _setns(home)
            finally:
                os.close(home)

    t = threading.Thread(target=work, name="vnetlab-netns")
    t.start()
    t.join()
    if err:
        raise err[0]


def _ns_fd(built: Built, ns: str | None, what: str) -> bytes:
    if ns is None:
        return b""
    if ns not in built.fds:
        raise BuildError(f"{what}: unknown netns {ns!r}")
    return _u32(IFLA_NET_NS_FD, built.fds[ns])


def _conn(built: Built, ns: str, what: str) -> _Conn:
    c = built.conns.get(ns)
    if c is None:
        raise BuildError(f"{what}: unknown netns {ns!r}")
    return c


def _getlinks(built: Built, wanted: set[tuple[str, str]]) -> None:
    """Fill built.ifindex for every (ns, dev) in ``wanted`` (one batch per namespace)."""
    by_ns: dict[str, list[str]] = {}
    for ns, dev in sorted(wanted - set(built.ifindex)):
        by_ns.setdefault(ns, []).append(dev)
    asked = []
    for ns, devs in by_ns.items():
        c = _conn(built, ns, f"netns {ns}")
        for dev in devs:
            seq = c.add(RTM_GETLINK, NLM_F_ACK, _ifi(change=0) + _str(IFLA_IFNAME, dev) +
                        _u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS), f"{ns}: device {dev}")
            asked.append((c, seq, ns, dev))
        c.flush()
    for c, seq, ns, dev in asked:
        body = c.replies.pop(seq)
        built.ifindex[(ns, dev)] = _IFI.unpack_from(body)[2]


def _veth_msg(built: Built, v: dict, from_ns: str | None = None) -> bytes:
    """RTM_NEWLINK body for a pair; sent from a socket in ``from_ns`` (the device's namespace
    needs no IFLA_NET_NS_FD then: a top-level one makes the kernel allocate netns ids in
    another order than ``ip -n NS link add ... peer ... netns P`` does)."""
    what = v.get("what", f"veth {v['ns']}:{v['name']}")
    peer = _ifi(up=bool(v.get("peer_up"))) + _str(IFLA_IFNAME, v["peer"]) + \
        (_u32(IFLA_MTU, v["peer_mtu"]) if v.get("peer_mtu") else b"") + \
        (_attr(IFLA_ADDRESS, _mac(v["peer_mac"])) if v.get("peer_mac") else b"") + \
        _ns_fd(built, v["peer_ns"], what)
    master = b""
    if v.get("master"):
        master = _u32(IFLA_MASTER, built.ifindex[(v["ns"], v["master"])])
    return _ifi(up=bool(v.get("up"))) + _str(IFLA_IFNAME, v["name"]) + \
        (_u32(IFLA_MTU, v["mtu"]) if v.get("mtu") else b"") + \
        (_attr(IFLA_ADDRESS, _mac(v["mac"])) if v.get("mac") else b"") + master + \
        (b"" if from_ns == v["ns"] else _ns_fd(built, v["ns"], what)) + \
        _attr(IFLA_LINKINFO, _str(IFLA_INFO_KIND, "veth") +
              _attr(IFLA_INFO_DATA, _attr(VETH_INFO_PEER, peer)))


def build(spec: dict, run_dir: str = NETNS_RUN_DIR, host_netns_fd: int | None = None) -> Built:
    """Create everything of ``spec`` (see the module docstring). Raises BuildError; what was
    made before the error stays (the sandbox's death or ``teardown`` frees it)."""
    built = Built()
    try:
        _build(spec, built, run_dir, host_netns_fd)
    except BaseException:
        built.close()
        raise
    return built


CREATE = NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK


def _build(spec: dict, built: Built, run_dir: str, host_netns_fd: int | None) -> None:
    # "" names the namespace the builder runs in (the sandbox's own)
    built.fds[""] = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    built.conns[""] = _Conn("")
    names = list(spec.get("netns", []))
    if names:
        _make_shared(run_dir)
        _create_netns(names, built, run_dir, spec.get("netns_what", {}))
    # bridges, on their namespace's socket
    touched = []
    for b in spec.get("bridges", []):
        what = b.get("what", f"bridge {b['ns']}:{b['name']}")
        c = _conn(built, b["ns"], what)
        c.add(RTM_NEWLINK, CREATE, _ifi(up=bool(b.get("up", True))) +
              _str(IFLA_IFNAME, b["name"]) + _attr(IFLA_LINKINFO, _str(IFLA_INFO_KIND,
                                                                       "bridge")), what)
        touched.append(c)
    for c in dict.fromkeys(touched):
        c.flush()
    veths = spec.get("veths", [])
    _getlinks(built, {(v["ns"], v["master"]) for v in veths if v.get("master")})
    # veth pairs, each end straight into its namespace (the fds say where), in the lab's order,
    # each sent from its device's namespace as ``ip -n NS link add`` does (the netns ids the
    # kernel allocates then come out the same); consecutive pairs of one namespace: one batch
    c = None
    for v in veths:
        what = v.get("what", f"veth {v['ns']}:{v['name']}")
        nc = _conn(built, v["ns"], what)
        if nc is not c and c is not None:
            c.flush()
        c = nc
        c.add(RTM_NEWLINK, CREATE, _veth_msg(built, v, v["ns"]), what)
    if c is not None:
        c.flush()
    # bridge ports made as a veth's peer: enslave and up, then hairpin (``ip link set P master
    # BR up``; ``bridge link set dev P hairpin on``)
    ports = spec.get("ports", [])
    _getlinks(built, {(p["ns"], p["master"]) for p in ports if p.get("master")})
    touched = []
    for p in ports + [v for v in veths if v.get("hairpin")]:
        what = p.get("what", f"port {p['ns']}:{p.get('dev') or p.get('name')}")
        dev = p.get("dev") or p["name"]
        c = _conn(built, p["ns"], what)
        if "dev" in p:
            c.add(RTM_NEWLINK, NLM_F_ACK, _ifi(up=bool(p.get("up"))) + _str(IFLA_IFNAME, dev) +
                  (_u32(IFLA_MASTER, built.ifindex[(p["ns"], p["master"])])
                   if p.get("master") else b""), what)
        if p.get("hairpin"):
            c.add(RTM_NEWLINK, NLM_F_ACK, _ifi(change=0) + _str(IFLA_IFNAME, dev) +
                  _attr(IFLA_LINKINFO, _str(IFLA_INFO_SLAVE_KIND, "bridge") +
                        _attr(IFLA_INFO_SLAVE_DATA, _attr(IFLA_BRPORT_MODE, b"\x01"))), what)
        touched.append(c)
    for c in dict.fromkeys(touched):
        c.flush()
    _attach(spec.get("attach", []), built, host_netns_fd)
    # addresses, links up, routes: per namespace, in that order
    # addresses, links up, routes: in the spec's order within each namespace (one batch per
    # namespace: the kernel applies a batch's messages in order)
    config = [dict(x, op="addr") for x in spec.get("addrs", [])] + \
        [dict(x, op="up") for x in spec.get("up", [])] + \
        [dict(x, op="route") for x in spec.get("routes", [])] + list(spec.get("config", []))
    _configure(config, built)


class _IpLine(str):
    """The ``what`` of a lab's setup line done by the builder: a refusal reads as the bash
    build's (the line, then iproute2's error text)."""


def _configure(config: list[dict], built: Built) -> None:
    _getlinks(built, {(x["ns"], x["dev"]) for x in config if x.get("dev")})
    touched = []
    for x in config:
        op = x["op"]
        what = x.get("what") or f"{op} {x.get('cidr') or x.get('dst') or ''} in " \
                                f"{x['ns']}:{x.get('dev') or ''}"
        if x.get("line"):
            what = _IpLine(what)
        c = _conn(built, x["ns"], what)
        if op == "addr":
            ip, _, plen = x["cidr"].partition("/")
            raw = _ipv4(ip)
            c.add(RTM_NEWADDR, CREATE, struct.pack("=BBBBI", socket.AF_INET, int(plen or 32), 0,
                                                   0, built.ifindex[(x["ns"], x["dev"])]) +
                  _attr(IFA_LOCAL, raw) + _attr(IFA_ADDRESS, raw), what)
        elif op == "up":
            c.add(RTM_NEWLINK, NLM_F_ACK, _ifi(up=True) + _str(IFLA_IFNAME, x["dev"]), what)
        elif op == "route":
            dst, via = x["dst"], x.get("via")
            dlen, draw = (0, b"") if dst == "default" else \
                (int(dst.partition("/")[2] or 32), _ipv4(dst.partition("/")[0]))
            body = struct.pack("=BBBBBBBBI", socket.AF_INET, dlen, 0, 0, RT_TABLE_MAIN,
                               RTPROT_BOOT, RT_SCOPE_UNIVERSE if via else RT_SCOPE_LINK,
                               RTN_UNICAST, 0)
            if draw:
                body += _attr(RTA_DST, draw)
            if via:
                body += _attr(RTA_GATEWAY, _ipv4(via))
            if x.get("dev"):
                body += _u32(RTA_OIF, built.ifindex[(x["ns"], x["dev"])])
            c.add(RTM_NEWROUTE, CREATE, body, what)
        else:
            raise BuildError(f"{what}: unknown operation {op!r}")
        touched.append(c)
    for c in dict.fromkeys(touched):
        c.flush()


def _attach(items: list[dict], built: Built, host_netns_fd: int | None) -> None:
    """Host devices attached to nodes: macvlan/macvtap/ipvlan on the host device, created from
    a socket in the host's namespace straight into the node's namespace."""
    if not items:
        return
    if host_netns_fd is None:
        raise BuildError(f"{items[0].get('what', 'attach')}: no handle on the host's network "
                         f"namespace to attach {items[0]['host']} from")
    holder: list = []
    err: list[BaseException] = []

    def work():
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        try:
            _setns(host_netns_fd)
            holder.append(_Conn("host"))
        except BaseException as e:
            err.append(e)
        finally:
            _setns(home)
            os.close(home)

    t = threading.Thread(target=work, name="vnetlab-host")
    t.start()
    t.join()
    if err:
        raise BuildError(f"{items[0].get('what', 'attach')}: cannot enter the host's network "
                         f"namespace: {err[0]}")
    c = holder[0]
    try:
        idx = {}
        for it in items:
            if it["host"] not in idx:
                try:
                    idx[it["host"]] = socket.if_nametoindex(it["host"])
                except OSError:
                    idx[it["host"]] = _host_index(c, it)
        for it in items:
            what = it.get("what", f"attach {it['host']}")
            kind = it.get("type", "macvlan")
            data = b""                      # no mode: the kernel's default (vepa / l3)
            if kind in ("macvlan", "macvtap") and it.get("mode"):
                data = _attr(IFLA_INFO_DATA, _u32(IFLA_MACVLAN_MODE, MACVLAN_MODES[it["mode"]]))
            elif kind == "ipvlan" and it.get("mode"):
                mode = {"l2": 0, "l3": 1, "l3s": 2}[it["mode"]]
                data = _attr(IFLA_INFO_DATA, _attr(1, struct.pack("=H", mode)))  # IPVLAN_MODE
            c.add(RTM_NEWLINK, CREATE, _ifi() + _str(IFLA_IFNAME, it["name"]) +
                  _u32(IFLA_LINK, idx[it["host"]]) + _ns_fd(built, it["node"], what) +
                  _attr(IFLA_LINKINFO, _str(IFLA_INFO_KIND, kind) + data), what)
        c.flush()
    finally:
        c.close()


def _host_index(c: _Conn, it: dict) -> int:
    seq = c.add(RTM_GETLINK, NLM_F_ACK, _ifi(change=0) + _str(IFLA_IFNAME, it["host"]),
                f"{it.get('what', 'attach')}: host device {it['host']}")
    c.flush()
    return _IFI.unpack_from(c.replies.pop(seq))[2]


# -- teardown --------------------------------------------------------------------------------
def teardown(names: list[str] | None = None, run_dir: str = NETNS_RUN_DIR,
             kill: bool = False) -> int:
    """Delete named namespaces as ``ip netns del`` does (lazy unmount + unlink of each bind
    mount); every entry of ``run_dir`` when ``names`` is None. With ``kill``, first SIGTERM
    every process living in one of them (what ``ip netns pids NS | xargs kill`` per namespace
    does, in one pass over /proc). Returns how many were deleted; missing names are skipped."""
    if names is None:
        try:
            names = sorted(os.listdir(run_dir))
        except OSError:
            return 0
    if kill:
        _kill_inside(names, run_dir)
    n = 0
    for name in names:
        path = f"{run_dir}/{name}".encode()
        _libc.umount2(path, MNT_DETACH)
        try:
            os.unlink(path)
            n += 1
        except FileNotFoundError:
            pass
    return n


@contextlib.contextmanager
def host_netns_handle(model):
    """For a lab with ``attach``: an inheritable fd on the invoking process's network namespace
    (the host's), as ``run_script`` keyword arguments (``pass_fds``, ``extra_env``); the sandbox
    unshares its own, so the builder needs this handle to create the attached devices. Nothing
    for labs without ``attach``."""
    if not getattr(model, "attach", None):
        yield {}
        return
    fd = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        yield {"pass_fds": (fd,), "extra_env": {"VNETLAB_HOST_NETNS_FD": str(fd)}}
    finally:
        os.close(fd)


def _kill_inside(names: list[str], run_dir: str) -> None:
    ours = set()
    for name in names:
        try:
            st = os.stat(f"{run_dir}/{name}")
            ours.add((st.st_dev, st.st_ino))
        except OSError:
            pass
    me = os.getpid()
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == me:
            continue
        try:
            st = os.stat(f"/proc/{p}/ns/net")
            if (st.st_dev, st.st_ino) in ours:
                os.kill(int(p), 15)
        except OSError:
            pass


# -- a lab file as a spec --------------------------------------------------------------------
def lab_spec(model) -> dict:
    """The topology of a lab (nodes, veth links, external switches and their ports, attached
    host devices) as a build spec, in the order the bash build script makes it."""
    from ..lab.load import where
    from ..lab.model import VethLink
    switch_ns = "vnlsw-{}"
    spec: dict = {"netns": list(model.nodes), "bridges": [], "veths": [], "netns_what": {}}
    for name in model.nodes:
        spec["netns_what"][name] = f"{model._filename}: nodes.{name}"
    for sw in model.switches():
        ns = switch_ns.format(sw)
        spec["netns"].append(ns)
        spec["netns_what"][ns] = f"switch {sw}"
        spec["bridges"].append({"ns": ns, "name": "br0", "up": True, "what": f"switch {sw}"})
    ports: dict[str, int] = {}
    for i, link in enumerate(model.links):
        what = f"{where(model, 'links', i)}: links[{i}]"
        if isinstance(link, VethLink):
            a, b = link.ends()
            spec["veths"].append({"ns": a.node, "name": a.ifname, "peer_ns": b.node,
                                  "peer": b.ifname, "mtu": link.mtu, "peer_mtu": link.mtu,
                                  "what": what})
        else:
            ep = link.nic()
            ns = switch_ns.format(link.switch)
            k = ports[link.switch] = ports.get(link.switch, -1) + 1
            spec["veths"].append({"ns": ep.node, "name": ep.ifname, "mac": link.mac,
                                  "peer_ns": ns, "peer": f"p{k}", "what": what})
            spec.setdefault("ports", []).append({"ns": ns, "dev": f"p{k}", "master": "br0",
                                                 "up": True, "hairpin": bool(link.hairpin),
                                                 "what": what})
    ends: dict[str, set[str]] = {n: {"lo"} for n in model.nodes}
    for v in spec["veths"]:
        for ns, dev in ((v["ns"], v["name"]), (v["peer_ns"], v["peer"])):
            if ns in ends:
                ends[ns].add(dev)
    for att in getattr(model, "attach", None) or []:
        ends[att.node].add(att.name)
    # each node's leading setup lines that are plain address / link-up / route commands on the
    # lab's own devices: done by the builder (the bash script skips them, see "lifted")
    spec["config"], spec["lifted"] = [], {}
    for name, node in model.nodes.items():
        k = 0
        for i, line in enumerate(node.setup):
            item = lift_line(line, ends[name])
            if item is None:
                break
            item.update(ns=name, line=True, what=f"{where(model, 'nodes', name, 'setup', i)}: "
                                                 f"nodes.{name}.setup[{i}]: {line!r} failed")
            spec["config"].append(item)
            k += 1
        if k:
            spec["lifted"][name] = k
    for i, att in enumerate(getattr(model, "attach", None) or []):
        spec.setdefault("attach", []).append(
            {"host": att.host, "node": att.node, "type": att.type, "mode": att.mode,
             "name": att.name, "what": f"{where(model, 'attach', i)}: attach[{i}]"})
    return spec


_V4 = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}"
_PLEN = r"(?:3[0-2]|[12]?\d)"
_ADDR_RE = re.compile(rf"^ip (?:addr|address) add ({_V4}/{_PLEN}) dev (\S+)$")
_UP_RE = re.compile(r"^ip link set (?:dev )?(\S+) up$")
_ROUTE_RE = re.compile(rf"^ip route add (default|{_V4}(?:/{_PLEN})?)"
                       rf"(?: via ({_V4}))?(?: dev (\S+))?$")


def lift_line(line: str, devices: set[str]) -> dict | None:
    """A setup line the builder can do itself, as a config item, or None. Only the plain
    forms - ``ip addr add A.B.C.D/N dev D``, ``ip link set [dev] D up``, ``ip route add
    default|PREFIX [via GW] [dev D]`` - on a device the topology makes (or lo), no shell syntax,
    no loopback addresses (iproute2 gives 127/8 host scope), which send the very requests
    iproute2 sends."""
    if any(ch in line for ch in ";|&<>$`\\'\"(){}#*?~\n"):
        return None
    text = " ".join(line.split())
    m = _ADDR_RE.match(text)
    if m:
        if m.group(1).startswith("127.") or m.group(2) not in devices:
            return None
        return {"op": "addr", "cidr": m.group(1), "dev": m.group(2)}
    m = _UP_RE.match(text)
    if m:
        return {"op": "up", "dev": m.group(1)} if m.group(1) in devices else None
    m = _ROUTE_RE.match(text)
    if m and (m.group(2) or m.group(3)):
        if m.group(3) is not None and m.group(3) not in devices:
            return None
        return {"op": "route", "dst": m.group(1), "via": m.group(2), "dev": m.group(3)}
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["build"] and len(argv) == 2:
        try:
            with open(argv[1]) as f:
                spec = json.load(f)
        except (OSError, ValueError) as e:
            print(f"vnetlab bulk: {argv[1]}: {e}", file=sys.stderr)
            return 2
        host = os.environ.get("VNETLAB_HOST_NETNS_FD")
        try:
            build(spec, host_netns_fd=int(host) if host else None).close()
        except BuildError as e:
            print(str(e), file=sys.stderr)
            return 2
        except OSError as e:
            print(f"vnetlab bulk: {e}", file=sys.stderr)
            return 2
        return 0
    if argv[:1] == ["teardown"]:
        kill = "--kill" in argv
        teardown([a for a in argv[1:] if a != "--kill"] or None, kill=kill)
        return 0
    print("usage: python -m vnetlab.backends.bulk build SPEC.json | teardown [--kill] [NAME...]",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
