"""The dashboard's repository: read-only views over the history, the vault and the watch's state.

The dashboard keeps an in-process index of every complete snapshot's totals and asks here only for
what is new (``complete_snapshots_after``) and for the account rows of the few snapshots a chart shows
(``account_values``). Those can be up to 18,000 rows per chart, so they are read with three columns in
the driver's own SQL, in lists of at most ``ID_BATCH`` ids (bench/dashboard_bench.py shows why: one
compiled expanding ``IN`` and per-row conversion took half of a page's time, and PostgreSQL reads the
whole table for a list of 2,000).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Literal

from sqlalchemy import select

from plaid_balance._health import Health
from plaid_balance._report import AccountReport
from plaid_balance.storage.schema import ExactDecimal, Snapshot, SnapshotAccount, VaultRow, WatchItem
from plaid_balance.storage.watch import WatchRepository

if TYPE_CHECKING:
    from plaid_balance.storage.database import Database

ID_BATCH: Final = 250  # snapshot ids per query of an account chart


@dataclass(frozen=True, slots=True)
class SnapshotHead:
    """A complete snapshot without its accounts."""

    id: int
    item_id: str
    retrieved_at: datetime
    source: str
    institution_name: str | None


@dataclass(frozen=True, slots=True)
class BalanceRow:
    """One account's figures in one snapshot: what a snapshot's totals are summed from."""

    snapshot_id: int
    currency: str | None
    type: str
    current: Decimal | None


@dataclass(frozen=True, slots=True)
class ItemNames:
    """What the vault (or the watch) says about an Item: alias, institution, health."""

    item_id: str
    alias: str
    institution_name: str | None
    health: Health
    health_reason: str | None


@dataclass(frozen=True, slots=True)
class AlertLine:
    at: datetime
    kind: str
    title: str
    message: str


class DashboardRepository:
    """Reads for the dashboard (``database.reader().dashboard``): never a write."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def complete_snapshots_after(self, snapshot_id: int) -> tuple[list[SnapshotHead], list[BalanceRow]]:
        """Complete snapshots with a higher id than ``snapshot_id`` (by id), and the balances of every
        account row with a higher snapshot id, in one read transaction."""
        heads_query = (
            select(
                Snapshot.id,
                Snapshot.item_id,
                Snapshot.retrieved_at,
                Snapshot.source,
                Snapshot.institution_name,
            )
            .where(Snapshot.id > snapshot_id, Snapshot.complete.is_(True))
            .order_by(Snapshot.id)
        )
        balances_query = select(
            SnapshotAccount.snapshot_id,
            SnapshotAccount.currency,
            SnapshotAccount.type,
            SnapshotAccount.current_balance,
        ).where(SnapshotAccount.snapshot_id > snapshot_id)
        with self._db.transaction("read") as tx:
            conn = tx.session.connection()
            heads = [SnapshotHead(*row) for row in conn.execute(heads_query)]
            if not heads:
                return [], []
            balances = [BalanceRow(*row) for row in conn.execute(balances_query)]
        return heads, balances

    def vault_names(self) -> list[ItemNames]:
        """Every vault entry's alias, institution and health."""
        query = select(
            VaultRow.item_id,
            VaultRow.alias,
            VaultRow.institution_name,
            VaultRow.health,
            VaultRow.health_reason,
        )
        with self._db.transaction("read") as tx:
            return [ItemNames(*row) for row in tx.session.execute(query)]

    def watch_names(self) -> list[ItemNames]:
        """What a watch last knew of each Item's health (no institution: the watch does not keep it)."""
        query = select(WatchItem.item_id, WatchItem.alias, WatchItem.health, WatchItem.health_reason)
        with self._db.transaction("read") as tx:
            return [
                ItemNames(i, alias, None, health, reason)
                for i, alias, health, reason in tx.session.execute(query)
            ]

    def accounts(self, snapshot_ids: Sequence[int]) -> list[tuple[int, AccountReport]]:
        """The account rows of these snapshots, each with its snapshot id."""
        if not snapshot_ids:
            return []
        query = select(SnapshotAccount).where(SnapshotAccount.snapshot_id.in_(list(snapshot_ids)))
        with self._db.transaction("read") as tx:
            return [(row.snapshot_id, row.to_report()) for row in tx.session.scalars(query)]

    def alerts(self, limit: int) -> list[AlertLine] | None:
        """The watch's alert events, newest first; None when no watch has ever used this database."""
        watch = WatchRepository(self._db)
        if not watch.has_run():
            return None
        return [
            AlertLine(_aware(e.at), e.kind, e.title, e.message) for e in watch.alert_events(limit=int(limit))
        ]

    def account_values(
        self, snapshot_ids: Sequence[int], field: Literal["current", "available"]
    ) -> Iterator[tuple[int, str, Decimal | None]]:
        """(snapshot id, account id, balance) for every account row of these snapshots."""
        column = "available_balance" if field == "available" else "current_balance"
        money = ExactDecimal().process_result_value
        read = f"SELECT snapshot_id, account_id, {column} FROM snapshot_accounts"  # noqa: S608 (one of two names)
        with self._db.transaction("read") as tx:
            conn = tx.session.connection()
            dialect = conn.dialect
            rows: list[tuple[int, str, Decimal | None]] = []
            for sql, part in _in_batches(read, snapshot_ids, dialect):
                rows.extend(
                    (sid, account_id, money(raw, dialect))
                    for sid, account_id, raw in conn.exec_driver_sql(sql, part).all()
                )
        return iter(rows)

    def account_names(self, snapshot_ids: Sequence[int]) -> list[tuple[int, str, str, str | None]]:
        """(snapshot id, account id, name, mask) for every account row of these snapshots."""
        read = "SELECT snapshot_id, account_id, name, mask FROM snapshot_accounts"
        with self._db.transaction("read") as tx:
            conn = tx.session.connection()
            out: list[tuple[int, str, str, str | None]] = []
            for sql, part in _in_batches(read, snapshot_ids, conn.dialect):
                out.extend(tuple(row) for row in conn.exec_driver_sql(sql, part).all())
        return out


def _in_batches(select_sql: str, ids: Sequence[int], dialect: Any) -> Iterator[tuple[str, tuple[int, ...]]]:
    """``select_sql WHERE snapshot_id IN (...)`` for ``ids``, ID_BATCH at a time, in the driver's own
    parameter style: the statement holds placeholders only, never a value."""
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    ordered = sorted(ids)
    for start in range(0, len(ordered), ID_BATCH):
        part = tuple(ordered[start : start + ID_BATCH])
        yield f"{select_sql} WHERE snapshot_id IN ({', '.join([mark] * len(part))})", part


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


__all__ = [
    "ID_BATCH",
    "AlertLine",
    "BalanceRow",
    "DashboardRepository",
    "ItemNames",
    "SnapshotHead",
]
