# The IPv6 conformance scripts source lib6.sh next to them; while they live in ipv6/ this forwards.
. "$(dirname "${BASH_SOURCE[0]}")/../lib6.sh"
