"""A ``plaid-balance`` command running in the background, its stderr lines kept as they come: what the
server and Link tests follow to learn a URL, a sign-in link or a verdict the command told the user."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any


class Background:
    """``python -m plaid_balance ARGS`` in the background; ``lines`` holds its stderr so far."""

    def __init__(self, args: Sequence[str], env: dict[str, str], *, stdout: int = subprocess.DEVNULL) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "plaid_balance", *args],
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self._ended = False  # stderr reached its end: no line will come any more
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def first(self, found: Callable[[str], Any], timeout: float = 60) -> Any:
        """The first true ``found(line)`` over stderr lines, waiting for more until stderr ends (every line
        the process wrote is read before giving up) or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if value := found(line):
                        return value
                left = deadline - time.monotonic()
                if left <= 0 or self._ended:
                    raise AssertionError("not found in:\n" + "\n".join(self.lines))
                self._changed.wait(left)

    def wait_until(self, done: Callable[[], bool], timeout: float = 60) -> None:
        """Wait until ``done()`` (checked as each line arrives), stderr ends, or ``timeout`` passes."""
        with self._changed:
            self._changed.wait_for(lambda: done() or self._ended, timeout=timeout)

    def join_reader(self) -> None:
        self._reader.join(timeout=5)
