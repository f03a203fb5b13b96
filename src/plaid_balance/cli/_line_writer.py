"""Whole lines to standard output from a thread of their own, for commands that stream (``batch``).

Why a thread: a slow reader on the pipe makes every write block. Written from the event loop, that
would freeze the loop, and with it the Ctrl-C handler, for as long as the reader likes. Here the loop
only queues complete lines; one thread writes them in order, each in full before the next. So a Ctrl-C
is seen at once, no line is ever cut, and what comes after the last result (the summary) is a line of
its own. The queue is bounded: when the reader is slower than the batch, the batch waits for it.

Stopping when the reader does not read: on a pipe, a line is only started once the pipe has room for
all of it (Linux tells how much the pipe holds and how much is unread), so the writer never sits in a
write it cannot finish. ``settle(grace)`` then waits at most ``grace`` seconds for the queue to go
out and drops what is left, counting it (``dropped``): the command stops within that time and every
line the reader gets is whole.

A reader that closes the pipe (``| head``) is noticed (``closed``): the command stops and exits quietly.
"""

from __future__ import annotations

import array
import asyncio
import os
import queue
import stat
import sys
import threading
from typing import TextIO

if sys.platform != "win32":  # the pipe's room and unread bytes are asked through POSIX ioctls
    import fcntl
    import termios

from plaid_balance._closing import AsyncClosing

_POLL_SECONDS = 0.02  # how often a writer waiting for room in the pipe looks again


def _pipe_capacity(stream: TextIO) -> tuple[int, int] | None:
    """(file descriptor, capacity in bytes) when ``stream`` is a pipe whose room can be asked for."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fd = stream.fileno()
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return None
        return fd, fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
    except (OSError, ValueError, AttributeError):
        return None


def _unread(fd: int) -> int:
    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count, True)
    return count[0]


class LineWriter(AsyncClosing):
    """``await write(line)`` queues one line (newline included); ``aclose()`` waits until all are out.

    ``grace`` (seconds; None: no limit) bounds how long ``aclose`` waits; ``settle`` waits for the
    lines queued so far, dropping (and counting) those still queued when its time is up.
    """

    def __init__(self, stream: TextIO, max_pending: int = 256) -> None:
        self._stream = stream
        self._queue: queue.Queue[str | None] = queue.Queue(max_pending)
        self._pipe = _pipe_capacity(stream)
        self._discard = threading.Event()  # set while lines still queued are being dropped
        self._lock = threading.Condition()
        self._waiting = 0  # write() calls waiting for room in the queue
        self._thread = threading.Thread(target=self._run, name="plaid-balance-stdout", daemon=True)
        self.closed = False  # the reader closed the pipe: nothing more can be written
        self.error: OSError | None = None  # any other failure to write
        self.dropped = 0  # lines given to write() that never went out
        self.grace: float | None = None
        self._abandoned = False  # the writer is stuck in a write that will not end: give up on it
        self._thread.start()

    async def write(self, line: str) -> None:
        if self._abandoned:
            self._drop()
            return
        try:
            self._queue.put_nowait(line)
        except queue.Full:
            with self._lock:
                self._waiting += 1
            await asyncio.to_thread(self._put_waiting, line)

    def _put_waiting(self, line: str) -> None:
        try:
            while not self._discard.is_set():
                try:
                    self._queue.put(line, timeout=_POLL_SECONDS)
                    return
                except queue.Full:
                    continue
            self._drop()
        finally:
            with self._lock:
                self._waiting -= 1
                self._lock.notify_all()

    def _no_write_waiting(self) -> None:
        with self._lock:
            self._lock.wait_for(lambda: self._waiting == 0)

    def _drop(self) -> None:
        with self._lock:
            self.dropped += 1

    def _run(self) -> None:
        while True:
            line = self._queue.get()
            try:
                if line is None:
                    return
                if self.closed or self.error is not None or not self._room_for(line):
                    self._drop()  # drain: the producer must never block on a writer that gave up
                    continue
                try:
                    self._stream.write(line)
                    self._stream.flush()
                except BrokenPipeError:
                    self.closed = True
                except OSError as exc:
                    self.error = exc
            finally:
                self._queue.task_done()

    def _room_for(self, line: str) -> bool:
        """Wait until the pipe can take the whole line; False if told to drop it first."""
        if self._discard.is_set():
            return False
        if self._pipe is None:
            return True
        fd, capacity = self._pipe
        size = len(line.encode("utf-8", "backslashreplace"))
        if size > capacity:
            return True  # cannot fit at once however empty: written as the reader takes it
        while True:
            try:
                if capacity - _unread(fd) >= size:
                    return True
            except OSError:
                return True
            if self._discard.wait(_POLL_SECONDS):
                return False

    async def settle(self, grace: float | None = None) -> int:
        """Wait until every line queued is out; after ``grace`` seconds, drop the ones left (and any
        ``write`` still waiting). Returns how many lines have been dropped in all."""
        if self._abandoned or await asyncio.to_thread(self._join_within, grace):
            return self.dropped
        self._discard.set()  # the writer drops instead of waiting for room, and so do waiting writes
        drained = await asyncio.to_thread(self._join_within, grace)
        await asyncio.to_thread(self._no_write_waiting)
        if drained:  # a line put just as the dropping began is dropped too
            drained = await asyncio.to_thread(self._join_within, grace)
        if drained:
            self._discard.clear()
        else:
            # Stuck in a write (where the pipe's room cannot be asked for): whatever is queued will
            # not go out. Every later line is dropped at once, and the process may end.
            self._abandoned = True
            with self._lock:
                self.dropped += self._queue.unfinished_tasks
        return self.dropped

    def _join_within(self, seconds: float | None) -> bool:
        """Wait until every queued line is handled (written or dropped); False after ``seconds``."""
        done = self._queue.all_tasks_done
        with done:
            return done.wait_for(lambda: self._queue.unfinished_tasks == 0, seconds)

    async def aclose(self) -> None:
        """Write what is queued (within ``grace``), then stop the thread."""
        if not self._thread.is_alive():
            return
        await self.settle(self.grace)
        if self._abandoned:
            return
        self._queue.put(None)  # the queue is empty now: never blocks
        await asyncio.to_thread(self._thread.join, self.grace)
