"""Persistent labs on the linux backend: ``vnetlab up``, ``down``, ``status``, ``exec``, ``clean``.

``vnetlab up LAB.yaml`` builds the lab (its nodes, links and setup lines; not its checks) for real
and leaves it running after ``up`` exits. Everything of one lab lives in ONE sandbox:

    unshare --user? --mount --net --pid --fork --kill-child --mount-proc --propagation private
      bash HOLD  (pid 1 of the lab's pid namespace: builds the lab, then waits forever)

- the **holder** is that ``unshare`` process (its argv[0] is ``vnetlab-lab:PREFIX``); its child,
  the **init**, is pid 1 of the lab's own pid namespace. Every process of the lab (setup lines,
  servers started with ``&``, ``vnetlab exec`` commands) lives in that pid namespace, so when the
  init dies the kernel kills all of them, and with them go the lab's network namespaces, links
  and mounts (the ``/run/netns`` tmpfs is in the lab's private mount namespace; nothing is
  mounted, linked or named on the host). ``--kill-child`` makes the init die with the holder.
- the **state directory** ``STATE_ROOT/NAME/`` (``/run/vnetlab`` for root; ``$VNETLAB_STATE_DIR``
  overrides it) holds ``state.json`` (the lab's unique prefix, nodes, holder and init pids with
  their start times, the ``up`` process), ``build.sh`` (the compiled build script), ``holder.log``
  and ``lock``.
- the **lock**: ``up`` takes ``flock(LOCK_EX)`` on ``lock`` and hands the open file to the holder,
  so the lock is held exactly as long as any process of the lab is alive. A second ``up`` of the
  same lab fails (exit 1). "Is anything of this lab still alive?" is answered by the lock, and
  "which processes?" by the processes that have this very lock file open - never by names.

``down NAME`` kills the holder, the init and every process holding the lab's lock file, waits for
the lock to be free, removes the state directory. Down of a lab that is not up prints a message on
stderr and exits 0 (down is idempotent).

``status`` lists the labs: ``up``, ``starting`` (its ``up`` still runs), ``incomplete`` (its
``up`` was killed before the lab was ready), ``stale`` (nothing of it is alive any more).

``clean`` removes what crashed or killed runs left, and nothing else:
- every lab directory whose lab is ``stale`` or ``incomplete`` (processes holding its lock are
  killed first); labs that are up are kept (``--all`` takes them down too);
- the leftovers of ``vnetlab sh|run --backend linux`` sandboxes (backends/linux.py) whose invoker
  died: processes whose mount namespace carries linux.py's tmpfs ``vnetlab-netns`` on
  ``/run/netns`` and whose sandbox's root process was orphaned (re-parented to pid 1). Killing them
  frees the sandbox's namespaces, links and mounts. Live sandboxes (root's parent alive) are kept.
"""

from __future__ import annotations

import argparse
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

SANDBOX_TMPFS = "vnetlab-netns"          # linux.PROLOGUE's tmpfs on /run/netns
LAB_TMPFS = "vnetlab-lab"                # ours: vnetlab-lab.PREFIX
HOLDER_ARGV0 = "vnetlab-lab:"
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$")

HOLD = r'''
set -e
mkdir -p /run/netns /var/run/netns 2>/dev/null || true
mount -t tmpfs -o mode=755 "vnetlab-lab.$VNETLAB_PREFIX" /run/netns
[ /var/run/netns -ef /run/netns ] || mount --bind /run/netns /var/run/netns
set +e
cd /
. "$1" "$2"
trap - EXIT
: > "$2/ready"
while :; do sleep 3600 & wait $!; done
'''


class LifecycleError(Exception):
    """A message for the user; ``code`` is the exit status."""

    def __init__(self, msg: str, code: int = 1):
        super().__init__(msg)
        self.code = code


# -- state directory ---------------------------------------------------------------------------
def state_root() -> Path:
    env = os.environ.get("VNETLAB_STATE_DIR")
    if env:
        return Path(env)
    if os.geteuid() == 0:
        return Path("/run/vnetlab")
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    return Path(xdg) / "vnetlab" if xdg else Path(f"/tmp/vnetlab-{os.getuid()}")


def lab_dir(name: str) -> Path:
    if not _NAME_RE.match(name):
        raise LifecycleError(f"vnetlab: {name!r} is not a lab name (letters, digits, _ . -; "
                             f"at most 32 characters)", 2)
    return state_root() / name


def read_state(d: Path) -> dict:
    try:
        return json.loads((d / "state.json").read_text())
    except (OSError, ValueError):
        return {}


def write_state(d: Path, state: dict) -> None:
    tmp = d / "state.json.tmp"
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
    os.replace(tmp, d / "state.json")


# -- processes -----------------------------------------------------------------------------------
def start_time(pid: int | None) -> int | None:
    """The process's start time (clock ticks since boot): a pid plus this names one process."""
    if not pid:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    if fields[0] == "Z":
        return None                        # a zombie is dead for our purposes
    return int(fields[19])


def ppid_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2:].split()[1])


def alive(pid: int | None, start: int | None) -> bool:
    return bool(pid) and start is not None and start_time(pid) == start


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(x) for x in text.split()]
    except OSError:
        return [p for p in _pids() if ppid_of(p) == pid]


def holders_of(path: Path) -> list[int]:
    """Every process that has ``path`` (this very file) open."""
    try:
        st = path.stat()
    except OSError:
        return []
    out = []
    me = os.getpid()
    for pid in _pids():
        if pid == me:
            continue
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                s = os.stat(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if s.st_ino == st.st_ino and s.st_dev == st.st_dev:
                out.append(pid)
                break
    return out


def _kill(pid: int | None, start: int | None = None, *, exact: bool = True) -> bool:
    """SIGKILL one process: ``pid`` with start time ``start`` (``exact``), or - for a pid just
    found holding our lock - that pid. Never 0, -1, 1 or ourselves."""
    if not isinstance(pid, int) or pid <= 1 or pid == os.getpid():
        return False
    if exact and (start is None or start_time(pid) != start):
        return False
    try:
        os.kill(pid, signal.SIGKILL)
        return True
    except ProcessLookupError:
        return False


# -- the lock ------------------------------------------------------------------------------------
def try_lock(d: Path, blocking_for: float = 0.0) -> int | None:
    """An fd holding ``flock(LOCK_EX)`` on ``d/lock`` (created if missing), or None when another
    process holds it (after waiting up to ``blocking_for`` seconds)."""
    deadline = time.monotonic() + blocking_for
    while True:
        d.mkdir(parents=True, exist_ok=True)
        fd = os.open(d / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)
            continue
        try:                               # the file we locked may have been removed meanwhile
            same = os.fstat(fd).st_ino == (d / "lock").stat().st_ino
        except OSError:
            same = False
        if same:
            return fd
        os.close(fd)


def lock_held(d: Path) -> bool:
    if not (d / "lock").exists():
        return False
    try:
        fd = os.open(d / "lock", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


# -- classification ------------------------------------------------------------------------------
def lab_state(d: Path) -> tuple[str, dict]:
    """(up|starting|incomplete|stale, state.json)."""
    st = read_state(d)
    held = lock_held(d)
    holder = alive(st.get("holder_pid"), st.get("holder_start"))
    if st.get("status") == "up" and holder and held:
        return "up", st
    if st.get("status") == "starting" and alive(st.get("up_pid"), st.get("up_start")):
        return "starting", st
    if held or holder:
        return "incomplete", st
    return "stale", st


def _labs() -> list[Path]:
    root = state_root()
    try:
        return sorted(p for p in root.iterdir() if p.is_dir() and _NAME_RE.match(p.name))
    except OSError:
        return []


def kill_lab(d: Path, st: dict, wait: float = 15.0) -> None:
    """Kill everything of the lab in ``d``; return once nothing holds its lock."""
    _kill(st.get("init_pid"), st.get("init_start"))
    _kill(st.get("holder_pid"), st.get("holder_start"))
    deadline = time.monotonic() + wait
    while True:
        pids = holders_of(d / "lock")
        for pid in pids:
            _kill(pid, exact=False)
        if not pids:
            return
        if time.monotonic() > deadline:
            raise LifecycleError(f"vnetlab: lab {d.name}: processes {pids} survive SIGKILL")
        time.sleep(0.05)


def remove_dir(d: Path) -> None:
    fd = try_lock(d, blocking_for=5.0)
    try:
        shutil.rmtree(d, ignore_errors=True)
    finally:
        if fd is not None:
            os.close(fd)


# -- up ------------------------------------------------------------------------------------------
def sandbox_argv(prefix: str) -> list[str]:
    if shutil.which("unshare") is None:
        raise LifecycleError("vnetlab up: needs util-linux's unshare (apt-get install "
                             "util-linux)", 2)
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return ["unshare", *user, "--mount", "--net", "--pid", "--fork", "--kill-child",
            "--mount-proc", "--propagation", "private",
            "bash", "-c", HOLD, f"{HOLDER_ARGV0}{prefix}"]


def up(path: str, timeout: float = 300.0, out=sys.stdout) -> int:
    from ..lab.load import LabError, load
    from ..lab.run import compile_script
    from .bulk import host_netns_handle
    try:
        model = load(path)
    except LabError as e:
        raise LifecycleError("\n".join(e.problems), 2) from None
    from .linux import host_refusals
    refused = host_refusals(model)          # a lab naming host interfaces: build nothing
    if refused:
        raise LifecycleError("\n".join(refused), 2)
    name = model.name or Path(path).stem
    d = lab_dir(name)

    def _term(signum, frame):            # SIGTERM/SIGHUP during the build: undo it, like ^C
        raise SystemExit(128 + signum)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _term)
    lock = try_lock(d)
    if lock is None:
        state, st = lab_state(d)
        raise LifecycleError(f"vnetlab up: lab {name} is already {state} (holder pid "
                             f"{st.get('holder_pid', '?')}, lock {d / 'lock'}); "
                             f"'vnetlab down {name}' first", 1)
    try:
        for p in d.iterdir():                 # a stale run's files: nothing of it is alive
            if p.name != "lock":
                shutil.rmtree(p) if p.is_dir() else p.unlink()
        prefix = f"vnl-{name}-{secrets.token_hex(4)}"
        me = os.getpid()
        st = {"name": name, "prefix": prefix, "lab": str(Path(path).resolve()),
              "nodes": list(model.nodes), "switch_netns": [f"vnlsw-{s}" for s in
                                                         model.switches()],
              "status": "starting", "up_pid": me, "up_start": start_time(me),
              "created": time.time()}
        write_state(d, st)
        outdir = d / "out"
        outdir.mkdir()
        build = d / "build.sh"
        spec = d / "topology.json"             # nodes, switches, links: backends/bulk.py
        build.write_text(compile_script(model.model_copy(update={"checks": []}),
                                        bulk=str(spec)))
        env = {k: v for k, v in os.environ.items()
               if k not in ("VNETLAB_SOCK", "VNETLAB_NS", "VNETLAB_SYSDIR",
                            "VNETLAB_HOST_NETNS_FD")}
        env["VNETLAB_PREFIX"] = prefix
        with open(d / "holder.log", "wb") as log, host_netns_handle(model) as host:
            argv = sandbox_argv(prefix) + [str(build), str(outdir)]
            env.update(host.get("extra_env", {}))
            # argv[0] names the holder in ps: vnetlab-lab:PREFIX
            proc = subprocess.Popen([f"{HOLDER_ARGV0}{prefix}"] + argv[1:],
                                    executable=shutil.which("unshare"),
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                    pass_fds=(lock, *host.get("pass_fds", ())),
                                    start_new_session=True)
        st.update(holder_pid=proc.pid, holder_start=start_time(proc.pid))
        write_state(d, st)
        problem = _wait_ready(d, st, proc, timeout)
        if problem is not None:
            kill_lab(d, st)
            os.close(lock)
            lock = None
            remove_dir(d)
            raise LifecycleError(f"vnetlab up: {name}: {problem}", 2)
        st["status"] = "up"
        write_state(d, st)
    except BaseException:
        if lock is not None and read_state(d).get("status") != "up":
            st = read_state(d)
            try:
                kill_lab(d, st)
            finally:
                os.close(lock)
                lock = None
                remove_dir(d)
        raise
    finally:
        if lock is not None:
            os.close(lock)
    print(f"lab {name} is up: nodes {', '.join(model.nodes)} (holder pid {st['holder_pid']}, "
          f"prefix {prefix})", file=out)
    print(f"  vnetlab exec {name} NODE -- CMD    vnetlab down {name}", file=out)
    return 0


def _wait_ready(d: Path, st: dict, proc: subprocess.Popen, timeout: float) -> str | None:
    deadline = time.monotonic() + timeout
    out = d / "out"
    while True:
        if "init_pid" not in st:
            kids = children(proc.pid)
            if kids:
                st.update(init_pid=kids[0], init_start=start_time(kids[0]))
                write_state(d, st)
        if (out / "setup.err").exists():
            time.sleep(0.1)
            return "setup failed: " + (out / "setup.err").read_text().rstrip()
        if (out / "ready").exists() and "init_pid" in st:
            return None
        if proc.poll() is not None:
            log = (d / "holder.log").read_text(errors="replace").strip()
            return f"the sandbox exited ({proc.returncode})" + (f": {log}" if log else "")
        if time.monotonic() > deadline:
            return f"not ready after {timeout:g} s"
        time.sleep(0.05)


# -- down, status, exec, clean -------------------------------------------------------------------
def down(name: str, out=sys.stdout) -> int:
    d = lab_dir(name)
    if not d.is_dir():
        print(f"vnetlab down: lab {name} is not up", file=sys.stderr)
        return 0
    st = read_state(d)
    kill_lab(d, st)
    remove_dir(d)
    print(f"lab {name} is down", file=out)
    return 0


def status_rows() -> list[dict]:
    rows = []
    for d in _labs():
        state, st = lab_state(d)
        rows.append({"name": d.name, "state": state, "nodes": st.get("nodes", []),
                     "holder_pid": st.get("holder_pid"), "prefix": st.get("prefix"),
                     "alive": alive(st.get("holder_pid"), st.get("holder_start"))})
    return rows


def status(as_json: bool = False, out=sys.stdout) -> int:
    rows = status_rows()
    if as_json:
        print(json.dumps(rows, indent=1), file=out)
        return 0
    if not rows:
        print("no labs", file=out)
        return 0
    w = max(4, *(len(r["name"]) for r in rows))
    print(f"{'NAME':<{w}}  {'STATE':<10}  {'HOLDER':>7}  ALIVE  NODES", file=out)
    for r in rows:
        print(f"{r['name']:<{w}}  {r['state']:<10}  {r['holder_pid'] or '-':>7}  "
              f"{'yes' if r['alive'] else 'no':<5}  {' '.join(r['nodes'])}", file=out)
    return 0


def exec_argv(name: str, node: str, cmd: list[str]) -> list[str]:
    d = lab_dir(name)
    state, st = lab_state(d) if d.is_dir() else ("absent", {})
    if state != "up" or not alive(st.get("init_pid"), st.get("init_start")):
        raise LifecycleError(f"vnetlab exec: lab {name} is not up", 1)
    if node not in st.get("nodes", []) + st.get("switch_netns", []):
        raise LifecycleError(f"vnetlab exec: lab {name} has no node {node!r} (nodes: "
                             f"{', '.join(st.get('nodes', []))})", 2)
    if not cmd:
        cmd = ["bash"]
    pid = str(st["init_pid"])
    user = []
    try:
        if os.stat(f"/proc/{pid}/ns/user").st_ino != os.stat("/proc/self/ns/user").st_ino:
            user = ["--user", "--preserve-credentials"]
    except OSError:
        pass
    return ["nsenter", "-t", pid, *user, "--mount", "--net", "--pid", "--wd=/",
            "ip", "netns", "exec", node, *cmd]


def exec_(name: str, node: str, cmd: list[str]) -> int:
    argv = exec_argv(name, node, cmd)
    rc = subprocess.run(argv).returncode
    return 128 - rc if rc < 0 else rc


def _mount_sources(pid: int) -> set[str]:
    """Sources of the tmpfs mounts on /run/netns in the process's mount namespace."""
    try:
        text = Path(f"/proc/{pid}/mountinfo").read_text()
    except OSError:
        return set()
    out = set()
    for line in text.splitlines():
        left, _, right = line.partition(" - ")
        f, r = left.split(), right.split()
        if len(f) >= 5 and len(r) >= 2 and f[4] in ("/run/netns", "/var/run/netns") \
                and r[0] == "tmpfs":
            out.add(r[1])
    return out


def orphaned_sandboxes() -> list[int]:
    """Processes of linux.py sandboxes whose invoker died (see the module docstring)."""
    members = {p for p in _pids() if SANDBOX_TMPFS in _mount_sources(p)}
    out = []
    for p in members:
        root, seen = p, set()
        while True:
            pp = ppid_of(root)
            if pp is None or pp not in members or pp in seen:
                break
            seen.add(root)
            root = pp
        if ppid_of(root) == 1:
            out.append(p)
    return sorted(out)


def clean(all_labs: bool = False, out=sys.stdout) -> int:
    n = 0
    for d in _labs():
        state, st = lab_state(d)
        if state in ("up", "starting") and not all_labs:
            print(f"kept: lab {d.name} is {state} (vnetlab down {d.name})", file=out)
            continue
        kill_lab(d, st)
        remove_dir(d)
        print(f"removed: lab {d.name} ({state})", file=out)
        n += 1
    pids = orphaned_sandboxes()
    for pid in pids:
        _kill(pid, exact=False)
    if pids:
        print(f"killed {len(pids)} process(es) left by killed 'vnetlab sh|run --backend linux' "
              f"sandboxes: {' '.join(map(str, pids))}", file=out)
        n += 1
    root = state_root()
    if root.is_dir() and not any(root.iterdir()):
        try:
            root.rmdir()
        except OSError:
            pass
    if not n:
        print("nothing to clean", file=out)
    return 0


def main(args) -> int:
    """Dispatch for cli.py: args.cmd in up/down/status/clean/exec."""
    try:
        if args.cmd == "up":
            return up(args.lab, timeout=args.timeout)
        if args.cmd == "down":
            return down(args.name)
        if args.cmd == "status":
            return status(as_json=args.json)
        if args.cmd == "clean":
            return clean(all_labs=args.all)
        if args.cmd == "exec":
            cmd = list(args.command)
            if cmd[:1] == ["--"]:
                cmd = cmd[1:]
            return exec_(args.name, args.node, cmd)
    except LifecycleError as e:
        print(str(e), file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        return 130
    return 2


def add_parsers(sub) -> None:
    u = sub.add_parser("up", help="build a lab on the real kernel and leave it running "
                                  "(linux backend)")
    u.add_argument("lab", help="the lab file (YAML)")
    u.add_argument("--backend", choices=("linux",), default="linux",
                   help="only linux: persistent labs are real namespaces")
    u.add_argument("--timeout", type=float, default=300.0,
                   help="seconds to wait for the build (default 300)")
    d = sub.add_parser("down", help="tear a lab down (kill everything of it, remove its state)")
    d.add_argument("name", help="the lab's name (its 'name:' or the file's stem)")
    s = sub.add_parser("status", help="list the labs that are up (and stale ones)")
    s.add_argument("--json", action="store_true")
    c = sub.add_parser("clean", help="remove what crashed or killed linux-backend runs left "
                                     "behind (and nothing else)")
    c.add_argument("--all", action="store_true", help="also take down the labs that are up")
    e = sub.add_parser("exec", help="run a command inside a node of a lab that is up")
    e.add_argument("name")
    e.add_argument("node")
    e.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")


COMMANDS = ("up", "down", "status", "clean", "exec")
