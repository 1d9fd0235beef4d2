#!/usr/bin/env python3
"""A user-space ICMP echo responder on a TUN device, on the emulator or on the real kernel.

    python examples/tun-echo.py                      # emulator (no root, virtual time)
    ip netns exec SOMENS python examples/tun-echo.py --backend linux    # real kernel, as root

It opens tun0 (IFF_TUN | IFF_NO_PI), gives it 10.0.0.1 peer 10.0.0.2, and answers every ICMP
echo request that the kernel routes into the device; then it pings 10.0.0.2 with the backend's
``ping`` and prints ping's summary and how many requests it answered. The same code runs on both
backends: the responder is an ``on_readable`` callback, which the emulator calls at the virtual
instant a packet is queued and the real backend calls from its asyncio loop while ping runs.
On the real kernel run it inside a throwaway netns: it creates tun0 there.
"""

from __future__ import annotations

import argparse
import struct
import sys

from vnetlab.tuntap import EmuBackend, LinuxBackend, open_tun


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def echo_reply(pkt: bytes) -> bytes | None:
    """The reply to an IPv4 ICMP echo request (addresses swapped, type 0), else None."""
    if len(pkt) < 28 or pkt[0] >> 4 != 4 or pkt[9] != 1:
        return None
    ihl = (pkt[0] & 15) * 4
    tot = struct.unpack_from("!H", pkt, 2)[0]
    icmp = pkt[ihl:tot]
    if len(icmp) < 8 or icmp[0] != 8:
        return None
    body = b"\x00\x00\x00\x00" + icmp[4:]
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    hdr = bytearray(pkt[:ihl])
    hdr[8] = 64                                           # TTL
    hdr[12:16], hdr[16:20] = pkt[16:20], pkt[12:16]       # swap source and destination
    hdr[10:12] = b"\0\0"
    hdr[10:12] = struct.pack("!H", csum(bytes(hdr)))
    return bytes(hdr) + body


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("emu", "linux"), default="emu")
    ap.add_argument("--count", type=int, default=3)
    args = ap.parse_args(argv)
    be = EmuBackend() if args.backend == "emu" else LinuxBackend()
    tun = open_tun("tun0", "tun", backend=be, nonblock=True)
    answered = 0

    def serve() -> None:
        nonlocal answered
        while True:
            try:
                pkt = tun.read(65536)
            except BlockingIOError:
                return
            reply = echo_reply(pkt)
            if reply is not None:
                tun.write(reply)
                answered += 1

    tun.on_readable(serve)
    for cmd in (["ip", "link", "set", "tun0", "up"],
                ["ip", "addr", "add", "10.0.0.1", "peer", "10.0.0.2", "dev", "tun0"]):
        rc, out, err = be.run(cmd)
        if rc:
            sys.stderr.write(err)
            return 1
    rc, out, err = be.run(["ping", "-c", str(args.count), "-i", "0.2", "-W", "1", "10.0.0.2"])
    lines = out.strip().splitlines()
    print(lines[-2] if len(lines) >= 2 else out.strip())
    print(f"tun-echo ({be.name}): answered {answered} echo requests")
    tun.close()
    be.close()
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
