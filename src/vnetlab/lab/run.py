"""Running a lab: build the topology, run each node's setup lines, run the checks, report.

Two backends, one lab:

* **emu** (default): the emulated kernel in virtual time. Nodes are netns, veth links are made
  with the typed API, wires are NICs plugged into an external ``Switch`` (per-port hairpin),
  setup lines and checks run through the emulator's command layer (``commands.run``) inside
  the node's netns. ``echo N > /proc/sys/...`` is understood as the shell would do it.
* **linux**: the lab compiles to one bash script (``compile_script``) that runs in the linux
  backend's throwaway sandbox: ``ip netns add`` per node, ``ip link add ... type veth`` per
  link, an external switch is a bridge in its own netns (``vnlsw-NAME``) whose ports have
  ``hairpin on`` where asked, and each setup line / check runs under ``ip netns exec NODE bash
  -c LINE``. The check outputs land in a directory the script is given; the same evaluation as
  on emu reads them. A setup line ending in ``&`` starts a server (on emu it stays up in the
  emulated world; on linux it runs in the background and is killed when the script ends).

``--pcap DIR`` writes ``DIR/NODE.pcapng`` for every node on both backends: on emu from the
packet taps (vnetlab.trace.pcapng, virtual time), on linux with Wireshark's ``dumpcap -p``
(non-promiscuous, as the emulator's taps) on every interface that is up, while the checks run.
The two can be compared packet by packet (tests/test_pcapng.py does, for ICMP).

Exit status of ``vnetlab run``: 0 only when every check passed; 1 when a check failed; 2 for a
bad lab file or a setup line that failed.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .load import where
from .model import ExecSpec, Lab as LabModel, PingSpec, VethLink, WireLink, check_kind


@dataclass
class CheckResult:
    index: int
    kind: str
    title: str
    where: str
    ok: bool
    detail: str = ""


@dataclass
class Outcome:
    results: list[CheckResult] = field(default_factory=list)
    setup_error: str | None = None

    @property
    def passed(self) -> bool:
        return self.setup_error is None and all(r.ok for r in self.results)

    @property
    def exit_code(self) -> int:
        if self.setup_error is not None:
            return 2
        return 0 if self.passed else 1


class SetupError(Exception):
    pass


# -- one command line on the emulator ------------------------------------------------------------
_SHELL_OPS = {"|", "||", "&&", ";", "&", "<", "<<", ">>", "2>", "2>&1", "$(", "`"}


def run_line(lab, line: str, ns) -> tuple[int, str, str]:
    """Run one command line of the script language inside ``ns`` on the emulator."""
    from ..commands import procsys, run
    try:
        argv = shlex.split(line, comments=True)
    except ValueError as e:
        return 2, "", f"vnetlab: cannot parse the line: {e}\n"
    if argv and argv[-1] == "&":
        argv = argv[:-1]            # a server: from Python it stays up in the emulated world
    elif argv and argv[-1].endswith("&") and not argv[-1].endswith("\\&"):
        argv[-1] = argv[-1][:-1]
    if not argv:
        return 0, "", ""
    redirect = None
    for i, tok in enumerate(argv):
        if tok == ">" or (tok.startswith(">") and not tok.startswith(">>") and len(tok) > 1):
            target = tok[1:] if tok != ">" else (argv[i + 1] if i + 1 < len(argv) else "")
            rest = argv[i + 2:] if tok == ">" else argv[i + 1:]
            if rest or not target:
                return 2, "", "vnetlab: only one '> FILE' redirection at the end is supported\n"
            redirect = target
            argv = argv[:i]
            break
        if tok in _SHELL_OPS or tok.startswith("$("):
            return 2, "", (f"vnetlab: shell syntax {tok!r} is not supported in a lab line "
                           f"(one command per line; use 'vnetlab sh' for scripts)\n")
    if redirect is not None:
        if argv[:1] != ["echo"]:
            return 2, "", "vnetlab: a redirection works only with echo > /proc/sys/...\n"
        text = " ".join(a for a in argv[1:] if a != "-n") + "\n"
        if not redirect.startswith("/proc/sys/"):
            return 1, "", f"vnetlab: {redirect}: only /proc/sys/ files can be written\n"
        try:
            procsys.write(ns, redirect[len("/proc/sys/"):], text)
        except OSError as e:
            return 1, "", f"bash: line 1: echo: write error: {e.strerror}\n" \
                if e.errno != 2 else f"bash: {redirect}: No such file or directory\n"
        return 0, "", ""
    if argv[0] == "echo":
        return 0, " ".join(a for a in argv[1:] if a != "-n") + ("" if "-n" in argv else "\n"), ""
    if argv[0] in ("true", ":"):
        return 0, "", ""
    if argv[0] == "false":
        return 1, "", ""
    if argv[0] == "sleep" and len(argv) == 2:
        try:
            lab.run_for(float(argv[1]))
        except ValueError:
            return 1, "", f"sleep: invalid time interval '{argv[1]}'\n"
        return 0, "", ""
    return run(lab, argv, ns=ns)


# -- evaluation shared by both backends ------------------------------------------------------------
def _first(text: str) -> str:
    text = text.strip().splitlines()
    return text[0] if text else ""


def evaluate(chk, outputs: list[tuple[int, str, str]], to_addr: str | None = None
             ) -> tuple[bool, str]:
    """(passed, detail) of one check from the (status, stdout, stderr) of its command runs."""
    kind = check_kind(chk)
    spec = getattr(chk, kind)
    if kind == "ping":
        code, out, err = outputs[0]
        got = "ok" if code == 0 else "fail"
        stats = next((ln for ln in out.splitlines() if "packets transmitted" in ln), "")
        why = stats or _first(err) or _first(out) or f"exit {code}"
        return got == spec.expect, f"ping {to_addr or spec.to}: {got} ({why})"
    if kind == "exec":
        code, out, err = outputs[0]
        problems = []
        if spec.expect_exit is not None and code != spec.expect_exit:
            problems.append(f"exit {code}, expected {spec.expect_exit}"
                            + (f": {_first(err)}" if _first(err) else ""))
        if spec.expect_stdout is not None and out.rstrip("\n") != spec.expect_stdout.rstrip("\n"):
            problems.append(f"stdout {out.rstrip(chr(10))!r}, expected "
                            f"{spec.expect_stdout.rstrip(chr(10))!r}")
        if spec.expect_stdout_contains is not None and spec.expect_stdout_contains not in out:
            problems.append(f"stdout lacks {spec.expect_stdout_contains!r}")
        return not problems, "; ".join(problems) or f"exit {code}"
    # curl
    n = len(spec.expect)
    got = [o[1].rstrip("\n") if o[0] == 0 else f"<exit {o[0]}: {_first(o[2])}>"
           for o in outputs]
    want = [spec.expect[i % n] for i in range(len(outputs))]
    ok = got == want
    return ok, f"got {got}" + ("" if ok else f", expected {want}")


def check_title(chk) -> str:
    kind = check_kind(chk)
    s = getattr(chk, kind)
    if kind == "ping":
        return f"ping {s.src} -> {s.to} expect {s.expect}"
    if kind == "exec":
        return f"{s.node}: {s.cmd}"
    return f"curl {s.src} {s.url} x{s.repeat or len(s.expect)}"


# -- the emulator backend ---------------------------------------------------------------------
class EmuRun:
    """A lab built on the emulator. ``build()`` makes the topology and runs the setup;
    ``run_checks()`` runs every check; the api.Lab is ``self.lab``."""

    def __init__(self, model: LabModel, seed: int = 0):
        from ..api import Lab
        from ..hostinfo import possible_cpus
        self.model = model
        self.lab = Lab(seed=seed, cpus=possible_cpus())
        self.switches: dict = {}
        self.plugged: list = []                 # (node, nic dev, switch name, hairpin)

    def build(self, progress=None) -> None:
        """``progress(done, total, what)``, if given, is called after each link and setup line."""
        from ..devices.nic import Switch, add_nic
        from ..stack.errors import KernelError
        from ..wire.ethernet import mac_parse
        m, lab = self.model, self.lab
        total = len(m.links) + sum(len(n.setup) for n in m.nodes.values())
        done = 0
        for name in m.nodes:
            lab.netns(name)
        for i, link in enumerate(m.links):
            try:
                if isinstance(link, VethLink):
                    a, b = link.ends()
                    lab.add_veth(a.ifname, b.ifname, ns=a.node, peer_ns=b.node, mtu=link.mtu,
                                 peer_mtu=link.mtu)
                else:
                    ep = link.nic()
                    sw = self.switches.get(link.switch)
                    if sw is None:
                        sw = self.switches[link.switch] = Switch(lab.engine, link.switch)
                    nic = add_nic(lab.kernel, lab.ns(ep.node), ep.ifname,
                                  mac_parse(link.mac) if link.mac else None)
                    sw.plug(nic, hairpin=link.hairpin)
                    self.plugged.append((ep.node, nic, link.switch, link.hairpin))
            except KernelError as e:
                why = os.strerror(e.errno) + (f" ({e.extack})" if e.extack else "")
                raise SetupError(f"{where(m, 'links', i)}: links[{i}]: the kernel refused: "
                                 f"{why}") from None
            done += 1
            if progress is not None:
                progress(done, total, f"links[{i}]")
        for name, node in m.nodes.items():
            ns = lab.ns(name)
            for i, line in enumerate(node.setup):
                code, out, err = run_line(lab, line, ns)
                if code != 0:
                    raise SetupError(
                        f"{where(m, 'nodes', name, 'setup', i)}: nodes.{name}.setup[{i}]: "
                        f"{line!r} failed with exit status {code}"
                        + (f":\n{err.rstrip()}" if err.strip() else ""))
                done += 1
                if progress is not None:
                    progress(done, total, f"{name}: {line}")
        # settle as the linux backend does (its script sleeps 1 s): with IPv6 the machine is
        # never idle (router solicitations retry for ever), so waiting for idle would wait
        # the whole limit and let a second RS into counters the real run never shows
        lab.engine.run_for(1_000_000_000)

    def resolve(self, to: str) -> str | None:
        """A node name -> its first global IPv4 address (device order, primary first)."""
        from ..api import fmt_ip
        if to not in self.model.nodes:
            return to
        ns = self.lab.ns(to)
        for dev in sorted(ns.devices, key=lambda d: d.ifindex):
            if dev.ip is None or dev.flags & 0x8:
                continue
            for ifa in dev.ip.ifa_list:
                if ifa.scope == 0:
                    return fmt_ip(ifa.local)
        return None

    def run_check(self, chk) -> tuple[list[tuple[int, str, str]], str | None]:
        from ..commands import COMMANDS, load_all
        kind = check_kind(chk)
        s = getattr(chk, kind)
        lab = self.lab
        if kind == "ping":
            to = self.resolve(s.to)
            if to is None:
                return [(2, "", f"node {s.to} has no global IPv4 address\n")], None
            argv = ["ping", "-c", str(s.count), "-W", str(s.timeout)] + \
                (["-s", str(s.size)] if s.size is not None else []) + [to]
            return [lab_run(lab, argv, s.src)], to
        if kind == "exec":
            return [run_line(lab, s.cmd, lab.ns(s.node))], None
        load_all()
        if "curl" not in COMMANDS:
            return [], None
        return [lab_run(lab, ["curl", "-s", s.url], s.src)
                for _ in range(s.repeat or len(s.expect))], None

    def run_checks(self, on_check=None) -> list[CheckResult]:
        out = []
        for i, chk in enumerate(self.model.checks):
            outputs, to = self.run_check(chk)
            kind = check_kind(chk)
            if kind == "curl" and not outputs:
                ok, detail = False, "unsupported: curl not available yet"
            else:
                ok, detail = evaluate(chk, outputs, to)
            r = CheckResult(i, kind, check_title(chk), where(self.model, "checks", i), ok, detail)
            out.append(r)
            if on_check is not None:
                on_check(r)
        return out


def lab_run(lab, argv: list[str], node: str) -> tuple[int, str, str]:
    from ..commands import run
    return run(lab, argv, ns=lab.ns(node))


# -- the linux backend ------------------------------------------------------------------------
SWITCH_NS = "vnlsw-{}"


def compile_script(model: LabModel, pcap_dir: str | None = None,
                   bulk: str | None = None) -> str:
    """The lab as one bash script for the linux backend's sandbox. ``$1`` is a directory where
    each check writes ``N.rc``/``N.out``/``N.err`` (curl: ``N.K.*``); a failed setup line
    writes ``setup.err`` and exits 2. With ``pcap_dir``, Wireshark's ``dumpcap`` captures every
    interface of each node while the checks run, into ``pcap_dir/NODE.pcapng`` (one interface
    description per device, as the emulator's files). With ``bulk`` (the path of a
    file written here: ``backends.bulk.lab_spec``), the nodes, switches and links - and each
    node's leading plain address / link-up / route lines - are built by ``python -m
    vnetlab.backends.bulk build`` instead of one ``ip`` per command."""
    q = shlex.quote
    L = ["set -u", 'OUT="$1"',
         'die() { printf "%s\\n" "$1" > "$OUT/setup.err"; cat "$OUT/last.err" >> '
         '"$OUT/setup.err" 2>/dev/null; exit 2; }',
         "run() { \"$@\" 2> \"$OUT/last.err\"; }",
         # servers a setup line started with '&' must not outlive the sandbox
         "cleanup() { for n in $(ip netns list | cut -d' ' -f1); do "
         "ip netns pids \"$n\" 2>/dev/null | xargs -r kill 2>/dev/null; done; }",
         "trap cleanup EXIT"]
    n_topo = len(L)
    for name in model.nodes:
        L.append(f"run ip netns add {q(name)} || die {q(f'ip netns add {name} failed')}")
    for sw in model.switches():
        ns = SWITCH_NS.format(sw)
        L += [f"run ip netns add {q(ns)} || die {q(f'switch {sw}: netns')}",
              f"run ip -n {q(ns)} link add br0 type bridge || die {q(f'switch {sw}: bridge')}",
              f"run ip -n {q(ns)} link set br0 up || die {q(f'switch {sw}: up')}"]
    ports: dict[str, int] = {}
    for i, link in enumerate(model.links):
        here = q(f"{where(model, 'links', i)}: links[{i}] failed")
        if isinstance(link, VethLink):
            a, b = link.ends()
            mtu = f" mtu {link.mtu}" if link.mtu else ""
            L.append(f"run ip -n {q(a.node)} link add {q(a.ifname)}{mtu} type veth peer name "
                     f"{q(b.ifname)}{mtu} netns {q(b.node)} || die {here}")
        else:
            ep = link.nic()
            ns = SWITCH_NS.format(link.switch)
            k = ports[link.switch] = ports.get(link.switch, -1) + 1
            port = f"p{k}"
            L.append(f"run ip -n {q(ep.node)} link add {q(ep.ifname)} type veth peer name "
                     f"{port} netns {q(ns)} || die {here}")
            if link.mac:
                L.append(f"run ip -n {q(ep.node)} link set {q(ep.ifname)} address {link.mac} "
                         f"|| die {here}")
            L.append(f"run ip -n {q(ns)} link set {port} master br0 up || die {here}")
            if link.hairpin:
                L.append(f"run bridge -n {q(ns)} link set dev {port} hairpin on || die {here}")
    lifted: dict[str, int] = {}
    if bulk is not None:      # the topology from one process over rtnetlink (backends/bulk.py)
        from ..backends.bulk import lab_spec
        spec = lab_spec(model)
        lifted = spec["lifted"]                  # leading plain setup lines it does too
        Path(bulk).write_text(json.dumps(spec))
        # at exit: the bulk teardown (servers killed in one pass over /proc, netns deleted)
        L = [f"cleanup() {{ {q(sys.executable)} -m vnetlab.backends.bulk teardown --kill; }}"
             if x.startswith("cleanup() ") else x for x in L]
        L[n_topo:] = [f"{q(sys.executable)} -m vnetlab.backends.bulk build {q(bulk)} "
                      '2> "$OUT/last.err" || { cat "$OUT/last.err" > "$OUT/setup.err"; exit 2; }',
                      # the host's netns handle (labs with attach) is for the builder only
                      'if [ -n "${VNETLAB_HOST_NETNS_FD:-}" ]; then '
                      'eval "exec ${VNETLAB_HOST_NETNS_FD}<&-"; unset VNETLAB_HOST_NETNS_FD; fi']
    for name, node in model.nodes.items():
        for i, line in enumerate(node.setup):
            if i < lifted.get(name, 0):
                continue
            msg = q(f"{where(model, 'nodes', name, 'setup', i)}: nodes.{name}.setup[{i}]: "
                    f"{line!r} failed")
            L.append(f"run ip netns exec {q(name)} bash -c {q(line)} > /dev/null || die {msg}")
    L.append("sleep 1")                      # let carrier/operstate and DAD-free links settle
    if pcap_dir is not None:
        L.append("CAPS=''")
        for name in model.nodes:
            f = q(f"{pcap_dir}/{name}.pcapng")
            # dumpcap refuses a device that is down (which would see nothing anyway)
            L += [f"ARGS=''; for i in $(ip -n {q(name)} -o link show up | "
                  "awk -F': ' '{print $2}' | cut -d@ -f1); do ARGS=\"$ARGS -i $i\"; done",
                  'if [ -n "$ARGS" ]; then',
                  f'  ip netns exec {q(name)} dumpcap -q -p $ARGS -w {f} 2>> "$OUT/dumpcap.err" &',
                  '  CAPS="$CAPS $!"',
                  f"  for k in $(seq 100); do [ -s {f} ] && break; sleep 0.05; done",
                  "fi"]
        L.append("sleep 0.5")
    for i, chk in enumerate(model.checks):
        kind = check_kind(chk)
        s = getattr(chk, kind)
        if kind == "ping":
            if s.to in model.nodes:
                L.append(f"TO=$(ip -n {q(s.to)} -4 -o addr show scope global | "
                         "awk '{split($4,a,\"/\"); print a[1]; exit}')")
            else:
                L.append(f"TO={q(s.to)}")
            L.append(f'echo "$TO" > "$OUT/{i}.to"')
            size = f" -s {s.size}" if s.size is not None else ""
            L.append(f'ip netns exec {q(s.src)} ping -c {s.count} -W {s.timeout}{size} "$TO" '
                     f'> "$OUT/{i}.out" 2> "$OUT/{i}.err"; echo $? > "$OUT/{i}.rc"')
        elif kind == "exec":
            L.append(f'ip netns exec {q(s.node)} bash -c {q(s.cmd)} > "$OUT/{i}.out" '
                     f'2> "$OUT/{i}.err"; echo $? > "$OUT/{i}.rc"')
        else:
            for k in range(s.repeat or len(s.expect)):
                L.append(f'ip netns exec {q(s.src)} curl -s -m 5 {q(s.url)} > "$OUT/{i}.{k}.out"'
                         f' 2> "$OUT/{i}.{k}.err"; echo $? > "$OUT/{i}.{k}.rc"')
    if pcap_dir is not None:
        L += ["sleep 0.3", "kill -INT $CAPS 2>/dev/null", "wait $CAPS 2>/dev/null", "true"]
    return "\n".join(L) + "\n"


def _read3(base: Path) -> tuple[int, str, str]:
    def rd(ext):
        try:
            return (base.parent / f"{base.name}.{ext}").read_text(errors="replace")
        except OSError:
            return ""
    rc = rd("rc").strip()
    return (int(rc) if rc.lstrip("-").isdigit() else 255), rd("out"), rd("err")


def run_linux(model: LabModel, timeout: float = 600, pcap_dir: str | None = None) -> Outcome:
    from ..backends.linux import run_script
    if pcap_dir is not None:
        import shutil
        if shutil.which("dumpcap") is None:
            return Outcome(setup_error="--pcap on the linux backend needs Wireshark's dumpcap "
                                       "(apt-get install tshark)")
        Path(pcap_dir).mkdir(parents=True, exist_ok=True)
        pcap_dir = str(Path(pcap_dir).resolve())
    from ..backends.bulk import host_netns_handle
    with tempfile.TemporaryDirectory(prefix="vnetlab-lab-") as tmp, \
            host_netns_handle(model) as host_env:
        spec = Path(tmp) / "topology.json"           # built by backends/bulk.py in the sandbox
        sfile = Path(tmp) / "lab.sh"
        sfile.write_text(compile_script(model, pcap_dir, bulk=str(spec)))
        outdir = Path(tmp) / "out"
        outdir.mkdir()
        proc = run_script(str(sfile), [str(outdir)], capture=True, timeout=timeout,
                          **host_env)
        serr = outdir / "setup.err"
        if serr.exists():
            return Outcome(setup_error=serr.read_text().rstrip())
        if proc.returncode not in (0,):
            return Outcome(setup_error=f"the sandbox failed (exit {proc.returncode}): "
                                       f"{proc.stderr.strip()}")
        res = []
        for i, chk in enumerate(model.checks):
            kind = check_kind(chk)
            s = getattr(chk, kind)
            if kind == "curl":
                outputs = [_read3(outdir / f"{i}.{k}") for k in range(s.repeat or len(s.expect))]
                to = None
            else:
                outputs = [_read3(outdir / f"{i}")]
                to = (outdir / f"{i}.to").read_text().strip() if kind == "ping" and \
                    (outdir / f"{i}.to").exists() else None
            ok, detail = evaluate(chk, outputs, to)
            res.append(CheckResult(i, kind, check_title(chk), where(model, "checks", i), ok,
                                   detail))
        return Outcome(results=res)


# -- the front end ----------------------------------------------------------------------------
def report(outcome: Outcome, file=None) -> None:
    """The summary table (rich)."""
    from rich.console import Console
    from rich.table import Table
    console = Console(file=file or sys.stdout, width=max(100, _term_width()), highlight=False)
    if outcome.setup_error is not None:
        print(f"setup failed: {outcome.setup_error}", file=sys.stderr)
        return
    t = Table(title=None, show_lines=False)
    for col in ("#", "check", "where", "result", "detail"):
        t.add_column(col, overflow="fold")
    for r in outcome.results:
        t.add_row(str(r.index), r.title, r.where, "[green]pass[/]" if r.ok else "[red]FAIL[/]",
                  r.detail)
    console.print(t)
    n = len(outcome.results)
    bad = sum(1 for r in outcome.results if not r.ok)
    console.print(f"{n - bad}/{n} checks passed" if bad else f"all {n} checks passed")


def _term_width() -> int:
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 120


class BuildProgress:
    """A rich progress bar on stderr while a lab loads and builds, shown only when stderr is a
    terminal and only once that has taken more than ``after`` seconds of wall-clock time (a
    timer thread shows it, so a single slow step - reading a big YAML file - counts too; a build
    that finishes sooner prints nothing). Transient: the bar is erased when the build ends.
    Call it as ``bar(done, total, what)`` after each step; ``phase(text)`` names a step that
    has no count."""

    def __init__(self, stream=None, after: float = 1.0, force: bool | None = None):
        import threading
        self.stream = stream or sys.stderr
        self.after = after
        try:
            tty = self.stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        self.enabled = tty if force is None else force
        self._lock = threading.Lock()
        self._state = (0, None, "loading")          # done, total, what
        self._bar = self._task = self._timer = None
        self._closed = False

    def start(self) -> "BuildProgress":
        import threading
        if self.enabled and self._timer is None:
            self._timer = threading.Timer(self.after, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, \
            TextColumn, TimeElapsedColumn
        with self._lock:
            if self._closed or self._bar is not None:
                return
            self._bar = Progress(SpinnerColumn(), TextColumn("building"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(),
                                 TextColumn("{task.description}"),
                                 console=Console(file=self.stream, force_terminal=True),
                                 transient=True)
            self._bar.start()
            done, total, what = self._state
            self._task = self._bar.add_task(what, total=total, completed=done)

    def phase(self, what: str) -> None:
        self(self._state[0], self._state[1], what)

    def __call__(self, done: int, total: int | None, what: str) -> None:
        if not self.enabled:
            return
        if self._timer is None:
            self.start()
        with self._lock:
            self._state = (done, total, what[:60])
            if self._bar is not None:
                self._bar.update(self._task, completed=done, total=total,
                                 description=what[:60])

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            if self._bar is not None:
                self._bar.stop()
                self._bar = None


def run_emu(model: LabModel, seed: int = 0, trace: bool = False, pcap_dir: str | None = None,
            out=None, progress: "bool | BuildProgress" = True) -> tuple[Outcome, EmuRun]:
    """``progress``: True for a BuildProgress on stderr (shown only on a terminal, after ~1 s),
    False for none, or a BuildProgress already running (closed here once the build ends)."""
    out = out or sys.stdout
    r = EmuRun(model, seed=seed)
    bar = progress if isinstance(progress, BuildProgress) else \
        (BuildProgress().start() if progress else None)
    try:
        r.build(progress=bar)
    except SetupError as e:
        return Outcome(setup_error=str(e)), r
    finally:
        if bar is not None:
            bar.close()
    captures = {}
    if pcap_dir is not None:
        from ..trace.pcapng import NsCapture
        k = r.lab.kernel
        for ns in [k.init_ns] + list(k.named.values()):
            if ns is k.init_ns and len(ns.devices) <= 1:
                continue                     # the init netns holds only lo: nothing to say
            c = NsCapture(ns)
            c.start()
            captures[ns.name or "init"] = c
    collector = None
    if trace:
        from ..trace.explain import TraceCollector
        collector = TraceCollector(r.lab.kernel).attach()
    results = r.run_checks()
    if collector is not None:
        collector.detach()
        text = collector.render()
        print("trace (virtual time, netns, device, what):", file=out)
        print(text if text else "  (no frames)", file=out)
        print(file=out)
    if captures:
        d = Path(pcap_dir)
        d.mkdir(parents=True, exist_ok=True)
        for name, c in captures.items():
            c.stop()
            (d / f"{name}.pcapng").write_bytes(c.data())
    return Outcome(results=results), r


def main(path: str, backend: str = "emu", trace: bool = False, pcap: str | None = None,
         seed: int = 0) -> int:
    from .load import LabError, load
    bar = BuildProgress().start()                # a bar on stderr if this takes over ~1 s
    try:
        bar.phase(f"reading {path}")
        model = load(path)
    except LabError as e:
        bar.close()
        for p in e.problems:
            print(p, file=sys.stderr)
        return 2
    if backend == "linux":
        if trace:
            bar.close()
            print("vnetlab run: --trace needs the emulator (--backend emu)", file=sys.stderr)
            return 2
        from ..backends.linux import host_refusals
        refused = host_refusals(model)       # host interfaces named by the lab: build nothing
        if refused:
            bar.close()
            for p in refused:
                print(p, file=sys.stderr)
            return 2
    elif model.attach:
        bar.close()
        print(f"{where(model, 'attach', 0)}: attach: host devices exist only on the real "
              f"kernel: run this lab with --backend linux (the emulator has no host device "
              f"{model.attach[0].host})", file=sys.stderr)
        return 2
    if backend == "linux":
        bar.phase("linux sandbox: building and checking")
        try:
            outcome = run_linux(model, pcap_dir=pcap)
        finally:
            bar.close()
    else:
        outcome, _ = run_emu(model, seed=seed, trace=trace, pcap_dir=pcap, progress=bar)
    report(outcome)
    return outcome.exit_code
