"""tcpdump 4.99's packet printers (``print-ether.c``, ``print-arp.c``, ``print-ip.c``,
``print-icmp.c``, ``print-udp.c``, ``print-tcp.c``, ``print-vxlan.c``, ``print-http.c``,
``print-ascii.c``, ``util-print.c``, ``addrtoname.c``) for the non-verbose modes: one line per
frame, exactly as the real tool writes it, with ``-e``, ``-n``, ``-q``, ``-S``, ``-t...``,
``-x``/``-xx``/``-X``/``-XX`` and ``-#``.

One function per C function (same names). Frames are ``bytes``; every printer appends to
``ndo.out``. A printer that runs off the captured bytes raises ``Trunc``, which
``pretty_print_packet`` turns into tcpdump's `` [|proto]`` marker.

Decoded: Ethernet (802.1Q/802.1ad tags), ARP/RARP, IPv4 (+IP-in-IP), ICMP, UDP, TCP (flags,
relative sequence numbers, options), VXLAN (UDP 4789, inner frame) and the first line of HTTP
(TCP 80/8080), IPv6 (``print-ip6.c``: extension headers HBH/DSTOPT/fragment, ``-v`` header
fields) and ICMPv6 (``print-icmp6.c``: echo, errors, NDP with ``-v`` options, MLDv1/v2, ``-v``
checksum). [EMU] Not ported: -v decoding of IPv4/UDP/TCP, the application decoders of other well-known ports (DNS, DHCP, NTP, ...: those packets print as
plain ``UDP, length N`` / TCP), 802.3/LLC frames (hex dump).

Name resolution without ``-n`` goes through ``Resolver`` (``/etc/hosts``, ``/etc/services``,
``/etc/protocols``, as glibc's ``files`` backend reads them); DNS is never queried.
"""

from __future__ import annotations

import struct
import time

from vnetlab.wire.ipv6 import aton as _ip6_aton, ntoa as _ip6_ntoa

# -- tables ---------------------------------------------------------------------------------------

ETHERTYPES = {
    0x0800: "IPv4", 0x8847: "MPLS unicast", 0x8848: "MPLS multicast", 0x86DD: "IPv6",
    0x8100: "802.1Q", 0x9100: "802.1Q-9100", 0x88A8: "802.1Q-QinQ", 0x9200: "802.1Q-9200",
    0x88E5: "802.1AE MACsec", 0x0200: "PUP", 0x0806: "ARP", 0x8035: "Reverse ARP",
    0x0600: "NS", 0x0500: "Sprite", 0x1000: "Trail", 0x6001: "MOP DL", 0x6002: "MOP RC",
    0x6003: "DN", 0x6004: "LAT", 0x6007: "SCA", 0x6558: "TEB", 0x8038: "Lanbridge",
    0x803C: "DEC DNS", 0x803E: "DEC DTS", 0x805B: "VEXP", 0x805C: "VPROD", 0x809B: "Appletalk",
    0x80F3: "Appletalk ARP", 0x8137: "IPX", 0x880B: "PPP", 0x8808: "MPCP",
    0x8809: "Slow Protocols", 0x8863: "PPPoE D", 0x8864: "PPPoE S", 0x888E: "EAPOL",
    0x8899: "Realtek protocols", 0x886F: "MS NLB heartbeat", 0x8870: "Jumbo", 0x894F: "NSH",
    0x9000: "Loopback", 0xFEFE: "OSI", 0x00FE: "GRE-OSI", 0xABCD: "CFM (old)", 0x8902: "CFM",
    0x893A: "IEEE1905.1", 0x88CC: "LLDP", 0x88CA: "TIPC", 0x0707: "GeoNet (old)",
    0x8947: "GeoNet", 0x1111: "CALM FAST", 0x88A2: "AoE", 0x88F7: "PTP",
    0xD28B: "Arista Vendor Specific Protocol",
}
VLAN_TYPES = (0x8100, 0x9100, 0x9200, 0x88A8)

OUI_VALUES = {
    0x000000: "Ethernet", 0x00000C: "Cisco", 0x00005E: "IANA", 0x000081: "Nortel Networks SONMP",
    0x0000F8: "Cisco bridged", 0x0080C2: "Ethernet bridged", 0x00A03E: "ATM Forum",
    0x00E02F: "DOCSIS Spanning Tree", 0x080007: "Appletalk", 0x009069: "Juniper",
    0x080009: "Hewlett-Packard", 0x00120F: "IEEE 802.3 Private", 0x0012BB: "ANSI/TIA",
    0x001B21: "DCBX", 0x002320: "Nicira Networks", 0x5C16C7: "Big Switch Networks",
    0xB0D2F5: "Vello Systems", 0x002481: "HP", 0x0004EA: "HP-Labs", 0x748771: "Infoblox Inc",
    0xA42305: "Open Networking Lab", 0x00049F: "Freescale", 0x0015AD: "Netronome",
    0x001018: "Broadcom", 0x00E004: "PMC-Sierra", 0xD0F0DB: "Ericsson",
}

ARPOPS = {1: "Request", 2: "Reply", 3: "Reverse Request", 4: "Reverse Reply",
          8: "Inverse Request", 9: "Inverse Reply", 10: "NACK Reply"}
ARPHRDS = {1: "Ethernet", 6: "TokenRing", 7: "ArcNet", 15: "FrameRelay", 23: "Strip",
           24: "IEEE 1394", 19: "ATM", 32: "InfiniBand"}

ICMP2STR = {0: "echo reply", 4: "source quench", 8: "echo request", 10: "router solicitation",
            13: "time stamp request", 14: "time stamp reply", 15: "information request",
            16: "information reply", 17: "address mask request"}

TCP_FLAGS = ((0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "."), (0x20, "U"),
             (0x40, "E"), (0x80, "W"))
TCP_OPTIONS = {0: "eol", 1: "nop", 2: "mss", 3: "wscale", 4: "sackOK", 5: "sack", 6: "echo",
               7: "echoreply", 8: "TS", 11: "cc", 12: "ccnew", 13: "", 19: "md5", 20: "scps",
               28: "uto", 29: "tcp-ao", 30: "mptcp", 34: "tfo", 254: "exp"}

HTTP_CMDS = ("GET", "PUT", "COPY", "HEAD", "LOCK", "MOVE", "POLL", "POST", "BCOPY", "BMOVE",
             "MKCOL", "TRACE", "LABEL", "MERGE", "DELETE", "SEARCH", "UNLOCK", "REPORT",
             "UPDATE", "NOTIFY", "BDELETE", "CONNECT", "OPTIONS", "CHECKIN", "PROPFIND",
             "CHECKOUT", "CCM_POST", "SUBSCRIBE", "PROPPATCH", "BPROPFIND", "BPROPPATCH",
             "UNCHECKOUT", "MKACTIVITY", "MKWORKSPACE", "UNSUBSCRIBE", "RPC_CONNECT",
             "VERSION-CONTROL", "BASELINE-CONTROL")

IPPROTO_ICMP, IPPROTO_IPV4, IPPROTO_TCP, IPPROTO_UDP = 1, 4, 6, 17
IPPROTO_HOPOPTS, IPPROTO_IPV6, IPPROTO_ROUTING, IPPROTO_FRAGMENT = 0, 41, 43, 44
IPPROTO_ICMPV6, IPPROTO_DSTOPTS = 58, 60
IPPROTO_DCCP, IPPROTO_SCTP = 33, 132
MAXIMUM_SNAPLEN = 262144


class Trunc(Exception):
    """A printer ran past the captured bytes (nd_trunc_longjmp())."""


class Resolver:
    """glibc's ``files`` backend: /etc/hosts, /etc/services, /etc/protocols (read once)."""

    def __init__(self, root: str = "/etc"):
        self.root = root
        self._hosts = self._services = self._protocols = None

    def _lines(self, name: str):
        try:
            with open(f"{self.root}/{name}") as f:      # the command layer may read files
                for line in f:
                    fields = line.split("#", 1)[0].split()
                    if fields:
                        yield fields
        except OSError:
            return

    def host(self, addr: bytes) -> str | None:
        if self._hosts is None:
            self._hosts = {}
            for fields in self._lines("hosts"):
                try:
                    a = (_ip6_aton(fields[0]) if ":" in fields[0] else
                         bytes(int(x) for x in fields[0].split(".")))
                except ValueError:
                    continue
                if len(a) in (4, 16) and len(fields) > 1:
                    self._hosts.setdefault(a, fields[1])
        return self._hosts.get(bytes(addr))

    def service(self, port: int, proto: str) -> str | None:
        if self._services is None:
            self._services = {}
            for fields in self._lines("services"):
                if len(fields) < 2 or "/" not in fields[1]:
                    continue
                num, _, pr = fields[1].partition("/")
                if (num.isascii() and num.isdigit()):
                    self._services.setdefault((int(num), pr), fields[0])
        return self._services.get((port, proto))

    def protocol(self, num: int) -> str | None:
        if self._protocols is None:
            self._protocols = {}
            for fields in self._lines("protocols"):
                if len(fields) >= 2 and (fields[1].isascii() and fields[1].isdigit()):
                    self._protocols.setdefault(int(fields[1]), fields[0])
        return self._protocols.get(num)


class Ndo:
    """netdissect_options: the flags that change the text, plus per-capture state (the TCP
    sequence-number table, the name caches)."""

    def __init__(self, eflag: int = 0, nflag: int = 0, qflag: int = 0, Sflag: int = 0,
                 tflag: int = 0, xflag: int = 0, Xflag: int = 0, packet_number: bool = False,
                 vflag: int = 0, resolver: Resolver | None = None, utc: bool = False):
        self.eflag, self.nflag, self.qflag, self.Sflag = eflag, nflag, qflag, Sflag
        self.tflag, self.xflag, self.Xflag, self.vflag = tflag, xflag, Xflag, vflag
        self.suppress_default_print = bool(qflag or xflag or Xflag)
        self.packet_number = packet_number
        self.resolver = resolver or Resolver()
        self.utc = utc                    # format default timestamps in UTC, not local time
        self.out: list[str] = []
        self.protocol = ""
        self.ll_hdr_len = 0
        self.tcp_seq: dict = {}
        self._enames: dict = {}
        self._hnames: dict = {}
        self.tv_ref = None                # ts_print()'s static reference (-ttt / -ttttt)

    def p(self, s: str) -> None:
        self.out.append(s)


# -- util-print.c / addrtoname.c ---------------------------------------------------------------

def ts_print(ndo: Ndo, sec: int, usec: int) -> None:
    """util-print.c: ts_print()."""
    t = ndo.tflag
    if t == 0:
        ndo.p(_hmsfrac(sec, usec, with_date=False, utc=ndo.utc) + " ")
    elif t == 1:
        pass
    elif t == 2:
        ndo.p(f"{sec & 0xFFFFFFFF}.{usec:06d} ")
    elif t in (3, 5):
        if ndo.tv_ref is None or ndo.tv_ref == (0, 0):
            ndo.tv_ref = (sec, usec)
        rs, ru = ndo.tv_ref
        d = (sec * 1_000_000 + usec) - (rs * 1_000_000 + ru)
        neg = d < 0
        d = abs(d)
        ndo.p(("-" if neg else " ") + _hmsfrac(d // 1_000_000, d % 1_000_000, False, True) + " ")
        if t == 3:
            ndo.tv_ref = (sec, usec)
    elif t == 4:
        ndo.p(_hmsfrac(sec, usec, with_date=True, utc=ndo.utc) + " ")


def _hmsfrac(sec: int, usec: int, with_date: bool, utc: bool) -> str:
    """ts_date_hmsfrac_format()."""
    tm = time.gmtime(sec) if utc else time.localtime(sec)
    fmt = "%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S"
    return time.strftime(fmt, tm) + f".{usec:06d}"


def etheraddr_string(ndo: Ndo, mac: bytes) -> str:
    """addrtoname.c: etheraddr_string(): ``Broadcast`` and ``(oui ...)`` without -n."""
    mac = bytes(mac)
    got = ndo._enames.get(mac)
    if got is not None:
        return got
    s = ":".join(f"{b:02x}" for b in mac)
    if not ndo.nflag:
        if mac == b"\xff" * 6:
            s = "Broadcast"
        else:
            oui = int.from_bytes(mac[:3], "big")
            s += f" (oui {OUI_VALUES.get(oui, 'Unknown')})"
    ndo._enames[mac] = s
    return s


def ipaddr_string(ndo: Ndo, addr: bytes) -> str:
    """addrtoname.c: ipaddr_string() / ip6addr_string() (gethostbyaddr() without -n; files
    only)."""
    addr = bytes(addr)
    got = ndo._hnames.get(addr)
    if got is not None:
        return got
    name = None if ndo.nflag else ndo.resolver.host(addr)
    s = name or (_ip6_ntoa(addr) if len(addr) == 16 else ".".join(str(b) for b in addr))
    ndo._hnames[addr] = s
    return s


def port_string(ndo: Ndo, port: int, proto: str) -> str:
    """tcpport_string() / udpport_string()."""
    if not ndo.nflag:
        name = ndo.resolver.service(port, proto)
        if name:
            return name
    return str(port)


def hex_and_ascii_print(ndo: Ndo, ident: str, data: bytes, oset: int = 0) -> None:
    """print-ascii.c: hex_and_ascii_print_with_offset()."""
    for i in range(0, len(data), 16):
        chunk = data[i:i + 16]
        hexs = "".join(f" {chunk[j]:02x}{chunk[j + 1]:02x}" if j + 1 < len(chunk)
                       else f" {chunk[j]:02x}" for j in range(0, len(chunk), 2))
        asc = "".join(chr(b) if 0x21 <= b <= 0x7E else "." for b in chunk)
        ndo.p(f"{ident}0x{oset + i:04x}: {hexs:<40}  {asc}")


def hex_print(ndo: Ndo, ident: str, data: bytes, oset: int = 0) -> None:
    """print-ascii.c: hex_print_with_offset()."""
    for i in range(0, len(data), 16):
        chunk = data[i:i + 16]
        hexs = "".join(f" {chunk[j]:02x}{chunk[j + 1]:02x}" if j + 1 < len(chunk)
                       else f" {chunk[j]:02x}" for j in range(0, len(chunk), 2))
        ndo.p(f"{ident}0x{oset + i:04x}: {hexs}")


def _need(data: bytes, end: int) -> None:
    if end > len(data):
        raise Trunc()


# -- print.c --------------------------------------------------------------------------------------

def pretty_print_packet(ndo: Ndo, sec: int, usec: int, data: bytes, length: int,
                        number: int = 0) -> str:
    """print.c: pretty_print_packet() for DLT_EN10MB; returns the text, final newline
    included."""
    ndo.out = []
    if ndo.packet_number:
        ndo.p(f"{number:5d}  ")
    caplen = len(data)
    bad = []
    if caplen == 0:
        bad.append("[Invalid header: caplen==0")
    if length == 0:
        bad.append(" len==0" if bad else "[Invalid header: len==0")
    elif length < caplen:
        bad.append(("," if bad else "[Invalid header:") + f" len({length}) < caplen({caplen})")
    if bad:
        ndo.p("".join(bad) + "]\n")
        return "".join(ndo.out)
    ts_print(ndo, sec, usec)
    ndo.protocol = ""
    ndo.ll_hdr_len = 0
    try:
        ether_if_print(ndo, data, length)
    except Trunc:
        ndo.p(f" [|{ndo.protocol}]")
        ndo.ll_hdr_len = 0
    hdrlen = ndo.ll_hdr_len
    if ndo.Xflag:
        if ndo.Xflag > 1:
            hex_and_ascii_print(ndo, "\n\t", data)
        elif caplen > hdrlen:
            hex_and_ascii_print(ndo, "\n\t", data[hdrlen:])
    elif ndo.xflag:
        if ndo.xflag > 1:
            hex_print(ndo, "\n\t", data)
        elif caplen > hdrlen:
            hex_print(ndo, "\n\t", data[hdrlen:])
    ndo.p("\n")
    return "".join(ndo.out)


# -- print-ether.c --------------------------------------------------------------------------------

def ether_if_print(ndo: Ndo, data: bytes, length: int) -> None:
    """print-ether.c: ether_if_print()."""
    ndo.ll_hdr_len += ether_common_print(ndo, data, length)


def ether_print(ndo: Ndo, data: bytes, length: int) -> int:
    return ether_common_print(ndo, data, length)


def ether_type_print(ndo: Ndo, t: int) -> None:
    if not ndo.qflag:
        ndo.p(f"ethertype {ETHERTYPES.get(t, 'Unknown')} (0x{t:04x})")
    else:
        ndo.p(ETHERTYPES.get(t, f"Unknown Ethertype (0x{t:04x})"))


def ether_addresses_print(ndo: Ndo, src: bytes, dst: bytes) -> None:
    ndo.p(f"{etheraddr_string(ndo, src)} > {etheraddr_string(ndo, dst)}, ")


def ether_common_print(ndo: Ndo, data: bytes, length: int) -> int:
    """print-ether.c: ether_common_print(); returns the link-layer header length."""
    caplen = len(data)
    ndo.protocol = "ether"
    if length < caplen:
        ndo.p(f"[length {length} < caplen {caplen}] (invalid)")
        return length
    if caplen < 14:
        raise Trunc()
    orig_length = length
    dst, src = data[0:6], data[6:12]
    length -= 12
    p = 12
    hdrlen = 12
    if ndo.eflag:
        ether_addresses_print(ndo, src, dst)
    length_type = struct.unpack_from("!H", data, p)[0]
    length -= 2
    p += 2
    hdrlen += 2
    printed_length = False
    while length_type in VLAN_TYPES:
        if caplen - p < 4 or length < 4:
            ndo.protocol = "vlan"
            raise Trunc()
        if ndo.eflag:
            tag = struct.unpack_from("!H", data, p)[0]
            ether_type_print(ndo, length_type)
            if not printed_length:
                ndo.p(f", length {orig_length}: ")
                printed_length = True
            else:
                ndo.p(", ")
            ndo.p(f"vlan {tag & 0xFFF}, p {tag >> 13}{', DEI' if tag & 0x1000 else ''}, ")
        length_type = struct.unpack_from("!H", data, p + 2)[0]
        p += 4
        length -= 4
        hdrlen += 4
    payload = data[p:]
    if length_type <= 1500:
        if length_type < length:
            length = length_type
            payload = payload[:length]
        if ndo.eflag:
            ndo.p("802.3")
            if not printed_length:
                ndo.p(f", length {length}: ")
        # llc_print() is not ported: the payload as raw data
        if not ndo.suppress_default_print:
            hex_and_ascii_print(ndo, "\n\t", payload)
        return hdrlen
    if ndo.eflag:
        ether_type_print(ndo, length_type)
        ndo.p(f", length {orig_length}: " if not printed_length else ", ")
    if not ethertype_print(ndo, length_type, payload, length):
        if not ndo.eflag:
            ether_addresses_print(ndo, src, dst)
            ether_type_print(ndo, length_type)
            ndo.p(f", length {orig_length}: ")
        if not ndo.suppress_default_print:
            hex_and_ascii_print(ndo, "\n\t", payload)
    return hdrlen


def ethertype_print(ndo: Ndo, t: int, data: bytes, length: int) -> bool:
    """print-ether.c: ethertype_print() for the types ported; False = unknown type."""
    if t == 0x0800:
        ip_print(ndo, data, length)
        return True
    if t in (0x0806, 0x8035):
        arp_print(ndo, data, length)
        return True
    if t == 0x86DD:
        ip6_print(ndo, data, length)
        return True
    return False


# -- print-arp.c ----------------------------------------------------------------------------------

def arp_print(ndo: Ndo, data: bytes, length: int) -> None:
    """print-arp.c: arp_print() (non-verbose)."""
    ndo.protocol = "arp"
    _need(data, 8)
    hrd, pro, hln, pln, op = struct.unpack_from("!HHBBH", data, 0)
    sha = 8
    spa = sha + hln
    tha = spa + pln
    tpa = tha + hln
    _need(data, tpa + pln)
    if not ndo.eflag:
        ndo.p("ARP, ")
    if (pro not in (0x0800, 0x1000)) or pln != 4 or hln == 0 or ndo.vflag:
        ndo.p(f"{ARPHRDS.get(hrd, f'Unknown Hardware ({hrd})')} (len {hln}), "
              f"{ETHERTYPES.get(pro, f'Unknown Protocol (0x{pro:04x})')} (len {pln})")
        if not ndo.vflag:
            ndo.p(f", length {length}")
            return
    ndo.p(f"{', ' if ndo.vflag else ''}{ARPOPS.get(op, f'Unknown ({op})')} ")

    def paddr(off: int) -> str:
        if pro not in (0x0800, 0x1000):
            return "<wrong proto type>"
        if pln != 4:
            return "<wrong len>"
        return ipaddr_string(ndo, data[off:off + 4])

    def laddr(off: int) -> str:
        a = data[off:off + hln]
        if hln == 6 and hrd != 15:
            return etheraddr_string(ndo, a)
        if not a:
            return "<empty>"
        return ":".join(f"{b:02x}" for b in a)

    if op == 1:
        ndo.p("who-has " + paddr(tpa))
        if any(data[tha:tha + hln]):
            ndo.p(f" ({laddr(tha)})")
        ndo.p(" tell " + paddr(spa))
    elif op == 2:
        ndo.p(f"{paddr(spa)} is-at {laddr(sha)}")
    elif op in (3, 8):
        ndo.p(f"who-is {laddr(tha)} tell {laddr(sha)}")
    elif op == 4:
        ndo.p(f"{laddr(tha)} at {paddr(tpa)}")
    elif op == 9:
        ndo.p(f"{laddr(sha)} at {paddr(spa)}")
    else:
        if not ndo.suppress_default_print:
            hex_and_ascii_print(ndo, "\n\t", data)
        return
    ndo.p(f", length {length}")


# -- print-ip.c -----------------------------------------------------------------------------------

def ip_print(ndo: Ndo, data: bytes, length: int) -> None:
    """print-ip.c: ip_print() (non-verbose)."""
    ndo.protocol = "ip"
    _need(data, 1)
    ver = data[0] >> 4
    if ver != 4:
        ndo.p("IP6, wrong link-layer encapsulation" if ver == 6 else f"IP{ver}")
        ndo.p(" (invalid)")
        return
    if not ndo.eflag:
        ndo.p("IP ")
    _need(data, 20)
    if length < 20:
        ndo.p(f"truncated-ip {length}")
        return
    hlen = (data[0] & 0x0F) * 4
    if hlen < 20:
        ndo.p(f"bad-hlen {hlen}")
        return
    ip_len = struct.unpack_from("!H", data, 2)[0]
    if length < ip_len:
        ndo.p(f"truncated-ip - {ip_len - length} bytes missing! ")
    if ip_len < hlen:
        ndo.p(f"bad-len {ip_len}")
        return
    data = data[:ip_len]                      # nd_push_snaplen()
    plen = ip_len - hlen
    off = struct.unpack_from("!H", data, 6)[0]
    proto = data[9]
    src, dst = data[12:16], data[16:20]
    if off & 0x1FFF == 0:
        if proto not in (IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_DCCP):
            ndo.p(f"{ipaddr_string(ndo, src)} > {ipaddr_string(ndo, dst)}: ")
        if len(data) < hlen:
            ndo.p(f" [remaining caplen({len(data)}) < header length({hlen})]")
            raise Trunc()
        ip_demux_print(ndo, data[hlen:], plen, bool(off & 0x2000), proto, data)
    else:
        if ndo.qflag > 1:
            return
        ndo.p(f"{ipaddr_string(ndo, src)} > {ipaddr_string(ndo, dst)}:")
        name = None if ndo.nflag else ndo.resolver.protocol(proto)
        ndo.p(f" {name}" if name else f" ip-proto-{proto}")


def ip_demux_print(ndo: Ndo, bp: bytes, length: int, fragmented: bool, nh: int,
                   iph: bytes) -> None:
    """print-ip-demux.c: ip_demux_print() for the protocols ported."""
    if nh == IPPROTO_TCP:
        tcp_print(ndo, bp, length, iph, fragmented)
    elif nh == IPPROTO_UDP:
        udp_print(ndo, bp, length, iph, fragmented)
    elif nh == IPPROTO_ICMP:
        icmp_print(ndo, bp, length, iph, fragmented)
    elif nh == IPPROTO_IPV4:
        ip_print(ndo, bp, length)
    elif nh == IPPROTO_ICMPV6:
        icmp6_print(ndo, bp, length, iph, fragmented)
    elif nh == IPPROTO_IPV6:
        ip6_print(ndo, bp, length)
    else:
        name = None if ndo.nflag else ndo.resolver.protocol(nh)
        ndo.p(f" {name}" if name else f" ip-proto-{nh}")
        ndo.p(f" {length}")


def _l3(iph: bytes) -> tuple[bytes, bytes, int]:
    """(source, destination, protocol field) of the IPv4 or IPv6 header ``iph`` (the fixed
    IPv6 header's next-header: after extension headers it is not the transport protocol,
    which is what tcpdump's ``ip6_nxt == IPPROTO_UDP`` checks see too)."""
    if iph and iph[0] >> 4 == 6:
        return iph[8:24], iph[24:40], iph[6]
    return iph[12:16], iph[16:20], iph[9]


# -- print-ip6.c, print-ip6opts.c, print-frag6.c --------------------------------------------------

IPPROTO_NAMES = {
    0: "Options", 1: "ICMP", 2: "IGMP", 4: "IPIP", 6: "TCP", 8: "EGP", 9: "IGRP", 17: "UDP",
    33: "DCCP", 41: "IPv6", 43: "Routing", 44: "Fragment", 46: "RSVP", 47: "GRE", 50: "ESP",
    51: "AH", 55: "Mobile IP", 58: "ICMPv6", 62: "Mobile IP (old)", 88: "EIGRP", 89: "OSPF",
    103: "PIM", 108: "Compressed IP", 112: "VRRP", 113: "PGM", 132: "SCTP", 135: "Mobility",
}


def ip6_print(ndo: Ndo, data: bytes, length: int) -> None:
    """print-ip6.c: ip6_print()."""
    ndo.protocol = "ip6"
    if not ndo.eflag:
        ndo.p("IP6 ")
    if length < 40:
        ndo.p(f"truncated-ip6 {length}")
        return
    _need(data, 1)
    if data[0] >> 4 != 6:
        ndo.p(f"version error: {data[0] >> 4} != 6")
        return
    _need(data, 40)
    flow, plen, nh, hlim = struct.unpack_from("!IHBB", data, 0)
    if plen:
        ln = plen + 40
        if length < ln:
            ndo.p(f"truncated-ip6 - {ln - length} bytes missing!")
    else:
        ln = length                 # a jumbogram (or TSO): the captured length
    data = data[:ln]                # nd_push_snaplen()
    if ndo.vflag:
        ndo.p("(")
        if flow & 0x0FF00000:
            ndo.p(f"class 0x{(flow & 0x0FF00000) >> 20:02x}, ")
        if flow & 0x000FFFFF:
            ndo.p(f"flowlabel 0x{flow & 0x000FFFFF:05x}, ")
        ndo.p(f"hlim {hlim}, next-header {IPPROTO_NAMES.get(nh, 'unknown')} ({nh}) "
              f"payload length: {plen}) ")
    iph = data[:40]
    cp = 40
    ln -= 40
    fragmented = False
    if nh not in (IPPROTO_TCP, IPPROTO_UDP, IPPROTO_DCCP, IPPROTO_SCTP):
        ndo.p(f"{ipaddr_string(ndo, data[8:24])} > {ipaddr_string(ndo, data[24:40])}: ")
    while True:
        if nh in (IPPROTO_HOPOPTS, IPPROTO_DSTOPTS):
            ndo.protocol = "hbhopt" if nh == IPPROTO_HOPOPTS else "dstopt"
            _need(data, cp + 2)
            hlen = (data[cp + 1] + 1) << 3
            _need(data, cp + hlen)
            ndo.p("HBH " if nh == IPPROTO_HOPOPTS else "DSTOPT ")
            if ndo.vflag:
                _ip6_opt_print(ndo, data[cp + 2:cp + hlen])
            advance = hlen
        elif nh == IPPROTO_FRAGMENT:
            ndo.protocol = "frag6"
            _need(data, cp + 8)
            offlg, ident = struct.unpack_from("!HI", data, cp + 2)
            flen = plen - (cp - 40) - 8
            off = offlg & 0xFFF8
            if ndo.vflag:
                ndo.p(f"frag (0x{ident:08x}:{off}|{flen})")
            else:
                ndo.p(f"frag ({off}|{flen})")
            if off:
                return
            ndo.p(" ")
            fragmented = True
            advance = 8
        elif nh == IPPROTO_ROUTING:
            ndo.protocol = "srcrt"
            _need(data, cp + 4)
            hlen = (data[cp + 1] + 1) << 3
            ndo.p(f"srcrt (len={data[cp + 1]}, type={data[cp + 2]}, segleft={data[cp + 3]}) ")
            advance = hlen
        elif nh == 59:                                  # IPPROTO_NONE
            ndo.p("no next header")
            return
        else:
            ip_demux_print(ndo, data[cp:], ln, fragmented, nh, iph)
            return
        if ln < advance:
            raise Trunc()
        nh = data[cp]
        cp += advance
        ln -= advance
        if cp >= len(data):
            return


def _ip6_opt_print(ndo: Ndo, opts: bytes) -> None:
    """print-ip6opts.c: ip6_opt_print()."""
    if not opts:
        return
    i = 0
    while i < len(opts):
        t = opts[i]
        if t == 0:
            optlen = 1
        elif i + 1 < len(opts):
            optlen = opts[i + 1] + 2
        else:
            ndo.p("[trunc] ")
            return
        if i + optlen > len(opts):
            ndo.p("[trunc] ")
            return
        if t == 0:
            ndo.p("(pad1)")
        elif t == 1:
            ndo.p("(padn)")
        elif t == 5:
            if opts[i + 1] != 2:
                ndo.p(f"(rtalert: invalid len {opts[i + 1]})")
                ndo.p("[trunc] ")
                return
            ndo.p(f"(rtalert: 0x{struct.unpack_from('!H', opts, i + 2)[0]:04x}) ")
        elif t == 0xC2:
            ndo.p(f"(jumbo: {struct.unpack_from('!I', opts, i + 2)[0]}) ")
        else:
            ndo.p(f"(opt_type 0x{t:02x}: len={opts[i + 1]})")
        i += optlen
    ndo.p(" ")


# -- print-icmp6.c --------------------------------------------------------------------------------

ICMP6_TYPES = {
    1: "destination unreachable", 2: "packet too big", 3: "time exceeded in-transit",
    4: "parameter problem", 128: "echo request", 129: "echo reply",
    130: "multicast listener query", 131: "multicast listener report",
    132: "multicast listener done", 133: "router solicitation", 134: "router advertisement",
    135: "neighbor solicitation", 136: "neighbor advertisement", 137: "redirect",
    138: "router renumbering", 139: "who-are-you request", 140: "who-are-you reply",
    141: "inverse neighbor solicitation", 142: "inverse neighbor advertisement",
    143: "multicast listener report v2", 144: "ha discovery request", 145: "ha discovery reply",
    146: "mobile router solicitation", 147: "mobile router advertisement",
    200: "mtrace resp", 201: "mtrace",
}
ICMP6_UNREACH = {0: "unreachable route", 1: " unreachable prohibited", 2: "beyond scope",
                 3: "unreachable address", 4: "unreachable port"}
ND_OPTS = {1: "source link-address", 2: "destination link-address", 3: "prefix info",
           4: "redirected header", 5: "mtu", 7: "advertisement interval",
           8: "homeagent information", 24: "route info", 25: "rdnss", 31: "dnssl"}
MLDV2_REC = {1: "is_in", 2: "is_ex", 3: "to_in", 4: "to_ex", 5: "allow", 6: "block"}


def _bittok(table, v: int, none: str = "none") -> str:
    names = [n for b, n in table if v & b]
    return ", ".join(names) if names else none


def _lifetime(v: int) -> str:
    return "infinity" if v == 0xFFFFFFFF else f"{v}s"


def _icmp6_cksum_ok(iph: bytes, bp: bytes, length: int) -> int:
    """The ICMPv6 checksum over the pseudo-header: 0 when it verifies."""
    src, dst = iph[8:24], iph[24:40]
    data = src + dst + length.to_bytes(4, "big") + b"\x00\x00\x00\x3a" + bp[:length]
    if len(data) & 1:
        data += b"\x00"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def icmp6_print(ndo: Ndo, bp: bytes, length: int, iph: bytes, fragmented: bool) -> None:
    """print-icmp6.c: icmp6_print() (4.99)."""
    ndo.protocol = "icmp6"
    _need(bp, 4)
    t, code = bp[0], bp[1]
    if ndo.vflag and not fragmented and len(bp) >= length:
        sum_ = _icmp6_cksum_ok(iph, bp, length)
        if sum_:
            got = struct.unpack_from("!H", bp, 2)[0]
            should = _in_cksum_shouldbe(got, sum_)
            ndo.p(f"[bad icmp6 cksum 0x{got:04x} -> 0x{should:04x}!] ")
        else:
            ndo.p("[icmp6 sum ok] ")
    ndo.p(f"ICMP6, {ICMP6_TYPES.get(t, f'unknown icmp6 type ({t})')}")
    if ndo.vflag and t in (133, 134, 135, 136, 137, 145, 147):
        ndo.p(f", length {length}")

    def oip_dst():
        _need(bp, 8 + 40)
        return ipaddr_string(ndo, bp[8 + 24:8 + 40])

    if t == 1:
        _need(bp, 8 + 40)
        ndo.p(f", {ICMP6_UNREACH.get(code, f'unknown unreach code ({code})')}")
        if code in (0, 1, 3):
            ndo.p(f" {oip_dst()}")
        elif code == 2:
            ndo.p(f" {oip_dst()}, source address {ipaddr_string(ndo, bp[16:32])}")
        elif code == 4:
            prot, dport = _get_upperlayer(bp[8:])
            if dport is None:
                raise Trunc()
            if prot == IPPROTO_TCP:
                ndo.p(f", {oip_dst()} tcp port {port_string(ndo, dport, 'tcp')}")
            elif prot == IPPROTO_UDP:
                ndo.p(f", {oip_dst()} udp port {port_string(ndo, dport, 'udp')}")
            else:
                ndo.p(f", {oip_dst()} protocol {bp[8 + 6]} port {dport} unreachable")
        else:
            if ndo.vflag <= 1:
                hex_print(ndo, "\n\t", bp[:length])
                return
    elif t == 2:
        _need(bp, 8)
        ndo.p(f", mtu {struct.unpack_from('!I', bp, 4)[0]}")
    elif t == 3:
        _need(bp, 8 + 40)
        if code == 0:
            ndo.p(f" for {oip_dst()}")
        elif code == 1:
            ndo.p(" (reassembly)")
        else:
            ndo.p(f", unknown code ({code})")
    elif t == 4:
        _need(bp, 8 + 40)
        ptr = struct.unpack_from("!I", bp, 4)[0]
        ndo.p({0: f", erroneous - octet {ptr}", 1: f", next header - octet {ptr}",
               2: f", option - octet {ptr}"}.get(code, f", code-#{code}"))
    elif t in (128, 129):
        _need(bp, 8)
        ident, seq = struct.unpack_from("!HH", bp, 4)
        ndo.p(f", id {ident}, seq {seq}")
    elif t == 130:
        if length == 24:
            _mld6_print(ndo, bp)
        elif length >= 28:
            ndo.p(" v2")
            _mldv2_query_print(ndo, bp, length)
        else:
            ndo.p(f" unknown-version (len {length}) ")
    elif t in (131, 132):
        _mld6_print(ndo, bp)
    elif t == 133:
        if ndo.vflag:
            _icmp6_opt_print(ndo, bp[8:length], length - 8)
    elif t == 134:
        if ndo.vflag:
            _need(bp, 16)
            hl, fl, life, reach, retr = struct.unpack_from("!BBHII", bp, 4)
            pref = ("medium", "high", "rsv", "low")[(fl & 0x18) >> 3]
            flags = _bittok(((0x80, "managed"), (0x40, "other stateful"), (0x20, "home agent"),
                             (0x08, "router preference"), (0x04, "proxy")), fl & ~0x10)
            ndo.p(f"\n\thop limit {hl}, Flags [{flags}], pref {pref}, router lifetime {life}s, "
                  f"reachable time {reach}ms, retrans timer {retr}ms")
            _icmp6_opt_print(ndo, bp[16:length], length - 16)
    elif t == 135:
        _need(bp, 24)
        ndo.p(f", who has {ipaddr_string(ndo, bp[8:24])}")
        if ndo.vflag:
            _icmp6_opt_print(ndo, bp[24:length], length - 24)
    elif t == 136:
        _need(bp, 24)
        ndo.p(f", tgt is {ipaddr_string(ndo, bp[8:24])}")
        if ndo.vflag:
            fl = struct.unpack_from("!I", bp, 4)[0]
            ndo.p(", Flags [" + _bittok(((0x80000000, "router"), (0x40000000, "solicited"),
                                         (0x20000000, "override")), fl) + "]")
            _icmp6_opt_print(ndo, bp[24:length], length - 24)
    elif t == 137:
        _need(bp, 40)
        ndo.p(f", {ipaddr_string(ndo, bp[24:40])} to {ipaddr_string(ndo, bp[8:24])}")
        if ndo.vflag:
            _icmp6_opt_print(ndo, bp[40:length], length - 40)
    elif t == 143:
        _mldv2_report_print(ndo, bp, length)
    else:
        ndo.p(f", length {length}")
        if ndo.vflag <= 1:
            hex_print(ndo, "\n\t", bp[:length])
        return
    if not ndo.vflag:
        ndo.p(f", length {length}")


def _in_cksum_shouldbe(sum_: int, computed: int) -> int:
    """in_cksum.c: in_cksum_shouldbe()."""
    s = sum_ + computed
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return s


def _get_upperlayer(oip: bytes):
    """print-icmp6.c: get_upperlayer(): (protocol, destination port) of the quoted packet."""
    if len(oip) < 40:
        return None, None
    nh, cp = oip[6], 40
    while cp < len(oip):
        if nh in (IPPROTO_UDP, IPPROTO_TCP):
            if cp + 4 > len(oip):
                return nh, None
            return nh, struct.unpack_from("!H", oip, cp + 2)[0]
        if nh in (IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING):
            if cp + 2 > len(oip):
                return nh, None
            nh, cp = oip[cp], cp + ((oip[cp + 1] + 1) << 3)
        elif nh == IPPROTO_FRAGMENT:
            if cp + 4 > len(oip) or struct.unpack_from("!H", oip, cp + 2)[0] & 0xFFF8:
                return nh, None
            nh, cp = oip[cp], cp + 8
        else:
            return nh, None
    return nh, None


def _icmp6_opt_print(ndo: Ndo, opts: bytes, resid: int) -> None:
    """print-icmp6.c: icmp6_opt_print()."""
    cp = 0
    while cp < len(opts):
        if cp + 2 > len(opts) or resid <= 0:
            return
        t, ol = opts[cp], opts[cp + 1]
        if ol == 0 or cp + (ol << 3) > len(opts):
            ndo.p("[ndp opt]")
            return
        ndo.p(f"\n\t  {ND_OPTS.get(t, 'unknown')} option ({t}), length {ol << 3} ({ol}): ")
        body = opts[cp:cp + (ol << 3)]
        if t in (1, 2):
            ndo.p(":".join(f"{b:02x}" for b in body[2:]))
        elif t == 3:
            if len(body) < 32:
                ndo.p("[ndp opt]")
                return
            plen, fl, valid, pref = body[2], body[3], *struct.unpack_from("!II", body, 4)
            ndo.p(f"{ipaddr_string(ndo, body[16:32])}/{plen}{'badlen' if ol != 4 else ''}, "
                  f"Flags [{_bittok(((0x80, 'onlink'), (0x40, 'auto'), (0x20, 'router')), fl)}]"
                  f", valid time {_lifetime(valid)}, pref. time {_lifetime(pref)}")
        elif t == 5:
            ndo.p(f" {struct.unpack_from('!I', body, 4)[0]}"
                  f"{'bad option length' if ol != 1 else ''}")
        elif t == 7:
            ndo.p(f" {struct.unpack_from('!I', body, 4)[0]}ms")
        elif t == 25:
            ndo.p(f" lifetime {struct.unpack_from('!I', body, 4)[0]}s,")
            for k in range((ol - 1) // 2):
                ndo.p(f" addr: {ipaddr_string(ndo, body[8 + 16 * k:24 + 16 * k])}")
        else:
            if ndo.vflag <= 1:
                hex_print(ndo, "\n\t  ", body[2:])
                return
        if ndo.vflag > 1:
            hex_print(ndo, "\n\t    ", body[2:])
        cp += ol << 3
        resid -= ol << 3


def _mld6_print(ndo: Ndo, bp: bytes) -> None:
    """print-icmp6.c: mld6_print() (no separator after the type name, as 4.99 prints it)."""
    if len(bp) < 24:
        return
    ndo.p(f"max resp delay: {struct.unpack_from('!H', bp, 4)[0]} "
          f"addr: {ipaddr_string(ndo, bp[8:24])}")


def _mldv2_report_print(ndo: Ndo, bp: bytes, length: int) -> None:
    """print-icmp6.c: mldv2_report_print()."""
    if length < 8:
        ndo.p(f" [invalid len {length}]")
        return
    _need(bp, 8)
    ngroups = struct.unpack_from("!H", bp, 6)[0]
    ndo.p(f", {ngroups} group record(s)")
    if not ndo.vflag:
        return
    group = 8
    for _ in range(ngroups):
        if length < group + 20:
            ndo.p(" [invalid number of groups]")
            return
        _need(bp, group + 20)
        ndo.p(f" [gaddr {ipaddr_string(ndo, bp[group + 4:group + 20])}")
        rt = bp[group]
        ndo.p(f" {MLDV2_REC.get(rt, f' [v2-report-#{rt}]')}")
        nsrcs = struct.unpack_from("!H", bp, group + 2)[0]
        if length < group + 20 + nsrcs * 16:
            ndo.p(f" [invalid number of sources {nsrcs}]")
            return
        if ndo.vflag == 1:
            ndo.p(f", {nsrcs} source(s)")
        else:
            ndo.p(" {")
            for j in range(nsrcs):
                off = group + 20 + 16 * j
                _need(bp, off + 16)
                ndo.p(f" {ipaddr_string(ndo, bp[off:off + 16])}")
            ndo.p(" }")
        group += 20 + nsrcs * 16
        ndo.p("]")


def _mldv2_query_print(ndo: Ndo, bp: bytes, length: int) -> None:
    """print-icmp6.c: mldv2_query_print()."""
    if length < 28:
        ndo.p(f" [invalid len {length}]")
        return
    _need(bp, 28)
    mrc = struct.unpack_from("!H", bp, 4)[0]
    mrt = mrc if mrc < 32768 else ((mrc & 0x0FFF) | 0x1000) << (((mrc & 0x7000) >> 12) + 3)
    if ndo.vflag:
        ndo.p(f" [max resp delay={mrt}]")
    ndo.p(f" [gaddr {ipaddr_string(ndo, bp[8:24])}")
    if ndo.vflag:
        if bp[24] & 0x08:
            ndo.p(" sflag")
        if bp[24] & 0x07:
            ndo.p(f" robustness={bp[24] & 0x07}")
        q = bp[25]
        qqi = q if q < 128 else ((q & 0x0F) | 0x10) << (((q & 0x70) >> 4) + 3)
        ndo.p(f" qqi={qqi}")
    nsrcs = struct.unpack_from("!H", bp, 26)[0]
    if nsrcs:
        if length < 28 + nsrcs * 16:
            ndo.p(" [invalid number of sources]")
        elif ndo.vflag > 1:
            ndo.p(" {")
            for i in range(nsrcs):
                _need(bp, 28 + 16 * i + 16)
                ndo.p(f" {ipaddr_string(ndo, bp[28 + 16 * i:44 + 16 * i])}")
            ndo.p(" }")
        else:
            ndo.p(f", {nsrcs} source(s)")
    ndo.p("]")


# -- print-icmp.c ---------------------------------------------------------------------------------

_UNREACH = {
    0: "net {dst} unreachable", 1: "host {dst} unreachable",
    5: "{dst} unreachable - source route failed", 6: "net {dst} unreachable - unknown",
    7: "host {dst} unreachable - unknown", 8: "{dst} unreachable - source host isolated",
    9: "net {dst} unreachable - admin prohibited",
    10: "host {dst} unreachable - admin prohibited",
    11: "net {dst} unreachable - tos prohibited", 12: "host {dst} unreachable - tos prohibited",
    13: "host {dst} unreachable - admin prohibited filter",
    14: "host {dst} unreachable - host precedence violation",
    15: "host {dst} unreachable - precedence cutoff",
}


def icmp_print(ndo: Ndo, bp: bytes, plen: int, iph: bytes, fragmented: bool) -> None:
    """print-icmp.c: icmp_print() (non-verbose)."""
    ndo.protocol = "icmp"
    _need(bp, 2)
    t, code = bp[0], bp[1]

    def u16(off):
        _need(bp, off + 2)
        return struct.unpack_from("!H", bp, off)[0]

    def u32(off):
        _need(bp, off + 4)
        return struct.unpack_from("!I", bp, off)[0]

    def inner_dst():
        _need(bp, 8 + 20)
        return ipaddr_string(ndo, bp[24:28])

    if t in (0, 8):
        s = f"echo {'request' if t == 8 else 'reply'}, id {u16(4)}, seq {u16(6)}"
    elif t == 3:
        if code == 2:
            _need(bp, 8 + 20)
            s = f"{inner_dst()} protocol {bp[8 + 9]} unreachable"
        elif code == 3:
            _need(bp, 8 + 10)
            ohl = (bp[8] & 0x0F) * 4
            dport = u16(8 + ohl + 2)
            oproto = bp[8 + 9]
            dst = inner_dst()
            if oproto == IPPROTO_TCP:
                s = f"{dst} tcp port {port_string(ndo, dport, 'tcp')} unreachable"
            elif oproto == IPPROTO_UDP:
                s = f"{dst} udp port {port_string(ndo, dport, 'udp')} unreachable"
            else:
                s = f"{dst} protocol {oproto} port {dport} unreachable"
        elif code == 4:
            mtu = u16(6)
            s = (f"{inner_dst()} unreachable - need to frag (mtu {mtu})" if mtu else
                 f"{inner_dst()} unreachable - need to frag")
        elif code in _UNREACH:
            s = _UNREACH[code].format(dst=inner_dst())
        else:
            s = f"{inner_dst()} unreachable - #{code}"
    elif t == 5:
        gw = bp[4:8]
        _need(bp, 8)
        names = {0: "redirect {d} to net {g}", 1: "redirect {d} to host {g}",
                 2: "redirect-tos {d} to net {g}", 3: "redirect-tos {d} to host {g}"}
        d = inner_dst()
        if code in names:
            s = names[code].format(d=d, g=ipaddr_string(ndo, gw))
        else:
            s = f"redirect-#{code} {d} to {ipaddr_string(ndo, gw)}"
    elif t == 9:
        s = "router advertisement"
        _need(bp, 8)
        num, size, lifetime = bp[4], bp[5], u16(6)
        if lifetime < 60:
            s += f" lifetime {lifetime}"
        elif lifetime < 3600:
            s += f" lifetime {lifetime // 60}:{lifetime % 60:02d}"
        else:
            s += f" lifetime {lifetime // 3600}:{lifetime % 3600 // 60:02d}:{lifetime % 60:02d}"
        s += f" {num}:"
        if size != 2:
            s += f" [size {size}]"
        else:
            for k in range(num):
                off = 8 + 8 * k
                _need(bp, off + 8)
                s += f" {{{ipaddr_string(ndo, bp[off:off + 4])} {u32(off + 4)}}}"
    elif t == 11:
        _need(bp, 8 + 20)
        s = {0: "time exceeded in-transit", 1: "ip reassembly time exceeded"}.get(
            code, f"time exceeded-#{code}")
    elif t == 12:
        if code:
            s = f"parameter problem - code {code}"
        else:
            _need(bp, 5)
            s = f"parameter problem - octet {bp[4]}"
    elif t == 18:
        s = f"address mask is 0x{u32(8):08x}"
    elif t == 13:
        s = f"time stamp query id {u16(4)} seq {u16(6)}"
    elif t == 14:
        s = (f"time stamp reply id {u16(4)} seq {u16(6)}: org {_icmp_tstamp(u32(8))}, "
             f"recv {_icmp_tstamp(u32(12))}, xmit {_icmp_tstamp(u32(16))}")
    else:
        s = ICMP2STR.get(t, f"type-#{t}")
    ndo.p(f"ICMP {s}, length {plen}")


def _icmp_tstamp(ms: int) -> str:
    """print-icmp.c: icmp_tstamp_print()."""
    if ms > 86400000:
        return "[not-standard]"
    sec, msec = divmod(ms, 1000)
    return f"{sec // 3600:02d}:{sec % 3600 // 60:02d}:{sec % 60:02d}.{msec:03d}"


# -- print-udp.c ----------------------------------------------------------------------------------

def udpipaddr_print(ndo: Ndo, iph: bytes, sport: int, dport: int) -> None:
    sa, da, proto = _l3(iph)
    src, dst = ipaddr_string(ndo, sa), ipaddr_string(ndo, da)
    if proto == IPPROTO_UDP:
        if sport == -1:
            ndo.p(f"{src} > {dst}: ")
        else:
            ndo.p(f"{src}.{port_string(ndo, sport, 'udp')} > "
                  f"{dst}.{port_string(ndo, dport, 'udp')}: ")
    elif sport != -1:
        ndo.p(f"{port_string(ndo, sport, 'udp')} > {port_string(ndo, dport, 'udp')}: ")


def udp_print(ndo: Ndo, bp: bytes, length: int, iph: bytes, fragmented: bool) -> None:
    """print-udp.c: udp_print() (non-verbose; VXLAN is the one application decoder)."""
    ndo.protocol = "udp"
    if len(bp) < 4:
        udpipaddr_print(ndo, iph, -1, -1)
        raise Trunc()
    sport, dport = struct.unpack_from("!HH", bp, 0)
    if length < 8:
        udpipaddr_print(ndo, iph, sport, dport)
        ndo.p(f"truncated-udp {length}")
        return
    if len(bp) < 6:
        udpipaddr_print(ndo, iph, sport, dport)
        raise Trunc()
    ulen = struct.unpack_from("!H", bp, 4)[0]
    if ulen == 0 and length > 65535:
        ulen = length
    if ulen < 8:
        udpipaddr_print(ndo, iph, sport, dport)
        ndo.p(f"truncated-udplength {ulen}")
        return
    ulen -= 8
    length -= 8
    if ulen < length:
        length = ulen
    if len(bp) < 8:
        udpipaddr_print(ndo, iph, sport, dport)
        raise Trunc()
    udpipaddr_print(ndo, iph, sport, dport)
    cp = bp[8:]
    if not ndo.qflag and 4789 in (sport, dport):
        vxlan_print(ndo, cp, length)
        return
    if ulen > length and not fragmented:
        ndo.p(f"UDP, bad length {ulen} > {length}")
    else:
        ndo.p(f"UDP, length {ulen}")


def vxlan_print(ndo: Ndo, bp: bytes, length: int) -> None:
    """print-vxlan.c: vxlan_print()."""
    ndo.protocol = "vxlan"
    ndo.p("VXLAN")
    if length < 8:
        ndo.p(" (invalid)")
        return
    _need(bp, 1)
    flags = bp[0]
    ndo.p(f", flags [{'I' if flags & 0x08 else 'invalid'}] (0x{flags:02x}), ")
    _need(bp, 7)
    ndo.p(f"vni {int.from_bytes(bp[4:7], 'big')}\n")
    _need(bp, 8)
    ether_print(ndo, bp[8:], length - 8)


# -- print-tcp.c ----------------------------------------------------------------------------------

def tcp_print(ndo: Ndo, bp: bytes, length: int, iph: bytes, fragmented: bool) -> None:
    """print-tcp.c: tcp_print() (non-verbose)."""
    ndo.protocol = "tcp"
    src, dst, proto = _l3(iph)
    if len(bp) < 4:
        ndo.p(f"{ipaddr_string(ndo, src)} > {ipaddr_string(ndo, dst)}:")
        raise Trunc()
    sport, dport = struct.unpack_from("!HH", bp, 0)
    if proto == IPPROTO_TCP:
        ndo.p(f"{ipaddr_string(ndo, src)}.{port_string(ndo, sport, 'tcp')} > "
              f"{ipaddr_string(ndo, dst)}.{port_string(ndo, dport, 'tcp')}: ")
    else:
        ndo.p(f"{port_string(ndo, sport, 'tcp')} > {port_string(ndo, dport, 'tcp')}: ")
    _need(bp, 20)
    hlen = (bp[12] >> 4) * 4
    if hlen < 20:
        ndo.p(f" tcp {length - hlen} [bad hdr length {hlen} - too short, < 20]")
        return
    seq, ack = struct.unpack_from("!II", bp, 4)
    flags = bp[13]
    win, urp = struct.unpack_from("!H", bp, 14)[0], struct.unpack_from("!H", bp, 18)[0]
    if ndo.qflag:
        ndo.p(f"tcp {length - hlen}")
        if hlen > length:
            ndo.p(f" [bad hdr length {hlen} - too long, > {length}]")
        return
    ndo.p("Flags [" + ("".join(n for b, n in TCP_FLAGS if flags & b) or "none") + "]")
    thseq = thack = rev = 0
    if not ndo.Sflag and flags & 0x10:
        rev = sport > dport or (sport == dport and src > dst)
        key = (dst, src, (dport << 16) | sport) if rev else (src, dst, (sport << 16) | dport)
        th = ndo.tcp_seq.get(key)
        if th is None or flags & 0x02:
            if rev:
                th = [(ack - 1) & 0xFFFFFFFF, seq]     # [seq, ack]
            else:
                th = [seq, (ack - 1) & 0xFFFFFFFF]
            ndo.tcp_seq[key] = th
        elif rev:
            seq = (seq - th[1]) & 0xFFFFFFFF
            ack = (ack - th[0]) & 0xFFFFFFFF
        else:
            seq = (seq - th[0]) & 0xFFFFFFFF
            ack = (ack - th[1]) & 0xFFFFFFFF
        thseq, thack = th
    if hlen > length:
        ndo.p(f" [bad hdr length {hlen} - too long, > {length}]")
        return
    length -= hlen
    if ndo.vflag > 1 or length > 0 or flags & 0x07:
        ndo.p(f", seq {seq}")
        if length > 0:
            ndo.p(f":{(seq + length) & 0xFFFFFFFF}")
    if flags & 0x10:
        ndo.p(f", ack {ack}")
    ndo.p(f", win {win}")
    if flags & 0x20:
        ndo.p(f", urg {urp}")
    if hlen > 20:
        _need(bp, hlen)
        if not _tcp_options(ndo, bp[20:hlen], rev, thseq, thack):
            return
    ndo.p(f", length {length}")
    if length == 0:
        return
    payload = bp[hlen:]
    if 80 in (sport, dport) or 8080 in (sport, dport):
        ndo.p(": ")
        ndo.protocol = "http"
        txtproto_print(ndo, payload[:length], length, HTTP_CMDS)


def _tcp_options(ndo: Ndo, opts: bytes, rev: bool, thseq: int, thack: int) -> bool:
    """The options loop of tcp_print(); False after ``[bad opt]``."""
    ndo.p(", options [")
    ch = ""
    i, hlen = 0, len(opts)
    while hlen > 0:
        ndo.p(ch)
        opt = opts[i]
        i += 1
        if opt in (0, 1):
            ln = 1
        else:
            if i >= len(opts):
                ndo.p("[bad opt]" + ("]" if ch else ""))
                return False
            ln = opts[i]
            i += 1
            if ln < 2 or ln > hlen:
                ndo.p("[bad opt]" + ("]" if ch else ""))
                return False
            hlen -= 1
        hlen -= 1
        ndo.p(TCP_OPTIONS.get(opt, f"unknown-{opt}"))
        cp = opts[i:]
        if opt == 2:
            datalen = 2
            ndo.p(f" {struct.unpack_from('!H', cp, 0)[0]}")
        elif opt == 3:
            datalen = 1
            ndo.p(f" {cp[0]}")
        elif opt == 5:
            datalen = ln - 2
            if datalen % 8:
                ndo.p(" invalid sack")
            else:
                ndo.p(f" {datalen // 8} ")
                for k in range(0, datalen, 8):
                    s, e = struct.unpack_from("!II", cp, k)
                    base = thseq if rev else thack
                    ndo.p(f"{{{(s - base) & 0xFFFFFFFF}:{(e - base) & 0xFFFFFFFF}}}")
        elif opt in (6, 7, 11, 12, 13):
            datalen = 4
            ndo.p(f" {struct.unpack_from('!I', cp, 0)[0]}")
        elif opt == 8:
            datalen = 8
            v, e = struct.unpack_from("!II", cp, 0)
            ndo.p(f" val {v} ecr {e}")
        elif opt in (0, 1, 4):
            datalen = 0
        elif opt == 28:
            datalen = 2
            uto = struct.unpack_from("!H", cp, 0)[0]
            ndo.p(f" 0x{uto:x}")
            uto = (uto >> 1) * 60 if uto & 1 else uto >> 1
            ndo.p(f" {uto}")
        else:
            datalen = ln - 2
            if datalen:
                ndo.p(" 0x" + cp[:datalen].hex())
        if datalen > hlen:
            ndo.p("[bad opt]" + ("]" if ch else ""))
            return False
        i += datalen
        hlen -= datalen
        full = datalen + 1 + (0 if opt in (0, 1) else 1)
        if full != ln:
            ndo.p(f"[len {ln}]")
        ch = ","
        if opt == 0:
            break
    ndo.p("]")
    return True


def fetch_token(data: bytes, idx: int, length: int) -> tuple[int, bytes]:
    """util-print.c: fetch_token(): (index after the token and blanks, token); 0 = none."""
    tok = bytearray()
    while idx < length:
        if idx >= len(data):
            return 0, b""
        c = data[idx]
        if c >= 0x80:
            return 0, b""
        if c in b" \t\r\n":
            break
        if not 0x20 <= c <= 0x7E:
            return 0, b""
        if len(tok) + 2 > 128:
            return 0, b""
        tok.append(c)
        idx += 1
    if not tok:
        return 0, b""
    while idx < length and idx < len(data):
        c = data[idx]
        if c in b"\r\n" or not 0x20 <= c <= 0x7E or c not in b" \t":
            break
        idx += 1
    return idx, bytes(tok)


def print_txt_line(ndo: Ndo, prefix: str, data: bytes, idx: int, length: int) -> int:
    """util-print.c: print_txt_line()."""
    start = idx
    while idx < length:
        c = data[idx]
        if c == 0x0A:
            ndo.p(prefix + data[start:idx].decode("ascii"))
            return idx + 1
        if c == 0x0D:
            if idx + 1 >= length:
                return 0
            if data[idx + 1] == 0x0A:
                ndo.p(prefix + data[start:idx].decode("ascii"))
                return idx + 2
            return 0
        if not (0x20 <= c <= 0x7E) and c != 0x09:
            return 0
        idx += 1
    ndo.p(prefix + data[start:idx].decode("ascii"))
    ndo.p(f" [|{ndo.protocol}]")
    return 0


def txtproto_print(ndo: Ndo, data: bytes, length: int, cmds) -> None:
    """util-print.c: txtproto_print() (RESP_CODE_SECOND_TOKEN, non-verbose)."""
    print_this = False
    idx, tok = fetch_token(data, 0, length)
    if idx:
        if tok.decode("ascii").upper() in cmds:
            print_this = True
        idx, tok = fetch_token(data, idx, length)
        if idx and len(tok) == 3 and (tok.isascii() and tok.isdigit()):
            print_this = True
    ndo.p(ndo.protocol.upper())
    if print_this:
        print_txt_line(ndo, ": ", data, 0, length)
