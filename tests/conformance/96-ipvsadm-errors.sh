# requires: ipvs
. "$(dirname "$0")/lib.sh"
# ipvsadm's error texts and exit codes (IPVSADM-04, IPVSADM-02/03 defaults, §13): each kernel
# errno through libipvs's ipvs_strerror() table for the command that failed (255), ipvsadm's own
# argument errors (2), the popt errors, listing lookups (1), and the fresh-netns quirk where no
# local routing table exists yet so every real server is "not unicast" (EINVAL).
nsadd e1 e2
t() { echo "\$ ipvsadm $*"; ip netns exec "$NS" ipvsadm "$@" 2>&1; echo "rc=$?"; }
NS=e1
t -A -t 10.0.0.10:80 -s rr
t -a -t 10.0.0.10:80 -r 10.0.0.2 -i
NS=e2
ip -n e2 link set lo up
t -A -t 10.0.0.10:80 -s rr
t -A -t 10.0.0.10:80 -s rr
t -A -t 10.0.0.11:80 -s nosuch
t -A -t 10.0.0.11:80 -s twos
t -A -t 10.0.0.11:0
t -A -t 10.0.0.11:80 -p 0
t -A -t 10.0.0.11:80 -o
t -a -t 10.0.0.10:80 -r 10.0.0.2 -i
t -a -t 10.0.0.10:80 -r 10.0.0.2 -m
t -a -t 10.0.0.99:80 -r 10.0.0.2
t -a -t 10.0.0.10:80 -r 10.0.0.3 -x 3 -y 5
t -a -t 10.0.0.10:80 -r 255.255.255.255
t -a -t 10.0.0.10:80 -r 10.0.0.4 -w -1
t -e -t 10.0.0.10:80 -r 10.0.0.9
t -d -t 10.0.0.10:80 -r 10.0.0.9
t -D -t 10.0.0.99:80
t -E -t 10.0.0.99:80
t -Z -t 10.0.0.99:80
t -Ln -t 10.0.0.99:80
t -L --frob
t -Q
t -Ln extra
t -L -c --stats
t -L --timeout -t 10.0.0.10:80
t -A -E -t 10.0.0.12:80
t -a -t 10.0.0.10:80 -r 10.0.0.5 -g -i
t -A
t --set 1 2
t
t -Ln
