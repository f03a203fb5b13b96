"""The batch engine against the emulator: mixed outcomes, retries counted, limits never exceeded."""

from __future__ import annotations

import asyncio
from typing import Any

from plaid_balance.batch import BatchClient, BatchItem, BatchOptions, ItemResult
from plaid_balance.emulator import EmulatorConfig, RateLimitRule, RunningEmulator, run_emulator
from tests.batch.conftest import FAST_RETRY

BALANCE = "/accounts/balance/get"


def client_for(emu: RunningEmulator, options: BatchOptions) -> BatchClient:
    return BatchClient(
        options, client_id=emu.client_id, secret=emu.secret, base_url=emu.base_url, retry=FAST_RETRY
    )


def run(emu: RunningEmulator, items: list[BatchItem], options: BatchOptions) -> tuple[list[ItemResult], Any]:
    async def main() -> tuple[list[ItemResult], Any]:
        async with client_for(emu, options) as client, client.run(items) as batch:
            return [r async for r in batch], client.limiter

    return asyncio.run(main())


def test_mixed_success_and_failure(emu: RunningEmulator) -> None:
    created = emu.create_items(6)
    emu.reset_login(created[1][1])
    emu.set_item_faults(created[2][1], fail_next=["error"])  # one 500, then fine
    emu.set_item_faults(created[3][1], fail_next=["BALANCE_LIMIT", "error"])  # a 429 and a 500
    items = [BatchItem(t, f"L{i}", i + 2) for i, (t, _) in enumerate(created)]
    items.append(BatchItem("access-sandbox-00000000-0000-0000-0000-000000000000", "ghost", 9))
    results, limiter = run(emu, items, BatchOptions(concurrency=4, window_seconds=1.0))

    by_label = {r.label: r for r in results}
    assert len(results) == len(items) == len(by_label)
    assert by_label["L1"].error_code == "ITEM_LOGIN_REQUIRED"
    assert by_label["ghost"].error_code == "INVALID_ACCESS_TOKEN"
    assert all(by_label[f"L{i}"].success for i in (0, 2, 3, 4, 5))
    assert by_label["L2"].item_id == created[2][1]

    stats = emu.stats()
    attempts = stats["balance_attempts_by_item"]
    assert attempts[created[2][1]] == 2
    assert attempts[created[3][1]] == 3
    assert attempts[created[0][1]] == 1 and attempts[created[1][1]] == 1
    assert limiter.requests == stats["requests_by_endpoint"][BALANCE] == 10
    assert limiter.rate_limited == 1


def test_client_limit_holds_in_every_window() -> None:
    """A short window: the emulator's busiest window never sees more than the configured limit."""
    config = EmulatorConfig(
        rate_window_seconds=0.5, rate_limits={BALANCE: RateLimitRule(per_client=6, per_item=2)}
    )
    with run_emulator(config) as emu:
        created = emu.create_items(24)
        items = [BatchItem(t, None, i + 1) for i, (t, _) in enumerate(created)]
        # The first Item is listed three times: its per-Item limit (2) must hold too.
        items += [BatchItem(created[0][0], "dup", 30), BatchItem(created[0][0], "dup", 31)]
        options = BatchOptions(concurrency=8, rate_limit=6, item_rate_limit=2, window_seconds=0.5)
        results, limiter = run(emu, items, options)
        stats = emu.stats()
    assert len(results) == 26 and all(r.success for r in results)
    assert stats["balance_max_in_window"]["per_client"] <= 6
    assert stats["balance_max_in_window"]["per_item"] <= 2
    assert stats["rate_limited"] == {} and limiter.rate_limited == 0


def test_rate_limit_answers_slow_the_whole_batch() -> None:
    """We allow far more than the emulator does: its 429s must make the batch back off, not hammer."""
    config = EmulatorConfig(rate_window_seconds=0.5, rate_limits={BALANCE: RateLimitRule(per_client=4)})
    with run_emulator(config) as emu:
        created = emu.create_items(20)
        items = [BatchItem(t, None, i + 1) for i, (t, _) in enumerate(created)]
        options = BatchOptions(concurrency=10, rate_limit=100, item_rate_limit=100, window_seconds=0.5)
        slowest: list[float] = []

        async def main() -> tuple[list[ItemResult], Any]:
            async with client_for(emu, options) as client, client.run(items) as batch:
                limiter = client.limiter
                results = []
                async for r in batch:
                    slowest.append(limiter.client.factor)
                    results.append(r)
                return results, limiter

        results, limiter = asyncio.run(main())
        stats = emu.stats()
    assert limiter.rate_limited > 0
    assert limiter.client.slowdowns == limiter.rate_limited
    assert min(slowest) < 1.0  # the effective client limit was cut
    # Every Item still ends in exactly one line; the 429s were retried, not reported.
    assert len(results) == 20
    ok = sum(r.success for r in results)
    assert ok + sum(r.error_code == "RATE_LIMIT" for r in results) == 20
    assert ok >= 12
    assert stats["requests_by_endpoint"][BALANCE] == limiter.requests
    # Without the shared pause every 429 would be retried at once by 10 workers, several times each.
    assert limiter.rate_limited < 40
