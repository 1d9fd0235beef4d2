"""IPv4 per-device state: addresses and the net.ipv4.conf sysctls (kernel-spec §10.1).

* Addresses (net/ipv4/devinet.c: __inet_insert_ifa): an address whose subnet (same mask) already
  has a primary on the device becomes SECONDARY; the same local+mask twice is EEXIST
  ("ipv4: Address already assigned."); primaries are kept before secondaries.
* Conf: every device starts with a copy of ``default``; writing ``default`` also rewrites the
  devices whose key was never written (SYS-00); writing ``all.forwarding`` (= ip_forward) rewrites
  every device and ``default`` (SYS-00b). Effective values combine ``all`` and the device by the
  kernel's MAXCONF / ORCONF / ANDCONF macros.
"""

from __future__ import annotations

# Scopes (rtnetlink.h)
RT_SCOPE_UNIVERSE = 0
RT_SCOPE_SITE = 200
RT_SCOPE_LINK = 253
RT_SCOPE_HOST = 254
RT_SCOPE_NOWHERE = 255

# ifa_flags
IFA_F_SECONDARY = 0x01
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

# The fresh-netns values read off the host kernel (tests/golden/host-6.18/...).
CONF_DEFAULTS = {
    "accept_local": 0, "accept_redirects": 1, "accept_source_route": 1, "arp_accept": 0,
    "arp_announce": 0, "arp_evict_nocarrier": 1, "arp_filter": 0, "arp_ignore": 0,
    "arp_notify": 0, "bc_forwarding": 0, "bootp_relay": 0, "disable_policy": 0,
    "disable_xfrm": 0, "drop_gratuitous_arp": 0, "drop_unicast_in_l2_multicast": 0,
    "force_igmp_version": 0, "forwarding": 0, "igmpv2_unsolicited_report_interval": 10000,
    "igmpv3_unsolicited_report_interval": 1000, "ignore_routes_with_linkdown": 0,
    "log_martians": 0, "mc_forwarding": 0, "medium_id": 0, "promote_secondaries": 0,
    "proxy_arp": 0, "proxy_arp_pvlan": 0, "route_localnet": 0, "rp_filter": 0,
    "secure_redirects": 1, "send_redirects": 1, "shared_media": 1, "src_valid_mark": 0,
    "tag": 0,
}
# net.ipv4.conf.all starts like default except accept_source_route
CONF_ALL_DEFAULTS = dict(CONF_DEFAULTS, accept_source_route=0)
# read-only keys
CONF_READONLY = {"mc_forwarding"}

MAXCONF = {"arp_ignore", "arp_announce", "rp_filter", "arp_accept", "arp_notify"}
ORCONF = {"arp_filter", "accept_local", "proxy_arp", "shared_media", "log_martians",
          "src_valid_mark", "route_localnet", "send_redirects", "promote_secondaries",
          "drop_unicast_in_l2_multicast", "drop_gratuitous_arp", "ignore_routes_with_linkdown",
          "proxy_arp_pvlan", "bootp_relay", "accept_source_route"}
ANDCONF = {"bc_forwarding", "arp_evict_nocarrier", "disable_policy", "disable_xfrm"}


class IfAddr:
    """struct in_ifaddr. Addresses are ints (host order) for speed."""

    __slots__ = ("dev", "local", "address", "prefixlen", "mask", "broadcast", "scope", "flags",
                 "label", "valid_lft", "preferred_lft", "rt_priority", "cstamp", "tstamp", "proto")

    def __init__(self, dev, local: int, prefixlen: int, address: int | None = None,
                 broadcast: int = 0, scope: int = RT_SCOPE_UNIVERSE, label: str | None = None,
                 flags: int = IFA_F_PERMANENT, valid_lft: int = INFINITY_LIFE_TIME,
                 preferred_lft: int = INFINITY_LIFE_TIME, rt_priority: int = 0, proto: int = 0):
        self.dev = dev
        self.local = local
        self.address = local if address is None else address
        self.prefixlen = prefixlen
        self.mask = prefix_mask(prefixlen)
        self.broadcast = broadcast
        self.scope = scope
        self.flags = flags
        self.label = label if label is not None else dev.name
        self.valid_lft = valid_lft
        self.preferred_lft = preferred_lft
        self.rt_priority = rt_priority
        self.cstamp = 0
        self.tstamp = 0
        self.proto = proto

    @property
    def secondary(self) -> bool:
        return bool(self.flags & IFA_F_SECONDARY)

    @property
    def prefix(self) -> int:
        return self.address & self.mask

    def match(self, addr: int) -> bool:
        """inet_ifa_match(): ``addr`` is inside this address's prefix."""
        return not ((addr ^ self.address) & self.mask)

    def __repr__(self) -> str:
        from ..wire.ipv4 import from_int, ntoa
        return f"<IfAddr {ntoa(from_int(self.local))}/{self.prefixlen} on {self.dev.name}>"


def prefix_mask(plen: int) -> int:
    return (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF if plen else 0


class InDevice:
    """struct in_device: the device's IPv4 addresses and conf (hashed by identity)."""

    __slots__ = ("dev", "ifa_list", "conf", "conf_set", "mc_list", "rcache")

    def __init__(self, dev, default_conf: dict):
        self.dev = dev
        self.ifa_list: list[IfAddr] = []
        self.conf = dict(default_conf)
        self.conf_set: set[str] = set()
        self.mc_list: list[int] = []
        self.rcache: dict = {}   # daddr -> input route entry (owned by the IPv4 layer)

    def primaries(self):
        return [a for a in self.ifa_list if not a.flags & IFA_F_SECONDARY]

    def find(self, local: int, prefixlen: int | None = None) -> IfAddr | None:
        for a in self.ifa_list:
            if a.local == local and (prefixlen is None or a.prefixlen == prefixlen):
                return a
        return None


def effective(ipv4, in_dev: InDevice, key: str) -> int:
    """IN_DEV_CONF with the all/device combination of include/linux/inetdevice.h."""
    a = ipv4.conf_all[key]
    d = in_dev.conf[key]
    if key in MAXCONF:
        return a if a > d else d
    if key in ORCONF:
        return 1 if (a or d) else 0
    if key in ANDCONF:
        return 1 if (a and d) else 0
    return d
