"""What the command writes passes through here: redacted, whole lines, and quiet on a closed pipe.

``install()`` (called once by ``main``) replaces ``sys.stdout`` and ``sys.stderr`` with
``RedactingStream``s, so click, rich, ``print`` and tracebacks alike go through one door:

- every secret ``plaid_balance._redact`` knows of, or recognises, is masked;
- text is passed on in whole lines (a partial line waits for its newline or a flush), and a Ctrl-C that
  arrives while a line is being written is held until the line is out, so a reader never gets half a
  line, even from a slow pipe; a second Ctrl-C is not held (the user insists);
- characters the terminal's encoding cannot show are escaped instead of raising.

A closed pipe (``plaid-balance history | head``) surfaces as ``BrokenPipeError``, which ``main`` turns
into the documented quiet exit; ``silence_stdout()`` then keeps the interpreter's final flush quiet.
"""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, TextIO

from plaid_balance._redact import redact


@contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Hold a first Ctrl-C until the block is done, then raise it; a second one raises at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:
        # Someone else handles Ctrl-C (asyncio's loop, a test harness) and their handler does not
        # interrupt a write half-way: leave it in place.
        yield
        return
    pending: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        if pending:
            raise KeyboardInterrupt
        pending.append(signum)

    signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pending:
        raise KeyboardInterrupt


class RedactingStream(io.TextIOBase):
    """A text stream in front of ``sys.stdout``/``sys.stderr``: redacts and writes whole lines."""

    def __init__(self, stream: TextIO, name: str = "") -> None:
        super().__init__()
        self._stream = stream
        self.name = name
        self._partial = ""
        self._lock = threading.RLock()
        self.pipe_closed = False

    @property
    def wrapped(self) -> TextIO:
        """The real stream, for output that is meant to be a secret (``sandbox-token`` prints a token)."""
        return self._stream

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._stream.encoding or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        errors: str | None = self._stream.errors
        return errors

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            if "\n" not in text:
                self._partial += text
                return len(text)
            lines, _, rest = (self._partial + text).rpartition("\n")
            self._partial = rest
            self._emit(lines + "\n")
        return len(text)

    def flush(self) -> None:
        with self._lock:
            if self._partial:
                text, self._partial = self._partial, ""
                self._emit(text)
            else:
                self._stream.flush()

    def _emit(self, text: str) -> None:
        try:
            with _ctrl_c_held():
                self._stream.write(redact(text))
                self._stream.flush()
        except BrokenPipeError:
            self.pipe_closed = True
            raise

    def __getattr__(self, name: str) -> Any:
        # Anything else (line_buffering, name, ...) as the real stream has it; never its .buffer,
        # which would let bytes bypass the redaction.
        if name == "buffer":
            raise AttributeError(name)
        return getattr(self._stream, name)


_INSTALLED: list[RedactingStream] = []  # the process's two doors, kept to ask how stdout ended


def install() -> None:
    """Route ``sys.stdout`` and ``sys.stderr`` through ``RedactingStream`` (idempotent)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or isinstance(stream, RedactingStream):
            continue
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            # A terminal in a legacy encoding gets escapes, never a UnicodeEncodeError.
            reconfigure(errors="backslashreplace")
        door = RedactingStream(stream, name)
        _INSTALLED[:] = [d for d in _INSTALLED if d.name != name] + [door]
        setattr(sys, name, door)


def stdout_closed() -> bool:
    """Whether the reader closed stdout (click catches that error itself and would call it exit 1)."""
    return any(stream.pipe_closed for stream in _INSTALLED if stream.name == "stdout")


def write_secret(text: str) -> None:
    """Write text that is meant to carry a secret (a token the user asked for) to the real stdout."""
    stream = sys.stdout
    real = stream.wrapped if isinstance(stream, RedactingStream) else stream
    stream.flush()
    real.write(text)
    real.flush()


def silence_stdout() -> None:
    """After the reader closed the pipe: send what is left to /dev/null so the exit stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ else 1)
        os.close(devnull)
    except (OSError, ValueError):
        pass
    for door in _INSTALLED:
        door._partial = ""
