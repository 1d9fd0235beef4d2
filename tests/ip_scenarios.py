"""Scenarios of ``ip link`` / ``ip address`` commands run the same way on the emulator and on the
host kernel (iproute2 6.1), and the transcript normalisation both sides go through.

A scenario is a list of steps:

* ``ip ...``                  one iproute2 command; ``@a`` / ``@b`` name the scenario's netns
                              (``a`` on the emulator, the throwaway ``<prefix>-a`` on the host);
* ``sleep S``                 wall-clock sleep on the host, ``lab.run_for(S)`` on the emulator
                              (linkwatch applies carrier changes at most once a second);
* ``ping @a DST COUNT``       ``ping -c COUNT -i 0.2 DST`` inside netns a (output not recorded).

Every netns a scenario names starts with IPv6 disabled (the emulator has no IPv6 yet).
Transcripts record each command's stdout, stderr and exit status; ``normalize()`` replaces MAC
addresses by placeholders in order of appearance and hides what differs by machine (queue
counts that follow the CPU count, bridge timers).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import time

SCENARIOS: dict[str, list[str]] = {
    "veth_same_netns": [
        "ip -n @a link",
        "ip -n @a link add v0 type veth peer name v1",
        "ip -n @a link",
        "ip -n @a link set v0 up",
        "ip -n @a link",
        "sleep 1.1",
        "ip -n @a link set v1 up",
        "sleep 1.1",
        "ip -n @a link",
        "ip -n @a -o link",
        "ip -n @a -br link",
        "ip -n @a -j link",
        "ip -n @a -j -p link show v0",
        "ip -n @a link set v1 down",
        "sleep 1.1",
        "ip -n @a link",
        "ip -n @a link show up",
        "ip -n @a link show type veth",
        "ip -n @a -d link show v0",
        "ip -n @a -d link show lo",
        "ip -n @a -s -s link show v0",
        "ip -n @a -s link show v1",
        "ip -n @a link del v1",
        "ip -n @a link",
    ],
    "veth_two_netns": [
        "ip -n @a link add v0 type veth peer name v1 netns @b",
        "ip -n @a link",
        "ip -n @b link",
        "ip -n @a link set v0 up",
        "ip -n @b link set v1 up",
        "ip -n @a link set lo up",
        "sleep 1.1",
        "ip -n @a link",
        "ip -n @a -j link",
        "ip -n @a -br link",
        "ip -n @b link set v1 down",
        "sleep 1.1",
        "ip -n @a link show v0",
        "ip -n @b link set v1 netns @a",
        "ip -n @a link",
        "ip -n @a -s -s link show v0",
    ],
    "addresses": [
        "ip -n @a link add v0 type veth peer name v1",
        "ip -n @a link set lo up",
        "ip -n @a link set v0 up",
        "ip -n @a link set v1 up",
        "sleep 1.1",
        "ip -n @a addr add 10.0.0.1/24 dev v0",
        "ip -n @a addr add 10.0.0.2/24 brd + dev v0",
        "ip -n @a addr add 10.0.1.1/16 brd 10.0.255.254 scope link label v0:1 dev v0",
        "ip -n @a addr add 10.0.0.1/24 dev v0",
        "ip -n @a addr add 192.168.1.1 peer 192.168.1.2 dev v1",
        "ip -n @a addr add 172.16.0.1/12 metric 100 noprefixroute dev v1",
        "ip -n @a addr",
        "ip -n @a -4 addr",
        "ip -n @a -br addr",
        "ip -n @a -br -4 addr show dev v0",
        "ip -n @a -o addr",
        "ip -n @a -o -4 addr show v0",
        "ip -n @a -j addr",
        "ip -n @a -j -p addr show dev v1",
        "ip -n @a addr show dev v0 secondary",
        "ip -n @a addr show label v0:1",
        "ip -n @a addr show to 10.0.0.0/24",
        "ip -n @a addr show scope link",
        "ip -n @a addr del 10.0.0.2/24 dev v0",
        "ip -n @a addr del 10.0.0.9/24 dev v0",
        "ip -n @a addr del 10.0.1.1 dev v0",
        "ip -n @a addr show dev v0",
        "ip -n @a addr flush dev v1",
        "ip -n @a addr show dev v1",
        "ip -n @a addr add 10.0.0.3/24 dev v0",
        "ip -n @a -s addr flush dev v0",
        "ip -n @a -s addr flush dev v0",
        "ip -n @a addr show v0",
        "ip -n @a -s addr show lo",
    ],
    "address_errors": [
        "ip -n @a link add v0 type veth peer name v1",
        "ip -n @a addr add 10.0.0.1/33 dev v0",
        "ip -n @a addr add 10.0.0.1/24",
        "ip -n @a addr add 10.0.0.1/24 dev nosuch",
        "ip -n @a addr add 10.0.0.300/24 dev v0",
        "ip -n @a addr add 10.0.0.1/24 dev v0 brd",
        "ip -n @a addr add 10.0.0.1/24 dev v0 scope bogus",
        "ip -n @a addr add 10.0.0.1/24 dev v0 metric x",
        "ip -n @a addr show dev nosuch",
        "ip -n @a addr frob",
        "ip -n @a addr flush",
        "ip -n @a addr add 10.8/16 dev v0",
        "ip -n @a addr add 0x0a.1.2.3/8 dev v0",
        "ip -n @a addr add 10.1.2.3/255.255.255.0 dev v0",
        "ip -n @a addr add 127.0.0.2/8 dev v0",
        "ip -n @a addr add 10.2.0.1/24 dev v0 home",
        "ip -n @a addr",
    ],
    "link_set": [
        "ip -n @a link add v0 type veth peer name v1",
        "ip -n @a link set v0 mtu 9000",
        "ip -n @a link set v0 txqlen 500",
        "ip -n @a link set dev v0 address 02:00:00:00:00:01",
        "ip -n @a link set v0 alias hello-world",
        "ip -n @a link set v0 arp off",
        "ip -n @a link set v0 promisc on",
        "ip -n @a link set v0 multicast off",
        "ip -n @a link set v0 allmulticast on",
        "ip -n @a link set v0 name eth9",
        "ip -n @a link",
        "ip -n @a -d link show eth9",
        "ip -n @a -j link show eth9",
        "ip -n @a link set eth9 promisc off arp on multicast on allmulticast off",
        "ip -n @a link set eth9 txqlen -1",
        "ip -n @a link set eth9 mtu 68",
        "ip -n @a link show eth9",
        "ip -n @a link set v1 up",
        "ip -n @a link set eth9 up",
        "sleep 1.1",
        "ip -n @a link set eth9 down",
        "sleep 1.1",
        "ip -n @a link",
        "ip -n @a link set eth9 group 7",
        "ip -n @a link show eth9",
        "ip -n @a link show group 7",
        "ip -n @a link set if3 name v0",
        "ip -n @a link show if3",
        "ip -n @a link show dev v0",
    ],
    "link_errors": [
        "ip -n @a link add v0 type veth peer name v1",
        "ip -n @a link add x type foo",
        "ip -n @a link add v0 type veth",
        "ip -n @a link add v1 type veth peer name v0",
        "ip -n @a link set v9 up",
        "ip -n @a link show v9",
        "ip -n @a link show dev v0 extra",
        "ip -n @a link del v9",
        "ip -n @a link del lo",
        "ip -n @a link frob",
        "ip -n @a link set v0 mtu 70000",
        "ip -n @a link set v0 mtu 10",
        "ip -n @a link set v0 mtu abc",
        "ip -n @a link set v0 mtu 1500 mtu 1400",
        "ip -n @a link set v0 address zz",
        "ip -n @a link set v0 address 01:02:03:04:05:06",
        "ip -n @a link set v0 address 00:11",
        "ip -n @a link add a type veth",
        "ip -n @a link set d up",
        "ip -n @a link set dev",
        "ip -n @a link set",
        "ip -n @a link add",
        "ip -n @a link add v5 type veth peer v6 foo",
        "ip -n @a link add v7 mtu 20 type veth",
        "ip -n @a link add v7 type veth peer name v8 mtu 70000",
        "ip -n @a link add v7 type veth bogus",
        "ip -n @a link add v7 type veth peer name v8 type veth",
        "ip -n @a link add name v7 dev v8 type veth",
        "ip -n @a link add v7 type nosuchkind foo",
        "ip -n @a link set v0 name lo",
        "ip -n @a link set v0 name this-name-is-too-long",
        "ip -n @a link set v0 master lo",
        "ip -n @a link set v0 master nosuch",
        "ip -n @a link set v0 netns nosuch",
        "ip -n @a link set lo netns @b",
        "ip -n @a link set v0 promisc maybe",
        "ip -n @a link set v0 arp",
        "ip -n @a link set v0 nomaster",
        "ip -n @a link set v0 name v0",
        "ip -n @a link delete v0",
        "ip -n @a link",
    ],
    "link_add_variants": [
        "ip -n @a link add type veth",
        "ip -n @a link add dev v2 address 02:11:22:33:44:55 mtu 9000 txqlen 77 type veth "
        "peer name v3 address 02:11:22:33:44:66 mtu 1400",
        "ip -n @a link add name v4 type veth peer v5 netns @b",
        "ip -n @a link add v6 up type veth peer name v7 up",
        "sleep 1.1",
        "ip -n @a link",
        "ip -n @b link",
        "ip -n @a link del v4",
        "ip -n @b link",
        "ip -n @a link del dev veth1",
        "ip -n @a link",
    ],
    "bridge_basic": [
        "ip -n @a link add br0 type bridge",
        "ip -n @a link add v0 type veth peer name v1",
        "ip -n @a link",
        "ip -n @a link set v0 master br0",
        "ip -n @a link set br0 up",
        "ip -n @a link set v0 up",
        "ip -n @a link set v1 up",
        "sleep 1.1",
        "ip -n @a link",
        "ip -n @a link show master br0",
        "ip -n @a link show type bridge",
        "ip -n @a -br link show type bridge_slave",
        "ip -n @a link set v0 nomaster",
        "sleep 1.1",
        "ip -n @a link",
    ],
    "traffic_counters": [
        "ip -n @a link add v0 type veth peer name v1 netns @b",
        "ip -n @a addr add 10.0.0.1/24 dev v0",
        "ip -n @b addr add 10.0.0.2/24 dev v1",
        "ip -n @a link set v0 up",
        "ip -n @b link set v1 up",
        "sleep 1.1",
        "ping @a 10.0.0.2 3",
        "ip -n @a -s link show v0",
        "ip -n @b -s -s link show v1",
        "ip -n @a -s addr show v0",
        "ip -n @a -j -s -s link show v0",
        "ip -n @a link set v0 down",
        "sleep 1.1",
        "ip -n @a -s -s link show v0",
    ],
    "json_and_filters": [
        "ip -n @a link add v0 type veth peer name v1",
        "ip -n @a link add br0 type bridge",
        "ip -n @a link set v0 up",
        "ip -n @a addr add 10.1.1.1/24 dev v0",
        "ip -n @a -j link show up",
        "ip -n @a -j -p link show up",
        "ip -n @a -j -br addr",
        "ip -n @a -j -p -br link",
        "ip -n @a -j link show type nosuch",
        "ip -n @a -j -p link show type nosuch",
        "ip -n @a -o -s link show v0",
        "ip -n @a -s -h link show v0",
        "ip -n @a -j -d link show v1",
        "ip -n @a -N addr show v0",
        "ip -n @a -0 addr",
        "ip -n @a -4 -o addr",
        "ip -n @a addr show up",
        "ip -n @a addr show nomaster",
        "ip -n @a link show nomaster",
        "ip -n @a link show master v0",
        "ip -n @a addr show type veth",
    ],
    "netns_and_kinds": [
        "ip -n @a link add v0 type veth peer name v1",
        "ip -n @a addr add 2001:db8::1/64 dev v0",
        "ip -n @a -6 addr",
        "ip -n @a link add v9 netns @b type veth peer name v10",
        "ip -n @a link",
        "ip -n @b link",
        "ip -n @a addr add 10.0.0.1/24 dev v0",
        "ip -n @a link set v0 name x0",
        "ip -n @a link set x0 netns @b name y0",
        "ip -n @b link",
        "ip -n @b addr show y0",
        "ip -n @a addr replace 10.0.0.5/24 dev v1 metric 5",
        "ip -n @a addr change 10.0.0.5/24 dev v1 metric 7",
        "ip -n @a addr show v1",
        "ip -n @a link add br0 type bridge forward_delay 500 stp_state 1",
        "ip -n @a link set br0 type bridge ageing_time 1000",
        "ip -n @a link add br1 type bridge bogus 1",
        "ip -n @a link set v1 master br0",
        "ip -n @a link add v3 master br0 type veth peer name v4",
        "ip -n @a link show master br0",
        "ip -n @a link del br0",
        "ip -n @a link",
    ],
    "prefix_quirks": [
        "ip -n @a l",
        "ip -n @a li sh",
        "ip -n @a a",
        "ip -n @a addr s",
        "ip -n @a lin ad v0 ty veth pe na v1",
        "ip -n @a link set v0 m v1",
        "ip -n @a link set v0 n",
        "ip -n @a link set v0 t 10",
        "ip -n @a link set v0 al x",
        "ip -n @a link show v0",
        "ip -n @a link set v0 addr 02:00:00:00:00:02 brd ff:ff:ff:ff:ff:fe",
        "ip -n @a link show v0",
        "ip -n @a link ch v0 up",
        "ip -n @a link help veth",
        "ip -n @a link show help",
    ],
}


# -- normalisation ------------------------------------------------------------------------------

_MAC = re.compile(r"(?<![0-9a-fA-F:.])[0-9a-f]{1,2}(?::[0-9a-f]{1,2}){5}(?![0-9a-fA-F:])")
_KEEP = {"00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "0:0:0:0:0:0"}


def normalize(text: str) -> str:
    seen: dict[str, str] = {}

    def mac(m):
        s = m.group(0)
        if s in _KEEP:
            return s
        if s not in seen:
            seen[s] = f"<MAC{len(seen) + 1}>"
        return seen[s]

    text = _MAC.sub(mac, text)
    text = re.sub(r"(numtxqueues|numrxqueues) \d+", r"\1 <N>", text)
    text = re.sub(r'"(num_tx_queues|num_rx_queues)": ?\d+', r'"\1":<N>', text)
    text = re.sub(r"(_timer)\s+\d+\.\d+", r"\1 <T>", text)
    return text


def _record(step: str, rc: int, out: str, err: str) -> str:
    s = f"$ {step}\n{out}"
    if err:
        s += "[stderr]\n" + err
    return s + f"[rc={rc}]\n"


def netns_of(steps: list[str]) -> list[str]:
    names = []
    for st in steps:
        for m in re.finditer(r"@(\w+)", st):
            if m.group(1) not in names:
                names.append(m.group(1))
    return names


# -- the emulator -----------------------------------------------------------------------------------

def run_emu(steps: list[str], lab=None, hook=None) -> str:
    """Run the steps on a fresh emulated machine; ``hook(lab, i)`` runs before step ``i``."""
    from vnetlab.api import Lab
    from vnetlab.commands import run
    from ipv6_off import disable_ipv6
    lab = lab or Lab()
    for name in netns_of(steps):
        lab.netns(name)
        disable_ipv6(lab, name)      # as run_host does on the host kernel
    out = []
    for i, step in enumerate(steps):
        if hook is not None:
            hook(lab, i)
        line = step.replace("@", "")
        if line.startswith("sleep "):
            lab.run_for(float(line.split()[1]))
            continue
        if line.startswith("ping "):
            _, ns, dst, count = line.split()
            lab.ping(dst, ns=ns, count=int(count), interval=0.2)
            continue
        rc, o, e = run(lab, shlex.split(line))
        out.append(_record(step, rc, o, e))
    return normalize("".join(out))


# -- the host kernel ---------------------------------------------------------------------------------

def run_host(steps: list[str], host) -> str:
    """Run the steps on the host kernel in ``host``'s throwaway namespaces (conftest.HostKernel)."""
    real = {}
    for name in netns_of(steps):
        real[name] = host.ns(name)
        subprocess.run(["ip", "netns", "exec", real[name], "sysctl", "-qw",
                        "net.ipv6.conf.all.disable_ipv6=1",
                        "net.ipv6.conf.default.disable_ipv6=1"], check=True)
    out = []
    for step in steps:
        line = re.sub(r"@(\w+)", lambda m: real[m.group(1)], step)
        if line.startswith("sleep "):
            time.sleep(float(line.split()[1]))
            continue
        if line.startswith("ping "):
            _, ns, dst, count = line.split()
            subprocess.run(["ip", "netns", "exec", ns, "ping", "-q", "-c", count, "-i", "0.2",
                            "-W", "1", dst], capture_output=True)
            continue
        p = subprocess.run(shlex.split(line), capture_output=True, text=True, timeout=60)
        o, e = p.stdout, p.stderr
        for short, name in real.items():
            o = o.replace(name, short)
            e = e.replace(name, short)
        out.append(_record(step, p.returncode, o, e))
    return normalize("".join(out))
