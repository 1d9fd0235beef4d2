"""``vnetlab sh SCRIPT [ARGS]``: run a real bash script against one emulator.

How (DESIGN.md "Running real shell scripts on the emulator"):

* The emulator serves commands on a Unix socket. A directory of small shim executables comes first
  on PATH: ``ip``, ``sysctl``, ``ping`` forward argv to the emulator and print what it answers;
  network tools the emulator does not provide yet (``tc``, ``bridge``, ``ifconfig``, ...) fail with
  a message naming the command, so a script can never reach the host's real tools by accident.
* ``ip netns exec NS CMD...`` is handled by the ``ip`` shim: it checks NS with the emulator, then
  execs CMD (any real program, bash included) with ``VNETLAB_NS=NS`` so nested shims act in NS.
* bash runs in its own mount and network namespaces (``unshare``): writes to ``/proc/sys/net``
  land in a directory of the emulator's bind-mounted there, per emulated netns; the emulator reads
  them before every command. The host's own /proc/sys/net is never written.
* Time: the emulator runs in real-time mode - its clock follows the wall clock; a command such as
  ``ping -c 3`` completes when its virtual time has come, so ``sleep``, ``&`` and ``wait`` behave.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

from .api import Lab
from .commands import COMMANDS, Ctx, Exit, load_all
from .commands import procsys

# network tools a script may call that the emulator does not provide (yet): they must fail
# loudly instead of reaching the host's real tool
NOT_PROVIDED = ["tc", "bridge", "ifconfig", "route", "arp", "ipvsadm", "iptables", "ip6tables",
                "nft", "ethtool", "tcpdump", "socat", "nc", "ncat", "curl", "wget", "brctl",
                "modprobe", "ss", "netstat", "arping", "traceroute", "tracepath", "ping6",
                "iw", "dhclient", "ebtables", "arptables", "conntrack", "tunctl", "vconfig"]

SHIM = r'''#!{python} -S
import json, os, socket, struct, sys
NAME = {name!r}
def main():
    argv = [NAME] + sys.argv[1:]
    ns = os.environ.get("VNETLAB_NS", "")
    if NAME == "ip":
        ex = netns_exec(argv)
        if ex is not None:
            return ex
    stdin = ""
    if NAME == "ip" and "-batch" in argv and argv[argv.index("-batch") + 1:][:1] == ["-"]:
        stdin = sys.stdin.read()
    resp = call({{"argv": argv, "ns": ns, "stdin": stdin, "cwd": os.getcwd()}})
    sys.stdout.write(resp["out"]); sys.stdout.flush()
    sys.stderr.write(resp["err"]); sys.stderr.flush()
    return resp["code"]
def call(req):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(os.environ["VNETLAB_SOCK"])
    data = json.dumps(req).encode()
    s.sendall(struct.pack("!I", len(data)) + data)
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return json.loads(buf[4:].decode())
def netns_exec(argv):
    # ip [opts] netns exec NS CMD...: run CMD (a real program) inside emulated NS
    i = 1
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] in ("-n", "-netns", "--netns", "-b", "-batch", "-rc", "-rcvbuf", "-l", "-loops", "-f", "-family"):
            i += 1
        i += 1
    rest = argv[i:]
    if len(rest) < 2 or not "netns".startswith(rest[0]) or not rest[0] or not "exec".startswith(rest[1]) or not rest[1]:
        return None
    if len(rest) < 4:
        return None
    ns, cmd = rest[2], rest[3:]
    resp = call({{"argv": ["ip", "netns", "__check", ns], "ns": "", "stdin": "", "cwd": os.getcwd()}})
    if resp["code"] != 0:
        sys.stderr.write(resp["err"])
        return resp["code"]
    env = dict(os.environ, VNETLAB_NS=ns)
    if not find(cmd[0]):
        sys.stderr.write('exec of "%s" failed: No such file or directory\n' % cmd[0])
        return 1
    mnt = resp["out"].strip()
    if mnt and os.environ.get("VNETLAB_SYSDIR"):
        cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
               'mount --bind "$0" /proc/sys/net && exec "$@"', mnt] + cmd
    try:
        os.execvpe(cmd[0], cmd, env)
    except OSError:
        sys.stderr.write('exec of "%s" failed: No such file or directory\n' % rest[3])
        return 1
def find(cmd):
    if "/" in cmd:
        return os.access(cmd, os.X_OK)
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if d and os.access(os.path.join(d, cmd), os.X_OK):
            return True
    return False
if __name__ == "__main__":
    sys.exit(main())
'''

MISSING = '''#!/bin/sh
echo "vnetlab: {name}: not provided by the emulator yet (the script would reach the host's real {name})" >&2
exit 127
'''


class SysDir:
    """Per-netns directories mirroring the emulator's /proc/sys/net, and the sync both ways."""

    def __init__(self, lab: Lab, root: str):
        self.lab = lab
        self.root = root
        self.snap: dict[str, dict[str, str]] = {}

    def path(self, ns) -> str:
        return os.path.join(self.root, ns.name or "_init")

    def export(self) -> None:
        for ns in self.lab.kernel.namespaces:
            base = self.path(ns)
            snap = self.snap.setdefault(base, {})
            for key in procsys.list_keys(ns):
                rel = key[len("net/"):]
                try:
                    value = procsys.read(ns, key) + "\n"
                except OSError:
                    continue
                if snap.get(rel) == value:
                    continue
                full = os.path.join(base, rel)
                os.makedirs(os.path.dirname(full), exist_ok=True)
                with open(full, "w") as f:
                    f.write(value)
                snap[rel] = value

    def absorb(self) -> None:
        """Apply what scripts wrote into the files since the last export."""
        for ns in self.lab.kernel.namespaces:
            base = self.path(ns)
            snap = self.snap.get(base)
            if not snap:
                continue
            for rel, old in list(snap.items()):
                full = os.path.join(base, rel)
                try:
                    with open(full) as f:
                        now = f.read()
                except OSError:
                    continue
                if now != old:
                    try:
                        procsys.write(ns, "net/" + rel, now)
                    except OSError:
                        pass
                    snap[rel] = None


class Server:
    def __init__(self, lab: Lab, workdir: str, realtime: bool = True):
        self.lab = lab
        self.workdir = workdir
        self.sock_path = os.path.join(workdir, "emu.sock")
        self.realtime = realtime
        self.t0 = time.monotonic()
        self.sys = SysDir(lab, os.path.join(workdir, "sys"))
        self.pending: list = []

    def wall_ns(self) -> int:
        return int((time.monotonic() - self.t0) * 1e9)

    def advance(self) -> None:
        eng = self.lab.engine
        if self.realtime:
            eng.run_until(max(eng.now, self.wall_ns()))
        else:
            eng.run_now()

    def handle(self, conn) -> None:
        buf = b""
        while len(buf) < 4 or len(buf) < 4 + struct.unpack("!I", buf[:4])[0]:
            chunk = conn.recv(65536)
            if not chunk:
                conn.close()
                return
            buf += chunk
        req = json.loads(buf[4:].decode())
        self.sys.absorb()
        self.advance()
        argv = req["argv"]
        kernel = self.lab.kernel
        ns = kernel.named.get(req.get("ns") or "") if req.get("ns") else kernel.init_ns
        if ns is None:
            return self.reply(conn, 255, "", f'Cannot open network namespace "{req["ns"]}": '
                                             f"No such file or directory\n")
        if argv[:3] == ["ip", "netns", "__check"]:
            target = kernel.named.get(argv[3])
            if target is None:
                return self.reply(conn, 255, "", f'Cannot open network namespace "{argv[3]}": '
                                                 f"No such file or directory\n")
            self.sys.export()
            return self.reply(conn, 0, self.sys.path(target) + "\n", "")
        fn = COMMANDS.get(argv[0])
        ctx = Ctx(self.lab, ns=ns, stdin=req.get("stdin", ""))
        ctx.spawn = self.spawn
        ctx.cwd = req.get("cwd")
        ctx.deferred = None
        try:
            code = fn(ctx, argv[1:])
        except Exit as e:
            code = e.code
        except Exception as e:  # never a traceback to the script: report and fail
            ctx.eprint(f"vnetlab: internal error in {argv[0]}: {type(e).__name__}: {e}")
            code = 70
        if ctx.deferred is not None:
            self.pending.append((conn, ctx))
            return
        self.sys.export()
        self.reply(conn, code, ctx.stdout, ctx.stderr)

    def spawn(self, ctx, is_done, finish) -> None:
        """A command that runs over virtual time: ``finish()`` gives its status when done."""
        ctx.deferred = (is_done, finish)

    def poll_pending(self) -> None:
        still = []
        for conn, ctx in self.pending:
            is_done, finish = ctx.deferred
            if is_done():
                try:
                    code = finish()
                except Exit as e:
                    code = e.code
                self.sys.export()
                self.reply(conn, code, ctx.stdout, ctx.stderr)
            else:
                still.append((conn, ctx))
        self.pending = still

    @staticmethod
    def reply(conn, code: int, out: str, err: str) -> None:
        data = json.dumps({"code": code & 0xFF, "out": out, "err": err}).encode()
        try:
            conn.sendall(struct.pack("!I", len(data)) + data)
        finally:
            conn.close()

    def serve(self, proc: subprocess.Popen) -> int:
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(self.sock_path)
        lsock.listen(64)
        sel = selectors.DefaultSelector()
        sel.register(lsock, selectors.EVENT_READ)
        self.sys.export()
        try:
            while True:
                rc = proc.poll()
                if rc is not None and not self.pending:
                    return rc
                timeout = 0.05
                nxt = self.lab.engine.next_deadline()
                if nxt is not None and self.realtime:
                    timeout = max(0.0, min(timeout, (nxt - self.wall_ns()) / 1e9))
                for key, _ in sel.select(timeout):
                    conn, _ = lsock.accept()
                    self.handle(conn)
                self.advance()
                self.poll_pending()
        finally:
            sel.close()
            lsock.close()


def write_shims(bindir: str) -> None:
    os.makedirs(bindir, exist_ok=True)
    load_all()
    for name in COMMANDS:
        p = os.path.join(bindir, name)
        with open(p, "w") as f:
            f.write(SHIM.format(python=sys.executable, name=name))
        os.chmod(p, 0o755)
    for name in NOT_PROVIDED:
        if name in COMMANDS:
            continue
        p = os.path.join(bindir, name)
        with open(p, "w") as f:
            f.write(MISSING.format(name=name))
        os.chmod(p, 0o755)


def isolation_prefix() -> list[str]:
    """Run bash in new mount + network namespaces (a user namespace too when not root)."""
    if shutil.which("unshare") is None:
        raise SystemExit("vnetlab sh: needs util-linux's unshare (apt-get install util-linux)")
    if os.geteuid() == 0:
        return ["unshare", "--mount", "--net", "--propagation", "private"]
    return ["unshare", "--user", "--map-root-user", "--mount", "--net", "--propagation", "private"]


def run_script(script: str, args: list[str], seed: int = 0, realtime: bool = True) -> int:
    lab = Lab(seed=seed)
    work = tempfile.mkdtemp(prefix="vnetlab-sh-")
    try:
        bindir = os.path.join(work, "bin")
        write_shims(bindir)
        server = Server(lab, work, realtime=realtime)
        os.makedirs(server.sys.path(lab.kernel.init_ns), exist_ok=True)
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""),
                   VNETLAB_SOCK=server.sock_path, VNETLAB_SYSDIR=server.sys.root)
        env.pop("VNETLAB_NS", None)
        init_dir = server.sys.path(lab.kernel.init_ns)
        server.sys.export()
        inner = 'mount --bind "$0" /proc/sys/net && exec bash "$@"'
        argv = isolation_prefix() + ["sh", "-c", inner, init_dir, script] + list(args)
        proc = subprocess.Popen(argv, env=env)
        try:
            return server.serve(proc)
        except KeyboardInterrupt:
            proc.terminate()
            return 130
    finally:
        shutil.rmtree(work, ignore_errors=True)
