#!/bin/sh
# Generator of sysctl-ipv6-fresh-netns.txt: `sysctl -a` for net.ipv6 in a fresh netns (lo down),
# host kernel. Usage (root): unshare -n sh gen-sysctl.sh > sysctl-ipv6-fresh-netns.txt
sysctl -a 2>/dev/null | grep '^net\.ipv6\.'
