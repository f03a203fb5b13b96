"""``BatchClient``: the one object a batch runs on (options, rate limiter, connection pool).

Everything that must agree within a batch lives here, so it cannot disagree: the options decide which
endpoint is called (``cached``), and the same options decide which endpoint the limiter guards; the
limiter sits under the client's HTTP transport so every attempt, retries included, takes a slot; and
one connection pool, sized to the concurrency, carries every request. A ``BatchClient`` may run several
batches and single fetches, one after another or at once: they all share its limits (the watch service
keeps one for its scheduled refreshes).
"""

from __future__ import annotations

import asyncio
import inspect
import math
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import httpx

from plaid_balance._client import AsyncPlaidClient
from plaid_balance._closing import AsyncClosing
from plaid_balance._config import Environment
from plaid_balance._errors import BatchOptionsError
from plaid_balance._fetch import fetch_report_async
from plaid_balance._items_file import ItemEntry
from plaid_balance._report import Report, utc_now
from plaid_balance._retry import RetryPolicy
from plaid_balance._secret import SecretStr
from plaid_balance.batch._engine import BatchRun, ReportHistory
from plaid_balance.batch._limits import (
    BALANCE_PATH,
    CACHED_PATH,
    CURRENT_ITEM,
    BatchLimiter,
    Clock,
    LimitedTransport,
    documented_limits,
    token_key,
)
from plaid_balance.batch._pool import LanePool

if TYPE_CHECKING:
    from plaid_balance.batch._results import BatchSummary, ItemResult

DEFAULT_CONCURRENCY = 10
MAX_CONCURRENCY = 500
MAX_WINDOW_SECONDS = 3600.0

Items = Iterable[ItemEntry | str] | AsyncIterable[ItemEntry | str]
OnResult = Callable[["ItemResult"], Awaitable[None] | None]


def _positive_int(name: str, value: object, maximum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BatchOptionsError(f"{name} must be a whole number of at least 1, not {value!r}")
    if maximum is not None and value > maximum:
        raise BatchOptionsError(f"{name} must be at most {maximum}, not {value}")


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """How a batch runs; validated when built, so a setting that cannot work fails before any call.

    ``rate_limit`` / ``item_rate_limit`` are requests per ``window_seconds`` for the whole client and per
    Item; None means Plaid's documented limit for the environment and endpoint. ``cached`` reads
    ``/accounts/get`` (free, possibly old) instead of ``/accounts/balance/get`` (real time, billed).
    ``account_ids`` restricts every Item to those accounts; ``min_last_updated_datetime`` is the oldest
    balance accepted (real time only, timezone-aware, not in the future).
    """

    concurrency: int = DEFAULT_CONCURRENCY
    rate_limit: int | None = None
    item_rate_limit: int | None = None
    window_seconds: float = 60.0
    cached: bool = False
    min_last_updated_datetime: datetime | None = None
    account_ids: Sequence[str] | None = None
    # Items read ahead of the workers (and results waiting for the consumer); default 2 × concurrency.
    queue_size: int | None = None

    def __post_init__(self) -> None:
        _positive_int("concurrency", self.concurrency, MAX_CONCURRENCY)
        for name in ("rate_limit", "item_rate_limit", "queue_size"):
            if getattr(self, name) is not None:
                _positive_int(name, getattr(self, name))
        window = self.window_seconds
        if (
            isinstance(window, bool)
            or not isinstance(window, int | float)
            or not math.isfinite(window)
            or not 0 < window <= MAX_WINDOW_SECONDS
        ):
            raise BatchOptionsError(
                f"the rate window must be more than 0 and at most {MAX_WINDOW_SECONDS:.0f} seconds, "
                f"not {window!r}"
            )
        floor = self.min_last_updated_datetime
        if floor is not None:
            if self.cached:
                raise BatchOptionsError(
                    "min_last_updated_datetime applies to real-time balances, not cached ones"
                )
            if floor.tzinfo is None or floor.utcoffset() is None:
                raise BatchOptionsError("min_last_updated_datetime needs a timezone (e.g. UTC)")
        if self.account_ids is not None:
            ids = tuple(self.account_ids)
            if isinstance(self.account_ids, str) or not ids or not all(isinstance(i, str) and i for i in ids):
                raise BatchOptionsError("account_ids must be a non-empty list of account ids")
            object.__setattr__(self, "account_ids", ids)

    @property
    def path(self) -> str:
        """The endpoint every Item of a run is fetched from."""
        return CACHED_PATH if self.cached else BALANCE_PATH

    def limiters(self, environment: Environment, clock: Clock = time.monotonic) -> dict[str, BatchLimiter]:
        """One limiter per balance endpoint: Plaid's documented limits, these options' for ``path``."""
        limiters = {}
        for cached, path in ((False, BALANCE_PATH), (True, CACHED_PATH)):
            documented = documented_limits(environment, cached)
            ours = path == self.path
            limiters[path] = BatchLimiter(
                (ours and self.rate_limit) or documented.per_client,
                (ours and self.item_rate_limit) or documented.per_item,
                self.window_seconds,
                clock,
            )
        return limiters


class BatchClient(AsyncClosing):
    """Balances for many Items over one connection pool, within Plaid's rate limits.

    >>> async with BatchClient(BatchOptions(concurrency=25)) as batch:      # doctest: +SKIP
    ...     async with batch.run(tokens) as run:
    ...         async for result in run:
    ...             print(result.line, result.success)
    ...     print(run.summary.ok, run.summary.totals)

    Credentials, environment, base URL and timeout default to the ``PLAID_*`` variables, as for every
    client. ``transport`` replaces the connection pool (tests); ``clock`` drives the rate windows.
    Raises ``ConfigurationError`` (``BatchOptionsError`` for the options) before any call when a
    setting cannot work.
    """

    def __init__(
        self,
        options: BatchOptions | None = None,
        *,
        environment: str | Environment | None = None,
        client_id: str | None = None,
        secret: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self._options = options = options or BatchOptions()
        floor = options.min_last_updated_datetime
        if floor is not None and floor > utc_now():
            # Plaid can never have a balance newer than now: every Item would fail, each call billed.
            raise BatchOptionsError(f"min_last_updated_datetime {floor.isoformat()} is in the future")
        pool = transport if transport is not None else LanePool(options.concurrency)
        limited = LimitedTransport(pool)
        self._plaid = AsyncPlaidClient(
            client_id,
            secret,
            environment,
            base_url=base_url,
            timeout=timeout,
            retry=retry,
            transport=limited,
        )
        # The environment (and so Plaid's documented limits) is known once the client read its settings.
        self._limiters = options.limiters(self._plaid.environment, clock)
        limited.limiters = self._limiters
        self._clock = clock

    @property
    def options(self) -> BatchOptions:
        return self._options

    @property
    def environment(self) -> Environment:
        return self._plaid.environment

    @property
    def limiter(self) -> BatchLimiter:
        """The limiter every request to ``options.path`` passes (its counters feed a run's summary)."""
        return self._limiters[self._options.path]

    @property
    def limiters(self) -> dict[str, BatchLimiter]:
        """Every balance endpoint's limiter, by path: no balance call of this client bypasses one."""
        return dict(self._limiters)

    @property
    def plaid(self) -> AsyncPlaidClient:
        """The ``AsyncPlaidClient`` underneath, for other calls (``item_get``, ...); it shares the pool,
        and its balance calls pass the same limiters."""
        return self._plaid

    def __repr__(self) -> str:
        return f"BatchClient({self._options!r}, {self._plaid!r})"

    async def fetch(
        self,
        access_token: str | SecretStr,
        *,
        cached: bool | None = None,
        min_last_updated_datetime: datetime | None = None,
        item_key: str | None = None,
    ) -> Report:
        """One Item's report, within the limits (what ``get`` reports; a failure is a report too).

        ``cached`` and ``min_last_updated_datetime`` default to the options'; either endpoint is
        limited. ``item_key`` names the Item's rate window (default: a digest of the token).
        """
        options = self._options
        cached = options.cached if cached is None else cached
        floor = None if cached else (min_last_updated_datetime or options.min_last_updated_datetime)
        if item_key is None:
            raw = access_token.get_secret_value() if isinstance(access_token, SecretStr) else access_token
            item_key = token_key(raw)
        marker = CURRENT_ITEM.set(item_key)
        try:
            return await fetch_report_async(
                self._plaid,
                access_token,
                account_ids=options.account_ids,
                min_last_updated_datetime=floor,
                cached=cached,
            )
        finally:
            CURRENT_ITEM.reset(marker)

    def run(self, items: Items, *, history: ReportHistory | None = None) -> BatchRun:
        """Start a batch over ``items``; use the result as ``async with`` and ``async for``.

        ``items`` may be ``BatchItem``/``InputError`` entries (``open_items``) or bare access tokens,
        from a plain or an async iterable; they are read as the workers need them. ``history`` answers
        Items from stored reports when fresh enough, and keeps what was fetched.
        """
        return BatchRun(self, items, history, self._clock)

    async def run_batch(
        self, items: Items, *, on_result: OnResult | None = None, history: ReportHistory | None = None
    ) -> BatchSummary:
        """Run a whole batch, handing each result to ``on_result`` (sync or async); return the summary.

        An exception raised by ``on_result`` stops the run and propagates.
        """
        async with self.run(items, history=history) as run:
            async for result in run:
                if on_result is not None:
                    outcome = on_result(result)
                    if inspect.isawaitable(outcome):
                        await outcome
        return run.summary

    async def aclose(self) -> None:
        await self._plaid.aclose()


def run_batch_sync(
    items: Iterable[ItemEntry | str],
    options: BatchOptions | None = None,
    *,
    on_result: OnResult | None = None,
    environment: str | Environment | None = None,
    client_id: str | None = None,
    secret: str | SecretStr | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
    retry: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> BatchSummary:
    """Blocking wrapper: builds a ``BatchClient``, runs the batch, closes it, returns the summary.

    Results reach the caller through ``on_result`` only, so memory stays bounded however long the run.
    """

    async def main() -> BatchSummary:
        client = BatchClient(
            options,
            environment=environment,
            client_id=client_id,
            secret=secret,
            base_url=base_url,
            timeout=timeout,
            retry=retry,
            transport=transport,
        )
        async with client:
            return await client.run_batch(items, on_result=on_result)

    return asyncio.run(main())
