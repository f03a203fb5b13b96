"""Sliding-window rate limiting and the sliding-window peak counters behind stats()."""

from __future__ import annotations

from collections import deque


class SlidingWindowLog:
    """Counts events per key over the last `window` seconds (a log of timestamps, exact at any instant)."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._events: dict[str, deque[float]] = {}

    def _pruned(self, key: str, now: float) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque()
        cutoff = now - self.window
        while events and events[0] <= cutoff:
            events.popleft()
        return events

    def count(self, key: str, now: float) -> int:
        return len(self._pruned(key, now))

    def add(self, key: str, now: float) -> int:
        """Record an event and return how many events the window ending now holds."""
        events = self._pruned(key, now)
        events.append(now)
        return len(events)

    def clear(self) -> None:
        self._events.clear()


class PeakTracker:
    """Largest number of events seen in any window of `window` seconds, per key.

    The busiest window always ends at an event, so checking at each event gives the exact maximum.
    """

    def __init__(self, window: float) -> None:
        self._log = SlidingWindowLog(window)
        self.peaks: dict[str, int] = {}

    def add(self, key: str, now: float) -> None:
        n = self._log.add(key, now)
        if n > self.peaks.get(key, 0):
            self.peaks[key] = n

    def max(self) -> int:
        return max(self.peaks.values(), default=0)

    def clear(self) -> None:
        self._log.clear()
        self.peaks.clear()
