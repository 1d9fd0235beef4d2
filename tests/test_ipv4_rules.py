"""kernel-spec §10: the ARP and reverse-path sysctls (SYS-00, SYS-00b, ARP-01..07, RPF-01..04).

Each rule has tests named after its ID that check the emulator against the values the spec gives,
and a ``test_<ID>_matches_host_kernel`` test that runs the very same scenario
(tests/ipv4_harness.py) on the host kernel and on the emulator and compares the outcomes.

Topology of the ARP/RPF scenarios: a prober netns ``p`` (no addresses; it sends raw frames from
``p0``) faces the target ``t`` on ``t:eth0``; ``t:eth1`` faces a second netns ``q``.
"""

from __future__ import annotations

import pytest

from ipv4_harness import (EmuNet, HostNet, arp_frame, arp_of, echo_frame, mac)

P_MAC, T_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
Q_MAC, T1_MAC = "02:00:00:00:01:01", "02:00:00:00:01:02"


def target(net, extra: bool = True):
    """p:p0 <-> t:eth0 (10.0.0.1/24) and q:q0 <-> t:eth1 (10.1.0.1/24)."""
    for n in ("p", "t", "q"):
        net.ns(n)
    net.veth("p", "p0", "t", "eth0", P_MAC, T_MAC)
    net.veth("q", "q0", "t", "eth1", Q_MAC, T1_MAC)
    net.addr("t", "eth0", "10.0.0.1/24")
    net.addr("t", "eth1", "10.1.0.1/24")
    if extra:
        net.addr("t", "eth0", "10.0.7.7/32", scope="host")
        net.addr("t", "eth1", "10.5.5.5/32", scope="host")
        net.addr("t", "eth1", "10.6.6.6/32", scope="link")
        net.addr("t", "lo", "10.8.8.8/32")
    for n, d in (("p", "p0"), ("q", "q0"), ("t", "eth0"), ("t", "eth1")):
        net.link_up(n, d)
    return net


def probe(net, cases, dst: bytes | None = None) -> list[tuple]:
    """Send one ARP request per (sip, tip) from p0; return the ARP replies p0 got, decoded."""
    frames = [arp_frame(1, mac(P_MAC), sip, tip, dst=dst) for sip, tip in cases]
    return [a for a in map(arp_of, net.send("p", "p0", frames, listen=0.2)) if a and a[0] == 2]


def answered(replies) -> set[tuple[str, str]]:
    """(sip, tip) of the requests that were answered (a reply's spa is the tip, tpa the sip)."""
    return {(r[4], r[2]) for r in replies}


# ================================================================================================
# SYS-00 / SYS-00b
# ================================================================================================

def sys00_scenario(net) -> dict:
    net.ns("s", lo_up=False)
    net.ns("u", lo_up=True)
    for n in ("s", "u"):
        net.veth(n, "v0", n, "v1", P_MAC, T_MAC)
        net.sysctl(n, "net.ipv4.conf.v1.arp_ignore", 0)          # written explicitly: keeps 0
        net.sysctl(n, "net.ipv4.conf.default.arp_ignore", 2)
        net.sysctl(n, "net.ipv4.conf.default.rp_filter", 2)
        net.veth(n, "v2", n, "v3", Q_MAC, T1_MAC)               # created after the writes
    keys = [f"net.ipv4.conf.{d}.{k}" for d in ("all", "default", "lo", "v0", "v1", "v2")
            for k in ("arp_ignore", "rp_filter")]
    return {(n, k): net.sysctl_get(n, k) for n in ("s", "u") for k in keys}


def test_SYS_00_default_propagates_to_unwritten_devices():
    got = {k: v for (n, k), v in sys00_scenario(EmuNet()).items() if n == "s"}
    # existing devices never written follow default (a down lo included)...
    assert got["net.ipv4.conf.v0.arp_ignore"] == 2
    assert got["net.ipv4.conf.lo.arp_ignore"] == 2
    assert got["net.ipv4.conf.v0.rp_filter"] == 2
    # ...a device whose key was written keeps its value (other keys still follow)...
    assert got["net.ipv4.conf.v1.arp_ignore"] == 0
    assert got["net.ipv4.conf.v1.rp_filter"] == 2
    # ...devices created later start from default, and `all` is untouched
    assert got["net.ipv4.conf.v2.arp_ignore"] == 2
    assert got["net.ipv4.conf.all.arp_ignore"] == 0
    assert got["net.ipv4.conf.all.rp_filter"] == 0


def test_SYS_00_lo_brought_up_counts_as_written():
    # inetdev_event(NETDEV_UP) on lo: ipv4_devconf_setall() with 127.0.0.1 (observed on 6.18)
    got = {k: v for (n, k), v in sys00_scenario(EmuNet()).items() if n == "u"}
    assert got["net.ipv4.conf.lo.arp_ignore"] == 0
    assert got["net.ipv4.conf.lo.rp_filter"] == 0
    assert got["net.ipv4.conf.v0.arp_ignore"] == 2


def test_SYS_00_matches_host_kernel(host):
    assert sys00_scenario(EmuNet()) == sys00_scenario(HostNet(host))


def sys00b_scenario(net) -> list[dict]:
    net.ns("s")
    net.veth("s", "v0", "s", "v1", P_MAC, T_MAC)
    keys = ["net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding",
            "net.ipv4.conf.default.forwarding", "net.ipv4.conf.lo.forwarding",
            "net.ipv4.conf.v0.forwarding", "net.ipv4.conf.v1.forwarding",
            "net.ipv4.conf.all.accept_redirects"]
    snaps = []

    def snap():
        snaps.append({k: net.sysctl_get("s", k) for k in keys})

    net.sysctl("s", "net.ipv4.conf.v1.forwarding", 0)
    net.sysctl("s", "net.ipv4.conf.all.forwarding", 1)
    snap()
    net.sysctl("s", "net.ipv4.conf.v0.forwarding", 0)          # per device, all stays 1
    net.sysctl("s", "net.ipv4.conf.default.forwarding", 0)     # default alone reaches no device
    snap()
    net.sysctl("s", "net.ipv4.ip_forward", 0)                  # = all.forwarding
    snap()
    return snaps


def test_SYS_00b_all_forwarding_propagates_to_every_device_and_default():
    first, second, third = sys00b_scenario(EmuNet())
    assert first == {"net.ipv4.ip_forward": 1, "net.ipv4.conf.all.forwarding": 1,
                     "net.ipv4.conf.default.forwarding": 1, "net.ipv4.conf.lo.forwarding": 1,
                     "net.ipv4.conf.v0.forwarding": 1, "net.ipv4.conf.v1.forwarding": 1,
                     # inet_forward_change(): all.accept_redirects = !forwarding
                     "net.ipv4.conf.all.accept_redirects": 0}
    assert second["net.ipv4.conf.v0.forwarding"] == 0
    assert second["net.ipv4.conf.v1.forwarding"] == 1
    assert second["net.ipv4.ip_forward"] == 1
    assert all(v == 0 for k, v in third.items() if k.endswith("forwarding"))
    assert third["net.ipv4.ip_forward"] == 0
    assert third["net.ipv4.conf.all.accept_redirects"] == 1


def test_SYS_00b_matches_host_kernel(host):
    assert sys00b_scenario(EmuNet()) == sys00b_scenario(HostNet(host))


# ================================================================================================
# ARP-01 .. ARP-05: which requests get a reply
# ================================================================================================

def arp01_scenario(net) -> dict:
    target(net, extra=False)
    out = {}
    out["multicast_tip"] = probe(net, [("10.0.0.9", "224.0.0.5")])
    out["loopback_tip"] = probe(net, [("10.0.0.9", "127.0.0.1")])
    # unicast to somebody else's MAC: PACKET_OTHERHOST, ignored (and nothing learned)
    out["otherhost"] = probe(net, [("10.0.0.44", "10.0.0.1")], dst=mac("02:00:00:00:00:99"))
    out["otherhost_learned"] = ("10.0.0.44", "eth0") in net.neigh("t")
    out["control"] = probe(net, [("10.0.0.9", "10.0.0.1")])
    net.sysctl("t", "net.ipv4.conf.eth0.route_localnet", 1)
    out["loopback_tip_route_localnet"] = probe(net, [("10.0.0.9", "127.0.0.1")])
    return out


def test_ARP_01_multicast_loopback_and_otherhost_requests_are_ignored():
    got = arp01_scenario(EmuNet())
    assert got["multicast_tip"] == []
    assert got["loopback_tip"] == []
    assert got["otherhost"] == [] and not got["otherhost_learned"]
    assert answered(got["control"]) == {("10.0.0.9", "10.0.0.1")}
    # with route_localnet the loopback target is routed (local) and answered
    assert answered(got["loopback_tip_route_localnet"]) == {("10.0.0.9", "127.0.0.1")}


def test_ARP_01_matches_host_kernel(host):
    assert arp01_scenario(EmuNet()) == arp01_scenario(HostNet(host))


def arp02_scenario(net) -> dict:
    target(net, extra=False)
    out = {}
    out["dad"] = probe(net, [("0.0.0.0", "10.0.0.1"), ("0.0.0.0", "10.1.0.1"),
                             ("0.0.0.0", "10.0.0.77")])
    out["dad_learned"] = sorted(net.neigh("t"))
    # rp_filter and arp_filter are not consulted for a DAD probe
    net.sysctl("t", "net.ipv4.conf.all.rp_filter", 1)
    net.sysctl("t", "net.ipv4.conf.all.arp_filter", 1)
    out["dad_filters"] = probe(net, [("0.0.0.0", "10.0.0.1"), ("0.0.0.0", "10.1.0.1")])
    net.sysctl("t", "net.ipv4.conf.all.rp_filter", 0)
    net.sysctl("t", "net.ipv4.conf.all.arp_filter", 0)
    net.sysctl("t", "net.ipv4.conf.eth0.arp_ignore", 1)
    out["dad_ignore1"] = probe(net, [("0.0.0.0", "10.0.0.1"), ("0.0.0.0", "10.1.0.1")])
    return out


def test_ARP_02_dad_probe_answered_for_local_target_subject_to_arp_ignore_only():
    got = arp02_scenario(EmuNet())
    assert sorted(got["dad"]) == [
        # op, sha, spa, tha, tpa, ethernet destination (the prober's MAC, unicast)
        (2, T_MAC, "10.0.0.1", P_MAC, "0.0.0.0", P_MAC),
        (2, T_MAC, "10.1.0.1", P_MAC, "0.0.0.0", P_MAC),
    ]
    assert got["dad_learned"] == []            # sender 0.0.0.0 is never learned
    assert answered(got["dad_filters"]) == {("0.0.0.0", "10.0.0.1"), ("0.0.0.0", "10.1.0.1")}
    assert answered(got["dad_ignore1"]) == {("0.0.0.0", "10.0.0.1")}


def test_ARP_02_matches_host_kernel(host):
    assert arp02_scenario(EmuNet()) == arp02_scenario(HostNet(host))


def arp03_scenario(net) -> dict:
    target(net, extra=False)
    net.sysctl("t", "net.ipv4.neigh.eth0.locktime", 0)
    out = {}
    out["reply"] = probe(net, [("10.0.0.9", "10.0.0.1")])
    out["neigh"] = net.neigh("t")
    out["not_local"] = probe(net, [("10.0.0.10", "10.0.0.77")])     # not ours, no forwarding
    out["martian_sip"] = probe(net, [("224.1.2.3", "10.0.0.1"), ("127.0.0.5", "10.0.0.1"),
                                     ("255.255.255.255", "10.0.0.1")])
    # a known sender asking for somebody else still refreshes its entry (new MAC, STALE)
    new = mac("02:00:00:00:00:0a")
    net.send("p", "p0", [arp_frame(1, new, "10.0.0.9", "10.0.0.77")], listen=0.05)
    out["neigh_after"] = net.neigh("t")
    return out


def test_ARP_03_request_for_local_address_is_answered_and_requester_learned():
    got = arp03_scenario(EmuNet())
    assert got["reply"] == [(2, T_MAC, "10.0.0.1", P_MAC, "10.0.0.9", P_MAC)]
    assert got["neigh"] == {("10.0.0.9", "eth0"): (P_MAC, "STALE")}
    assert got["not_local"] == []
    assert got["martian_sip"] == []
    assert ("10.0.0.10", "eth0") not in got["neigh_after"]
    assert got["neigh_after"][("10.0.0.9", "eth0")] == ("02:00:00:00:00:0a", "STALE")


def test_ARP_03_matches_host_kernel(host):
    assert arp03_scenario(EmuNet()) == arp03_scenario(HostNet(host))


# (sip, tip) -> what it exercises; the target's addresses are set up by target()
ARP04_CASES = {
    "eth0_addr": ("10.0.0.9", "10.0.0.1"),
    "eth1_addr": ("10.0.0.9", "10.1.0.1"),
    "eth1_scope_host": ("10.0.0.9", "10.5.5.5"),
    "eth1_scope_link": ("10.0.0.9", "10.6.6.6"),
    "not_local": ("10.0.0.9", "10.0.0.77"),
    "sip_other_subnet": ("192.168.7.7", "10.0.0.1"),
    "dad_eth0": ("0.0.0.0", "10.0.0.1"),
    "dad_eth1": ("0.0.0.0", "10.1.0.1"),
    "lo_addr": ("10.0.0.9", "10.8.8.8"),
    "eth0_scope_host": ("10.0.0.9", "10.0.7.7"),
}
# ARP-04, per effective level: the cases that get a reply
ARP04_EXPECTED = {
    0: set(ARP04_CASES) - {"not_local"},
    1: {"eth0_addr", "sip_other_subnet", "dad_eth0", "eth0_scope_host"},
    2: {"eth0_addr", "dad_eth0"},
    3: set(ARP04_CASES) - {"not_local", "eth1_scope_host", "eth0_scope_host"},
    5: set(ARP04_CASES) - {"not_local"},
    8: set(),
    9: set(ARP04_CASES) - {"not_local"},
}


def arp04_scenario(net, levels=(0, 1, 2, 3, 5, 8, 9), all_value: int = 0) -> dict:
    target(net)
    net.sysctl("t", "net.ipv4.conf.all.arp_ignore", all_value)
    names = list(ARP04_CASES)
    out = {}
    for level in levels:
        net.sysctl("t", "net.ipv4.conf.eth0.arp_ignore", level)
        got = answered(probe(net, [ARP04_CASES[n] for n in names]))
        out[level] = {n for n in names if ARP04_CASES[n] in got}
    return out


def test_ARP_04_arp_ignore_0_replies_for_any_local_address():
    assert arp04_scenario(EmuNet(), levels=(0,))[0] == ARP04_EXPECTED[0]


def test_ARP_04_arp_ignore_1_only_addresses_on_the_receiving_interface():
    assert arp04_scenario(EmuNet(), levels=(1,))[1] == ARP04_EXPECTED[1]


def test_ARP_04_arp_ignore_2_also_requires_sender_in_the_same_subnet():
    assert arp04_scenario(EmuNet(), levels=(2,))[2] == ARP04_EXPECTED[2]


def test_ARP_04_arp_ignore_3_no_reply_for_scope_host_addresses():
    assert arp04_scenario(EmuNet(), levels=(3,))[3] == ARP04_EXPECTED[3]


def test_ARP_04_arp_ignore_4_to_7_and_above_8_reply_as_0():
    got = arp04_scenario(EmuNet(), levels=(4, 5, 6, 7, 9, 255))
    assert all(v == ARP04_EXPECTED[0] for v in got.values())


def test_ARP_04_arp_ignore_8_never_replies():
    assert arp04_scenario(EmuNet(), levels=(8,))[8] == set()


def test_ARP_04_arp_ignore_effective_value_is_max_of_all_and_interface():
    # all=2, eth0=1 -> 2; all=2, eth0=3 -> 3
    got = arp04_scenario(EmuNet(), levels=(1, 3), all_value=2)
    assert got[1] == ARP04_EXPECTED[2]
    assert got[3] == ARP04_EXPECTED[3]


def test_ARP_04_matches_host_kernel(host):
    assert arp04_scenario(EmuNet()) == arp04_scenario(HostNet(host))


def test_ARP_04_effective_max_matches_host_kernel(host):
    assert (arp04_scenario(EmuNet(), levels=(1, 3), all_value=2)
            == arp04_scenario(HostNet(host), levels=(1, 3), all_value=2))


ARP05_CASES = {"back_via_eth0": ("10.0.0.9", "10.0.0.1"),
               "back_via_eth1": ("10.1.0.9", "10.0.0.1"),
               "no_route_back": ("192.168.7.7", "10.0.0.1"),
               "sip_is_ours": ("10.1.0.1", "10.0.0.1")}


def arp05_scenario(net) -> dict:
    target(net, extra=False)
    names = list(ARP05_CASES)
    out = {}
    for label, key, val in (("off", None, 0), ("dev", "eth0", 1), ("all", "all", 1)):
        net.sysctl("t", "net.ipv4.conf.eth0.arp_filter", 0)
        net.sysctl("t", "net.ipv4.conf.all.arp_filter", 0)
        if key:
            net.sysctl("t", f"net.ipv4.conf.{key}.arp_filter", val)
        got = answered(probe(net, [ARP05_CASES[n] for n in names]))
        out[label] = {n for n in names if ARP05_CASES[n] in got}
    return out


def test_ARP_05_arp_filter_replies_only_if_route_back_leaves_via_receiving_interface():
    got = arp05_scenario(EmuNet())
    # rp_filter 0: without arp_filter all but our own address as sender are answered
    # (a request from one of our own addresses is a martian source: RPF-01)
    assert got["off"] == {"back_via_eth0", "back_via_eth1", "no_route_back"}
    assert got["dev"] == {"back_via_eth0"}
    assert got["all"] == {"back_via_eth0"}          # effective = all OR interface


def test_ARP_05_matches_host_kernel(host):
    assert arp05_scenario(EmuNet()) == arp05_scenario(HostNet(host))


# ================================================================================================
# ARP-06: the sender IP of the requests we send
# ================================================================================================

def arp06_scenario(net) -> dict:
    """The ``spa`` of the first ARP request t sends for each (level, ping source)."""
    target(net, extra=False)
    net.addr("t", "eth0", "10.0.0.2/24")          # secondary on eth0
    # eth2 has no address at all; lo carries a global one, which the fallback finds first
    net.ns("r")
    net.veth("r", "r0", "t", "eth2", "02:00:00:00:02:01", "02:00:00:00:02:02")
    net.link_up("r", "r0")
    net.link_up("t", "eth2")
    net.addr("t", "lo", "10.8.8.8/32")
    net.route_add("t", "10.20.0.0/24", dev="eth2")
    cases = {}
    with net.sniff("p", "p0", 0.1) as on_p0, net.sniff("r", "r0", 0.1) as on_r0:
        for level in (0, 1, 2):
            net.sysctl("t", "net.ipv4.conf.eth0.arp_announce", level)
            net.sysctl("t", "net.ipv4.conf.eth2.arp_announce", level)
            for src in (None, "10.0.0.2", "10.1.0.1", "eth2"):
                dst = f"10.{20 if src == 'eth2' else 0}.0.{len(cases) + 10}"
                cases[dst] = (level, src)
                net.ping("t", dst, src=None if src == "eth2" else src, wait=0.05)
    out = dict.fromkeys(cases.values())
    for a in arp_requests_of(on_p0 + on_r0):
        if a[4] in cases and out[cases[a[4]]] is None:
            out[cases[a[4]]] = a[2]
    return out


def arp_requests_of(frames) -> list[tuple]:
    return [a for a in map(arp_of, frames) if a and a[0] == 1]


ARP06_EXPECTED = {
    # level 0: the packet's own source whenever it is local
    (0, None): "10.0.0.1", (0, "10.0.0.2"): "10.0.0.2", (0, "10.1.0.1"): "10.1.0.1",
    # level 1: only if it is in a subnet of eth0 that contains the target; else as level 2
    (1, None): "10.0.0.1", (1, "10.0.0.2"): "10.0.0.2", (1, "10.1.0.1"): "10.0.0.1",
    # level 2: inet_select_addr(): the first primary of eth0 that contains the target
    (2, None): "10.0.0.1", (2, "10.0.0.2"): "10.0.0.1", (2, "10.1.0.1"): "10.0.0.1",
    # no address on eth2: the packet source (first usable address in device order: lo's)
    (0, "eth2"): "10.8.8.8", (1, "eth2"): "10.8.8.8", (2, "eth2"): "10.8.8.8",
}


def test_ARP_06_arp_announce_selects_the_sender_ip_of_requests():
    assert arp06_scenario(EmuNet()) == ARP06_EXPECTED


def test_ARP_06_arp_announce_effective_value_is_max_of_all_and_interface():
    net = target(EmuNet(), extra=False)
    net.addr("t", "eth0", "10.0.0.2/24")
    net.sysctl("t", "net.ipv4.conf.all.arp_announce", 2)
    with net.sniff("p", "p0", 0.1) as frames:
        net.ping("t", "10.0.0.50", src="10.0.0.2", wait=0.1)
    reqs = [a for a in map(arp_of, frames) if a and a[0] == 1]
    assert reqs and reqs[0][2] == "10.0.0.1"


def test_ARP_06_matches_host_kernel(host):
    assert arp06_scenario(EmuNet()) == arp06_scenario(HostNet(host))


# ================================================================================================
# ARP-07: unsolicited ARP and arp_accept
# ================================================================================================

def arp07_scenario(net, accept: int) -> dict:
    target(net, extra=False)
    net.sysctl("t", "net.ipv4.conf.eth0.arp_accept", accept)
    net.sysctl("t", "net.ipv4.neigh.eth0.locktime", 0)
    p = mac(P_MAC)
    # an entry that already exists (learned from a request for our address): STALE
    net.send("p", "p0", [arp_frame(1, p, "10.0.0.60", "10.0.0.1")], listen=0.05)
    frames = [
        arp_frame(1, p, "10.0.0.50", "10.0.0.50"),                          # gratuitous request
        arp_frame(2, p, "10.0.0.51", "10.0.0.51", tha=p, dst=b"\xff" * 6),  # gratuitous reply
        arp_frame(2, p, "10.0.0.52", "10.0.0.1", tha=mac(T_MAC)),           # unsolicited reply
        arp_frame(2, p, "10.7.7.53", "10.0.0.1", tha=mac(T_MAC)),           # ... off-subnet
        arp_frame(2, p, "10.0.0.60", "10.0.0.1", tha=mac(T_MAC)),           # reply, known
        arp_frame(1, p, "10.0.0.1", "10.0.0.1"),                            # GARP for ours
    ]
    net.send("p", "p0", frames, listen=0.05)
    return {k[0]: v[1] for k, v in net.neigh("t").items()}


def test_ARP_07_arp_accept_0_only_updates_existing_entries():
    assert arp07_scenario(EmuNet(), 0) == {"10.0.0.60": "REACHABLE"}


def test_ARP_07_arp_accept_1_creates_entries_from_gratuitous_and_unsolicited_arp():
    assert arp07_scenario(EmuNet(), 1) == {
        "10.0.0.50": "STALE",           # a request never proves reachability
        "10.0.0.51": "STALE",           # a broadcast reply neither
        "10.0.0.52": "REACHABLE",       # a reply to our MAC does
        "10.7.7.53": "REACHABLE",
        "10.0.0.60": "REACHABLE",
    }


def test_ARP_07_arp_accept_2_only_for_senders_in_a_subnet_of_the_interface():
    assert arp07_scenario(EmuNet(), 2) == {
        "10.0.0.50": "STALE", "10.0.0.51": "STALE", "10.0.0.52": "REACHABLE",
        "10.0.0.60": "REACHABLE"}


def test_ARP_07_arp_accept_above_2_accepts_nothing_new():
    # arp_accept(): values other than 1 and 2 fall to "don't accept"
    assert arp07_scenario(EmuNet(), 3) == {"10.0.0.60": "REACHABLE"}


@pytest.mark.parametrize("accept", [0, 1, 2, 3])
def test_ARP_07_matches_host_kernel(host, accept):
    assert arp07_scenario(EmuNet(), accept) == arp07_scenario(HostNet(host), accept)


# ================================================================================================
# RPF-01 .. RPF-04
# ================================================================================================

RPF_SOURCES = {
    "back_via_eth0": "10.0.0.9",
    "back_via_eth1": "10.1.0.9",
    "no_route": "192.0.2.7",
    "our_eth1_addr": "10.1.0.1",
    "blackholed": "198.51.100.7",
    "directed_bcast": "10.0.0.255",
}


def rpf_scenario(net, settings: list[dict], custom_local: bool = False,
                 default_route: bool = False) -> list[set]:
    """For each settings dict (sysctl key suffix under net.ipv4.conf -> value), which sources'
    echo requests arriving on eth0 for 10.0.0.1 are delivered locally."""
    target(net, extra=False)
    net.route_add("t", "198.51.100.0/24", type="blackhole")
    if default_route:
        net.route_add("t", "default", via="10.1.0.254")
    if custom_local:
        net.route_add("t", "10.77.0.0/24", dev="lo", type="local", table="local")
    # teach t the prober's MAC for its replies, so nothing waits on ARP
    net.send("p", "p0", [arp_frame(1, mac(P_MAC), "10.0.0.9", "10.0.0.1")], listen=0.02)
    names = list(RPF_SOURCES)
    with net.echo_listener("t") as got:
        for j, st in enumerate(settings):
            for k in ("all.rp_filter", "eth0.rp_filter", "all.accept_local",
                      "eth0.accept_local"):
                net.sysctl("t", f"net.ipv4.conf.{k}", st.get(k, 0))
            net.send("p", "p0", [echo_frame(mac(P_MAC), mac(T_MAC), RPF_SOURCES[n], "10.0.0.1",
                                            seq=100 * j + i) for i, n in enumerate(names)],
                     listen=0.02)
    return [{n for i, n in enumerate(names) if (RPF_SOURCES[n], 100 * j + i) in got}
            for j in range(len(settings))]


RPF_SETTINGS = [{}, {"eth0.rp_filter": 1}, {"eth0.rp_filter": 2},
                {"all.rp_filter": 2, "eth0.rp_filter": 1},     # max -> loose
                {"eth0.accept_local": 1}, {"all.accept_local": 1, "eth0.rp_filter": 1},
                {"eth0.accept_local": 1, "eth0.rp_filter": 2}]


def test_RPF_01_rp_filter_0_drops_only_our_own_addresses_as_source():
    (got,) = rpf_scenario(EmuNet(), [{}])
    assert got == set(RPF_SOURCES) - {"our_eth1_addr"}


def test_RPF_01_accept_local_lets_our_own_addresses_in():
    (got,) = rpf_scenario(EmuNet(), [{"eth0.accept_local": 1}])
    assert got == set(RPF_SOURCES)


def test_RPF_02_strict_drops_sources_routed_via_another_interface():
    (got,) = rpf_scenario(EmuNet(), [{"eth0.rp_filter": 1}])
    assert got == {"back_via_eth0"}


def test_RPF_02_loose_only_requires_a_unicast_route_back():
    (got,) = rpf_scenario(EmuNet(), [{"eth0.rp_filter": 2}])
    assert got == {"back_via_eth0", "back_via_eth1"}


def test_RPF_02_effective_rp_filter_is_max_so_all_2_makes_interface_1_loose():
    (got,) = rpf_scenario(EmuNet(), [{"all.rp_filter": 2, "eth0.rp_filter": 1}])
    assert got == {"back_via_eth0", "back_via_eth1"}


def test_RPF_02_local_source_with_accept_local_still_needs_the_interface_in_strict_mode():
    strict, loose = rpf_scenario(EmuNet(), [{"all.accept_local": 1, "eth0.rp_filter": 1},
                                            {"eth0.accept_local": 1, "eth0.rp_filter": 2}])
    assert strict == {"back_via_eth0"}
    assert loose == {"back_via_eth0", "back_via_eth1", "our_eth1_addr"}


def test_RPF_02_loose_passes_anything_routable_by_a_default_route():
    strict, loose = rpf_scenario(EmuNet(), [{"eth0.rp_filter": 1}, {"eth0.rp_filter": 2}],
                                 default_route=True)
    assert strict == {"back_via_eth0"}
    assert loose == {"back_via_eth0", "back_via_eth1", "no_route"}


def test_RPF_02_full_check_with_rp_filter_0_drops_broadcast_sources_only():
    # a custom local route forces the full check even with rp_filter 0 (fib_validate_source);
    # there a broadcast-type route back is dropped, while a failed lookup (blackhole) passes
    (got,) = rpf_scenario(EmuNet(), [{}], custom_local=True)
    assert got == set(RPF_SOURCES) - {"our_eth1_addr", "directed_bcast"}


def test_RPF_01_RPF_02_matches_host_kernel(host):
    assert rpf_scenario(EmuNet(), RPF_SETTINGS) == rpf_scenario(HostNet(host), RPF_SETTINGS)


def test_RPF_02_default_route_and_custom_local_match_host_kernel(host):
    s = [{}, {"eth0.rp_filter": 1}, {"eth0.rp_filter": 2}]
    assert (rpf_scenario(EmuNet(), s, default_route=True)
            == rpf_scenario(HostNet(host), s, default_route=True))
    assert (rpf_scenario(EmuNet(), [{}], custom_local=True)
            == rpf_scenario(HostNet(host), [{}], custom_local=True))


RPF03_CASES = {"back_via_eth0": ("10.0.0.9", "10.0.0.1"),
               "back_via_eth1": ("10.1.0.9", "10.0.0.1"),
               "no_route": ("192.0.2.7", "10.0.0.1")}


def rpf03_scenario(net) -> dict:
    target(net, extra=False)
    names = list(RPF03_CASES)
    out = {}
    for rpf in (0, 1, 2):
        net.sysctl("t", "net.ipv4.conf.eth0.rp_filter", rpf)
        got = answered(probe(net, [RPF03_CASES[n] for n in names]))
        out[rpf] = {n for n in names if RPF03_CASES[n] in got}
        out[f"learned{rpf}"] = sorted(ip for ip, dev in net.neigh("t"))
    return out


def test_RPF_03_arp_requests_are_reverse_path_filtered_too():
    got = rpf03_scenario(EmuNet())
    assert got[0] == set(RPF03_CASES)
    assert got[1] == {"back_via_eth0"}
    assert got[2] == {"back_via_eth0", "back_via_eth1"}


def test_RPF_03_matches_host_kernel(host):
    assert rpf03_scenario(EmuNet()) == rpf03_scenario(HostNet(host))


def rpf04_scenario(net) -> dict:
    net.ns("s")
    net.veth("s", "v0", "s", "v1", P_MAC, T_MAC)
    return {f"{d}.{k}": net.sysctl_get("s", f"net.ipv4.conf.{d}.{k}")
            for d in ("all", "default", "v0") for k in ("rp_filter", "accept_local")}


def test_RPF_04_documented_defaults_rp_filter_0_accept_local_0():
    assert set(rpf04_scenario(EmuNet()).values()) == {0}


def test_RPF_04_matches_host_kernel(host):
    assert rpf04_scenario(EmuNet()) == rpf04_scenario(HostNet(host))
