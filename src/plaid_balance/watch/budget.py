"""Counting billed real-time calls per Item per day and per month, and what was saved by not making them.

Plaid bills each successful ``/accounts/balance/get``; the budget is what the user is willing to pay for.
Days and months are calendar periods in the config's timezone. The ledger is pure: the service loads it
from the state store at start and writes each change through the store, so budgets survive restarts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from plaid_balance.watch.config import Budget


@dataclass(frozen=True, slots=True)
class BudgetLeft:
    """Billed calls left today and this month (None: no limit)."""

    day: int | None
    month: int | None

    @property
    def allows_call(self) -> bool:
        return all(left is None or left > 0 for left in (self.day, self.month))


def period_keys(now: datetime, timezone: str) -> tuple[str, str]:
    """(``D2026-11-25``, ``M2026-11``): the day and month ``now`` falls in, in ``timezone``."""
    local = now.astimezone(ZoneInfo(timezone))
    return f"D{local:%Y-%m-%d}", f"M{local:%Y-%m}"


class BudgetLedger:
    def __init__(self, timezone: str = "UTC") -> None:
        self.timezone = timezone
        self.billed: Counter[tuple[str, str]] = Counter()  # (item_id, period key) -> billed calls
        self.saved: Counter[tuple[str, str]] = Counter()

    def load(self, item_id: str, period: str, billed: int, saved: int) -> None:
        self.billed[(item_id, period)] = billed
        self.saved[(item_id, period)] = saved

    def left(self, item_id: str, budget: Budget, now: datetime) -> BudgetLeft:
        day, month = period_keys(now, self.timezone)
        return BudgetLeft(
            day=None if budget.per_day is None else max(0, budget.per_day - self.billed[(item_id, day)]),
            month=None
            if budget.per_month is None
            else max(0, budget.per_month - self.billed[(item_id, month)]),
        )

    def record(self, item_id: str, now: datetime, *, billed: int = 0, saved: int = 0) -> tuple[str, str]:
        """Count calls made (billed) or spared (saved); returns the period keys it counted them in."""
        keys = period_keys(now, self.timezone)
        for key in keys:
            self.billed[(item_id, key)] += billed
            self.saved[(item_id, key)] += saved
        return keys

    def month_totals(self, now: datetime) -> tuple[int, int]:
        """(billed, saved) over every Item this month."""
        _, month = period_keys(now, self.timezone)
        billed = sum(v for (_, key), v in self.billed.items() if key == month)
        saved = sum(v for (_, key), v in self.saved.items() if key == month)
        return billed, saved
