"""The linux backend on the reference kernel: a batch of shell scripts in ONE boot of a VM.

The VM is virtme-ng (``vng``) + qemu booting Debian's ``linux-image-amd64`` over a read-only view
of the host's own filesystem, so the guest runs the very same ``ip``, ``ipvsadm``, ``tcpdump``...
as the host. One boot costs ~20 s under TCG, so callers hand over many scripts at once.

How a batch runs:

- the host makes a batch directory (``tempfile.mkdtemp``) and writes ``runner.sh`` into it; the
  VM gets that directory read-write (``vng --rwdir``) at the same path, and everything the guest
  reports goes there as files: ``booted``, ``N.start``, ``N.out``, ``N.err``, ``N.rc``,
  ``N.leftover``, ``done``. The console is never parsed.
- each script runs in the same sandbox the host linux backend uses (new mount + network
  namespaces, a private tmpfs on ``/run/netns``; see ``linux.PROLOGUE``), under ``timeout``.
- after each script the guest makes the kernel look freshly booted again: every process left in
  a network namespace other than the guest's initial one is killed, and every kernel module
  loaded since boot is unloaded (``ipip`` would otherwise leave ``tunl0`` in every later
  namespace, ``ip_gre`` its ``gre0``...). A module that cannot be unloaded is reported in
  ``Result.leftover``.
- the host watches the directory: no ``booted`` within the boot timeout, or a script far past
  its own timeout, kills the VM (its process group, which this module started).

Acceleration: ``VNETLAB_VM_ACCEL=kvm|tcg|auto`` (default auto). Auto tries KVM when ``/dev/kvm``
is usable and falls back to TCG when the guest does not boot in time (KVM hangs in early boot on
nested hosts); the verdict is cached per (kernel, qemu) in ``~/.cache/vnetlab/vm-accel.json``.

Kernel: ``VNETLAB_VM_KERNEL`` or the newest ``/boot/vmlinuz-*`` (its modules must be in
``/lib/modules/VERSION``).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .linux import PROLOGUE

DEFAULT_SCRIPT_TIMEOUT = 300.0
KVM_BOOT_TIMEOUT = 30.0
TCG_BOOT_TIMEOUT = 600.0         # a loaded 2-core machine has been seen to need ~4 minutes
_GRACE = 120.0           # past a script's own timeout: the guest's `timeout -k` acts first,
                         # then its cleanup (<= 30 s), on a guest that can be very slow
_BOOT_DIR = "/boot"
_MODULES_DIR = "/lib/modules"
_BUSYBOX_DIRS = ("/usr/bin", "/bin", "/usr/sbin", "/sbin")
_KVM_DEV = "/dev/kvm"


class VMUnavailable(RuntimeError):
    """A piece the VM needs is missing; the message is one line naming it and its package."""


class VMError(RuntimeError):
    """The VM did not boot or died; the message carries the tail of qemu/vng's log."""


@dataclass
class Job:
    script: str
    args: list[str] = field(default_factory=list)
    timeout: float = DEFAULT_SCRIPT_TIMEOUT


@dataclass
class Result:
    returncode: int | None          # None: the script never finished (VM killed)
    out: bytes = b""
    err: bytes = b""
    timed_out: bool = False
    leftover: list[str] = field(default_factory=list)   # modules that stayed loaded after it

    @property
    def stdout(self) -> str:
        return self.out.decode("utf-8", "replace")

    @property
    def stderr(self) -> str:
        return self.err.decode("utf-8", "replace")


# -- finding the pieces ------------------------------------------------------------------------

def _version_key(path: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path)]


def find_kernel() -> str:
    """The kernel image to boot; raises VMUnavailable naming the package when there is none."""
    env = os.environ.get("VNETLAB_VM_KERNEL")
    if env:
        if not os.path.isfile(env):
            raise VMUnavailable(f"no kernel image at VNETLAB_VM_KERNEL={env} "
                                "(apt-get install linux-image-amd64)")
        kernel = env
    else:
        images = sorted((str(p) for p in Path(_BOOT_DIR).glob("vmlinuz-*")), key=_version_key)
        if not images:
            raise VMUnavailable("no kernel image /boot/vmlinuz-* for the VM "
                                "(apt-get install linux-image-amd64)")
        kernel = images[-1]
    if not os.access(kernel, os.R_OK):
        raise VMUnavailable(f"cannot read the kernel image {kernel} (run as root, or "
                            "set VNETLAB_VM_KERNEL to a readable linux-image-amd64 vmlinuz)")
    name = os.path.basename(kernel)
    mods = os.path.join(_MODULES_DIR, name[8:])
    if name.startswith("vmlinuz-") and not os.path.isdir(mods):
        raise VMUnavailable(f"no modules {mods} for {kernel} "
                            "(apt-get install linux-image-amd64)")
    return kernel


def find_vng() -> str:
    """``vng``, preferring the one next to this Python (the venv); vng execs ``virtme-run``
    through PATH, so that directory goes first on the PATH it gets (see _env)."""
    here = Path(sys.executable).parent / "vng"
    if here.is_file() and (here.parent / "virtme-run").is_file():
        return str(here)
    found = shutil.which("vng")
    if found and shutil.which("virtme-run", path=str(Path(found).parent)):
        return found
    raise VMUnavailable("the VM needs virtme-ng's vng and virtme-run (pip install virtme-ng)")


def find_qemu() -> str:
    q = shutil.which("qemu-system-x86_64")
    if q is None:
        raise VMUnavailable("the VM needs qemu-system-x86_64 (apt-get install qemu-system-x86)")
    return q


def find_busybox() -> str:
    for name in ("busybox-static", "busybox.static", "busybox"):
        b = shutil.which(name) or next((f"{d}/{name}" for d in _BUSYBOX_DIRS
                                         if os.path.isfile(f"{d}/{name}")), None)
        if b:
            return b
    raise VMUnavailable("the VM's initramfs needs busybox (apt-get install busybox-static)")


def check() -> tuple[str, str, str]:
    """(vng, qemu, kernel), or VMUnavailable with the first missing piece."""
    vng = find_vng()
    qemu = find_qemu()
    find_busybox()
    return vng, qemu, find_kernel()


def unavailable_reason() -> str | None:
    """None when every piece is there; otherwise the one-line message of VMUnavailable."""
    try:
        check()
    except VMUnavailable as e:
        return str(e)
    return None


# -- KVM or TCG --------------------------------------------------------------------------------

def _cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "vnetlab" / "vm-accel.json"


def _accel_key(kernel: str, qemu: str) -> str:
    def stamp(p):
        try:
            return int(os.stat(p).st_mtime)
        except OSError:
            return 0
    return f"{kernel}:{stamp(kernel)}:{qemu}:{stamp(qemu)}"


def _cached_accel(key: str) -> str | None:
    try:
        return json.loads(_cache_file().read_text()).get(key)
    except (OSError, ValueError, AttributeError):
        return None


def _store_accel(key: str, accel: str) -> None:
    f = _cache_file()
    try:
        data = json.loads(f.read_text()) if f.exists() else {}
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data[key] = accel
    try:
        f.parent.mkdir(parents=True, exist_ok=True)
        tmp = f.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, f)
    except OSError:
        pass


def accel_candidates(kernel: str, qemu: str) -> list[str]:
    """The accelerators to try, in order."""
    want = os.environ.get("VNETLAB_VM_ACCEL", "auto")
    if want in ("kvm", "tcg"):
        return [want]
    if not os.access(_KVM_DEV, os.R_OK | os.W_OK):
        return ["tcg"]
    cached = _cached_accel(_accel_key(kernel, qemu))
    if cached == "tcg":
        return ["tcg"]
    return ["kvm", "tcg"]


# -- the guest's side --------------------------------------------------------------------------

_RUNNER_HEAD = r'''#!/bin/bash
# vnetlab VM batch runner (generated): one sandbox per job, results as files in $R.
R=@DIR@
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
@ENV@
exec >"$R/runner.log" 2>&1
PROLOGUE=@PROLOGUE@
initns=$(readlink /proc/self/ns/net)
# the static device nodes systemd-tmpfiles makes on a booted Debian (kmod static-nodes): opening
# one autoloads its module (tun for `ip tuntap`, as on the host)
mkdir -p /dev/net
[ -e /dev/net/tun ] || mknod -m 666 /dev/net/tun c 10 200
# Debian's kernel defaults to fq_codel (CONFIG_DEFAULT_FQ_CODEL); the host kernel, like the
# emulator, to pfifo_fast: the qdisc a tun/tap gets. The VM takes the host's default.
sysctl -qw net.core.default_qdisc=pfifo_fast
base=" "
while read -r m _; do base="$base$m "; done </proc/modules
uname -r >"$R/booted.tmp" && mv "$R/booted.tmp" "$R/booted"

# Forks are slow under TCG (~0.3 s each on a loaded host): builtins wherever a loop would fork.
fresh() {   # make the kernel look as after boot: no stray processes, no module loaded since
    local d ns m new k
    while read -r d ns; do
        d=${d#/proc/}
        [ "$ns" = "$initns" ] || kill -9 "${d%/ns}" 2>/dev/null
    done < <(find /proc/[0-9]*/ns -maxdepth 1 -name net -printf '%h %l\n' 2>/dev/null)
    SECONDS=0
    for k in {1..1000}; do
        new=
        while read -r m _; do
            case "$base" in *" $m "*) ;; *) new="$new $m" ;; esac
        done </proc/modules
        [ -z "$new" ] || [ "$SECONDS" -ge 30 ] && break
        [ "$k" = 1 ] || sleep 0.2
        rmmod $new 2>/dev/null
    done
    echo $new >"$1"
    base="$base$new "    # stuck for good (e.g. the crypto RNG): reported once, then tolerated
}

job() {     # job N TIMEOUT CWD SCRIPT ARGS...
    local i=$1 t=$2 cwd=$3 rc
    shift 3
    : >"$R/$i.start"
    (cd "$cwd" 2>/dev/null || cd /
     exec timeout -k 5 "$t" unshare --mount --net --propagation private \
        sh -c "$PROLOGUE" vnetlab-sandbox "$@") </dev/null >"$R/$i.out" 2>"$R/$i.err"
    rc=$?
    fresh "$R/$i.leftover"
    echo $rc >"$R/$i.rc.tmp" && mv "$R/$i.rc.tmp" "$R/$i.rc"
}

fresh "$R/boot.leftover"
'''


def _runner(batch: str, jobs: list[Job], cwd: str) -> str:
    env = "\n".join(f"export {k}={shlex.quote(os.environ[k])}"
                    for k in ("LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "LC_NUMERIC", "TZ")
                    if k in os.environ)
    head = _RUNNER_HEAD.replace("@DIR@", shlex.quote(batch)).replace("@ENV@", env)
    lines = [head.replace("@PROLOGUE@", shlex.quote(PROLOGUE))]
    for i, j in enumerate(jobs):
        argv = [str(i), f"{max(1, int(j.timeout))}", cwd, j.script] + list(j.args)
        lines.append("job " + " ".join(shlex.quote(a) for a in argv))
    lines.append(': >"$R/done"')
    return "\n".join(lines) + "\n"


# Host directories the guest does not see as the host has them (its own tmpfs or procfs).
_GUEST_PRIVATE = ("/run/", "/dev/", "/proc/", "/sys/", "/var/tmp/", "/var/log/", "/var/cache/")


def _visible_path(script: str, batch: str, i: int) -> str:
    path = os.path.abspath(script)
    if path.startswith(_GUEST_PRIVATE):
        copy = os.path.join(batch, f"{i}.script")
        shutil.copyfile(path, copy)
        return copy
    return path


# -- the host's side ---------------------------------------------------------------------------

def _env(vng: str) -> dict:
    env = dict(os.environ)
    for k in ("VNETLAB_SOCK", "VNETLAB_NS", "VNETLAB_SYSDIR"):
        env.pop(k, None)
    env["PATH"] = str(Path(vng).parent) + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    return env


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(path: Path, n: int = 300) -> str:
    try:
        text = path.read_bytes()[-4000:].decode("utf-8", "replace")
    except OSError:
        return ""
    text = " ".join(text.split())
    return text[-n:]


class _Boot:
    """One vng process and the watch over its batch directory."""

    def __init__(self, vng, kernel, accel, batch: Path, jobs, boot_timeout, cpus, memory):
        self.batch, self.jobs, self.boot_timeout = batch, jobs, boot_timeout
        cmd = [vng, "--run", kernel, "--user", "root", "--rwdir", str(batch),
               "--memory", memory, "--exec", f"bash {shlex.quote(str(batch / 'runner.sh'))}"]
        if cpus:
            cmd[1:1] = ["--cpus", str(cpus)]
        if accel == "tcg":
            cmd.insert(1, "--disable-kvm")
        self.log = batch / f"vng-{accel}.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=_env(vng),
                                         start_new_session=True, cwd="/")

    def wait_boot(self) -> bool:
        deadline = time.monotonic() + self.boot_timeout
        while time.monotonic() < deadline:
            if (self.batch / "booted").exists():
                return True
            if self.proc.poll() is not None:
                return (self.batch / "booted").exists()
            time.sleep(0.1)
        return (self.batch / "booted").exists()

    def wait_jobs(self) -> str | None:
        """Until the runner is done or the VM exits; an error text if it had to be killed."""
        current, since = -1, time.monotonic()
        while True:
            if (self.batch / "done").exists():
                try:
                    self.proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    _kill(self.proc)
                return None
            if self.proc.poll() is not None:
                return None if (self.batch / "done").exists() else (
                    f"the VM exited before the batch was done: {_tail(self.log)}")
            n = current
            while (self.batch / f"{n + 1}.start").exists():
                n += 1
            if n != current:
                current, since = n, time.monotonic()
            if 0 <= current < len(self.jobs):
                if time.monotonic() - since > self.jobs[current].timeout + _GRACE:
                    _kill(self.proc)
                    return f"job {current} ({self.jobs[current].script}) hung past its timeout"
            time.sleep(0.1)


def run_batch(jobs: list[Job], *, kernel: str | None = None, boot_timeout: float | None = None,
              cpus: int | None = None, memory: str = "1G", keep: bool | None = None
              ) -> list[Result]:
    """Run ``jobs`` in one boot of the VM; one Result per job, in order.

    Raises VMUnavailable when a piece is missing, VMError when the VM does not boot."""
    vng, qemu, found = check()
    kernel = kernel or found
    if keep is None:
        keep = bool(os.environ.get("VNETLAB_VM_KEEP"))
    cwd = os.getcwd()
    batch = Path(tempfile.mkdtemp(prefix="vnetlab-vm-"))
    boots: list[_Boot] = []
    try:
        jobs = [Job(_visible_path(j.script, str(batch), i), list(j.args), j.timeout)
                for i, j in enumerate(jobs)]
        (batch / "runner.sh").write_text(_runner(str(batch), jobs, cwd))
        key = _accel_key(kernel, qemu)
        candidates = accel_candidates(kernel, qemu)
        error = None
        for k, accel in enumerate(candidates):
            last = k == len(candidates) - 1
            timeout = boot_timeout or (KVM_BOOT_TIMEOUT if accel == "kvm" and not last else
                                       float(os.environ.get("VNETLAB_VM_BOOT_TIMEOUT", 0))
                                       or TCG_BOOT_TIMEOUT)
            boot = _Boot(vng, kernel, accel, batch, jobs, timeout, cpus, memory)
            boots.append(boot)
            if not boot.wait_boot():
                _kill(boot.proc)
                if accel == "kvm" and not last:
                    _store_accel(key, "tcg")
                    continue
                raise VMError(f"the VM ({accel}, {kernel}) did not boot within {timeout:.0f} s: "
                              f"{_tail(boot.log)}")
            if accel == "kvm" and len(candidates) > 1:
                _store_accel(key, "kvm")
            error = boot.wait_jobs()
            break
        results = [_collect(batch, i, j, error) for i, j in enumerate(jobs)]
        return results
    finally:
        for boot in boots:      # also on KeyboardInterrupt: never leave a VM behind
            _kill(boot.proc)
        if keep:
            print(f"vnetlab: VM batch directory kept: {batch}", file=sys.stderr)
        else:
            shutil.rmtree(batch, ignore_errors=True)


def _collect(batch: Path, i: int, job: Job, error: str | None) -> Result:
    def read(name):
        try:
            return (batch / name).read_bytes()
        except OSError:
            return b""
    rc_text = read(f"{i}.rc").strip()
    rc = int(rc_text) if rc_text.lstrip(b"-").isdigit() else None
    err = read(f"{i}.err")
    if rc is None:
        why = error or "the VM ended before this script finished"
        err += f"vnetlab: {why}\n".encode()
    return Result(returncode=rc, out=read(f"{i}.out"), err=err, timed_out=rc in (124, 137),
                  leftover=read(f"{i}.leftover").decode().split())


def run_script(script: str, args: list[str], timeout: float | None = None) -> Result:
    """One script in its own boot (``vnetlab sh --backend linux --kernel vm``)."""
    t = timeout or float(os.environ.get("VNETLAB_VM_SCRIPT_TIMEOUT", DEFAULT_SCRIPT_TIMEOUT))
    return run_batch([Job(script, list(args), t)])[0]


def sh_main(script: str, args: list[str]) -> int:
    """The CLI: run one script in the VM, relay its stdout, stderr and exit status."""
    try:
        res = run_script(script, args)
    except (VMUnavailable, VMError) as e:
        print(f"vnetlab sh --kernel vm: {e}", file=sys.stderr)
        return 1
    sys.stdout.flush()
    sys.stdout.buffer.write(res.out)
    sys.stdout.buffer.flush()
    sys.stderr.flush()
    sys.stderr.buffer.write(res.err)
    sys.stderr.buffer.flush()
    return 1 if res.returncode is None else res.returncode
