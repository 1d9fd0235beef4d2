"""The event engine: an integer-nanosecond virtual clock with a deterministic order of events.

Rules (the whole contract of this module):

* ``now`` is an ``int`` of nanoseconds. It only moves forward, and only inside ``run_*``.
* Work scheduled for "now" (``call_soon``) runs in FIFO order before time advances; this is the
  kernel's per-CPU backlog / softirq.
* Timers (``call_at`` / ``call_later``) fire in (time, scheduling order) order. Two timers due at
  the same nanosecond fire in the order they were armed, so the same input always gives the same
  output.
* A timer is cancelled with ``timer.cancel()``; cancelled timers are skipped lazily.
* ``run_until_idle()`` runs until nothing is left; ``run_for(ns)`` runs every event due within the
  next ``ns`` nanoseconds and leaves ``now`` at exactly ``start + ns``.
* Background timers (``call_at_background`` / ``call_later_background``: periodic kernel work
  that never ends by itself, e.g. IPv6 router solicitations with unlimited retries) fire like any
  timer in ``run_until`` / ``run_for``, but do not keep the engine busy: ``run_until_idle()``
  stops, ``next_deadline()`` is None and ``idle`` is True when only background timers remain.
  ``next_deadline_any()`` includes them (for real-time drivers).
* Randomness (MAC addresses, netem loss) comes from ``engine.rng``, seeded, never from the OS.

This module reads no wall clock and does no I/O; a real-time driver lives outside the core and
only decides *when* to call ``run_until``.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from typing import Any, Callable

NSEC_PER_USEC = 1_000
NSEC_PER_MSEC = 1_000_000
NSEC_PER_SEC = 1_000_000_000


class Timer:
    """A scheduled call. ``cancel()`` makes it never fire."""

    __slots__ = ("when", "fn", "args", "cancelled")

    def __init__(self, when: int, fn: Callable[..., Any], args: tuple):
        self.when = when
        self.fn = fn
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    @property
    def active(self) -> bool:
        return not self.cancelled


class Engine:
    """Discrete-event engine. See the module docstring for the rules."""

    def __init__(self, seed: int = 0):
        self.now = 0
        self.rng = random.Random(seed)
        self._ready: deque = deque()
        self._timers: list = []
        self._bg: list = []          # background timers (same entries, own heap)
        self._seq = 0
        self.events_run = 0

    # -- scheduling -------------------------------------------------------------------------
    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` at the current instant, after the work already queued."""
        self._ready.append((fn, args))

    def call_at(self, when: int, fn: Callable[..., Any], *args: Any) -> Timer:
        if when < self.now:
            when = self.now
        t = Timer(when, fn, args)
        self._seq += 1
        heapq.heappush(self._timers, (when, self._seq, t))
        return t

    def call_later(self, delay_ns: int, fn: Callable[..., Any], *args: Any) -> Timer:
        return self.call_at(self.now + max(0, int(delay_ns)), fn, *args)

    def call_at_background(self, when: int, fn: Callable[..., Any], *args: Any) -> Timer:
        """A timer that does not keep ``run_until_idle()`` running (see the module rules)."""
        if when < self.now:
            when = self.now
        t = Timer(when, fn, args)
        self._seq += 1
        heapq.heappush(self._bg, (when, self._seq, t))
        return t

    def call_later_background(self, delay_ns: int, fn: Callable[..., Any], *args: Any) -> Timer:
        return self.call_at_background(self.now + max(0, int(delay_ns)), fn, *args)

    # -- running ----------------------------------------------------------------------------
    def _drain_ready(self) -> None:
        ready = self._ready
        pop = ready.popleft
        n = 0
        while ready:
            fn, args = pop()
            fn(*args)
            n += 1
        self.events_run += n

    def run_now(self) -> None:
        """Run everything due at the current instant (ready work and timers due now)."""
        self.run_until(self.now)

    def next_deadline(self) -> int | None:
        """Time of the next live timer, or None."""
        timers = self._timers
        while timers and timers[0][2].cancelled:
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    def next_deadline_any(self) -> int | None:
        """Time of the next live timer, background ones included, or None."""
        nxt = self.next_deadline()
        bg = self._bg
        while bg and bg[0][2].cancelled:
            heapq.heappop(bg)
        if bg and (nxt is None or bg[0][0] < nxt):
            return bg[0][0]
        return nxt

    def run_until(self, deadline: int) -> None:
        """Run every event due at or before ``deadline``; then ``now = max(now, deadline)``."""
        timers = self._timers
        bg = self._bg
        self._drain_ready()
        while True:
            if bg and bg[0][0] <= deadline and (not timers or bg[0] < timers[0]):
                when, _, t = heapq.heappop(bg)
            elif timers and timers[0][0] <= deadline:
                when, _, t = heapq.heappop(timers)
            else:
                break
            if t.cancelled:
                continue
            self.now = when
            t.cancelled = True  # fired timers are no longer active
            t.fn(*t.args)
            self.events_run += 1
            self._drain_ready()
        if deadline > self.now:
            self.now = deadline

    def run_for(self, ns: int) -> None:
        self.run_until(self.now + int(ns))

    def run_until_idle(self, limit_ns: int | None = None) -> None:
        """Run until no work and no timers remain (or until ``now + limit_ns`` if given)."""
        stop = None if limit_ns is None else self.now + limit_ns
        timers = self._timers
        bg = self._bg
        self._drain_ready()
        while True:
            nxt = self.next_deadline()
            if nxt is None or (stop is not None and nxt > stop):
                break
            while bg and bg[0][2].cancelled:
                heapq.heappop(bg)
            if bg and bg[0] < timers[0]:
                when, _, t = heapq.heappop(bg)
            else:
                when, _, t = heapq.heappop(timers)
            self.now = when
            t.cancelled = True
            t.fn(*t.args)
            self.events_run += 1
            self._drain_ready()
        if stop is not None and self.now < stop and self.next_deadline() is not None:
            self.run_until(stop)    # background timers due before the limit fire too

    @property
    def idle(self) -> bool:
        return not self._ready and self.next_deadline() is None
