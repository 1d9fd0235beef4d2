"""IPv6 in the emulated kernel (stack/ipv6.py, stack/addrconf.py) and its `ip` / `sysctl` / `ping`
faces, checked against the kernel source and the host kernel.

kernel-spec.md has no IPv6 section yet; the rule IDs used here (to be copied there):

* V6-CONF-01  a new netns starts from the compiled-in IPv6 devconf, not init_net's values
              (addrconf_init_net, devconf_inherit_init_net 0); all.accept_dad 0, default 1.
* V6-DEV-01   an inet6_dev exists from NETDEV_REGISTER when MTU >= 1280 (ipv6_add_dev); loopback
              and NOARP devices get accept_dad -1; lo gets ::1/128 scope host when it goes up.
* V6-LL-01    link-local: eui64 from the MAC (U/L bit flipped, ff:fe or dev_id in the middle);
              none: no address; stable_secret / random: RFC 7217 (ipv6_generate_stable_address).
* V6-DAD-01   addrconf_dad_*: tentative, NS from :: with a nonce after rand(rtr_solicit_delay),
              done one retrans_time later; the local route appears only then.
* V6-DAD-02   a duplicate (NS for our tentative target from :: or an NA for it): dadfailed.
* V6-MLD-01   MLDv2 reports: 2 on join (src :: during DAD), 2 more from the link-local after DAD.
* V6-RS-01    RS on DAD completion, then RFC 7559 backoff (x[0.9,1.1] 4 s, then x[1.9,2.1]),
              unlimited; background timers (run_until_idle ends).
* V6-DOWN-01  NETDEV_DOWN removes every address and route of the device (keep_addr_on_down 0).
* V6-SYS-01   disable_ipv6: all sets default and every device; default only new devices.
* V6-ND-01    NS/NA: the pinging side REACHABLE, the pinged side STALE -> DELAY.
* V6-FWD-01   forwarding=1: hop limit decremented, hop limit 1 -> time exceeded.
"""

from __future__ import annotations

import re
import shlex

import pytest

from vnetlab.api import Lab
from vnetlab.commands import run as cmd_run
from vnetlab.stack.addrconf import IFA_F_DADFAILED, IFA_F_TENTATIVE
from vnetlab.stack.kernel import Kernel
from vnetlab.wire import ipv6 as w6

SEC = 1_000_000_000
MAC_A, MAC_B = "02:00:00:00:0a:01", "02:00:00:00:0b:01"


@pytest.fixture
def lab(monkeypatch):
    monkeypatch.setattr(Kernel, "IPV6_DEFAULT", True)
    return Lab()


def sh(lab, line: str, ns: str | None = None) -> str:
    rc, out, err = cmd_run(lab, shlex.split(line), ns=ns)
    assert rc == 0, (line, rc, err)
    return out


def pair(lab, up: bool = True):
    a, b = lab.netns("a"), lab.netns("b")
    va, vb = lab.add_veth("va", "vb", ns=a, peer_ns=b, address=MAC_A, peer_address=MAC_B)
    if up:
        lab.set_link("va", ns=a, up=True)
        lab.set_link("vb", ns=b, up=True)
        lab.engine.run_now()             # linkwatch: carrier -> NETDEV_CHANGE -> addrconf
    return a, b, va, vb


def addrs(dev) -> list[tuple[str, int]]:
    return [(w6.ntoa(i.addr), i.flags) for i in dev.ip6.addr_list]


# =============================================================================================
# engine: background timers
# =============================================================================================

def test_engine_background_timers_do_not_keep_run_until_idle_busy():
    from vnetlab.sim import Engine
    e = Engine()
    seen = []

    def tick(n):
        seen.append((e.now, n))
        e.call_later_background(SEC, tick, n + 1)
    e.call_later_background(SEC, tick, 0)
    e.call_later(int(2.5 * SEC), seen.append, "fg")
    e.run_until_idle()
    assert seen == [(SEC, 0), (2 * SEC, 1), "fg"] and e.now == int(2.5 * SEC)
    assert e.idle and e.next_deadline() is None and e.next_deadline_any() == 3 * SEC
    e.run_for(2 * SEC)
    assert seen[-2:] == [(3 * SEC, 2), (4 * SEC, 3)]


# =============================================================================================
# configuration and devices
# =============================================================================================

def test_V6_CONF_01_new_netns_does_not_inherit_init_net_values(lab):
    sh(lab, "sysctl -w net.ipv6.conf.default.dad_transmits=3 net.ipv6.conf.all.forwarding=1")
    lab.netns("x")
    out = sh(lab, "sysctl net.ipv6.conf.default.dad_transmits net.ipv6.conf.all.forwarding "
                  "net.ipv6.conf.all.accept_dad net.ipv6.conf.default.accept_dad "
                  "net.ipv6.conf.lo.accept_dad net.ipv6.conf.lo.mtu", ns="x")
    assert out == ("net.ipv6.conf.default.dad_transmits = 1\nnet.ipv6.conf.all.forwarding = 0\n"
                   "net.ipv6.conf.all.accept_dad = 0\nnet.ipv6.conf.default.accept_dad = 1\n"
                   "net.ipv6.conf.lo.accept_dad = -1\nnet.ipv6.conf.lo.mtu = 65536\n")


def test_V6_CONF_01_sysctl_names_match_a_fresh_host_netns(lab):
    """Every net.ipv6 key and value of `sysctl -a` in a fresh netns (host 6.18 golden)."""
    import os
    path = os.path.join(os.path.dirname(__file__), "golden", "host-6.18", "ipv6-ip",
                        "sysctl-ipv6-fresh-netns.txt")
    want = open(path).read()
    lab.netns("x")
    got = "".join(line + "\n" for line in sh(lab, "sysctl -a", ns="x").splitlines()
                  if line.startswith("net.ipv6."))
    assert got == want


def test_V6_DEV_01_inet6_dev_needs_mtu_1280(lab):
    a = lab.netns("a")
    lab.add_veth("v0", "v1", ns=a, mtu=1279)
    assert a.dev("v0").ip6 is None and a.dev("v1").ip6 is not None
    sh(lab, "ip link set v0 mtu 1280", ns="a")
    assert a.dev("v0").ip6 is not None


def test_V6_DEV_01_loopback_gets_host_scoped_loopback_address(lab):
    a = lab.netns("a")
    assert sh(lab, "ip -6 addr show lo", ns="a") == ""
    sh(lab, "ip link set lo up", ns="a")
    assert sh(lab, "ip -6 addr show lo", ns="a") == (
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default "
        "qlen 1000\n    inet6 ::1/128 scope host \n       valid_lft forever preferred_lft "
        "forever\n")
    assert sh(lab, "ip -6 route show table all", ns="a") == \
        "local ::1 dev lo table local proto kernel metric 0 pref medium\n"
    assert a.lo.ip6.cnf["accept_dad"] == -1


# =============================================================================================
# link-local generation, DAD
# =============================================================================================

def test_V6_LL_01_eui64_from_the_mac(lab):
    a, b, va, vb = pair(lab)
    assert [x for x, _ in addrs(va)] == ["fe80::ff:fe00:a01"]
    assert [x for x, _ in addrs(vb)] == ["fe80::ff:fe00:b01"]


def test_V6_LL_01_addrgenmode_none_gives_no_link_local(lab):
    a, b, va, vb = pair(lab, up=False)
    sh(lab, "ip link set va addrgenmode none", ns="a")
    lab.set_link("va", ns=a, up=True)
    lab.set_link("vb", ns=b, up=True)
    lab.run_for(5)
    assert addrs(va) == [] and va.tx_packets == 0
    assert "addrgenmode none" in sh(lab, "ip -d link show va", ns="a")


def test_V6_LL_01_stable_secret_address_matches_the_host_kernel(lab):
    """Host 6.18 (FACTS §5): secret 2001:db8::1234 on a veth gives fe80::d820:30f:5afc:84be."""
    a, b, va, vb = pair(lab, up=False)
    sh(lab, "sysctl -w net.ipv6.conf.va.stable_secret=2001:db8::1234", ns="a")
    assert sh(lab, "sysctl net.ipv6.conf.va.addr_gen_mode", ns="a") == \
        "net.ipv6.conf.va.addr_gen_mode = 2\n"
    lab.set_link("va", ns=a, up=True)
    lab.set_link("vb", ns=b, up=True)
    lab.run_for(3)
    assert "inet6 fe80::d820:30f:5afc:84be/64 scope link stable-privacy \n" in \
        sh(lab, "ip addr show va", ns="a")


def test_V6_DAD_01_tentative_then_preferred_local_route_after(lab):
    a, b, va, vb = pair(lab)
    lab.run_for(0.05)
    assert addrs(va)[0][1] & IFA_F_TENTATIVE
    assert sh(lab, "ip -6 route show table all", ns="a") == (
        "fe80::/64 dev va proto kernel metric 256 pref medium\n"
        "multicast ff00::/8 dev va table local proto kernel metric 256 pref medium\n")
    lab.run_for(2.5)
    assert not addrs(va)[0][1] & IFA_F_TENTATIVE
    assert sh(lab, "ip -6 route show table all", ns="a") == (
        "fe80::/64 dev va proto kernel metric 256 pref medium\n"
        "local fe80::ff:fe00:a01 dev va table local proto kernel metric 0 pref medium\n"
        "multicast ff00::/8 dev va table local proto kernel metric 256 pref medium\n")


def test_V6_DAD_01_nodad_and_accept_dad_0(lab):
    a, b, va, vb = pair(lab, up=False)
    sh(lab, "sysctl -w net.ipv6.conf.va.accept_dad=0", ns="a")
    sh(lab, "ip addr add 2001:db8::3 dev vb nodad", ns="b")
    lab.set_link("va", ns=a, up=True)
    lab.set_link("vb", ns=b, up=True)
    lab.engine.run_now()
    assert not addrs(va)[0][1] & IFA_F_TENTATIVE
    assert "inet6 2001:db8::3/128 scope global nodad \n" in sh(lab, "ip addr show vb", ns="b")


def test_V6_DAD_02_second_holder_of_an_address_gets_dadfailed(lab):
    a, b, va, vb = pair(lab)
    lab.run_for(3)
    sh(lab, "ip addr add 2001:db8::1/64 dev va", ns="a")
    lab.run_for(3)
    sh(lab, "ip addr add 2001:db8::1/64 dev vb", ns="b")
    lab.run_for(3)
    assert (w6.aton("2001:db8::1"), IFA_F_DADFAILED | IFA_F_TENTATIVE) == \
        (vb.ip6.addr_list[0].addr, vb.ip6.addr_list[0].flags & (IFA_F_DADFAILED |
                                                                IFA_F_TENTATIVE))
    assert "inet6 2001:db8::1/64 scope global dadfailed tentative \n" in \
        sh(lab, "ip addr show vb", ns="b")
    assert "local 2001:db8::1" not in sh(lab, "ip -6 route show table local", ns="b")
    assert not va.ip6.addr_list[0].flags & IFA_F_TENTATIVE


# =============================================================================================
# what goes on the wire, against the host kernel's capture
# =============================================================================================

def _mask_nonce(f: bytes) -> bytes:
    # a DAD NS (from ::) carries a random nonce option: mask it and the checksum
    if len(f) == 86 and f[54] == 135 and f[22:38] == b"\x00" * 16:
        return f[:56] + b"\x00\x00" + f[58:80] + b"\x00" * 6
    return f


def test_V6_MLD_01_RS_01_frames_of_a_veth_pair_coming_up_match_the_host(lab):
    """The frames both ends send in the first 10 s (tests/golden/host-6.18/ipv6-ip/
    veth-up.pcap, captured on va): MLDv2 x4, DAD NS, RS x2 per side, byte for byte (nonce
    masked); the order differs only by the random delays."""
    import os

    import dpkt
    path = os.path.join(os.path.dirname(__file__), "golden", "host-6.18", "ipv6-ip",
                        "veth-up.pcap")
    with open(path, "rb") as f:
        kern = [bytes(b) for _, b in dpkt.pcap.Reader(f)]
    first_echo = next(i for i, f in enumerate(kern) if len(f) > 54 and f[54] in (128, 135)
                      and f[22:38] != b"\x00" * 16)
    kern = kern[:first_echo]
    a, b, va, vb = pair(lab, up=False)
    got = []
    va.ptype_all.append(lambda skb, dev, out: got.append(skb.data))
    lab.set_link("va", ns=a, up=True)
    lab.set_link("vb", ns=b, up=True)
    lab.run_for(10)
    assert sorted(map(_mask_nonce, got)) == sorted(map(_mask_nonce, kern))
    assert len(got) == 14


def test_V6_COUNT_01_veth_counters_after_ten_seconds(lab):
    """FACTS §2: 7 packets / 586 bytes each way 10 s after both ends are up (host 6.18)."""
    a, b, va, vb = pair(lab)
    lab.run_for(10)
    out = sh(lab, "ip -s link show va", ns="a")
    assert out.splitlines()[3].split()[:2] == ["586", "7"]
    assert out.splitlines()[5].split()[:2] == ["586", "7"]


def test_V6_RS_01_backoff_intervals_and_idle(lab):
    a, b, va, vb = pair(lab)
    times = []
    va.ptype_all.append(lambda skb, dev, out: times.append(lab.engine.now)
                        if out and skb.data[54] == 133 else None)
    lab.run_for(200)
    gaps = [(y - x) / SEC for x, y in zip(times, times[1:])]
    assert 3.6 <= gaps[0] <= 4.4
    for g0, g1 in zip(gaps, gaps[1:]):
        assert 1.9 * g0 - 0.001 <= g1 <= 2.1 * g0 + 0.001
    lab.engine.run_until_idle()            # RS timers are background work: this returns


# =============================================================================================
# addresses, routes, neighbours through the tools
# =============================================================================================

def test_V6_DOWN_01_link_down_flushes_addresses_and_routes(lab):
    a, b, va, vb = pair(lab)
    sh(lab, "ip addr add 2001:db8::1/64 dev va", ns="a")
    lab.run_for(3)
    sh(lab, "ip link set va down", ns="a")
    assert addrs(va) == []
    assert sh(lab, "ip -6 route show table all", ns="a") == ""
    sh(lab, "ip link set va up", ns="a")
    # the carrier event of a veth whose peer (other netns) has the same ifindex is not urgent
    # for linkwatch: addrconf sees the link ready up to a second later (kernel-spec §13)
    lab.run_for(1.1)
    assert [(x, f & IFA_F_TENTATIVE) for x, f in addrs(va)] == [("fe80::ff:fe00:a01",
                                                                  IFA_F_TENTATIVE)]


def test_V6_SYS_01_disable_ipv6_propagation(lab):
    a, b, va, vb = pair(lab)
    lab.run_for(3)
    sh(lab, "sysctl -w net.ipv6.conf.all.disable_ipv6=1", ns="a")
    assert addrs(va) == [] and sh(lab, "ip -6 route show table all", ns="a") == ""
    assert va.ip6.cnf["disable_ipv6"] == 1 and a.ipv6.conf_default["disable_ipv6"] == 1
    sh(lab, "sysctl -w net.ipv6.conf.all.disable_ipv6=0", ns="a")
    assert addrs(va)[0][0] == "fe80::ff:fe00:a01"
    sh(lab, "sysctl -w net.ipv6.conf.default.disable_ipv6=1", ns="a")
    assert va.ip6.cnf["disable_ipv6"] == 0
    rc, out, err = cmd_run(lab, shlex.split("ip addr add 2001:db8::9/64 dev va"), ns="a")
    assert rc == 0
    sh(lab, "sysctl -w net.ipv6.conf.va.disable_ipv6=1", ns="a")
    rc, out, err = cmd_run(lab, shlex.split("ip addr add 2001:db8::9/64 dev va"), ns="a")
    assert (rc, err) == (2, "Error: ipv6: IPv6 is disabled on this device.\n")


@pytest.mark.parametrize("line,err", [
    ("ip -6 addr add ::1/128 dev va", "Error: ipv6: Cannot assign loopback address on this "
                                      "device.\n"),
    ("ip -6 addr add ff02::5/128 dev va", 'Error: ipv6: Cannot assign multicast address without '
                                          '"IFA_F_MCAUTOJOIN" flag.\n'),
    ("ip -6 addr add 2001:db8::6/48 dev va mngtmpaddr",
     'Error: ipv6: address with "mngtmpaddr" flag must have a prefix length of 64.\n'),
    ("ip -6 addr del 2001:db8::2/64 dev va", "Error: ipv6: address not found.\n"),
    ("ip -6 route add 2001:db8:2::/64 via fe80::1", "Error: Egress device not specified.\n"),
    ("ip -6 route add 2001:db8:3::/64 via 2001:db8:9::1", "RTNETLINK answers: No route to host\n"),
    ("ip -6 route del 2001:db8:7::/64", "RTNETLINK answers: No such process\n"),
])
def test_ip6_errors_match_iproute2_on_the_host(lab, line, err):
    """Texts seen on the host 6.18 with iproute2 6.1 (exit status 2)."""
    pair(lab)
    rc, out, e = cmd_run(lab, shlex.split(line), ns="a")
    assert (rc, e) == (2, err)


def test_ip6_addr_and_route_listing(lab):
    a, b, va, vb = pair(lab, up=False)
    for line in ("ip -6 addr add 2001:db8::1/64 dev va", "ip addr add 2001:db8::3 dev va nodad",
                 "ip addr add 2001:db8::4/64 dev va noprefixroute",
                 "ip addr add 2001:db8::5/64 dev va mngtmpaddr"):
        sh(lab, line, ns="a")
    # host 6.18: newest first; prefix routes of a down device are not listed
    assert sh(lab, "ip addr show va", ns="a").splitlines()[2::2] == [
        "    inet6 2001:db8::5/64 scope global tentative mngtmpaddr ",
        "    inet6 2001:db8::4/64 scope global tentative noprefixroute ",
        "    inet6 2001:db8::3/128 scope global nodad ",
        "    inet6 2001:db8::1/64 scope global tentative "]
    assert sh(lab, "ip -6 route show table all", ns="a") == \
        "local 2001:db8::3 dev va table local proto kernel metric 0 pref medium\n"
    lab.set_link("va", ns=a, up=True)
    lab.set_link("vb", ns=b, up=True)
    assert sh(lab, "ip -6 route", ns="a") == (
        "2001:db8::3 dev va proto kernel metric 256 pref medium\n"
        "2001:db8::/64 dev va proto kernel metric 256 pref medium\n"
        "fe80::/64 dev va proto kernel metric 256 pref medium\n")
    sh(lab, "ip -6 route add default via fe80::1 dev va metric 100", ns="a")
    sh(lab, "ip -6 route add unreachable 2001:db8:5::/64", ns="a")
    assert sh(lab, "ip -j -6 route", ns="a").endswith(
        '{"type":"unreachable","dst":"2001:db8:5::/64","dev":"lo","metric":1024,"flags":[],'
        '"pref":"medium"},{"dst":"fe80::/64","dev":"va","protocol":"kernel","metric":256,'
        '"flags":[],"pref":"medium"},{"dst":"default","gateway":"fe80::1","dev":"va",'
        '"metric":100,"flags":[],"pref":"medium"}]\n')
    sh(lab, "ip -6 addr flush dev va", ns="a")
    assert addrs(va) == []


def test_V6_ND_01_ping_link_local_and_neighbour_states(lab):
    a, b, va, vb = pair(lab)
    lab.run_for(3)
    out = sh(lab, "ping -6 -c1 fe80::ff:fe00:b01%va", ns="a")
    lines = out.splitlines()
    assert lines[0] == "PING fe80::ff:fe00:b01%va(fe80::ff:fe00:b01%va) 56 data bytes"
    assert lines[1].startswith("64 bytes from fe80::ff:fe00:b01%va: icmp_seq=1 ttl=64 time=")
    assert lines[3] == "--- fe80::ff:fe00:b01%va ping statistics ---"
    assert sh(lab, "ip -6 neigh", ns="a") == \
        "fe80::ff:fe00:b01 dev va lladdr 02:00:00:00:0b:01 REACHABLE \n"
    assert sh(lab, "ip -6 neigh", ns="b") == \
        "fe80::ff:fe00:a01 dev vb lladdr 02:00:00:00:0a:01 DELAY \n"


def test_V6_ND_01_unanswered_neighbour_incomplete_then_failed(lab):
    a, b, va, vb = pair(lab)
    sh(lab, "ip addr add 2001:db8::1/64 dev va", ns="a")
    lab.run_for(3)
    rc, out, err = cmd_run(lab, shlex.split("ping -6 -c1 -W1 2001:db8::99"), ns="a")
    assert rc == 1 and "1 packets transmitted, 0 received, 100% packet loss" in out
    lab.run_for(5)
    assert "2001:db8::99 dev va FAILED" in sh(lab, "ip -6 neigh show nud all", ns="a")


def test_V6_FWD_01_router_decrements_hop_limit(lab):
    r = lab.netns("r")
    a, b = lab.netns("a"), lab.netns("b")
    lab.add_veth("ra", "eth0", ns=r, peer_ns=a)
    lab.add_veth("rb", "eth0", ns=r, peer_ns=b)
    for ns, dev in ((r, "ra"), (r, "rb"), (a, "eth0"), (b, "eth0")):
        lab.set_link(dev, ns=ns, up=True)
    sh(lab, "sysctl -w net.ipv6.conf.all.forwarding=1", ns="r")
    sh(lab, "ip addr add 2001:db8:a::1/64 dev ra", ns="r")
    sh(lab, "ip addr add 2001:db8:b::1/64 dev rb", ns="r")
    sh(lab, "ip addr add 2001:db8:a::2/64 dev eth0", ns="a")
    sh(lab, "ip addr add 2001:db8:b::2/64 dev eth0", ns="b")
    sh(lab, "ip -6 route add default via 2001:db8:a::1", ns="a")
    sh(lab, "ip -6 route add default via 2001:db8:b::1", ns="b")
    lab.run_for(4)
    out = sh(lab, "ping -6 -c1 2001:db8:b::2", ns="a")
    assert "64 bytes from 2001:db8:b::2: icmp_seq=1 ttl=63 time=" in out
    rc, out, err = cmd_run(lab, shlex.split("ping -6 -c1 -t1 2001:db8:b::2"), ns="a")
    assert rc == 1
    assert "From 2001:db8:a::1 icmp_seq=1 Time exceeded: Hop limit" in out


# =============================================================================================
# the same script on the host kernel
# =============================================================================================

SCRIPT = [
    ("a", "ip link add va address 02:00:00:00:0a:01 type veth peer name vb address "
          "02:00:00:00:0b:01"),
    ("a", "ip link set vb netns {b}"),
    ("a", "ip link set lo up"),
    ("a", "ip link set va up"),
    ("b", "ip link set vb up"),
    ("a", "ip -6 addr add 2001:db8::1/64 dev va"),
    ("b", "ip -6 addr add 2001:db8::2/64 dev vb"),
    ("sleep", "0.3"),
    ("a", "ip addr"),
    ("a", "ip -6 route show table all"),
    ("sleep", "3.7"),
    ("a", "ip addr"),
    ("b", "ip -6 addr"),
    ("a", "ip -6 route show table all"),
    ("a", "ping -6 -c1 2001:db8::2 >/dev/null; echo $?"),
    ("a", "ip -6 neigh"),
    ("a", "ip -j addr show va"),
]


def _norm(text: str) -> str:
    text = re.sub(r"link-netns \S+", "link-netns NS", text)
    text = re.sub(r'"link_netnsid":\d+', '"link_netnsid":N', text)
    return text


def test_veth_pair_ipv6_matches_host_kernel(lab, host):
    outs_h, outs_e = [], []
    names = {"a": host.ns("a"), "b": host.ns("b")}
    import time
    for where, cmd in SCRIPT:
        if where == "sleep":
            time.sleep(float(cmd))
            lab.run_for(float(cmd))
            continue
        c = cmd.format(b=names["b"])
        p = host.run(c, ns=where, check=True)
        outs_h.append(_norm(p.stdout))
        ce = cmd.format(b="b")
        lab.netns("a"), lab.netns("b")
        if "ping" in ce:
            rc, out, err = cmd_run(lab, shlex.split(ce.split(">")[0]), ns=where)
            outs_e.append(f"{rc}\n")
        else:
            outs_e.append(_norm(sh(lab, ce, ns=where)))
    assert outs_e == outs_h
