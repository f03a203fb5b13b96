"""The batch engine with a mock transport: one result per Item, bounded memory, limits on every attempt."""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from plaid_balance._client import AsyncPlaidClient
from plaid_balance.batch.items import BatchItem, InputError
from plaid_balance.batch.limits import SlidingWindow
from plaid_balance.batch.runner import (
    BatchCounters,
    BatchOptions,
    ItemResult,
    limiter_of,
    make_batch_client,
    run_batch,
    run_batch_summary,
    run_batch_sync,
)
from tests.batch.conftest import FAST_RETRY

CREDS: dict[str, Any] = {"client_id": "cid", "secret": "sec", "base_url": "http://127.0.0.1:9"}


def accounts_body(item_id: str, amount: str = "100.10", currency: str = "USD") -> bytes:
    return json.dumps(
        {
            "accounts": [
                {
                    "account_id": f"{item_id}-a",
                    "balances": {
                        "available": None,
                        "current": amount,
                        "iso_currency_code": currency,
                        "limit": None,
                        "unofficial_currency_code": None,
                    },
                    "mask": "0000",
                    "name": "Checking",
                    "official_name": None,
                    "subtype": "checking",
                    "type": "depository",
                }
            ],
            "item": {"item_id": item_id, "institution_id": "ins_1"},
            "request_id": "req",
        }
    ).encode()


def error_body(status: int, error_type: str, code: str) -> httpx.Response:
    body = {
        "error_type": error_type,
        "error_code": code,
        "error_message": "no",
        "display_message": None,
        "request_id": "r",
    }
    return httpx.Response(status, json=body)


def handler(request: httpx.Request) -> httpx.Response:
    token = json.loads(request.content)["access_token"]
    if token.startswith("bad"):
        return error_body(400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")
    currency = "EUR" if token.startswith("eur") else "USD"
    return httpx.Response(200, content=accounts_body(f"item-{token.upper()}", "100.10", currency))


def collect(
    items: Any, options: BatchOptions, transport: httpx.AsyncBaseTransport, **kw: Any
) -> list[ItemResult]:
    async def main() -> list[ItemResult]:
        async with make_batch_client(options, transport=transport, retry=FAST_RETRY, **CREDS) as client:
            return [r async for r in run_batch(items, client, options, **kw)]

    return asyncio.run(main())


def test_one_result_per_item_with_label_and_line() -> None:
    items = [BatchItem("tok1", "one", 2), InputError(3, "line 3: broken"), BatchItem("bad", "b", 4), "eur"]
    results = collect(items, BatchOptions(concurrency=3), httpx.MockTransport(handler))
    by_line = {r.line: r for r in results}
    assert len(results) == 4 and sorted(by_line) == [2, 3, 4]
    ok = next(r for r in results if r.label == "one")
    assert ok.success and ok.item_id == "item-TOK1"
    line = ok.to_dict()
    assert line["label"] == "one" and line["line"] == 2 and line["success"] is True
    assert list(line)[:6] == [
        "success",
        "item_id",
        "institution_id",
        "accounts",
        "total_balance",
        "account_count",
    ]
    bad = next(r for r in results if r.label == "b")
    assert bad.error_code == "INVALID_ACCESS_TOKEN" and bad.to_dict()["error"]["http_status"] == 400
    malformed = next(r for r in results if r.line == 3)
    assert malformed.is_input_error and malformed.error_code == "MALFORMED_LINE"
    assert "tok1" not in json.dumps([r.to_dict() for r in results], default=str)


def test_summary_totals_per_currency_exact() -> None:
    summary = run_batch_sync(
        ["a", "b", "eur1", "bad"],
        BatchOptions(concurrency=2),
        transport=httpx.MockTransport(handler),
        retry=FAST_RETRY,
        **CREDS,
    )
    data = summary.to_dict()
    assert (data["ok"], data["failed"], data["errors_by_code"]) == (3, 1, {"INVALID_ACCESS_TOKEN": 1})
    assert str(data["totals"]["USD"]["assets"]) == "200.20"
    assert str(data["totals"]["EUR"]["net"]) == "100.10"


def test_retries_pass_through_the_limiters_and_still_one_line() -> None:
    attempts: dict[str, int] = {}

    def flaky(request: httpx.Request) -> httpx.Response:
        token = json.loads(request.content)["access_token"]
        attempts[token] = attempts.get(token, 0) + 1
        if attempts[token] == 1:
            return error_body(500, "API_ERROR", "INTERNAL_SERVER_ERROR")
        if attempts[token] == 2 and token == "t1":
            return error_body(429, "RATE_LIMIT_EXCEEDED", "ACCOUNTS_BALANCE_GET_LIMIT")
        return handler(request)

    options = BatchOptions(concurrency=2, rate_limit=1000, window_seconds=1.0)

    async def main() -> tuple[list[ItemResult], int, int]:
        async with make_batch_client(
            options, transport=httpx.MockTransport(flaky), retry=FAST_RETRY, **CREDS
        ) as c:
            results = [r async for r in run_batch(["t1", "t2", "t3"], c, options)]
            limiter = limiter_of(c)
            return results, limiter.requests, limiter.rate_limited

    results, requests, rate_limited = asyncio.run(main())
    assert len(results) == 3 and all(r.success for r in results)
    assert requests == sum(attempts.values()) == 7
    assert rate_limited == 1


def test_run_batch_refuses_an_unlimited_client() -> None:
    async def main() -> None:
        async with AsyncPlaidClient(transport=httpx.MockTransport(handler), **CREDS) as client:
            async for _ in run_batch(["t"], client):
                pass

    with pytest.raises(ValueError, match="make_batch_client"):
        asyncio.run(main())


def test_on_result_hook_sync_and_async() -> None:
    seen: list[int] = []

    async def hook(result: ItemResult) -> None:
        seen.append(result.line)

    results = collect(["a", "b", "c"], BatchOptions(), httpx.MockTransport(handler), on_result=hook)
    assert sorted(seen) == [1, 2, 3] and len(results) == 3
    summary = run_batch_sync(
        ["a"], on_result=lambda r: seen.append(-r.line), transport=httpx.MockTransport(handler), **CREDS
    )
    assert summary.ok == 1 and -1 in seen


def test_hook_error_stops_the_run() -> None:
    def hook(result: ItemResult) -> None:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError, match="database down"):
        collect(["a", "b"], BatchOptions(), httpx.MockTransport(handler), on_result=hook)


def test_memory_is_bounded_on_a_long_stream() -> None:
    """Items streamed: read-ahead stays within the queues and the heap does not grow with N."""
    n = 4_000
    options = BatchOptions(concurrency=8, rate_limit=10**9, item_rate_limit=10**9)
    counters = BatchCounters()
    bound = 2 * options.concurrency + options.concurrency + 2 * options.concurrency + 1
    max_ahead = 0
    body = accounts_body("item-x")

    async def fast(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body)

    def generated() -> Iterator[BatchItem]:
        for i in range(n):
            yield BatchItem(f"tok{i}", f"label {i}", i + 2)

    async def main() -> int:
        nonlocal max_ahead
        done = 0
        async with make_batch_client(options, transport=httpx.MockTransport(fast), **CREDS) as client:
            async for _ in run_batch(generated(), client, options, counters=counters):
                done += 1
                max_ahead = max(max_ahead, counters.read - done)
                if done == 500:
                    tracemalloc.start()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            assert limiter_of(client).tracked_items() <= n
        assert done == n
        return peak

    peak = asyncio.run(main())
    assert max_ahead <= bound
    # Holding 3,500 results would take over 10 MB; streaming keeps the peak small.
    assert peak < 4 * 1024 * 1024, peak


def test_cancelling_stops_in_flight_requests() -> None:
    in_flight: list[int] = []
    all_started = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        in_flight.append(1)
        if len(in_flight) == 4:
            all_started.set()
        try:
            await asyncio.sleep(30)
        finally:
            in_flight.pop()
        return httpx.Response(200, content=accounts_body("x"))

    async def main() -> int:
        async with make_batch_client(
            BatchOptions(concurrency=4), transport=httpx.MockTransport(slow), **CREDS
        ) as c:
            gen = run_batch([f"t{i}" for i in range(20)], c, BatchOptions(concurrency=4))

            async def first() -> ItemResult:
                return await anext(gen)

            task = asyncio.create_task(first())
            await asyncio.wait_for(all_started.wait(), 10)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await gen.aclose()
            return len(in_flight)

    assert asyncio.run(main()) == 0


def test_sliding_window_never_exceeds_limit_in_any_window() -> None:
    """Each slot: from acquire until `window` after release. Check every window against the log."""
    limit, window = 3, 0.2
    log: list[tuple[float, float]] = []

    async def one(w: SlidingWindow) -> None:
        loop = asyncio.get_running_loop()
        await w.acquire()
        start = loop.time()
        await asyncio.sleep(0.01)
        log.append((start, loop.time()))
        w.release()

    async def main() -> None:
        w = SlidingWindow(limit, window)
        await asyncio.gather(*(one(w) for _ in range(12)))

    asyncio.run(main())
    starts = sorted(s for s, _ in log)
    for i, s in enumerate(starts):
        assert sum(1 for t in starts[i:] if t < s + window) <= limit


async def _agen(values: list[str]) -> AsyncIterator[str]:
    for v in values:
        yield v


def test_async_iterable_items() -> None:
    results = collect(_agen(["a", "b"]), BatchOptions(), httpx.MockTransport(handler))
    assert sorted(r.line for r in results) == [1, 2]


def test_options_validation() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        BatchOptions(concurrency=0)
    with pytest.raises(ValueError, match="cached"):
        BatchOptions(cached=True, min_last_updated_datetime=__import__("datetime").datetime.now())


def test_run_batch_summary_counts_requests() -> None:
    async def main() -> dict[str, Any]:
        async with make_batch_client(transport=httpx.MockTransport(handler), **CREDS) as client:
            return (await run_batch_summary(["a", "bad"], client)).to_dict()

    data = asyncio.run(main())
    assert data["requests"] == 2 and data["ok"] == 1 and data["failed"] == 1
