"""The batch's connection pool: one connection per request in flight, lanes always given back."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from plaid_balance.batch._pool import LanePool
from plaid_balance.emulator import RunningEmulator


def test_requests_share_at_most_size_connections(emu: RunningEmulator) -> None:
    pool = LanePool(3)

    async def main() -> list[int]:
        async with httpx.AsyncClient(base_url=emu.base_url, transport=pool) as client:
            answers = await asyncio.gather(*(client.get("/__emulator/health") for _ in range(20)))
            again = await asyncio.gather(*(client.get("/__emulator/health") for _ in range(20)))
            return [a.status_code for a in answers + again]

    assert set(asyncio.run(main())) == {200}
    assert pool.open_lanes == 3


def test_a_failed_request_gives_its_lane_back() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens there
    pool = LanePool(1)

    async def main() -> int:
        failures = 0
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", transport=pool) as client:
            for _ in range(4):  # with a leaked lane, the second request would wait forever
                with pytest.raises(httpx.ConnectError):
                    await asyncio.wait_for(client.get("/"), 10)
                failures += 1
        return failures

    assert asyncio.run(main()) == 4


def test_a_pool_needs_a_lane() -> None:
    with pytest.raises(ValueError, match="at least one"):
        LanePool(0)
