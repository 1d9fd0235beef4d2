"""``ip link`` (iproute2 6.1 ``ip/iplink.c``, ``ip/link_veth.c``, ``ip/iplink_bridge.c``;
``ip/iplink_macvlan.c`` is link_macvlan.py).

* ``run()``            do_iplink(): add / set / change / replace / delete / show / help.
* ``iplink_parse()``   the generic RTM_NEWLINK arguments, with iproute2's matching quirks
                       (``d`` is ``dynamic``, ``a`` is ``address``, ``m`` is ``master``...).
* ``iplink_modify()``  turns the parsed request into the kernel's rtnl_newlink() /
                       rtnl_dellink() steps on the emulated stack, in the kernel's order.
* kind parsers / printers: ``KIND_PARSERS`` and ``KIND_PRINTERS`` map a kind to its
  ``parse_opt`` / ``print_opt`` (veth and bridge here; sibling modules may register more).

Listing (``ip link show``) is ``addr.Lister`` with do_link set, as ipaddr_list_link() is.
"""

from __future__ import annotations

from .. import Exit, Return
from ...stack.errors import EEXIST, EINVAL, ENODEV, ENOTCONN, EOPNOTSUPP, ESRCH, KernelError
from ...stack.kernel import LINK_KINDS, LinkRequest
from .addr import Lister
from .link_macvlan import macvlan_parse_opt, macvlan_print_help, macvlan_print_opt
from .link_ipvlan import ipvlan_parse_opt, ipvlan_print_help, ipvlan_print_opt
from .link_tuntap import tun_print_opt
from .common import (JsonRaw, check_altifname, check_ifname, duparg, duparg2,
                     get_integer, get_u16, get_u32, get_u8, get_unsigned, incomplete, invarg,
                     ll_addr_a2n, ll_addr_n2a, ll_name_to_index, matches, nodev,
                     rtnl_error, rtnl_group_a2n, strtol)

LINK_USAGE = """Usage: ip link add [link DEV | parentdev NAME] [ name ] NAME
		    [ txqueuelen PACKETS ]
		    [ address LLADDR ]
		    [ broadcast LLADDR ]
		    [ mtu MTU ] [index IDX ]
		    [ numtxqueues QUEUE_COUNT ]
		    [ numrxqueues QUEUE_COUNT ]
		    [ netns { PID | NAME } ]
		    type TYPE [ ARGS ]

	ip link delete { DEVICE | dev DEVICE | group DEVGROUP } type TYPE [ ARGS ]

	ip link set { DEVICE | dev DEVICE | group DEVGROUP }
			[ { up | down } ]
			[ type TYPE ARGS ]
		[ arp { on | off } ]
		[ dynamic { on | off } ]
		[ multicast { on | off } ]
		[ allmulticast { on | off } ]
		[ promisc { on | off } ]
		[ trailers { on | off } ]
		[ carrier { on | off } ]
		[ txqueuelen PACKETS ]
		[ name NEWNAME ]
		[ address LLADDR ]
		[ broadcast LLADDR ]
		[ mtu MTU ]
		[ netns { PID | NAME } ]
		[ link-netns NAME | link-netnsid ID ]
		[ alias NAME ]
		[ vf NUM [ mac LLADDR ]
			 [ vlan VLANID [ qos VLAN-QOS ] [ proto VLAN-PROTO ] ]
			 [ rate TXRATE ]
			 [ max_tx_rate TXRATE ]
			 [ min_tx_rate TXRATE ]
			 [ spoofchk { on | off} ]
			 [ query_rss { on | off} ]
			 [ state { auto | enable | disable} ]
			 [ trust { on | off} ]
			 [ node_guid EUI64 ]
			 [ port_guid EUI64 ] ]
		[ { xdp | xdpgeneric | xdpdrv | xdpoffload } { off |
			  object FILE [ { section | program } NAME ] [ verbose ] |
			  pinned FILE } ]
		[ master DEVICE ][ vrf NAME ]
		[ nomaster ]
		[ addrgenmode { eui64 | none | stable_secret | random } ]
		[ protodown { on | off } ]
		[ protodown_reason PREASON { on | off } ]
		[ gso_max_size BYTES ] | [ gso_max_segs PACKETS ]
		[ gro_max_size BYTES ]

	ip link show [ DEVICE | group GROUP ] [up] [master DEV] [vrf NAME] [type TYPE]
		[nomaster]

	ip link xstats type TYPE [ ARGS ]

	ip link afstats [ dev DEVICE ]
	ip link property add dev DEVICE [ altname NAME .. ]
	ip link property del dev DEVICE [ altname NAME .. ]

	ip link help [ TYPE ]

"""

# the kinds iproute2 6.1 has a link_util for; those without a parse_opt ignore extra args
IPROUTE2_KINDS = {"amt", "bareudp", "batadv", "bond", "bond_slave", "bridge", "bridge_slave",
                  "can", "dsa", "dummy", "geneve", "gtp", "hsr", "ifb", "ipoib", "ipvlan",
                  "ipvtap", "macvlan", "macvtap", "netdevsim", "nlmon", "rmnet", "team",
                  "team_slave", "vcan", "virt_wifi", "vlan", "vrf", "vxcan", "vxlan", "wwan",
                  "gre", "gretap", "erspan", "ip6gre", "ip6gretap", "ip6erspan", "ip6tnl",
                  "ipip", "sit", "veth", "vti", "vti6", "xfrm"}
NO_PARSE_OPT = {"dummy", "ifb", "nlmon", "vcan", "team", "team_slave", "netdevsim",
                "batadv", "virt_wifi"}

IFF_UP, IFF_NOARP, IFF_PROMISC, IFF_ALLMULTI = 0x1, 0x80, 0x100, 0x200
IFF_MULTICAST, IFF_DYNAMIC, IFF_NOTRAILERS = 0x1000, 0x8000, 0x20
IFALIASZ = 256


def usage(ctx):
    """iplink.c usage() -> iplink_usage(): to stderr, exit(-1)."""
    from .addr import TYPES_USAGE
    ctx.eprint(LINK_USAGE + TYPES_USAGE, end="")
    raise Exit(255)


class LinkArgs:
    """What iplink_parse() puts in the RTM_NEWLINK request (None = attribute absent)."""

    def __init__(self, create: bool):
        self.create = create
        self.ifi_flags = 0
        self.ifi_change = 0
        self.ifi_index = 0
        self.name = None              # IFLA_IFNAME
        self.link = None              # IFLA_LINK (ifindex)
        self.address = None
        self.broadcast = None
        self.txqlen = None
        self.mtu = None
        self.netns = None             # Namespace, or ("pid", N)
        self.master = None            # ifindex; 0 = nomaster
        self.alias = None
        self.group = None
        self.mode = None
        self.state = None
        self.numtxqueues = None
        self.numrxqueues = None
        self.addrgenmode = None
        self.link_netnsid = None
        self.carrier = None
        self.protodown = None
        self.gso_max_size = None
        self.gso_max_segs = None
        self.gro_max_size = None
        self.data = None              # IFLA_INFO_DATA (kind-specific, parsed)
        self.peer = None              # veth peer LinkArgs

    def set_flag(self, bit: int, on: bool) -> None:
        self.ifi_change |= bit
        if on:
            self.ifi_flags |= bit
        else:
            self.ifi_flags &= ~bit


def _atoi(s: str) -> int:
    """C atoi(): the leading decimal number, 0 when there is none."""
    val, end = strtol(s, 10)
    return val if end else 0


def _on_off(ctx, msg: str, val: str) -> int:
    """iplink.c on_off(): message and return -1 (exit status 1)."""
    ctx.eprint(f'Error: argument of "{msg}" must be "on" or "off", not "{val}"')
    raise Exit(1)


def _flag_arg(ctx, r: LinkArgs, key: str, val: str, bit: int, on_means_set: bool = True):
    if val == "on":
        r.set_flag(bit, on_means_set)
    elif val == "off":
        r.set_flag(bit, not on_means_set)
    else:
        _on_off(ctx, key, val)


def _parse_on_off_strict(ctx, key: str, val: str) -> int:
    """lib/utils.c parse_on_off() (via parse_one_of)."""
    if val == "on":
        return 1
    if val == "off":
        return 0
    ctx.eprint(f'Error: argument of "{key}" must be one of "off", "on"')
    raise Exit(1)


def iplink_parse(ctx, argv: list[str], r: LinkArgs) -> tuple[int, str | None]:
    """iplink.c: iplink_parse(). Returns (arguments consumed, type or None)."""
    ns = ctx.ns
    name = dev = link = None
    qlen = mtu = netns = group = numtx = numrx = link_netnsid = -1
    index = 0
    addr_len = 0
    move_netns = False
    typ = None
    i, n = 0, len(argv)

    def next_arg():
        nonlocal i
        i += 1
        if i >= n:
            incomplete(ctx)
        return argv[i]

    while i < n:
        a = argv[i]
        if a == "up":
            r.set_flag(IFF_UP, True)
        elif a == "down":
            r.set_flag(IFF_UP, False)
        elif a == "name":
            v = next_arg()
            if name is not None:
                duparg(ctx, "name", v)
            if not check_ifname(v):
                invarg(ctx, '"name" not a valid ifname', v)
            name = v
            if dev is None:
                dev = name
        elif a == "index":
            v = next_arg()
            if index:
                duparg(ctx, "index", v)
            index = _atoi(v)
            if index <= 0:
                invarg(ctx, 'Invalid "index" value', v)
        elif matches(a, "link"):
            link = next_arg()
        elif matches(a, "address"):
            v = next_arg()
            mac = ll_addr_a2n(ctx, v)
            if mac is None:
                raise Exit(1)
            r.address = mac
            addr_len = len(mac)
        elif matches(a, "broadcast") or a == "brd":
            v = next_arg()
            mac = ll_addr_a2n(ctx, v)
            if mac is None:
                raise Exit(1)
            r.broadcast = mac
        elif matches(a, "txqueuelen") or a == "qlen" or matches(a, "txqlen"):
            v = next_arg()
            if qlen != -1:
                duparg(ctx, "txqueuelen", v)
            qlen = get_integer(v)
            if qlen is None:
                invarg(ctx, 'Invalid "txqueuelen" value\n', v)
            r.txqlen = qlen & 0xFFFFFFFF
        elif a == "mtu":
            v = next_arg()
            if mtu != -1:
                duparg(ctx, "mtu", v)
            mtu = get_integer(v)
            if mtu is None:
                invarg(ctx, 'Invalid "mtu" value\n', v)
            r.mtu = mtu & 0xFFFFFFFF
        elif a in ("xdpgeneric", "xdpdrv", "xdpoffload", "xdp"):
            ctx.fail("vnetlab: XDP is not emulated", 255)
        elif a == "netns":
            v = next_arg()
            if netns != -1:
                duparg(ctx, "netns", v)
            target = ctx.lab.kernel.named.get(v) if "/" not in v else None
            if target is not None:
                r.netns = target
                netns = 0
            else:
                pid = get_integer(v)
                if pid is None:
                    invarg(ctx, 'Invalid "netns" value\n', v)
                r.netns = ("pid", pid)
                netns = pid
            move_netns = True
        elif a == "multicast":
            _flag_arg(ctx, r, "multicast", next_arg(), IFF_MULTICAST)
        elif a == "allmulticast":
            _flag_arg(ctx, r, "allmulticast", next_arg(), IFF_ALLMULTI)
        elif a == "promisc":
            _flag_arg(ctx, r, "promisc", next_arg(), IFF_PROMISC)
        elif a == "trailers":
            _flag_arg(ctx, r, "trailers", next_arg(), IFF_NOTRAILERS, on_means_set=False)
        elif a == "arp":
            _flag_arg(ctx, r, "arp", next_arg(), IFF_NOARP, on_means_set=False)
        elif a == "carrier":
            r.carrier = _parse_on_off_strict(ctx, "carrier", next_arg())
        elif a == "vf":
            ctx.fail("vnetlab: SR-IOV VFs are not emulated", 255)
        elif matches(a, "master"):
            v = next_arg()
            idx = ll_name_to_index(ns, v)
            if not idx:
                invarg(ctx, "Device does not exist\n", v)
            r.master = idx
        elif a == "vrf":
            v = next_arg()
            idx = ll_name_to_index(ns, v)
            d = ns.by_index.get(idx)
            if not idx or d is None or d.kind != "vrf":
                invarg(ctx, "Not a valid VRF name\n", v)
            r.master = idx
        elif matches(a, "nomaster"):
            r.master = 0
        elif matches(a, "dynamic"):
            _flag_arg(ctx, r, "dynamic", next_arg(), IFF_DYNAMIC)
        elif matches(a, "type"):
            typ = next_arg()
            i += 1
            break
        elif matches(a, "alias"):
            v = next_arg()
            if len(v.encode("utf-8", "surrogateescape")) >= IFALIASZ:
                invarg(ctx, "alias too long\n", v)
            r.alias = v
        elif a == "group":
            v = next_arg()
            if group != -1:
                duparg(ctx, "group", v)
            group = rtnl_group_a2n(v)
            if group is None:
                invarg(ctx, 'Invalid "group" value\n', v)
            r.group = group
        elif a == "mode":
            v = next_arg()
            mode = {"default": 0, "dormant": 1}.get(v.lower())
            if mode is None:
                invarg(ctx, "Invalid link mode\n", v)
            r.mode = mode
        elif a == "state":
            v = next_arg()
            from .addr import OPER_STATES
            st = [s.lower() for s in OPER_STATES]
            if v.lower() not in st:
                invarg(ctx, "Invalid operstate\n", v)
            r.state = st.index(v.lower())
        elif matches(a, "numtxqueues"):
            v = next_arg()
            if numtx != -1:
                duparg(ctx, "numtxqueues", v)
            numtx = get_integer(v)
            if numtx is None:
                invarg(ctx, 'Invalid "numtxqueues" value\n', v)
            r.numtxqueues = numtx
        elif matches(a, "numrxqueues"):
            v = next_arg()
            if numrx != -1:
                duparg(ctx, "numrxqueues", v)
            numrx = get_integer(v)
            if numrx is None:
                invarg(ctx, 'Invalid "numrxqueues" value\n', v)
            r.numrxqueues = numrx
        elif matches(a, "addrgenmode"):
            v = next_arg()
            mode = {"eui64": 0, "none": 1, "stable_secret": 2, "random": 3}.get(v.lower())
            if mode is None:
                invarg(ctx, "Invalid address generation mode\n", v)
            r.addrgenmode = mode
        elif matches(a, "link-netns"):
            v = next_arg()
            if link_netnsid != -1:
                duparg(ctx, "link-netns/link-netnsid", v)
            target = ctx.lab.kernel.named.get(v)
            if target is None:
                invarg(ctx, 'Invalid "link-netns" value\n', v)
            link_netnsid = ns.peernet_id(target)
            r.link_netnsid = link_netnsid
        elif matches(a, "link-netnsid"):
            v = next_arg()
            if link_netnsid != -1:
                duparg(ctx, "link-netns/link-netnsid", v)
            link_netnsid = get_integer(v)
            if link_netnsid is None:
                invarg(ctx, 'Invalid "link-netnsid" value\n', v)
            r.link_netnsid = link_netnsid
        elif a == "protodown":
            r.protodown = _parse_on_off_strict(ctx, "protodown", next_arg())
        elif a == "protodown_reason":
            ctx.fail("vnetlab: protodown reasons are not emulated", 255)
        elif a in ("gso_max_size", "gro_max_size"):
            v = next_arg()
            val = get_unsigned(v)
            if val is None:
                invarg(ctx, f'Invalid "{a}" value\n', v)
            setattr(r, a, val)
        elif a == "gso_max_segs":
            v = next_arg()
            val = get_unsigned(v)
            if val is None or val > 65535:
                invarg(ctx, 'Invalid "gso_max_segs" value\n', v)
            r.gso_max_segs = val
        elif a == "parentdev":
            next_arg()
        else:
            if matches(a, "help"):
                usage(ctx)
            if a == "dev":
                a = next_arg()
            if dev != name:
                duparg2(ctx, "dev", a)
            if not check_altifname(a):
                invarg(ctx, '"dev" not a valid ifname', a)
            dev = a
        i += 1

    consumed = i
    # "ip link add dev" and "ip link add name"
    if name is None:
        name = dev
    elif dev is None:
        dev = name
    elif name == dev:
        name = dev
    if dev is not None and addr_len and not r.create:
        d = ns.by_name.get(dev)
        if d is not None and d.addr_len and d.addr_len != addr_len:   # no IFLA_ADDRESS: -1
            ctx.eprint(f"Invalid address length {addr_len} - must be {d.addr_len} bytes")
            raise Exit(1)
    if index and not r.create and not move_netns:
        ctx.fail("index can be used only when creating devices or when moving device to "
                 "another netns.", 255)
    if group != -1 and dev is None:
        if consumed < n:
            ctx.fail(f'Garbage instead of arguments "{argv[consumed]} ...". Try "ip link '
                     'help".', 255)
        if r.create:
            ctx.fail("group cannot be used when creating devices.", 255)
        return consumed, None
    if not r.create:
        if dev is None:
            ctx.fail('Not enough information: "dev" argument is required.', 255)
        r.ifi_index = ll_name_to_index(ns, dev)
        if not r.ifi_index:
            raise Return(nodev(ctx, dev))
        if name is dev or name == dev:
            name = None
    else:
        if name != dev:
            ctx.fail('both "name" and "dev" cannot be used when creating devices.', 255)
        if link is not None:
            idx = ll_name_to_index(ns, link)
            if not idx:
                raise Return(nodev(ctx, link))
            r.link = idx
        r.ifi_index = index
    if name is not None:
        r.name = name
    return consumed, typ


# =============================================================================================
# kind-specific parse_opt / print_opt
# =============================================================================================

def veth_parse_opt(ctx, argv: list[str], r: LinkArgs) -> None:
    """link_veth.c: veth_parse_opt(): ``peer`` followed by a full iplink_parse()."""
    if argv[0] != "peer":
        ctx.print("Usage: ip link <options> type veth [peer <options>]\n"
                  "To get <options> type 'ip link add help'")
        raise Exit(1)
    peer = LinkArgs(create=r.create)
    consumed, typ = iplink_parse(ctx, argv[1:], peer)
    if typ:
        duparg(ctx, "type", argv[1 + consumed - 1] if consumed else typ)
    r.peer = peer


# bridge_parse_opt(): option (prefix-matched, in its order) -> value parser
_BRIDGE_OPTS = [
    ("forward_delay", get_u32), ("hello_time", get_u32), ("max_age", get_u32),
    ("ageing_time", get_u32), ("stp_state", get_u32), ("priority", get_u16),
    ("vlan_filtering", get_u8), ("vlan_protocol", None), ("group_fwd_mask", get_u16),
    ("group_address", None), ("no_linklocal_learn", get_u8), ("fdb_flush", "flag"),
    ("vlan_default_pvid", get_u16), ("vlan_stats_enabled", get_u8),
    ("vlan_stats_per_port", get_u8), ("mcast_router", get_u8), ("mcast_snooping", get_u8),
    ("mcast_vlan_snooping", get_u8), ("mcast_query_use_ifaddr", get_u8),
    ("mcast_querier", get_u8), ("mcast_hash_elasticity", get_u32), ("mcast_hash_max", get_u32),
    ("mcast_last_member_count", get_u32), ("mcast_startup_query_count", get_u32),
    ("mcast_last_member_interval", "u64"), ("mcast_membership_interval", "u64"),
    ("mcast_querier_interval", "u64"), ("mcast_query_interval", "u64"),
    ("mcast_query_response_interval", "u64"), ("mcast_startup_query_interval", "u64"),
    ("mcast_stats_enabled", get_u8), ("mcast_igmp_version", get_u8),
    ("mcast_mld_version", get_u8), ("nf_call_iptables", get_u8),
    ("nf_call_ip6tables", get_u8), ("nf_call_arptables", get_u8),
]


def bridge_parse_opt(ctx, argv: list[str], r: LinkArgs) -> None:
    """iplink_bridge.c: bridge_parse_opt() (values as the kernel receives them)."""
    data: dict = {}
    i, n = 0, len(argv)
    while i < n:
        a = argv[i]
        for opt, conv in _BRIDGE_OPTS:
            if matches(a, opt):
                break
        else:
            if matches(a, "help"):
                _bridge_explain(ctx)
                raise Exit(1)
            ctx.eprint(f'bridge: unknown command "{a}"?')
            _bridge_explain(ctx)
            raise Exit(1)
        if conv == "flag":
            data[opt] = True
            i += 1
            continue
        i += 1
        if i >= n:
            incomplete(ctx)
        v = argv[i]
        if opt == "group_address":
            mac = ll_addr_a2n(ctx, v)
            if mac is None:
                raise Exit(1)
            val = mac
        elif opt == "vlan_protocol":
            val = {"802.1Q": 0x8100, "802.1q": 0x8100, "802.1ad": 0x88A8}.get(v)
            if val is None:
                invarg(ctx, "invalid vlan_protocol", v)
        elif conv == "u64":
            num, end = strtol(v, 0)
            val = num if end and end == len(v) and num >= 0 else None
            if val is None:
                invarg(ctx, f"invalid {opt}", v)
        else:
            val = conv(v)
            if val is None:
                invarg(ctx, f"invalid {opt}", v)
        data[opt] = val
        i += 1
    r.data = data


def _bridge_explain(ctx) -> None:
    ctx.eprint("Usage: ... bridge [ fdb_flush ]\n"
               "\t\t  [ forward_delay FORWARD_DELAY ]\n\t\t  [ hello_time HELLO_TIME ]\n"
               "\t\t  [ max_age MAX_AGE ]\n\t\t  [ ageing_time AGEING_TIME ]\n"
               "\t\t  [ stp_state STP_STATE ]\n\t\t  [ priority PRIORITY ]\n"
               "\t\t  [ group_fwd_mask MASK ]\n\t\t  [ group_address ADDRESS ]\n"
               "\t\t  [ no_linklocal_learn NO_LINKLOCAL_LEARN ]\n"
               "\t\t  [ vlan_filtering VLAN_FILTERING ]\n"
               "\t\t  [ vlan_protocol VLAN_PROTOCOL ]\n"
               "\t\t  [ vlan_default_pvid VLAN_DEFAULT_PVID ]\n"
               "\t\t  [ vlan_stats_enabled VLAN_STATS_ENABLED ]\n"
               "\t\t  [ vlan_stats_per_port VLAN_STATS_PER_PORT ]\n"
               "\t\t  [ mcast_snooping MULTICAST_SNOOPING ]\n"
               "\t\t  [ mcast_vlan_snooping MULTICAST_VLAN_SNOOPING ]\n"
               "\t\t  [ mcast_router MULTICAST_ROUTER ]\n"
               "\t\t  [ mcast_query_use_ifaddr MCAST_QUERY_USE_IFADDR ]\n"
               "\t\t  [ mcast_querier MULTICAST_QUERIER ]\n"
               "\t\t  [ mcast_hash_elasticity HASH_ELASTICITY ]\n"
               "\t\t  [ mcast_hash_max HASH_MAX ]\n"
               "\t\t  [ mcast_last_member_count LAST_MEMBER_COUNT ]\n"
               "\t\t  [ mcast_startup_query_count STARTUP_QUERY_COUNT ]\n"
               "\t\t  [ mcast_last_member_interval LAST_MEMBER_INTERVAL ]\n"
               "\t\t  [ mcast_membership_interval MEMBERSHIP_INTERVAL ]\n"
               "\t\t  [ mcast_querier_interval QUERIER_INTERVAL ]\n"
               "\t\t  [ mcast_query_interval QUERY_INTERVAL ]\n"
               "\t\t  [ mcast_query_response_interval QUERY_RESPONSE_INTERVAL ]\n"
               "\t\t  [ mcast_startup_query_interval STARTUP_QUERY_INTERVAL ]\n"
               "\t\t  [ mcast_stats_enabled MCAST_STATS_ENABLED ]\n"
               "\t\t  [ mcast_igmp_version IGMP_VERSION ]\n"
               "\t\t  [ mcast_mld_version MLD_VERSION ]\n"
               "\t\t  [ nf_call_iptables NF_CALL_IPTABLES ]\n"
               "\t\t  [ nf_call_ip6tables NF_CALL_IP6TABLES ]\n"
               "\t\t  [ nf_call_arptables NF_CALL_ARPTABLES ]\n\n"
               "Where: VLAN_PROTOCOL := { 802.1Q | 802.1ad }")


def _bridge_id(v) -> str:
    """br_dump_bridge_id(): ``8000.0:0:0:0:0:0`` (ether_ntoa_r drops leading zeros)."""
    prio, mac = v
    return "%02x%02x.%s" % (prio >> 8 & 255, prio & 255, ":".join("%x" % b for b in mac))


def _bridge_timer(lister, key: str, cs: int) -> None:
    """_bridge_print_timer(): the kernel sends centiseconds (clock_t)."""
    sec, rem = divmod(int(cs), 100)
    if lister.json:
        lister.p.jonly(key, JsonRaw("%d.%02d" % (sec, rem)))
    else:
        lister.p.text("%s %4d.%02d " % (key, sec, rem))


# bridge_print_opt(): (info_data key, json key, text format), in its print order
_BRIDGE_PRINT = [
    ("forward_delay", "forward_delay", "forward_delay %u "),
    ("hello_time", "hello_time", "hello_time %u "),
    ("max_age", "max_age", "max_age %u "),
    ("ageing_time", "ageing_time", "ageing_time %u "),
    ("stp_state", "stp_state", "stp_state %u "),
    ("priority", "priority", "priority %u "),
    ("vlan_filtering", "vlan_filtering", "vlan_filtering %u "),
    ("vlan_protocol", "vlan_protocol", "vlan_protocol %s "),
    ("bridge_id", "bridge_id", "bridge_id %s "),
    ("root_id", "root_id", "designated_root %s "),
    ("root_port", "root_port", "root_port %u "),
    ("root_path_cost", "root_path_cost", "root_path_cost %u "),
    ("topology_change", "topology_change", "topology_change %u "),
    ("topology_change_detected", "topology_change_detected", "topology_change_detected %u "),
    ("hello_timer", "hello_timer", "timer"),
    ("tcn_timer", "tcn_timer", "timer"),
    ("topology_change_timer", "topology_change_timer", "timer"),
    ("gc_timer", "gc_timer", "timer"),
    ("vlan_default_pvid", "vlan_default_pvid", "vlan_default_pvid %u "),
    ("vlan_stats_enabled", "vlan_stats_enabled", "vlan_stats_enabled %u "),
    ("vlan_stats_per_port", "vlan_stats_per_port", "vlan_stats_per_port %u "),
    ("group_fwd_mask", "group_fwd_mask", "hex"),
    ("group_address", "group_addr", "group_address %s "),
    ("mcast_snooping", "mcast_snooping", "mcast_snooping %u "),
    ("no_linklocal_learn", "no_linklocal_learn", "no_linklocal_learn %u "),
    ("mcast_vlan_snooping", "mcast_vlan_snooping", "mcast_vlan_snooping %u "),
    ("mcast_router", "mcast_router", "mcast_router %u "),
    ("mcast_query_use_ifaddr", "mcast_query_use_ifaddr", "mcast_query_use_ifaddr %u "),
    ("mcast_querier", "mcast_querier", "mcast_querier %u "),
    ("mcast_hash_elasticity", "mcast_hash_elasticity", "mcast_hash_elasticity %u "),
    ("mcast_hash_max", "mcast_hash_max", "mcast_hash_max %u "),
    ("mcast_last_member_count", "mcast_last_member_cnt", "mcast_last_member_count %u "),
    ("mcast_startup_query_count", "mcast_startup_query_cnt", "mcast_startup_query_count %u "),
    ("mcast_last_member_interval", "mcast_last_member_intvl",
     "mcast_last_member_interval %u "),
    ("mcast_membership_interval", "mcast_membership_intvl", "mcast_membership_interval %u "),
    ("mcast_querier_interval", "mcast_querier_intvl", "mcast_querier_interval %u "),
    ("mcast_query_interval", "mcast_query_intvl", "mcast_query_interval %u "),
    ("mcast_query_response_interval", "mcast_query_response_intvl",
     "mcast_query_response_interval %u "),
    ("mcast_startup_query_interval", "mcast_startup_query_intvl",
     "mcast_startup_query_interval %u "),
    ("mcast_stats_enabled", "mcast_stats_enabled", "mcast_stats_enabled %u "),
    ("mcast_igmp_version", "mcast_igmp_version", "mcast_igmp_version %u "),
    ("mcast_mld_version", "mcast_mld_version", "mcast_mld_version %u "),
    ("nf_call_iptables", "nf_call_iptables", "nf_call_iptables %u "),
    ("nf_call_ip6tables", "nf_call_ip6tables", "nf_call_ip6tables %u "),
    ("nf_call_arptables", "nf_call_arptables", "nf_call_arptables %u "),
]


def bridge_print_opt(lister, data: dict | None) -> None:
    """iplink_bridge.c: bridge_print_opt() over the bridge's fill_info() dict."""
    if not data:
        return
    p = lister.p
    for key, jkey, fmt in _BRIDGE_PRINT:
        if key not in data:
            continue
        v = data[key]
        if fmt == "timer":
            _bridge_timer(lister, jkey, v)
        elif fmt == "hex":
            p.any(jkey, "group_fwd_mask %s ", "%#x" % v if v else "0")
        elif key in ("bridge_id", "root_id"):
            p.any(jkey, fmt, _bridge_id(data.get("bridge_id", v)))
        elif key == "group_address":
            p.any(jkey, fmt, ll_addr_n2a(bytes(v), 1))
        elif key == "vlan_protocol":
            p.any(jkey, fmt, {0x8100: "802.1Q", 0x88A8: "802.1ad"}.get(v, "%x" % v))
        else:
            p.any(jkey, fmt, int(v))


def bridge_slave_print_opt(lister, data: dict | None) -> None:
    """iplink_bridge_slave.c: bridge_slave_print_opt() for the keys the bridge reports
    (``fill_slave_info``), in iproute2's order."""
    if not data:
        return
    p = lister.p
    order = [("state", "state %s "), ("priority", "priority %d "), ("cost", "cost %d "),
             ("hairpin", "hairpin %s "), ("guard", "guard %s "),
             ("root_block", "root_block %s "), ("fastleave", "fastleave %s "),
             ("learning", "learning %s "), ("flood", "flood %s "), ("port_id", "port_id %s "),
             ("port_no", "port_no %s "), ("designated_port", "designated_port %u "),
             ("designated_cost", "designated_cost %u "),
             ("designated_bridge", "designated_bridge %s "),
             ("designated_root", "designated_root %s "), ("hold_timer", "timer"),
             ("message_age_timer", "timer"), ("forward_delay_timer", "timer"),
             ("topology_change_ack", "topology_change_ack %u "),
             ("config_pending", "config_pending %u "), ("proxy_arp", "proxy_arp %s "),
             ("proxy_arp_wifi", "proxy_arp_wifi %s "), ("multicast_router", "mcast_router %u "),
             ("fast_leave", "mcast_fast_leave %s "), ("mcast_flood", "mcast_flood %s "),
             ("bcast_flood", "bcast_flood %s "), ("mcast_to_unicast", "mcast_to_unicast %s "),
             ("neigh_suppress", "neigh_suppress %s "), ("group_fwd_mask", "group_fwd_mask %s "),
             ("group_fwd_mask_str", "group_fwd_mask_str %s "),
             ("vlan_tunnel", "vlan_tunnel %s "), ("isolated", "isolated %s "),
             ("locked", "locked %s ")]
    for key, fmt in order:
        if key not in data:
            continue
        v = data[key]
        if fmt == "timer":
            _bridge_timer(lister, key, v)
        elif isinstance(v, bool):
            if lister.json:
                p.jonly(key, v)
            else:
                p.text(fmt % ("on" if v else "off"))
        else:
            p.any(key, fmt, v)


# kind -> parse_opt(ctx, argv, LinkArgs) / print_opt(lister, info_data)
KIND_PARSERS = {"veth": veth_parse_opt, "bridge": bridge_parse_opt,
                "macvlan": lambda ctx, argv, r: macvlan_parse_opt(ctx, argv, r, "macvlan"),
                "macvtap": lambda ctx, argv, r: macvlan_parse_opt(ctx, argv, r, "macvtap"),
                "ipvlan": lambda ctx, argv, r: ipvlan_parse_opt(ctx, argv, r, "ipvlan"),
                "ipvtap": lambda ctx, argv, r: ipvlan_parse_opt(ctx, argv, r, "ipvtap")}
KIND_PRINTERS = {"bridge": bridge_print_opt, "macvlan": macvlan_print_opt,
                 "macvtap": macvlan_print_opt, "ipvlan": ipvlan_print_opt,
                 "ipvtap": ipvlan_print_opt}
try:  # ipip tunnels (link_ipip.py)
    from .link_ipip import ipip_parse_opt, ipip_print_opt
    KIND_PARSERS["ipip"] = ipip_parse_opt
    KIND_PRINTERS["ipip"] = ipip_print_opt
except ImportError:  # pragma: no cover
    pass
try:  # VXLAN (link_vxlan.py)
    from .link_vxlan import vxlan_parse_opt, vxlan_print_opt
    KIND_PARSERS["vxlan"] = vxlan_parse_opt
    KIND_PRINTERS["vxlan"] = vxlan_print_opt
except ImportError:  # pragma: no cover
    pass
try:  # 802.1Q / 802.1ad (link_vlan.py)
    from .link_vlan import vlan_parse_opt, vlan_print_opt
    KIND_PARSERS["vlan"] = vlan_parse_opt
    KIND_PRINTERS["vlan"] = vlan_print_opt
except ImportError:  # pragma: no cover
    pass
KIND_PARSERS["tun"] = lambda ctx, argv, r: None   # tun_link_util has no parse_opt: args ignored
KIND_PRINTERS["tun"] = tun_print_opt
SLAVE_PRINTERS = {"bridge": bridge_slave_print_opt}


def print_kind_opt(lister, kind: str, data) -> None:
    fn = KIND_PRINTERS.get(kind)
    if fn is not None:
        lister.p.open_object("info_data")
        fn(lister, data)
        lister.p.close()


def print_slave_opt(lister, kind: str, data) -> None:
    fn = SLAVE_PRINTERS.get(kind)
    if fn is not None:
        lister.p.open_object("info_slave_data")
        fn(lister, data)
        lister.p.close()


# =============================================================================================
# the kernel side of RTM_NEWLINK / RTM_DELLINK on the emulated stack
# =============================================================================================

def _target_ns(ctx, r: LinkArgs, default):
    """rtnl_link_get_net(): IFLA_NET_NS_FD / IFLA_NET_NS_PID."""
    if r.netns is None:
        return default
    if isinstance(r.netns, tuple):
        raise KernelError(ESRCH)                 # the emulator runs no processes
    return r.netns


def _link_request(ctx, r: LinkArgs, kind: str | None, dest) -> LinkRequest:
    req = LinkRequest(name=r.name, kind=kind, address=r.address, broadcast=r.broadcast,
                      mtu=r.mtu, txqlen=r.txqlen, group=r.group, alias=r.alias,
                      numtxqueues=r.numtxqueues, numrxqueues=r.numrxqueues,
                      data=dict(r.data or {}), index=r.ifi_index or None)
    req.net_ns = dest if dest is not ctx.ns else None
    if r.link is not None:
        req.link = ctx.ns.by_index.get(r.link)
    return req


def validate_linkmsg(dev, r: LinkArgs) -> None:
    """rtnetlink.c validate_linkmsg(): address attributes shorter than addr_len are EINVAL."""
    if r.address is not None and dev.addr_len and len(r.address) < dev.addr_len:
        raise KernelError(EINVAL)
    if r.broadcast is not None and dev.addr_len and len(r.broadcast) < dev.addr_len:
        raise KernelError(EINVAL)


def _check_mtu(dev, mtu: int) -> None:
    """dev_validate_mtu()."""
    if mtu >= 2**31 or mtu < dev.min_mtu:
        raise KernelError(EINVAL, "mtu less than device minimum")
    if dev.max_mtu > 0 and mtu > dev.max_mtu:
        raise KernelError(EINVAL, "mtu greater than device maximum")


def dev_change_flags(kernel, dev, r: LinkArgs) -> None:
    """__dev_change_flags() with rtnl_dev_combine_flags()."""
    cur = (dev.flags & ~(IFF_PROMISC | IFF_ALLMULTI)) | (dev.gflags & (IFF_PROMISC |
                                                                     IFF_ALLMULTI))
    flags = r.ifi_flags
    if r.ifi_change:
        flags = (flags & r.ifi_change) | (cur & ~r.ifi_change)
    simple = 0x4 | IFF_NOTRAILERS | IFF_NOARP | IFF_DYNAMIC | IFF_MULTICAST | 0x2000 | 0x4000
    dev.flags = (flags & simple) | (dev.flags & ~simple)
    if (dev.flags ^ flags) & IFF_UP:
        if flags & IFF_UP:
            kernel.dev_open(dev)
        else:
            kernel.dev_close(dev)
    if (flags ^ dev.gflags) & IFF_PROMISC:
        dev.gflags ^= IFF_PROMISC
        dev.promiscuity += 1 if flags & IFF_PROMISC else -1
    if (flags ^ dev.gflags) & IFF_ALLMULTI:
        dev.gflags ^= IFF_ALLMULTI
        dev.allmulti += 1 if flags & IFF_ALLMULTI else -1


def do_set_master(kernel, dev, ifindex: int) -> None:
    """do_set_master()."""
    if ifindex:
        upper = dev.ns.by_index.get(ifindex)
        if upper is None:
            raise KernelError(EINVAL)
        if dev.master is upper:
            return
        kernel.set_master(dev, upper)
    elif dev.master is not None:
        kernel.set_master(dev, None)


def do_setlink(ctx, dev, r: LinkArgs, kind: str | None) -> None:
    """rtnl_changelink() + do_setlink(), attribute by attribute in the kernel's order."""
    k = ctx.lab.kernel
    if r.data:
        if kind is None or kind != dev.kind or kind not in LINK_KINDS:
            raise KernelError(EOPNOTSUPP)
        LINK_KINDS[kind].changelink(dev, LinkRequest(kind=kind, data=dict(r.data)))
    validate_linkmsg(dev, r)
    ipv6 = getattr(dev.ns, "ipv6", None)
    if r.addrgenmode is not None and ipv6 is not None:
        # inet6_validate_link_af(): the device needs an inet6_dev; stable_secret needs a secret
        from ...stack.errors import EAFNOSUPPORT
        if dev.ip6 is None:
            raise KernelError(EAFNOSUPPORT)
        if r.addrgenmode == 2 and dev.ip6.stable_secret is None and \
                ipv6.default_secret is None:
            raise KernelError(EINVAL)
    tgt = _target_ns(ctx, r, dev.ns)
    if tgt is not dev.ns:
        k.dev_change_net_namespace(dev, tgt, new_name=r.name)
    if r.address is not None:
        k.dev_set_mac(dev, bytes(r.address[:dev.addr_len]))
    if r.mtu is not None and r.mtu != dev.mtu:
        _check_mtu(dev, r.mtu)
        k.dev_set_mtu(dev, r.mtu)
    if r.group is not None:
        dev.group = r.group
    if r.name is not None:
        k.dev_change_name(dev, r.name)
    if r.alias is not None:
        dev.alias = r.alias
    if r.broadcast is not None:
        dev.broadcast = bytes(r.broadcast[:dev.addr_len])
    if r.ifi_flags or r.ifi_change:
        dev_change_flags(k, dev, r)
    if r.master is not None:
        do_set_master(k, dev, r.master)
    if r.carrier is not None:
        raise KernelError(EOPNOTSUPP)            # no ndo_change_carrier on these devices
    if r.txqlen is not None:
        if r.txqlen != dev.tx_queue_len:
            dev.tx_queue_len = r.txqlen
    if r.gso_max_size is not None:
        dev.gso_max_size = r.gso_max_size
    if r.gso_max_segs is not None:
        dev.gso_max_segs = r.gso_max_segs
    if r.gro_max_size is not None:
        dev.gro_max_size = r.gro_max_size
    if r.mode is not None:
        dev.link_mode = r.mode
    if r.addrgenmode is not None and getattr(dev.ns, "ipv6", None) is not None:
        dev.ns.ipv6.set_addr_gen_mode(dev, r.addrgenmode)   # IFLA_AF_SPEC: inet6_set_link_af()
    if r.protodown is not None:
        raise KernelError(EOPNOTSUPP, "Protodown not supported by device")


def rtnl_newlink_create(ctx, r: LinkArgs, kind: str, tgt) -> None:
    """rtnl_newlink_create(): create, then rtnl_configure_link() (flags), then the master."""
    k = ctx.lab.kernel
    req = _link_request(ctx, r, kind, tgt)
    if r.peer is not None and r.peer.ifi_flags & r.peer.ifi_change & IFF_UP:
        # veth_newlink() configures the peer before linking it: veth_open() sees no peer
        raise KernelError(ENOTCONN)
    if r.peer is not None:
        # rtnl_get_peer_net(): without its own netns the peer stays in the caller's netns
        peer_ns = _target_ns(ctx, r.peer, ctx.ns)
        req.peer = _link_request(ctx, r.peer, None, peer_ns)
        req.peer.net_ns = peer_ns
    dev = k.newlink(ctx.ns, req)
    try:
        if r.ifi_flags or r.ifi_change:
            dev_change_flags(k, dev, r)
        peer = getattr(dev, "peer", None)
        if r.peer is not None and peer is not None and (r.peer.ifi_flags or r.peer.ifi_change):
            dev_change_flags(k, peer, r.peer)
        if r.master is not None and r.master:
            do_set_master(k, dev, r.master)
    except KernelError:
        batch: list = []
        dev.dellink(batch)
        k.unregister_many(batch)
        raise


def rtnl_newlink(ctx, r: LinkArgs, kind: str | None, nlflags: set) -> None:
    """rtnl_newlink() / __rtnl_newlink()."""
    k = ctx.lab.kernel
    ops = None
    if kind:
        ops = LINK_KINDS.get(kind)
        if ops is None and k.request_module("rtnl-link-" + kind):
            ops = LINK_KINDS.get(kind)
    if ops is not None:
        ops.validate(_link_request(ctx, r, kind, ctx.ns))
        if r.peer is not None:
            ops.validate(_link_request(ctx, r.peer, kind, ctx.ns))
    tgt = _target_ns(ctx, r, ctx.ns)
    device_ns = tgt if {"create", "excl"} <= nlflags else ctx.ns
    if r.ifi_index > 0:
        dev = device_ns.by_index.get(r.ifi_index)
        specified = True
    elif r.name is not None:
        dev = device_ns.by_name.get(r.name)
        specified = True
    else:
        dev, specified = None, False
    if dev is not None:
        if "excl" in nlflags:
            raise KernelError(EEXIST)
        if "replace" in nlflags:
            raise KernelError(EOPNOTSUPP)
        do_setlink(ctx, dev, r, kind)
        return
    if "create" not in nlflags:
        if specified or r.group is None:
            raise KernelError(ENODEV)
        for d in list(ctx.ns.devices):
            if d.group == r.group:
                do_setlink(ctx, d, r, kind)
        return
    if ops is None:
        raise KernelError(EOPNOTSUPP, "Unknown device type")
    rtnl_newlink_create(ctx, r, kind, tgt)


def rtnl_dellink(ctx, r: LinkArgs) -> None:
    """rtnl_dellink(): by index (or name), else by group."""
    ns = ctx.ns
    dev = None
    if r.ifi_index > 0:
        dev = ns.by_index.get(r.ifi_index)
    elif r.name is not None:
        dev = ns.by_name.get(r.name)
    if dev is not None:
        if not dev.kind:
            raise KernelError(EOPNOTSUPP)
        ctx.lab.kernel.dellink(dev)
        return
    if r.ifi_index > 0 or r.name is not None:
        raise KernelError(ENODEV)
    if r.group is not None:
        if not r.group:
            from ...stack.errors import EPERM
            raise KernelError(EPERM)
        victims = [d for d in ns.devices if d.group == r.group]
        if not victims:
            raise KernelError(ENODEV)
        if any(not d.kind for d in victims):
            raise KernelError(EOPNOTSUPP)
        batch: list = []
        for d in victims:
            if d not in batch:
                d.dellink(batch)
        ctx.lab.kernel.unregister_many(batch)
        return
    raise KernelError(EINVAL)


# =============================================================================================
# iplink_modify() and do_iplink()
# =============================================================================================

def iplink_modify(ctx, cmd: str, nlflags: set, argv: list[str]) -> int:
    """iplink.c: iplink_modify()."""
    r = LinkArgs(create="create" in nlflags)
    consumed, typ = iplink_parse(ctx, argv, r)
    if typ:
        rest = argv[consumed:]
        kind = typ
        base = kind[:-len("_slave")] if kind.endswith("_slave") else None
        parser = KIND_PARSERS.get(kind)
        if rest:
            if parser is not None:
                parser(ctx, rest, r)
            elif kind in NO_PARSE_OPT:
                pass
            elif kind in IPROUTE2_KINDS or base is not None:
                ctx.fail(f'vnetlab: options of "type {kind}" are not emulated yet', 1)
            else:
                if matches(rest[0], "help"):
                    usage(ctx)
                ctx.eprint(f'Garbage instead of arguments "{rest[0]} ...". Try "ip link help".')
                return 1
    elif "create" in nlflags:
        ctx.eprint('Not enough information: "type" argument is required')
        return 1
    kind = typ
    try:
        if cmd == "del":
            rtnl_dellink(ctx, r)
        else:
            rtnl_newlink(ctx, r, kind, nlflags)
    except KernelError as e:
        rtnl_error(ctx, e)
    return 0


def do_help(ctx, argv: list[str]) -> int:
    if argv and argv[0] == "veth":
        ctx.print("Usage: ip link <options> type veth [peer <options>]\n"
                  "To get <options> type 'ip link add help'")
        return 0
    if argv and argv[0] == "bridge":
        _bridge_explain(ctx)
        return 0
    if argv and argv[0] in ("macvlan", "macvtap"):
        macvlan_print_help(ctx, argv[0])
        return 0
    if argv and argv[0] in ("ipvlan", "ipvtap"):
        ipvlan_print_help(ctx, argv[0])
        return 0
    if argv and argv[0] == "ipip":
        from .link_ipip import ipip_print_help
        ipip_print_help(ctx)
        return 0
    if argv and argv[0] == "vxlan":
        from .link_vxlan import vxlan_print_help
        vxlan_print_help(ctx)
        return 0
    if argv and argv[0] == "vlan":
        from .link_vlan import vlan_print_help
        vlan_print_help(ctx)
        return 0
    usage(ctx)
    return 255


def run(ctx, opts, argv: list[str]) -> int:
    """iplink.c: do_iplink()."""
    if not argv:
        return Lister(ctx, opts, True).list_flush([], "list")
    a, rest = argv[0], argv[1:]
    if matches(a, "add"):
        return iplink_modify(ctx, "new", {"create", "excl"}, rest)
    if matches(a, "set") or matches(a, "change"):
        return iplink_modify(ctx, "new", set(), rest)
    if matches(a, "replace"):
        return iplink_modify(ctx, "new", {"create", "replace"}, rest)
    if matches(a, "delete"):
        return iplink_modify(ctx, "del", set(), rest)
    if matches(a, "show") or matches(a, "lst") or matches(a, "list"):
        return Lister(ctx, opts, True).list_flush(rest, "list")
    if matches(a, "xstats") or matches(a, "afstats") or matches(a, "property"):
        ctx.fail(f'vnetlab: "ip link {a}" is not emulated yet', 1)
    if matches(a, "help"):
        return do_help(ctx, rest)
    ctx.fail(f'Command "{a}" is unknown, try "ip link help".', 255)
    return 255


__all__ = ["run", "iplink_parse", "LinkArgs", "KIND_PARSERS", "KIND_PRINTERS",
           "SLAVE_PRINTERS"]
