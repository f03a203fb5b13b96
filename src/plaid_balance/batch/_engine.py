"""The batch engine: ``BatchRun``, many Items through one ``BatchClient``, results as each Item finishes.

Shape of a run: a reader task feeds a bounded queue, ``concurrency`` workers take Items from it and
call ``BatchClient.fetch`` (so each result is exactly what ``get`` reports), and finished results go
through a second bounded queue to the consumer. Nothing holds the whole file or all results, so memory
does not grow with the number of Items. The summary is added up here, as results are handed out, so
every consumer (the CLI, a library user, the watch service) gets the same figures.

History reads and writes are blocking database calls: they run on one thread of their own, never on the
event loop, and one at a time (SQLite allows one writer; the order is the order of completion).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Sized
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar, runtime_checkable

from plaid_balance._errors import StorageError
from plaid_balance._items_file import BatchItem, InputError, ItemEntry
from plaid_balance._report import Report
from plaid_balance.batch._limits import Clock
from plaid_balance.batch._results import BatchSummary, ItemResult, input_failure, unexpected_failure

if TYPE_CHECKING:
    from plaid_balance.batch._client import BatchClient, Items

T = TypeVar("T")


class ReportHistory(Protocol):
    """Where a batch may find a recent enough report instead of calling Plaid, and keeps what it fetched.

    Both methods block (they are database calls): the engine runs them on a thread of their own.
    ``plaid_balance.history.Recall`` is the implementation behind ``--max-age`` / ``--save``.
    """

    def recall(self, access_token: str) -> Report | None: ...

    def remember(self, access_token: str, report: Report) -> None: ...


@runtime_checkable
class CountsUnread(Protocol):
    """An items source that can say how many Items it still holds (``ItemsReader`` for a file)."""

    def count_unread(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class _WorkerDone:
    error: BaseException | None = None


async def _entries(items: Items) -> AsyncIterator[ItemEntry]:
    position = 0

    def entry(value: ItemEntry | str) -> ItemEntry:
        return BatchItem(value, None, position) if isinstance(value, str) else value

    if isinstance(items, Iterable):
        for value in items:
            position += 1
            yield entry(value)
    else:
        async for value in items:
            position += 1
            yield entry(value)


class BatchRun:
    """One batch in progress: iterate it for results (completion order); read ``summary`` when done.

    Use it as ``async with``: leaving the block stops the workers (cancelling calls in flight) and
    closes the summary. A run left before its last result (Ctrl-C, an error, a consumer that stopped)
    has ``summary.interrupted`` set and ``summary.not_done`` counted. A failed Item is a result like any
    other; only an error of the items source or of the history store stops a run, raised from the
    iteration.
    """

    def __init__(
        self, client: BatchClient, items: Items, history: ReportHistory | None, clock: Clock
    ) -> None:
        self._client = client
        self._items = items
        self._history = history
        self._clock = clock
        self.summary = BatchSummary()
        self.read = 0  # Items taken from the source (an Item waiting for a worker counts as read)
        self._size = client.options.queue_size or 2 * client.options.concurrency
        self._work: asyncio.Queue[ItemEntry | None] = asyncio.Queue(maxsize=self._size)
        self._done: asyncio.Queue[ItemResult | _WorkerDone] = asyncio.Queue(maxsize=self._size)
        self._tasks: list[asyncio.Task[None]] = []
        self._running = 0
        self._feed_error: BaseException | None = None
        self._finished = False
        self._closed = False
        self._started_at = 0.0
        self._requests_before = 0
        self._rate_limited_before = 0
        self._thread: ThreadPoolExecutor | None = None

    # -- lifecycle --------------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def start(self) -> None:
        """Start reading Items and the workers (``async with`` does this)."""
        if self._tasks or self._closed:
            return
        limiter = self._client.limiter
        self._started_at = self._clock()
        self._requests_before, self._rate_limited_before = limiter.requests, limiter.rate_limited
        if self._history is not None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plaid-balance-history")
        concurrency = self._client.options.concurrency
        self._tasks.append(asyncio.create_task(self._feed(), name="batch-reader"))
        self._tasks += [
            asyncio.create_task(self._worker(), name=f"batch-worker-{i}") for i in range(concurrency)
        ]
        self._running = concurrency

    async def aclose(self) -> None:
        """Stop the workers and close the summary; idempotent."""
        if self._closed:
            return
        self._closed = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._thread is not None:
            # Waits for a history write already running, so the store is never closed under it.
            self._thread.shutdown(wait=True, cancel_futures=True)
        self._close_summary()

    def _close_summary(self) -> None:
        summary = self.summary
        limiter = self._client.limiter
        summary.elapsed_seconds = self._clock() - self._started_at
        summary.requests = limiter.requests - self._requests_before
        summary.rate_limited = limiter.rate_limited - self._rate_limited_before
        if self._finished:
            return
        summary.interrupted = True
        unread = self._count_unread()
        summary.not_done = self.read - summary.done + (unread or 0)
        summary.not_done_exact = unread is not None

    def _count_unread(self) -> int | None:
        items = self._items
        if isinstance(items, CountsUnread):
            return items.count_unread()
        if isinstance(items, Sized):
            return max(len(items) - self.read, 0)
        return None

    # -- results ----------------------------------------------------------------------------------------

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> ItemResult:
        if not self._tasks:
            self.start()
        while self._running:
            got = await self._done.get()
            if isinstance(got, _WorkerDone):
                self._running -= 1
                if got.error is not None:
                    raise got.error
                continue
            self.summary.add(got)
            return got
        if self._feed_error is not None:
            raise self._feed_error
        self._finished = True
        raise StopAsyncIteration

    # -- tasks ------------------------------------------------------------------------------------------

    async def _feed(self) -> None:
        try:
            async for entry in _entries(self._items):
                self.read += 1  # before the put: an entry waiting for room is read, not done
                await self._work.put(entry)
        except Exception as exc:
            self._feed_error = exc
        # Not reached on cancellation: then the workers are being cancelled too.
        for _ in range(self._client.options.concurrency):
            await self._work.put(None)

    async def _worker(self) -> None:
        try:
            while (entry := await self._work.get()) is not None:
                await self._done.put(await self._process(entry))
        except Exception as exc:
            await self._done.put(_WorkerDone(exc))
            return
        await self._done.put(_WorkerDone())

    async def _process(self, entry: ItemEntry) -> ItemResult:
        client = self._client
        environment = client.environment.value
        if isinstance(entry, InputError):
            return input_failure(entry, environment)
        history = self._history
        if history is not None:
            stored = await self._in_thread(history.recall, entry.access_token)
            if stored is not None:
                return ItemResult(entry.line, entry.label, stored)
        try:
            report = await client.fetch(entry.access_token)
        except Exception as exc:
            report = unexpected_failure(exc, environment)
        if history is not None:
            try:
                await self._in_thread(history.remember, entry.access_token, report)
            except StorageError as exc:
                # The call is billed whatever the disk says: the report is still a result (printed),
                # and the summary says it was not saved (a full disk, a database gone read-only).
                self.summary.not_saved += 1
                self.summary.save_error = self.summary.save_error or str(exc).splitlines()[0]
        return ItemResult(entry.line, entry.label, report)

    async def _in_thread(self, func: Callable[..., T], *args: Any) -> T:
        assert self._thread is not None
        return await asyncio.get_running_loop().run_in_executor(self._thread, func, *args)
