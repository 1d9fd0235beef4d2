"""ipvsadm 1.31 (popt build, as Debian 12 ships it) over the emulated IPVS. kernel-spec §9.6.

What follows ipvsadm.c / libipvs:
* option parsing with popt's rules (clustered short options, ``-t200.1.1.1:80`` glued,
  ``-p`` with an optional argument, ``--long=value``, non-options collected for ``--set`` and
  "unexpected argument"), the first option must be a command (else "Try `ipvsadm -h' ...", 255);
* ``generic_opt_check()``'s table of legal command/option combinations and its messages;
* process_options(): zero port needs -p, -o only for UDP, default scheduler wlc on -A *and* -E
  (IPVSADM-02), default weight 1 and -g on -a *and* -e (IPVSADM-03), RS port forced to the VIP
  port for -g/-i;
* libipvs's ipvs_strerror() table per operation (IPVSADM-04); fail() exits 2, a failed kernel
  operation exits 255, a failed listing lookup exits 1;
* listings (IPVSADM-05/06/07): titles, ``%-4s %s`` service names cut to 33 characters, the
  destination columns, --stats/--rate/--exact number formats, --thresholds, --persistent-conn,
  -S rules, sorting with the signed-difference comparators through glibc's merge sort;
* -R reads rules from stdin; the exit status is the last line's.
"""

from __future__ import annotations

import errno

from . import Exit, command
from ..stack import ipvs as ipvs_mod
from ..stack.errors import KernelError

PROG = "ipvsadm"
MAX_TIMEOUT = 86400 * 31
IPVS_SVC_PERSISTENT_TIMEOUT = 360

# commands
(CMD_NONE, CMD_ADD, CMD_EDIT, CMD_DEL, CMD_FLUSH, CMD_LIST, CMD_ADDDEST, CMD_DELDEST,
 CMD_EDITDEST, CMD_TIMEOUT, CMD_STARTDAEMON, CMD_STOPDAEMON, CMD_RESTORE, CMD_SAVE,
 CMD_ZERO) = range(15)
CMDNAMES = ("add-service", "edit-service", "delete-service", "flush", "list", "add-server",
            "delete-server", "edit-server", "set", "start-daemon", "stop-daemon", "restore",
            "save", "zero")

OPTNAMES = ("numeric", "connection", "service-address", "scheduler", "persistent", "netmask",
            "real-server", "forwarding-method", "weight", "u-threshold", "l-threshold",
            "mcast-interface", "timeout", "daemon", "stats", "rate", "thresholds",
            "persistent-conn", "nosort", "syncid", "exact", "ops", "pe", "sched-flags",
            "mcast-group", "mcast-port", "mcast-ttl", "sync-maxlen", "tun-info", "tun-type",
            "tun-port", "tun-nocsum", "tun-csum", "tun-remcsum")
OPT = {n: 1 << i for i, n in enumerate(OPTNAMES)}

# commands_v_options: '+' compulsory, 'x' illegal, '1' exclusive, ' ' optional
_ALLX = "x" * len(OPTNAMES)


def _row(**kw) -> str:
    r = list(_ALLX)
    for k, v in kw.items():
        r[OPTNAMES.index(k.replace("_", "-"))] = v
    return "".join(r)


_SVC_OPTS = dict(service_address="+", scheduler=" ", persistent=" ", netmask=" ", ops=" ",
                 pe=" ", sched_flags=" ")
_DEST_OPTS = dict(service_address="+", real_server="+", forwarding_method=" ", weight=" ",
                  u_threshold=" ", l_threshold=" ", tun_type=" ", tun_port=" ",
                  tun_nocsum=" ", tun_csum=" ", tun_remcsum=" ")
CMD_V_OPT = {
    CMD_ADD: _row(**_SVC_OPTS),
    CMD_EDIT: _row(**_SVC_OPTS),
    CMD_DEL: _row(service_address="+"),
    CMD_FLUSH: _ALLX,
    CMD_LIST: _row(numeric=" ", connection="1", service_address="1", timeout="1", daemon="1",
                   stats=" ", rate=" ", thresholds=" ", persistent_conn=" ", nosort=" ",
                   syncid=" ", exact=" ", tun_info=" "),
    CMD_ADDDEST: _row(**_DEST_OPTS),
    CMD_DELDEST: _row(service_address="+", real_server="+"),
    CMD_EDITDEST: _row(**_DEST_OPTS),
    CMD_TIMEOUT: _ALLX,
    CMD_STARTDAEMON: _row(mcast_interface=" ", syncid=" ", mcast_group=" ", mcast_port=" ",
                          mcast_ttl=" ", sync_maxlen=" "),
    CMD_STOPDAEMON: _row(syncid=" "),
    CMD_RESTORE: _ALLX,
    CMD_SAVE: _row(numeric=" "),
    CMD_ZERO: _row(service_address=" "),
}

FMT_NUMERIC, FMT_RULE, FMT_STATS, FMT_RATE, FMT_THRESHOLDS, FMT_PERSISTENTCONN, FMT_NOSORT, \
    FMT_EXACT, FMT_TUN_INFO = (1 << i for i in range(9))

# popt table: long name, short, arg (0 none, 1 required, 2 optional), tag
_N, _R, _O = 0, 1, 2
POPT = [
    ("add-service", "A", _N, "A"), ("edit-service", "E", _N, "E"),
    ("delete-service", "D", _N, "D"), ("clear", "C", _N, "C"), ("list", "L", _N, "L"),
    ("list", "l", _N, "l"), ("zero", "Z", _N, "Z"), ("add-server", "a", _N, "a"),
    ("edit-server", "e", _N, "e"), ("delete-server", "d", _N, "d"), ("set", None, _N, "set"),
    ("help", "h", _N, "h"), ("version", "v", _N, "v"), ("restore", "R", _N, "R"),
    ("save", "S", _N, "S"), ("start-daemon", None, _R, "start-daemon"),
    ("stop-daemon", None, _R, "stop-daemon"), ("tcp-service", "t", _R, "t"),
    ("udp-service", "u", _R, "u"), ("sctp-service", None, _R, "sctp"),
    ("fwmark-service", "f", _R, "f"), ("scheduler", "s", _R, "s"),
    ("persistent", "p", _O, "p"), ("netmask", "M", _R, "M"), ("real-server", "r", _R, "r"),
    ("masquerading", "m", _N, "m"), ("ipip", "i", _N, "i"), ("gatewaying", "g", _N, "g"),
    ("weight", "w", _R, "w"), ("u-threshold", "x", _R, "x"), ("l-threshold", "y", _R, "y"),
    ("numeric", "n", _N, "n"), ("connection", "c", _N, "c"),
    ("mcast-interface", None, _R, "mcast-interface"), ("mcast-group", None, _R, "mcast-group"),
    ("mcast-port", None, _R, "mcast-port"), ("mcast-ttl", None, _R, "mcast-ttl"),
    ("sync-maxlen", None, _R, "sync-maxlen"), ("syncid", None, _R, "I"),
    ("timeout", None, _N, "timeout"), ("daemon", None, _N, "daemon"),
    ("stats", None, _N, "stats"), ("rate", None, _N, "rate"),
    ("thresholds", None, _N, "thresholds"), ("persistent-conn", None, _N, "persistent-conn"),
    ("nosort", None, _N, "nosort"), ("sort", None, _N, "sort"), ("exact", "X", _N, "X"),
    ("ipv6", "6", _N, "6"), ("ops", "o", _N, "o"), ("pe", None, _R, "pe"),
    ("sched-flags", "b", _R, "b"), ("tun-type", None, _R, "tun-type"),
    ("tun-port", None, _R, "tun-port"), ("tun-nocsum", None, _N, "tun-nocsum"),
    ("tun-csum", None, _N, "tun-csum"), ("tun-remcsum", None, _N, "tun-remcsum"),
    ("tun-info", None, _N, "tun-info"),
]
_LONG = {}
for _e in POPT:
    _LONG.setdefault(_e[0], _e)
_SHORT = {e[1]: e for e in POPT if e[1]}
COMMAND_TAGS = {"A": CMD_ADD, "E": CMD_EDIT, "D": CMD_DEL, "a": CMD_ADDDEST, "e": CMD_EDITDEST,
                "d": CMD_DELDEST, "C": CMD_FLUSH, "L": CMD_LIST, "l": CMD_LIST, "Z": CMD_ZERO,
                "set": CMD_TIMEOUT, "R": CMD_RESTORE, "S": CMD_SAVE,
                "start-daemon": CMD_STARTDAEMON, "stop-daemon": CMD_STOPDAEMON}

# /etc/services (netbase) names the listing uses without -n, and -t/-u accept
SERVICES = {
    "tcp": {20: "ftp-data", 21: "ftp", 22: "ssh", 23: "telnet", 25: "smtp", 53: "domain",
            80: "http", 88: "kerberos", 110: "pop3", 111: "sunrpc", 119: "nntp", 143: "imap2",
            179: "bgp", 389: "ldap", 443: "https", 465: "submissions", 587: "submission",
            636: "ldaps", 873: "rsync", 993: "imaps", 995: "pop3s", 1080: "socks",
            3306: "mysql", 5432: "postgresql", 6379: "redis", 8080: "http-alt"},
    "udp": {53: "domain", 67: "bootps", 68: "bootpc", 69: "tftp", 123: "ntp", 161: "snmp",
            162: "snmp-trap", 500: "isakmp", 514: "syslog", 1812: "radius", 4789: "vxlan",
            5353: "mdns"},
}
SERVICE_NAMES = {p: {v: k for k, v in m.items()} for p, m in SERVICES.items()}
SERVICE_NAMES["tcp"].update({"www": 80, "imap": 143})

HELP = (
    'ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n'
    'Usage:\n'
    '  {p} -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]\n'
    '  {p} -D virtual-service\n'
    '  {p} -C\n'
    '  {p} -R\n'
    '  {p} -S [-n]\n'
    '  {p} -a|e virtual-service -r server-address [options]\n'
    '  {p} -d virtual-service -r server-address\n'
    '  {p} -L|l [virtual-service] [options]\n'
    '  {p} -Z [virtual-service]\n'
    '  {p} --set tcp tcpfin udp\n'
    '  {p} --start-daemon {master|backup} [daemon-options]\n'
    '  {p} --stop-daemon {master|backup}\n'
    '  {p} -h\n'
    '\n'
    'Commands:\n'
    'Either long or short options are allowed.\n'
    '  --add-service     -A        add virtual service with options\n'
    '  --edit-service    -E        edit virtual service with options\n'
    '  --delete-service  -D        delete virtual service\n'
    '  --clear           -C        clear the whole table\n'
    '  --restore         -R        restore rules from stdin\n'
    '  --save            -S        save rules to stdout\n'
    '  --add-server      -a        add real server with options\n'
    '  --edit-server     -e        edit real server with options\n'
    '  --delete-server   -d        delete real server\n'
    '  --list            -L|-l     list the table\n'
    '  --zero            -Z        zero counters in a service or all services\n'
    '  --set tcp tcpfin udp        set connection timeout values\n'
    '  --start-daemon              start connection sync daemon\n'
    '  --stop-daemon               stop connection sync daemon\n'
    '  --help            -h        display this help message\n'
    '\n'
    'virtual-service:\n'
    '  --tcp-service|-t  service-address   service-address is host[:port]\n'
    '  --udp-service|-u  service-address   service-address is host[:port]\n'
    '  --sctp-service    service-address   service-address is host[:port]\n'
    '  --fwmark-service|-f fwmark          fwmark is an integer greater than zero\n'
    '\n'
    'Options:\n'
    '  --ipv6         -6                   fwmark entry uses IPv6\n'
    '  --scheduler    -s scheduler         one of rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh,\n'
    '                                      the default scheduler is wlc.\n'
    '  --pe            engine              alternate persistence engine may be sip,\n'
    '                                      not set by default.\n'
    '  --persistent   -p [timeout]         persistent service\n'
    '  --netmask      -M netmask           persistent granularity mask\n'
    '  --real-server  -r server-address    server-address is host (and port)\n'
    '  --gatewaying   -g                   gatewaying (direct routing) (default)\n'
    '  --ipip         -i                   ipip encapsulation (tunneling)\n'
    '  --masquerading -m                   masquerading (NAT)\n'
    '  --tun-type      type                one of ipip|gue|gre,\n'
    '                                      the default tunnel type is ipip.\n'
    '  --tun-port      port                tunnel destination port\n'
    '  --tun-nocsum                        tunnel encapsulation without checksum\n'
    '  --tun-csum                          tunnel encapsulation with checksum\n'
    '  --tun-remcsum                       tunnel encapsulation with remote checksum\n'
    '  --weight       -w weight            capacity of real server\n'
    '  --u-threshold  -x uthreshold        upper threshold of connections\n'
    '  --l-threshold  -y lthreshold        lower threshold of connections\n'
    '  --connection   -c                   output of current IPVS connections\n'
    '  --timeout                           output of timeout (tcp tcpfin udp)\n'
    '  --daemon                            output of daemon information\n'
    '  --stats                             output of statistics information\n'
    '  --rate                              output of rate information\n'
    '  --exact                             expand numbers (display exact values)\n'
    '  --thresholds                        output of thresholds information\n'
    '  --persistent-conn                   output of persistent connection info\n'
    '  --tun-info                          output of tunnel information\n'
    '  --nosort                            disable sorting output of service/server entries\n'
    '  --sort                              does nothing, for backwards compatibility\n'
    '  --ops          -o                   one-packet scheduling\n'
    '  --numeric      -n                   numeric output of addresses and ports\n'
    '  --sched-flags  -b flags             scheduler flags (comma-separated)\n'
    'Daemon Options:\n'
    '  --syncid sid                        syncid for connection sync (default=255)\n'
    '  --sync-maxlen length                Max sync message length (default=1472)\n'
    '  --mcast-interface interface         multicast interface for connection sync\n'
    '  --mcast-group address               IPv4/IPv6 group (default=224.0.0.81)\n'
    '  --mcast-port port                   UDP port (default=8848)\n'
    '  --mcast-ttl ttl                     Multicast TTL (default=1)\n'
)
VERSION = "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n"

# libipvs.c: ipvs_strerror(): (operation, errno) -> text; operation None matches any
STRERROR = [
    ("add_service", errno.EEXIST, "Service already exists"),
    ("add_service", errno.ENOENT, "Scheduler or persistence engine not found"),
    ("update_service", errno.ESRCH, "No such service"),
    ("update_service", errno.ENOENT, "Scheduler or persistence engine not found"),
    ("del_service", errno.ESRCH, "No such service"),
    ("zero_service", errno.ESRCH, "No such service"),
    ("add_dest", errno.ESRCH, "Service not defined"),
    ("add_dest", errno.EEXIST, "Destination already exists"),
    ("update_dest", errno.ESRCH, "Service not defined"),
    ("update_dest", errno.ENOENT, "No such destination"),
    ("del_dest", errno.ESRCH, "Service not defined"),
    ("del_dest", errno.ENOENT, "No such destination"),
    ("start_daemon", errno.EEXIST, "Daemon has already run"),
    ("stop_daemon", errno.ESRCH, "No daemon is running"),
    ("get_services", errno.ESRCH, "No such service"),
    ("get_dests", errno.ESRCH, "No such service"),
    ("get_service", errno.ESRCH, "No such service"),
    (None, errno.EPERM, "Permission denied (you must be root)"),
    (None, errno.EINVAL, "Invalid operation.  Possibly wrong module version, address not "
                         "unicast, ..."),
    (None, errno.ENOPROTOOPT, "Protocol not available"),
    (None, errno.ENOMEM, "Memory allocation problem"),
    (None, errno.EOPNOTSUPP, "Operation not supported with IPv6"),
    (None, errno.EAFNOSUPPORT, "Operation not supported with specified address family"),
    (None, errno.EMSGSIZE, "Module is wrong version"),
]
STRERROR_TEXT = {errno.ERANGE: "Numerical result out of range", errno.ENOENT:
                 "No such file or directory", errno.ESRCH: "No such process",
                 errno.EEXIST: "File exists", errno.EBUSY: "Device or resource busy"}


def ipvs_strerror(op: str, err: int) -> str:
    for fn, e, msg in STRERROR:
        if (fn is None or fn == op) and e == err:
            return msg
    return STRERROR_TEXT.get(err) or __import__("os").strerror(err)


# =========================================================================================
# small C-library helpers
# =========================================================================================
class _Fail(Exception):
    def __init__(self, code: int, msg: str | None):
        self.code = code
        self.msg = msg


def fail(code: int, msg: str):
    raise _Fail(code, msg)


def _strtol(s: str, base: int = 10):
    """strtol(): (value, rest) like C (leading space and sign, longest digit prefix)."""
    i = 0
    n = len(s)
    while i < n and s[i] in " \t\n\v\f\r":
        i += 1
    neg = False
    if i < n and s[i] in "+-":
        neg = s[i] == "-"
        i += 1
    j = i
    while j < n and s[j].isdigit() and s[j].isascii():
        j += 1
    if j == i:
        return 0, s
    v = int(s[i:j])
    return (-v if neg else v), s[j:]


def string_to_number(s: str, lo: int, hi: int) -> int:
    v, rest = _strtol(s)
    if rest == "" and rest is not s and s.strip() != "":
        if lo <= v <= hi and -(2 ** 63) <= v < 2 ** 63:
            return v
    return -1


def inet_aton(s: str) -> int | None:
    """glibc inet_aton(): 1-4 parts, each decimal, octal (0..) or hex (0x..)."""
    if not s or s != s.strip() or s.endswith("."):
        # inet_aton() accepts trailing whitespace only; keep it strict
        if not s or s.endswith("."):
            return None
    parts = s.split(".")
    if len(parts) > 4:
        return None
    vals = []
    for p in parts:
        if not p:
            return None
        try:
            if p[:2].lower() == "0x":
                v = int(p[2:], 16) if p[2:] else 0
            elif p[0] == "0" and len(p) > 1:
                v = int(p, 8)
            else:
                if not (p.isascii() and p.isdigit()):
                    return None
                v = int(p)
        except ValueError:
            return None
        vals.append(v)
    if len(vals) == 1:
        return vals[0] if vals[0] <= 0xFFFFFFFF else None
    if any(v > 255 for v in vals[:-1]):
        return None
    last_bits = 32 - 8 * (len(vals) - 1)
    if vals[-1] >= 1 << last_bits:
        return None
    a = 0
    for v in vals[:-1]:
        a = (a << 8) | v
    return (a << last_bits) | vals[-1]


def _host_to_addr(name: str) -> int | None:
    if name == "localhost":
        return 0x7F000001
    return None


def _parse_ipv6(s: str):
    import ipaddress
    try:
        return int(ipaddress.IPv6Address(s))
    except ValueError:
        return None


def ntoa(a: int) -> str:
    return ".".join(str((a >> s) & 255) for s in (24, 16, 8, 0))


def ntoa6(a: int) -> str:
    import ipaddress
    return str(ipaddress.IPv6Address(a))


def _signed32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _msort(items: list, cmp) -> list:
    """glibc 2.36 qsort(): msort_with_tmp, a top-down merge sort (stable, left wins ties)."""
    n = len(items)
    if n <= 1:
        return list(items)
    n1 = n // 2
    a = _msort(items[:n1], cmp)
    b = _msort(items[n1:], cmp)
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        if cmp(a[i], b[j]) <= 0:
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    out.extend(a[i:])
    out.extend(b[j:])
    return out


def _a(x) -> int:
    return x[1] if isinstance(x, tuple) else x


def _cmp_services(s1, s2) -> int:
    r = s1.fwmark - s2.fwmark
    if r:
        return r
    r = s1.af - s2.af
    if r:
        return r
    r = s1.protocol - s2.protocol
    if r:
        return r
    if s1.af == 10:
        for i in (96, 64, 32, 0):
            r = _signed32((_a(s1.addr) >> i) - (_a(s2.addr) >> i))
            if r:
                return r
    else:
        r = _signed32(_a(s1.addr) - _a(s2.addr))
        if r:
            return r
    return s1.port - s2.port


def _cmp_dests(d1, d2) -> int:
    r = d1.af - d2.af
    if r:
        return r
    if d1.af == 10:
        for i in (96, 64, 32, 0):
            r = _signed32((_a(d1.addr) >> i) - (_a(d2.addr) >> i))
            if r:
                return r
    else:
        r = _signed32(_a(d1.addr) - _a(d2.addr))
        if r:
            return r
    return d1.port - d2.port


# =========================================================================================
# popt
# =========================================================================================
class _PoptError(Exception):
    def __init__(self, bad: str, text: str):
        self.bad = bad
        self.text = text


def popt_iter(argv: list[str], leftovers: list):
    """Yield (tag, optarg, text) in order; non-options go to ``leftovers``; raise _PoptError."""
    i = 0
    n = len(argv)
    while i < n:
        a = argv[i]
        i += 1
        if a == "--":
            leftovers.extend(argv[i:])
            return
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            e = _LONG.get(name)
            if e is None:
                raise _PoptError(a, "unknown option")
            if e[2] == _N:
                if eq:
                    raise _PoptError(a, "option does not take an argument")
                yield e[3], None, a
            elif eq:
                yield e[3], val, a
            elif e[2] == _O:
                if i < n and not argv[i].startswith("-"):
                    yield e[3], argv[i], a
                    i += 1
                else:
                    yield e[3], None, a
            else:
                if i >= n:
                    raise _PoptError(a, "missing argument")
                yield e[3], argv[i], a
                i += 1
            continue
        if a.startswith("-") and len(a) > 1:
            k = 1
            while k < len(a):
                ch = a[k]
                e = _SHORT.get(ch)
                if e is None:
                    raise _PoptError("-" + ch, "unknown option")
                k += 1
                if e[2] == _N:
                    yield e[3], None, "-" + ch
                    continue
                rest = a[k:]
                if rest:
                    yield e[3], rest, "-" + ch
                elif e[2] == _O:
                    if i < n and not argv[i].startswith("-"):
                        yield e[3], argv[i], "-" + ch
                        i += 1
                    else:
                        yield e[3], None, "-" + ch
                else:
                    if i >= n:
                        raise _PoptError("-" + ch, "missing argument")
                    yield e[3], argv[i], "-" + ch
                    i += 1
                break
            continue
        leftovers.append(a)


# =========================================================================================
# the command entry
# =========================================================================================
class Svc:
    def __init__(self):
        self.af = 2
        self.protocol = 0
        self.addr = 0
        self.port = 0
        self.fwmark = 0
        self.sched_name = ""
        self.flags = 0
        self.timeout = 0
        self.netmask = 0xFFFFFFFF
        self.pe_name = ""


class DestReq:
    def __init__(self):
        self.af = 2
        self.addr = 0
        self.port = 0
        self.conn_flags = ipvs_mod.IP_VS_CONN_F_DROUTE
        self.weight = 1
        self.u_threshold = 0
        self.l_threshold = 0
        self.tun_type = 0
        self.tun_port = 0
        self.tun_flags = 0


SERVICE_ADDR, SERVICE_PORT = 1, 2
PROTO_NAME = {6: "tcp", 17: "udp", 132: "sctp"}


def parse_service(buf: str | None, svc) -> int:
    if buf is None or (buf.isascii() and buf.isdigit()):
        return 0
    portp = None
    if buf.startswith("["):
        body = buf[1:]
        k = body.find("]")
        if k < 0:
            return 0
        if body[k + 1:k + 2] != ":":
            return 0
        host, portp = body[:k], body[k + 2:]
        a6 = _parse_ipv6(host)
        if a6 is None:
            return 0
        svc.addr, svc.af, svc.netmask = a6, 10, 128
    else:
        a6 = _parse_ipv6(buf)
        if a6 is not None:
            svc.addr, svc.af, svc.netmask = a6, 10, 128
        else:
            host = buf
            if ":" in buf:
                host, _, portp = buf.rpartition(":")
            a = inet_aton(host)
            if a is None:
                a = _host_to_addr(host)
            if a is None:
                return 0
            svc.addr, svc.af = a, 2
    res = SERVICE_ADDR
    if portp is not None:
        res |= SERVICE_PORT
        p = string_to_number(portp, 0, 65535)
        if p == -1:
            p = SERVICE_NAMES.get(PROTO_NAME.get(svc.protocol, "tcp"), {}).get(portp, -1)
        if p == -1:
            return 0
        svc.port = p
    return res


def parse_timeout(buf: str | None, lo: int, hi: int) -> int:
    if buf is None:
        return IPVS_SVC_PERSISTENT_TIMEOUT
    i = string_to_number(buf, lo, hi)
    if i == -1:
        fail(2, f"invalid timeout value `{buf}' specified")
    return i


def parse_fwmark(buf: str) -> int:
    v, rest = _strtol(buf)
    if rest != "" or rest is buf or buf.strip() == "" or v <= 0 or v > 0xFFFFFFFF:
        fail(2, f"invalid fwmark value `{buf}' specified")
    return v


def parse_sched_flags(sched: str, arg: str) -> int:
    flags = 0
    for flag in [f for f in arg.split(",") if f] or [""]:
        if flag == "flag-1":
            flags |= ipvs_mod.IP_VS_SVC_F_SCHED1
        elif flag == "flag-2":
            flags |= ipvs_mod.IP_VS_SVC_F_SCHED2
        elif flag == "flag-3":
            flags |= ipvs_mod.IP_VS_SVC_F_SCHED3
        elif flag in ("sh-fallback", "sh-port", "mh-fallback", "mh-port"):
            flags |= ipvs_mod.IP_VS_SVC_F_SCHED1 if flag.endswith("fallback") else \
                ipvs_mod.IP_VS_SVC_F_SCHED2
            if sched != flag[:2]:
                fail(2, f"incompatible scheduler flag `{flag}'")
        else:
            fail(2, f"invalid scheduler flag `{flag}'")
    return flags


class Entry:
    def __init__(self):
        self.cmd = CMD_NONE
        self.svc = Svc()
        self.dest = DestReq()
        self.timeout = (0, 0, 0)


def _set_command(ce: Entry, cmd: int) -> None:
    if ce.cmd != CMD_NONE:
        fail(2, "multiple commands specified")
    ce.cmd = cmd


class Options:
    def __init__(self):
        self.mask = 0

    def set(self, name: str) -> None:
        bit = OPT[name]
        if self.mask & bit:
            fail(2, f"multiple '{name}' options specified")
        self.mask |= bit

    def __and__(self, names) -> bool:
        return any(self.mask & OPT[n] for n in names)


def generic_opt_check(cmd: int, options: Options) -> None:
    row = CMD_V_OPT[cmd]
    cname = CMDNAMES[cmd - 1]
    last = None
    count = 0
    for j, name in enumerate(OPTNAMES):
        if not options.mask & (1 << j):
            if row[j] == "+":
                fail(2, f"You need to supply the '{name}' option for the '{cname}' command")
        else:
            if row[j] == "x":
                fail(2, f"Illegal '{name}' option with the '{cname}' command")
            if row[j] == "1":
                count += 1
                if count == 1:
                    last = name
                    continue
                fail(2, f"The option '{name}' conflicts with the '{last}' option in the "
                        f"'{cname}' command")


class Ipvsadm:
    def __init__(self, ctx):
        self.ctx = ctx
        ns = ctx.ns
        ns.kernel.request_module("ip_vs")
        self.ipvs = ipvs_mod.get_ipvs(ns)

    def out(self, s: str) -> None:
        self.ctx.out.append(s)

    def err(self, s: str) -> None:
        self.ctx.err.append(s)

    # -- parse_options -------------------------------------------------------------------
    def parse_options(self, argv: list[str], ce: Entry, options: Options) -> tuple[int, bool]:
        fmt = 0
        left: list[str] = []
        it = popt_iter(argv, left)
        try:
            first = next(it, None)
        except _PoptError:
            first = None
        if first is None:
            self.tryhelp_exit()
        tag, optarg, text = first
        if tag in COMMAND_TAGS:
            _set_command(ce, COMMAND_TAGS[tag])
            if tag in ("start-daemon", "stop-daemon") and optarg not in ("master", "backup"):
                fail(2, "illegal start-daemon parameter specified" if tag == "start-daemon"
                     else "illegal start_daemon specified")
        elif tag == "h":
            self.out(HELP.replace("{p}", PROG))
            raise Exit(0)
        elif tag == "v":
            self.out(VERSION)
            raise Exit(0)
        else:
            self.tryhelp_exit()
        try:
            for tag, optarg, text in it:
                fmt = self._option(ce, options, tag, optarg, text, fmt)
        except _PoptError as e:
            self.err(f"{e.bad}: {e.text}\n")
            return -1, fmt
        if ce.cmd == CMD_TIMEOUT:
            if len(left) >= 3:
                a, b, c = left[:3]
                del left[:3]
                ce.timeout = (parse_timeout(a, 0, MAX_TIMEOUT), parse_timeout(b, 0, MAX_TIMEOUT),
                              parse_timeout(c, 0, MAX_TIMEOUT))
            else:
                fail(2, "--set option requires 3 timeout values")
        if left:
            fail(2, f"unexpected argument {left[0]}")
        return 0, fmt

    def _option(self, ce: Entry, options: Options, tag: str, optarg, text: str, fmt: int) -> int:
        svc, dest = ce.svc, ce.dest
        if tag in ("t", "u", "sctp"):
            options.set("service-address")
            svc.protocol = {"t": 6, "u": 17, "sctp": 132}[tag]
            if not parse_service(optarg, svc) & SERVICE_ADDR:
                fail(2, "illegal virtual server address[:port] specified")
        elif tag == "f":
            options.set("service-address")
            svc.af = 2
            svc.protocol = 6
            svc.fwmark = parse_fwmark(optarg)
        elif tag == "s":
            options.set("scheduler")
            svc.sched_name = optarg[:ipvs_mod.IP_VS_SCHEDNAME_MAXLEN - 1]
        elif tag == "p":
            options.set("persistent")
            svc.flags |= ipvs_mod.IP_VS_SVC_F_PERSISTENT
            svc.timeout = parse_timeout(optarg, 1, MAX_TIMEOUT)
        elif tag == "M":
            options.set("netmask")
            if svc.af != 10:
                a = inet_aton(optarg)
                if a is None:
                    a = _host_to_addr(optarg)
                if a is None:
                    fail(2, "illegal virtual server persistent mask specified")
                svc.netmask = a
            else:
                v, _ = _strtol(optarg)
                if v < 1 or v > 128:
                    fail(2, "illegal ipv6 netmask specified")
                svc.netmask = v
        elif tag == "r":
            options.set("real-server")
            t = Svc()
            t.protocol = svc.protocol
            t.af, t.addr, t.port = svc.af, svc.addr, svc.port
            parse = parse_service(optarg, t)
            dest.af, dest.addr, dest.port = t.af, t.addr, t.port
            if not parse & SERVICE_ADDR:
                fail(2, "illegal real server address[:port] specified")
            if parse == SERVICE_ADDR:
                dest.port = svc.port
        elif tag in ("i", "g", "m"):
            options.set("forwarding-method")
            dest.conn_flags = {"i": ipvs_mod.IP_VS_CONN_F_TUNNEL,
                               "g": ipvs_mod.IP_VS_CONN_F_DROUTE,
                               "m": ipvs_mod.IP_VS_CONN_F_MASQ}[tag]
        elif tag == "w":
            options.set("weight")
            dest.weight = string_to_number(optarg, 0, 2 ** 31 - 1)
            if dest.weight == -1:
                fail(2, "illegal weight specified")
        elif tag == "x":
            options.set("u-threshold")
            dest.u_threshold = string_to_number(optarg, 0, 2 ** 31 - 1)
            if dest.u_threshold == -1:
                fail(2, "illegal u_threshold specified")
        elif tag == "y":
            options.set("l-threshold")
            dest.l_threshold = string_to_number(optarg, 0, 2 ** 31 - 1)
            if dest.l_threshold == -1:
                fail(2, "illegal l_threshold specified")
        elif tag == "c":
            options.set("connection")
        elif tag == "n":
            options.set("numeric")
            fmt |= FMT_NUMERIC
        elif tag == "mcast-interface":
            options.set("mcast-interface")
        elif tag in ("mcast-group", "mcast-port", "mcast-ttl", "sync-maxlen"):
            options.set(tag)
        elif tag == "I":
            options.set("syncid")
            if string_to_number(optarg, 0, 255) == -1:
                fail(2, "illegal syncid specified")
        elif tag == "timeout":
            options.set("timeout")
        elif tag == "daemon":
            options.set("daemon")
        elif tag == "stats":
            options.set("stats")
            fmt |= FMT_STATS
        elif tag == "rate":
            options.set("rate")
            fmt |= FMT_RATE
        elif tag == "thresholds":
            options.set("thresholds")
            fmt |= FMT_THRESHOLDS
        elif tag == "persistent-conn":
            options.set("persistent-conn")
            fmt |= FMT_PERSISTENTCONN
        elif tag == "nosort":
            options.set("nosort")
            fmt |= FMT_NOSORT
        elif tag == "sort":
            pass
        elif tag == "X":
            options.set("exact")
            fmt |= FMT_EXACT
        elif tag == "6":
            if svc.fwmark:
                svc.af = 10
                svc.netmask = 128
            else:
                fail(2, "-6 used before -f\n")
        elif tag == "o":
            options.set("ops")
            svc.flags |= ipvs_mod.IP_VS_SVC_F_ONEPACKET
        elif tag == "pe":
            options.set("pe")
            svc.pe_name = optarg
        elif tag == "b":
            options.set("sched-flags")
            svc.flags |= parse_sched_flags(svc.sched_name, optarg)
        elif tag == "tun-info":
            options.set("tun-info")
            fmt |= FMT_TUN_INFO
        elif tag == "tun-type":
            options.set("tun-type")
            tt = {"ipip": 0, "gue": 1, "gre": 2}.get(optarg)
            if tt is None:
                fail(2, "illegal tunnel type specified")
            dest.tun_type = tt
        elif tag == "tun-port":
            options.set("tun-port")
            p = string_to_number(optarg, 1, 65535)
            if p == -1:
                fail(2, "illegal tunnel port specified")
            dest.tun_port = p
        elif tag in ("tun-nocsum", "tun-csum", "tun-remcsum"):
            options.set(tag)
            dest.tun_flags = {"tun-nocsum": 0, "tun-csum": 1, "tun-remcsum": 2}[tag]
        else:
            fail(2, f"invalid option `{text}'")
        return fmt

    def tryhelp_exit(self):
        self.err(f"Try `{PROG} -h' or '{PROG} --help' for more information.\n")
        raise Exit(255)

    # -- process_options -------------------------------------------------------------------
    def process_options(self, argv: list[str], reading_stdin: bool = False) -> int:
        ce = Entry()
        options = Options()
        rc, fmt = self.parse_options(argv, ce, options)
        if rc:
            return -1
        generic_opt_check(ce.cmd, options)
        svc, dest = ce.svc, ce.dest
        if ce.cmd in (CMD_ADD, CMD_EDIT):
            if not svc.fwmark and not svc.port and not svc.flags & ipvs_mod.IP_VS_SVC_F_PERSISTENT:
                fail(2, "Zero port specified for non-persistent service")
            if svc.flags & ipvs_mod.IP_VS_SVC_F_ONEPACKET and not svc.fwmark and \
                    svc.protocol != 17:
                fail(2, "One-Packet Scheduling is only for UDP virtual services")
            if not svc.sched_name:
                svc.sched_name = "wlc"
        if ce.cmd in (CMD_ADDDEST, CMD_EDITDEST):
            if not svc.fwmark and dest.conn_flags in (ipvs_mod.IP_VS_CONN_F_TUNNEL,
                                                      ipvs_mod.IP_VS_CONN_F_DROUTE):
                dest.port = svc.port
            if options & ("tun-type", "tun-port", "tun-nocsum", "tun-csum", "tun-remcsum") and \
                    dest.conn_flags != ipvs_mod.IP_VS_CONN_F_TUNNEL:
                fail(2, "Tunnel options conflict with forward method")
            if dest.af != svc.af and dest.conn_flags != ipvs_mod.IP_VS_CONN_F_TUNNEL:
                fail(2, "Different address family is allowed only for tunneling servers")
        cmd = ce.cmd
        if cmd == CMD_LIST:
            if (options & ("connection", "timeout", "daemon") and
                    options & ("stats", "rate", "thresholds")) or \
                    (options & ("timeout", "daemon") and options & ("persistent-conn",)):
                fail(2, "options conflicts in the list command")
            if options & ("connection",):
                self.list_conn(fmt)
            elif options & ("service-address",):
                self.list_service(svc, fmt)
            elif options & ("timeout",):
                t = self.ipvs.get_timeout()
                self.out(f"Timeout (tcp tcpfin udp): {t[0]} {t[1]} {t[2]}\n")
            elif options & ("daemon",):
                pass
            else:
                self.list_all(fmt)
            return 0
        if cmd == CMD_RESTORE:
            return self.restore(reading_stdin)
        if cmd == CMD_SAVE:
            self.list_all(fmt | FMT_RULE)
            return 0
        op, err = self.run_cmd(ce)
        if err:
            self.err(ipvs_strerror(op, err) + "\n")
            return -1
        return 0

    def restore(self, reading_stdin: bool) -> int:
        if reading_stdin:
            self.tryhelp_exit()
        result = 0
        for line in self.ctx.stdin.splitlines():
            words = line.split()
            if words:
                result = self.process_options(words, True)
        return result

    # -- kernel operations ------------------------------------------------------------------
    def _find(self, svc: Svc):
        return self.ipvs.find_service(svc.fwmark, svc.protocol, svc.addr, svc.port) \
            if svc.af == 2 or svc.fwmark else self._find6(svc)

    def _find6(self, svc: Svc):
        return self.ipvs.services.get((0, svc.protocol, ("v6", svc.addr), svc.port))

    def run_cmd(self, ce: Entry) -> tuple[str, int]:
        ipvs = self.ipvs
        svc, dest = ce.svc, ce.dest
        cmd = ce.cmd
        op = {CMD_FLUSH: "flush", CMD_ADD: "add_service", CMD_EDIT: "update_service",
              CMD_DEL: "del_service", CMD_ZERO: "zero_service", CMD_ADDDEST: "add_dest",
              CMD_EDITDEST: "update_dest", CMD_DELDEST: "del_dest", CMD_TIMEOUT: "set_timeout",
              CMD_STARTDAEMON: "start_daemon", CMD_STOPDAEMON: "stop_daemon"}[cmd]
        try:
            if cmd == CMD_FLUSH:
                ipvs.flush()
            elif cmd == CMD_TIMEOUT:
                ipvs.set_timeout(*ce.timeout)
            elif cmd == CMD_STARTDAEMON:
                raise KernelError(errno.EINVAL)
            elif cmd == CMD_STOPDAEMON:
                raise KernelError(errno.ESRCH)
            elif cmd == CMD_ZERO and not (svc.fwmark or svc.protocol):
                ipvs.zero(None)
            else:
                s = self._find(svc)
                if cmd == CMD_ADD:
                    if s is not None:
                        raise KernelError(errno.EEXIST)
                    key_addr = svc.addr if svc.af == 2 else ("v6", svc.addr)
                    ns = ipvs.add_service(svc.protocol, key_addr, svc.port, svc.fwmark,
                                          svc.sched_name, svc.flags, svc.timeout, svc.netmask,
                                          svc.pe_name)
                    ns.af = 2 if svc.fwmark and svc.af == 2 else svc.af
                    if svc.af == 10 and svc.fwmark:
                        ns.af = 10
                    return op, 0
                if s is None:
                    raise KernelError(errno.ESRCH)
                if cmd == CMD_EDIT:
                    ipvs.edit_service(s, svc.sched_name, svc.flags, svc.timeout, svc.netmask,
                                      svc.pe_name)
                elif cmd == CMD_DEL:
                    ipvs.del_service(s)
                elif cmd == CMD_ZERO:
                    ipvs.zero(s)
                elif cmd in (CMD_ADDDEST, CMD_EDITDEST):
                    addr = dest.addr if dest.af == 2 else ("v6", dest.addr)
                    if cmd == CMD_ADDDEST and dest.af == 2 and svc.af == 10:
                        # ip_vs_new_dest() of an IPv4 RS on an IPv6 service: address type check
                        pass
                    fn = ipvs.add_dest if cmd == CMD_ADDDEST else ipvs.edit_dest
                    d = fn(s, addr, dest.port, dest.conn_flags, dest.weight, dest.u_threshold,
                           dest.l_threshold, dest.tun_type, dest.tun_port, dest.tun_flags)
                    d.af = dest.af
                elif cmd == CMD_DELDEST:
                    addr = dest.addr if dest.af == 2 else ("v6", dest.addr)
                    ipvs.del_dest(s, addr, dest.port)
        except KernelError as e:
            return op, e.errno
        return op, 0

    # -- listings -----------------------------------------------------------------------------
    def _addrport(self, af: int, addr, port: int, proto: int, fmt: int) -> str:
        if isinstance(addr, tuple):
            addr = addr[1]
            af = 10
        a = ntoa6(addr) if af == 10 else ntoa(addr)
        if af == 10:
            a = f"[{a}]"
        if fmt & FMT_NUMERIC:
            return f"{a}:{port}"
        name = SERVICES.get(PROTO_NAME.get(proto, ""), {}).get(port)
        return f"{a}:{name if name else port}"

    def print_title(self, fmt: int) -> None:
        if fmt & FMT_STATS:
            self.out("%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n" % (
                "Prot LocalAddress:Port", "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"))
        elif fmt & FMT_RATE:
            self.out("%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n" % (
                "Prot LocalAddress:Port", "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"))
        elif fmt & FMT_THRESHOLDS:
            self.out("%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n" % (
                "Prot LocalAddress:Port", "Uthreshold", "Lthreshold", "ActiveConn",
                "InActConn"))
        elif fmt & FMT_PERSISTENTCONN:
            self.out("%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n" % (
                "Prot LocalAddress:Port", "Weight", "PersistConn", "ActiveConn", "InActConn"))
        elif not fmt & FMT_RULE:
            self.out("Prot LocalAddress:Port Scheduler Flags\n")
            if fmt & FMT_TUN_INFO:
                self.out("  -> RemoteAddress:Port           Forward TunnelInfo    Weight "
                         "ActiveConn InActConn\n")
            else:
                self.out("  -> RemoteAddress:Port           Forward Weight ActiveConn "
                         "InActConn\n")

    @staticmethod
    def _largenum(i: int, fmt: int) -> str:
        if fmt & FMT_EXACT:
            s = str(i)
            return s.rjust(9 if len(s) <= 8 else len(s) + 1)
        if i < 100000000:
            return "%9d" % i
        if i < 1000000000:
            return "%8dK" % (i // 1000)
        if i < 100000000000:
            return "%8dM" % (i // 1000000)
        if i < 100000000000000:
            return "%8dG" % (i // 1000000000)
        return "%8dT" % (i // 1000000000000)

    @staticmethod
    def _sched_flags(s) -> str:
        f = s.flags
        names = []
        if s.sched_name in ("sh", "mh"):
            p = s.sched_name
            if f & ipvs_mod.IP_VS_SVC_F_SCHED1:
                names.append(p + "-fallback")
            if f & ipvs_mod.IP_VS_SVC_F_SCHED2:
                names.append(p + "-port")
        else:
            for bit, n in ((ipvs_mod.IP_VS_SVC_F_SCHED1, "flag-1"),
                           (ipvs_mod.IP_VS_SVC_F_SCHED2, "flag-2"),
                           (ipvs_mod.IP_VS_SVC_F_SCHED3, "flag-3")):
                if f & bit:
                    names.append(n)
        return ",".join(names)

    def print_service_entry(self, s, fmt: int) -> None:
        self.ipvs.est_update()
        proto_flag = {6: "-t", 17: "-u", 132: "--sctp-service"}
        proto_name = {6: "TCP", 17: "UDP", 132: "SCTP"}
        schedf = ipvs_mod.IP_VS_SVC_F_SCHED1 | ipvs_mod.IP_VS_SVC_F_SCHED2 | \
            ipvs_mod.IP_VS_SVC_F_SCHED3
        if s.fwmark:
            if fmt & FMT_RULE:
                name = f"-f {s.fwmark} -6" if s.af == 10 else f"-f {s.fwmark}"
            else:
                name = f"FWM  {s.fwmark} IPv6" if s.af == 10 else f"FWM  {s.fwmark}"
        else:
            v = self._addrport(s.af, s.addr, s.port, s.protocol, fmt)
            if fmt & FMT_RULE:
                name = f"{proto_flag.get(s.protocol, '--xxx-service')} {v}"
            else:
                name = "%-4s %s" % (proto_name.get(s.protocol, "XXX"), v)
                if not isinstance(s.addr, tuple):
                    name = name[:33]
        if fmt & FMT_RULE:
            line = f"-A {name} -s {s.sched_name}"
            if s.flags & ipvs_mod.IP_VS_SVC_F_PERSISTENT:
                line += f" -p {s.timeout}"
                if s.af == 2 and s.netmask != 0xFFFFFFFF:
                    line += f" -M {ntoa(s.netmask)}"
                elif s.af == 10 and s.netmask != 128:
                    line += f" -M {s.netmask}"
            if s.flags & schedf:
                line += " -b " + self._sched_flags(s)
            if s.pe_name:
                line += f" --pe {s.pe_name}"
            if s.flags & ipvs_mod.IP_VS_SVC_F_ONEPACKET:
                line += " -o"
        elif fmt & FMT_STATS:
            v = s.stats.view()
            line = "%-33s" % name + "".join(self._largenum(v[k], fmt) for k in (
                "conns", "inpkts", "outpkts", "inbytes", "outbytes"))
        elif fmt & FMT_RATE:
            v = s.stats.view()
            line = "%-33s" % name + "".join(self._largenum(v[k], fmt) for k in (
                "cps", "inpps", "outpps", "inbps", "outbps"))
        else:
            line = f"{name} {s.sched_name}"
            if s.flags & schedf:
                line += f" ({self._sched_flags(s)})"
            if s.flags & ipvs_mod.IP_VS_SVC_F_PERSISTENT:
                line += f" persistent {s.timeout}"
                if s.af == 2 and s.netmask != 0xFFFFFFFF:
                    line += f" mask {ntoa(s.netmask)}"
                elif s.af == 10 and s.netmask != 128:
                    line += f" mask {s.netmask}"
                if s.pe_name:
                    line += f" pe {s.pe_name}"
            if s.flags & ipvs_mod.IP_VS_SVC_F_ONEPACKET:
                line += " ops"
        self.out(line + "\n")
        dests = list(s.dests)
        if not fmt & FMT_NOSORT:
            dests = _msort(dests, _cmp_dests)
        fwd_names = {0: "Masq", 1: "Local", 2: "Tunnel", 3: "Route"}
        fwd_switch = {0: "-m", 1: "-g", 2: "-i", 3: "-g"}
        for d in dests:
            dname = self._addrport(d.af, d.addr, d.port, s.protocol, fmt)
            if not fmt & FMT_RULE and d.af != 10:
                dname = dname[:28]
            if fmt & FMT_RULE:
                line = f"-a {name} -r {dname} {fwd_switch[d.fwd]} -w {d.weight}"
                if d.fwd == ipvs_mod.IP_VS_CONN_F_TUNNEL:
                    tt = ("ipip", "gue", "gre")[d.tun_type]
                    line += f" --tun-type {tt}"
                    if d.tun_type == 1:
                        line += f" --tun-port {d.tun_port}"
                    if d.tun_type in (1, 2):
                        line += " " + ("--tun-nocsum", "--tun-csum", "--tun-remcsum")[
                            d.tun_flags]
                self.out(line + "\n")
            elif fmt & FMT_STATS:
                v = d.stats.view()
                self.out("  -> %-28s" % dname + "".join(self._largenum(v[k], fmt) for k in (
                    "conns", "inpkts", "outpkts", "inbytes", "outbytes")) + "\n")
            elif fmt & FMT_RATE:
                v = d.stats.view()
                self.out("  -> %-28s %8d %8d %8d" % (dname, v["cps"], v["inpps"], v["outpps"])
                         + self._largenum(v["inbps"], fmt) + self._largenum(v["outbps"], fmt)
                         + "\n")
            elif fmt & FMT_THRESHOLDS:
                self.out("  -> %-28s %-10d %-10d %-10d %-10d\n" % (
                    dname, d.u_threshold, d.l_threshold, d.activeconns, d.inactconns))
            elif fmt & FMT_PERSISTENTCONN:
                self.out("  -> %-28s %-9d %-11d %-10d %-10d\n" % (
                    dname, d.weight, d.persistconns, d.activeconns, d.inactconns))
            elif fmt & FMT_TUN_INFO:
                ti = "n/a"
                if d.fwd == ipvs_mod.IP_VS_CONN_F_TUNNEL:
                    ti = ("ipip", "gue", "gre")[d.tun_type]
                self.out("  -> %-28s %-7s %-13s %-6d %-10d %-10d\n" % (
                    dname, fwd_names[d.fwd], ti, d.weight, d.activeconns, d.inactconns))
            else:
                self.out("  -> %-28s %-7s %-6d %-10d %-10d\n" % (
                    dname, fwd_names[d.fwd], d.weight, d.activeconns, d.inactconns))

    def list_service(self, svc: Svc, fmt: int) -> None:
        s = self._find(svc)
        if s is None:
            self.err("No such service\n")
            raise Exit(1)
        self.print_title(fmt)
        self.print_service_entry(s, fmt)

    def list_all(self, fmt: int) -> None:
        if not fmt & FMT_RULE:
            self.out("IP Virtual Server version %d.%d.%d (size=%d)\n" % (
                1, 2, 1, ipvs_mod.IP_VS_CONN_TAB_SIZE))
        svcs = list(self.ipvs.services.values())
        if not fmt & FMT_NOSORT:
            svcs = _msort(svcs, _cmp_services)
        self.print_title(fmt)
        for s in svcs:
            self.print_service_entry(s, fmt)

    def list_conn(self, fmt: int) -> None:
        ipvs = self.ipvs
        self.out("IPVS connection entries\n")
        if fmt & FMT_PERSISTENTCONN:
            self.out("pro expire %-11s %-18s %-18s %-18s %-16s %s\n" % (
                "state", "source", "virtual", "destination", "pe name", "pe_data"))
        else:
            self.out("pro expire %-11s %-18s %-18s %s\n" % (
                "state", "source", "virtual", "destination"))
        pname = {6: "TCP", 17: "UDP", 132: "SCTP", 0: "IP"}
        for c in ipvs.conn_list():
            exp = ipvs.expire_in(c)
            proto = pname.get(c.protocol, "IP")
            if c.is_template and c.fwmark:
                vname = self._addrport(2, c.vaddr, c.vport, 0, fmt | FMT_NUMERIC)
            else:
                vname = self._addrport(2, c.vaddr, c.vport, c.protocol, fmt)
            cname = self._addrport(2, c.caddr, c.cport, c.protocol, fmt)
            dname = self._addrport(2, c.daddr, c.dport, c.protocol, fmt)
            self.out("%-3s %-6s %-11s %-18s %-18s %s\n" % (
                proto, "%02d:%02d" % (exp // 60, exp % 60), c.state_name(), cname, vname,
                dname))


@command("ipvsadm")
def ipvsadm(ctx, argv: list[str]) -> int:
    tool = Ipvsadm(ctx)
    try:
        if not argv:
            tool.list_all(0)
            return 0
        return tool.process_options(argv) & 0xFF
    except _Fail as f:
        if f.msg is not None:
            tool.err(f.msg + "\n")
        return f.code
