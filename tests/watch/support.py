"""Test helpers for the watch: a clock moved by hand, and account rows as refreshes return them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from plaid_balance._report import AccountReport, BalanceReport, Source


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


def checking(available: str, current: str | None = None, currency: str = "USD") -> AccountReport:
    return AccountReport(
        account_id="acc-checking",
        name="Plaid Checking",
        type="depository",
        subtype="checking",
        mask="0000",
        currency=currency,
        current_balance=Decimal(current or available),
        available_balance=Decimal(available),
    )


def card(
    owed: str, limit: str = "2000", available: str | None = None, currency: str = "USD"
) -> AccountReport:
    return AccountReport(
        account_id="acc-card",
        name="Plaid Credit Card",
        type="credit",
        subtype="credit card",
        mask="3333",
        currency=currency,
        current_balance=Decimal(owed),
        available_balance=None if available is None else Decimal(available),
        limit=Decimal(limit),
    )


def report(
    item_id: str,
    institution_id: str | None,
    source: Source,
    retrieved_at: datetime,
    accounts: Sequence[AccountReport],
) -> BalanceReport:
    """The library's own report, as the watch receives it."""
    return BalanceReport.build(
        list(accounts),
        item_id=item_id,
        institution_id=institution_id,
        institution_name="First Platypus Bank",
        environment="sandbox",
        retrieved_at=retrieved_at,
        source=source,
    )
