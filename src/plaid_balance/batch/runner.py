"""The batch engine: many Items on one ``AsyncPlaidClient``, results streamed as each Item finishes.

Shape of a run: a reader task feeds a bounded queue, ``concurrency`` workers take Items from it and
call ``fetch_report_async`` (so each result is exactly what ``get`` reports), and finished results go
through a second bounded queue to the consumer of ``run_batch``. Nothing holds the whole file or all
results, so memory does not grow with the number of Items.

Rate limits are enforced under the client by ``LimitedTransport`` (see ``limits``), which is why the
client must come from ``make_batch_client``: the client keeps its single retry implementation
(``RetryPolicy.backoff_hook`` through stamina) and every attempt still waits for a slot.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import time
import weakref
from collections import Counter
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Sequence,
)
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import httpx

from plaid_balance._client import AsyncPlaidClient
from plaid_balance._config import DEFAULT_TIMEOUT, Environment, parse_environment
from plaid_balance._error_body import INPUT_ERROR, INTERNAL_ERROR, ErrorBody
from plaid_balance._fetch import fetch_report_async
from plaid_balance._json import to_builtins
from plaid_balance._money import ZERO, exact_sub, exact_sum
from plaid_balance._report import BalanceReport, CurrencyTotals, FailureReport, Report
from plaid_balance._retry import RetryPolicy
from plaid_balance._secret import SecretStr
from plaid_balance.batch.items import BatchItem, InputError, ItemEntry
from plaid_balance.batch.limits import (
    BALANCE_PATH,
    CACHED_PATH,
    CURRENT_ITEM,
    BatchLimiter,
    LimitedTransport,
    documented_limits,
)

DEFAULT_CONCURRENCY = 10
INPUT_ERROR_TYPE = INPUT_ERROR


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """How a batch runs. Rate limits are per ``window_seconds``; None means Plaid's documented limit."""

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
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.cached and self.min_last_updated_datetime is not None:
            raise ValueError("min_last_updated_datetime applies to real-time balances, not cached ones")

    @property
    def path(self) -> str:
        return CACHED_PATH if self.cached else BALANCE_PATH

    def limiter(self, environment: Environment) -> BatchLimiter:
        documented = documented_limits(environment, self.cached)
        return BatchLimiter(
            self.rate_limit or documented.per_client,
            self.item_rate_limit or documented.per_item,
            self.window_seconds,
        )


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One Item's outcome: the ``get`` report (or failure) plus where it came from."""

    line: int
    label: str | None
    report: Report

    @property
    def success(self) -> bool:
        return isinstance(self.report, BalanceReport)

    @property
    def item_id(self) -> str | None:
        return self.report.item_id if isinstance(self.report, BalanceReport) else None

    @property
    def error_code(self) -> str | None:
        if isinstance(self.report, FailureReport):
            return self.report.error.error_code
        return None

    @property
    def error_message(self) -> str | None:
        if isinstance(self.report, FailureReport):
            return self.report.error.error_message
        return None

    @property
    def is_input_error(self) -> bool:
        return isinstance(self.report, FailureReport) and self.report.error.error_type == INPUT_ERROR_TYPE

    def to_dict(self) -> dict[str, Any]:
        return {**to_builtins(self.report), "label": self.label, "line": self.line}


OnResult = Callable[[ItemResult], Awaitable[None] | None]


class ReportHistory(Protocol):
    """Where a batch may find a recent enough report instead of calling Plaid, and keeps what it fetched.

    ``plaid_balance.history.Recall`` is the implementation (``--max-age`` / ``--save``).
    """

    def recall(self, access_token: str) -> Report | None: ...

    def remember(self, access_token: str, report: Report) -> None: ...


@dataclass
class BatchSummary:
    """Counts and per-currency totals over a run; fed one result at a time, never holding them."""

    ok: int = 0
    failed: int = 0
    input_errors: int = 0
    not_done: int = 0
    not_done_exact: bool = True
    interrupted: bool = False
    rate_limited: int = 0
    requests: int = 0
    elapsed_seconds: float = 0.0
    errors_by_code: Counter[str] = field(default_factory=Counter)
    _assets: dict[str, Decimal] = field(default_factory=dict)
    _liabilities: dict[str, Decimal] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return self.ok + self.failed

    def add(self, result: ItemResult) -> None:
        report = result.report
        if isinstance(report, BalanceReport):
            self.ok += 1
            for code, totals in report.totals.items():
                self._assets[code] = exact_sum([totals.assets], self._assets.get(code, ZERO))
                self._liabilities[code] = exact_sum([totals.liabilities], self._liabilities.get(code, ZERO))
            return
        self.failed += 1
        if result.is_input_error:
            self.input_errors += 1
        self.errors_by_code[report.error.error_code] += 1

    @property
    def totals(self) -> dict[str, CurrencyTotals]:
        """Per currency, summed over Items as exact Decimals; never added across currencies."""
        return {
            code: CurrencyTotals(
                assets=self._assets[code],
                liabilities=self._liabilities[code],
                net=exact_sub(self._assets[code], self._liabilities[code]),
            )
            for code in sorted(self._assets)
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": True,
            "items": self.done + self.not_done,
            "ok": self.ok,
            "failed": self.failed,
            "input_errors": self.input_errors,
            "not_done": self.not_done,
            "not_done_exact": self.not_done_exact,
            "interrupted": self.interrupted,
            "errors_by_code": dict(sorted(self.errors_by_code.items())),
            "totals": {code: to_builtins(t) for code, t in self.totals.items()},
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
        }


@dataclass
class BatchCounters:
    """Live counters of a run, for progress displays and the summary."""

    read: int = 0
    done: int = 0
    failed: int = 0


# Clients built by make_batch_client, with the limiter their transport enforces.
_LIMITERS: weakref.WeakKeyDictionary[AsyncPlaidClient, BatchLimiter] = weakref.WeakKeyDictionary()


def make_batch_client(
    options: BatchOptions | None = None,
    *,
    environment: str | Environment = Environment.SANDBOX,
    client_id: str | None = None,
    secret: str | SecretStr | None = None,
    base_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    retry: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncPlaidClient:
    """An ``AsyncPlaidClient`` whose every request to the batched endpoint passes the rate limiters.

    ``transport`` is the real one underneath (default: httpx's pool, sized to ``options.concurrency``).
    Credentials default to ``PLAID_CLIENT_ID`` / ``PLAID_SECRET`` as for every client.
    """
    options = options or BatchOptions()
    env = parse_environment(environment)
    limiter = options.limiter(env)
    if transport is None:
        size = max(options.concurrency, 1)
        transport = httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=size, max_keepalive_connections=size)
        )
    limited = LimitedTransport(transport, limiter, options.path)
    client = AsyncPlaidClient(
        client_id, secret, env, base_url=base_url, timeout=timeout, retry=retry, transport=limited
    )
    _LIMITERS[client] = limiter
    return client


def limiter_of(client: AsyncPlaidClient) -> BatchLimiter:
    try:
        return _LIMITERS[client]
    except KeyError:
        raise ValueError(
            "run_batch needs a client from make_batch_client: it is what enforces the rate limits"
        ) from None


def _item_key(access_token: str) -> str:
    # Limiters are keyed by a digest so that no token sits in long-lived structures or reprs.
    return hashlib.blake2b(access_token.encode(), digest_size=16).hexdigest()


def input_failure(error: InputError, environment: str | None) -> ItemResult:
    report = FailureReport(
        error=ErrorBody(
            error_type=INPUT_ERROR_TYPE, error_code="MALFORMED_LINE", error_message=error.message
        ),
        environment=environment,
    )
    return ItemResult(error.line, error.label, report)


def _unexpected_failure(exc: Exception, environment: str) -> FailureReport:
    # Only the exception's type: its text could quote a request body, and a body holds the token.
    return FailureReport(
        error=ErrorBody(
            error_type=INTERNAL_ERROR,
            error_code="UNEXPECTED_ERROR",
            error_message=f"plaid-balance failed on this Item ({type(exc).__name__}); please report it",
        ),
        environment=environment,
    )


async def _as_async(
    items: Iterable[ItemEntry | str] | AsyncIterable[ItemEntry | str],
) -> AsyncIterator[ItemEntry]:
    position = 0

    def entry(value: ItemEntry | str) -> ItemEntry:
        return BatchItem(value, None, position) if isinstance(value, str) else value

    if isinstance(items, AsyncIterable):
        async for value in items:
            position += 1
            yield entry(value)
    else:
        for value in items:
            position += 1
            yield entry(value)


@dataclass(frozen=True, slots=True)
class _WorkerDone:
    error: BaseException | None = None


async def run_batch(
    items: Iterable[ItemEntry | str] | AsyncIterable[ItemEntry | str],
    client: AsyncPlaidClient,
    options: BatchOptions | None = None,
    *,
    on_result: OnResult | None = None,
    counters: BatchCounters | None = None,
    history: ReportHistory | None = None,
) -> AsyncGenerator[ItemResult, None]:
    """Yield one ``ItemResult`` per item, in completion order, as soon as each is done.

    ``items`` may be ``BatchItem``/``InputError`` entries (from ``open_items``) or bare tokens. A
    failed Item is a result like any other: only an error raised by ``on_result`` or by the items
    source stops the run. ``on_result`` (sync or async) runs in the worker for each result before it
    is yielded. ``history`` answers Items from stored reports when fresh enough and stores fetched ones.
    Closing or cancelling the iterator cancels in-flight calls.
    """
    options = options or BatchOptions()
    limiter_of(client)  # fail before starting if the client does not enforce limits
    counters = counters if counters is not None else BatchCounters()
    size = options.queue_size or 2 * options.concurrency
    work: asyncio.Queue[ItemEntry | None] = asyncio.Queue(maxsize=size)
    done: asyncio.Queue[ItemResult | _WorkerDone] = asyncio.Queue(maxsize=size)
    environment = client.environment.value
    feed_error: list[BaseException] = []

    async def feed() -> None:
        try:
            async for entry in _as_async(items):
                counters.read += 1  # before the put: an entry waiting for room is read, not done
                await work.put(entry)
        except Exception as exc:
            feed_error.append(exc)
        # Not reached on cancellation: then the workers are being cancelled too.
        for _ in range(options.concurrency):
            await work.put(None)

    async def process(entry: ItemEntry) -> ItemResult:
        if isinstance(entry, InputError):
            return input_failure(entry, environment)
        token = CURRENT_ITEM.set(_item_key(entry.access_token))
        stored = history.recall(entry.access_token) if history is not None else None
        if stored is not None:
            return ItemResult(entry.line, entry.label, stored)
        try:
            report = await fetch_report_async(
                client,
                entry.access_token,
                account_ids=options.account_ids,
                min_last_updated_datetime=options.min_last_updated_datetime,
                cached=options.cached,
            )
        except Exception as exc:
            report = _unexpected_failure(exc, environment)
        finally:
            CURRENT_ITEM.reset(token)
        if history is not None:
            history.remember(entry.access_token, report)
        return ItemResult(entry.line, entry.label, report)

    async def worker() -> None:
        try:
            while (entry := await work.get()) is not None:
                result = await process(entry)
                if on_result is not None:
                    outcome = on_result(result)
                    if inspect.isawaitable(outcome):
                        await outcome
                counters.done += 1
                counters.failed += not result.success
                await done.put(result)
        except Exception as exc:
            await done.put(_WorkerDone(exc))
            return
        await done.put(_WorkerDone())

    tasks = [asyncio.create_task(feed(), name="batch-reader")]
    tasks += [asyncio.create_task(worker(), name=f"batch-worker-{i}") for i in range(options.concurrency)]
    running = options.concurrency
    try:
        while running:
            got = await done.get()
            if isinstance(got, _WorkerDone):
                running -= 1
                if got.error is not None:
                    raise got.error
                continue
            yield got
        if feed_error:
            raise feed_error[0]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def run_batch_summary(
    items: Iterable[ItemEntry | str] | AsyncIterable[ItemEntry | str],
    client: AsyncPlaidClient,
    options: BatchOptions | None = None,
    *,
    on_result: OnResult | None = None,
) -> BatchSummary:
    """Run a whole batch, handing each result to ``on_result``; return only the summary."""
    options = options or BatchOptions()
    summary = BatchSummary()
    started = time.monotonic()
    async for result in run_batch(items, client, options, on_result=on_result):
        summary.add(result)
    summary.elapsed_seconds = time.monotonic() - started
    limiter = limiter_of(client)
    summary.requests, summary.rate_limited = limiter.requests, limiter.rate_limited
    return summary


def run_batch_sync(
    items: Iterable[ItemEntry | str],
    options: BatchOptions | None = None,
    *,
    on_result: OnResult | None = None,
    environment: str | Environment = Environment.SANDBOX,
    client_id: str | None = None,
    secret: str | SecretStr | None = None,
    base_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    retry: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> BatchSummary:
    """Blocking wrapper: builds the client, runs the batch, closes the client, returns the summary.

    Results reach the caller through ``on_result`` only, so memory stays bounded however long the run.
    """

    opts = options or BatchOptions()

    async def main() -> BatchSummary:
        client = make_batch_client(
            opts,
            environment=environment,
            client_id=client_id,
            secret=secret,
            base_url=base_url,
            timeout=timeout,
            retry=retry,
            transport=transport,
        )
        async with client:
            return await run_batch_summary(items, client, opts, on_result=on_result)

    return asyncio.run(main())
