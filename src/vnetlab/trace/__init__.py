"""The trace layer: what the stack reports about frames, turned into files and pictures
(pcap today; per-hop records, pcapng and topology drawings belong here too).

Modules here are pure: they take frames and times as arguments and return bytes or text; the
commands that use them do the file I/O.
"""
