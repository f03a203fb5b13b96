"""The watch's repository: per Item its last refresh and health, per Item and period its billed and
saved calls, per alert its state, and the log of alert events.

Kept so that a restart carries on where the watch stopped. A refresh's rows can join the history's
transaction for its snapshot (``record_refresh(..., tx=)``), so that a refresh costs one commit. What
the rows mean (health, alerts, budgets) is the watch's business; here they are plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from plaid_balance._health import Health
from plaid_balance.storage.schema import WatchAlert, WatchAlertEvent, WatchBudget, WatchItem

if TYPE_CHECKING:
    from plaid_balance.storage.database import Database, Transaction


@dataclass(frozen=True, slots=True)
class WatchItemRecord:
    item_id: str
    alias: str
    health: Health
    health_reason: str
    last_refresh_at: datetime | None
    last_source: str | None
    last_outcome: str | None


@dataclass(frozen=True, slots=True)
class BudgetRecord:
    item_id: str
    period: str  # D2026-11-25 or M2026-11
    billed: int
    saved: int


@dataclass(frozen=True, slots=True)
class AlertRecord:
    rule: str
    subject: str
    label: str
    firing: bool
    since: datetime | None
    last_notified: datetime | None
    detail: str


@dataclass(frozen=True, slots=True)
class AlertEventRecord:
    rule: str
    subject: str
    kind: str
    title: str
    message: str
    at: datetime
    notify: tuple[str, ...]  # notifier names; empty is all of them


@dataclass(frozen=True, slots=True)
class WatchRecords:
    """Everything ``load`` reads back."""

    items: list[WatchItemRecord]
    budget: list[BudgetRecord]
    alerts: list[AlertRecord]


@dataclass(frozen=True, slots=True)
class RefreshRow:
    """One refresh: its Item's row, and what it cost in each of ``periods``."""

    item_id: str
    alias: str
    at: datetime
    source: str
    outcome: str
    health: Health
    health_reason: str
    periods: tuple[str, ...]
    billed: int
    saved: int

    def write(self, tx: Transaction) -> None:
        """In the caller's transaction (the history's, for its snapshot: it commits or rolls back)."""
        write_refresh(tx, self)


class WatchRepository:
    """The watch tables of one ``Database`` (``database.watch``)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def load(self) -> WatchRecords:
        with self._db.transaction("read") as tx:
            session = tx.session
            items = [
                WatchItemRecord(
                    r.item_id,
                    r.alias,
                    r.health,
                    r.health_reason,
                    r.last_refresh_at,
                    r.last_source,
                    r.last_outcome,
                )
                for r in session.scalars(select(WatchItem))
            ]
            budget = [
                BudgetRecord(r.item_id, r.period, r.billed, r.saved)
                for r in session.scalars(select(WatchBudget))
            ]
            alerts = [
                AlertRecord(r.rule, r.subject, r.label, r.firing, r.since, r.last_notified, r.detail)
                for r in session.scalars(select(WatchAlert))
            ]
        return WatchRecords(items, budget, alerts)

    def record_refresh(self, refresh: RefreshRow, *, tx: Transaction | None = None) -> None:
        """The refresh and what it cost: in ``tx`` when given (the caller commits), else in a
        transaction of its own. Either both are kept or neither."""
        if tx is not None:
            write_refresh(tx, refresh)
            return
        with self._db.transaction() as own:
            write_refresh(own, refresh)

    def record_health(self, item_id: str, alias: str, health: Health, reason: str) -> None:
        with self._db.transaction() as tx:
            _upsert_item(tx, item_id, alias, health, reason, None, None, None)

    def record_alert(self, alert: AlertRecord, event: AlertEventRecord | None) -> None:
        """The alert's new state, and the event that changed it, in one transaction."""
        with self._db.transaction() as tx:
            session = tx.session
            session.execute(
                delete(WatchAlert).where(WatchAlert.rule == alert.rule, WatchAlert.subject == alert.subject)
            )
            session.add(
                WatchAlert(
                    rule=alert.rule,
                    subject=alert.subject,
                    label=alert.label,
                    firing=alert.firing,
                    since=alert.since,
                    last_notified=alert.last_notified,
                    detail=alert.detail,
                )
            )
            if event is not None:
                session.add(
                    WatchAlertEvent(
                        at=event.at,
                        rule=event.rule,
                        subject=event.subject,
                        kind=event.kind,
                        title=event.title,
                        message=event.message,
                        notify=",".join(event.notify),
                    )
                )

    def alert_events(self, *, limit: int = 100, since: datetime | None = None) -> list[AlertEventRecord]:
        """The newest alert events first."""
        query = (
            select(WatchAlertEvent)
            .order_by(WatchAlertEvent.at.desc(), WatchAlertEvent.id.desc())
            .limit(limit)
        )
        if since is not None:
            query = query.where(WatchAlertEvent.at >= since)
        with self._db.transaction("read") as tx:
            return [
                AlertEventRecord(
                    r.rule,
                    r.subject,
                    r.kind,
                    r.title,
                    r.message,
                    r.at,
                    tuple(n for n in r.notify.split(",") if n),
                )
                for r in tx.session.scalars(query)
            ]

    def has_run(self) -> bool:
        """Whether a watch ever kept its state in this database."""
        with self._db.transaction("read") as tx:
            return tx.session.scalar(select(WatchItem.item_id).limit(1)) is not None


def write_refresh(tx: Transaction, refresh: RefreshRow) -> None:
    """In ``tx``: the refresh's Item row, and its cost added to each period's counters."""
    _upsert_item(
        tx,
        refresh.item_id,
        refresh.alias,
        refresh.health,
        refresh.health_reason,
        refresh.at,
        refresh.source,
        refresh.outcome,
    )
    session = tx.session
    for period in refresh.periods:
        done = session.execute(
            update(WatchBudget)
            .where(WatchBudget.item_id == refresh.item_id, WatchBudget.period == period)
            .values(billed=WatchBudget.billed + refresh.billed, saved=WatchBudget.saved + refresh.saved)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(done) == 0:
            session.add(
                WatchBudget(
                    item_id=refresh.item_id, period=period, billed=refresh.billed, saved=refresh.saved
                )
            )
            session.flush()


def _upsert_item(
    tx: Transaction,
    item_id: str,
    alias: str,
    health: Health,
    reason: str,
    at: datetime | None,
    source: str | None,
    outcome: str | None,
) -> None:
    values: dict[str, object] = {"alias": alias, "health": health, "health_reason": reason}
    if at is not None:
        values.update(last_refresh_at=at, last_source=source, last_outcome=outcome)
    session = tx.session
    done = session.execute(
        update(WatchItem)
        .where(WatchItem.item_id == item_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(done) == 0:
        session.add(WatchItem(item_id=item_id, **values))
        session.flush()


def _rowcount(result: object) -> int:
    count = getattr(result, "rowcount", 0)
    return count if isinstance(count, int) else 0


__all__ = [
    "AlertEventRecord",
    "AlertRecord",
    "BudgetRecord",
    "RefreshRow",
    "WatchItemRecord",
    "WatchRecords",
    "WatchRepository",
    "write_refresh",
]
