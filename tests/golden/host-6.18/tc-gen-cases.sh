#!/bin/bash
# Produces tests/golden/host-6.18/tc-cases.out from tc-cases.txt: each case's stdout, stderr
# ("! " lines) and status, run in order in one fresh netns on the host kernel (run as root).
# Same format as gen_cases.sh, with a private temp file (gen_cases.sh shares /tmp/vnl.err with
# every other run on the machine).
set -u
ns=vnltc$$
err=$(mktemp)
ip netns add $ns
while IFS= read -r line; do
  out=$(ip netns exec $ns bash -c "$line" 2>"$err"); rc=$?
  printf '$ %s\n%s' "$line" "$out"; [ -n "$out" ] && printf '\n'
  sed 's/^/! /' "$err"; printf 'rc=%d\n' "$rc"
done < "${1:-$(dirname "$0")/tc-cases.txt}"
ip netns del $ns
rm -f "$err"
