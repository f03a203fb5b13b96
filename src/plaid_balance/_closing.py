"""Resources used in a ``with`` block: leaving the block closes them.

One definition of the context-manager protocol for the library's resources (the clients, the history
store, the batch client): each says how it closes (``close`` / ``aclose``) and nothing else.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Closing:
    """``with resource:`` closes it on the way out, whatever happened inside."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncClosing:
    """``async with resource:`` closes it on the way out, whatever happened inside."""

    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
