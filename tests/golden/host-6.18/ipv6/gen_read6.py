"""Generator of read6-cases.json: the real tcpdump 4.99 reading the IPv6 captures of this
directory (tcpdump6.pcap from gen_tcpdump6.sh, veth-1.pcap from gen_veth.sh) with many flag
sets and filters. Run here: TZ=UTC python3 gen_read6.py"""
import json
import os
import shlex
import subprocess

FLAGS = ["-n", "-n -e", "-n -q", "-n -v", "-n -vv", "", "-n -t", "-n -tt", "-n -S",
         "-n -x", "-n -X", "-n -xx", "-n -e -v", "-n -#", "-n -s 80", "-n -s 60 -v",
         "-n -c 5", "-n -vvv"]
FILTERS = ["ip6", "icmp6", "tcp", "udp", "not ip6", "ip", "host 2001:db8:2::2",
           "src host 2001:db8:1::1", "dst host ff02::16", "port 8080", "ip6 and tcp",
           "net 2001:db8:2::/64", "ip6 multicast", "icmp6 and ip6 dst ff02::2",
           "ether dst 33:33:00:00:00:16", "tcp port 8081", "udp and port 9999"]
cases = []
for pcap in ("tcpdump6.pcap", "veth-1.pcap"):
    for f in FLAGS:
        cases.append(f"tcpdump -r {pcap} {f}".strip())
for flt in FILTERS:
    cases.append(f"tcpdump -r tcpdump6.pcap -n '{flt}'")
out = []
for cmd in cases:
    p = subprocess.run(shlex.split(cmd), capture_output=True, text=True,
                       env=dict(os.environ, TZ="UTC"))
    out.append({"cmd": cmd, "rc": p.returncode, "out": p.stdout, "err": p.stderr})
json.dump(out, open("read6-cases.json", "w"), indent=1)
print(len(out), "cases")
