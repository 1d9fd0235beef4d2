"""Device drivers, one module per kind. Importing this package registers every kind with the stack."""

# loopback first: its pernet init must run before any other (lo is ifindex 1 in every netns)
from . import loopback  # noqa: F401, I001  (registration side effects)
from . import (bridge, dummy, hostlink, ifb, ipip, ipvlan, macvlan, nic, tuntap, veth,  # noqa: F401
               vlan, vxlan)
