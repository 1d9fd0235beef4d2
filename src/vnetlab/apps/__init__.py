"""User-space programs of the emulated machine (ping, later socat/curl), written against the
emulated kernel's socket seam. Pure: they run in virtual time."""
