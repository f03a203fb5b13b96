"""The history store: one snapshot per successful balance report, in SQLite (default) or PostgreSQL.

What is stored: the Item, institution, environment, retrieval time, Plaid's ``request_id``, the source and
every account's metadata and balances, with money kept exact (text on SQLite, unconstrained ``NUMERIC``
on PostgreSQL, so ``0.10`` comes back as ``0.10``). What is never stored: the access token or the secret.

Snapshots are keyed by ``item_id``, so an Item's history is one series across token rotation and update
mode. Which Item a token belongs to is a lookup aid kept apart (``item_tokens``: SHA-256 of the token).
Each snapshot is written in one transaction and is unique per ``(item_id, request_id)``, so saving the
same report twice, or from two processes at once, stores it once. The rows themselves are the
storage package's (``plaid_balance.storage.history``); this module decides what goes in and what a
stored snapshot means.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import localcontext
from typing import Any, Final, Protocol

from plaid_balance._closing import Closing
from plaid_balance._money import EXACT
from plaid_balance._report import AccountReport, BalanceReport, FailureReport, utc_now
from plaid_balance.storage.database import Database, Transaction
from plaid_balance.storage.history import NewSnapshot, SnapshotRecord

LOCAL_REQUEST_PREFIX: Final = "local:"


class _Secret(Protocol):
    def get_secret_value(self) -> str: ...


Token = str | _Secret
# Called inside a snapshot's transaction, for writes that must commit with it (the watch's counters).
Along = Callable[[Transaction], None]


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
    return HistoryStore(Database.open(url, create=create))


class HistoryStore(Closing):
    """Snapshots of balance reports. Use as a context manager, or call ``close()``."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._rows = database.history
        self.url = database.url

    def __repr__(self) -> str:
        return f"HistoryStore({self.url!r})"

    def close(self) -> None:
        self.database.close()

    # --- writing ---------------------------------------------------------------------------------

    def save(
        self,
        report: BalanceReport | FailureReport,
        *,
        access_token: Token | None = None,
        requested_account_ids: Sequence[str] | None = None,
        along: Along | None = None,
    ) -> int | None:
        """Store a successful report as one snapshot; return its id (the existing id if already stored).

        A ``FailureReport`` stores nothing and returns None. Pass ``requested_account_ids`` when the
        report was fetched for some accounts only, so that it never answers a request for all of them.
        With ``access_token``, the store also remembers which Item that token belongs to (by its
        fingerprint), so a later ``fresh_report(access_token=...)`` finds this Item's series.
        ``along`` is called with the transaction, for writes that must be committed with the snapshot
        or not at all (the watch's budget counters); it may run again if the transaction is retried.
        """
        if not isinstance(report, BalanceReport):
            return None
        return self._rows.save(
            _new(report, access_token, complete=requested_account_ids is None, along=along)
        )

    def save_all(self, entries: Sequence[tuple[BalanceReport, Token | None, Along | None]]) -> list[int]:
        """Store several reports in ONE transaction: all of them or none (``HistoryError``).

        Each entry is ``(report, access_token, along)`` as for ``save``. One commit and one flush for
        many snapshots is how a writer that falls behind catches up (one fsync, batched inserts). Two
        entries for the same answer fail the whole call; a caller that gets an error can save the
        entries one by one to keep the good ones.
        """
        return self._rows.save_all(
            [_new(report, token, complete=True, along=along) for report, token, along in entries]
        )

    def link_token(self, access_token: Token, item_id: str) -> None:
        """Remember that ``access_token`` belongs to ``item_id`` (its fingerprint only)."""
        self._rows.link_token(token_fingerprint(access_token), item_id)

    # --- reading ---------------------------------------------------------------------------------

    def item_for_token(self, access_token: Token) -> str | None:
        """The Item a token was last seen with, or None if this database never saw it."""
        return self._rows.item_for_token(token_fingerprint(access_token))

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
        for snapshot in self._rows.recent(item_id, since=now - max_age):
            if wanted is None and not snapshot.complete:
                continue
            accounts = {a.account_id: a for a in snapshot.accounts}
            if wanted is not None and not set(wanted) <= accounts.keys():
                continue
            chosen = list(accounts.values()) if wanted is None else [accounts[i] for i in wanted]
            return _report_from(snapshot, chosen, source_now=now)
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
        found = self._rows.snapshots(item_id=item_id, account_id=account_id, since=since, until=until)
        return [_stored(s) for s in found]

    def latest(self, item_ids: Sequence[str] | None = None) -> dict[str, StoredSnapshot]:
        """Each Item's newest snapshot (of any accounts), by ``item_id``."""
        return {item_id: _stored(s) for item_id, s in self._rows.latest(item_ids).items()}

    def count(self) -> tuple[int, int]:
        """(snapshots, account rows): a quick consistency figure for tests and ``history``."""
        return self._rows.count()


def _new(report: BalanceReport, token: Token | None, *, complete: bool, along: Along | None) -> NewSnapshot:
    return NewSnapshot(
        report=report,
        request_key=report.request_id or _content_key(report),
        fingerprint=None if token is None else token_fingerprint(token),
        complete=complete,
        along=along,
    )


def _stored(snapshot: SnapshotRecord) -> StoredSnapshot:
    report = _report_from(snapshot, list(snapshot.accounts), source_now=None)
    return StoredSnapshot(id=snapshot.id, complete=snapshot.complete, report=report)


def _report_from(
    snapshot: SnapshotRecord, accounts: list[AccountReport], *, source_now: datetime | None
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
