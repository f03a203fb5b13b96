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
from typing import TYPE_CHECKING, Any, Protocol

from plaid_balance._error_body import ErrorBody
from plaid_balance._health import Health
from plaid_balance._report import BalanceReport
from plaid_balance.watch.alerts import AlertEvent

if TYPE_CHECKING:
    from plaid_balance.vault import VaultItem


# A refresh's answer: the library's own report, or the library's own failure (never a copy of either).
Outcome = BalanceReport | ErrorBody


class ItemSource(Protocol):
    """The vault, as the watch uses it: its own ``VaultItem``s (no token: that is asked for at call time)."""

    def items(self) -> list[VaultItem]: ...
    def access_token(self, alias: str) -> str: ...
    def set_health(self, item_id: str, health: Health, reason: str) -> None: ...


class PlaidPort(Protocol):
    """The Plaid calls the watch makes; each returns a report or an ``ErrorBody``, never raises for Plaid."""

    async def balance(
        self, access_token: str, *, item_key: str, min_last_updated: datetime | None
    ) -> Outcome: ...
    async def cached(self, access_token: str, *, item_key: str) -> Outcome: ...
    async def item_error(self, access_token: str) -> ErrorBody | None:
        """``/item/get``'s ``item.error`` (free): None when the Item's login works."""
        ...

    async def verification_key(self, key_id: str) -> dict[str, Any] | None: ...
    async def ensure_webhook(self, access_token: str, url: str) -> ErrorBody | bool:
        """Point the Item's webhook at ``url`` unless it already is (free calls); True if changed."""
        ...


class HistoryPort(Protocol):
    """Balance history (sync: called in a worker thread)."""

    def save(
        self, report: BalanceReport, access_token: str, along: Callable[[Any], None] | None = None
    ) -> None:
        """Store the report; ``along``, when given, is called with the database connection inside the
        same transaction (the watch's state for this refresh: committed with the snapshot or not at all)."""
        ...

    def save_all(self, entries: Sequence[tuple[BalanceReport, str, Callable[[Any], None] | None]]) -> None:
        """Several ``save``s in one transaction: all stored, or none and an exception."""
        ...

    def fresh(self, item_id: str, max_age_seconds: float, now: datetime) -> BalanceReport | None: ...
    def latest(self, item_id: str) -> BalanceReport | None: ...
    def latest_all(self) -> dict[str, BalanceReport]: ...


@dataclass(slots=True)
class ItemState:
    item: VaultItem  # as the vault last gave it; the health below is the watch's, moved by what it sees
    health: Health = Health.OK
    health_reason: str = ""
    # When the evidence for the current health was produced (a call's start, a webhook's signed iat):
    # a webhook signed before it is older news and never moves the health back.
    health_changed_at: datetime | None = None
    last_refresh: datetime | None = None
    last_source: str | None = None
    last_outcome: str | None = None  # "ok" or the error code
    report: BalanceReport | None = None  # latest balances known (any source)
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
    history_errors: int = 0


@dataclass(slots=True)
class WatchState:
    items: dict[str, ItemState] = field(default_factory=dict)  # by item_id
    counters: Counters = field(default_factory=Counters)
    recent_events: list[AlertEvent] = field(default_factory=list)

    def by_alias(self, alias: str) -> ItemState | None:
        return next((s for s in self.items.values() if s.alias == alias), None)
