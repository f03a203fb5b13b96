"""Test helpers for the watch: a clock moved by hand, and account rows as refreshes return them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal


class ManualClock:
    """A clock that stands still until ``advance``; sleepers wake when their time comes."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
        self._moved = asyncio.Event() if _loop_running() else None

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float = 0, **delta: float) -> None:
        self._now += timedelta(seconds=seconds, **delta)
        if self._moved is not None:
            self._moved.set()

    async def sleep_until(self, when: datetime, wake: asyncio.Event) -> None:
        await asyncio.sleep(0)
        if self._moved is None:
            self._moved = asyncio.Event()
        while self._now < when and not wake.is_set():
            self._moved.clear()
            waiters = [asyncio.ensure_future(self._moved.wait()), asyncio.ensure_future(wake.wait())]
            _done, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@dataclass(frozen=True)
class Account:
    account_id: str
    name: str
    type: str
    mask: str | None
    currency: str | None
    current_balance: Decimal | None
    available_balance: Decimal | None
    limit: Decimal | None = None
    subtype: str | None = None


def checking(available: str, current: str | None = None, currency: str = "USD") -> Account:
    return Account(
        "acc-checking",
        "Plaid Checking",
        "depository",
        "0000",
        currency,
        Decimal(current or available),
        Decimal(available),
        None,
        "checking",
    )


def card(owed: str, limit: str = "2000", available: str | None = None, currency: str = "USD") -> Account:
    return Account(
        "acc-card",
        "Plaid Credit Card",
        "credit",
        "3333",
        currency,
        Decimal(owed),
        None if available is None else Decimal(available),
        Decimal(limit),
        "credit card",
    )


@dataclass(frozen=True)
class Report:
    item_id: str
    institution_id: str | None
    institution_name: str | None
    source: str
    retrieved_at: datetime
    accounts: tuple[Account, ...]
