#!/bin/bash
# Produces tests/golden/host-6.18/vxlan-cases.out on the host kernel (6.18, iproute2 6.1): each
# case's stdout, stderr (lines prefixed "! ") and status, run in order in one fresh netns with
# IPv6 off. Run as root:  bash tests/golden/host-6.18/vxlan-gen.sh tests/golden/host-6.18/vxlan-cases.txt
set -u
ns=vnlgold$$
ip netns add $ns
ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue;; esac
  out=$(ip netns exec $ns bash -c "$line" 2>/tmp/vnl-vx.err); rc=$?
  printf '$ %s\n%s' "$line" "$out"; [ -n "$out" ] && printf '\n'
  sed 's/^/! /' /tmp/vnl-vx.err; printf 'rc=%d\n' "$rc"
done < "$1"
ip netns del $ns
