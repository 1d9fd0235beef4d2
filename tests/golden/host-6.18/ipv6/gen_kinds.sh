#!/bin/bash
# Generator of kinds-host.txt / kinds-vm.txt: which device kinds get IPv6 link-local addresses.
# Run: vnetlab sh --backend linux gen_kinds.sh  (host) or inside the VM (bash gen_kinds.sh).
S() { echo; echo "### $*"; }
X() { echo "\$ $*"; eval "$@" 2>&1; echo "[rc=$?]"; }
S "kernel $(uname -r)"
ip netns add k; N="ip -n k"
$N link set lo up
$N link add v0 address 02:00:00:00:01:00 type veth peer name v1 address 02:00:00:00:01:01
$N link set v0 up; $N link set v1 up
try() { # name, create cmd
  local name=$1; shift
  S "kind $name: $*"
  if ! eval "$@" 2>&1; then echo "[create failed]"; return; fi
  $N link set $name up 2>&1
  sleep 2.6
  X $N -d link show $name
  X $N addr show $name
  X "$N -6 route show table all | grep -w $name"
  X $N -s link show $name
  X ip netns exec k sysctl net.ipv6.conf.$name.addr_gen_mode net.ipv6.conf.$name.accept_dad net.ipv6.conf.$name.mtu
}
try br0 "$N link add br0 address 02:00:00:00:02:00 type bridge"
try br1 "$N link add br1 address 02:00:00:00:02:01 type bridge && ip -n k link add p0 address 02:00:00:00:02:10 type veth peer name p1 address 02:00:00:00:02:11 && ip -n k link set p0 master br1 && ip -n k link set p0 up && ip -n k link set p1 up"
X $N addr show p0; X $N addr show p1
try mv0 "$N link add mv0 link v0 address 02:00:00:00:03:00 type macvlan mode bridge"
try mt0 "$N link add mt0 link v0 address 02:00:00:00:03:01 type macvtap"
try tun0 "$N tuntap add tun0 mode tun"
try tap0 "$N tuntap add tap0 mode tap"
S "tap1/tun1 with a process attached (carrier on)"
ip netns exec k python3 -c '
import fcntl, struct, os, time, sys
fds = []
for name, mode in ((b"tap1", 0x0002), (b"tun1", 0x0001)):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", name, mode | 0x1000))
    fds.append(fd)
time.sleep(8)
' &
sleep 0.5
$N link set tap1 address 02:00:00:00:04:01; $N link set tap1 up; $N link set tun1 up; sleep 2.6
X $N addr show tap1; X $N addr show tun1; X "$N -6 route show table all | grep -w -e tap1 -e tun1"
X $N -s link show tap1; X $N -s link show tun1
wait
try ifb0 "$N link add ifb0 address 02:00:00:00:05:00 type ifb"
try vx0 "$N link add vx0 address 02:00:00:00:06:00 type vxlan id 5 dstport 4789 dev v0"
try d0 "$N link add d0 address 02:00:00:00:07:00 type dummy"
try ipvl2 "$N link add ipvl2 link v1 type ipvlan mode l2"
try ipvl3 "$N link add ipvl3 link v1 type ipvlan mode l3"
try ipvl3s "$N link add ipvl3s link v1 type ipvlan mode l3s"
try ipip0 "$N link add ipip0 type ipip local 192.0.2.1 remote 192.0.2.2"
S "tunl0 (appears when ipip is loaded)"; X $N -d link show tunl0; X $N link set tunl0 up; sleep 2.6; X $N addr show tunl0
X $N -d link show sit0; X $N link set sit0 up; sleep 2.6; X $N addr show sit0
try gre0x "$N link add gre0x type gre local 192.0.2.1 remote 192.0.2.2"
try vl5 "$N link add link v0 name vl5 type vlan id 5"
S "full ip addr and -6 route table all"
X $N addr; X $N -6 route show table all; X $N -6 maddr
ip netns del k
