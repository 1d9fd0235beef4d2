"""TUN/TAP (kernel-spec §5, TUN-*): one test per rule on the emulator, and for each rule the
host can show, the same scenario run on the host kernel (in a throwaway netns, through the real
/dev/net/tun) with the results compared (``*_matches_host_kernel``).

Each scenario is a function of a backend (``vnetlab.tuntap.EmuBackend`` / ``LinuxBackend``)
that returns plain data. On the host it runs as ``python tests/test_tuntap.py SCENARIO`` inside
the netns and prints JSON. The absolute expectations written in the emulator tests are what the
host kernel 6.18 showed (the scenarios' host runs check them again)."""

from __future__ import annotations

import errno
import json
import os
import shlex
import struct
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from vnetlab.tuntap import EmuBackend, LinuxBackend, open_tun  # noqa: E402
from vnetlab.devices.tuntap import (IFF_NO_PI, IFF_TAP, IFF_TUN,  # noqa: E402
                                    IFF_TUN_EXCL, PtrRing)


# -- helpers ------------------------------------------------------------------------------------

def csum(b: bytes) -> int:
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a: str) -> bytes:
    return bytes(int(x) for x in a.split("."))


def icmp_echo(src: str, dst: str, ident: int = 0x1234, seq: int = 1, size: int = 56,
              proto_csum: bool = True) -> bytes:
    """An 84-byte (default) IPv4 ICMP echo request."""
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + bytes(range(size % 256))[:size] \
        + b"\0" * max(0, size - 256)
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), seq, 0x4000, 64, 1, 0,
                      ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + body


def sh(be, cmd: str):
    return be.run(shlex.split(cmd))


def link(be, name: str, stats: bool = False) -> dict:
    rc, out, err = sh(be, f"ip -d {'-s ' if stats else ''}-j link show dev {name}")
    if rc:
        return {"error": err.strip()}
    return json.loads(out)[0]


def err_of(fn):
    try:
        r = fn()
    except BlockingIOError as e:
        return errno.errorcode[e.errno]
    except OSError as e:
        return errno.errorcode[e.errno]
    return r if isinstance(r, (int, str)) else r.hex() if isinstance(r, bytes) else repr(r)


def noipv6(be) -> None:
    sh(be, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1")


def _shape(d: dict) -> dict:
    keep = ("ifname", "flags", "mtu", "qdisc", "operstate", "txqlen", "link_type", "min_mtu",
            "max_mtu", "num_tx_queues", "num_rx_queues", "tso_max_size")
    out = {k: d.get(k) for k in keep}
    out["info_data"] = d.get("linkinfo", {}).get("info_data")
    out["has_address"] = "address" in d
    return out


# -- scenarios (backend -> data) ----------------------------------------------------------------

def sc_shape(be) -> dict:
    """TUN-05 / TUN-06 / TUN-07: what a fresh tun and tap look like, with a file and without."""
    noipv6(be)
    t = open_tun("tn0", "tun", backend=be)
    p = open_tun("tp0", "tap", backend=be, pi=True)
    res = {"tun": _shape(link(be, "tn0")), "tap": _shape(link(be, "tp0"))}
    sh(be, "ip link set tn0 up")
    sh(be, "ip link set tp0 up")
    res["tun_up"] = _shape(link(be, "tn0"))
    res["tap_up"] = _shape(link(be, "tp0"))
    res["names"] = [t.name, p.name]
    t.close()
    p.close()
    res["after_close"] = sh(be, "ip -j link show")[1]
    return res


def sc_carrier(be) -> dict:
    """TUN-07 / TUN-08: persist, close (NO-CARRIER, DOWN), reattach (UP), IFF_NO_CARRIER,
    TUNSETCARRIER, and a non-persistent device that goes with its last file."""
    noipv6(be)
    res = {}
    t = open_tun("pp0", "tun", backend=be)
    t.set_persist(True)
    sh(be, "ip link set pp0 up")
    res["attached"] = sh(be, "ip link show dev pp0")[1]
    t.close()
    res["persist_no_file"] = sh(be, "ip link show dev pp0")[1]
    t = open_tun("pp0", "tun", backend=be, pi=True)
    res["reattached"] = sh(be, "ip link show dev pp0")[1]
    res["reattached_flags"] = sh(be, "ip tuntap show")[1]
    t.set_persist(False)
    t.close()
    res["after_unpersist_close"] = sh(be, "ip -j link show")[1]
    n = open_tun("nc0", "tun", backend=be, no_carrier=True)
    sh(be, "ip link set nc0 up")
    res["no_carrier"] = sh(be, "ip link show dev nc0")[1]
    n.set_carrier(True)
    res["set_carrier_on"] = sh(be, "ip link show dev nc0")[1]
    n.set_carrier(False)
    res["set_carrier_off"] = sh(be, "ip link show dev nc0")[1]
    n.close()
    return res


def sc_attach_errors(be) -> dict:
    """TUN-02 / TUN-03 / TUN-04: the errno of each refused TUNSETIFF and unattached file."""
    noipv6(be)
    t = open_tun("at0", "tun", backend=be)
    res = {
        "busy": err_of(lambda: open_tun("at0", "tun", backend=be)),
        "type": err_of(lambda: open_tun("at0", "tap", backend=be)),
        "mq": err_of(lambda: open_tun("at0", "tun", backend=be, multi_queue=True)),
        "excl": err_of(lambda: open_tun("at0", backend=be, flags=IFF_TUN | IFF_NO_PI |
                                        IFF_TUN_EXCL)),
        "notype": err_of(lambda: open_tun("zz0", backend=be, flags=IFF_NO_PI)),
        "lo": err_of(lambda: open_tun("lo", "tun", backend=be)),
        "colon": err_of(lambda: open_tun("a:b", "tun", backend=be)),
    }
    t2 = open_tun("", "tap", backend=be)
    t3 = open_tun("x%d", "tun", backend=be)
    res["names"] = [t2.name, t3.name]
    for h in (t, t2, t3):
        h.close()
    res["after"] = sh(be, "ip tuntap show")[1]
    return res


def sc_write(be) -> dict:
    """TUN-IO-01..04, TUN-PI-03: write() errors and counters."""
    noipv6(be)
    t = open_tun("wr0", "tun", backend=be)
    p = open_tun("wp0", "tun", backend=be, pi=True)
    a = open_tun("wa0", "tap", backend=be)
    good = icmp_echo("10.0.0.2", "10.0.0.1")
    res = {"down_ok": err_of(lambda: t.write(good)),
           "down_bad": err_of(lambda: t.write(b"\0" * 20)),
           "down_empty": err_of(lambda: t.write(b""))}
    sh(be, "ip link set wr0 up")
    sh(be, "ip link set wp0 up")
    sh(be, "ip link set wa0 up")
    res.update({"up_bad": err_of(lambda: t.write(b"\x50" + b"\0" * 19)),
                "up_empty": err_of(lambda: t.write(b"")),
                "up_ok": err_of(lambda: t.write(good)),
                "pi_3": err_of(lambda: p.write(b"abc")),
                "pi_4": err_of(lambda: p.write(b"\0\0\x08\x00")),
                "pi_ok": err_of(lambda: p.write(b"\0\0\x08\x00" + good)),
                "tap_13": err_of(lambda: a.write(b"\0" * 13)),
                "tap_14": err_of(lambda: a.write(b"\xff" * 6 + b"\x02" * 6 + b"\x08\x06"))})
    for n in ("wr0", "wp0", "wa0"):
        s = link(be, n, stats=True)["stats64"]
        res[n] = {f"{d}_{f}": s[d][f] for d in ("rx", "tx") for f in ("bytes", "packets",
                                                                       "dropped")}
    for h in (t, p, a):
        h.close()
    return res


def sc_read(be) -> dict:
    """TUN-IO-05 / TUN-PI-02: one packet per read, truncation, PI flags, reads while down."""
    noipv6(be)
    t = open_tun("rd0", "tun", backend=be, nonblock=True)
    p = open_tun("rp0", "tun", backend=be, pi=True, nonblock=True)
    sh(be, "ip link set rd0 up")
    sh(be, "ip addr add 10.9.0.1 peer 10.9.0.2 dev rd0")
    sh(be, "ip link set rp0 up")
    sh(be, "ip addr add 10.8.0.1 peer 10.8.0.2 dev rp0")
    res = {"empty": err_of(lambda: t.read(100))}
    for i in range(3):
        t.write(icmp_echo("10.9.0.2", "10.9.0.1", seq=i + 1))
    res["zero"] = err_of(lambda: t.read(0))
    res["short"] = err_of(lambda: len(t.read(10)))
    res["full"] = err_of(lambda: len(t.read(2000)))
    sh(be, "ip link set rd0 down")
    res["while_down"] = err_of(lambda: len(t.read(2000)))
    res["then_empty"] = err_of(lambda: t.read(2000))
    for i in range(3):
        p.write(b"\0\0\x08\x00" + icmp_echo("10.8.0.2", "10.8.0.1", seq=i + 1))
    res["pi_3"] = err_of(lambda: p.read(3))
    res["pi_10"] = err_of(lambda: p.read(10)[:8])      # (then the IP id: random)
    res["pi_full"] = err_of(lambda: p.read(2000)[:4])
    s = link(be, "rd0", stats=True)["stats64"]
    res["rd0_tx"] = [s["tx"]["packets"], s["tx"]["bytes"], s["tx"]["dropped"]]
    t.close()
    p.close()
    return res


def sc_ring(be) -> dict:
    """TUN-IO-06: the ring holds tx_queue_len packets; slots just read are freed in batches."""
    noipv6(be)
    t = open_tun("rg0", "tun", backend=be, nonblock=True)
    sh(be, "ip link set rg0 up")
    sh(be, "ip addr add 10.9.0.1 peer 10.9.0.2 dev rg0")
    res = {}

    def burst(n: int, start: int) -> None:
        for i in range(n):
            t.write(icmp_echo("10.9.0.2", "10.9.0.1", seq=(start + i) & 0xFFFF))

    def drops() -> int:
        return link(be, "rg0", stats=True)["stats64"]["tx"]["dropped"]

    burst(520, 1)
    res["full"] = drops()
    for _ in range(4):
        t.read(2000)
    burst(20, 600)
    res["after_4_reads"] = drops()
    for _ in range(12):
        t.read(2000)
    burst(20, 700)
    res["after_16_reads"] = drops()
    n = 0
    while True:
        try:
            t.read(2000)
            n += 1
        except BlockingIOError:
            break
    res["queued"] = n
    sh(be, "ip link set rg0 txqueuelen 8")
    burst(20, 800)
    res["txqlen8"] = drops()
    t.close()
    return res


def sc_multiqueue(be) -> dict:
    """TUN-10: queues join and leave; the reply to a flow goes to the queue that wrote it."""
    noipv6(be)
    qs = [open_tun("mq0", "tun", backend=be, multi_queue=True, nonblock=True) for _ in range(3)]
    sh(be, "ip link set mq0 up")
    sh(be, "ip addr add 10.9.0.1 peer 10.9.0.2 dev mq0")
    res = {"three": link(be, "mq0")["linkinfo"]["info_data"]}
    # the flow table is updated after the written packet went up the stack, so each reply
    # goes to the queue that wrote the flow before (ICMP: the flow is the address pair);
    # the first write primes it (its reply's queue is the hash's choice: random per boot)
    qs[2].write(icmp_echo("10.9.0.2", "10.9.0.1", ident=0x99, seq=1))
    for q in qs:
        err_of(lambda q=q: q.read(2000))
    got = []
    for k, q in enumerate(qs):
        q.write(icmp_echo("10.9.0.2", "10.9.0.1", ident=0x100 + k, seq=1))
        got.append([err_of(lambda q=q: len(q.read(2000))) for q in qs])
    res["reply_queue"] = got
    qs[1].set_queue(False)
    res["detached"] = link(be, "mq0")["linkinfo"]["info_data"]
    res["detach_again"] = err_of(lambda: qs[1].set_queue(False))
    qs[0].close()
    qs[2].close()
    res["only_disabled"] = link(be, "mq0")["linkinfo"]["info_data"]
    res["carrier_with_disabled"] = sh(be, "ip link show dev mq0")[1]
    qs[1].set_queue(True)
    res["reattached"] = link(be, "mq0")["linkinfo"]["info_data"]
    res["attach_again"] = err_of(lambda: qs[1].set_queue(True))
    qs[1].close()
    res["gone"] = sh(be, "ip -j link show")[1]
    return res


def sc_owner(be) -> dict:
    """TUN-08 / TUN-09: owner and group as ip shows them; -1 is EINVAL."""
    noipv6(be)
    t = open_tun("ow0", "tap", backend=be)
    t.set_owner(4242)
    t.set_group(4343)
    res = {"bad_owner": err_of(lambda: t.set_owner(0xFFFFFFFF)),
           "show": sh(be, "ip tuntap show")[1],
           "info": link(be, "ow0")["linkinfo"]["info_data"]}
    t.set_persist(True)
    t.close()
    res["persist"] = sh(be, "ip tuntap show")[1]
    res["del"] = sh(be, "ip tuntap del dev ow0 mode tap")[:2]
    res["after"] = sh(be, "ip tuntap show")[1]
    return res


def sc_tap(be) -> dict:
    """TUN-06 / TUN-PI-02 / TUN-11 on a TAP with PI: ARP and ICMP answered by the kernel as
    Ethernet frames; the PI proto is the frame's EtherType; a vnet_hdr tun reads a zero
    virtio_net_hdr for a locally made reply."""
    noipv6(be)
    t = open_tun("tp0", "tap", backend=be, pi=True, nonblock=True)
    sh(be, "ip link set tp0 address 02:00:00:00:00:01")
    sh(be, "ip link set tp0 up")
    sh(be, "ip addr add 10.7.0.1/24 dev tp0")
    me, peer = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
    arp = (b"\xff" * 6 + peer + b"\x08\x06" + bytes.fromhex("0001080006040001") + peer +
           ip4("10.7.0.2") + b"\0" * 6 + ip4("10.7.0.1"))
    res = {"arp_write": err_of(lambda: t.write(b"\0\0\x08\x06" + arp))}
    res["arp_reply"] = err_of(lambda: t.read(2000))
    echo = me + peer + b"\x08\x00" + icmp_echo("10.7.0.2", "10.7.0.1")
    res["icmp_write"] = err_of(lambda: t.write(b"\0\0\x12\x34" + echo))  # proto ignored (TAP)
    r = t.read(2000)
    res["icmp_reply_head"] = r[:4 + 14].hex()
    res["icmp_reply_len"] = len(r)
    res["icmp_reply_type"] = r[4 + 14 + 20]
    t.close()
    v = open_tun("vh0", "tun", backend=be, vnet_hdr=True, nonblock=True)
    sh(be, "ip link set vh0 up")
    sh(be, "ip addr add 10.6.0.1 peer 10.6.0.2 dev vh0")
    res["vnet_short"] = err_of(lambda: v.write(b"\0" * 9))
    res["vnet_write"] = err_of(lambda: v.write(b"\0" * 10 + icmp_echo("10.6.0.2", "10.6.0.1")))
    r = v.read(2000)
    res["vnet_read"] = [r[:10].hex(), len(r), r[10 + 20]]
    res["vnet_short_read"] = err_of(lambda: v.read(9))
    v.close()
    return res


SCENARIOS = {f.__name__[3:]: f for f in (sc_shape, sc_carrier, sc_attach_errors, sc_write,
                                         sc_read, sc_ring, sc_multiqueue, sc_owner, sc_tap)}


def emu(name: str):
    """The scenario on a fresh emulated machine (its initial netns, like a fresh netns)."""
    return json.loads(json.dumps(SCENARIOS[name](EmuBackend())))


def real(host, name: str):
    p = host.run(f"{shlex.quote(sys.executable)} {shlex.quote(str(Path(__file__).resolve()))} "
                 f"{name}", ns="t", check=False)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def _needs_tun():
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("the host has no /dev/net/tun")


# -- TUN-01 .. TUN-11 ---------------------------------------------------------------------------

def test_TUN_01_flag_bits_are_the_uapi_values():
    from vnetlab.devices import tuntap as t
    assert (t.IFF_TUN, t.IFF_TAP, t.IFF_NO_CARRIER, t.IFF_MULTI_QUEUE, t.IFF_NO_PI,
            t.IFF_ONE_QUEUE, t.IFF_VNET_HDR, t.IFF_TUN_EXCL, t.IFF_PERSIST) == \
        (1, 2, 0x40, 0x100, 0x1000, 0x2000, 0x4000, 0x8000, 0x800)


def test_TUN_05_TUN_06_device_shape():
    r = emu("shape")
    assert r["tun"]["flags"] == ["POINTOPOINT", "MULTICAST", "NOARP"]
    assert (r["tun"]["txqlen"], r["tun"]["link_type"], r["tun"]["max_mtu"]) == (500, "none", 65535)
    assert not r["tun"]["has_address"]
    assert (r["tap"]["txqlen"], r["tap"]["link_type"], r["tap"]["max_mtu"]) == (1000, "ether",
                                                                              65521)
    assert r["tun_up"]["operstate"] == "UNKNOWN" and r["tun_up"]["qdisc"] == "pfifo_fast"
    assert r["tap"]["info_data"] == {"type": "tap", "pi": True, "vnet_hdr": False,
                                     "multi_queue": False, "persist": False}
    assert json.loads(r["after_close"])[0]["ifname"] == "lo" and \
        len(json.loads(r["after_close"])) == 1


def test_TUN_05_TUN_06_device_shape_matches_host_kernel(host):
    _needs_tun()
    assert emu("shape") == real(host, "shape")


def test_TUN_07_carrier_and_persist():
    r = emu("carrier")
    assert "NO-CARRIER" not in r["attached"] and "state UNKNOWN" in r["attached"]
    assert "<NO-CARRIER,POINTOPOINT,MULTICAST,NOARP,UP>" in r["persist_no_file"]
    assert "state DOWN" in r["persist_no_file"]
    assert "state UP " in r["reattached"]
    assert r["reattached_flags"] == "pp0: tun pi persist filter\n"
    assert "pp0" not in r["after_unpersist_close"]
    assert "NO-CARRIER" in r["no_carrier"] and "state UP " in r["set_carrier_on"]
    assert "NO-CARRIER" in r["set_carrier_off"]


def test_TUN_07_carrier_and_persist_matches_host_kernel(host):
    _needs_tun()
    assert emu("carrier") == real(host, "carrier")


def test_TUN_02_TUN_03_TUN_04_attach_errors():
    r = emu("attach_errors")
    assert (r["busy"], r["type"], r["mq"], r["excl"], r["notype"], r["lo"], r["colon"]) == \
        ("EBUSY", "EINVAL", "EINVAL", "EBUSY", "EINVAL", "EINVAL", "EINVAL")
    assert r["names"] == ["tap0", "x0"]
    assert r["after"] == ""


def test_TUN_02_TUN_03_TUN_04_attach_errors_match_host_kernel(host):
    _needs_tun()
    assert emu("attach_errors") == real(host, "attach_errors")


def test_TUN_03_setiff_twice_is_EEXIST_and_unattached_file_EBADFD():
    from vnetlab.api import Lab
    from vnetlab.devices.tuntap import open_tun_file
    from vnetlab.stack.errors import EBADFD, EEXIST, EINVAL, KernelError
    ns = Lab().netns("a")
    f = open_tun_file(ns)
    for call in (lambda: f.read(10), lambda: f.write(b"x"), lambda: f.set_persist(True)):
        with pytest.raises(KernelError) as e:
            call()
        assert e.value.errno == EBADFD
    with pytest.raises(KernelError) as e:
        f.set_queue(0x200)
    assert e.value.errno == EINVAL
    f.set_iff("q0", IFF_TUN | IFF_NO_PI)
    with pytest.raises(KernelError) as e:
        f.set_iff("q1", IFF_TUN)
    assert e.value.errno == EEXIST


def test_TUN_IO_01_to_04_write_semantics():
    r = emu("write")
    assert (r["down_ok"], r["down_bad"], r["down_empty"]) == ("EIO", "EINVAL", "EINVAL")
    assert (r["up_bad"], r["up_empty"], r["up_ok"]) == ("EINVAL", "EINVAL", 84)
    assert (r["pi_3"], r["pi_4"], r["pi_ok"]) == ("EINVAL", 4, 88)
    assert (r["tap_13"], r["tap_14"]) == ("EINVAL", 14)
    assert r["wr0"]["rx_dropped"] == 5 and r["wr0"]["rx_packets"] == 1
    assert r["wr0"]["rx_bytes"] == 84


def test_TUN_IO_01_to_04_write_semantics_match_host_kernel(host):
    _needs_tun()
    assert emu("write") == real(host, "write")


def test_TUN_IO_05_TUN_PI_02_read_semantics():
    r = emu("read")
    assert r["empty"] == "EAGAIN" and r["zero"] == ""
    assert (r["short"], r["full"], r["while_down"], r["then_empty"]) == (10, 84, 84, "EAGAIN")
    assert r["pi_3"] == "EINVAL"
    assert r["pi_10"].startswith("01000800")        # TUN_PKT_STRIP in host order, then proto
    assert r["pi_full"] == "00000800"
    assert r["rd0_tx"] == [3, 252, 0]               # counted when read, truncated or not


def test_TUN_IO_05_TUN_PI_02_read_semantics_match_host_kernel(host):
    _needs_tun()
    assert emu("read") == real(host, "read")


def test_TUN_IO_06_ring_and_batched_consumer():
    r = emu("ring")
    assert r == {"full": 20, "after_4_reads": 40, "after_16_reads": 44, "queued": 500,
                 "txqlen8": 56}


def test_TUN_IO_06_ring_and_batched_consumer_matches_host_kernel(host):
    _needs_tun()
    assert emu("ring") == real(host, "ring")


def test_TUN_IO_06_ptr_ring_model():
    r = PtrRing(500)
    assert r.batch == 16
    assert sum(r.produce(i) for i in range(510)) == 500
    for _ in range(15):
        r.consume()
    assert not r.produce("x")
    r.consume()
    assert sum(r.produce(i) for i in range(20)) == 16
    small = PtrRing(8)
    assert small.batch == 1


def test_TUN_10_multiqueue():
    r = emu("multiqueue")
    assert r["three"] == {"type": "tun", "pi": False, "vnet_hdr": False, "multi_queue": True,
                          "numqueues": 3, "numdisabled": 0, "persist": False}
    assert r["reply_queue"] == [[ok if i == want else "EAGAIN" for i in range(3)]
                                for want, ok in ((2, 84), (0, 84), (1, 84))]
    assert (r["detached"]["numqueues"], r["detached"]["numdisabled"]) == (2, 1)
    assert r["detach_again"] == "EINVAL" and r["attach_again"] == "EINVAL"
    assert (r["only_disabled"]["numqueues"], r["only_disabled"]["numdisabled"]) == (0, 1)
    assert (r["reattached"]["numqueues"], r["reattached"]["numdisabled"]) == (1, 0)
    assert "mq0" not in r["gone"]


def test_TUN_10_multiqueue_matches_host_kernel(host):
    _needs_tun()
    assert emu("multiqueue") == real(host, "multiqueue")


def test_TUN_08_TUN_09_owner_group_persist():
    r = emu("owner")
    assert r["bad_owner"] == "EINVAL"
    assert r["show"] == "ow0: tap user 4242 group 4343\n"
    assert r["persist"] == "ow0: tap persist user 4242 group 4343\n"
    assert r["del"] == [0, ""] and r["after"] == ""


def test_TUN_08_TUN_09_owner_group_persist_matches_host_kernel(host):
    _needs_tun()
    assert emu("owner") == real(host, "owner")


def test_TUN_09_not_owner_is_EPERM_without_capability():
    from vnetlab.api import Lab
    from vnetlab.devices.tuntap import Cred, open_tun_file
    from vnetlab.stack.errors import EPERM, KernelError
    ns = Lab().netns("a")
    f = open_tun_file(ns)
    f.set_iff("o0", IFF_TAP | IFF_NO_PI)
    f.set_owner(1000)
    f.set_persist(True)
    f.close()
    g = open_tun_file(ns)
    with pytest.raises(KernelError) as e:
        g.set_iff("o0", IFF_TAP | IFF_NO_PI, Cred(uid=1001, net_admin=False))
    assert e.value.errno == EPERM
    assert g.set_iff("o0", IFF_TAP | IFF_NO_PI, Cred(uid=1000, net_admin=False)) == "o0"
    h = open_tun_file(ns)
    with pytest.raises(KernelError) as e:          # TUN-02: creating needs CAP_NET_ADMIN
        h.set_iff("new0", IFF_TUN, Cred(uid=1000, net_admin=False))
    assert e.value.errno == EPERM


def test_TUN_11_vnet_header():
    from vnetlab.api import Lab
    from vnetlab.devices.tuntap import IFF_VNET_HDR, open_tun_file
    from vnetlab.stack.errors import EINVAL, KernelError
    from ipv6_off import disable_ipv6
    lab = Lab()
    ns = lab.netns("a")
    disable_ipv6(lab, "a")      # the first packet read back is the ICMP, not v0's own RS/MLD
    f = open_tun_file(ns)
    f.set_iff("v0", IFF_TUN | IFF_NO_PI | IFF_VNET_HDR)
    with pytest.raises(KernelError) as e:
        f.set_vnet_hdr_sz(9)
    assert e.value.errno == EINVAL
    dev = ns.dev("v0")
    lab.kernel.dev_open(dev)
    pkt = icmp_echo("10.0.0.2", "10.0.0.1")
    with pytest.raises(KernelError):
        f.write(b"\0" * 9)                      # shorter than the header
    with pytest.raises(KernelError):            # hdr_len beyond the packet
        f.write(b"\0\0" + struct.pack("<H", 200) + b"\0" * 6 + pkt)
    assert f.write(b"\0" * 10 + pkt) == 94
    from vnetlab.commands import run
    run(lab, ["ip", "addr", "add", "10.0.0.1", "peer", "10.0.0.2", "dev", "v0"], ns=ns)
    f.write(b"\0" * 10 + pkt)
    lab.engine.run_until_idle()
    got = f.read(2000)
    assert got[:10] == b"\0" * 10 and got[10] == 0x45 and len(got) == 94


def test_TUN_06_TUN_PI_02_tap_frames_and_vnet_header():
    r = emu("tap")
    assert r["arp_write"] == 46 and r["arp_reply"].startswith("00000806" + "020000000002" +
                                                               "020000000001" + "0806")
    assert r["icmp_write"] == 102
    assert r["icmp_reply_head"] == "00000800" + "020000000002" + "020000000001" + "0800"
    assert (r["icmp_reply_len"], r["icmp_reply_type"]) == (102, 0)
    assert (r["vnet_short"], r["vnet_write"]) == ("EINVAL", 94)
    assert r["vnet_read"] == ["00" * 10, 94, 0]
    assert r["vnet_short_read"] == "EAGAIN"


def test_TUN_06_TUN_PI_02_tap_frames_and_vnet_header_match_host_kernel(host):
    _needs_tun()
    assert emu("tap") == real(host, "tap")


def test_TUN_IO_05_blocked_read_gets_EFAULT_when_device_deleted():
    """[VERIFY] 7, settled on the host 6.18: EFAULT for the blocked reader, then EBADFD."""
    be = EmuBackend()
    t = open_tun("bl0", "tun", backend=be)
    be.lab.engine.call_later(1_000_000, lambda: be.lab.kernel.dellink(
        be.lab.kernel.init_ns.dev("bl0")))
    with pytest.raises(OSError) as e:
        t.read(100)
    assert e.value.errno == errno.EFAULT
    with pytest.raises(OSError) as e:
        t.read(100)
    assert e.value.errno == errno.EBADFD


def test_TUN_IO_05_blocked_read_EFAULT_on_host_kernel(host):
    _needs_tun()
    code = (
        "import fcntl, os, struct, threading, time, subprocess, errno\n"
        "fd = os.open('/dev/net/tun', os.O_RDWR)\n"
        "fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH22x', b'bl0', 0x1001))\n"
        "res = {}\n"
        "def rd():\n"
        "    try: res['r'] = os.read(fd, 100)\n"
        "    except OSError as e: res['r'] = errno.errorcode[e.errno]\n"
        "t = threading.Thread(target=rd); t.start(); time.sleep(0.3)\n"
        "subprocess.run(['ip', 'link', 'del', 'bl0'], check=True); t.join(5)\n"
        "try: os.read(fd, 100); after = 'ok'\n"
        "except OSError as e: after = errno.errorcode[e.errno]\n"
        "print(res['r'], after)\n")
    p = host.run(f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}", ns="t")
    assert p.stdout.split() == ["EFAULT", "EBADFD"]


def test_TUN_rtnl_newlink_is_refused():
    from vnetlab.api import Lab
    from vnetlab.stack.errors import EOPNOTSUPP, KernelError
    lab = Lab()
    with pytest.raises(KernelError) as e:
        lab.add_link("t0", "tun")
    assert e.value.errno == EOPNOTSUPP
    assert e.value.extack == "tun/tap creation via rtnetlink is not supported."


def test_TUN_07_tun_routes_linkdown_without_file():
    from vnetlab.commands import run
    from vnetlab.api import Lab
    lab = Lab()
    ns = lab.netns("a")
    assert run(lab, ["ip", "tuntap", "add", "dev", "t0", "mode", "tun"], ns=ns)[0] == 0
    run(lab, ["ip", "link", "set", "t0", "up"], ns=ns)
    run(lab, ["ip", "addr", "add", "10.9.0.1", "peer", "10.9.0.2", "dev", "t0"], ns=ns)
    assert run(lab, ["ip", "route"], ns=ns)[1] == \
        "10.9.0.2 dev t0 proto kernel scope link src 10.9.0.1 linkdown \n"
    # TUN-IO-06: with no queue attached nothing is queued, the qdisc is off: tx_dropped
    rc, out, _ = run(lab, ["ping", "-c", "1", "-W", "1", "10.9.0.2"], ns=ns)
    assert rc == 1


if __name__ == "__main__":      # run one scenario on the real kernel (inside a netns), print JSON
    print(json.dumps(SCENARIOS[sys.argv[1]](LinuxBackend())))
