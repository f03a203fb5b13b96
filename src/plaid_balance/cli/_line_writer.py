"""Whole lines to standard output from a thread of their own, for commands that stream (``batch``).

Why a thread: a slow reader on the pipe makes every write block. Written from the event loop, that
would freeze the loop, and with it the Ctrl-C handler, for as long as the reader likes. Here the loop
only queues complete lines; one thread writes them in order, each in full before the next. So a Ctrl-C
is seen at once, no line is ever cut, and what comes after the last result (the summary) is a line of
its own. The queue is bounded: when the reader is slower than the batch, the batch waits for it.

A reader that closes the pipe (``| head``) is noticed (``closed``): the command stops and exits quietly.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from types import TracebackType
from typing import Self, TextIO


class LineWriter:
    """``await write(line)`` queues one line (newline included); ``aclose()`` waits until all are out."""

    def __init__(self, stream: TextIO, max_pending: int = 256) -> None:
        self._stream = stream
        self._queue: queue.Queue[str | None] = queue.Queue(max_pending)
        self._thread = threading.Thread(target=self._run, name="plaid-balance-stdout", daemon=True)
        self.closed = False  # the reader closed the pipe: nothing more can be written
        self.error: OSError | None = None  # any other failure to write
        self._thread.start()

    async def write(self, line: str) -> None:
        try:
            self._queue.put_nowait(line)
        except queue.Full:
            await asyncio.to_thread(self._queue.put, line)

    def _run(self) -> None:
        while (line := self._queue.get()) is not None:
            if self.closed or self.error is not None:
                continue  # drain: the producer must never block on a writer that gave up
            try:
                self._stream.write(line)
                self._stream.flush()
            except BrokenPipeError:
                self.closed = True
            except OSError as exc:
                self.error = exc

    async def aclose(self) -> None:
        """Write what is queued, then stop the thread."""
        if self._thread.is_alive():
            await asyncio.to_thread(self._queue.put, None)
            await asyncio.to_thread(self._thread.join)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
