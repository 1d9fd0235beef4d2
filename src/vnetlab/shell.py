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
* Signals: a shim forwards SIGINT / SIGTERM / SIGHUP (and SIGPIPE when its reader is gone) to the
  emulator. A pending command that catches them (``ctx.on_signal``, e.g. tcpdump) ends cleanly and
  its shim prints the output and exits with its status; any other command is answered "killed"
  and its shim kills itself with the same signal, so ``kill $pid; wait $pid`` reports what bash
  would for the real tool. A signal the shim inherited as ignored stays ignored.
* Streaming: a pending command may ask for its stderr (and, line-buffered, its stdout) to reach
  the script while it runs (``ctx.stream``); the server sends partial frames before the final one.
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
from .hostinfo import possible_cpus
from .commands import COMMANDS, Ctx, Exit, load_all
from .commands import procsys

# network tools a script may call that the emulator does not provide (yet): they must fail
# loudly instead of reaching the host's real tool
NOT_PROVIDED = ["tc", "bridge", "ifconfig", "route", "arp", "ipvsadm", "iptables", "ip6tables",
                "nft", "ethtool", "tcpdump", "socat", "nc", "ncat", "curl", "wget", "brctl",
                "modprobe", "ss", "netstat", "arping", "traceroute", "tracepath", "ping6",
                "iw", "dhclient", "ebtables", "arptables", "conntrack", "tunctl", "vconfig"]

SHIM = r'''#!{python} -S
import json, os, signal, socket, struct, sys
NAME = {name!r}
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STDIN_TOOLS = ("socat", "nc")
STATE = {{"token": None, "ignored": {{}}, "broken": False}}
def main():
    argv = [NAME] + sys.argv[1:]
    ns = os.environ.get("VNETLAB_NS", "")
    if NAME == "ip":
        ex = netns_exec(argv)
        if ex is not None:
            return ex
    stdin = ""
    if NAME in ("ip", "bridge") and "-batch" in argv and argv[argv.index("-batch") + 1:][:1] == ["-"]:
        stdin = sys.stdin.read()
    elif (NAME in STDIN_TOOLS and "-z" not in argv or NAME == "ipvsadm" and any(
            a == "--restore" or a[:1] == "-" and a[1:2] != "-" and "R" in a for a in argv[1:])) \
            and not os.isatty(0):
        # socket tools relay their stdin: read to EOF (background jobs have /dev/null)
        try:
            stdin = read_stdin() if NAME in STDIN_TOOLS else \
                sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
        except OSError:
            stdin = ""
    STATE["token"] = "%d.%d" % (os.getpid(), id(argv))
    for sig in SIGNALS:
        STATE["ignored"][sig] = signal.getsignal(sig) is signal.SIG_IGN
        signal.signal(sig, forward)
    resp = call({{"argv": argv, "ns": ns, "stdin": stdin, "cwd": os.getcwd(),
                 "token": STATE["token"], "tty": os.isatty(1)}}, stream=True)
    emit(resp)
    if resp.get("signal"):
        sig = resp["signal"]
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    return resp["code"]
def read_stdin():
    # to EOF, or until stdin stays silent for 0.5 s (a pipe nobody writes to, which the real
    # tool would not wait for before connecting)
    import select
    chunks = []
    while select.select([0], [], [], 0.5)[0]:
        b = os.read(0, 65536)
        if not b:
            break
        chunks.append(b)
    return b"".join(chunks).decode("utf-8", "surrogateescape")
def forward(signum, frame=None):
    # a signal sent to the command: the emulator decides (a tool that catches it ends cleanly
    # and answers; the others die of it, unless it was ignored)
    try:
        call({{"signal": signum, "token": STATE["token"],
              "ignored": STATE["ignored"].get(signum, False)}})
    except OSError:
        pass
def emit(msg):
    for f, key in ((sys.stdout, "out"), (sys.stderr, "err")):
        if not msg[key]:
            continue
        try:
            f.flush(); f.buffer.write(msg[key].encode("utf-8", "surrogateescape")); f.buffer.flush()
        except BrokenPipeError:
            # the reader is gone: what SIGPIPE does to the real tool
            if not STATE["broken"]:
                STATE["broken"] = True
                try:
                    os.dup2(os.open(os.devnull, os.O_WRONLY), f.fileno())
                except OSError:
                    pass
                if msg.get("partial"):
                    forward(signal.SIGPIPE)
def call(req, stream=False):
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
        while stream and len(buf) >= 4 and len(buf) >= 4 + struct.unpack("!I", buf[:4])[0]:
            n = struct.unpack("!I", buf[:4])[0]
            msg = json.loads(buf[4:4 + n].decode())
            if not msg.get("partial"):
                return msg
            buf = buf[4 + n:]
            emit(msg)
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
        self.bridges: list = []          # vnetlab.backends.hybrid.TapBridge (--attach)

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
        if "signal" in req:
            return self.signal(conn, req)
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
        ctx.token = req.get("token")
        ctx.isatty = bool(req.get("tty"))
        try:
            code = fn(ctx, argv[1:])
        except Exit as e:
            code = e.code
        except Exception as e:  # never a traceback to the script: report and fail
            ctx.eprint(f"vnetlab: internal error in {argv[0]}: {type(e).__name__}: {e}")
            code = 70
        if ctx.deferred is not None:
            ctx.sent = [0, 0]
            self.pending.append((conn, ctx))
            self.stream_partial(conn, ctx)
            return
        self.sys.export()
        self.reply(conn, code, ctx.stdout, ctx.stderr)

    def spawn(self, ctx, is_done, finish) -> None:
        """A command that runs over virtual time: ``finish()`` gives its status when done.
        Optional attributes the command may set on ``ctx``: ``on_signal(signum)`` - it catches
        SIGINT / SIGTERM / SIGHUP sent to its shim (and should then become done); ``on_kill()``
        - called when a signal it does not catch kills it (stop its activity in the emulated
        world, e.g. a ping's timers); ``stream`` -
        stderr is sent to the shim as it is written, and stdout too when ``stream`` is true
        (line-buffered output)."""
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
                o, e = ctx.sent
                self.reply(conn, code, ctx.stdout[o:], ctx.stderr[e:])
            else:
                self.stream_partial(conn, ctx)
                still.append((conn, ctx))
        self.pending = still

    @staticmethod
    def stream_partial(conn, ctx) -> None:
        """Send what a streaming command wrote since the last time (partial frames)."""
        mode = getattr(ctx, "stream", None)
        if mode is None:
            return
        o, e = ctx.sent
        out = ctx.stdout[o:] if mode else ""
        err = ctx.stderr[e:]
        if not out and not err:
            return
        data = json.dumps({"partial": True, "out": out, "err": err}).encode()
        try:
            conn.sendall(struct.pack("!I", len(data)) + data)
        except OSError:
            pass
        ctx.sent = [o + len(out), e + len(err)]

    def signal(self, conn, req) -> None:
        """A shim forwards a signal sent to its (pending) command."""
        signum, token = req["signal"], req.get("token")
        for i, (pconn, ctx) in enumerate(self.pending):
            if getattr(ctx, "token", None) != token:
                continue
            handler = getattr(ctx, "on_signal", None)
            if handler is not None:
                if not (req.get("ignored") and signum == 1):    # SIGHUP under nohup
                    handler(signum)
                    self.advance()
                    self.poll_pending()
            elif not req.get("ignored"):
                # the real program would die of it: no output flush, killed by the signal
                del self.pending[i]
                kill = getattr(ctx, "on_kill", None)
                if kill is not None:
                    kill()
                data = json.dumps({"code": 128 + signum, "out": "", "err": "",
                                   "signal": signum}).encode()
                try:
                    pconn.sendall(struct.pack("!I", len(data)) + data)
                except OSError:
                    pass
                pconn.close()
            break
        self.reply(conn, 0, "", "")

    def kill_pending(self, signum: int) -> None:
        for pconn, ctx in self.pending:
            kill = getattr(ctx, "on_kill", None)
            if kill is not None:
                kill()
            elif getattr(ctx, "on_signal", None) is not None:
                ctx.on_signal(signum)
            data = json.dumps({"code": 128 + signum, "out": "", "err": "",
                               "signal": signum}).encode()
            try:
                pconn.sendall(struct.pack("!I", len(data)) + data)
            except OSError:
                pass
            pconn.close()
        self.pending = []

    @staticmethod
    def reply(conn, code: int, out: str, err: str) -> None:
        data = json.dumps({"code": code & 0xFF, "out": out, "err": err}).encode()
        try:
            conn.sendall(struct.pack("!I", len(data)) + data)
        except OSError:
            pass               # the shim is gone (killed): nobody to answer
        finally:
            conn.close()

    def serve(self, proc: subprocess.Popen) -> int:
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(self.sock_path)
        lsock.listen(64)
        sel = selectors.DefaultSelector()
        sel.register(lsock, selectors.EVENT_READ)
        for br in self.bridges:
            sel.register(br.fileno(), selectors.EVENT_READ, br)
        self.sys.export()
        try:
            while True:
                rc = proc.poll()
                if rc is not None and not self.pending:
                    return rc
                if rc is not None:
                    # the script is over: its background commands (servers, socat ... &)
                    # end as if killed by SIGTERM, like a sandbox torn down
                    self.kill_pending(15)
                    return rc
                timeout = 0.05
                nxt = self.lab.engine.next_deadline()
                if nxt is not None and self.realtime:
                    timeout = max(0.0, min(timeout, (nxt - self.wall_ns()) / 1e9))
                for key, _ in sel.select(timeout):
                    if key.data is not None:        # a real frame: delivered at wall time
                        self.advance()
                        key.data.pump()
                        continue
                    conn, _ = lsock.accept()
                    self.handle(conn)
                self.advance()
                for br in self.bridges:
                    br.flush()
                self.poll_pending()
        finally:
            for br in self.bridges:
                br.close()
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


def run_script(script: str, args: list[str], seed: int = 0, realtime: bool = True,
               attach: list | None = None) -> int:
    lab = Lab(seed=seed, cpus=possible_cpus())
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
        if attach:        # (tap, ns, dev): vnetlab.backends.hybrid
            from .backends.hybrid import popen_in_sandbox
            proc, server.bridges = popen_in_sandbox(lab, attach, argv, env)
        else:
            proc = subprocess.Popen(argv, env=env)
        try:
            return server.serve(proc)
        except KeyboardInterrupt:
            proc.terminate()
            return 130
    finally:
        shutil.rmtree(work, ignore_errors=True)
