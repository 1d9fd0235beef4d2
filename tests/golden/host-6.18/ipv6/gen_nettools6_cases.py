"""Generator of nettools6-cases.json: net-tools 2.10 over IPv6 on the host kernel, in two fresh
namespaces joined by a veth pair (fixed MACs), each command's rc/stdout/stderr. Lines starting
with "sleep" pause. Run: vnetlab sh --backend linux (a wrapper running python3 this file)."""
import json
import subprocess
import sys
import time

SETUP = ["ip netns add a", "ip netns add b",
         "ip link add eth0 netns a address 02:00:00:00:0a:01 type veth peer name eth0 netns b "
         "address 02:00:00:00:0b:01",
         "ip -n a link set lo up", "ip -n a link set eth0 up", "ip -n b link set eth0 up"]
LINES = ["ifconfig eth0", "ifconfig lo", "sleep 4", "ifconfig eth0",
         "route -A inet6", "route -6 -n", "netstat -rn -A inet6", "route -n -A inet6 -C",
         "ifconfig eth0 inet6 add 2001:db8::1/64", "ifconfig eth0 inet6 add 2001:db8::1/64",
         "sleep 3", "ifconfig eth0", "route -6 -n",
         "route -A inet6 add 2001:db8:5::/64 gw 2001:db8::fe",
         "route -A inet6 add 2001:db8:6::/64 dev eth0",
         "route -A inet6 add default gw fe80::1 dev eth0",
         "route -A inet6 add 2001:db8:7::/64 gw 2001:db9::1",
         "route -A inet6 add 2001:db8:8::/64 gw fe80::1",
         "route -A inet6 add 2001:db8:9::/64 dev nosuch",
         "route -A inet6 add 2001:db8:6::/64 dev eth0",
         "route -A inet6 add 2001:db8:a::/64 gw 2001:db8::fd metric 5",
         "route -6 -n",
         "route -A inet6 del 2001:db8:5::/64 gw 2001:db8::fe",
         "route -A inet6 del 2001:db8:5::/64", "route -A inet6 del 2001:db8::/64",
         "route -A inet6 del 2001:db8:a::/64 gw 2001:db8::fd",
         "route -A inet6 del 2001:db8:a::/64 gw 2001:db8::fd metric 5",
         "route -A inet6 del default gw fe80::1 dev eth0",
         "route -A inet6 del 2001:db8:6::/64 dev eth0", "route -6 -n",
         "ifconfig eth0 inet6 del 2001:db8::9/64", "ifconfig eth0 inet6 del 2001:db8::1/48",
         "ifconfig eth0 inet6 del 2001:db8::1/64", "ifconfig eth0", "route -6 -n",
         "ifconfig eth0 add 2001:db8:1::1", "sleep 3", "ifconfig eth0", "route -6",
         "ifconfig eth0 del 2001:db8:1::1", "ifconfig eth0 inet6 add 2001:db8::1/129",
         "ifconfig nosuch inet6 add 2001:db8::1/64",
         "sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1", "ifconfig eth0",
         "ifconfig eth0 inet6 add 2001:db8::1/64", "ifconfig eth0 inet6 del 2001:db8::1/64",
         "route -6 -n", "sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0", "ifconfig eth0"]


def main():
    for c in SETUP:
        subprocess.run(c.split(), check=True)
    out = []
    for line in LINES:
        if line.startswith("sleep"):
            time.sleep(float(line.split()[1]))
            out.append([line, 0, "", ""])
            continue
        p = subprocess.run(["ip", "netns", "exec", "a"] + line.split(), capture_output=True,
                           text=True)
        out.append([line, p.returncode, p.stdout, p.stderr])
    json.dump(out, sys.stdout, indent=1)


main()
