#!/bin/bash
# Produces tests/golden/vm-6.1/{dummy,vlan,gre}-cases.out on the reference-kernel VM (Debian 6.1
# kernel, iproute2 6.1 from the host filesystem): each case's stdout, stderr (lines prefixed "! ")
# and status, run in order in one fresh netns. Run as root inside the VM (--rwdir for the output):
#   vng --disable-kvm --run /boot/vmlinuz-6.1.0-56-amd64 --user root \
#       --exec 'bash tests/golden/vm-6.1/{dummy,vlan,gre}-gen.sh tests/golden/vm-6.1/KIND-cases.txt > OUT'
set -u
ns=vnlgold$$
ip netns add $ns
ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue;; esac
  out=$(ip netns exec $ns bash -c "$line" 2>/tmp/vnl.err); rc=$?
  printf '$ %s\n%s' "$line" "$out"; [ -n "$out" ] && printf '\n'
  sed 's/^/! /' /tmp/vnl.err; printf 'rc=%d\n' "$rc"
done < "$1"
ip netns del $ns
