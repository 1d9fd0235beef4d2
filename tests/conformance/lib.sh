# Shared by the conformance scripts: make namespaces that look the same on every backend.
# IPv6 is switched off (the emulator has no IPv6 yet), before any device exists in the netns.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
nsadd() {
    for n in "$@"; do
        ip netns add "$n"
        ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
            net.ipv6.conf.default.disable_ipv6=1
    done
}
settle() { sleep 1.2; }   # linkwatch applies carrier changes at most once a second
