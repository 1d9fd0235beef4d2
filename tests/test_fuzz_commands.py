"""Fuzzing every command parser of the emulator with random argv (hypothesis).

Issue acceptance: random argv built from each tool's own keywords, option names, device names,
numbers, addresses and junk strings must never end in a Python traceback: ``commands.run``
always returns (status, stdout, stderr); a non-zero status comes with an error text on stderr
(except where the real tool exits non-zero silently, listed per tool in ``SILENT_FAILURES``);
and the lab stays consistent (device maps, addresses, routes, veth peers, bridge ports).

One hypothesis example is a batch of command lines run in order on a freshly built lab (a few
netns, veths, a bridge, addresses, routes, aliases), so a command meets the state earlier ones
left behind. Every command line counts as one case; the suite runs ``CASES_PER_TOOL`` cases
for each registered command (>= 100,000 in all), derandomized so CI is reproducible.
``VNETLAB_FUZZ_SCALE`` multiplies the number of examples (0.1 for a quick local run).

Safety: file names the tools would open are confined to a temporary directory (``-w``, ``-r``,
``-batch``, ``-p``); commands that would run for ever in virtual time (``ping`` without ``-c``,
the real tool's behaviour too) are stopped by a guard on the engine and count as "long-running".
"""

from __future__ import annotations

import builtins
import contextlib
import os
import shutil
import shlex
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vnetlab.api import Lab
from vnetlab.commands import COMMANDS, load_all, run

load_all()

SCALE = float(os.environ.get("VNETLAB_FUZZ_SCALE", "1"))
BATCH = 20                                   # command lines per hypothesis example
# command lines per tool (ping runs in virtual time and costs the most): >= 100,000 in all
CASES_PER_TOOL = {"ping": 8_000}
DEFAULT_CASES = 16_000


def fuzz_settings(tool: str):
    cases = CASES_PER_TOOL.get(tool, DEFAULT_CASES)
    return settings(max_examples=max(1, int(cases / BATCH * SCALE)), derandomize=True,
                    database=None, deadline=None, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])
CASES_RUN: dict[str, int] = {}
LONG_RUNNING: dict[str, int] = {}

# =============================================================================================
# the prepared lab
# =============================================================================================

NETNS = ("", "a", "b")                        # "" is the initial netns


def make_lab() -> Lab:
    """init: br0 (10.0.0.254/24) with ports veth0, veth1; a: eth0 10.0.0.1/24 (peer veth0),
    v0/v1 pair with 192.168.1.1/24 and the alias v0:1 172.16.0.1/16, default via 10.0.0.254;
    b: eth0 10.0.0.2/24 (peer veth1), a route to 192.168.1.0/24 via 10.0.0.1; lo up."""
    lab = Lab()
    a, b = lab.netns("a"), lab.netns("b")
    for ns in (None, a, b):
        lab.set_link("lo", ns=ns, up=True)
    lab.add_bridge("br0", up=True)
    lab.add_veth("veth0", "eth0", peer_ns=a)
    lab.add_veth("veth1", "eth0", peer_ns=b)
    lab.add_veth("v0", "v1", ns=a)
    for d in ("veth0", "veth1"):
        lab.set_link(d, master="br0", up=True)
    lab.set_link("eth0", ns=a, up=True)
    lab.set_link("eth0", ns=b, up=True)
    lab.set_link("v0", ns=a, up=True)
    lab.set_link("v1", ns=a, up=True)
    lab.add_addr("br0", "10.0.0.254/24")
    lab.add_addr("eth0", "10.0.0.1/24", ns=a, broadcast="+")
    lab.add_addr("eth0", "10.0.0.2/24", ns=b, broadcast="+")
    lab.add_addr("v0", "192.168.1.1/24", ns=a, broadcast="+")
    lab.add_addr("v0", "172.16.0.1/16", ns=a, label="v0:1")
    lab.add_route("default", ns=a, via="10.0.0.254")
    lab.add_route("192.168.1.0/24", ns=b, via="10.0.0.1")
    lab.run_for(1.5)
    return lab


# =============================================================================================
# vocabularies: each tool's words, plus the shared devices / numbers / addresses / junk
# =============================================================================================

DEVICES = ["lo", "eth0", "veth0", "veth1", "br0", "v0", "v1", "v0:1", "v0:2", "eth0:0",
           "eth0:3-", "nosuch", "tunl0", "gre0", "dummy0", "if2", "if99", "aaaaaaaaaaaaaaa",
           "aaaaaaaaaaaaaaaa", "v0.5", "br0:1", "lo:9", "eth0:300", "x/y", "a b"]
NUMBERS = ["0", "1", "-1", "2", "7", "32", "33", "64", "68", "128", "255", "256", "1280",
           "1500", "9000", "65535", "65536", "2147483647", "2147483648", "-2147483649",
           "4294967295", "4294967296", "18446744073709551615", "18446744073709551616",
           "0x10", "0x", "010", "08", "1e3", "1.5", "-0", "+5", "nan", "inf", "-inf", " 1",
           "1 ", "", "00000000000000000000001"]
ADDRESSES = ["10.0.0.1", "10.0.0.2", "10.0.0.254", "10.0.0.0", "10.0.0.255", "192.168.1.1",
             "192.168.1.2", "172.16.0.1", "10.0.0.0/24", "10.0.0.1/24", "192.168.1.0/24",
             "10.0.0.0/8", "0.0.0.0", "0.0.0.0/0", "255.255.255.255", "224.0.0.1",
             "239.1.1.1", "240.0.0.1", "127.0.0.1", "127.0.0.0/8", "1.2.3", "1.2.3.4.5",
             "256.1.1.1", "10.0.0.1/33", "10.0.0.1/-1", "10.0.0.1/x", "10.0.0.1/255.255.255.0",
             "::1", "fe80::1", "2001:db8::1/64", "::", "default", "any", "all", "localhost",
             "loopback", "link-local", "0x7f.1", "1", "10.300", "200.168.10.10",
             "200.168.10.0/24", "169.254.0.0/16"]
MACS = ["02:00:00:00:00:01", "02:11:22:33:44:55", "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00",
        "01:00:5e:00:00:01", "2", "zz:11", "02:00:00:00:00:01:02", "02-00-00-00-00-01", "0:1:2"]
NETNS_NAMES = ["a", "b", "c", "nosuch", "x/y", ""]
# argv is bytes: what is not UTF-8 reaches the emulator as lone surrogates (surrogateescape)
JUNK_ALPHABET = st.one_of(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                          st.sampled_from(["\udcff", "\udc80", "\udcc3", "\xa0", "\xff"]))

TOOL_WORDS: dict[str, list[str]] = {
    "ip": """-4 -6 -0 -s -s -d -j -p -o -br -brief -n -netns -N -r -a -all -c -color -t -ts
        -h -human -V -f -family inet inet6 link mpls bridge -b -batch -force -l -loops
        -rc -rcvbuf --json -details -stats -json -pretty -oneline -iec -M -B -x -
        link address addr a route r neigh neighbour n netns rule tunnel tuntap maddress
        monitor help l li ro ne addrlabel ntable nexthop vrf xfrm
        add del delete change chg replace set show list lst ls flush get exec identify pids
        monitor save restore showdump help prepend append test
        dev name type peer up down mtu address broadcast brd txqueuelen txqlen qlen master
        nomaster netns alias arp multicast allmulti promisc dynamic trailers carrier on off
        group index numtxqueues numrxqueues gso_max_size gso_max_segs protodown vf
        link-netns link-netnsid netnsid addrgenmode mode state operstate
        veth bridge macvlan macvtap ipvlan vlan vxlan dummy ifb tun tap ipip gre sit
        private vepa passthru source l2 l3 l3s bridge_slave stp_state forward_delay
        hello_time max_age ageing_time priority vlan_filtering id dstport vni remote local
        learning nolearning ttl tos
        label scope global site link host nowhere secondary primary temporary permanent
        dynamic tentative deprecated dadfailed noprefixroute nodad home mngtmpaddr
        autojoin valid_lft preferred_lft forever metric peer to
        via src table main local default all proto kernel boot static redirect onlink
        pervasive unicast blackhole unreachable prohibit throw nat anycast multicast
        cache cloned fibmatch iif oif mark uid from tos dsfield realm realms nexthop
        weight encap expires pref rtt rttvar window cwnd initcwnd initrwnd advmss
        hoplimit reordering features quickack congctl fastopen_no_cookie ssthresh lock
        lladdr nud permanent reachable stale noarp none incomplete delay probe failed
        router proxy extern_learn managed use nomaster
        pref lookup prio priority fwmark goto iif oif suppress_prefixlength""".split(),
    "ifconfig": """-a -s -v -V -h -? --help -version --version -q
        up down arp -arp trailers -trailers promisc -promisc multicast -multicast allmulti
        -allmulti dynamic -dynamic media port auto 10baseT 10base2 utp aui mtu keepalive
        outfill broadcast -broadcast dstaddr netmask txqueuelen name mem_start io_addr irq
        pointopoint -pointopoint pointtopoint -pointtopoint hw ether loop tunnel ax25 rose
        netrom x25 eui64 arcnet fddi hippi ash ppp sit add del inet inet6 unix unspec ipx
        ddp ec a,b""".split(),
    "route": """-n -N -e -ee -eee -v -F -C -FC -A -4 -6 -h -V -? -x --numeric --symbolic
        --extend --verbose --version --cache --fib --help --protocol --protocol=inet
        --protocol=inet6 --inet --inet6 --ip --ax25 --tcpip --bluetooth --ver --i --
        inet inet6 ax25 x25 ipx ddp netrom rose unix ec ash inet,inet6 bluetooth
        add del delete flush -net -host #net #host netmask gw gateway metric mss mtu window
        irtt reject mod dyn reinstate dev device default""".split(),
    "ping": """-c -i -w -W -s -t -I -q -n -f -b -4 -6 -v -V -h -a -A -B -C -D -d -e -L -l
        -m -M -O -p -Q -R -r -S -T -U do dont want tsonly tsandaddr -c1 -c2 -w1 -W1 -i0.2
        -fc3 -qc1""".split(),
    "sysctl": """-a -A -X -n -N -e -w -q -p -f -b -r -o -x -d -h -V --all --values --names
        --write --quiet --load --load= --system --binary --ignore --pattern --help
        --version --deprecated --dry-run net.ipv4.ip_forward net.ipv4.ip_forward=1
        net.ipv4.conf.all.rp_filter net.ipv4.conf.all.rp_filter=2
        net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.default.arp_announce=2
        net.ipv4.conf.lo.forwarding net.ipv4.conf.veth0.proxy_arp=1
        net.ipv4.neigh.default.gc_stale_time net.ipv4.neigh.eth0.base_reachable_time_ms=5
        net/ipv4/conf/all/arp_ignore net.ipv4.conf.all.mc_forwarding=1 net.ipv4
        net.ipv4.conf net.ipv6.conf.all.disable_ipv6=1 net.core.somaxconn kernel.hostname
        net.ipv4.icmp_echo_ignore_all=1 net.ipv4.conf.nosuch.rp_filter net.ipv4.tcp_foo=
        =1 net..ipv4 net.ipv4.ip_forward=abc net.ipv4.ip_forward=99999999999""".split(),
    "bridge": """-s -d -j -p -c -n -netns -o -b -batch -force -h -V -t -ts -compressedvlans
        link fdb mdb vlan monitor help show list add del delete replace set append flush
        dev master self port vid pvid untagged tagged state cost priority guard hairpin
        fastleave root_block learning learning_sync flood mcast_flood bcast_flood
        mcast_to_unicast neigh_suppress vlan_tunnel isolated backup_port nobackup_port
        locked mab on off permanent static dynamic local router use extern_learn sticky
        dst src_vni vni via all disabled listening forwarding blocking 0 1 2 3 4""".split(),
    "tcpdump": """-i -c -n -nn -e -l -q -t -tt -ttt -tttt -v -vv -x -xx -X -XX -w -r -p -Q in
        out inout -s -S -D -L -U -# -A -B -C -F -G -W -y -Z --immediate-mode --count
        --number --print --version --micro --nano --interface --snapshot-length
        --time-stamp-precision=micro --direction=in -h --help any
        host net port src dst ip arp rarp icmp tcp udp and or not && || ! ( ) ether
        broadcast multicast proto gateway less greater vlan pcapfile out.pcap""".split(),
}
GENERIC_WORDS = """-h --help -V --version -n -v -a -c -s -i -t -f -w -r add del show list set
    get flush help dev up down on off yes no""".split()
PREFIXES = {
    "ip": [[], ["link"], ["link", "add"], ["link", "set"], ["link", "show"], ["link", "del"],
           ["addr"], ["addr", "add"], ["addr", "del"], ["addr", "flush"], ["route"],
           ["route", "add"], ["route", "del"], ["route", "get"], ["route", "replace"],
           ["neigh"], ["neigh", "add"], ["neigh", "replace"], ["neigh", "flush"],
           ["netns"], ["netns", "add"], ["netns", "del"], ["netns", "exec"], ["-j", "link"],
           ["-d", "link", "show"], ["-s", "-s", "link"], ["-br", "addr"], ["-n", "a"],
           ["link", "add", "type", "veth", "peer", "name"], ["link", "add", "link", "eth0"],
           ["route", "add", "default", "via"], ["-o", "route", "show", "table"],
           ["link", "set", "dev", "v1"], ["link", "set", "v0", "name"], ["link", "add", "name"],
           ["addr", "add", "10.9.9.9/24", "dev"], ["addr", "add", "dev", "eth0"],
           ["addr", "change", "10.0.0.1/24", "dev", "eth0"], ["route", "add", "10.9.0.0/16", "dev"],
           ["route", "add", "10.9.0.0/16", "via", "10.0.0.2"],
           ["neigh", "add", "10.0.0.9", "lladdr"],
           ["link", "add", "mv0", "link", "eth0", "type", "macvlan", "mode"],
           ["link", "add", "br1", "type", "bridge"], ["link", "set", "veth0", "master"],
           ["link", "set", "eth0", "netns"], ["link", "add", "v5", "type", "veth", "peer", "name",
                                               "v6", "netns"], ["-n", "a", "addr", "add"],
           ["-batch", "batchfile"], ["-force", "-batch", "batchfile"], ["rule"],
           ["addr", "add", "10.0.0.7/24", "dev", "eth0", "label"], ["route", "flush"],
           ["link", "set", "v0", "down"], ["link", "del", "dev"], ["netns", "exec", "a", "ip"]],
    "ifconfig": [[], ["-a"], ["-s"], ["eth0"], ["v0"], ["v0:1"], ["eth0", "10.0.0.9"],
                 ["v0:5"], ["br0"], ["lo"], ["v0", "netmask"], ["v0", "hw", "ether"],
                 ["eth0", "add"], ["nosuch"], ["v1", "inet6"], ["v1", "10.0.0.9", "netmask"],
                 ["eth0", "mtu"], ["v0:3", "add"], ["br0", "name"], ["v1", "up"], ["v0", "del"],
                 ["eth0", "pointopoint"], ["lo", "txqueuelen"], ["v0:1", "down"],
                 ["eth0:7", "10.0.0.77"], ["v1", "broadcast"], ["veth0", "promisc"]],
    "route": [[], ["-n"], ["add"], ["add", "-net"], ["add", "-host"], ["del"],
              ["del", "-net"], ["add", "default", "gw"], ["-6"], ["-A"], ["-ne"],
              ["add", "-net", "10.9.0.0", "netmask"],
              ["add", "-net", "10.9.0.0", "netmask", "255.255.0.0", "gw"],
              ["add", "-host", "10.0.0.77", "dev"], ["del", "-host"],
              ["add", "-net", "10.0.0.0/8", "reject"], ["-A", "inet6", "add"],
              ["add", "default", "gw", "10.0.0.254", "metric"], ["-n", "-ee"],
              ["add", "-net", "192.168.9.0/24", "dev", "eth0"]],
    "ping": [["-c", "1"], ["-c", "2", "-i", "0.2"], ["-c1", "-W1"], [], ["-q", "-c", "1"],
             ["-c", "1", "-I"], ["-f", "-c", "3"], ["-w", "2"], ["-c", "1", "10.0.0.2"],
             ["-c", "1", "-I", "eth0", "10.0.0.2"], ["-c", "2", "-s"],
             ["-c", "1", "-t", "1", "192.168.1.1"]],
    "sysctl": [[], ["-w"], ["-n"], ["-a"], ["-q", "-w"], ["-e"], ["-p"],
               ["-w", "net.ipv4.conf.all.arp_ignore="], ["net.ipv4.conf.eth0.rp_filter"],
               ["-p", "sysctl.conf"], ["-w", "net.ipv4.ip_forward="]],
    "bridge": [[], ["link"], ["link", "set", "dev"], ["fdb"], ["fdb", "add"], ["fdb", "del"],
               ["vlan"], ["vlan", "add", "dev"], ["mdb"], ["-j", "fdb", "show"], ["-d", "link"],
               ["link", "set", "dev", "veth0"], ["fdb", "add", "02:00:00:00:00:09", "dev", "veth0"],
               ["vlan", "add", "vid"], ["fdb", "show", "br"],
               ["mdb", "add", "dev", "br0", "port", "veth0", "grp"], ["-batch", "batchfile"]],
    "tcpdump": [["-c", "1"], ["-i", "eth0", "-c", "2"], ["-n", "-c", "1"], ["-r"], ["-w"],
                ["-D"], [], ["-c", "1", "-i"], ["-nn", "-e", "-c", "3", "-i", "any"],
                ["-c", "1", "-i", "eth0", "host"], ["-r", "pcapfile"],
                ["-r", "pcapfile", "-n", "-e"], ["-w", "out.pcap", "-c", "1"],
                ["-nn", "-r", "pcapfile", "port"]],
}

# the netns each tool's commands run in; the lab's files live in the temporary directory
FILES = ["pcapfile", "batchfile", "nofile", "-", "out.pcap", "sysctl.conf"]


# the options / keywords of each tool that take a value: (word, value) pairs are drawn often
VALUE_WORDS = {
    "ip": """dev name mtu address broadcast brd txqueuelen master netns alias type peer via src
        metric table proto scope label lladdr nud mode id vni dstport group index ttl tos
        weight realm mark to from preference priority valid_lft preferred_lft -n -netns -b
        -batch -family -loops -rcvbuf numtxqueues numrxqueues gso_max_size addrgenmode
        link local remote expires advmss rtt window hoplimit congctl""".split(),
    "ifconfig": """mtu netmask broadcast dstaddr txqueuelen name mem_start io_addr irq media
        keepalive outfill add del tunnel pointopoint hw ether inet inet6""".split(),
    "route": """netmask gw gateway metric mss mtu window irtt dev device -A --protocol -net
        -host add del""".split(),
    "ping": "-c -i -w -W -s -t -I -M -p -l -m -Q -S -T -e -F -N".split(),
    "sysctl": "-p -w -r --pattern --load -n -e -q".split(),
    "bridge": """dev master vid cost priority state port grp dst vni via src_vni -n -netns
        -batch hairpin learning flood guard""".split(),
    "tcpdump": """-c -i -s -r -w -Q -B -C -G -W -y -T -E -F -M -j -Z -z -V
        --time-stamp-precision host port net proto ether src dst""".split(),
}
TARGETS = {"ping": ADDRESSES, "route": [], "ifconfig": []}


def words(tool: str):
    vocab = TOOL_WORDS.get(tool, GENERIC_WORDS)
    junk = st.text(JUNK_ALPHABET, max_size=12)
    value = st.one_of(st.sampled_from(NUMBERS), st.sampled_from(ADDRESSES),
                      st.sampled_from(DEVICES), st.sampled_from(MACS),
                      st.sampled_from(NETNS_NAMES), st.sampled_from(FILES), junk)
    single = st.one_of(
        st.sampled_from(vocab), st.sampled_from(vocab),
        st.sampled_from(DEVICES), st.sampled_from(NUMBERS), st.sampled_from(ADDRESSES),
        st.sampled_from(MACS), st.sampled_from(NETNS_NAMES), st.sampled_from(FILES), junk,
        # glued forms: -c3, 10.0.0.1/24 built from parts
        st.builds(lambda a, b: a + b, st.sampled_from(vocab), st.sampled_from(NUMBERS)),
        st.builds(lambda a, b: f"{a}/{b}", st.sampled_from(ADDRESSES), st.sampled_from(NUMBERS)),
    ).map(lambda w: [w])
    pair = st.builds(lambda k, v: [k, v],
                     st.sampled_from(VALUE_WORDS.get(tool, GENERIC_WORDS)), value)
    return st.one_of(single, pair, pair)


def _seq(*parts):
    """A strategy for the concatenation of strategies of lists."""
    return st.tuples(*parts).map(lambda t: [w for part in t for w in part])


def _one(xs):
    return st.sampled_from(xs).map(lambda w: [w])


def _kv(keys, values):
    return st.lists(st.tuples(st.sampled_from(keys), st.sampled_from(values))
                    .map(list), max_size=4).map(lambda kvs: [w for kv in kvs for w in kv])


REACHABLE = ["10.0.0.1", "10.0.0.2", "10.0.0.254", "192.168.1.1", "127.0.0.1", "172.16.0.1",
             "10.0.0.255", "192.168.1.2", "10.0.0.3"]
VALUES = NUMBERS + ADDRESSES + DEVICES + ["up", "down", "on", "off"]


def structured(tool: str):
    """Mostly well-formed command lines whose values come from the edge-case pools."""
    nums, addrs, devs = NUMBERS, ADDRESSES, DEVICES
    if tool == "ping":
        flags = st.lists(st.sampled_from("-q -n -b -f -v -4 -O -D -A -R -U".split()), max_size=2)
        return _seq(st.just(["-c"]), _one(["1", "2", "3"] + nums), flags,
                    _kv("-i -w -W -s -t -I -l -M -p".split(), nums + devs + ["do", "want"]),
                    _one(REACHABLE + addrs))
    if tool == "ifconfig":
        kws = ["mtu", "netmask", "broadcast", "dstaddr", "txqueuelen", "name", "pointopoint",
               "add", "del", "media", "irq", "keepalive", "tunnel"]
        flags = ["up", "down", "arp", "-arp", "promisc", "-promisc", "allmulti", "multicast",
                 "-broadcast", "-pointopoint", "dynamic", "trailers"]
        return _seq(_one(devs), st.lists(st.one_of(_one(addrs), _one(flags),
                                                   st.tuples(st.sampled_from(kws),
                                                             st.sampled_from(nums + addrs + devs))
                                                   .map(list),
                                                   st.tuples(st.just("hw"),
                                                             st.sampled_from(["ether", "loop",
                                                                              "ax25", "tunnel"]),
                                                             st.sampled_from(MACS)).map(list)),
                                         max_size=4).map(lambda u: [w for x in u for w in x]))
    if tool == "route":
        return _seq(st.lists(st.sampled_from(["-n", "-e", "-v", "-4", "-6", "-C"]), max_size=1),
                    _one(["add", "del"]), _one(["-net", "-host", "-net", "-host"]), _one(addrs),
                    _kv("netmask gw metric mss window irtt dev".split(), nums + addrs + devs),
                    st.lists(st.sampled_from(["reject", "mod", "dyn", "reinstate"]), max_size=1))
    if tool == "sysctl":
        keys = [w.split("=")[0] for w in TOOL_WORDS["sysctl"] if w.startswith("net")]
        return _seq(st.lists(st.sampled_from(["-w", "-q", "-n", "-e", "-b", "-N"]), max_size=2),
                    st.lists(st.builds(lambda k, v: f"{k}={v}", st.sampled_from(keys),
                                       st.sampled_from(nums)), min_size=1, max_size=3))
    if tool == "ip":
        objs = [["link", "set", "dev"], ["link", "add", "name"], ["addr", "add"], ["addr", "del"],
                ["route", "add"], ["route", "del"], ["route", "get"], ["neigh", "add"],
                ["link", "show", "dev"], ["route", "replace"], ["addr", "change"]]
        return _seq(st.sampled_from(objs), _one(devs + addrs),
                    _kv(VALUE_WORDS["ip"], VALUES + ["veth", "bridge", "macvlan", "main"]))
    if tool == "bridge":
        return _seq(st.sampled_from([["link", "set", "dev"], ["fdb", "add"], ["fdb", "del"],
                                     ["vlan", "add", "dev"], ["vlan", "del", "dev"],
                                     ["mdb", "add", "dev"], ["fdb", "show", "dev"]]),
                    _one(devs + MACS), _kv(VALUE_WORDS["bridge"], VALUES + MACS))
    if tool == "tcpdump":
        prim = st.one_of(_one(["ip", "arp", "icmp", "tcp", "udp", "broadcast"]),
                         st.tuples(st.sampled_from(["host", "net", "port", "src", "dst",
                                                    "ether host", "proto"]),
                                   st.sampled_from(nums + addrs + MACS)).map(list))
        expr = st.lists(st.one_of(prim, _one(["and", "or", "not", "(", ")"])), max_size=5)
        return _seq(_one(["-c"]), _one(["1", "2"] + nums),
                    _kv(["-i", "-s", "-Q", "-r"], devs + nums + ["in", "out", "pcapfile"]),
                    st.lists(st.sampled_from(["-n", "-e", "-q", "-t", "-x", "-l", "-p"]),
                             max_size=2),
                    expr.map(lambda u: [w for x in u for w in " ".join(x).split()]))
    return st.lists(st.sampled_from(GENERIC_WORDS), max_size=4)


def command_lines(tool: str):
    prefixes = PREFIXES.get(tool, [[]])
    targets = TARGETS.get(tool) or [None]
    random_line = st.builds(
        lambda pre, units, target: [tool] + pre + [w for u in units for w in u]
        + ([target] if target is not None else []),
        st.sampled_from(prefixes), st.lists(words(tool), max_size=5),
        st.one_of(st.none(), st.sampled_from(targets)))
    line = st.tuples(st.sampled_from(NETNS),
                     st.one_of(random_line, structured(tool).map(lambda a: [tool] + a)))
    return st.lists(line, min_size=BATCH, max_size=BATCH)


# =============================================================================================
# what a run must look like
# =============================================================================================

# exits that are not errors of the tool: (tool, status) -> predicate(stdout, stderr, argv)
SILENT_FAILURES = {
    # route: the netns never had a main table (empty /proc/net/route); the AX.25 / X.25 / IPX /
    # NET/ROM listings say "not configured" on stdout
    ("route", 1): lambda out, err, argv: out.startswith(("Kernel IP routing", "X.25 not",
                                                         "AX.25 not", "IPX routing",
                                                         "NET/ROM not")),
    # ping: no reply (the statistics are on stdout); -h prints its usage on stdout, exit 2
    ("ping", 1): lambda out, err, argv: "packets transmitted" in out,
    ("ping", 2): lambda out, err, argv: out.startswith("\nUsage\n"),
    ("ping6", 1): lambda out, err, argv: "packets transmitted" in out,     # ping -6
    ("ping6", 2): lambda out, err, argv: out.startswith("\nUsage\n"),
    # curl -s (without -S) reports no error, only its exit status; nc -z fails silently
    **{("curl", rc): lambda out, err, argv: _curl_silent(argv)
       for rc in (1, 3, 6, 7, 8, 18, 22, 23, 28, 52, 55, 56)},
    ("nc", 1): lambda out, err, argv: any(a[:1] == "-" and "z" in a for a in argv),
}


def _curl_silent(argv) -> bool:
    silent = False
    for a in argv[1:]:
        if a == "--show-error":
            return False
        if a == "--silent":
            silent = True
        elif a[:1] == "-" and a[1:2] != "-":
            if "S" in a:
                return False
            silent = silent or "s" in a
    return silent


def check_result(tool: str, argv: list[str], res) -> None:
    assert isinstance(res, tuple) and len(res) == 3, res
    rc, out, err = res
    assert isinstance(rc, int) and 0 <= rc <= 255, rc
    assert isinstance(out, str) and isinstance(err, str)
    relayed = tool == "ip" and "exec" in argv      # ip netns exec: the status of another tool
    if rc != 0 and not err.strip() and not relayed:
        ok = SILENT_FAILURES.get((tool, rc))
        assert ok is not None and ok(out, err, argv), \
            f"{shlex.join(argv)}: exit {rc} without an error message (stdout {out[:200]!r})"
    assert "Traceback" not in err, err


def check_lab(lab: Lab) -> None:
    """The kernel's books agree with each other."""
    k = lab.kernel
    seen = {}
    for ns in k.namespaces:
        assert ns.alive
        devs = ns.devices
        assert len(devs) == len(ns.by_index) == len(ns.by_name), ns
        for dev in devs:
            assert ns.by_index.get(dev.ifindex) is dev, (dev, ns)
            assert ns.by_name.get(dev.name) is dev, (dev, ns)
            assert dev.ns is ns and dev.reg_state == "REGISTERED", dev
            assert id(dev) not in seen, dev
            seen[id(dev)] = dev
            assert 0 < len(dev.name.encode("utf-8", "surrogateescape")) < 16, dev
            assert dev.ifindex > 0, dev
            if dev.ip is not None:
                for ifa in dev.ip.ifa_list:
                    assert ifa.dev is dev and ifa.local, ifa
                    assert 0 <= ifa.prefixlen <= 32, ifa
            peer = getattr(dev, "peer", None)
            if peer is not None and dev.kind == "veth":
                assert peer.peer is dev, dev
            if dev.master is not None:
                assert dev.master.ns is dev.ns and dev.master.reg_state == "REGISTERED", dev
        counts: dict = {}
        for dev in devs:
            if dev.ip is not None:
                for ifa in dev.ip.ifa_list:
                    counts[ifa.local] = counts.get(ifa.local, 0) + 1
        assert counts == ns.ipv4.local_addrs, (ns, counts, ns.ipv4.local_addrs)
        for r in ns.ipv4.fib.all_routes():
            if r.dev is not None:
                assert r.dev.ns is ns and r.dev.reg_state == "REGISTERED", r
    for name, ns in k.named.items():
        assert ns in k.namespaces and ns.name == name


# =============================================================================================
# guards: no files outside the temporary directory, no endless runs
# =============================================================================================

class _Runaway(BaseException):
    """The command would keep the engine busy for ever (like the real tool, until killed)."""


def _guard_engine(lab: Lab, limit_ns: int = 60 * 10**9, max_events: int = 100_000) -> None:
    """Replace the engine's run loops by copies that give up (``_Runaway``) past ``limit_ns``
    of virtual time or ``max_events`` events in one command."""
    import heapq
    eng = lab.engine
    start_now, start_ev = eng.now, eng.events_run
    ready, timers = eng._ready, eng._timers

    def tick():
        eng.events_run += 1
        if eng.events_run - start_ev > max_events or eng.now - start_now > limit_ns:
            raise _Runaway

    def drain():
        pop = ready.popleft
        while ready:
            fn, args = pop()
            fn(*args)
            tick()

    def run_until(deadline):
        drain()
        while timers:
            when, _, t = timers[0]
            if when > deadline:
                break
            heapq.heappop(timers)
            if t.cancelled:
                continue
            eng.now = when
            t.cancelled = True
            t.fn(*t.args)
            tick()
            drain()
        if deadline > eng.now:
            if deadline - start_now > limit_ns:
                raise _Runaway
            eng.now = deadline

    def run_until_idle(limit=None):
        nxt = eng.next_deadline()
        while nxt is not None and (limit is None or nxt <= start_now + limit):
            run_until(nxt)
            nxt = eng.next_deadline()
        drain()

    eng._drain_ready = drain
    eng.run_until = run_until
    eng.run_until_idle = run_until_idle
    eng.run_for = lambda ns: run_until(eng.now + int(ns))


def _unguard_engine(lab: Lab) -> None:
    for attr in ("_drain_ready", "run_until", "run_until_idle", "run_for"):
        lab.engine.__dict__.pop(attr, None)


FILE_CONTENTS = {"batchfile": b"link show\naddr show dev eth0\nroute\nfdb show\nfoo 'x\n",
                 "sysctl.conf": b"net.ipv4.ip_forward = 1\n# x\nnet.ipv4.foo=2\n=\n\xff\n"}
SANDBOX: list[Path] = []


def restore_files(tmp: Path) -> None:
    """The files the commands may read, as each batch starts (earlier batches may have
    overwritten them: ``tcpdump -w batchfile``)."""
    for name in FILES:
        p = tmp / name
        if name in FILE_CONTENTS:
            p.write_bytes(FILE_CONTENTS[name])
        elif p.exists() and p.is_file():
            p.unlink()


@contextlib.contextmanager
def sandboxed_files():
    """Run in a temporary directory; refuse to open anything outside it (except a few
    read-only system tables the tools read)."""
    real_open = builtins.open
    tmp = Path(tempfile.mkdtemp(prefix="vnetlab-fuzz-"))
    lab = make_lab()
    run(lab, ["tcpdump", "-c", "2", "-i", "eth0", "-w", str(tmp / "pcapfile")], ns="a")
    FILE_CONTENTS["pcapfile"] = (tmp / "pcapfile").read_bytes()
    restore_files(tmp)
    allowed = ("/etc/services", "/etc/protocols", "/etc/hosts", "/etc/ethers", "/etc/networks",
               "/usr/share/", "/etc/iproute2/")

    def guarded_open(file, mode="r", *args, **kw):
        if isinstance(file, int):
            return real_open(file, mode, *args, **kw)
        path = os.path.realpath(os.fspath(file))
        inside = path.startswith(str(tmp) + os.sep)
        writing = any(c in mode for c in "wax+")
        if inside or (not writing and path.startswith(allowed)):
            return real_open(file, mode, *args, **kw)
        raise PermissionError(13, "Permission denied", os.fspath(file))

    old = os.getcwd()
    os.chdir(tmp)
    builtins.open = guarded_open
    SANDBOX.append(tmp)
    try:
        yield tmp
    finally:
        SANDBOX.remove(tmp)
        builtins.open = real_open
        os.chdir(old)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module", autouse=True)
def sandbox():
    with sandboxed_files() as tmp:
        yield tmp


# =============================================================================================
# the tests
# =============================================================================================

def fuzz_batch(tool: str, lines) -> None:
    if SANDBOX:
        restore_files(SANDBOX[-1])
    lab = make_lab()
    for nsname, argv in lines:
        ns = nsname if nsname in lab.kernel.named else None
        _guard_engine(lab)
        try:
            res = run(lab, argv, ns=ns)
        except _Runaway:
            LONG_RUNNING[tool] = LONG_RUNNING.get(tool, 0) + 1
            CASES_RUN[tool] = CASES_RUN.get(tool, 0) + 1
            return                    # the lab is mid-way through something: start afresh
        finally:
            _unguard_engine(lab)
        CASES_RUN[tool] = CASES_RUN.get(tool, 0) + 1
        check_result(tool, argv, res)
        check_lab(lab)


def _tool_test(tool: str, *regressions):
    """The fuzz test of one tool; ``regressions`` are batches that once crashed it."""
    def test(lines):
        fuzz_batch(tool, lines)
    test = given(lines=command_lines(tool))(test)
    for batch in regressions:
        test = example(lines=batch)(test)
    test = fuzz_settings(tool)(test)
    test.__name__ = f"test_fuzz_{tool}"
    return test


# Regressions: each batch below once ended in a Python exception (fixed since).
test_fuzz_ip = _tool_test(
    "ip",
    # kernel.dev_valid_name() encoded the name strictly: a name of non-UTF-8 bytes crashed
    [("a", ["ip", "link", "set", "v0", "name", "ab\udcff"]),
     ("a", ["ip", "link", "add", "name", "x\udcc3\udcff", "type", "veth", "peer", "name", "y"])],
    # ip -batch on a file that is not UTF-8 (here a pcap file)
    [("", ["ip", "-batch", "pcapfile"]), ("", ["ip", "-force", "-batch", "pcapfile"])])
test_fuzz_ifconfig = _tool_test(
    "ifconfig",
    # SIOCSIFNAME with a name cut inside a UTF-8 sequence (safe_strncpy keeps 15 bytes)
    [("a", ["ifconfig", "v0", "name", "\x10\U0005c7de0\x04\x8a\x96\x1f\x99\xe4|!"]),
     ("a", ["ifconfig", "-a"])])
test_fuzz_route = _tool_test("route")
test_fuzz_ping = _tool_test(
    "ping",
    # -w / -W / -i with inf or nan reached int() of a non-finite float
    [("b", ["ping", "-c", "1", "-W", "-inf", "192.168.1.2"]),
     ("", ["ping", "-c", "128", "-n", "-p", "00000000000000000000001", "-w", "inf",
           "127.0.0.1"]),
     ("a", ["ping", "-c", "1", "-i", "nan", "10.0.0.2"]),
     ("a", ["ping", "-c", "1", "-W", "nan", "10.0.0.2"])])
test_fuzz_sysctl = _tool_test(
    "sysctl",
    # sysctl -p on a file that is not UTF-8
    [("b", ["sysctl", "-n", "--load=", "pcapfile"]), ("a", ["sysctl", "-p", "pcapfile"])],
    # a negative base_reachable_time_ms reached randrange() of a negative number
    [("b", ["sysctl", "-n", "-w", "net.ipv4.neigh.eth0.base_reachable_time_ms=-1"]),
     ("b", ["sysctl", "-w", "net.ipv4.neigh.default.base_reachable_time=-5"])])
test_fuzz_bridge = _tool_test(
    "bridge",
    # bridge -batch on a file that is not UTF-8
    [("", ["bridge", "-batch", "pcapfile"])])
test_fuzz_tcpdump = _tool_test(
    "tcpdump",
    # "net" with an empty address or a prefix length that is not a number
    [("b", ["tcpdump", "-r", "pcapfile", "-n", "-e", "net", "", "10.0.0.1/x"]),
     ("a", ["tcpdump", "-r", "pcapfile", "net", "10.0.0.0/x"]),
     ("a", ["tcpdump", "-r", "pcapfile", "net", "10.0.0.0/\xb2"])])

KNOWN = {"ip", "ifconfig", "route", "ping", "sysctl", "bridge", "tcpdump"}


@pytest.mark.parametrize("tool", sorted(set(COMMANDS) - KNOWN) or ["-"])
def test_fuzz_other_commands(tool):
    """Commands registered after this file was written get the generic vocabulary."""
    if tool == "-":
        pytest.skip("every registered command has its own fuzz test")
    _tool_test(tool)()


def test_fuzz_case_count():
    """The suite above ran at least 100,000 command lines (at full scale)."""
    if SCALE < 1 or not set(COMMANDS) <= set(CASES_RUN):
        pytest.skip("partial run")
    assert sum(CASES_RUN.values()) >= 100_000, CASES_RUN
