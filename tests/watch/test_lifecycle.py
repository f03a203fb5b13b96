"""Stopping cleanly with a refresh in flight, reloading on SIGHUP, and logs without secrets."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

import pytest

from plaid_balance.watch.logs import Redactor, WatchFormatter
from plaid_balance.watch.runner import _reload
from tests.watch.test_service import BASE, Rig

pytestmark = pytest.mark.anyio


class SlowBalance:
    """Holds the balance call until released, as a slow bank does."""

    def __init__(self, rig: Rig) -> None:
        self.release = asyncio.Event()
        self.entered = asyncio.Event()
        self.inner = rig.plaid.balance
        rig.plaid.balance = self  # type: ignore[method-assign]

    async def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.entered.set()
        await self.release.wait()
        return await self.inner(*args, **kwargs)


async def test_stop_lets_a_refresh_in_flight_finish_and_write_it() -> None:
    rig = Rig()
    slow = SlowBalance(rig)
    await rig.watch.load()
    await rig.watch.tick()
    await slow.entered.wait()
    stopping = asyncio.create_task(rig.watch.stop(grace=30))
    await asyncio.sleep(0)
    assert not stopping.done()
    slow.release.set()
    await stopping
    assert [r.source for r in rig.history.saved] == ["realtime"]
    assert rig.watch.ledger.billed[("item-1", "D2026-11-25")] == 1
    await rig.watch.tick()  # stopped: nothing new starts
    await rig.watch.settle()
    assert rig.plaid.calls["/accounts/balance/get"] == 1


async def test_stop_past_the_grace_abandons_the_refresh_without_writing_half() -> None:
    rig = Rig()
    slow = SlowBalance(rig)
    await rig.watch.load()
    await rig.watch.tick()
    await slow.entered.wait()
    await rig.watch.stop(grace=0)
    assert rig.history.saved == []
    assert rig.watch.ledger.billed[("item-1", "D2026-11-25")] == 0
    assert rig.watch.state.items["item-1"].last_refresh is None


async def test_sighup_with_a_broken_config_keeps_the_running_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rig = Rig()
    path = tmp_path / "watch.toml"
    path.write_text(BASE.replace('interval = "1h"', 'interval = "1x"'))
    running = rig.watch.config
    with caplog.at_level(logging.ERROR, "plaid_balance.watch"):
        await _reload(rig.watch, path, lambda: [])
    assert rig.watch.config is running
    assert f"config not reloaded, the running one stays in force: {path}:2: watch.interval:" in caplog.text
    path.write_text(BASE.replace('interval = "1h"', 'interval = "2h"'))
    await _reload(rig.watch, path, lambda: [])
    assert rig.watch.config.schedule.describe() == "every 2h"


def test_logs_mask_tokens_and_secrets() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    secret = "sandbox-secret-canary-123456"
    handler.setFormatter(WatchFormatter(Redactor([secret]), as_json=True))
    logger = logging.getLogger("test.watch.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    logger.error(
        "oops access-sandbox-0f3c2a9e-1111-2222-3333-444455556666 %s",
        secret,
        extra={"fields": {"url": f"https://user:{secret}@example.com", "alias": "checking"}},
    )
    line = stream.getvalue()
    assert secret not in line and "0f3c2a9e" not in line
    assert "access-sandbox-***" in line and '"alias": "checking"' in line


async def test_the_real_loop_refreshes_then_rests() -> None:
    """With the system clock: the loop starts the due refresh, then sleeps instead of spinning."""
    from plaid_balance.watch.clock import SystemClock

    rig = Rig()
    rig.watch.clock = SystemClock()
    rig.watch.outbox.clock = rig.watch.clock
    await rig.watch.load()
    ticks = 0
    inner = rig.watch.tick

    async def counting_tick():  # type: ignore[no-untyped-def]
        nonlocal ticks
        ticks += 1
        return await inner()

    rig.watch.tick = counting_tick  # type: ignore[method-assign]
    loop = asyncio.create_task(rig.watch.run())
    for _ in range(200):
        if rig.plaid.calls["/accounts/balance/get"]:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    await rig.watch.stop()
    loop.cancel()
    assert rig.plaid.calls["/accounts/balance/get"] == 1
    assert ticks <= 4  # one pass to start the refresh, one when it ends; then asleep
