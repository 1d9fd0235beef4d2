#!/bin/bash
# Produces tests/golden/vm-6.1/ipip-cases.out on the reference-kernel VM (Debian 6.1 kernel,
# iproute2 6.1 and net-tools 2.10 from the host filesystem): each case's stdout, stderr (lines
# prefixed "! ") and status, run in order in one fresh netns. The ipip module is NOT loaded
# first: the first command naming tunl0 loads it (dev_load). Run as root inside the VM:
#   vng --disable-kvm --run /boot/vmlinuz-6.1.0-56-amd64 --user root \
#       --exec 'bash tests/golden/vm-6.1/ipip-gen.sh tests/golden/vm-6.1/ipip-cases.txt > OUT'
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
