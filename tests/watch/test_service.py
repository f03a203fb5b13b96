"""The watch engine with fakes: schedule, budget, fallbacks, health, alerts, restarts. No sleeping:
the clock is moved by hand and each step runs the loop's pass once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from msgspec.structs import replace

from plaid_balance._health import Health
from plaid_balance.history import open_store
from plaid_balance.vault import VaultItem
from plaid_balance.watch.config import WatchConfig, parse_config
from plaid_balance.watch.service import Watch
from plaid_balance.watch.store import WatchStore
from tests.vault.samples import vault_item
from tests.watch.fakes import FakeHistory, FakeItems, FakePlaid, FakeSender, failure
from tests.watch.support import ManualClock, card, checking

ITEM = vault_item("checking", "item-1", "ins_109508", "First Platypus Bank")

BASE = """\
[watch]
interval = "1h"
renotify = "6h"
[budget]
per_day = 2
[notify.phone]
url = "json://127.0.0.1:9/x"
[[alerts]]
kind = "low_balance"
below = "100 USD"
[[alerts]]
kind = "needs_repair"
"""


class Rig:
    def __init__(
        self,
        text: str = BASE,
        *items: VaultItem,
        store: WatchStore | None = None,
        clock: ManualClock | None = None,
    ) -> None:
        self.config: WatchConfig = parse_config(text, Path("watch.toml"))
        self.clock = clock or ManualClock()
        self.vault = FakeItems(*(items or (ITEM,)))
        self.plaid = FakePlaid(self.clock)
        self.history = FakeHistory()
        self.sender = FakeSender()
        for item in self.vault.items():
            self.plaid.set_accounts(item.item_id, checking("500"), card("100"))
        self.watch = Watch(
            self.config,
            items=self.vault,
            plaid=self.plaid,
            history=self.history,
            store=store,
            sender=self.sender,
            clock=self.clock,
        )

    async def step(self, **delta: float) -> None:
        self.clock.advance(**delta)
        for _ in range(3):
            await self.watch.tick()
            await self.watch.settle()


async def test_refreshes_on_schedule_within_budget_then_falls_back_to_cached() -> None:
    rig = Rig()
    await rig.watch.load()
    await rig.step()  # due at once: never refreshed
    assert rig.plaid.calls["/accounts/balance/get"] == 1
    await rig.step(minutes=30)  # not due yet
    assert rig.plaid.calls["/accounts/balance/get"] == 1
    await rig.step(minutes=30)
    assert rig.plaid.calls["/accounts/balance/get"] == 2
    await rig.step(hours=1)  # budget of 2 a day used: the free call instead
    await rig.step(hours=1)
    assert rig.plaid.calls["/accounts/balance/get"] == 2
    assert rig.plaid.calls["/accounts/get"] == 2
    state = rig.watch.state.items["item-1"]
    assert state.last_source == "cached"
    assert rig.watch.state.counters.billed == 2 and rig.watch.state.counters.saved == 2
    assert [r.source for r in rig.history.saved] == ["realtime", "realtime", "cached", "cached"]
    rig.clock.advance(hours=24)  # a new day: budget again
    await rig.step()
    assert rig.plaid.calls["/accounts/balance/get"] == 3


async def test_over_budget_history_fallback_uses_fresh_stored_balances() -> None:
    text = BASE.replace('renotify = "6h"', 'renotify = "6h"\nover_budget = "history"\nmax_age = "90m"')
    rig = Rig(text.replace("per_day = 2", "per_day = 1"))
    await rig.watch.load()
    await rig.step()
    await rig.step(hours=1)  # over budget, stored report 1h old: no call at all
    assert rig.plaid.calls["/accounts/get"] == 0
    assert rig.watch.state.items["item-1"].last_source == "stored"
    await rig.step(hours=1)  # stored one is 2h old now: cached
    assert rig.plaid.calls["/accounts/get"] == 1
    assert rig.watch.state.counters.saved == 2


async def test_capital_one_gets_min_last_updated_and_falls_back_when_stale() -> None:
    capital_one = vault_item("cap", "item-c1", "ins_128026", "Capital One")
    rig = Rig(BASE, capital_one)
    await rig.watch.load()
    rig.plaid.balance_errors.append(failure("LAST_UPDATED_DATETIME_OUT_OF_RANGE", "INVALID_RESULT"))
    await rig.step()
    assert rig.plaid.min_last_updated == [rig.clock.now() - timedelta(days=2)]
    assert rig.plaid.calls["/accounts/get"] == 1
    state = rig.watch.state.items["item-c1"]
    assert state.last_source == "cached" and rig.watch.state.counters.billed == 0
    rig2 = Rig()
    await rig2.watch.load()
    await rig2.step()
    assert rig2.plaid.min_last_updated == [None]


async def test_needs_repair_stops_billed_calls_until_repaired() -> None:
    rig = Rig()
    await rig.watch.load()
    rig.plaid.balance_errors.append(failure("ITEM_LOGIN_REQUIRED"))
    await rig.step()
    state = rig.watch.state.items["item-1"]
    assert state.health is Health.NEEDS_REPAIR
    assert rig.vault.health_calls[-1][1] is Health.NEEDS_REPAIR
    token = "access-sandbox-item-1"
    rig.plaid.item_errors[token] = failure("ITEM_LOGIN_REQUIRED")
    for _ in range(3):
        await rig.step(hours=1)
    assert rig.plaid.calls["/accounts/balance/get"] == 1  # none since
    assert rig.plaid.calls["/item/get"] == 3
    repair = [e for _, e in rig.sender.sent if e.rule == "needs_repair #2"]
    assert [e.kind for e in repair] == ["firing"]
    assert "plaid-balance link --update checking" in repair[0].message
    rig.plaid.item_errors[token] = None  # link --update happened elsewhere, no webhook
    await rig.step(hours=1)
    assert rig.watch.state.items["item-1"].health is Health.OK
    assert rig.plaid.calls["/accounts/balance/get"] == 2
    assert [e.kind for _, e in rig.sender.sent if e.rule == "needs_repair #2"] == ["firing", "resolved"]


async def test_vault_repair_is_followed() -> None:
    rig = Rig()
    await rig.watch.load()
    rig.plaid.balance_errors.append(failure("ITEM_LOGIN_REQUIRED"))
    await rig.step()
    rig.vault.set_health("item-1", Health.OK, "repaired with link --update")
    await rig.step(minutes=61)  # the vault is read again every minute
    assert rig.watch.state.items["item-1"].health is Health.OK
    assert rig.plaid.calls["/accounts/balance/get"] == 2


async def test_low_balance_alert_fires_once_reminds_and_resolves() -> None:
    rig = Rig(BASE.replace("per_day = 2", "per_day = 100"))
    await rig.watch.load()
    rig.plaid.set_accounts("item-1", checking("42.10"))
    await rig.step()
    await rig.step(hours=1)
    await rig.step(hours=1)
    low = [e for _, e in rig.sender.sent if e.rule == "low_balance #1"]
    assert [e.kind for e in low] == ["firing"]
    assert "available 42.10 USD is below 100 USD" in low[0].message
    await rig.step(hours=4)  # 6 h since the first notice: one reminder
    assert [e.kind for _, e in rig.sender.sent if e.rule == "low_balance #1"] == ["firing", "reminder"]
    rig.plaid.set_accounts("item-1", checking("100.00"))
    await rig.step(hours=1)
    await rig.step(hours=1)
    assert [e.kind for _, e in rig.sender.sent if e.rule == "low_balance #1"] == [
        "firing",
        "reminder",
        "resolved",
    ]


async def test_notifier_down_is_retried_and_the_watch_goes_on() -> None:
    rig = Rig(BASE.replace("per_day = 2", "per_day = 100"))
    await rig.watch.load()
    rig.sender.down.add("phone")
    rig.plaid.set_accounts("item-1", checking("1"))
    await rig.step()
    assert rig.sender.sent == [] and rig.sender.attempts == 1
    await rig.step(seconds=31)
    assert rig.sender.attempts == 2
    await rig.step(hours=1)  # refreshes go on
    assert rig.plaid.calls["/accounts/balance/get"] == 2
    rig.sender.down.clear()
    await rig.step(minutes=2)
    assert [e.kind for _, e in rig.sender.sent] == ["firing"]


async def test_history_write_failure_is_survived() -> None:
    rig = Rig()
    await rig.watch.load()
    rig.history.fail_with = OSError(28, "No space left on device")
    await rig.step()
    await rig.step(hours=1)
    assert rig.plaid.calls["/accounts/balance/get"] == 2
    assert rig.watch.state.counters.history_errors == 2
    assert rig.watch.state.items["item-1"].report is not None


async def test_plaid_outage_retries_sooner_and_bills_nothing() -> None:
    rig = Rig(BASE.replace('interval = "1h"', 'interval = "6h"'))
    await rig.watch.load()
    rig.plaid.balance_errors.append(failure("CONNECT_ERROR", "NETWORK_ERROR", retryable=True))
    await rig.step()
    assert rig.watch.state.counters.billed == 0
    await rig.step(minutes=15)
    assert rig.plaid.calls["/accounts/balance/get"] == 2
    assert rig.watch.state.counters.billed == 1


async def test_restart_keeps_budget_last_refresh_and_alert_state(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    history_store = open_store(url)
    store = WatchStore(history_store.database)
    rig = Rig(BASE, store=store)
    await rig.watch.load()
    rig.plaid.set_accounts("item-1", checking("5"))
    await rig.step()
    await rig.step(hours=1)
    assert rig.watch.state.counters.billed == 2
    # A new process, 30 minutes later: not due yet, budget still spent, alert still firing.
    clock = ManualClock(rig.clock.now() + timedelta(minutes=30))
    rig2 = Rig(BASE, store=WatchStore(history_store.database), clock=clock)
    rig2.plaid.set_accounts("item-1", checking("5"))
    await rig2.watch.load()
    await rig2.step()
    assert rig2.plaid.calls["/accounts/balance/get"] == 0
    await rig2.step(minutes=30)
    assert rig2.plaid.calls["/accounts/balance/get"] == 0 and rig2.plaid.calls["/accounts/get"] == 1
    assert rig2.sender.sent == []  # the low-balance alert fired before the restart: no repeat
    events = rig2.watch.alert_history()
    assert [e.kind for e in events] == ["firing"]
    history_store.close()


@pytest.mark.parametrize("when", [datetime(2026, 11, 30, 23, 30, tzinfo=UTC)])
async def test_month_budget_rolls_over(when: datetime) -> None:
    rig = Rig(BASE.replace("per_day = 2", "per_month = 1"), clock=ManualClock(when))
    await rig.watch.load()
    await rig.step()
    await rig.step(minutes=20)
    await rig.step(minutes=40)  # 00:30 on December 1st: a new month
    assert rig.plaid.calls["/accounts/balance/get"] == 2


async def test_items_webhook_is_pointed_at_the_watch_once() -> None:
    text = BASE.replace(
        "[budget]", '[server]\nwebhook_url = "https://watch.example.com/plaid/webhook"\n[budget]'
    )
    rig = Rig(text)
    rig.plaid.webhooks["access-sandbox-item-1"] = "https://old.example.com/hook"
    await rig.watch.load()
    await rig.step()
    await rig.step(hours=1)
    assert rig.plaid.webhooks["access-sandbox-item-1"] == "https://watch.example.com/plaid/webhook"
    assert rig.plaid.calls["/item/webhook/update"] == 1 and rig.plaid.calls["/item/get"] == 1


async def test_an_unexpected_error_costs_one_refresh_not_the_watch() -> None:
    rig = Rig()
    await rig.watch.load()
    calls = 0

    async def broken(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        raise RuntimeError("boom")

    rig.plaid.balance = broken  # type: ignore[method-assign,assignment]
    await rig.step()
    await rig.step(minutes=1)
    assert calls == 1  # not retried in a tight loop
    await rig.step(minutes=15)
    assert calls == 2


async def test_a_round_s_alerts_travel_as_one_digest_and_each_resolves_on_its_own() -> None:
    """Two Items low in the same round: one message carrying both; later only the one that recovered
    sends a "Resolved", alone, while the other keeps firing."""
    other = vault_item("savings", "item-2", "ins_109508", "First Platypus Bank")
    rig = Rig(BASE.replace("per_day = 2", "per_day = 100").replace('"6h"', '"never"'), ITEM, other)
    await rig.watch.load()
    rig.plaid.set_accounts("item-1", checking("42.10"))
    rig.plaid.set_accounts("item-2", replace(checking("7"), account_id="acc-savings"))
    await rig.step()
    [(notifier, events)] = rig.sender.messages
    assert notifier == "phone"
    assert sorted((e.title, e.kind) for e in events) == [
        ("Low balance: checking: Plaid Checking ••0000", "firing"),
        ("Low balance: savings: Plaid Checking ••0000", "firing"),
    ]
    rig.plaid.set_accounts("item-2", replace(checking("500"), account_id="acc-savings"))
    await rig.step(hours=1)
    [_, (_, resolved)] = rig.sender.messages
    assert [(e.kind, e.title) for e in resolved] == [
        ("resolved", "Resolved: low balance: savings: Plaid Checking ••0000")
    ]
    assert [s.label for s in rig.watch.book.firing()] == ["checking: Plaid Checking ••0000"]
