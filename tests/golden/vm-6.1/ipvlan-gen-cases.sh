#!/bin/bash
# Produces tests/golden/vm-6.1/ipvlan-cases.out: each case's stdout, stderr and status, run in
# order in one fresh netns on the reference kernel (Debian 6.1, iproute2 6.1), as root:
#   vng --disable-kvm --run /boot/vmlinuz-6.1.0-56-amd64 --user root \
#       --exec 'bash tests/golden/vm-6.1/ipvlan-gen-cases.sh tests/golden/vm-6.1/ipvlan-cases.txt > OUT'
set -u
ns=vnlgold$$
ip netns add $ns
while IFS= read -r line; do
  out=$(ip netns exec $ns bash -c "$line" 2>/tmp/vnl.err); rc=$?
  printf '$ %s\n%s' "$line" "$out"; [ -n "$out" ] && printf '\n'
  sed 's/^/! /' /tmp/vnl.err; printf 'rc=%d\n' "$rc"
done < "$1"
ip netns del $ns
