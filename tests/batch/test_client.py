"""``BatchClient`` with a mock transport: one result per Item, limits on every attempt, the run's summary."""

from __future__ import annotations

import asyncio
import json
import threading
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from plaid_balance._json import encode
from plaid_balance._report import Report
from plaid_balance.batch import (
    BatchClient,
    BatchItem,
    BatchOptions,
    BatchOptionsError,
    InputError,
    ItemResult,
    run_batch_sync,
)
from plaid_balance.batch._limits import SlidingWindow
from tests.batch.conftest import FAST_RETRY
from tests.plaid_fakes import account, balance_body, plaid_error

CREDS: dict[str, Any] = {"client_id": "cid", "secret": "sec", "base_url": "http://127.0.0.1:9"}


def answer_for(token: str, amount: str = "100.10", currency: str = "USD") -> httpx.Response:
    body = balance_body(account("acc-1", current=amount, available=None, currency=currency))
    body["item"]["item_id"] = f"item-{token.upper()}"
    # Encoded with msgspec so that Decimal amounts travel as JSON numbers, digit for digit.
    return httpx.Response(200, content=encode(body), headers={"content-type": "application/json"})


def handler(request: httpx.Request) -> httpx.Response:
    token = json.loads(request.content)["access_token"]
    if token.startswith("bad"):
        return httpx.Response(400, json=plaid_error("INVALID_INPUT", "INVALID_ACCESS_TOKEN"))
    return answer_for(token, "100.10", "EUR" if token.startswith("eur") else "USD")


def collect(items: Any, options: BatchOptions, transport: httpx.AsyncBaseTransport) -> list[ItemResult]:
    async def main() -> list[ItemResult]:
        client = BatchClient(options, transport=transport, retry=FAST_RETRY, **CREDS)
        async with client, client.run(items) as run:
            return [r async for r in run]

    return asyncio.run(main())


def test_one_result_per_item_with_label_and_line() -> None:
    items = [BatchItem("tok1", "one", 2), InputError(3, "line 3: broken"), BatchItem("bad", "b", 4), "eur"]
    results = collect(items, BatchOptions(concurrency=3), httpx.MockTransport(handler))
    by_line = {r.line: r for r in results}
    assert len(results) == 4 and sorted(by_line) == [2, 3, 4]
    ok = next(r for r in results if r.label == "one")
    assert ok.success and ok.item_id == "item-TOK1"
    line = json.loads(ok.to_json())
    assert line == json.loads(encode(ok.to_dict()))
    assert line["label"] == "one" and line["line"] == 2 and line["success"] is True
    assert list(line)[:6] == [
        "success",
        "item_id",
        "institution_id",
        "accounts",
        "total_balance",
        "account_count",
    ]
    assert list(line)[-2:] == ["label", "line"]
    bad = next(r for r in results if r.label == "b")
    assert (
        bad.error_code == "INVALID_ACCESS_TOKEN" and json.loads(bad.to_json())["error"]["http_status"] == 400
    )
    malformed = next(r for r in results if r.line == 3)
    assert malformed.is_input_error and malformed.error_code == "MALFORMED_LINE"
    assert all(b"tok1" not in r.to_json() for r in results)


def test_run_batch_returns_the_summary_with_exact_totals_per_currency() -> None:
    summary = run_batch_sync(
        ["a", "b", "eur1", "bad"],
        BatchOptions(concurrency=2),
        transport=httpx.MockTransport(handler),
        retry=FAST_RETRY,
        **CREDS,
    )
    data = json.loads(summary.to_json())
    assert (data["ok"], data["failed"], data["errors_by_code"]) == (3, 1, {"INVALID_ACCESS_TOKEN": 1})
    assert data["requests"] == 4 and data["interrupted"] is False and data["not_done"] == 0
    assert str(summary.totals["USD"].assets) == "200.20"
    assert str(summary.totals["EUR"].net) == "100.10"


def test_every_attempt_passes_the_limiter_retries_included() -> None:
    attempts: dict[str, int] = {}

    def flaky(request: httpx.Request) -> httpx.Response:
        token = json.loads(request.content)["access_token"]
        attempts[token] = attempts.get(token, 0) + 1
        if attempts[token] == 1:
            return httpx.Response(500, json=plaid_error("API_ERROR", "INTERNAL_SERVER_ERROR"))
        if attempts[token] == 2 and token == "t1":
            return httpx.Response(429, json=plaid_error("RATE_LIMIT_EXCEEDED", "ACCOUNTS_BALANCE_GET_LIMIT"))
        return handler(request)

    options = BatchOptions(concurrency=2, rate_limit=1000, window_seconds=1.0)

    async def main() -> tuple[list[ItemResult], Any]:
        async with BatchClient(options, transport=httpx.MockTransport(flaky), retry=FAST_RETRY, **CREDS) as c:
            async with c.run(["t1", "t2", "t3"]) as run:
                results = [r async for r in run]
            return results, run.summary

    results, summary = asyncio.run(main())
    assert len(results) == 3 and all(r.success for r in results)
    assert summary.requests == sum(attempts.values()) == 7
    assert summary.rate_limited == 1


@pytest.mark.parametrize(("cached", "path"), [(False, "/accounts/balance/get"), (True, "/accounts/get")])
def test_the_options_pick_the_endpoint_and_their_limits_apply_to_it(cached: bool, path: str) -> None:
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return handler(request)

    options = BatchOptions(cached=cached, rate_limit=2, window_seconds=60.0)
    results = collect(["a", "b"], options, httpx.MockTransport(record))
    assert seen == [path, path]
    assert {r.report.source for r in results} == {"cached" if cached else "realtime"}  # type: ignore[union-attr]

    async def third_waits() -> bool:
        async with BatchClient(options, transport=httpx.MockTransport(record), **CREDS) as client:
            await client.fetch("c1")
            await client.fetch("c2")
            try:
                await asyncio.wait_for(client.fetch("c3"), 0.3)
            except TimeoutError:
                return True  # the window is full: the limiter holds the third request
            return False

    assert asyncio.run(third_waits())


def test_no_balance_call_of_the_client_bypasses_a_limiter() -> None:
    """A fetch that picks the other endpoint, or a call made on the client underneath, is limited too."""
    options = BatchOptions(cached=False)

    async def main() -> dict[str, int]:
        async with BatchClient(options, transport=httpx.MockTransport(handler), **CREDS) as client:
            await client.fetch("a")
            await client.fetch("b", cached=True)
            await client.plaid.accounts_get("c")
            await client.plaid.accounts_balance_get("d")
            return {path: limiter.requests for path, limiter in client.limiters.items()}

    assert asyncio.run(main()) == {"/accounts/balance/get": 2, "/accounts/get": 2}


def test_on_result_hook_sync_and_async_and_its_error_stops_the_run() -> None:
    seen: list[int] = []

    async def hook(result: ItemResult) -> None:
        seen.append(result.line)

    async def main() -> None:
        async with BatchClient(transport=httpx.MockTransport(handler), **CREDS) as client:
            summary = await client.run_batch(["a", "b", "c"], on_result=hook)
            assert summary.ok == 3

            def broken(result: ItemResult) -> None:
                raise RuntimeError("database down")

            with pytest.raises(RuntimeError, match="database down"):
                await client.run_batch(["a", "b"], on_result=broken)

    asyncio.run(main())
    assert sorted(seen) == [1, 2, 3]
    summary = run_batch_sync(
        ["a"], on_result=lambda r: seen.append(-r.line), transport=httpx.MockTransport(handler), **CREDS
    )
    assert summary.ok == 1 and -1 in seen


def test_memory_is_bounded_on_a_long_stream() -> None:
    """Items streamed: read-ahead stays within the queues and the heap does not grow with N."""
    n = 4_000
    options = BatchOptions(concurrency=8, rate_limit=10**9, item_rate_limit=10**9)
    bound = 2 * options.concurrency + options.concurrency + 2 * options.concurrency + 1
    max_ahead = 0
    body = answer_for("x").content

    async def fast(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body)

    def generated() -> Iterator[BatchItem]:
        for i in range(n):
            yield BatchItem(f"tok{i}", f"label {i}", i + 2)

    async def main() -> int:
        nonlocal max_ahead
        done = 0
        async with BatchClient(options, transport=httpx.MockTransport(fast), **CREDS) as client:
            async with client.run(generated()) as run:
                async for _ in run:
                    done += 1
                    max_ahead = max(max_ahead, run.read - done)
                    if done == 500:
                        tracemalloc.start()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            assert client.limiter.tracked_items() <= n
        assert done == n and run.summary.ok == n
        return peak

    peak = asyncio.run(main())
    assert max_ahead <= bound
    # Holding 3,500 results would take over 10 MB; streaming keeps the peak small.
    assert peak < 4 * 1024 * 1024, peak


def test_leaving_a_run_early_cancels_calls_and_counts_what_was_not_done() -> None:
    in_flight: list[int] = []
    all_started = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        token = json.loads(request.content)["access_token"]
        if token == "t0":
            return answer_for(token)
        in_flight.append(1)
        if len(in_flight) == 4:
            all_started.set()
        try:
            await asyncio.sleep(30)
        finally:
            in_flight.pop()
        return answer_for(token)

    async def main() -> Any:
        async with BatchClient(
            BatchOptions(concurrency=4), transport=httpx.MockTransport(slow), **CREDS
        ) as c:
            async with c.run([f"t{i}" for i in range(20)]) as run:
                first = await anext(run)
                await asyncio.wait_for(all_started.wait(), 10)
            assert first.success
            return run.summary, len(in_flight)

    summary, left = asyncio.run(main())
    assert left == 0
    assert summary.interrupted and summary.ok == 1
    assert summary.not_done == 19 and summary.not_done_exact


def test_history_runs_on_a_thread_of_its_own_one_call_at_a_time() -> None:
    loop_thread: list[threading.Thread] = []
    threads: set[str] = set()
    busy = threading.Lock()
    overlaps = 0
    stored: dict[str, Report] = {}

    class History:
        def _enter(self) -> None:
            nonlocal overlaps
            threads.add(threading.current_thread().name)
            if not busy.acquire(blocking=False):
                overlaps += 1
            else:
                busy.release()

        def recall(self, access_token: str) -> Report | None:
            self._enter()
            return stored.get(access_token)

        def remember(self, access_token: str, report: Report) -> None:
            self._enter()
            with busy:
                stored[access_token] = report

    async def main() -> list[ItemResult]:
        loop_thread.append(threading.current_thread())
        async with BatchClient(
            BatchOptions(concurrency=5), transport=httpx.MockTransport(handler), **CREDS
        ) as c:
            first = await c.run_batch([f"t{i}" for i in range(10)], history=History())
            assert first.ok == 10 and first.requests == 10
            async with c.run(["t1", "t2"], history=History()) as run:
                return [r async for r in run]

    results = asyncio.run(main())
    assert loop_thread[0].name not in threads and threads
    assert overlaps == 0
    assert len(results) == 2


def test_a_single_fetch_goes_through_the_same_limits() -> None:
    async def main() -> tuple[Report, int]:
        async with BatchClient(transport=httpx.MockTransport(handler), **CREDS) as client:
            report = await client.fetch("solo")
            return report, client.limiter.requests

    report, requests = asyncio.run(main())
    assert report.success and requests == 1


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


def test_a_floor_in_the_future_is_refused_when_the_client_is_built() -> None:
    future = datetime.now(UTC) + timedelta(days=1)
    with pytest.raises(BatchOptionsError, match="in the future"):
        BatchClient(BatchOptions(min_last_updated_datetime=future), **CREDS)
    naive = datetime(2026, 1, 1)
    with pytest.raises(BatchOptionsError, match="timezone"):
        BatchOptions(min_last_updated_datetime=naive)
