"""The watch's persistent state, in the history database (tables created by migration ``0004``).

Kept so that a restart carries on where the watch stopped: per Item the last refresh (so nothing is
refreshed early and no budget is spent twice) and its health; per Item and period the billed and saved
calls; per alert its state; and the log of alert events (what the dashboard shows). Each write is one
transaction; a refresh's state can also join the history's transaction for its snapshot
(``RefreshRecord.write``), so that a refresh costs one commit. A failing write (full disk, locked file) raises ``StateError``; the watch logs it and keeps
running on what it holds in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from plaid_balance._errors import StateError
from plaid_balance.history._schema import UTCDateTime
from plaid_balance.watch.alerts import AlertEvent, AlertState
from plaid_balance.watch.health import Health

metadata = MetaData()

items_table = Table(
    "watch_items",
    metadata,
    Column("item_id", String(255), primary_key=True),
    Column("alias", Text, nullable=False),
    Column("health", String(32), nullable=False),
    Column("health_reason", Text, nullable=False),
    Column("last_refresh_at", UTCDateTime, nullable=True),
    Column("last_source", String(16), nullable=True),
    Column("last_outcome", String(64), nullable=True),
)
budget_table = Table(
    "watch_budget",
    metadata,
    Column("item_id", String(255), primary_key=True),
    Column("period", String(16), primary_key=True),  # D2026-11-25 or M2026-11
    Column("billed", Integer, nullable=False),
    Column("saved", Integer, nullable=False),
)
alerts_table = Table(
    "watch_alerts",
    metadata,
    Column("rule", Text, primary_key=True),
    Column("subject", String(255), primary_key=True),
    Column("label", Text, nullable=False),
    Column("firing", Boolean, nullable=False),
    Column("since", UTCDateTime, nullable=True),
    Column("last_notified", UTCDateTime, nullable=True),
    Column("detail", Text, nullable=False),
)
events_table = Table(
    "watch_alert_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("rule", Text, nullable=False),
    Column("subject", String(255), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("notify", Text, nullable=False),
)


@dataclass(frozen=True, slots=True)
class ItemRow:
    item_id: str
    alias: str
    health: Health
    health_reason: str
    last_refresh_at: datetime | None
    last_source: str | None
    last_outcome: str | None


@dataclass(frozen=True, slots=True)
class Loaded:
    items: dict[str, ItemRow]
    budget: list[tuple[str, str, int, int]]
    alerts: list[AlertState]


def _health(value: str) -> Health:
    try:
        return Health(value)
    except ValueError:
        return Health.OK


@dataclass(frozen=True, slots=True)
class RefreshRecord:
    """What one refresh leaves in the watch's state: its Item's row and what it cost in each period."""

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

    def write(self, connection: Connection) -> None:
        """In the caller's transaction (it commits or rolls back)."""
        _upsert_item(
            connection,
            self.item_id,
            self.alias,
            self.health,
            self.health_reason,
            self.at,
            self.source,
            self.outcome,
        )
        for period in self.periods:
            key = (budget_table.c.item_id == self.item_id) & (budget_table.c.period == period)
            done = connection.execute(
                update(budget_table)
                .where(key)
                .values(billed=budget_table.c.billed + self.billed, saved=budget_table.c.saved + self.saved)
            )
            if done.rowcount == 0:
                connection.execute(
                    insert(budget_table).values(
                        item_id=self.item_id, period=period, billed=self.billed, saved=self.saved
                    )
                )


def _upsert_item(
    connection: Connection,
    item_id: str,
    alias: str,
    health: Health,
    reason: str,
    at: datetime | None,
    source: str | None,
    outcome: str | None,
) -> None:
    values: dict[str, object] = {"alias": alias, "health": health.value, "health_reason": reason}
    if at is not None:
        values.update(last_refresh_at=at, last_source=source, last_outcome=outcome)
    done = connection.execute(update(items_table).where(items_table.c.item_id == item_id).values(**values))
    if done.rowcount == 0:
        connection.execute(insert(items_table).values(item_id=item_id, **values))


class WatchStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def shares_database(self, history: Any) -> bool:
        """Whether ``history`` writes to this store's database (then a refresh's state can be written in
        the history's transaction)."""
        return getattr(history, "engine", None) is self._engine

    def _fail(self, action: str, exc: SQLAlchemyError) -> StateError:
        inner = getattr(exc, "orig", None) or exc
        first = (str(inner).strip().splitlines() or [type(inner).__name__])[0]
        return StateError(f"cannot {action} the watch's state: {first}")

    def load(self) -> Loaded:
        try:
            with self._engine.begin() as connection:
                items = {
                    row.item_id: ItemRow(
                        row.item_id,
                        row.alias,
                        _health(row.health),
                        row.health_reason,
                        row.last_refresh_at,
                        row.last_source,
                        row.last_outcome,
                    )
                    for row in connection.execute(select(items_table))
                }
                budget = [
                    (row.item_id, row.period, row.billed, row.saved)
                    for row in connection.execute(select(budget_table))
                ]
                alerts = [
                    AlertState(
                        row.rule, row.subject, row.label, row.firing, row.since, row.last_notified, row.detail
                    )
                    for row in connection.execute(select(alerts_table))
                ]
        except SQLAlchemyError as exc:
            raise self._fail("read", exc) from None
        return Loaded(items, budget, alerts)

    def record_refresh(self, record: RefreshRecord) -> None:
        """The refresh and what it cost, in one transaction: both are kept or neither."""
        try:
            with self._engine.begin() as connection:
                record.write(connection)
        except SQLAlchemyError as exc:
            raise self._fail("write", exc) from None

    def record_health(self, item_id: str, alias: str, health: Health, reason: str) -> None:
        try:
            with self._engine.begin() as connection:
                _upsert_item(connection, item_id, alias, health, reason, None, None, None)
        except SQLAlchemyError as exc:
            raise self._fail("write", exc) from None

    def record_alert(self, state: AlertState, event: AlertEvent | None) -> None:
        try:
            with self._engine.begin() as connection:
                key = (alerts_table.c.rule == state.rule) & (alerts_table.c.subject == state.subject)
                connection.execute(delete(alerts_table).where(key))
                connection.execute(
                    insert(alerts_table).values(
                        rule=state.rule,
                        subject=state.subject,
                        label=state.label,
                        firing=state.firing,
                        since=state.since,
                        last_notified=state.last_notified,
                        detail=state.detail,
                    )
                )
                if event is not None:
                    connection.execute(
                        insert(events_table).values(
                            at=event.at,
                            rule=event.rule,
                            subject=event.subject,
                            kind=event.kind,
                            title=event.title,
                            message=event.message,
                            notify=",".join(event.notify),
                        )
                    )
        except SQLAlchemyError as exc:
            raise self._fail("write", exc) from None

    def alert_events(self, *, limit: int = 100, since: datetime | None = None) -> list[AlertEvent]:
        """The newest alert events first (for the dashboard)."""
        query = select(events_table).order_by(events_table.c.at.desc(), events_table.c.id.desc()).limit(limit)
        if since is not None:
            query = query.where(events_table.c.at >= since)
        try:
            with self._engine.begin() as connection:
                return [
                    AlertEvent(
                        row.rule,
                        row.subject,
                        row.kind,
                        row.title,
                        row.message,
                        row.at,
                        tuple(n for n in row.notify.split(",") if n),
                    )
                    for row in connection.execute(query)
                ]
        except SQLAlchemyError as exc:
            raise self._fail("read", exc) from None
