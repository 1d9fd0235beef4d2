#!/usr/bin/env python3
"""A mini VPN: two network namespaces joined only by a user-space relay between two TUN devices.

    python examples/mini-vpn.py                      # emulator (no root, virtual time)
    python examples/mini-vpn.py --backend linux      # real kernel, as root (makes 2 netns)

Namespaces A and B each get a ``vpn0`` TUN device (10.8.0.1/24 and 10.8.0.2/24). This one
process holds both TUN files and copies every packet read from one into the other - the
"tunnel" a VPN daemon builds, with the encrypting UDP transport left out. Why a relay in one
process instead of UDP between two daemons: it needs no sockets, so the very same code runs on
the emulator (whose UDP sockets are not there yet) and on the real kernel. Then A pings B
through the tunnel and the script prints ping's summary and how many packets each side relayed.
On the real kernel the two namespaces are made with ``ip netns add`` and deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import sys

from vnetlab.tuntap import EmuBackend, LinuxBackend, open_tun


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("emu", "linux"), default="emu")
    ap.add_argument("--count", type=int, default=3)
    args = ap.parse_args(argv)
    be = EmuBackend() if args.backend == "emu" else LinuxBackend()
    tag = "" if args.backend == "emu" else f"vnlvpn{os.getpid()}-"
    a, b = be.add_netns(tag + "a"), be.add_netns(tag + "b")
    tuns = {}
    try:
        tuns[a] = open_tun("vpn0", "tun", backend=be, ns=a, nonblock=True)
        tuns[b] = open_tun("vpn0", "tun", backend=be, ns=b, nonblock=True)
        relayed = {a: 0, b: 0}

        def relay(src: str, dst: str):
            def cb() -> None:
                while True:
                    try:
                        pkt = tuns[src].read(65536)
                    except BlockingIOError:
                        return
                    try:
                        tuns[dst].write(pkt)
                        relayed[src] += 1
                    except OSError:
                        pass                  # the far end is down: dropped, like a real VPN
            return cb

        tuns[a].on_readable(relay(a, b))
        tuns[b].on_readable(relay(b, a))
        for ns, addr in ((a, "10.8.0.1/24"), (b, "10.8.0.2/24")):
            for cmd in (["ip", "addr", "add", addr, "dev", "vpn0"],
                        ["ip", "link", "set", "vpn0", "up"]):
                rc, out, err = be.run(cmd, ns=ns)
                if rc:
                    sys.stderr.write(err)
                    return 1
        rc, out, err = be.run(["ping", "-c", str(args.count), "-i", "0.2", "-W", "1",
                               "10.8.0.2"], ns=a)
        lines = out.strip().splitlines()
        print(lines[-2] if len(lines) >= 2 else out.strip())
        print(f"mini-vpn ({be.name}): relayed a->b {relayed[a] > 0 and 'yes' or 'no'}, "
              f"b->a {relayed[b] > 0 and 'yes' or 'no'}")
        return 0 if rc == 0 else 1
    finally:
        for t in tuns.values():
            t.close()
        be.close()


if __name__ == "__main__":
    sys.exit(main())
