"""Device drivers, one module per kind. Importing this package registers every kind with the stack."""

from . import loopback, veth  # noqa: F401  (registration side effects)

try:  # modules written by later steps register themselves when present
    from . import bridge  # noqa: F401
except ImportError:  # pragma: no cover
    pass
try:
    from . import nic  # noqa: F401
except ImportError:  # pragma: no cover
    pass
try:
    from . import macvlan  # noqa: F401
except ImportError:  # pragma: no cover
    pass
try:
    from . import ipvlan  # noqa: F401
except ImportError:  # pragma: no cover
    pass
try:
    from . import tuntap  # noqa: F401
except ImportError:  # pragma: no cover
    pass
try:
    from . import ipip  # noqa: F401
except ImportError:  # pragma: no cover
    pass
try:
    from . import ifb  # noqa: F401
except ImportError:  # pragma: no cover
    pass
try:
    from . import vxlan  # noqa: F401
except ImportError:  # pragma: no cover
    pass
try:
    from . import hostlink  # noqa: F401
except ImportError:  # pragma: no cover
    pass
