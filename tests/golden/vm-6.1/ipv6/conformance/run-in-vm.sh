#!/bin/bash
cd /tmp/ipv6/vmconf
sb() { unshare --mount --net --propagation private sh -c 'mkdir -p /run/netns; mount -t tmpfs -o mode=755 x /run/netns; exec bash "$@"' sb "$@"; }
for s in /work/main/tests/conformance/ipv6/1*.sh; do
  n=$(basename $s .sh)
  timeout 180 bash -c "$(declare -f sb); sb $s" > $n.out 2>&1; echo "rc=$?" >> $n.out
done
uname -r > done.txt
