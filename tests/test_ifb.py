"""IFB (vnetlab.devices.ifb) against kernel-spec §7 (IFB-01..06), with the host kernel as the
judge where it can show the behaviour.

The same command lines run on the emulator (``Emu``: ``vnetlab.commands.run`` per netns) and,
in throwaway netns with IPv6 disabled, on the host kernel (``host`` fixture); the comparisons
use ``ip -s -j link`` counters, ``tc -s -j`` statistics and ping's exit status. Expected values
in the emulator-only tests come from the spec text and ifb.c, never from the emulator itself.
"""

from __future__ import annotations

import json
import shlex

from ipv6_off import disable_ipv6
from vnetlab.api import Lab
from vnetlab.commands import run
from vnetlab.stack.skb import Skb


class Emu:
    def __init__(self):
        self.lab = Lab(seed=3)
        self.made = set()

    def ns(self, n: str) -> str:
        if n not in self.made:
            self.lab.netns(n)
            disable_ipv6(self.lab, n)      # as Host.ns does on the host kernel
            self.made.add(n)
        return n

    def run(self, cmd: str, ns: str):
        self.ns(ns)
        cmd = cmd.format(**{k: k for k in "abcx"})
        rc, out, err = run(self.lab, shlex.split(cmd), ns=ns)
        self.lab.engine.run_for(1_000_000)
        return rc, out, err


class Host:
    def __init__(self, host):
        self.host = host
        self.made = set()

    def ns(self, n: str) -> str:
        real = self.host.ns(n)
        if n not in self.made:
            self.made.add(n)
            self.host.run("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                          "net.ipv6.conf.default.disable_ipv6=1", ns=n)
        return real

    def run(self, cmd: str, ns: str):
        self.ns(ns)
        names = {k: self.ns(k) for k in "abx" if "{" + k + "}" in cmd}
        p = self.host.run(cmd.format(**names), ns=ns, check=False)
        return p.returncode, p.stdout, p.stderr


def stats(r, dev: str, ns: str) -> dict:
    rc, out, err = r.run(f"ip -s -j link show {dev}", ns)
    assert rc == 0, err
    s = json.loads(out)[0]["stats64"]
    return {"rx_packets": s["rx"]["packets"], "rx_bytes": s["rx"]["bytes"],
            "rx_dropped": s["rx"]["dropped"], "tx_packets": s["tx"]["packets"],
            "tx_bytes": s["tx"]["bytes"], "tx_dropped": s["tx"]["dropped"]}


def qstats(r, dev: str, ns: str) -> list:
    rc, out, err = r.run(f"tc -s -j qdisc show dev {dev}", ns)
    assert rc == 0, err
    return [(q["kind"], q["packets"], q["bytes"], q["drops"]) for q in json.loads(out)]


def pair(r) -> None:
    """a:eth0 10.0.0.1 <-> b:eth0 10.0.0.2, and ifb0 in a (up)."""
    r.ns("a")
    r.ns("b")
    for cmd, ns in (("ip link add eth0 type veth peer name eth0 netns {b}", "a"),
                    ("ip link add ifb0 type ifb", "a"),
                    ("ip addr add 10.0.0.1/24 dev eth0", "a"),
                    ("ip addr add 10.0.0.2/24 dev eth0", "b"),
                    ("ip link set lo up", "a"), ("ip link set lo up", "b"),
                    ("ip link set eth0 up", "a"), ("ip link set eth0 up", "b"),
                    ("ip link set ifb0 up", "a")):
        rc, out, err = r.run(cmd, ns)
        assert rc == 0, (cmd, err)


def ping(r, ns: str, dst: str, n: int = 3) -> int:
    return r.run(f"ping -c {n} -i 0.2 -W 1 -q {dst}", ns)[0]


# -- IFB-01 ----------------------------------------------------------------------------------

def test_IFB_01_module_load_makes_ifb0_ifb1_in_init_netns_only():
    lab = Lab()
    rc, out, err = run(lab, ["ip", "link", "add", "ifb0", "type", "ifb"])
    # loading ifb (rtnl-link-ifb) made ifb0 and ifb1 first: the name is taken
    assert (rc, err) == (2, "RTNETLINK answers: File exists\n")
    names = [d.name for d in lab.kernel.init_ns.devices]
    assert names == ["lo", "ifb0", "ifb1"]
    assert all(not d.up for d in lab.kernel.init_ns.devices)
    lab.netns("n")
    assert [d.name for d in lab.kernel.named["n"].devices] == ["lo"]
    rc, out, err = run(lab, ["ip", "-n", "n", "link", "add", "ifb0", "type", "ifb"])
    assert rc == 0
    rc, out, err = run(lab, ["ip", "link", "add", "type", "ifb"])
    assert rc == 0 and lab.kernel.init_ns.get("ifb2") is not None


def test_IFB_01_a_new_netns_has_no_ifb_on_the_host_either(host):
    h = Host(host)
    rc, out, err = h.run("ip -o link show type ifb", "a")
    assert (rc, out) == (0, "")


# -- IFB-02 ----------------------------------------------------------------------------------

_SHAPE = ["ip link add ifb0 type ifb", "ip link set ifb0 mtu 9000", "ip link set ifb0 mtu 60",
          "ip link set ifb0 mtu 70000", "ip link add ifb1 address 01:00:5e:00:00:01 type ifb",
          "ip link add ifb2 txqueuelen 5 type ifb"]


def _shape(r) -> list:
    res = [r.run(c, "a")[:3:2] for c in _SHAPE]
    rc, out, err = r.run("ip -d -j link show ifb0", "a")
    d = json.loads(out)[0]
    facts = {k: d[k] for k in ("flags", "mtu", "txqlen", "min_mtu", "max_mtu", "link_type")}
    facts["kind"] = d["linkinfo"]["info_kind"]
    rc, out, err = r.run("ip -j link show ifb2", "a")
    facts["ifb2_qlen"] = json.loads(out)[0]["txqlen"]
    return [res, facts]


def test_IFB_02_device_shape_spec():
    facts = _shape(Emu())[1]
    assert facts["flags"] == ["BROADCAST", "NOARP"]
    assert facts["txqlen"] == 32 and facts["ifb2_qlen"] == 5
    assert (facts["min_mtu"], facts["max_mtu"]) == (0, 0)
    assert facts["mtu"] == 70000            # no MTU range check
    assert facts["link_type"] == "ether" and facts["kind"] == "ifb"


def test_IFB_02_device_shape_matches_host_kernel(host):
    assert _shape(Emu()) == _shape(Host(host))


# -- IFB-03 ----------------------------------------------------------------------------------

def _mirror(r) -> list:
    pair(r)
    r.run("tc qdisc add dev eth0 handle ffff: ingress", "a")
    r.run("tc filter add dev eth0 parent ffff: protocol ip u32 match ip src 10.0.0.2/32 "
          "action mirred egress mirror dev ifb0", "a")
    rc = ping(r, "a", "10.0.0.2")
    return [rc, stats(r, "ifb0", "a"), qstats(r, "ifb0", "a")]


def test_IFB_03_mirrored_frames_are_counted_then_dropped():
    rc, st, q = _mirror(Emu())
    assert rc == 0                                  # mirror: the original goes on
    # ifb_xmit counts every frame in rx, drops the ones that are not redirected
    assert st["rx_packets"] == 3 and st["rx_dropped"] == 3 and st["rx_bytes"] == 3 * 98
    assert st["tx_packets"] == 0
    assert q == [("pfifo_fast", 3, 3 * 98, 0)]


def test_IFB_03_mirror_matches_host_kernel(host):
    """[VERIFY] item 5 of kernel-spec §12: settled - mirrored frames are dropped by ifb."""
    assert _mirror(Emu()) == _mirror(Host(host))


def _local(r) -> list:
    pair(r)
    r.run("ip addr add 10.9.9.1/24 dev ifb0", "a")
    r.run("ip neigh add 10.9.9.2 lladdr 02:00:00:00:00:09 dev ifb0", "a")
    rc = ping(r, "a", "10.9.9.2", 2)
    return [rc, stats(r, "ifb0", "a")]


def test_IFB_03_locally_routed_traffic_is_dropped():
    rc, st = _local(Emu())
    assert rc == 1
    assert st["rx_packets"] == 2 and st["rx_dropped"] == 2 and st["tx_packets"] == 0


def test_IFB_03_locally_routed_matches_host_kernel(host):
    assert _local(Emu()) == _local(Host(host))


# -- IFB-04 / IFB-06 ---------------------------------------------------------------------------

def _ingress_redirect(r) -> list:
    pair(r)
    r.run("tc qdisc add dev eth0 handle ffff: ingress", "a")
    r.run("tc filter add dev eth0 parent ffff: protocol ip u32 match u32 0 0 "
          "action mirred egress redirect dev ifb0", "a")
    rc = ping(r, "a", "10.0.0.2")
    return [rc, stats(r, "ifb0", "a"), stats(r, "eth0", "a"), qstats(r, "ifb0", "a"),
            qstats(r, "eth0", "a")]


def test_IFB_04_ingress_redirect_returns_to_the_device():
    rc, ifb, eth, qi, qe = _ingress_redirect(Emu())
    assert rc == 0                                   # the replies came back up eth0
    assert ifb["rx_packets"] == 3 and ifb["tx_packets"] == 3 and ifb["rx_dropped"] == 0
    assert ifb["rx_bytes"] == ifb["tx_bytes"] == 3 * 98
    assert eth["rx_packets"] == 4                    # ARP reply + 3 echo replies, counted once
    # the ingress qdisc counts every frame once a filter exists (ARP reply included: the
    # accounting is before classification), in bytes without the Ethernet header
    assert ("ingress", 4, 28 + 3 * 84, 0) in qe


def test_IFB_04_ingress_redirect_matches_host_kernel(host):
    assert _ingress_redirect(Emu()) == _ingress_redirect(Host(host))


def _egress_redirect(r) -> list:
    pair(r)
    r.run("tc qdisc add dev eth0 clsact", "a")
    r.run("tc filter add dev eth0 egress protocol ip u32 match ip dst 10.0.0.2/32 "
          "action mirred egress redirect dev ifb0", "a")
    rc = ping(r, "a", "10.0.0.2")
    return [rc, stats(r, "ifb0", "a"), stats(r, "eth0", "a"), stats(r, "eth0", "b"),
            qstats(r, "eth0", "a")]


def test_IFB_04_egress_redirect_goes_out_of_the_device():
    rc, ifb, eth, peer, q = _egress_redirect(Emu())
    assert rc == 0
    assert ifb["rx_packets"] == ifb["tx_packets"] == 3
    assert eth["tx_packets"] == 4                    # ARP request + 3 requests, once each
    assert peer["rx_packets"] == 4


def test_IFB_04_egress_redirect_matches_host_kernel(host):
    assert _egress_redirect(Emu()) == _egress_redirect(Host(host))


def test_IFB_04_original_device_gone_counts_tx_dropped():
    e = Emu()
    pair(e)
    ns = e.lab.kernel.named["a"]
    ifb = ns.get("ifb0")
    skb = Skb(b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + bytes(20), ifb)
    skb.redirected = True
    skb.iif = 77                                     # no such ifindex in the ifb's netns
    ifb.ndo_start_xmit(skb)
    e.lab.engine.run_for(1_000_000)
    assert (ifb.rx_packets, ifb.tx_packets, ifb.tx_dropped) == (1, 1, 1)


def test_IFB_04_returned_frames_skip_tc_and_taps_once():
    """tc_skip_classify: the ingress filter would redirect again (a loop); the taps on eth0
    see each reply once."""
    e = Emu()
    pair(e)
    e.run("tc qdisc add dev eth0 handle ffff: ingress", "a")
    e.run("tc filter add dev eth0 parent ffff: protocol ip u32 match u32 0 0 "
          "action mirred egress redirect dev ifb0", "a")
    eth0 = e.lab.kernel.named["a"].get("eth0")
    seen = []
    eth0.ptype_all.append(lambda skb, dev, out: seen.append(out))
    assert ping(e, "a", "10.0.0.2") == 0
    assert seen.count(False) == 4                    # ARP reply + 3 echo replies


# -- IFB-05 ----------------------------------------------------------------------------------

def _down(r) -> list:
    pair(r)
    r.run("ip link set ifb0 down", "a")
    r.run("tc qdisc add dev eth0 handle ffff: ingress", "a")
    r.run("tc filter add dev eth0 parent ffff: protocol ip u32 match u32 0 0 "
          "action mirred egress redirect dev ifb0", "a")
    rc = ping(r, "a", "10.0.0.2", 2)
    rc2, out, err = r.run("tc -s -j filter show dev eth0 parent ffff:", "a")
    node = json.loads(out)[2]["options"]["actions"][0]["stats"]
    return [rc, stats(r, "ifb0", "a")["rx_packets"], node["packets"], node["overlimits"],
            qstats(r, "eth0", "a")]


def test_IFB_05_redirect_to_a_down_ifb_drops():
    rc, rx, pk, over, q = _down(Emu())
    assert rc == 1 and rx == 0
    assert pk == over == 2                            # tcf_mirred_to_dev: "device is down"
    assert ("ingress", 3, 28 + 2 * 84, 2) in q        # ARP passes; SHOT counts a drop


def test_IFB_05_down_target_matches_host_kernel(host):
    assert _down(Emu()) == _down(Host(host))


def test_IFB_05_shaping_idiom_tbf_on_ifb_limits_ingress():
    """ingress + u32 + mirred redirect + tbf on ifb0: the replies arriving on eth0 are
    shaped; a fast flood gets only the tbf's share through."""
    e = Emu()
    pair(e)
    e.run("tc qdisc add dev eth0 handle ffff: ingress", "a")
    e.run("tc filter add dev eth0 parent ffff: protocol ip u32 match ip protocol 1 0xff "
          "action mirred egress redirect dev ifb0", "a")
    e.run("tc qdisc add dev ifb0 root handle 1: tbf rate 100kbit burst 2k latency 50ms", "a")
    e.run("ping -c 100 -i 0.002 -s 1000 -q 10.0.0.2", "a")
    q = qstats(e, "ifb0", "a")[0]
    # 0.2 s of flood + the latency: at most burst + rate * (0.2 + 0.05 + 2 rtt) bytes
    assert q[0] == "tbf" and q[3] > 50
    assert q[2] <= 2048 + 12500 * 0.3 + 1042


def test_IFB_06_counters_rx_at_xmit_tx_at_return():
    e = Emu()
    pair(e)
    ns = e.lab.kernel.named["a"]
    ifb = ns.get("ifb0")
    eth0 = ns.get("eth0")
    skb = Skb(eth0.addr + b"\x02" * 6 + b"\x08\x00" + bytes(46), ifb)
    skb.redirected = True
    skb.from_ingress = True
    skb.iif = eth0.ifindex
    ifb.ndo_start_xmit(skb)
    assert (ifb.rx_packets, ifb.tx_packets) == (1, 0)     # the tasklet has not run yet
    e.lab.engine.run_for(1_000_000)
    assert (ifb.rx_packets, ifb.tx_packets, ifb.rx_bytes, ifb.tx_bytes) == (1, 1, 60, 60)
