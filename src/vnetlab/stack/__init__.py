"""The emulated Linux kernel: namespaces, the net_device contract, IPv4, ARP, routing.

Pure: no I/O, no wall clock. Time comes from the engine (``vnetlab.sim``); what happens to a frame is
reported to the trace sink the kernel is handed (``Kernel.trace``), never printed.
"""
