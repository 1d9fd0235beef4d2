#!/bin/bash
# Prints, for each NN given, "=====CONF NN" and the output of tests/conformance/NN-*.sh (the IPVS
# ones) on the reference-kernel VM with the real iproute2 and ipvsadm; each section was stored
# as tests/golden/vm-6.1/ipvs-conf-NN.out. The VM's root filesystem is read-only, so capture the
# VM's stdout on the host (run from the repository root):
#   vng --disable-kvm --run /boot/vmlinuz-6.1.0-56-amd64 --user root \
#       --exec 'bash tests/golden/vm-6.1/gen_conf.sh 95 96 97 98 99' > /tmp/conf.txt
for n in "$@"; do
  ip -all netns delete
  echo "=====CONF $n"
  bash tests/conformance/$n-*.sh 2>&1
done
