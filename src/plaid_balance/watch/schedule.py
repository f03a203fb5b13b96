"""When an Item is due: every N minutes, or on a cron expression (5 fields, in the config's timezone)."""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Schedule:
    """Exactly one of ``interval`` and ``cron``."""

    interval: timedelta | None = None
    cron: str | None = None
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if (self.interval is None) == (self.cron is None):
            raise ValueError("a schedule has either an interval or a cron expression")
        if self.cron is not None:
            check_cron(self.cron)

    def next_after(self, last: datetime | None, now: datetime) -> datetime:
        """The next refresh: ``now`` if never refreshed, else one step after the last refresh.

        The answer may lie in the past (the watch was down): the Item is then due at once, and only once,
        since its next step counts from that refresh.
        """
        if self.interval is not None:
            return now if last is None else last + self.interval
        assert self.cron is not None
        return now if last is None else _next_cron(self.cron, last, self.timezone)

    def describe(self) -> str:
        if self.interval is not None:
            return f"every {_describe(self.interval)}"
        return f"cron {self.cron!r} ({self.timezone})"


class DueQueue:
    """Items by the time they are next due, so that each pass of the watch's loop costs O(log n) per Item
    it starts rather than a look at every Item (the loop wakes once per finished refresh: scanning all
    Items each time made a first pass over n Items cost n² look-ups).

    A heap with lazy deletion: ``set`` records an Item's current due time and pushes it; entries that no
    longer match the current time are skipped when they reach the top.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, str]] = []
        self._due: dict[str, datetime | None] = {}
        self._order = itertools.count()

    def __len__(self) -> int:
        return sum(1 for due in self._due.values() if due is not None)

    def set(self, key: str, due: datetime | None) -> None:
        """``key`` is next due at ``due`` (None: not scheduled, until set again)."""
        self._due[key] = due
        if due is not None:
            heapq.heappush(self._heap, (due, next(self._order), key))
            if len(self._heap) > 2 * len(self._due) + 64:
                self._compact()

    def discard(self, key: str) -> None:
        self._due.pop(key, None)

    def pop_due(self, now: datetime) -> list[str]:
        """The keys due at ``now``, each taken off the schedule (``set`` puts it back)."""
        taken = []
        while self._heap and self._heap[0][0] <= now:
            due, _, key = heapq.heappop(self._heap)
            if self._due.get(key) == due:
                self._due[key] = None
                taken.append(key)
        return taken

    def next_due(self) -> datetime | None:
        """The earliest due time still scheduled."""
        while self._heap and self._due.get(self._heap[0][2]) != self._heap[0][0]:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def _compact(self) -> None:
        self._heap = [entry for entry in self._heap if self._due.get(entry[2]) == entry[0]]
        heapq.heapify(self._heap)


def check_cron(expression: str) -> None:
    """Raise ``ValueError`` with cronsim's reason when ``expression`` does not parse."""
    from cronsim import CronSim, CronSimError

    try:
        CronSim(expression, datetime(2026, 1, 1))
    except CronSimError as exc:
        raise ValueError(f"{expression!r} is not a cron expression: {exc}") from None


def _next_cron(expression: str, after: datetime, timezone: str) -> datetime:
    from cronsim import CronSim

    local = after.astimezone(ZoneInfo(timezone))
    return next(CronSim(expression, local)).astimezone(after.tzinfo)


def _describe(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
