#!/bin/bash
# runs inside the reference-kernel VM: each generator in a throwaway mount+net namespace sandbox
cd /tmp/ipv6/vm
sb() { unshare --mount --net --propagation private sh -c 'mkdir -p /run/netns; mount -t tmpfs -o mode=755 x /run/netns; exec bash "$@"' sb "$@"; }
sb /work/main/tests/golden/host-6.18/ipv6/gen_kinds.sh > kinds-vm.txt 2>&1
sb /work/main/tests/golden/host-6.18/ipv6/gen_facts.sh > facts-vm.txt 2>&1
sb /work/main/tests/golden/host-6.18/ipv6/gen_veth.sh /tmp/ipv6/vm 1
sb /work/main/tests/golden/host-6.18/ipv6/gen_veth.sh /tmp/ipv6/vm 2
echo done > done.txt
