"""Time as the emulator sees it: the real clock in service, a hand-driven one in tests.

Everything that expires or slides (rate-limit windows, public and link tokens, balance timestamps, webhook
`iat` claims) reads this clock, so a test moves time forward instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards (for windows and expiry)."""
        ...

    def now(self) -> datetime:
        """The current UTC time, whole seconds (what Plaid puts in timestamps)."""
        ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0)


class ManualClock:
    """A clock that moves only when told to; thread-safe, since the server runs in another thread."""

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._start = (start or datetime(2026, 1, 15, 12, 0, tzinfo=UTC)).astimezone(UTC)
        self._elapsed = 0.0

    def advance(self, seconds: float) -> None:
        if not seconds >= 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._elapsed += seconds

    def monotonic(self) -> float:
        with self._lock:
            return self._elapsed

    def now(self) -> datetime:
        with self._lock:
            return (self._start + timedelta(seconds=self._elapsed)).replace(microsecond=0)
