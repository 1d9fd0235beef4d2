#!/bin/bash
# Produces tests/golden/vm-6.1/ipvsadm-cases.out on the reference-kernel VM (Debian 6.1 kernel,
# ipvsadm 1.31 from the host filesystem): each case's stdout, stderr and status, run in order in
# one fresh netns (IPVS state is per netns). The VM's root filesystem is read-only: capture its
# stdout on the host, from the repository root:
#   vng --disable-kvm --run /boot/vmlinuz-6.1.0-56-amd64 --user root --exec \
#     'bash tests/golden/vm-6.1/gen_cases.sh tests/golden/vm-6.1/ipvsadm-cases.txt' > OUT
set -u
modprobe ip_vs 2>/dev/null
ns=vnlgold$$
ip netns add $ns
while IFS= read -r line; do
  out=$(ip netns exec $ns bash -c "$line" 2>/tmp/vnl.err); rc=$?
  printf '$ %s\n%s' "$line" "$out"; [ -n "$out" ] && printf '\n'
  sed 's/^/! /' /tmp/vnl.err; printf 'rc=%d\n' "$rc"
done < "$1"
ip netns del $ns
