"""Safety of the linux backend: a lab that names the host's own interfaces or namespaces is
refused before anything is built (file:line, the device, why, how to attach it; exit 2), and a
host device is used only when the lab attaches it explicitly (``attach:``), as a macvlan /
macvtap / ipvlan created directly inside a node. On emu, ``attach`` is refused.

The root tests never use the host's real NICs: they run vnetlab inside a throwaway test netns
(the ``host`` fixture) where a veth stands in for the host's device.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from vnetlab.backends.linux import host_refusals
from vnetlab.lab.load import LabError, parse

HOST_IFS = {"lo", "eth0", "ens4"}

BAD = """nodes:
  a:
    setup:
      - ip link set lo up
      - ip link set eth0 down
      - ip addr add 192.0.2.1/24 dev ens4
      - sysctl -w net.ipv4.conf.ens4.rp_filter=0
      - echo 0 > /proc/sys/net/ipv4/conf/eth0/arp_ignore
      - ip link add link ens4 name mv0 type macvlan mode bridge
      - nsenter -t 1 -n ip link show
      - ip netns exec hostns true
      - ip route add default via 192.0.2.254 dev eth0
checks:
  - exec: {node: a, cmd: tc qdisc show dev ens4}
"""


def _lines(problems):
    return {p.split(": ", 2)[1]: p for p in problems}


def test_refusal_names_file_line_device_why_and_how():
    model = parse(BAD, "bad.yaml")
    model._filename = "bad.yaml"
    got = _lines(host_refusals(model, HOST_IFS, {"hostns"}))
    assert set(got) == {f"nodes.a.setup[{i}]" for i in range(1, 9)} | {"checks[0].exec"}
    p = got["nodes.a.setup[1]"]
    assert p.startswith("bad.yaml:5: nodes.a.setup[1]: 'ip link set eth0 down' names eth0, an "
                        "interface of the host, not of this lab")
    assert "refuses to touch the host's own interfaces, addresses, routes or sysctls" in p
    assert "attach: [{host: eth0, node: a, type: macvlan, mode: bridge, name: mv0}]" in p
    for k, dev in ((2, "ens4"), (3, "ens4"), (4, "eth0"), (5, "ens4"), (8, "eth0")):
        assert f"names {dev}, an interface of the host" in got[f"nodes.a.setup[{k}]"], k
    assert "enters the host's namespaces" in got["nodes.a.setup[6]"]
    assert "names netns hostns, a network namespace of the host" in got["nodes.a.setup[7]"]
    assert "names ens4" in got["checks[0].exec"]


def test_lab_objects_with_host_names_are_not_refused():
    """eth0 made by the lab (a link end), lo, sysctl's all/default, a device a setup line adds,
    a lab node given to 'netns': all the lab's own."""
    model = parse("""nodes:
  a:
    setup:
      - ip link set eth0 up
      - sysctl -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0
      - ip link add ens4 type bridge
      - ip link set ens4 up
      - ip link add link eth0 name mv1 netns b type macvlan mode vepa
      - ip link set lo up
  b: {}
links:
  - wire: a:eth0
    switch: lan
""")
    assert host_refusals(model, HOST_IFS, {"hostns"}) == []


def test_attach_is_a_schema_key_with_checked_fields():
    model = parse("nodes:\n  a: {}\nattach:\n  - {host: eth1, node: a, type: ipvlan, "
                  "mode: l2, name: ipv0}\n")
    [a] = model.attach
    assert (a.host, a.node, a.type, a.mode, a.name) == ("eth1", "a", "ipvlan", "l2", "ipv0")
    for bad, why in (("type: vlan", "attach[0].type"), ("mode: l3s", "is not a macvlan mode"),
                     ("node: zz", "unknown node 'zz'")):
        text = "nodes:\n  a: {}\nattach:\n  - {host: eth1, node: a, name: mv0, " + bad + "}\n"
        text = text.replace("node: a, name: mv0, node: zz", "node: zz, name: mv0")
        with pytest.raises(LabError) as e:
            parse(text, "x.yaml")
        assert why in str(e.value), (bad, str(e.value))
    assert host_refusals(parse("nodes:\n  a: {}\nattach:\n  - {host: eth9, node: a, "
                               "name: mv0}\n", "y.yaml"), HOST_IFS, set()) == \
        ["<lab>:4: attach[0].host: the host has no interface eth9"]


def test_attach_is_refused_on_emu(tmp_path, capsys):
    from vnetlab.cli import main
    f = tmp_path / "lab.yaml"
    f.write_text("nodes:\n  a: {}\nattach:\n  - {host: eth1, node: a, name: mv0}\n")
    assert main(["run", str(f)]) == 2
    err = capsys.readouterr().err
    assert f"{f}:4: attach: host devices exist only on the real kernel" in err


# -- root: inside a test netns whose veth stands in for the host's NIC ---------------------------
LAB = """name: attach-test
nodes:
  a:
    setup: [ip addr add 10.99.0.1/24 dev mv0, ip link set mv0 up{extra}]
attach:
  - {{host: hv0, node: a, type: macvlan, mode: bridge, name: mv0}}
checks:
  - ping: {{from: a, to: 10.99.0.2}}
  - exec: {{node: a, cmd: ip -d link show mv0, expect_stdout_contains: macvlan mode bridge}}
"""


@pytest.fixture
def standin(host):
    """A test netns with veth hv0/hv1 (hv1 10.99.0.2/24): the 'host' vnetlab runs in."""
    ns = host.ns("h")
    host.run("ip link add hv0 type veth peer name hv1 && ip addr add 10.99.0.2/24 dev hv1 && "
             "ip link set hv0 up && ip link set hv1 up", ns="h")
    return ns


def _links(ns):
    out = subprocess.run(["ip", "-n", ns, "-j", "link"], capture_output=True, text=True).stdout
    return sorted((d["ifname"], d["ifindex"], tuple(d["flags"])) for d in json.loads(out))


def _vnetlab(ns, *args, env=None):
    return subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-m", "vnetlab.cli",
                           *args], capture_output=True, text=True, timeout=180, env=env)


def test_attached_host_device_is_a_macvlan_inside_the_node(standin, tmp_path):
    f = tmp_path / "lab.yaml"
    f.write_text(LAB.format(extra=""))
    before = _links(standin)
    p = _vnetlab(standin, "run", "--backend", "linux", str(f))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "all 2 checks passed" in p.stdout
    assert _links(standin) == before          # the 'host' device list never changed


def test_attached_device_with_vnetlab_up(standin, tmp_path):
    f = tmp_path / "lab.yaml"
    f.write_text(LAB.format(extra=""))
    env = dict(os.environ, VNETLAB_STATE_DIR=str(tmp_path / "state"))
    before = _links(standin)
    p = _vnetlab(standin, "up", str(f), env=env)
    try:
        assert p.returncode == 0, p.stderr
        p = _vnetlab(standin, "exec", "attach-test", "a", "--", "ping", "-c1", "-W2",
                     "10.99.0.2", env=env)
        assert p.returncode == 0 and "1 received" in p.stdout, p.stdout + p.stderr
        # the lab's processes (its pid 1 and what it runs) hold no handle on the host's
        # netns once the topology is built
        st = json.loads((tmp_path / "state" / "attach-test" / "state.json").read_text())
        host = os.stat(f"/run/netns/{standin}")
        pid = st["init_pid"]
        inos = set()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                s = os.stat(f"/proc/{pid}/fd/{fd}")
                inos.add((s.st_dev, s.st_ino))
            except FileNotFoundError:
                pass
        assert (host.st_dev, host.st_ino) not in inos
    finally:
        _vnetlab(standin, "down", "attach-test", env=env)
    assert _links(standin) == before


def test_lab_naming_the_host_device_is_refused_and_nothing_built(standin, tmp_path):
    f = tmp_path / "lab.yaml"
    f.write_text(LAB.format(extra=", ip link set hv0 down"))
    before = _links(standin)
    for args in (("run", "--backend", "linux", str(f)), ("up", str(f))):
        env = dict(os.environ, VNETLAB_STATE_DIR=str(tmp_path / "state"))
        p = _vnetlab(standin, *args, env=env)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        assert f"{f}:4: nodes.a.setup[2]: 'ip link set hv0 down' names hv0, an interface of " \
               f"the host" in p.stderr
        assert "it is attached, but by the name mv0 inside node a" in p.stderr
        assert not (tmp_path / "state" / "attach-test").exists()
    f.write_text(LAB.format(extra="").replace("host: hv0", "host: hv1").replace(
        "ip addr add 10.99.0.1/24 dev mv0", "ip addr add 10.99.0.1/24 dev hv0"))
    p = _vnetlab(standin, "run", "--backend", "linux", str(f))
    assert p.returncode == 2 and "names hv0, an interface of the host" in p.stderr
    assert "attach: [{host: hv0, node: a, type: macvlan" in p.stderr
    assert _links(standin) == before
