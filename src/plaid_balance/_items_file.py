"""The items file: access tokens with an optional label, as CSV (with a header) or JSON lines, streamed.

A file that is neither format is a usage error found before any call is made (``ItemsFileError``). A
single bad line is not: it becomes an ``InputError`` for that line and the run goes on, so one typo does
not throw away a 10,000-Item run. No message built here ever contains an access token: lines are named
by number only, and JSON/CSV parser messages are reduced to what does not echo the input.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import os
import stat
import sys
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

from plaid_balance import _json_text as json_text
from plaid_balance._bounded import InputTooLarge, bounded_lines
from plaid_balance._errors import InvalidValue, ItemsFileError
from plaid_balance._parse import parse_access_token

InputFormat = Literal["auto", "csv", "jsonl"]
INPUT_FORMATS: tuple[InputFormat, ...] = ("auto", "csv", "jsonl")
MAX_LINE_BYTES = 1 << 20
_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One Item to fetch. ``line`` is its 1-based position in the file (its identity before ``item_id``)."""

    access_token: str = field(repr=False)
    label: str | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class InputError:
    """A line of the items file that could not be read; reported as that line's failed result."""

    line: int
    message: str
    label: str | None = None


ItemEntry = BatchItem | InputError


def _check_token(token: object, line: int, label: str | None) -> BatchItem | InputError:
    if not isinstance(token, str):
        return InputError(line, f"line {line}: access_token must be a string", label)
    try:  # the one token rule, as for a token from a file, a variable or the vault's import
        return BatchItem(parse_access_token(token), label, line)
    except InvalidValue as exc:
        return InputError(line, f"line {line}: {exc}", label)


def _clean_label(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


class ItemsParser:
    """Parses one line at a time, once the format (and, for CSV, the header) is known."""

    def __init__(self, fmt: Literal["csv", "jsonl"], token_column: int = 0, label_column: int | None = None):
        self.format = fmt
        self._token_column = token_column
        self._label_column = label_column

    @classmethod
    def detect(
        cls, first_line: str, line: int, input_format: InputFormat = "auto", name: str = "-"
    ) -> tuple[ItemsParser, ItemEntry | None]:
        """Pick the format from the option, the file name or the first non-blank line.

        Returns the parser and what the first line holds (None for a CSV header).
        """
        fmt = input_format
        if fmt == "auto":
            lowered = name.lower()
            if lowered.endswith(".csv"):
                fmt = "csv"
            elif lowered.endswith(_JSONL_SUFFIXES) or first_line.lstrip().startswith("{"):
                fmt = "jsonl"
            else:
                fmt = "csv"
        if fmt == "jsonl":
            parser = cls("jsonl")
            entry = parser.parse(line, first_line)
            if isinstance(entry, InputError) and not first_line.lstrip().startswith("{"):
                raise ItemsFileError(
                    f"items file {name}: line {line} is not a JSON object; expected JSON lines like "
                    '{"access_token": "...", "label": "..."} or CSV with an access_token,label header'
                )
            return parser, entry
        return cls._from_header(first_line, line, name), None

    @classmethod
    def _from_header(cls, text: str, line: int, name: str) -> ItemsParser:
        try:
            header = next(csv.reader([text], strict=True))
        except (csv.Error, StopIteration):
            header = []
        columns = [c.strip().lower() for c in header]
        if "access_token" not in columns:
            raise ItemsFileError(
                f"items file {name}: line {line} is not a CSV header with an access_token column "
                "(expected 'access_token,label', or JSON lines)"
            )
        if len(set(columns)) != len(columns):
            raise ItemsFileError(f"items file {name}: line {line}: duplicate column names in the CSV header")
        label = columns.index("label") if "label" in columns else None
        return cls("csv", columns.index("access_token"), label)

    def parse(self, line: int, text: str) -> ItemEntry | None:
        """One line's item, its error, or None for a blank line."""
        if not text.strip():
            return None
        if self.format == "jsonl":
            return self._parse_json(line, text)
        return self._parse_csv(line, text)

    def _parse_json(self, line: int, text: str) -> ItemEntry:
        try:
            data = json_text.loads(text)
        except json.JSONDecodeError as exc:
            # exc.msg describes the problem without quoting the line (which may hold a token).
            return InputError(line, f"line {line}: invalid JSON ({exc.msg} at column {exc.colno})")
        except RecursionError:  # the decoder descends once per level of nesting
            return InputError(line, f"line {line}: nested too deeply to be an Item")
        if not isinstance(data, dict):
            return InputError(line, f"line {line}: expected a JSON object with an access_token")
        label = data.get("label")
        if label is not None and not isinstance(label, str | int):
            return InputError(line, f"line {line}: label must be a string")
        clean = _clean_label(label)
        if "access_token" not in data:
            return InputError(line, f"line {line}: no access_token", clean)
        return _check_token(data["access_token"], line, clean)

    def _parse_csv(self, line: int, text: str) -> ItemEntry:
        try:
            row = next(csv.reader([text], strict=True))
        except csv.Error as exc:
            return InputError(line, f"line {line}: malformed CSV ({exc})")
        label = None
        if self._label_column is not None and self._label_column < len(row):
            label = _clean_label(row[self._label_column])
        if self._token_column >= len(row):
            return InputError(line, f"line {line}: no access_token column", label)
        return _check_token(row[self._token_column], line, label)


def _decode(raw: bytes, line: int) -> str | InputError:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return InputError(line, f"line {line}: not valid UTF-8")
    if line == 1:
        text = text.removeprefix("\ufeff")
    return text.rstrip("\r\n")


class ItemsReader:
    """An items source opened and checked: the format is known before the first call is made.

    Iterate it with ``async for``. Regular files (and stdin redirected from one) are read directly; pipes
    and terminals are read without blocking the event loop, so a slow producer never stalls the batch.
    """

    def __init__(
        self,
        lines: AsyncIterator[tuple[int, bytes]],
        parser: ItemsParser,
        first: ItemEntry | None,
        close: contextlib.AsyncExitStack,
        remaining: BinaryIO | None,
    ) -> None:
        self._lines = lines
        self.parser = parser
        self._first = first
        self._stack = close
        self._remaining = remaining

    @property
    def format(self) -> str:
        return self.parser.format

    async def __aiter__(self) -> AsyncIterator[ItemEntry]:
        if self._first is not None:
            yield self._first
        async for number, raw in self._lines:
            text = _decode(raw, number)
            if isinstance(text, InputError):
                yield text
                continue
            entry = self.parser.parse(number, text)
            if entry is not None:
                yield entry

    def count_unread(self) -> int | None:
        """Non-blank lines not read yet (after an interruption); None when the source is a pipe."""
        if self._remaining is None:
            return None
        try:
            return sum(1 for raw in bounded_lines(self._remaining, limit=MAX_LINE_BYTES) if raw.strip())
        except (InputTooLarge, OSError):
            return None

    async def aclose(self) -> None:
        await self._stack.aclose()

    async def __aenter__(self) -> ItemsReader:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _is_pollable(stream: BinaryIO) -> bool:
    """A pipe, terminal or socket: reading it could block for as long as the producer likes."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


async def _pipe_lines(stream: BinaryIO, stack: contextlib.AsyncExitStack) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=MAX_LINE_BYTES)
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), stream)
    stack.callback(transport.close)

    async def lines() -> AsyncIterator[bytes]:
        while True:
            try:
                raw = await reader.readline()
            except ValueError:
                raise ItemsFileError("items file -: a line is longer than 1 MiB") from None
            if not raw:
                return
            yield raw

    return lines()


async def _file_lines(stream: BinaryIO) -> AsyncIterator[bytes]:
    # Bounded as it is read: `for raw in stream` would hold all of /dev/zero's one endless line.
    try:
        for raw in bounded_lines(stream, limit=MAX_LINE_BYTES):
            yield raw
    except InputTooLarge:
        raise ItemsFileError("items file: a line is longer than 1 MiB") from None


async def _numbered(lines: AsyncIterator[bytes], start: int) -> AsyncIterator[tuple[int, bytes]]:
    number = start
    async for raw in lines:
        number += 1
        yield number, raw


async def open_items(path: str | Path, input_format: InputFormat = "auto") -> ItemsReader:
    """Open ``path`` (``-`` = stdin) and read up to its first non-blank line to learn the format.

    Raises ``ItemsFileError`` when the file cannot be read or is neither CSV nor JSON lines.
    """
    name = str(path)
    stack = contextlib.AsyncExitStack()
    try:
        if name == "-":
            stream: BinaryIO = sys.stdin.buffer
        else:
            try:
                stream = stack.enter_context(open(path, "rb"))  # noqa: ASYNC230, SIM115 - instant; closed by the reader
            except OSError as exc:
                raise ItemsFileError(f"cannot read items file {name}: {exc.strerror or exc}") from None
        pollable = name == "-" and _is_pollable(stream)
        raw_lines = await _pipe_lines(stream, stack) if pollable else _file_lines(stream)
        lines = _numbered(raw_lines, 0)
        async for number, raw in lines:
            text = _decode(raw, number)
            if isinstance(text, InputError):
                raise ItemsFileError(f"items file {name}: line {number} is not valid UTF-8")
            if text.strip():
                parser, first = ItemsParser.detect(text, number, input_format, name)
                break
        else:
            raise ItemsFileError(f"items file {name} is empty: no access tokens to fetch")
        return ItemsReader(lines, parser, first, stack, None if pollable else stream)
    except BaseException:
        await stack.aclose()
        raise


def parse_items(
    lines: Iterable[str], input_format: InputFormat = "auto", name: str = "-"
) -> Iterator[ItemEntry]:
    """Parse already-read lines (tests, small in-memory lists); same rules as the file reader."""
    parser: ItemsParser | None = None
    for number, text in enumerate(lines, start=1):
        text = text.rstrip("\r\n")
        if number == 1:
            text = text.removeprefix("\ufeff")
        if parser is None:
            if not text.strip():
                continue
            parser, first = ItemsParser.detect(text, number, input_format, name)
            if first is not None:
                yield first
            continue
        entry = parser.parse(number, text)
        if entry is not None:
            yield entry
    if parser is None:
        raise ItemsFileError(f"items file {name} is empty: no access tokens to fetch")
