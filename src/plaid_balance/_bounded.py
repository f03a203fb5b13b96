"""Reading input with a bound: the one way files, devices, pipes and stdin are read.

A file's size says nothing about what reading it gives: ``/dev/zero``, ``/proc`` files, a FIFO or stdin
report 0 (or anything) and never end. So the bound is on the bytes actually read: at most ``limit``
plus one, to tell "exactly at the limit" from "beyond it"; ``st_size`` is never consulted. Callers turn
``InputTooLarge`` into their own one-line error (docs/security.md, "Bounds").
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import BinaryIO, Final

KIB: Final = 1 << 10
MIB: Final = 1 << 20


class InputTooLarge(ValueError):
    """More than ``limit`` bytes (a file), or a line longer than ``limit`` bytes (a stream of lines)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"larger than {describe_size(limit)}")


def describe_size(limit: int) -> str:
    """``64 KiB``, ``1 MiB``: a limit as people read it."""
    if limit >= MIB and limit % MIB == 0:
        return f"{limit // MIB} MiB"
    if limit >= KIB and limit % KIB == 0:
        return f"{limit // KIB} KiB"
    return f"{limit} bytes"


def read_bounded(source: str | os.PathLike[str], *, limit: int) -> bytes:
    """The bytes of ``source`` (``"-"``: stdin), or ``InputTooLarge`` once more than ``limit`` arrive.

    Raises:
        InputTooLarge: the input holds more than ``limit`` bytes.
        OSError: it cannot be opened or read.
    """
    if os.fspath(source) == "-":
        stdin = getattr(sys.stdin, "buffer", None)  # a test's StringIO has none
        if stdin is None:
            data = sys.stdin.read(limit + 1).encode("utf-8", "surrogateescape")
        else:
            data = stdin.read(limit + 1)
    else:
        with open(source, "rb") as handle:
            data = handle.read(limit + 1)
    if len(data) > limit:
        raise InputTooLarge(limit)
    return data


def bounded_lines(stream: BinaryIO, *, limit: int) -> Iterator[bytes]:
    """The lines of ``stream`` (with their ``\\n``), each read with at most ``limit`` + 1 bytes held.

    Raises:
        InputTooLarge: a line is longer than ``limit`` bytes (``/dev/zero`` has one endless line).
    """
    while True:
        raw = stream.readline(limit + 1)
        if not raw:
            return
        if len(raw) > limit and not (len(raw) == limit + 1 and raw.endswith(b"\n")):
            raise InputTooLarge(limit)
        yield raw
