"""IPv6 per-device state and its configuration values (net/ipv6/addrconf.c, include/net/if_inet6.h).

* ``DEVCONF_DEFAULTS``: ``net.ipv6.conf.default.*`` of a fresh netns, by sysctl file name, as the
  files print them (seconds for router_solicitation_*, ms for *_interval in MLD). ``all`` differs
  only in ``accept_dad`` (0). addrconf_init_net(): with net.core.devconf_inherit_init_net = 0 (the
  default) a new netns starts from these compiled-in values, not from init_net's current ones
  (unlike IPv4's devinet_init_net).
* ``Inet6Dev`` (the kernel's inet6_dev, ``dev.ip6``): created at NETDEV_REGISTER when the MTU is at
  least 1280 (ipv6_add_dev) with a copy of ``default``; NOARP and loopback devices get
  accept_dad = -1; loopback, tunnels and ARPHRD_NONE devices get use_tempaddr = -1.
* ``Inet6Ifaddr``: one address; ``scope`` is the rtnetlink scope (0 global, 200 site, 253 link,
  254 host); ``flags`` the IFA_F_* bits; lifetimes in seconds, 0xFFFFFFFF = forever.
* Stable-privacy identifiers (RFC 7217, ipv6_generate_stable_address): one SHA-1 *compression* of
  one 64-byte block (secret, prefix, perm_addr, dad_count), the first two digest words, as the
  kernel's sha1_transform() leaves them (host byte order, little endian here).
"""

from __future__ import annotations

import struct

# IFA_F_* (include/uapi/linux/if_addr.h)
IFA_F_SECONDARY = 0x01
IFA_F_TEMPORARY = IFA_F_SECONDARY
IFA_F_NODAD = 0x02
IFA_F_OPTIMISTIC = 0x04
IFA_F_DADFAILED = 0x08
IFA_F_HOMEADDRESS = 0x10
IFA_F_DEPRECATED = 0x20
IFA_F_TENTATIVE = 0x40
IFA_F_PERMANENT = 0x80
IFA_F_MANAGETEMPADDR = 0x100
IFA_F_NOPREFIXROUTE = 0x200
IFA_F_MCAUTOJOIN = 0x400
IFA_F_STABLE_PRIVACY = 0x800

INFINITY_LIFE_TIME = 0xFFFFFFFF

# rtnetlink scopes
RT_SCOPE_UNIVERSE = 0
RT_SCOPE_SITE = 200
RT_SCOPE_LINK = 253
RT_SCOPE_HOST = 254

# inet6_dev if_flags
IF_RA_OTHERCONF = 0x80
IF_RA_MANAGED = 0x40
IF_RA_RCVD = 0x20
IF_RS_SENT = 0x10
IF_READY = 0x80000000

# addr_gen_mode
IN6_ADDR_GEN_MODE_EUI64 = 0
IN6_ADDR_GEN_MODE_NONE = 1
IN6_ADDR_GEN_MODE_STABLE_PRIVACY = 2
IN6_ADDR_GEN_MODE_RANDOM = 3
ADDR_GEN_MODE_NAMES = ("eui64", "none", "stable_secret", "random")

# ifaddr states
PREDAD, DAD, POSTDAD, ERRDAD, DEAD = "PREDAD", "DAD", "POSTDAD", "ERRDAD", "DEAD"

# net.ipv6.conf.default.* in a fresh netns (host 6.18; tests/golden/host-6.18/ipv6-ip/
# sysctl-ipv6-fresh-netns.txt). stable_secret is kept apart (Inet6Dev.stable_secret).
DEVCONF_DEFAULTS = {
    "accept_dad": 1, "accept_ra": 1, "accept_ra_defrtr": 1, "accept_ra_from_local": 0,
    "accept_ra_min_hop_limit": 1, "accept_ra_min_lft": 0, "accept_ra_mtu": 1,
    "accept_ra_pinfo": 1, "accept_ra_rt_info_max_plen": 0, "accept_ra_rt_info_min_plen": 0,
    "accept_ra_rtr_pref": 1, "accept_redirects": 1, "accept_source_route": 0,
    "accept_untracked_na": 0, "addr_gen_mode": 0, "autoconf": 1, "dad_transmits": 1,
    "disable_ipv6": 0, "disable_policy": 0, "drop_unicast_in_l2_multicast": 0,
    "drop_unsolicited_na": 0, "enhanced_dad": 1, "force_forwarding": 0, "force_mld_version": 0,
    "force_tllao": 0, "forwarding": 0, "hop_limit": 64, "ignore_routes_with_linkdown": 0,
    "ioam6_enabled": 0, "ioam6_id": 65535, "ioam6_id_wide": 4294967295, "keep_addr_on_down": 0,
    "max_addresses": 16, "max_desync_factor": 600, "mc_forwarding": 0,
    "mldv1_unsolicited_report_interval": 10000, "mldv2_unsolicited_report_interval": 1000,
    "mtu": 1280, "ndisc_evict_nocarrier": 1, "ndisc_notify": 0, "ndisc_tclass": 0,
    "optimistic_dad": 0, "proxy_ndp": 0, "ra_defrtr_metric": 1024, "ra_honor_pio_life": 0,
    "ra_honor_pio_pflag": 0, "regen_max_retry": 3, "regen_min_advance": 2,
    "router_probe_interval": 60, "router_solicitation_delay": 1,
    "router_solicitation_interval": 4, "router_solicitation_max_interval": 3600,
    "router_solicitations": -1, "rpl_seg_enabled": 0, "seg6_enabled": 0, "seg6_require_hmac": 0,
    "suppress_frag_ndisc": 1, "temp_prefered_lft": 86400, "temp_valid_lft": 604800,
    "use_oif_addrs_only": 0, "use_optimistic": 0, "use_tempaddr": 0,
}
DEVCONF_ALL_DEFAULTS = dict(DEVCONF_DEFAULTS, accept_dad=0)
DEVCONF_READONLY = frozenset(("mc_forwarding",))
DEVCONF_KEYS = tuple(sorted(list(DEVCONF_DEFAULTS) + ["stable_secret"]))

# net.ipv6.* (not per device) in a fresh netns
NET_SYSCTL_DEFAULTS = {
    "anycast_src_echo_reply": 0, "auto_flowlabels": 1, "bindv6only": 0,
    "fib_multipath_hash_fields": 7, "fib_multipath_hash_policy": 0,
    "fib_notify_on_flag_change": 0, "flowlabel_consistency": 1, "flowlabel_reflect": 0,
    "flowlabel_state_ranges": 0, "fwmark_reflect": 0, "icmp.echo_ignore_all": 0,
    "icmp.echo_ignore_anycast": 0, "icmp.echo_ignore_multicast": 0,
    "icmp.error_anycast_as_unicast": 0, "icmp.ratelimit": 100, "icmp.ratemask": "0-1,3-127",
    "idgen_delay": 1, "idgen_retries": 3, "ioam6_id": 16777215, "ioam6_id_wide": 72057594037927935, "ip6frag_high_thresh": 4194304, "ip6frag_low_thresh": 3145728,
    "ip6frag_time": 60, "ip_nonlocal_bind": 0, "max_dst_opts_length": 2147483647,
    "max_dst_opts_number": 8, "max_hbh_length": 2147483647, "max_hbh_opts_number": 8,
    "route.gc_elasticity": 9, "route.gc_interval": 30, "route.gc_min_interval": 0,
    "route.gc_min_interval_ms": 500, "route.gc_thresh": 1024, "route.gc_timeout": 60,
    "route.max_size": 2147483647, "route.min_adv_mss": 1220, "route.mtu_expires": 600,
    "route.skip_notify_on_dev_down": 0, "seg6_flowlabel": 0, "xfrm6_gc_thresh": 32768,
}


class Inet6Ifaddr:
    """One IPv6 address of a device (struct inet6_ifaddr)."""

    __slots__ = ("addr", "prefix_len", "scope", "flags", "valid_lft", "prefered_lft", "state",
                 "dev", "idev", "dad_probes", "dad_nonce", "dad_timer", "cstamp", "tstamp",
                 "rt", "proto", "dad_count")

    def __init__(self, idev, addr: bytes, prefix_len: int, scope: int, flags: int,
                 valid_lft: int = INFINITY_LIFE_TIME, prefered_lft: int = INFINITY_LIFE_TIME,
                 now: int = 0, proto: int = 0):
        self.addr = addr
        self.prefix_len = prefix_len
        self.scope = scope
        self.flags = flags
        self.valid_lft = valid_lft
        self.prefered_lft = prefered_lft
        self.state = PREDAD
        self.idev = idev
        self.dev = idev.dev
        self.dad_probes = 0
        self.dad_nonce = 0
        self.dad_timer = None
        self.cstamp = now
        self.tstamp = now
        self.rt = None          # the local route (RTN_LOCAL) once inserted
        self.proto = proto
        self.dad_count = 0

    @property
    def tentative(self) -> bool:
        return bool(self.flags & IFA_F_TENTATIVE)

    def __repr__(self) -> str:
        from ..wire.ipv6 import ntoa
        return f"<Inet6Ifaddr {ntoa(self.addr)}/{self.prefix_len} dev {self.dev.name} flags {self.flags:#x}>"


class Inet6Dev:
    """struct inet6_dev: ``dev.ip6``."""

    __slots__ = ("dev", "cnf", "addr_list", "mc_list", "mc_tomb", "if_flags", "rs_probes",
                 "rs_interval", "rs_timer", "mc_ifc_count", "mc_ifc_timer", "mc_dad_count",
                 "mc_dad_timer", "mc_qrv", "stable_secret", "dead", "rndid_secret", "tstamp",
                 "nd_parms")

    def __init__(self, dev, default: dict, stable_secret: bytes | None = None):
        self.dev = dev
        self.cnf = dict(default)
        self.addr_list: list[Inet6Ifaddr] = []
        self.mc_list: list = []       # [group, users, flags, crcount], newest first
        self.mc_tomb: list = []       # [group, crcount]: left groups still to report
        self.if_flags = 0
        self.rs_probes = 0
        self.rs_interval = 0
        self.rs_timer = None
        self.mc_ifc_count = 0
        self.mc_ifc_timer = None
        self.mc_dad_count = 0
        self.mc_dad_timer = None
        self.mc_qrv = 2               # MLD_QRV_DEFAULT
        self.stable_secret = stable_secret
        self.dead = False
        self.rndid_secret = None      # addr_gen_mode random: the per-device random secret
        self.tstamp = 0
        self.nd_parms: dict = {}

    def __repr__(self) -> str:
        return f"<Inet6Dev {self.dev.name}>"


# -- interface identifiers ---------------------------------------------------------------------

def eui48_ifid(mac: bytes, dev_id: int = 0) -> bytes:
    """addrconf_ifid_eui48(): ff:fe in the middle (or the dev_id), universal/local bit flipped."""
    mid = bytes(((dev_id >> 8) & 0xFF, dev_id & 0xFF)) if dev_id else b"\xff\xfe"
    return bytes((mac[0] ^ 2,)) + mac[1:3] + mid + mac[3:6]


def _v4_special(a: int) -> bool:
    return ((a >> 24) == 0 or (a >> 24) == 10 or (a >> 24) == 127 or (a >> 16) == 0xA9FE
            or (a >> 20) == 0xAC1 or (a >> 8) == 0xC00002 or (a >> 8) == 0xC05863
            or (a >> 16) == 0xC0A8 or (a >> 17) == 0x6309 or (a >> 28) == 0xE
            or a == 0xFFFFFFFF)


def isatap_ifid(v4: bytes) -> bytes | None:
    """__ipv6_isatap_ifid(): ipip/gre tunnels, from the local IPv4 address (None for 0.0.0.0)."""
    a = int.from_bytes(v4, "big")
    if a == 0:
        return None
    return bytes((0x00 if _v4_special(a) else 0x02, 0, 0x5E, 0xFE)) + v4


# -- SHA-1 compression (sha1_transform) -------------------------------------------------------

def _rol(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF


def sha1_transform(block: bytes) -> tuple:
    """One SHA-1 compression of a 64-byte block from the standard initial state (no padding):
    the five digest words."""
    w = list(struct.unpack("!16I", block))
    for i in range(16, 80):
        w.append(_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1))
    h = (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0)
    a, b, c, d, e = h
    for i in range(80):
        if i < 20:
            f, k = (b & c) | (~b & d), 0x5A827999
        elif i < 40:
            f, k = b ^ c ^ d, 0x6ED9EBA1
        elif i < 60:
            f, k = (b & c) | (b & d) | (c & d), 0x8F1BBCDC
        else:
            f, k = b ^ c ^ d, 0xCA62C1D6
        a, b, c, d, e = ((_rol(a, 5) + (f & 0xFFFFFFFF) + e + k + w[i]) & 0xFFFFFFFF, a,
                         _rol(b, 30), c, d)
    return tuple((x + y) & 0xFFFFFFFF for x, y in zip(h, (a, b, c, d, e)))


def _reserved_ifid(iid: bytes) -> bool:
    """ipv6_reserved_interfaceid(): all-zero, ISATAP-looking, or the reserved anycast range."""
    if iid == b"\x00" * 8:
        return True
    if iid[1:4] == b"\x00\x5e\xfe" and iid[0] & 0xFD == 0:
        return True
    return iid[:7] == b"\xfd\xff\xff\xff\xff\xff\xff" and iid[7] >= 0x80


def stable_ifid(secret: bytes, prefix8: bytes, perm_addr: bytes, dad_count: int) -> bytes:
    """The interface id of ipv6_generate_stable_address() for one dad_count."""
    hw = (perm_addr + b"\x00" * 32)[:32]
    block = (secret + prefix8 + hw + bytes((dad_count & 0xFF,))).ljust(64, b"\x00")
    d = sha1_transform(block)
    return d[0].to_bytes(4, "little") + d[1].to_bytes(4, "little")
