"""The trace seam: what the stack reports about frames, and to whom.

The stack never imports the tracing/printing layer. A kernel is handed an object with these
methods (or None, the default, which costs one attribute test per hop):

* ``hop(now, ns, dev, skb, what, detail)``  - a frame reached a point of decision.
* ``drop(now, ns, dev, skb, reason, rule)`` - a frame was dropped; ``reason`` is the kernel's
  ``SKB_DROP_REASON_*`` suffix (e.g. ``"OTHERHOST"``), ``rule`` a kernel-spec ID or None.
"""

from __future__ import annotations

from typing import Protocol


class TraceSink(Protocol):  # pragma: no cover - structural type only
    def hop(self, now: int, ns, dev, skb, what: str, detail: str) -> None: ...

    def drop(self, now: int, ns, dev, skb, reason: str, rule: str | None) -> None: ...


class Recorder:
    """A sink that keeps every record in memory (tests and the trace layer use it)."""

    def __init__(self):
        self.records: list[tuple] = []

    def hop(self, now, ns, dev, skb, what, detail):
        self.records.append(("hop", now, ns.name if ns else None, dev.name if dev else None,
                             what, detail))

    def drop(self, now, ns, dev, skb, reason, rule):
        self.records.append(("drop", now, ns.name if ns else None, dev.name if dev else None,
                             reason, rule))

    def drops(self) -> list[tuple]:
        return [r for r in self.records if r[0] == "drop"]
