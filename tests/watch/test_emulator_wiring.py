"""The watch wired to the real client, limiter and history, against the emulator (billed calls are
counted by the emulator, not by the watch)."""

from __future__ import annotations

from pathlib import Path

from plaid_balance._health import Health
from plaid_balance._retry import RetryPolicy
from plaid_balance.batch import BatchClient, BatchOptions
from plaid_balance.emulator import RunningEmulator
from plaid_balance.history import open_store
from plaid_balance.vault import VaultItem
from plaid_balance.watch.clock import SystemClock
from plaid_balance.watch.config import parse_config
from plaid_balance.watch.service import Watch
from plaid_balance.watch.store import WatchStore
from plaid_balance.watch.wiring import LibraryHistory, LibraryPlaid
from tests.vault.samples import vault_item
from tests.watch.fakes import FakeItems, FakeSender
from tests.watch.support import ManualClock

FAST_RETRY = RetryPolicy(attempts=2, wait_initial=0.01, wait_max=0.05, wait_jitter=0.01, rate_limit_wait=0.05)
CONFIG = """\
[watch]
interval = "1h"
[budget]
per_day = 2
[notify.ops]
url = "json://127.0.0.1:9/x"
[[alerts]]
kind = "needs_repair"
"""


class EmulatorItems(FakeItems):
    def __init__(self, tokens: dict[str, str], *items: VaultItem) -> None:
        super().__init__(*items)
        self.tokens = tokens

    def access_token(self, alias: str) -> str:
        return self.tokens[alias]


async def test_budget_and_repair_against_the_emulator(emu: RunningEmulator, tmp_path: Path) -> None:
    (token_a, item_a), (token_b, item_b) = emu.create_items(2)
    vault = EmulatorItems(
        {"a": token_a, "b": token_b},
        vault_item("a", item_a, "ins_109508", "First Platypus Bank"),
        vault_item("b", item_b, "ins_109508", "First Platypus Bank"),
    )
    history = open_store(f"sqlite:///{tmp_path / 'h.db'}")
    client = BatchClient(
        BatchOptions(concurrency=4),
        client_id=emu.client_id,
        secret=emu.secret,
        base_url=emu.base_url,
        retry=FAST_RETRY,
    )
    clock = ManualClock()
    watch = Watch(
        parse_config(CONFIG, Path("watch.toml")),
        items=vault,
        plaid=LibraryPlaid(client),
        history=LibraryHistory(history),
        store=WatchStore(history.database),
        sender=FakeSender(),
        clock=clock,
    )
    async with client:
        await watch.load()
        for _ in range(4):
            await watch.tick()
            await watch.settle()
            clock.advance(hours=1)
        emu.reset_login(item_b)
        clock.advance(hours=24)
        for _ in range(2):
            await watch.tick()
            await watch.settle()
            clock.advance(hours=1)
    stats = emu.stats()["requests_by_endpoint"]
    # a: 2 billed (budget), 2 cached; then a new day: 2 billed. b: the same until its login broke.
    assert stats["/accounts/balance/get"] == 2 + 2 + 2 + 1
    assert stats["/accounts/get"] == 2 + 2
    assert stats.get("/item/get") == 1  # b's next refresh only asks whether it was repaired
    assert watch.state.items[item_b].health is Health.NEEDS_REPAIR
    assert vault.by_id[item_b].health is Health.NEEDS_REPAIR
    snapshots, _ = history.count()
    assert snapshots == 2 + 2 + 2 + 2 + 2  # every report fetched (a: 6, b: 4)
    assert watch.state.counters.billed == 6 and watch.state.counters.saved == 5
    history.close()


async def test_capital_one_gets_its_floor_automatically(emu: RunningEmulator, tmp_path: Path) -> None:
    token, item_id = emu.create_item(institution_id="ins_128026")
    vault = EmulatorItems({"capone": token}, vault_item("capone", item_id, "ins_128026", "Capital One"))
    history = open_store(f"sqlite:///{tmp_path / 'h.db'}")
    client = BatchClient(
        BatchOptions(concurrency=2),
        client_id=emu.client_id,
        secret=emu.secret,
        base_url=emu.base_url,
        retry=FAST_RETRY,
    )
    watch = Watch(
        parse_config(CONFIG, Path("watch.toml")),
        items=vault,
        plaid=LibraryPlaid(client),
        history=LibraryHistory(history),
        store=None,
        sender=FakeSender(),
        clock=SystemClock(),
    )
    async with client:
        await watch.load()
        await watch.tick()
        await watch.settle()
    state = watch.state.items[item_id]
    # Without min_last_updated_datetime the emulator answers INVALID_FIELD, as Plaid does for Capital One.
    assert "INVALID_FIELD" not in emu.stats()["responses_by_error_code"]
    assert state.last_outcome == "ok" and state.report is not None
    assert any(a.type == "credit" for a in state.report.accounts)
    history.close()
