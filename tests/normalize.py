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
    text = re.sub(r"(ICMP6, echo (?:request|reply), id )\d+", r"\1ID", text)
    return text


# -- the reference VM (Debian 6.1) vs the host kernel (6.18) the emulator follows ----------------
# Each rule is a difference seen between the two real kernels running the same script; the
# conformance test applies them only when it compares the emulator with the VM.

def emu_as_vm(text: str) -> str:
    """The emulator's output (host 6.18 semantics) as kernel 6.1 prints it."""
    # linkwatch default_operstate(): before 8c55facecd7a ("only report IF_OPER_LOWERLAYERDOWN if
    # iflink is actually down", 6.9) a device without carrier whose iflink is not itself (a veth,
    # a macvlan...) was LOWERLAYERDOWN whatever its peer; 6.18 says DOWN unless the iflink device
    # in its own netns has no carrier either. Both say DOWN when iflink is the device's own
    # index (a veth whose peer has the same ifindex in the other netns). Only an UP device shows
    # its operstate.
    def operstate(m):
        own, link = m.group(2), m.group(3)
        return m.group(0) if link == f"if{own}" else m.group(1) + "LOWERLAYERDOWN "
    text = re.sub(r"(?m)^((\d+): [^:@\s]+@([^:\s]+): <[^>]*NO-CARRIER[^>]*\bUP\b[^>]*>.* "
                  r"state )DOWN ", operstate, text)
    # extack messages 6.1 does not send yet: iproute2 falls back to strerror
    text = text.replace("Error: ipv4: Address already assigned.\n",
                        "RTNETLINK answers: File exists\n")
    text = text.replace("Error: ipv6: address already assigned.\n",
                        "RTNETLINK answers: File exists\n")
    text = text.replace("Error: ipv6: IPv6 is disabled on this device.\n",
                        "RTNETLINK answers: Permission denied\n")
    return text


def vm_quirks(text: str) -> str:
    """What only the VM prints because its kernel is built differently or runs slower."""
    # Debian builds the bridge with CONFIG_BRIDGE_VLAN_FILTERING (the host kernel has no
    # VLAN_8021Q): every port gets default pvid 1, so each fdb entry without a vlan also exists
    # for vlan 1 (br_fdb_add() adds to every vlan of the port); ip -d shows the vlan options.
    text = re.sub(r"(?m)^.* vlan 1 (?:master|self) .*\n", "", text)
    text = re.sub(r'\{"mac":"[^"]*","vlan":1,[^{}]*\},?', "", text).replace(",]", "]")
    # TCG is slow: the wall time ping reports is meaningless there
    text = re.sub(r"(?m)(packet loss, time )\d+ms", r"\1Tms", text)
    return text
