# ip -batch / bridge -batch (lib/utils.c do_batch, getcmdline, makeargs): comments, joined
# lines, quotes, the failing line's number, -force, and a command that exits ends the batch.
. "$(dirname "$0")/lib.sh"
d=$(mktemp -d)
cd $d
nsadd a
ip -n a link add br0 type bridge
ip -n a link add v0 type veth peer name v1
b() { "$@" > out 2> err; echo "status $?"; cut -d: -f2 out; cat err; }
b ip -batch /nonexistent
b bridge -batch /nonexistent
printf 'link show lo\nlink show "lo\n' > quote
b ip -n a -o -batch quote
b bridge -n a -batch quote
printf 'link show lo\n\n  # a comment\nlink set v0 up # up\nlink set nosuch up\nlink show v0\n' > fail
b ip -n a -o -batch fail
b ip -n a -o -force -batch fail
printf 'link set v0 \\\n  master br0\nlink show master \\\n br0\nlink set v9 master br0\n' > join
b ip -n a -o -batch join
printf 'link show lo\nlink sh lo x\nlink show lo\n' > exits
b ip -n a -o -force -batch - < exits
printf "link show 'v0' \"up\"\nlink show \"v\"0\n" > words
b ip -n a -o -batch - < words
printf 'link show\nfdb show br br0 dev nosuch\nlink show dev v0\n' > br
b bridge -n a -force -batch - < br
printf 'link set dev v0 cost 7\nlink show\n' > cost
b bridge -n a -batch - < cost
cd /
rm -rf $d
