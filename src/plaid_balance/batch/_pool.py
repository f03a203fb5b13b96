"""The batch's connection pool: one keep-alive connection per request in flight, checked out whole.

Why not httpx's own pool: httpcore re-examines every connection of the pool when a request starts and
again when its response is closed (an expiry check that asks the socket whether it is readable). That is
O(pool size) per request, and at 25 connections it was about a third of the CPU a batch spends per Item
(see docs/decisions.md). A batch never needs the pool's sharing: each worker sends one request at a time.
So this pool is a set of *lanes*, each an ordinary httpx transport limited to one connection; a request
takes an idle lane (the most recently used first, so connections stay warm), and gives it back once its
answer has been read. Every lane check is O(1), and everything else (HTTP/1.1, TLS, timeouts, keep-alive
expiry, reconnecting a dropped connection) is still httpx's.
"""

from __future__ import annotations

import asyncio
import ssl

import httpx


def _ssl_context_for(url: httpx.URL) -> ssl.SSLContext:
    """The TLS context all lanes share: built once, and with the CA bundle only when it will be used."""
    if url.scheme == "https":
        return httpx.create_ssl_context()
    # Plain http (the emulator on loopback): no handshake ever happens, so the CA bundle is not loaded.
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class LanePool(httpx.AsyncBaseTransport):
    """Up to ``size`` single-connection lanes, opened as needed; a request waits when all are busy."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a connection pool needs at least one connection")
        self.size = size
        self._lanes: list[httpx.AsyncHTTPTransport] = []
        self._idle: list[httpx.AsyncHTTPTransport] = []
        self._free = asyncio.Semaphore(size)
        self._ssl: ssl.SSLContext | None = None

    @property
    def open_lanes(self) -> int:
        """Lanes opened so far (each holds at most one connection)."""
        return len(self._lanes)

    def _open_lane(self, url: httpx.URL) -> httpx.AsyncHTTPTransport:
        if self._ssl is None:
            self._ssl = _ssl_context_for(url)
        one = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        lane = httpx.AsyncHTTPTransport(verify=self._ssl, limits=one)
        self._lanes.append(lane)
        return lane

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._free.acquire()
        # Fewer busy requests than `size` are possible only with an idle or a not yet opened lane.
        lane = self._idle.pop() if self._idle else self._open_lane(request.url)
        try:
            response = await lane.handle_async_request(request)
            stream = response.stream
            assert isinstance(stream, httpx.AsyncByteStream)
            try:
                # Plaid's answers are small JSON documents, read whole anyway: reading the body here
                # hands the lane back as soon as the answer is in, with no stream wrapper per chunk.
                body = b"".join([chunk async for chunk in stream])
            finally:
                await stream.aclose()
        finally:
            self._idle.append(lane)
            self._free.release()
        # The raw bytes (still content-encoded, if they were): httpx decodes them once, as usual.
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, extensions=response.extensions
        )

    async def aclose(self) -> None:
        await asyncio.gather(*(lane.aclose() for lane in self._lanes), return_exceptions=True)
