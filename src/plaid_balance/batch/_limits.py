"""Rate limiting for batches: a per-client window, per-Item windows and a shared slowdown on 429.

Why a transport: the limiter sits *under* the client as an ``httpx`` transport, so every HTTP attempt
(including the retries the client makes with its one ``RetryPolicy``) must take a slot before it is
sent. The batch engine only says which Item the current task works on (``CURRENT_ITEM``).

Why not aiolimiter: its leaky bucket lets ``max_rate`` requests through at once and then keeps leaking,
so a 60 s window can see almost twice the limit. ``SlidingWindow`` is exact: a slot is held from the
moment a request is sent until ``window`` seconds after its answer arrived. Plaid received the request
somewhere in between, so no window of Plaid's can ever count more than ``limit`` of ours, whatever the
network latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from dataclasses import dataclass

import httpx

from plaid_balance._config import Environment

BALANCE_PATH = "/accounts/balance/get"
CACHED_PATH = "/accounts/get"
LIMITED_PATHS = (BALANCE_PATH, CACHED_PATH)

# The key of the Item the current task is fetching (a digest, never the token itself).
CURRENT_ITEM: ContextVar[str | None] = ContextVar("plaid_balance_batch_item", default=None)


def token_key(access_token: str) -> str:
    """The per-Item limiter's key: a digest, so that no token sits in long-lived structures or reprs."""
    return hashlib.blake2b(access_token.encode(), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class EndpointLimits:
    """Requests per window (60 s unless told otherwise) per client and per Item."""

    per_client: int
    per_item: int


# Plaid's documented limits (https://plaid.com/docs/errors/rate-limit-exceeded/).
DOCUMENTED_LIMITS: dict[tuple[Environment, str], EndpointLimits] = {
    (Environment.PRODUCTION, BALANCE_PATH): EndpointLimits(per_client=1200, per_item=5),
    (Environment.SANDBOX, BALANCE_PATH): EndpointLimits(per_client=100, per_item=25),
    (Environment.PRODUCTION, CACHED_PATH): EndpointLimits(per_client=15000, per_item=15),
    (Environment.SANDBOX, CACHED_PATH): EndpointLimits(per_client=5000, per_item=100),
}


def documented_limits(environment: Environment | str, cached: bool = False) -> EndpointLimits:
    return DOCUMENTED_LIMITS[(Environment(environment), CACHED_PATH if cached else BALANCE_PATH)]


Clock = Callable[[], float]


class SlidingWindow:
    """At most ``limit`` slots in use, a slot being busy from acquire until ``window`` after release.

    Waiters are served in FIFO order (``asyncio.Lock`` is fair), so no Item starves.
    """

    def __init__(self, limit: int, window: float, clock: Clock = time.monotonic) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._expiries: deque[float] = deque()  # sorted: releases append now + window
        self._pending = 0
        self._lock = asyncio.Lock()
        self._released = asyncio.Event()
        self._pause_until = 0.0

    def _prune(self, now: float) -> None:
        while self._expiries and self._expiries[0] <= now:
            self._expiries.popleft()

    def effective_limit(self, now: float) -> int:
        return self.limit

    def pause(self, seconds: float) -> None:
        self._pause_until = max(self._pause_until, self._clock() + seconds)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._pause_until:
                    await asyncio.sleep(self._pause_until - now)
                    continue
                self._prune(now)
                if self._pending + len(self._expiries) < self.effective_limit(now):
                    self._pending += 1
                    return
                self._released.clear()
                timeout = self._expiries[0] - now if self._expiries else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._released.wait(), timeout)

    def release(self) -> None:
        self._pending -= 1
        self._expiries.append(self._clock() + self.window)
        self._released.set()


class ClientWindow(SlidingWindow):
    """The per-client window, which also slows down when Plaid answers 429 (RATE_LIMIT_EXCEEDED).

    A 429 pauses every new request for ``window / 12`` (5 s for Plaid's minute) and halves the
    effective limit (down to a tenth); each full window without a 429 doubles it back. Other
    processes on the same keys, or a bank's own limit, are invisible to us: this is how we learn.
    """

    min_factor = 0.1

    def __init__(self, limit: int, window: float, clock: Clock = time.monotonic) -> None:
        super().__init__(limit, window, clock)
        self.factor = 1.0
        self._last_slowdown = -math.inf
        self.slowdowns = 0

    def effective_limit(self, now: float) -> int:
        while self.factor < 1.0 and now - self._last_slowdown >= self.window:
            self.factor = min(1.0, self.factor * 2)
            self._last_slowdown += self.window
        return max(1, math.floor(self.limit * self.factor))

    def slow_down(self) -> None:
        now = self._clock()
        self.slowdowns += 1
        self.factor = max(self.min_factor, self.factor / 2)
        self._last_slowdown = now
        self.pause(self.window / 12)
        self._released.set()  # wake the lock holder so it sees the pause


class _ItemWindow:
    """One Item's window, kept small (a 10,000-Item run remembers every Item seen in the last window).

    No lock: an Item's attempts come one after another from a single worker; only a token listed twice
    can make two tasks wait here at once, and then a short poll is good enough.
    """

    __slots__ = ("expiries", "pending")

    def __init__(self) -> None:
        self.expiries: list[float] = []
        self.pending = 0

    def idle(self, now: float) -> bool:
        return self.pending == 0 and all(e <= now for e in self.expiries)


class BatchLimiter:
    """The client window plus one window per Item (by key), for one endpoint."""

    _SWEEP_EVERY = 512

    def __init__(
        self, per_client: int, per_item: int, window: float = 60.0, clock: Clock = time.monotonic
    ) -> None:
        if per_item < 1:
            raise ValueError("a rate limit needs limit >= 1")
        self.client = ClientWindow(per_client, window, clock)
        self.per_item = per_item
        self.window = window
        self._clock = clock
        self._items: dict[str, _ItemWindow] = {}
        self._created = 0
        self.requests = 0
        self.rate_limited = 0

    def _item_window(self, key: str) -> _ItemWindow:
        window = self._items.get(key)
        if window is None:
            self._created += 1
            if self._created % self._SWEEP_EVERY == 0:
                # Forget Items whose window is empty, so memory follows the rate, not the file's length.
                now = self._clock()
                for old in [k for k, w in self._items.items() if w.idle(now)]:
                    del self._items[old]
            window = self._items[key] = _ItemWindow()
        return window

    def tracked_items(self) -> int:
        return len(self._items)

    async def _acquire_item(self, item: _ItemWindow) -> None:
        while True:
            now = self._clock()
            item.expiries = [e for e in item.expiries if e > now]
            if item.pending + len(item.expiries) < self.per_item:
                item.pending += 1
                return
            await asyncio.sleep(min(item.expiries) - now if item.expiries else 0.05)

    def _release_item(self, item: _ItemWindow) -> None:
        item.pending -= 1
        item.expiries.append(self._clock() + self.window)

    @contextlib.asynccontextmanager
    async def slot(self, key: str | None) -> AsyncIterator[None]:
        """Hold a client slot (and the Item's, if known) for the duration of one request."""
        item = self._item_window(key) if key is not None else None
        # The Item first: waiting for a slow per-Item window must not hold one of the client's slots.
        if item is not None:
            await self._acquire_item(item)
        try:
            await self.client.acquire()
            try:
                self.requests += 1
                yield
            finally:
                self.client.release()
        finally:
            if item is not None:
                self._release_item(item)

    def on_rate_limited(self) -> None:
        self.rate_limited += 1
        self.client.slow_down()


class LimitedTransport(httpx.AsyncBaseTransport):
    """Sends requests to each limited endpoint only through its ``BatchLimiter``; others pass through.

    ``limiters`` maps an endpoint path to its limiter. It may be given after construction
    (``BatchClient`` learns the environment, and so Plaid's documented limits, from the client this
    transport is built into); until then a request to a balance endpoint is refused, never let through.
    """

    def __init__(
        self, inner: httpx.AsyncBaseTransport, limiters: dict[str, BatchLimiter] | None = None
    ) -> None:
        self._inner = inner
        self.limiters: dict[str, BatchLimiter] = dict(limiters or {})

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        endpoint = next((p for p in LIMITED_PATHS if path.endswith(p)), None)
        if endpoint is None:
            return await self._inner.handle_async_request(request)
        limiter = self.limiters.get(endpoint)
        if limiter is None:
            raise RuntimeError(f"no rate limiter for {endpoint}")
        async with limiter.slot(CURRENT_ITEM.get()):
            response = await self._inner.handle_async_request(request)
        if response.status_code == 429:
            limiter.on_rate_limited()
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
