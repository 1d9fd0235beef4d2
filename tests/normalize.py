"""Normalization for comparing one script's output across backends: what differs by nature
(random MACs, wall-clock timings) is replaced by stable placeholders."""

from __future__ import annotations

import re

_MAC = re.compile(r"\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b")
_KEEP = {"00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"}


def normalize(text: str) -> str:
    seen: dict[str, str] = {}

    def mac(m):
        v = m.group(0)
        if v in _KEEP:
            return v
        if v not in seen:
            seen[v] = f"MAC{len(seen) + 1}"
        return seen[v]

    text = _MAC.sub(mac, text)
    text = re.sub(r"time=[0-9.]+ ms", "time=T ms", text)
    text = re.sub(r"time ([0-9]+)ms", lambda m: f"time {round(int(m.group(1)), -2)}ms", text)
    text = re.sub(r"(rtt min/avg/max/mdev = )[0-9./]+ ms", r"\1RTT ms", text)
    # tcpdump: the time of day of each packet (wall clock vs the emulator's virtual clock) and
    # the random ICMP echo identifier of ping
    text = re.sub(r"(?m)^(\s*(?:\d+ {2})?)\d{2}:\d{2}:\d{2}\.\d{6} ", r"\1HH:MM:SS.UUUUUU ", text)
    text = re.sub(r"(ICMP echo (?:request|reply), id )\d+", r"\1ID", text)
    return text
