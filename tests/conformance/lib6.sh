# Shared by the IPv6 conformance scripts: namespaces with the kernel's IPv6 defaults (IPv6 ON).
# Unlike lib.sh nothing is disabled; every device gets its link-local address, DAD, MLD, RS.
# Give veth ends fixed MACs (mac6 NS DEV N) so link-local addresses are the same on every backend.
nsadd() { for n in "$@"; do ip netns add "$n"; done; }
settle() { sleep 1.2; }   # linkwatch applies carrier changes at most once a second
# DAD of a link-local: NS after U(0,1 s), done 1 s later, carrier itself up to 1 s late
# (linkwatch): after 4 s every address that came up with carrier is preferred.
dad_settle() { sleep 4; }
# The neighbour table's dump order is its hash order (random per boot): compare it sorted.
neigh6() { ip "$@" -6 neigh | sort; }
# A veth pair's own traffic (per end: 2 MLDv2 reports from ::, DAD NS, 2 reports from the
# link-local, RS at DAD+0 and DAD+~4 s) is 7 frames / 586 bytes from ~7.4 s to ~11.4 s after up
# (measured on 6.18, 5 trials; linkwatch may delay carrier by up to 1 s): count at 9.5 s.
count_settle() { sleep 9.5; }
