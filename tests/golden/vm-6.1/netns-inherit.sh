sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.default.rp_filter=2 net.ipv4.ip_forward=1
ip netns add x
ip netns exec x sysctl net.ipv4.conf.all.arp_ignore net.ipv4.conf.default.rp_filter net.ipv4.ip_forward net.ipv4.conf.lo.rp_filter
ip netns exec x sysctl -qw net.ipv4.conf.all.arp_ignore=2
ip netns exec x ip netns add y 2>/dev/null || true
ip netns exec y sysctl net.ipv4.conf.all.arp_ignore
# Produced on the reference kernel (Debian 6.1.0-56, init_net of the VM) with
#   vng --disable-kvm --run /boot/vmlinuz-6.1.0-56-amd64 --user root --exec 'bash netns-inherit.sh'
# stdout of the first four lines is netns-inherit.txt (the nested `ip netns add` fails inside a
# netns without its own mount namespace and is not part of the golden).
