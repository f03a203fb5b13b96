"""The watch's ports wired to the library: the batch client (rate limits), history and the vault.

Only this module knows the library's client, report and store types; the engine sees the protocols in
``state``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec

from plaid_balance._error_body import ErrorBody
from plaid_balance._errors import PlaidAPIError, PlaidNetworkError
from plaid_balance._report import BalanceReport, FailureReport
from plaid_balance.batch import BatchClient
from plaid_balance.history.store import HistoryStore
from plaid_balance.storage.database import Database, Transaction
from plaid_balance.watch.state import Outcome


def _from_exception(exc: PlaidAPIError | PlaidNetworkError) -> ErrorBody:
    return exc.error


class LibraryPlaid:
    """``PlaidPort`` on a ``BatchClient``: its limiters hold the rates of every balance call."""

    def __init__(self, batch: BatchClient) -> None:
        self.batch = batch
        self.client = batch.plaid  # other calls (item_get, ...) share its pool

    async def _report(self, token: str, item_key: str, **options: Any) -> Outcome:
        report = await self.batch.fetch(token, item_key=item_key, **options)
        return report.error if isinstance(report, FailureReport) else report

    async def balance(
        self, access_token: str, *, item_key: str, min_last_updated: datetime | None
    ) -> Outcome:
        return await self._report(access_token, item_key, min_last_updated_datetime=min_last_updated)

    async def cached(self, access_token: str, *, item_key: str) -> Outcome:
        return await self._report(access_token, item_key, cached=True)

    async def item_error(self, access_token: str) -> ErrorBody | None:
        try:
            response = await self.client.item_get(access_token)
        except (PlaidAPIError, PlaidNetworkError) as exc:
            return _from_exception(exc)
        error = response.item.error
        if error is None:
            return None
        return ErrorBody(
            error_type=error.error_type, error_code=error.error_code, error_message=error.error_message
        )

    async def verification_key(self, key_id: str) -> dict[str, Any] | None:
        try:
            response = await self.client.webhook_verification_key_get(key_id)
        except PlaidAPIError as exc:
            if exc.http_status < 500 and not exc.is_rate_limit:
                return None  # Plaid does not know this key id
            raise
        return msgspec.structs.asdict(response.key)

    async def ensure_webhook(self, access_token: str, url: str) -> ErrorBody | bool:
        try:
            response = await self.client.item_get(access_token)
            if response.item.webhook == url:
                return False
            await self.client.item_webhook_update(access_token, url)
        except (PlaidAPIError, PlaidNetworkError) as exc:
            return _from_exception(exc)
        return True


class LibraryHistory:
    """``HistoryPort`` on the history store."""

    def __init__(self, store: HistoryStore) -> None:
        self.store = store

    @property
    def database(self) -> Database:
        """The database (the watch's state store joins its transactions when it shares it)."""
        return self.store.database

    def save(
        self, report: BalanceReport, access_token: str, along: Callable[[Transaction], None] | None = None
    ) -> None:
        assert isinstance(report, BalanceReport)
        self.store.save(report, access_token=access_token, along=along)

    def save_all(
        self, entries: Sequence[tuple[BalanceReport, str, Callable[[Transaction], None] | None]]
    ) -> None:
        reports = [(r, token, along) for r, token, along in entries if isinstance(r, BalanceReport)]
        assert len(reports) == len(entries)
        self.store.save_all(reports)

    def fresh(self, item_id: str, max_age_seconds: float, now: datetime) -> BalanceReport | None:
        return self.store.fresh_report(item_id=item_id, max_age=timedelta(seconds=max_age_seconds), now=now)

    def latest(self, item_id: str) -> BalanceReport | None:
        snapshot = self.store.latest([item_id]).get(item_id)
        return snapshot.report if snapshot is not None else None

    def latest_all(self) -> dict[str, BalanceReport]:
        return {item_id: s.report for item_id, s in self.store.latest().items()}
