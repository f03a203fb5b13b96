"""The history's repository: snapshots of balance reports, their accounts, and which Item a token is.

Snapshots are keyed by ``item_id`` and unique per ``(item_id, request_id)``: saving the same answer
twice, or from two processes at once, stores it once (a writer that loses the race looks again). What a
token fingerprint is, and how a report is rebuilt from a snapshot, is the history's business
(``plaid_balance.history.store``); this module stores and finds rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, selectinload

from plaid_balance._errors import WriteConflict
from plaid_balance._report import AccountReport, BalanceReport, utc_now
from plaid_balance.storage.schema import ItemToken, Snapshot, SnapshotAccount

if TYPE_CHECKING:
    from plaid_balance.storage.database import Database, Transaction

# A writer that lost a race for a unique key looks again; the third loss is reported.
ATTEMPTS: Final = 3
# ``recent`` looks at no more than this many snapshots of one Item (newest first).
RECENT_LIMIT: Final = 100

Along = Callable[["Transaction"], None]


@dataclass(frozen=True, slots=True)
class SnapshotRecord:
    """One stored snapshot as written: the report's fields and its accounts in their order."""

    id: int
    item_id: str
    request_id: str
    institution_id: str | None
    institution_name: str | None
    environment: str
    source: str
    complete: bool
    retrieved_at: datetime
    accounts: tuple[AccountReport, ...]


@dataclass(frozen=True, slots=True)
class NewSnapshot:
    """A report to store: ``request_key`` makes it idempotent, ``fingerprint`` links its token to its
    Item, ``along`` writes more in the same transaction (it may run again if the save is retried)."""

    report: BalanceReport
    request_key: str
    fingerprint: str | None = None
    complete: bool = True
    along: Along | None = None


@dataclass(frozen=True, slots=True)
class BulkSnapshot:
    """A complete snapshot for ``add_bulk``: stored as retrieved (``saved_at`` = ``retrieved_at``)."""

    item_id: str
    request_id: str
    institution_id: str | None
    institution_name: str | None
    environment: str
    source: str
    retrieved_at: datetime
    accounts: Sequence[AccountReport]

    def row(self, snapshot_id: int) -> dict[str, object]:
        return {
            "id": snapshot_id,
            "item_id": self.item_id,
            "request_id": self.request_id,
            "institution_id": self.institution_id,
            "institution_name": self.institution_name,
            "environment": self.environment,
            "source": self.source,
            "complete": True,
            "retrieved_at": self.retrieved_at,
            "saved_at": self.retrieved_at,
        }


class HistoryRepository:
    """The history tables of one ``Database`` (``database.history``)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    # --- writing ---------------------------------------------------------------------------------

    def save(self, snapshot: NewSnapshot) -> int:
        """Store one snapshot in one transaction; its id, or the id of the same answer stored before."""
        for attempt in range(ATTEMPTS):
            try:
                with self._db.transaction() as tx:
                    added = _add(tx, snapshot, flush=True)
                    return added if isinstance(added, int) else added.id
            except WriteConflict:
                # Another writer stored the same answer between our look-up and our insert: look again.
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def save_all(self, snapshots: Sequence[NewSnapshot]) -> list[int]:
        """Store several snapshots in ONE transaction (one commit, batched inserts): all or none."""
        with self._db.transaction() as tx:
            with tx.session.no_autoflush:  # the look-ups need not see this call's own snapshots
                added = [_add(tx, s, flush=False) for s in snapshots]
            tx.session.flush()
            return [row if isinstance(row, int) else row.id for row in added]

    def link_token(self, fingerprint: str, item_id: str, seen: datetime | None = None) -> None:
        """The token with this fingerprint belongs to ``item_id``, in a transaction of its own."""
        for attempt in range(ATTEMPTS):
            try:
                with self._db.transaction() as tx:
                    link_token(tx, fingerprint, item_id, seen or utc_now())
                return
            except WriteConflict:
                # A concurrent writer linked the same token first: the second pass updates its row.
                if attempt == ATTEMPTS - 1:
                    raise

    def add_bulk(self, snapshots: Iterable[BulkSnapshot]) -> int:
        """Many complete snapshots in one transaction, in bulk (made-up history for the demo, the
        dashboard's tests and its benchmark): no idempotency look-up, so only for new request ids.
        Returns how many were written."""
        written = 0
        with self._db.transaction() as tx:
            session = tx.session
            next_id = (session.scalar(select(func.max(Snapshot.id))) or 0) + 1
            heads: list[dict[str, object]] = []
            rows: list[dict[str, object]] = []
            for snapshot in snapshots:
                heads.append(snapshot.row(next_id))
                rows.extend(_account_row(next_id, k, a) for k, a in enumerate(snapshot.accounts))
                next_id += 1
                if len(rows) >= _BULK_ROWS:
                    written += _flush_bulk(session, heads, rows)
            written += _flush_bulk(session, heads, rows)
            if session.get_bind().dialect.name == "postgresql":  # explicit ids: move the sequences on
                for table in ("snapshots", "snapshot_accounts"):
                    session.execute(
                        select(
                            func.setval(
                                func.pg_get_serial_sequence(table, "id"),
                                select(func.max(_ID[table])).scalar_subquery(),
                            )
                        )
                    )
        return written

    # --- reading ---------------------------------------------------------------------------------

    def item_for_token(self, fingerprint: str) -> str | None:
        """The Item a token (by fingerprint) was last seen with, or None."""
        with self._db.transaction("read") as tx:
            return tx.session.scalar(
                select(ItemToken.item_id).where(ItemToken.token_fingerprint == fingerprint)
            )

    def recent(self, item_id: str, *, since: datetime) -> list[SnapshotRecord]:
        """The Item's snapshots retrieved at or after ``since``, newest first (at most RECENT_LIMIT)."""
        query = (
            select(Snapshot)
            .where(Snapshot.item_id == item_id, Snapshot.retrieved_at >= since)
            .order_by(Snapshot.retrieved_at.desc(), Snapshot.id.desc())
            .limit(RECENT_LIMIT)
            .options(selectinload(Snapshot.accounts))
        )
        with self._db.transaction("read") as tx:
            return [_record(s) for s in tx.session.scalars(query)]

    def snapshots(
        self,
        *,
        item_id: str | None = None,
        account_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[SnapshotRecord]:
        """Stored snapshots, oldest first, filtered by Item, account and retrieval time."""
        query = select(Snapshot).options(selectinload(Snapshot.accounts))
        if item_id is not None:
            query = query.where(Snapshot.item_id == item_id)
        if since is not None:
            query = query.where(Snapshot.retrieved_at >= since)
        if until is not None:
            query = query.where(Snapshot.retrieved_at <= until)
        if account_id is not None:
            query = query.where(Snapshot.accounts.any(SnapshotAccount.account_id == account_id))
        query = query.order_by(Snapshot.retrieved_at, Snapshot.id)
        with self._db.transaction("read") as tx:
            return [_record(s) for s in tx.session.scalars(query)]

    def latest(self, item_ids: Sequence[str] | None = None) -> dict[str, SnapshotRecord]:
        """Each Item's newest snapshot (of any accounts), by ``item_id``."""
        newest = (
            select(Snapshot.item_id, func.max(Snapshot.retrieved_at).label("at"))
            .group_by(Snapshot.item_id)
            .subquery()
        )
        query = (
            select(Snapshot)
            .join(newest, (Snapshot.item_id == newest.c.item_id) & (Snapshot.retrieved_at == newest.c.at))
            .order_by(Snapshot.id)
            .options(selectinload(Snapshot.accounts))
        )
        if item_ids is not None:
            query = query.where(Snapshot.item_id.in_(list(item_ids)))
        with self._db.transaction("read") as tx:
            return {s.item_id: _record(s) for s in tx.session.scalars(query)}

    def count(self) -> tuple[int, int]:
        """(snapshots, account rows)."""
        with self._db.transaction("read") as tx:
            snapshots = tx.session.scalar(select(func.count()).select_from(Snapshot)) or 0
            accounts = tx.session.scalar(select(func.count()).select_from(SnapshotAccount)) or 0
        return snapshots, accounts


def link_token(tx: Transaction, fingerprint: str, item_id: str, seen: datetime) -> None:
    """In ``tx``: the token with this fingerprint belongs to ``item_id`` (the vault links its tokens too)."""
    session = tx.session
    row = session.get(ItemToken, fingerprint)
    if row is None:
        session.add(
            ItemToken(token_fingerprint=fingerprint, item_id=item_id, first_seen=seen, last_seen=seen)
        )
        session.flush()
    elif row.item_id != item_id or row.last_seen < seen:
        row.item_id = item_id
        row.last_seen = max(row.last_seen, seen)


_BULK_ROWS: Final = 20_000  # account rows per executemany in add_bulk
_ID: Final = {"snapshots": Snapshot.id, "snapshot_accounts": SnapshotAccount.id}


def _account_row(snapshot_id: int, position: int, account: AccountReport) -> dict[str, object]:
    return {
        "snapshot_id": snapshot_id,
        "position": position,
        "account_id": account.account_id,
        "name": account.name,
        "official_name": account.official_name,
        "type": account.type,
        "subtype": account.subtype,
        "mask": account.mask,
        "currency": account.currency,
        "current_balance": account.current_balance,
        "available_balance": account.available_balance,
        "credit_limit": account.limit,
        "last_updated_datetime": account.last_updated_datetime,
    }


def _flush_bulk(session: Session, heads: list[dict[str, object]], rows: list[dict[str, object]]) -> int:
    """Insert the collected snapshots, then their accounts (executemany); empties both lists."""
    written = len(heads)
    if heads:
        session.execute(insert(Snapshot), heads)
    if rows:
        session.execute(insert(SnapshotAccount), rows)
    heads.clear()
    rows.clear()
    return written


def _add(tx: Transaction, new: NewSnapshot, *, flush: bool) -> Snapshot | int:
    """The new snapshot (its id once flushed), or the id of the one already stored."""
    session: Session = tx.session
    report = new.report
    if new.fingerprint is not None:
        link_token(tx, new.fingerprint, report.item_id, report.retrieved_at)
    if new.along is not None:
        new.along(tx)
    existing = session.scalar(
        select(Snapshot.id).where(Snapshot.item_id == report.item_id, Snapshot.request_id == new.request_key)
    )
    if existing is not None:
        return existing
    snapshot = _row(new, saved_at=utc_now())
    session.add(snapshot)
    if flush:
        session.flush()
    return snapshot


def _row(new: NewSnapshot, *, saved_at: datetime) -> Snapshot:
    report = new.report
    return Snapshot(
        item_id=report.item_id,
        request_id=new.request_key,
        institution_id=report.institution_id,
        institution_name=report.institution_name,
        environment=report.environment,
        source=report.source,
        complete=new.complete,
        retrieved_at=report.retrieved_at,
        saved_at=saved_at,
        accounts=[SnapshotAccount.from_report(a, i) for i, a in enumerate(report.accounts)],
    )


def _record(snapshot: Snapshot) -> SnapshotRecord:
    return SnapshotRecord(
        id=snapshot.id,
        item_id=snapshot.item_id,
        request_id=snapshot.request_id,
        institution_id=snapshot.institution_id,
        institution_name=snapshot.institution_name,
        environment=snapshot.environment,
        source=snapshot.source,
        complete=snapshot.complete,
        retrieved_at=snapshot.retrieved_at,
        accounts=tuple(a.to_report() for a in snapshot.accounts),
    )


__all__ = ["BulkSnapshot", "HistoryRepository", "NewSnapshot", "SnapshotRecord", "link_token"]
