"""The watch's writer against a real SQLite file: refreshes that queue up are committed together, each
whole (snapshot, Item state, budget counters); one bad refresh costs only itself; and when snapshots
cannot be written at all, the budget counters still are, so a restart does not spend the budget again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from plaid_balance._health import Health
from plaid_balance._report import AccountReport, BalanceReport
from plaid_balance.history import open_store
from plaid_balance.history.store import HistoryStore
from plaid_balance.storage.watch import RefreshRow
from plaid_balance.watch.store import WatchStore
from plaid_balance.watch.wiring import LibraryHistory
from plaid_balance.watch.writer import RefreshWrite, Writer

AT = datetime(2026, 11, 25, 12, tzinfo=UTC)
PERIODS = ("D2026-11-25", "M2026-11")


def report(item_id: str) -> BalanceReport:
    account = AccountReport(
        account_id=f"{item_id}-acc",
        name="Plaid Checking",
        type="depository",
        subtype="checking",
        mask="0000",
        current_balance=Decimal("110.00"),
        available_balance=Decimal("100.00"),
        currency="USD",
    )
    return BalanceReport.build(
        [account],
        item_id=item_id,
        institution_id="ins_109508",
        environment="sandbox",
        request_id=f"req-{item_id}",
        retrieved_at=AT,
    )


def write(item_id: str, alias: Any = None) -> RefreshWrite:
    record = RefreshRow(
        item_id=item_id,
        alias=item_id if alias is None else alias,
        at=AT,
        source="realtime",
        outcome="ok",
        health=Health.OK,
        health_reason="",
        periods=PERIODS,
        billed=1,
        saved=0,
    )
    return RefreshWrite(record, report(item_id), f"access-sandbox-{item_id}")


@pytest.fixture
def history(tmp_path: Path) -> Iterator[HistoryStore]:
    store = open_store(f"sqlite:///{tmp_path / 'watch.db'}")
    yield store
    store.close()


def budget(store: WatchStore) -> dict[str, int]:
    return {item_id: billed for item_id, period, billed, _ in store.load().budget if period == PERIODS[0]}


def run_all(writer: Writer, writes: Sequence[RefreshWrite]) -> list[Any]:
    async def go() -> list[Any]:
        return list(await asyncio.gather(*(writer.refresh(w) for w in writes)))

    return asyncio.run(go())


def test_queued_refreshes_are_committed_together_each_whole(history: HistoryStore) -> None:
    state = WatchStore(history.database)
    writer = Writer(LibraryHistory(history), state)
    errors = run_all(writer, [write(f"item-{i}") for i in range(5)])
    assert errors == [[]] * 5
    assert writer.groups == 1
    assert history.count()[0] == 5
    assert budget(state) == {f"item-{i}": 1 for i in range(5)}
    assert {row.last_outcome for row in state.load().items.values()} == {"ok"}


class Unwritable:
    """An alias the database driver cannot store (what a failing write looks like to the writer)."""


def test_one_bad_refresh_in_a_group_costs_only_itself(history: HistoryStore) -> None:
    state = WatchStore(history.database)
    writer = Writer(LibraryHistory(history), state)
    bad = write("item-bad", alias=Unwritable())
    errors = run_all(writer, [write("item-1"), bad, write("item-2")])
    assert errors[0] == [] and errors[2] == []
    assert [what for what, _ in errors[1]] == ["history", "state"]
    assert writer.groups == 0
    assert budget(state) == {"item-1": 1, "item-2": 1}
    assert history.count()[0] == 2  # the bad refresh left no snapshot without its state


class FullDisk(LibraryHistory):
    def save(self, *args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    def save_all(self, entries: Sequence[tuple[Any, str, Callable[[Any], None] | None]]) -> None:
        raise OSError(28, "No space left on device")


def test_budget_counters_are_kept_when_snapshots_cannot_be(history: HistoryStore) -> None:
    state = WatchStore(history.database)
    writer = Writer(FullDisk(history), state)
    errors = run_all(writer, [write("item-1"), write("item-2")])
    assert [[what for what, _ in e] for e in errors] == [["history"], ["history"]]
    assert history.count()[0] == 0
    assert budget(state) == {"item-1": 1, "item-2": 1}  # a restart knows these calls were billed
