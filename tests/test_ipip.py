"""ipip tunnels (vnetlab.devices.ipip) against kernel-spec §8.1 (TNL-*) and §13.

Expected values come from the spec text and from the reference kernel (tests/golden/vm-6.1/,
tests/conformance/8[0-2]-ipip-*.sh run on the VM), never from the emulator's own output. Each
test builds the same small topology: netns ``a`` and ``b`` joined by a veth pair
(10.0.0.1/24 - 10.0.0.2/24), driven through the emulated tools.
"""

from __future__ import annotations

import shlex
import struct

import pytest

from vnetlab.api import Lab
from vnetlab.commands import run
from vnetlab.stack.netdev import IFF_NOARP, IFF_POINTOPOINT, IFF_UP

SEC = 1_000_000_000


def sh(lab, ns, line: str, ok: bool = True):
    rc, out, err = run(lab, shlex.split(line), ns=ns)
    if ok:
        assert rc == 0, (line, out, err)
    return rc, out, err


def pair(mtu: int | None = None) -> tuple[Lab, object, object]:
    lab = Lab()
    a, b = lab.netns("a"), lab.netns("b")
    m = f" mtu {mtu}" if mtu else ""
    sh(lab, a, f"ip link add eth0{m} type veth peer name eth0 netns b{m}")
    sh(lab, a, "ip addr add 10.0.0.1/24 dev eth0")
    sh(lab, b, "ip addr add 10.0.0.2/24 dev eth0")
    for ns in (a, b):
        sh(lab, ns, "ip link set eth0 up")
        sh(lab, ns, "ip link set lo up")
    lab.run_for(2)
    return lab, a, b


def capture(dev) -> list:
    """A packet tap on ``dev``: (direction, IPv4 bytes) of every IPv4 frame."""
    got: list = []

    def tap(skb, d, outgoing):
        if skb.protocol == 0x0800:
            got.append(("out" if outgoing else "in", bytes(skb.data[skb.mac_len:])))
    dev.ptype_all.append(tap)
    return got


def icmp_types(frames) -> list:
    return [(f[1][9], f[1][20] if f[1][9] == 1 else None, f[1][21] if f[1][9] == 1 else None)
            for f in frames]


# ---------------------------------------------------------------------------------------------
def test_TNL_01_fallback_tunl0_in_every_netns_when_the_module_loads():
    lab = Lab()
    a = lab.netns("a")
    assert "tunl0" not in a.by_name and "ipip" not in lab.kernel.modules
    # naming tunl0 loads ipip (dev_load -> netdev-tunl0), as §13 observed
    rc, out, err = sh(lab, a, "ip link show tunl0")
    assert out == ("2: tunl0@NONE: <NOARP> mtu 1480 qdisc noop state DOWN mode DEFAULT group "
                   "default qlen 1000\n    link/ipip 0.0.0.0 brd 0.0.0.0\n")
    for ns in (lab.kernel.init_ns, a, lab.netns("later")):
        t = ns.by_name["tunl0"]
        assert t.mtu == 1480 and not t.flags & IFF_UP and t.flags & IFF_NOARP
        assert t.get_iflink() == 0 and t.netns_immutable
    # it cannot move, and deleting it is a silent no-op (ip_tunnel_dellink skips it)
    rc, out, err = sh(lab, a, "ip link set tunl0 netns later", ok=False)
    assert rc == 2 and "tunl0" in a.by_name
    rc, out, err = sh(lab, a, "ip link del tunl0", ok=False)
    assert rc == 0 and "tunl0" in a.by_name
    # ip tunnel show: the fallback's parms are all zero (protocol "any", DF off)
    assert sh(lab, a, "ip tunnel show")[1] == \
        "tunl0: any/ip remote any local any ttl inherit nopmtudisc\n"


def test_TNL_01_ifconfig_tunl0_loads_ipip_like_the_seed():
    lab = Lab()
    rs = lab.netns("rs")
    sh(lab, rs, "ifconfig tunl0 200.168.10.10 netmask 255.255.255.255 up")
    sh(lab, rs, "route add -host 200.168.10.10 dev tunl0")
    t = rs.by_name["tunl0"]
    assert t.flags & IFF_UP and [a.local for a in t.ip.ifa_list] == [0xC8A80A0A]


def test_TNL_02_device_shape_and_mtu_from_the_route_to_remote():
    lab, a, b = pair(mtu=9000)
    sh(lab, a, "ip tunnel add t1 mode ipip remote 10.0.0.2 local 10.0.0.1")
    sh(lab, a, "ip tunnel add t2 mode ipip remote 192.0.2.1")          # no route: 1500 - 20
    sh(lab, a, "ip tunnel add t3 mode ipip remote 192.0.2.3 dev eth0")  # link device: 9000 - 20
    sh(lab, a, "ip tunnel add t4 mode ipip local 10.9.9.9")             # no remote: no P2P
    t1, t2, t3, t4 = (a.by_name[n] for n in ("t1", "t2", "t3", "t4"))
    assert (t1.mtu, t2.mtu, t3.mtu, t4.mtu) == (8980, 1480, 8980, 1480)
    assert t1.flags & IFF_POINTOPOINT and not t4.flags & IFF_POINTOPOINT
    assert t1.addr == bytes([10, 0, 0, 1]) and t1.broadcast == bytes([10, 0, 0, 2])
    assert t1.type == 768 and t1.addr_len == 4 and t1.flags & IFF_NOARP
    # an underlay of MTU 68 gives 48, floored at 68
    sh(lab, a, "ip link add lowm mtu 68 type veth peer name lowp")
    sh(lab, a, "ip tunnel add t5 mode ipip remote 192.0.2.5 dev lowm")
    assert a.by_name["t5"].mtu == 68


def _tunnels(lab, a, b, a_opts: str = "", b_opts: str = ""):
    sh(lab, a, f"ip link add t1 type ipip remote 10.0.0.2 local 10.0.0.1 {a_opts}")
    sh(lab, b, f"ip link add t1 type ipip remote 10.0.0.1 local 10.0.0.2 {b_opts}")
    sh(lab, a, "ip addr add 172.16.0.1/30 dev t1")
    sh(lab, b, "ip addr add 172.16.0.2/30 dev t1")
    sh(lab, a, "ip link set t1 up")
    sh(lab, b, "ip link set t1 up")
    lab.run_for(2)


def test_TNL_03_lookup_order_exact_then_remote_then_local_then_wildcard():
    lab = Lab()
    r = lab.netns("r")
    lab.kernel.request_module("ipip")
    sh(lab, r, "ip link add eth0 type veth peer name peer")
    sh(lab, r, "ip tunnel add both mode ipip remote 10.0.0.1 local 10.0.0.2")
    sh(lab, r, "ip tunnel add rem mode ipip remote 10.0.0.1")
    sh(lab, r, "ip tunnel add loc mode ipip local 10.0.0.2")
    itn = r.ipip_net
    ifi = r.by_name["eth0"].ifindex
    look = lambda: (lambda t: t.name if t else None)(itn.lookup(ifi, 0x0A000001, 0x0A000002))
    assert look() is None                              # every tunnel down, tunl0 down
    for n in ("both", "rem", "loc"):
        sh(lab, r, f"ip link set {n} up")
    assert look() == "both"
    sh(lab, r, "ip link set both down")
    assert look() == "rem"
    sh(lab, r, "ip link set rem down")
    assert look() == "loc"
    sh(lab, r, "ip link set loc down")
    assert look() is None
    sh(lab, r, "ip link set tunl0 up")
    assert look() == "tunl0"                           # wildcard pass / fallback
    # a tunnel bound to the receiving link wins over an earlier candidate of the same pass
    sh(lab, r, "ip tunnel add remdev mode ipip remote 10.0.0.1 dev eth0")
    sh(lab, r, "ip link set rem up")
    sh(lab, r, "ip link set remdev up")
    assert look() == "remdev"
    assert itn.lookup(999, 0x0A000001, 0x0A000002).name in ("rem", "remdev")


def test_TNL_04_no_tunnel_is_port_unreachable_and_tunl0_catches_only_while_up():
    lab, a, b = pair()
    sh(lab, a, "ip link add t1 type ipip remote 10.0.0.2 local 10.0.0.1")
    sh(lab, a, "ip addr add 172.16.0.1/30 dev t1")
    sh(lab, a, "ip link set t1 up")
    cap = capture(a.by_name["eth0"])
    # b has ipip loaded (one kernel) but its tunl0 is down: port unreachable back
    assert "tunl0" in b.by_name
    rc, out, err = sh(lab, a, "ping -c 1 -W 1 172.16.0.2", ok=False)
    assert rc == 1
    assert (1, 3, 3) in icmp_types([f for f in cap if f[0] == "in"])
    # tunl0 up: it decapsulates (and b has no 172.16.0.2: the inner packet is forwarded or
    # dropped there, but tunl0 counted it)
    sh(lab, b, "ip link set tunl0 up")
    sh(lab, b, "ip addr add 172.16.0.2/32 dev lo")
    sh(lab, b, "ip route add 172.16.0.1/32 dev eth0")
    rx = b.by_name["tunl0"].rx_packets
    sh(lab, a, "ping -c 1 -W 1 172.16.0.2", ok=False)
    assert b.by_name["tunl0"].rx_packets == rx + 1


def test_TNL_04_without_the_module_ipip_is_protocol_unreachable():
    lab, a, b = pair()
    assert "ipip" not in lab.kernel.modules
    cap = capture(a.by_name["eth0"])
    inner = b"\x45" + b"\x00" * 19
    a.ipv4.ip_send(0x0A000002, 4, inner, ttl=64)
    lab.run_for(1)
    assert (1, 3, 2) in icmp_types([f for f in cap if f[0] == "in"])


def test_TNL_05_decapsulation_counts_on_the_tunnel_keeps_ttl_and_applies_its_rp_filter():
    lab, a, b = pair()
    _tunnels(lab, a, b)
    seen: list = []
    b.ipv4.raw_open(1, lambda ip, skb: seen.append((ip[8], skb.dev.name)))
    sh(lab, a, "ping -c 1 -t 33 172.16.0.2")
    req = [s for s in seen if s[1] == "t1"]
    assert req and req[0][0] == 33                      # inner TTL not decremented
    assert b.by_name["t1"].rx_packets == 1 and b.by_name["t1"].rx_bytes == 84
    assert a.by_name["t1"].tx_packets == 1 and a.by_name["t1"].tx_bytes == 84
    # strict rp_filter on the tunnel: a source routed elsewhere is dropped after decap
    sh(lab, a, "ip addr add 192.168.5.1/32 dev lo")
    sh(lab, b, "ip route add 192.168.5.1/32 dev eth0")
    sh(lab, b, "sysctl -qw net.ipv4.conf.t1.rp_filter=1")
    rc, *_ = sh(lab, a, "ping -c 1 -W 1 -I 192.168.5.1 172.16.0.2", ok=False)
    assert rc == 1 and b.by_name["t1"].rx_packets == 2
    sh(lab, b, "sysctl -qw net.ipv4.conf.t1.rp_filter=2")
    rc, *_ = sh(lab, a, "ping -c 1 -W 1 -I 192.168.5.1 172.16.0.2", ok=False)
    assert rc == 0


def test_TNL_06_same_endpoints_twice_is_eexist():
    lab, a, b = pair()
    sh(lab, a, "ip link add t1 type ipip remote 10.0.0.2 local 10.0.0.1")
    assert sh(lab, a, "ip link add t2 type ipip remote 10.0.0.2 local 10.0.0.1", ok=False) == \
        (2, "", "RTNETLINK answers: File exists\n")
    assert sh(lab, a, "ip tunnel add t2 mode ipip remote 10.0.0.2 local 10.0.0.1", ok=False) == \
        (1, "", 'add tunnel "tunl0" failed: File exists\n')
    # a wildcard tunnel collides with tunl0 itself (§13 / VM golden)
    assert sh(lab, a, "ip tunnel add t3 mode ipip", ok=False)[2] == \
        'add tunnel "tunl0" failed: File exists\n'
    # a different link is a different tunnel
    sh(lab, a, "ip link add t4 type ipip remote 10.0.0.2 local 10.0.0.1 dev eth0")


def test_TNL_07_outer_ttl_inherits_or_is_fixed_and_fixed_ttl_forces_df():
    lab, a, b = pair()
    _tunnels(lab, a, b, b_opts="ttl 9")
    cap_a, cap_b = capture(a.by_name["eth0"]), capture(b.by_name["eth0"])
    sh(lab, a, "ping -c 1 -t 33 172.16.0.2")
    out_a = [f[1] for f in cap_a if f[0] == "out" and f[1][9] == 4]
    out_b = [f[1] for f in cap_b if f[0] == "out" and f[1][9] == 4]
    assert out_a[0][8] == 33 and out_a[0][28] == 33      # outer TTL = inner TTL
    assert out_b[0][8] == 9                              # fixed TTL
    assert a.by_name["t1"].fill_info()["ttl"] == 0
    t = b.by_name["t1"]
    assert t.parms.ttl == 9 and t.parms.pmtudisc
    # iproute2 refuses the combination before the kernel sees it
    assert sh(lab, a, "ip link set t1 type ipip ttl 5 nopmtudisc", ok=False) == \
        (255, "", "ttl != 0 and nopmtudisc are incompatible\n")


def test_TNL_08_tos_inherit_copies_the_inner_dscp_and_ecn_is_encapsulated():
    lab, a, b = pair()
    _tunnels(lab, a, b, a_opts="tos inherit")
    cap = capture(a.by_name["eth0"])
    icmp = b"\x08\x00\xf7\xff\x00\x00\x00\x00"
    a.ipv4.ip_send(0xAC100002, 1, icmp, tos=0xB8 | 3, ttl=20)   # EF + CE
    lab.run_for(1)
    outer = [f[1] for f in cap if f[0] == "out" and f[1][9] == 4][0]
    assert outer[1] == 0xB8 | 2                          # DSCP copied, CE -> ECT(0)
    sh(lab, a, "ip link set t1 type ipip tos 0x10")
    cap.clear()
    a.ipv4.ip_send(0xAC100002, 1, icmp, tos=0xB8 | 1, ttl=20)
    lab.run_for(1)
    outer = [f[1] for f in cap if f[0] == "out" and f[1][9] == 4][0]
    assert outer[1] == 0x10 | 1


def test_TNL_09_inner_df_bigger_than_route_mtu_minus_20_gets_frag_needed():
    lab, a, b = pair(mtu=1400)
    _tunnels(lab, a, b)
    assert a.by_name["t1"].mtu == 1380
    cap = capture(a.by_name["eth0"])
    assert sh(lab, a, "ping -c 1 -s 1352 -M do 172.16.0.2")[0] == 0      # 1380 bytes: fits
    outer = [f[1] for f in cap if f[0] == "out" and f[1][9] == 4][-1]
    assert struct.unpack_from("!H", outer, 6)[0] & 0x4000          # DF on the outer header
    # the tunnel is made bigger than the path: DF packets get frag needed (mtu 1380)
    sh(lab, a, "ip link set t1 mtu 1480")
    seen: list = []
    a.ipv4.raw_open(1, lambda ip, skb: seen.append(ip))
    rc, out, err = sh(lab, a, "ping -c 1 -s 1400 -M do 172.16.0.2", ok=False)
    assert rc == 1
    fn = [ip for ip in seen if ip[20] == 3 and ip[21] == 4]
    assert fn and struct.unpack_from("!H", fn[0], 26)[0] == 1380
    assert a.by_name["t1"].tx_errors >= 1
    # nopmtudisc and an inner packet without DF: the outer one has no DF and is fragmented
    sh(lab, a, "ip link set t1 type ipip nopmtudisc")
    cap.clear()
    sh(lab, a, "ping -c 1 -s 1400 -M dont 172.16.0.2")
    outs = [f[1] for f in cap if f[0] == "out" and f[1][9] == 4]
    assert len(outs) >= 2 and not struct.unpack_from("!H", outs[0], 6)[0] & 0x4000


def test_TNL_10_nbma_tunnel_sends_to_the_inner_routes_gateway():
    lab, a, b = pair()
    sh(lab, a, "ip tunnel add nb mode ipip local 10.0.0.1")
    sh(lab, a, "ip link set nb up")
    sh(lab, a, "ip addr add 172.16.9.1/32 dev nb")
    sh(lab, a, "ip route add 172.16.50.0/24 via 10.0.0.2 dev nb onlink")
    sh(lab, a, "ip route add 172.16.60.1/32 dev nb")
    cap = capture(a.by_name["eth0"])
    sh(lab, a, "ping -c 1 -W 1 172.16.50.7", ok=False)
    sh(lab, a, "ping -c 1 -W 1 10.0.0.2", ok=False)
    outs = [f[1] for f in cap if f[0] == "out" and f[1][9] == 4]
    assert outs and outs[0][16:20] == bytes([10, 0, 0, 2])
    assert outs[0][36:40] == bytes([172, 16, 50, 7])


def test_TNL_11_route_to_remote_through_the_tunnel_is_a_collision():
    lab, a, b = pair()
    sh(lab, a, "ip tunnel add lp mode ipip remote 198.51.100.1")
    sh(lab, a, "ip link set lp up")
    sh(lab, a, "ip addr add 172.16.7.1/32 dev lp")
    sh(lab, a, "ip route add 198.51.100.0/24 dev lp")
    sh(lab, a, "ping -c 1 -W 1 198.51.100.1", ok=False)
    t = a.by_name["lp"]
    assert t.collisions == 1 and t.tx_errors == 1 and t.tx_packets == 0
    sh(lab, a, "ip tunnel add nr mode ipip remote 203.0.113.1")
    sh(lab, a, "ip link set nr up")
    sh(lab, a, "ip route add 203.0.113.99/32 dev nr")
    sh(lab, a, "ping -c 1 -W 1 203.0.113.99", ok=False)
    t = a.by_name["nr"]
    assert t.tx_carrier_errors == 1 and t.tx_errors == 1


def test_TNL_icmp_error_arms_err_count_and_next_packets_get_host_unreachable():
    """ipip_err(): a port unreachable quoting our IPIP packet makes the tunnel report the next
    transmit's failure to the inner source (dst_link_failure), within 30 s."""
    lab, a, b = pair()
    sh(lab, a, "ip link add t1 type ipip remote 10.0.0.2 local 10.0.0.1")
    sh(lab, a, "ip addr add 172.16.0.1/30 dev t1")
    sh(lab, a, "ip link set t1 up")
    sh(lab, a, "ping -c 1 -W 1 172.16.0.2", ok=False)          # b: no tunnel -> port unreach
    assert a.by_name["t1"].err_count == 1
    rc, out, err = sh(lab, a, "ping -c 1 -W 1 172.16.0.2", ok=False)
    assert "Destination Host Unreachable" in out
    lab.run_for(31)
    sh(lab, a, "ping -c 1 -W 1 172.16.0.2", ok=False)
    assert a.by_name["t1"].err_count in (0, 1)


@pytest.mark.parametrize("name", ["tunl0"])
def test_TNL_01_fallback_changelink_is_einval(name):
    lab = Lab()
    a = lab.netns("a")
    sh(lab, a, f"ip link show {name}")
    rc, out, err = sh(lab, a, f"ip link set {name} type ipip tos 0x10", ok=False)
    assert (rc, err) == (2, "RTNETLINK answers: Invalid argument\n")


def test_TNL_07_forwarded_packet_outer_ttl_is_the_inner_ttl_after_the_decrement():
    """A router forwarding into the tunnel: the outer TTL is the inner one as it is at
    encapsulation, after ip_forward() decremented it (and the L3 device gets no link header)."""
    lab, a, b = pair()
    _tunnels(lab, a, b)
    c = lab.netns("c")
    sh(lab, a, "ip link add lan type veth peer name eth0 netns c")
    sh(lab, a, "ip addr add 192.168.1.1/24 dev lan")
    sh(lab, a, "ip link set lan up")
    sh(lab, c, "ip addr add 192.168.1.2/24 dev eth0")
    sh(lab, c, "ip link set eth0 up")
    sh(lab, c, "ip route add default via 192.168.1.1")
    sh(lab, a, "sysctl -qw net.ipv4.ip_forward=1")
    sh(lab, b, "ip route add 192.168.1.0/24 dev t1")
    lab.run_for(2)
    cap = capture(a.by_name["eth0"])
    sh(lab, c, "ping -c 2 -i 0.2 -t 20 172.16.0.2")
    outs = [f[1] for f in cap if f[0] == "out" and f[1][9] == 4]
    assert len(outs) == 2 and all(o[8] == 19 and o[28] == 19 for o in outs)
    assert a.by_name["t1"].tx_packets == 2 and b.by_name["t1"].rx_packets == 2
