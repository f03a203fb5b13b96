"""Time as the emulator sees it: the real clock in service, a hand-driven one in tests.

Everything that expires or slides (rate-limit windows, public and link tokens, balance timestamps, webhook
`iat` claims) reads this clock, and injected latency and hangs wait on it, so a test moves time forward
instead of sleeping, and sees how long the emulator waited instead of timing it.
"""

from __future__ import annotations

import asyncio
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

    async def sleep_until(self, deadline: float) -> None:
        """Return once ``monotonic()`` has reached ``deadline`` (injected latency)."""
        ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0)

    async def sleep_until(self, deadline: float) -> None:
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))


class ManualClock:
    """A clock that moves only when told to; thread-safe, since the server runs in another thread.

    The one exception is the emulator's own waiting: ``sleep_until`` moves the clock to its deadline at once,
    as if the wait had passed (waits that overlap end at the latest deadline, not at their sum). So
    ``monotonic()`` after a call says how long the emulator made it wait. A hang is not such a wait: it
    ends when the test advances the clock past it, the client goes away, or the emulator stops.
    """

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

    async def sleep_until(self, deadline: float) -> None:
        with self._lock:
            self._elapsed = max(self._elapsed, deadline)

    def now(self) -> datetime:
        with self._lock:
            return (self._start + timedelta(seconds=self._elapsed)).replace(microsecond=0)
