#!/bin/bash
# Produces tests/golden/vm-6.1/ipvlan-conformance/NN-*.out: the output of each ipvlan
# conformance script (tests/conformance/5[0-9]-*.sh) run as root on the reference kernel, with
# "exit=N" appended. One VM boot runs them all (the VM's /tmp is an overlay: pass --rwdir):
#   vng --disable-kvm --run /boot/vmlinuz-6.1.0-56-amd64 --user root --rwdir /tmp/ipvl \
#       --exec 'bash tests/golden/vm-6.1/ipvlan-gen-conformance.sh /tmp/ipvl/out'
# (50-52 were captured while their ping stderr still went to the output; the
# "ping: sendmsg: No buffer space available" lines a private port makes were removed, which is
# what the scripts now print.)
set -u
cd "$(dirname "$0")/../../.."
out=${1:-/tmp/ipvl/out}
mkdir -p "$out"
for s in tests/conformance/5[0-9]-*.sh; do
  n=$(basename "$s" .sh)
  (bash "$s" > "$out/$n.out" 2>&1; echo "exit=$?" >> "$out/$n.out")
  for ns in $(ip netns list | awk '{print $1}'); do ip netns del "$ns"; done
done
