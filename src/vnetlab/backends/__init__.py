"""Backends: ``emu`` (the emulator, vnetlab.shell) and ``linux`` (the real kernel, sandboxed)."""
