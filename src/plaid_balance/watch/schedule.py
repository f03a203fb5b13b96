"""When an Item is due: every N minutes, or on a cron expression (5 fields, in the config's timezone)."""

from __future__ import annotations

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
