"""The watch's persistent state, in the history database (the rows are ``plaid_balance.storage.watch``'s).

Kept so that a restart carries on where the watch stopped: per Item the last refresh (so nothing is
refreshed early and no budget is spent twice) and its health; per Item and period the billed and saved
calls; per alert its state; and the log of alert events (what the dashboard shows). Each write is one
transaction; a refresh's state can also join the history's transaction for its snapshot
(``RefreshRow.write``), so that a refresh costs one commit. A failing write (full disk, locked file)
raises ``StateError``; the watch logs it and keeps running on what it holds in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from plaid_balance._errors import HistoryError, StateError
from plaid_balance._health import Health
from plaid_balance.storage.database import Database
from plaid_balance.storage.watch import (
    AlertEventRecord,
    AlertRecord,
    RefreshRow,
    WatchItemRecord,
    WatchRepository,
)
from plaid_balance.watch.alerts import AlertEvent, AlertState, EventKind


@dataclass(frozen=True, slots=True)
class Loaded:
    items: dict[str, WatchItemRecord]
    budget: list[tuple[str, str, int, int]]
    alerts: list[AlertState]


class WatchStore:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.repository: WatchRepository = database.watch

    def shares_database(self, history: object) -> bool:
        """Whether ``history`` writes to this store's database (then a refresh's state can be written in
        the history's transaction)."""
        return self.database.same_as(getattr(history, "database", None))

    @contextmanager
    def _failing(self, action: str) -> Iterator[None]:
        try:
            yield
        except HistoryError as exc:
            raise StateError(f"cannot {action} the watch's state: {exc.reason}") from None

    def load(self) -> Loaded:
        with self._failing("read"):
            records = self.repository.load()
        items = {r.item_id: r for r in records.items}
        budget = [(b.item_id, b.period, b.billed, b.saved) for b in records.budget]
        alerts = [
            AlertState(a.rule, a.subject, a.label, a.firing, a.since, a.last_notified, a.detail)
            for a in records.alerts
        ]
        return Loaded(items, budget, alerts)

    def record_refresh(self, record: RefreshRow) -> None:
        """The refresh and what it cost, in one transaction: both are kept or neither."""
        with self._failing("write"):
            self.repository.record_refresh(record)

    def record_health(self, item_id: str, alias: str, health: Health, reason: str) -> None:
        with self._failing("write"):
            self.repository.record_health(item_id, alias, health, reason)

    def record_alert(self, state: AlertState, event: AlertEvent | None) -> None:
        alert = AlertRecord(
            state.rule,
            state.subject,
            state.label,
            state.firing,
            state.since,
            state.last_notified,
            state.detail,
        )
        logged = None
        if event is not None:
            logged = AlertEventRecord(
                event.rule, event.subject, event.kind, event.title, event.message, event.at, event.notify
            )
        with self._failing("write"):
            self.repository.record_alert(alert, logged)

    def alert_events(self, *, limit: int = 100, since: datetime | None = None) -> list[AlertEvent]:
        """The newest alert events first (for the dashboard)."""
        with self._failing("read"):
            records = self.repository.alert_events(limit=limit, since=since)
        return [
            AlertEvent(r.rule, r.subject, _kind(r.kind), r.title, r.message, r.at, r.notify) for r in records
        ]


def _kind(value: str) -> EventKind:
    return value  # type: ignore[return-value]  # written by record_alert from an EventKind
