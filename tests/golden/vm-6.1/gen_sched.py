#!/usr/bin/env python3
"""Produces tests/golden/vm-6.1/ipvs-sched.json on the reference-kernel VM: for each scenario, the
real server IPVS picked for each new TCP connection (a SYN from a chosen client address), plus
`ipvsadm -Ln` after the run. Run as root inside the VM:
  vng --disable-kvm --run /boot/vmlinuz-6.1.0-56-amd64 --user root \
      --exec 'python3 tests/golden/vm-6.1/gen_sched.py' > ipvs-sched.json   (stdout, on the host)

Topology: netns c (client, c0 10.0.0.2/24 + extra sources) -- netns d (director, d0 10.0.0.1/24,
VIP 10.0.0.100/32 on d0; d1 10.1.0.1/24) -- netns r (r0 10.1.0.254/24 holding every real-server
address, ip_forward 0). Direct routing: the SYN reaches r, which drops it (the VIP is not its
own), so the director sees only SYNs: every connection stays in SYN_RECV (active) for 60 s.
"""
import ctypes
import json
import os
import socket
import subprocess
import time


def sh(cmd, check=True):
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and p.returncode:
        raise SystemExit(f"{cmd}: {p.stderr}")
    return p.stdout


def setup():
    sh("modprobe ip_vs; for n in c d r; do ip netns add $n; done")
    sh("ip link add c0 netns c type veth peer name d0 netns d")
    sh("ip link add d1 netns d type veth peer name r0 netns r")
    for n, dev, a in (("c", "c0", "10.0.0.2/24"), ("d", "d0", "10.0.0.1/24"),
                      ("d", "d1", "10.1.0.1/24"), ("r", "r0", "10.1.0.254/24")):
        sh(f"ip -n {n} addr add {a} dev {dev}; ip -n {n} link set {dev} up; "
           f"ip -n {n} link set lo up")
    sh("ip -n d addr add 10.0.0.100/32 dev d0")
    for i in range(10, 74):
        sh(f"ip -n c addr add 10.0.0.{i}/24 dev c0")
    for i in range(2, 10):
        sh(f"ip -n r addr add 10.1.0.{i}/24 dev r0")
    sh("ip -n c route add default via 10.0.0.1")
    sh("ip -n r route add default via 10.1.0.1")
    time.sleep(2)


def ipvsadm(args):
    return sh("ip netns exec d ipvsadm " + args)


_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
_NSFD = {}


def enter(ns):
    """setns(2) this (single-threaded) process into netns ``ns`` (no process per connection)."""
    fd = _NSFD.get(ns)
    if fd is None:
        fd = _NSFD[ns] = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    if _libc.setns(fd, CLONE_NEWNET):
        raise OSError(ctypes.get_errno(), "setns")


def connect_from(src, vip, vport):
    """One SYN from src (nonblocking connect inside netns c), then the director's pick, read
    from /proc/net/ip_vs_conn in netns d."""
    enter("c")
    s = socket.socket()
    s.setblocking(False)
    s.bind((src, 0))
    s.connect_ex((vip, vport))
    port = s.getsockname()[1]
    time.sleep(0.15)
    enter("d")
    want = (socket.inet_aton(src).hex().upper(), "%04X" % port)
    pick = state = None
    with open("/proc/net/ip_vs_conn") as f:
        for line in f.read().splitlines()[1:]:
            x = line.split()
            if (x[1], x[2]) == want:
                pick = socket.inet_ntoa(bytes.fromhex(x[5]))
                state = x[7]
    s.close()
    return pick, state


SCENARIOS = [
    # name, service options, [(rs, weight)] in the order added, [client sources]
    ("rr", "-s rr", [("10.1.0.2", 1), ("10.1.0.3", 1), ("10.1.0.4", 1)], ["10.0.0.2"] * 9),
    ("rr-weights", "-s rr", [("10.1.0.2", 1), ("10.1.0.3", 0), ("10.1.0.4", 5)],
     ["10.0.0.2"] * 6),
    ("seed-tun-rr", "-s rr", [("10.1.0.2", 1), ("10.1.0.3", 1)], ["10.0.0.2"] * 4),
    ("wrr", "-s wrr", [("10.1.0.2", 1), ("10.1.0.3", 2), ("10.1.0.4", 3)], ["10.0.0.2"] * 12),
    ("wrr-gcd", "-s wrr", [("10.1.0.2", 2), ("10.1.0.3", 4), ("10.1.0.4", 6)],
     ["10.0.0.2"] * 12),
    ("wlc", "-s wlc", [("10.1.0.2", 1), ("10.1.0.3", 2), ("10.1.0.4", 3)], ["10.0.0.2"] * 12),
    ("lc", "-s lc", [("10.1.0.2", 1), ("10.1.0.3", 2), ("10.1.0.4", 3)], ["10.0.0.2"] * 6),
    ("sed", "-s sed", [("10.1.0.2", 1), ("10.1.0.3", 2), ("10.1.0.4", 3)], ["10.0.0.2"] * 9),
    ("nq", "-s nq", [("10.1.0.2", 1), ("10.1.0.3", 2), ("10.1.0.4", 3)], ["10.0.0.2"] * 9),
    ("fo", "-s fo", [("10.1.0.2", 1), ("10.1.0.3", 3), ("10.1.0.4", 2)], ["10.0.0.2"] * 3),
    ("ovf", "-s ovf", [("10.1.0.2", 2), ("10.1.0.3", 1)], ["10.0.0.2"] * 6),
    ("sh", "-s sh", [("10.1.0.2", 1), ("10.1.0.3", 2), ("10.1.0.4", 1)],
     [f"10.0.0.{i}" for i in range(10, 42)]),
    ("sh-repeat", "-s sh", [("10.1.0.2", 1), ("10.1.0.3", 1)], ["10.0.0.10"] * 3 + ["10.0.0.11"] * 3),
    ("dh", "-s dh", [("10.1.0.2", 1), ("10.1.0.3", 1), ("10.1.0.4", 1)], ["10.0.0.2"] * 4),
    ("mh", "-s mh", [("10.1.0.2", 1), ("10.1.0.3", 1), ("10.1.0.4", 2)],
     [f"10.0.0.{i}" for i in range(10, 42)]),
    ("lblc", "-s lblc", [("10.1.0.2", 1), ("10.1.0.3", 1)], ["10.0.0.2"] * 4),
    ("lblcr", "-s lblcr", [("10.1.0.2", 1), ("10.1.0.3", 1)], ["10.0.0.2"] * 4),
    ("persist", "-s rr -p 360", [("10.1.0.2", 1), ("10.1.0.3", 1)],
     ["10.0.0.2", "10.0.0.2", "10.0.0.10", "10.0.0.11", "10.0.0.2"]),
    ("persist-mask", "-s rr -p 360 -M 255.255.255.0", [("10.1.0.2", 1), ("10.1.0.3", 1)],
     ["10.0.0.2", "10.0.0.10", "10.0.0.11"]),
]


def main():
    setup()
    enter("d")
    res = {}
    for i, (name, sopts, dests, srcs) in enumerate(SCENARIOS):
        # each scenario on its own port: `ipvsadm -C` leaves the connections (and the removed
        # destinations they hold, which a re-added <VIP:port, RS> takes back from the trash
        # with their counters), so one VIP:port for all would leak state between scenarios
        port = 1001 + i
        ipvsadm("-C")
        ipvsadm(f"-A -t 10.0.0.100:{port} {sopts}")
        fwd = "-i" if "tun" in name else "-g"
        for rs, w in dests:
            ipvsadm(f"-a -t 10.0.0.100:{port} -r {rs} {fwd} -w {w}")
        picks, states = [], []
        for s in srcs:
            p, st = connect_from(s, "10.0.0.100", port)
            picks.append(p)
            states.append(st)
        res[name] = {"port": port, "service": sopts, "dests": dests, "sources": srcs,
                     "picks": picks,
                     "states": states, "list": ipvsadm("-Ln"),
                     "conns": sorted(ipvsadm("-Lnc").splitlines()[2:])}
        if name.startswith("persist"):
            res[name]["persistent_conn"] = ipvsadm("-Ln --persistent-conn")
            res[name]["stats"] = ipvsadm("-Ln --stats")
    ipvsadm("-C")
    print(json.dumps(res, indent=1, sort_keys=True))


main()
