"""The watch's sense of time, injected everywhere so that tests move it by hand and never sleep.

Two readings: ``now()`` (aware UTC wall time: schedules, budgets' days and months, webhook ``iat``)
and ``sleep_until()`` (wait for a wall time, returning early when woken). ``SystemClock`` is the real
one; tests use their own ``Clock`` whose ``advance`` releases sleepers at once.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...

    async def sleep_until(self, when: datetime, wake: asyncio.Event) -> None:
        """Return at ``when`` or as soon as ``wake`` is set, whichever comes first."""
        ...


class SystemClock:
    # Long sleeps are cut into short ones so that a suspended laptop or a clock step does not leave the
    # watch asleep for hours past its next refresh.
    max_nap_seconds = 30.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime, wake: asyncio.Event) -> None:
        await asyncio.sleep(0)  # always yield: a loop whose next step is due now must not starve others
        while not wake.is_set():
            left = (when - self.now()).total_seconds()
            if left <= 0:
                return
            try:
                await asyncio.wait_for(wake.wait(), min(left, self.max_nap_seconds))
            except TimeoutError:
                continue
