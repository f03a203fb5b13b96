"""One Item's refresh: which call to make (or not), within the budget and the Item's health.

Decision, in order:
1. Access revoked or Item removed: no call at all.
2. Needs repair: only the free ``/item/get`` to learn whether the login was repaired elsewhere; if it
   was, carry on, else no balance call (the billed call it spares is counted as saved).
3. Budget left: ``/accounts/balance/get`` (billed), with ``min_last_updated_datetime`` for Capital One.
   If the bank has no fresh-enough balance (``LAST_UPDATED_DATETIME_OUT_OF_RANGE``) or is down, the
   free ``/accounts/get`` stands in, as Plaid recommends.
4. Over budget: a stored balance no older than ``max_age`` (``over_budget = "history"``), else the free
   ``/accounts/get``; either way the report says which (``source``) and the spared call is counted.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from plaid_balance._error_body import ErrorBody
from plaid_balance._health import Health, HealthChange, from_error_code, from_success
from plaid_balance._report import BalanceReport
from plaid_balance.watch.budget import BudgetLedger
from plaid_balance.watch.config import ItemSettings, WatchConfig
from plaid_balance.watch.state import HistoryPort, ItemState, Outcome, PlaidPort

log = logging.getLogger("plaid_balance.watch")

CAPITAL_ONE: Final = "ins_128026"
FALLBACK_CODES: Final = frozenset(
    {
        "LAST_UPDATED_DATETIME_OUT_OF_RANGE",
        "INSTITUTION_DOWN",
        "INSTITUTION_NOT_RESPONDING",
        "INSTITUTION_NOT_AVAILABLE",
    }
)


@dataclass(frozen=True, slots=True)
class RefreshResult:
    item_id: str
    alias: str
    started: datetime
    source: str  # realtime, cached, stored, or none
    report: BalanceReport | None
    failure: ErrorBody | None
    billed: int
    saved: int
    note: str
    calls: tuple[tuple[str, str], ...]  # (endpoint, outcome) of each call made
    health: HealthChange | None


def item_key(item_id: str) -> str:
    """The rate limiter's key for an Item (a digest: the limiter never sees tokens)."""
    return hashlib.sha256(item_id.encode()).hexdigest()[:16]


class Refresher:
    def __init__(self, plaid: PlaidPort, history: HistoryPort | None, ledger: BudgetLedger) -> None:
        self.plaid = plaid
        self.history = history
        self.ledger = ledger

    async def refresh(
        self, state: ItemState, settings: ItemSettings, config: WatchConfig, token: str, now: datetime
    ) -> RefreshResult:
        item = state.item
        calls: list[tuple[str, str]] = []
        health_change: HealthChange | None = None
        health = state.health

        def result(source: str, outcome: Outcome | None, billed: int, saved: int, note: str) -> RefreshResult:
            report = outcome if outcome is not None and not isinstance(outcome, ErrorBody) else None
            failure = outcome if isinstance(outcome, ErrorBody) else None
            return RefreshResult(
                item.item_id,
                item.alias,
                now,
                source,
                report,
                failure,
                billed,
                saved,
                note,
                tuple(calls),
                health_change,
            )

        if not health.allows_calls:
            return result("none", None, 0, 0, f"{health.value}: no call made")

        if health is Health.NEEDS_REPAIR:
            error = await self.plaid.item_error(token)
            calls.append(("/item/get", "ok" if error is None else error.error_code))
            if error is not None:
                return result("none", None, 0, 1, f"needs repair ({error.error_code}): no billed call made")
            health_change = from_success(health)
            health = Health.OK

        left = self.ledger.left(item.item_id, settings.budget, now)
        if left.allows_call:
            floor = now - config.capital_one_floor if item.institution_id == CAPITAL_ONE else None
            outcome = await self.plaid.balance(token, item_key=item_key(item.item_id), min_last_updated=floor)
            calls.append(("/accounts/balance/get", _outcome_label(outcome)))
            if not isinstance(outcome, ErrorBody):
                return result("realtime", outcome, 1, 0, "real-time balances")
            change = from_error_code(outcome.error_code)
            if change is not None:
                health_change = change
                return result("none", outcome, 0, 0, f"{change.health.value} ({outcome.error_code})")
            if outcome.error_code not in FALLBACK_CODES:
                return result("none", outcome, 0, 0, f"real-time call failed ({outcome.error_code})")
            cached = await self._cached(token, item.item_id, calls)
            note = (
                f"real-time balance not available ({outcome.error_code}): cached balances from /accounts/get"
            )
            if isinstance(cached, ErrorBody):
                return result("none", cached, 0, 0, f"{note} also failed ({cached.error_code})")
            return result("cached", cached, 0, 0, note)

        spent = _describe_budget(settings, left.day, left.month)
        if config.over_budget == "history" and config.max_age is not None and self.history is not None:
            stored = await asyncio.to_thread(
                self.history.fresh, item.item_id, config.max_age.total_seconds(), now
            )
            if stored is not None:
                return result("stored", stored, 0, 1, f"over budget ({spent}): stored balances from history")
        cached = await self._cached(token, item.item_id, calls)
        if isinstance(cached, ErrorBody):
            change = from_error_code(cached.error_code)
            if change is not None:
                health_change = change
            return result(
                "none", cached, 0, 1, f"over budget ({spent}); /accounts/get failed ({cached.error_code})"
            )
        return result("cached", cached, 0, 1, f"over budget ({spent}): cached balances from /accounts/get")

    async def _cached(self, token: str, item_id: str, calls: list[tuple[str, str]]) -> Outcome:
        outcome = await self.plaid.cached(token, item_key=item_key(item_id))
        calls.append(("/accounts/get", _outcome_label(outcome)))
        return outcome


def _outcome_label(outcome: Outcome) -> str:
    return outcome.error_code if isinstance(outcome, ErrorBody) else "ok"


def _describe_budget(settings: ItemSettings, day: int | None, month: int | None) -> str:
    parts = []
    if day is not None and day <= 0:
        parts.append(f"{settings.budget.per_day}/day used")
    if month is not None and month <= 0:
        parts.append(f"{settings.budget.per_month}/month used")
    return ", ".join(parts) or "budget used"
