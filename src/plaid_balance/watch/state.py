"""What the watch knows about each Item while it runs, and the ports it reaches the world through.

``WatchState`` is plain in-memory data (read by /metrics, the dashboard and the alert rules); the ports
are small protocols so that the engine can be tested with fakes and wired to the vault, the Plaid
client and the history store in ``wiring``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from plaid_balance.watch.alerts import AccountLike, AlertEvent
from plaid_balance.watch.config import KnownAccount
from plaid_balance.watch.health import Health


@dataclass(frozen=True, slots=True)
class WatchedItem:
    """An Item of the vault, as the watch needs it (no token: that is asked for at call time)."""

    alias: str
    item_id: str
    institution_id: str | None
    institution_name: str | None
    accounts: tuple[KnownAccount, ...] = ()
    health: Health = Health.OK
    health_reason: str = ""


class ReportLike(Protocol):
    """The balance report as the watch reads it (``plaid_balance._report.BalanceReport`` fits)."""

    @property
    def item_id(self) -> str: ...
    @property
    def institution_id(self) -> str | None: ...
    @property
    def institution_name(self) -> str | None: ...
    @property
    def source(self) -> str: ...
    @property
    def retrieved_at(self) -> datetime: ...
    @property
    def accounts(self) -> Sequence[AccountLike]: ...


@dataclass(frozen=True, slots=True)
class Failure:
    """A call that did not give balances: Plaid's error code (or NETWORK_ERROR's), and its message."""

    error_type: str
    error_code: str
    message: str
    retryable: bool


Outcome = ReportLike | Failure


class ItemSource(Protocol):
    """The vault, as the watch uses it."""

    def items(self) -> list[WatchedItem]: ...
    def access_token(self, alias: str) -> str: ...
    def set_health(self, item_id: str, health: Health, reason: str) -> None: ...


class PlaidPort(Protocol):
    """The Plaid calls the watch makes; each returns a report or a ``Failure``, never raises for Plaid."""

    async def balance(
        self, access_token: str, *, item_key: str, min_last_updated: datetime | None
    ) -> Outcome: ...
    async def cached(self, access_token: str, *, item_key: str) -> Outcome: ...
    async def item_error(self, access_token: str) -> Failure | None:
        """``/item/get``'s ``item.error`` (free): None when the Item's login works."""
        ...

    async def verification_key(self, key_id: str) -> dict[str, Any] | None: ...
    async def ensure_webhook(self, access_token: str, url: str) -> Failure | bool:
        """Point the Item's webhook at ``url`` unless it already is (free calls); True if changed."""
        ...


class HistoryPort(Protocol):
    """Balance history (sync: called in a worker thread)."""

    def save(self, report: ReportLike, access_token: str, along: Callable[[Any], None] | None = None) -> None:
        """Store the report; ``along``, when given, is called with the database connection inside the
        same transaction (the watch's state for this refresh: committed with the snapshot or not at all)."""
        ...

    def save_all(self, entries: Sequence[tuple[ReportLike, str, Callable[[Any], None] | None]]) -> None:
        """Several ``save``s in one transaction: all stored, or none and an exception."""
        ...

    def fresh(self, item_id: str, max_age_seconds: float, now: datetime) -> ReportLike | None: ...
    def latest(self, item_id: str) -> ReportLike | None: ...
    def latest_all(self) -> dict[str, ReportLike]: ...


@dataclass(slots=True)
class ItemState:
    item: WatchedItem
    health: Health = Health.OK
    health_reason: str = ""
    # When the evidence for the current health was produced (a call's start, a webhook's signed iat):
    # a webhook signed before it is older news and never moves the health back.
    health_changed_at: datetime | None = None
    last_refresh: datetime | None = None
    last_source: str | None = None
    last_outcome: str | None = None  # "ok" or the error code
    report: ReportLike | None = None  # latest balances known (any source)
    refreshing: bool = False

    @property
    def alias(self) -> str:
        return self.item.alias

    def current_balances(self) -> dict[str, Decimal | None]:
        if self.report is None:
            return {}
        return {a.account_id: a.current_balance for a in self.report.accounts}


@dataclass(slots=True)
class Counters:
    """Totals since start (the persistent per-period ones live in the budget ledger)."""

    billed: int = 0
    saved: int = 0
    refreshes: int = 0
    failures: int = 0
    webhooks_verified: int = 0
    webhooks_refused: int = 0
    alerts_sent: int = 0
    alerts_failed: int = 0
    history_errors: int = 0


@dataclass(slots=True)
class WatchState:
    items: dict[str, ItemState] = field(default_factory=dict)  # by item_id
    counters: Counters = field(default_factory=Counters)
    recent_events: list[AlertEvent] = field(default_factory=list)

    def by_alias(self, alias: str) -> ItemState | None:
        return next((s for s in self.items.values() if s.alias == alias), None)
