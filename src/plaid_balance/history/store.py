"""The history store: one snapshot per successful balance report, in SQLite (default) or PostgreSQL.

What is stored: the Item, institution, environment, retrieval time, Plaid's ``request_id``, the source and
every account's metadata and balances, with money kept exact (text on SQLite, unconstrained ``NUMERIC``
on PostgreSQL, so ``0.10`` comes back as ``0.10``). What is never stored: the access token or the secret.

Snapshots are keyed by ``item_id``, so an Item's history is one series across token rotation and update
mode. Which Item a token belongs to is a lookup aid kept apart (``item_tokens``: SHA-256 of the token).
Each snapshot is written in one transaction and is unique per ``(item_id, request_id)``, so saving the
same report twice, or from two processes at once, stores it once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import localcontext
from types import TracebackType
from typing import Any, Final, Protocol, Self

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from plaid_balance._errors import HistoryError
from plaid_balance._report import AccountReport, BalanceReport, FailureReport, utc_now

from ._engine import first_line, open_engine
from ._schema import EXACT, ItemToken, Snapshot, SnapshotAccount

LOCAL_REQUEST_PREFIX: Final = "local:"


class _Secret(Protocol):
    def get_secret_value(self) -> str: ...


Token = str | _Secret


def reveal(token: Token) -> str:
    """The token's text, from a ``str`` or any secret wrapper with ``get_secret_value()``."""
    return token if isinstance(token, str) else token.get_secret_value()


def token_fingerprint(access_token: Token) -> str:
    """SHA-256 hex of the access token: finds an Item without ever storing the token.

    Unsalted on purpose so that every process computes the same key; an access token is a long random
    secret, so the digest cannot be reversed by guessing.
    """
    return hashlib.sha256(reveal(access_token).strip().encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    """One stored snapshot: its id, whether it holds all of the Item's accounts, and the report."""

    id: int
    complete: bool
    report: BalanceReport


def _content_key(report: BalanceReport) -> str:
    """A stand-in request id for reports without one, so that saving them stays idempotent."""
    fields = ("account_id", "name", "type", "subtype", "mask", "currency", "current_balance")
    canonical = [
        report.item_id,
        report.retrieved_at.isoformat(),
        [[str(getattr(a, f)) for f in (*fields, "available_balance", "limit")] for a in report.accounts],
    ]
    digest = hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode("utf-8")).hexdigest()
    return f"{LOCAL_REQUEST_PREFIX}{digest[:40]}"


def open_store(url: str | None = None, *, create: bool = True) -> HistoryStore:
    """Open (and migrate) the database: ``url`` (a URL or a file path), else ``PLAID_BALANCE_DB``, else
    the default SQLite file.

    ``create=False`` is for reads: a database that does not exist yet raises ``DatabaseNotFound`` and
    is not created. Every failure is a ``HistoryError`` (a ``StorageError``) with one clear line.
    """
    engine, shown = open_engine(url, create=create)
    return HistoryStore(engine, shown)


class HistoryStore:
    """Snapshots of balance reports. Use as a context manager, or call ``close()``."""

    def __init__(self, engine: Engine, display_url: str) -> None:
        self._engine = engine
        self.url = display_url

    @property
    def engine(self) -> Engine:
        return self._engine

    def __repr__(self) -> str:
        return f"HistoryStore({self.url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._engine.dispose()

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def _fail(self, action: str, exc: SQLAlchemyError) -> HistoryError:
        return HistoryError(f"cannot {action} database {self.url}: {first_line(exc)}")

    # --- writing ---------------------------------------------------------------------------------

    def save(
        self,
        report: BalanceReport | FailureReport,
        *,
        access_token: Token | None = None,
        requested_account_ids: Sequence[str] | None = None,
        along: Callable[[Connection], None] | None = None,
    ) -> int | None:
        """Store a successful report as one snapshot; return its id (the existing id if already stored).

        A ``FailureReport`` stores nothing and returns None. Pass ``requested_account_ids`` when the
        report was fetched for some accounts only, so that it never answers a request for all of them.
        With ``access_token``, the store also remembers which Item that token belongs to (by its
        fingerprint), so a later ``fresh_report(access_token=...)`` finds this Item's series.
        ``along`` is called with the connection inside the same transaction, for writes that must be
        committed with the snapshot or not at all (the watch's budget counters); it may run again if
        the transaction is retried.
        """
        if not isinstance(report, BalanceReport):
            return None
        request_key = report.request_id or _content_key(report)
        fingerprint = None if access_token is None else token_fingerprint(access_token)
        for attempt in range(3):
            try:
                return self._insert(report, fingerprint, request_key, requested_account_ids is None, along)
            except IntegrityError as exc:
                # Another writer stored the same answer between our look-up and our insert: look again.
                if attempt == 2:
                    raise self._fail("write to", exc) from None
            except SQLAlchemyError as exc:
                raise self._fail("write to", exc) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def save_all(
        self, entries: Sequence[tuple[BalanceReport, Token | None, Callable[[Connection], None] | None]]
    ) -> list[int]:
        """Store several reports in ONE transaction: all of them or none (``HistoryError``).

        Each entry is ``(report, access_token, along)`` as for ``save``. One commit and one flush for
        many snapshots is how a writer that falls behind catches up (one fsync, batched inserts). Two
        entries for the same answer fail the whole call; a caller that gets an error can save the
        entries one by one to keep the good ones.
        """
        try:
            with self._session() as session, session.begin():
                with session.no_autoflush:  # the look-ups need not see this call's own snapshots
                    added = [
                        self._add(
                            session,
                            report,
                            None if token is None else token_fingerprint(token),
                            report.request_id or _content_key(report),
                            True,
                            along,
                            flush=False,
                        )
                        for report, token, along in entries
                    ]
                session.flush()
                return [row if isinstance(row, int) else row.id for row in added]
        except SQLAlchemyError as exc:
            raise self._fail("write to", exc) from None

    def _insert(
        self,
        report: BalanceReport,
        fingerprint: str | None,
        request_key: str,
        complete: bool,
        along: Callable[[Connection], None] | None,
    ) -> int:
        with self._session() as session, session.begin():
            added = self._add(session, report, fingerprint, request_key, complete, along, flush=True)
            return added if isinstance(added, int) else added.id

    @staticmethod
    def _add(
        session: Session,
        report: BalanceReport,
        fingerprint: str | None,
        request_key: str,
        complete: bool,
        along: Callable[[Connection], None] | None,
        *,
        flush: bool,
    ) -> Snapshot | int:
        """The new snapshot (its id once flushed), or the id of the one already stored."""
        if fingerprint is not None:
            record_token(session, fingerprint, report.item_id, report.retrieved_at)
        if along is not None:
            along(session.connection())
        existing = session.scalar(
            select(Snapshot.id).where(Snapshot.item_id == report.item_id, Snapshot.request_id == request_key)
        )
        if existing is not None:
            return existing
        snapshot = Snapshot(
            item_id=report.item_id,
            request_id=request_key,
            institution_id=report.institution_id,
            institution_name=report.institution_name,
            environment=report.environment,
            source=report.source,
            complete=complete,
            retrieved_at=report.retrieved_at,
            saved_at=utc_now(),
            accounts=[SnapshotAccount.from_report(a, i) for i, a in enumerate(report.accounts)],
        )
        session.add(snapshot)
        if flush:
            session.flush()
        return snapshot

    def link_token(self, access_token: Token, item_id: str) -> None:
        """Remember that ``access_token`` belongs to ``item_id`` (its fingerprint only)."""
        fingerprint = token_fingerprint(access_token)
        for attempt in range(3):
            try:
                with self._session() as session, session.begin():
                    record_token(session, fingerprint, item_id, utc_now())
                return
            except IntegrityError as exc:
                # A concurrent writer linked the same token first: the second pass updates its row.
                if attempt == 2:
                    raise self._fail("write to", exc) from None
            except SQLAlchemyError as exc:
                raise self._fail("write to", exc) from None

    # --- reading ---------------------------------------------------------------------------------

    def item_for_token(self, access_token: Token) -> str | None:
        """The Item a token was last seen with, or None if this database never saw it."""
        try:
            with self._session() as session, session.begin():
                return session.scalar(
                    select(ItemToken.item_id).where(
                        ItemToken.token_fingerprint == token_fingerprint(access_token)
                    )
                )
        except SQLAlchemyError as exc:
            raise self._fail("read", exc) from None

    def fresh_report(
        self,
        *,
        max_age: timedelta,
        item_id: str | None = None,
        access_token: Token | None = None,
        account_ids: Sequence[str] | None = None,
        now: datetime | None = None,
    ) -> BalanceReport | None:
        """The Item's newest snapshot no older than ``max_age`` that holds the requested accounts.

        The Item is ``item_id``, or the one ``access_token`` belongs to. With ``account_ids`` the report
        holds just those accounts (as Plaid would answer); without, only a snapshot of all the Item's
        accounts qualifies. The result has ``source="stored"`` and ``age_seconds`` set; None when no
        snapshot qualifies.
        """
        if item_id is None:
            if access_token is None:
                raise TypeError("fresh_report needs item_id or access_token")
            item_id = self.item_for_token(access_token)
            if item_id is None:
                return None
        now = now or utc_now()
        wanted = list(dict.fromkeys(account_ids)) if account_ids else None
        query = (
            select(Snapshot)
            .where(Snapshot.item_id == item_id, Snapshot.retrieved_at >= now - max_age)
            .order_by(Snapshot.retrieved_at.desc(), Snapshot.id.desc())
            .limit(100)
            .options(selectinload(Snapshot.accounts))
        )
        try:
            with self._session() as session, session.begin():
                for snapshot in session.scalars(query):
                    if wanted is None and not snapshot.complete:
                        continue
                    accounts = {a.account_id: a.to_report() for a in snapshot.accounts}
                    if wanted is not None and not set(wanted) <= accounts.keys():
                        continue
                    chosen = list(accounts.values()) if wanted is None else [accounts[i] for i in wanted]
                    return _report_from(snapshot, chosen, source_now=now)
        except SQLAlchemyError as exc:
            raise self._fail("read", exc) from None
        return None

    def snapshots(
        self,
        *,
        item_id: str | None = None,
        account_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[StoredSnapshot]:
        """Stored snapshots, oldest first, each as a report (``source`` as fetched, not "stored")."""
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
        try:
            with self._session() as session, session.begin():
                return [_stored(s) for s in session.scalars(query)]
        except SQLAlchemyError as exc:
            raise self._fail("read", exc) from None

    def latest(self, item_ids: Sequence[str] | None = None) -> dict[str, StoredSnapshot]:
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
        try:
            with self._session() as session, session.begin():
                return {s.item_id: _stored(s) for s in session.scalars(query)}
        except SQLAlchemyError as exc:
            raise self._fail("read", exc) from None

    def count(self) -> tuple[int, int]:
        """(snapshots, account rows): a quick consistency figure for tests and ``history``."""
        try:
            with self._session() as session, session.begin():
                snapshots = session.scalar(select(func.count()).select_from(Snapshot)) or 0
                accounts = session.scalar(select(func.count()).select_from(SnapshotAccount)) or 0
        except SQLAlchemyError as exc:
            raise self._fail("read", exc) from None
        return snapshots, accounts


def record_token(session: Session, fingerprint: str, item_id: str, seen: datetime) -> None:
    """In ``session``: the token with this fingerprint belongs to ``item_id`` (the vault uses it too)."""
    row = session.get(ItemToken, fingerprint)
    if row is None:
        session.add(
            ItemToken(token_fingerprint=fingerprint, item_id=item_id, first_seen=seen, last_seen=seen)
        )
        session.flush()
    elif row.item_id != item_id or row.last_seen < seen:
        row.item_id = item_id
        row.last_seen = max(row.last_seen, seen)


def _stored(snapshot: Snapshot) -> StoredSnapshot:
    report = _report_from(snapshot, [a.to_report() for a in snapshot.accounts], source_now=None)
    return StoredSnapshot(id=snapshot.id, complete=snapshot.complete, report=report)


def _report_from(
    snapshot: Snapshot, accounts: list[AccountReport], *, source_now: datetime | None
) -> BalanceReport:
    request_id = None if snapshot.request_id.startswith(LOCAL_REQUEST_PREFIX) else snapshot.request_id
    stored = source_now is not None
    with localcontext(EXACT):
        return BalanceReport.build(
            accounts,
            item_id=snapshot.item_id,
            institution_id=snapshot.institution_id,
            institution_name=snapshot.institution_name,
            request_id=request_id,
            environment=snapshot.environment,
            retrieved_at=snapshot.retrieved_at,
            source="stored" if stored else _source(snapshot.source),
            age_seconds=max(0.0, (source_now - snapshot.retrieved_at).total_seconds())
            if source_now
            else None,
        )


def _source(value: str) -> Any:
    return value if value in {"realtime", "cached", "stored"} else "realtime"


__all__ = ["HistoryStore", "StoredSnapshot", "open_store", "reveal", "token_fingerprint"]
