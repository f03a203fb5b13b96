"""The watch's one database writer: a thread that runs, in the order the loop asked, every write the watch
makes (snapshots, its state, budget counters, alert states).

Why one thread: writers in several threads queue for SQLite's write lock, and a waiter sleeps in SQLite's
busy handler (up to 100 ms a turn), which on a busy machine made a first pass over 1,000 Items many times
slower than the rate limit allows. Why groups: while the thread commits, the next refreshes queue up; it
then commits all of them in one transaction (one fsync, one batched insert) instead of one each. Each
refresh stays whole: its snapshot, its Item's state and its budget counters are in the same transaction.
If a group's transaction fails, its refreshes are written one by one, so one bad write costs only its
own refresh; and if a snapshot cannot be written (a full disk, say), its state and budget counters are
still written on their own, so the budget survives a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

from plaid_balance._errors import StateError
from plaid_balance._report import BalanceReport
from plaid_balance.storage.watch import RefreshRow
from plaid_balance.watch.state import HistoryPort
from plaid_balance.watch.store import WatchStore

log = logging.getLogger("plaid_balance.watch")

GROUP_MAX: Final = 200  # refreshes per transaction at most (bounds a transaction's time and memory)

StorageErrors = list[tuple[str, Exception]]  # (what could not be written: "history" or "state", why)


@dataclass(frozen=True, slots=True)
class RefreshWrite:
    record: RefreshRow
    report: BalanceReport | None  # None: no snapshot to keep (stored balances, or no answer)
    token: str


@dataclass(frozen=True, slots=True)
class _Call:
    function: Callable[[], Any]


_Job = RefreshWrite | _Call


class Writer:
    def __init__(self, history: HistoryPort | None, store: WatchStore | None) -> None:
        self.history = history
        self.store = store
        self._shared = store is not None and history is not None and store.shares_database(history)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="plaid-balance-watch-writer")
        self._queue: list[tuple[_Job, asyncio.Future[Any]]] = []
        self._draining = False
        self._drainer: asyncio.Task[None] | None = None
        self.groups = 0  # transactions that held more than one refresh (for the benchmark's notes)

    async def refresh(self, write: RefreshWrite) -> StorageErrors:
        """Write one refresh; return what could not be written (already survived: the watch goes on)."""
        result: StorageErrors = await self._submit(write)
        return result

    async def call(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run another write (health, alert state) in turn; its exception is raised here."""
        return await self._submit(_Call(lambda: function(*args)))

    async def _submit(self, job: _Job) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.append((job, future))
        if not self._draining:
            self._draining = True
            self._drainer = asyncio.ensure_future(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                batch, self._queue = self._queue[:GROUP_MAX], self._queue[GROUP_MAX:]
                jobs = [job for job, _ in batch]
                try:
                    outcomes = await loop.run_in_executor(self._thread, self._run, jobs)
                except BaseException as exc:  # the thread itself failed: every caller hears of it
                    outcomes = [(False, exc)] * len(batch)
                for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                    if future.done():
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
        finally:
            self._draining = False

    # --- on the writer thread ----------------------------------------------------------------------

    def _run(self, jobs: list[_Job]) -> list[tuple[bool, Any]]:
        outcomes: list[tuple[bool, Any]] = []
        group: list[RefreshWrite] = []
        for job in jobs:
            if isinstance(job, RefreshWrite):
                group.append(job)
                continue
            outcomes.extend((True, errors) for errors in self._refreshes(group))
            group = []
            try:
                outcomes.append((True, job.function()))
            except Exception as exc:
                outcomes.append((False, exc))
        outcomes.extend((True, errors) for errors in self._refreshes(group))
        return outcomes

    def _refreshes(self, writes: list[RefreshWrite]) -> list[StorageErrors]:
        # A group holds one refresh per Item at most (a refresh waits for its write before its Item can
        # be refreshed again), so writing the snapshots first and the rest after changes nothing.
        done: dict[int, StorageErrors] = {}
        snapshots = [(i, w.report, w) for i, w in enumerate(writes) if w.report is not None]
        if self._shared and len(snapshots) > 1:
            assert self.history is not None
            try:
                self.history.save_all([(report, w.token, w.record.write) for _, report, w in snapshots])
            except Exception as exc:  # written one by one below, so that only a bad refresh is lost
                log.debug("group write failed, writing one by one: %s", exc)
            else:
                self.groups += 1
                done = {i: [] for i, _, _ in snapshots}
        return [done[i] if i in done else self._one(w) for i, w in enumerate(writes)]

    def _one(self, write: RefreshWrite) -> StorageErrors:
        errors: StorageErrors = []
        state_written = self.store is None
        if write.report is not None and self.history is not None:
            along = write.record.write if self._shared else None
            try:
                self.history.save(write.report, write.token, along)
                state_written = state_written or along is not None
            except Exception as exc:  # full disk, locked database: the watch goes on
                errors.append(("history", exc))
        if not state_written:
            assert self.store is not None
            try:
                self.store.record_refresh(write.record)
            except StateError as exc:
                errors.append(("state", exc))
        return errors
