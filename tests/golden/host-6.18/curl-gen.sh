#!/bin/bash
# Generates curl-cases.txt / socat-cases.txt / nc-cases.txt: real curl 7.88.1, socat 1.7.4.4 and
# OpenBSD netcat 1.219 in two throwaway netns (a: 10.0.0.1, b: 10.0.0.2 with an HTTP responder on
# port 80 and nothing on 81). Each case: "### CMD", then stdout, "--- stderr", stderr,
# "--- exit N". Run as root: bash curl-gen.sh > /dev/null (writes next to itself).
cd "$(dirname "$0")"
P=vngen$$
A=$P-a; B=$P-b
ip netns add $A; ip netns add $B
trap 'kill $S 2>/dev/null; ip netns del $A; ip netns del $B' EXIT
for n in $A $B; do ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
ip link add eth0 netns $A type veth peer name eth0 netns $B
ip -n $A addr add 10.0.0.1/24 dev eth0; ip -n $B addr add 10.0.0.2/24 dev eth0
for n in $A $B; do ip -n $n link set eth0 up; ip -n $n link set lo up; done
sleep 1.5
ip netns exec $B socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo HTTP/1.0 200 OK; echo; echo hello from b' &
S=$!
sleep 0.5
run() {  # run CMD... in netns a
    local out err
    out=$(mktemp); err=$(mktemp)
    echo "### $*"
    ip netns exec $A timeout 10 "$@" > "$out" 2> "$err" < /dev/null
    local rc=$?
    cat "$out"; echo "--- stderr"; cat "$err"; echo "--- exit $rc"
    rm -f "$out" "$err"
}
{
run curl -s http://10.0.0.2/
run curl -sS http://10.0.0.2:81/
run curl -s http://10.0.0.2:81/
run curl http://10.0.0.2:81/
run curl -sS http://192.0.2.1/
run curl -sS -I http://10.0.0.2/
run curl -sS -i http://10.0.0.2/
run curl -sS -v http://10.0.0.2/
run curl -sS --connect-timeout 1 http://10.0.0.9/
run curl -sS -m 1 http://10.0.0.9/
run curl -sS http://nosuchhost/
run curl -sS foo://10.0.0.2/
run curl
run curl --frob http://10.0.0.2/
run curl -sS -m x http://10.0.0.2/
run curl -sS http://10.0.0.2:99999/
run curl -sS http://10.0.0.2:0/
run curl -sS 10.0.0.2
run curl -sS -o /dev/null -w '%{http_code}\n' http://10.0.0.2/
} > curl-cases.txt 2>&1
{
run socat
run socat -V
run socat - TCP:10.0.0.2:81
run socat - TCP:10.0.0.2
run socat - TCP4:10.0.0.2:80,frob
run socat - FROB:1
run socat - TCP-LISTEN:99999
run socat - UDP:10.0.0.2
run socat -u - UDP:10.0.0.2:5000
run socat - TCP:nosuchhost:80
run socat - TCP:192.0.2.1:80
run socat -d -d - TCP:10.0.0.2:81
} > socat-cases.txt 2>&1
{
run nc -z 10.0.0.2 80
run nc -z 10.0.0.2 81
run nc -zv 10.0.0.2 80
run nc -zv 10.0.0.2 81
run nc
run nc 10.0.0.2
run nc -w x 10.0.0.2 80
run nc -z 10.0.0.2 99999
run nc -z nosuchhost 80
run nc -l
run nc -u -z 10.0.0.2 5000
} > nc-cases.txt 2>&1
