#!/bin/bash
# Produces tests/golden/host-6.18/sysctl-cases.out: each case's stdout, stderr and status in a
# fresh netns on the host kernel (run as root).
set -u
ns=vnlgold$$
ip netns add $ns
err=$(mktemp)
trap 'rm -f "$err"' EXIT
while IFS= read -r line; do
  out=$(ip netns exec $ns bash -c "$line" 2>"$err"); rc=$?
  printf '$ %s\n%s' "$line" "$out"; [ -n "$out" ] && printf '\n'
  sed 's/^/! /' "$err"; printf 'rc=%d\n' "$rc"
done < "$1"
ip netns del $ns
