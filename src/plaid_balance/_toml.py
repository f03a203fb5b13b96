"""The one TOML reader: ``tomllib`` parses, msgspec checks against typed Structs, errors name file:line:key.

The job file (``cli/jobfile.py``) and the watch config (``watch/config.py``) are both read here, so a
mistake in either is reported the same way: ``watch.toml:14: alerts[1].below: 'ten' is not an amount``.
Values are decoded by the vocabulary's own parsers (``plaid_balance._parse``: a Struct field typed
``SignedMoney``, ``Duration``, ``ItemReference``... goes through its ``decode_input``), so a file takes
exactly what the command line takes.

``tomllib`` forgets positions. Rather than a second, style-preserving parser, ``key_lines`` follows
table headers (``[a.b]``, ``[[alerts]]``) and ``key =`` lines and maps each key path to the line that
sets it; it runs only when there is an error to report, on text ``tomllib`` has already accepted.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from plaid_balance._errors import ConfigurationError
from plaid_balance._json import convert
from plaid_balance._safe_text import safe_text

T = TypeVar("T")
KeyPath = tuple[str | int, ...]

_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r"\"(?:[^\"\\]|\\.)*\"|'[^']*'"
_KEY = rf"(?:{_BARE}|{_QUOTED})(?:\s*\.\s*(?:{_BARE}|{_QUOTED}))*"
_TABLE = re.compile(rf"^\s*\[\s*({_KEY})\s*\]\s*(?:#.*)?$")
_ARRAY_TABLE = re.compile(rf"^\s*\[\[\s*({_KEY})\s*\]\]\s*(?:#.*)?$")
_ASSIGN = re.compile(rf"^\s*({_KEY})\s*=")
_PART = re.compile(rf"{_BARE}|{_QUOTED}")
_MSGSPEC = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<where>[^`]*)`)?$", re.S)
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_NOUNS = {
    "int": "a whole number",
    "str": "text",
    "bool": "true or false",
    "array": "a list",
    "object": "a table",
    "decimal": "a number",
    "float": "a number",
}


class TomlFile:
    """A TOML file's text and where it came from, for located errors."""

    def __init__(
        self,
        file: Path,
        text: str,
        error: type[ConfigurationError] = ConfigurationError,
        *,
        what: str = "TOML file",
        doc: str = "",
    ) -> None:
        """``what`` names the kind of file (``watch config``); ``doc`` is where its keys are listed."""
        self.file, self.text, self.error, self.what, self.doc = file, text, error, what, doc

    def fail(
        self, path: Sequence[str | int], problem: str, *, shown: Sequence[str | int] | None = None
    ) -> ConfigurationError:
        """``file:line: key: problem`` (the line of the key, or of its nearest ancestor in the text).

        ``shown`` names the key in the message instead of ``path`` (for a key that may be a secret).
        """
        line = locate(self.text, path) if self.text else None
        where = f"{self.file}:{line}" if line else str(self.file)
        key = dotted(path if shown is None else shown)
        return self.error(f"{where}: {key}: {problem}" if key else f"{where}: {problem}")

    def parse(self) -> dict[str, Any]:
        """The file's tables; TOML floats are exact ``Decimal``s, never binary floats."""
        try:
            return tomllib.loads(self.text, parse_float=Decimal)
        except tomllib.TOMLDecodeError as exc:
            # Python 3.11-3.13 put the position in the message only: "... (at line 3, column 7)".
            text = str(exc)
            match = re.search(r"\(at line (\d+), column \d+\)$", text)
            if match:
                raise self.error(
                    f"{self.file}:{match.group(1)}: not valid TOML: {text[: match.start()].strip()}"
                ) from None
            raise self.error(f"{self.file}: not valid TOML: {text}") from None
        except RecursionError:  # tomllib descends once per level of nesting
            raise self.error(f"{self.file}: nested too deeply to be a {self.what}") from None
        except ValueError:  # not TOMLDecodeError: Python's 4,300-digit limit on int() (CVE-2020-10735)
            raise self.error(f"{self.file}: not valid TOML: a number has more than 4,300 digits") from None

    def convert(
        self, data: Any, type_: type[T], at: KeyPath = (), choices: Mapping[str, Sequence[str]] | None = None
    ) -> T:
        """``data`` (found at key path ``at``) as ``type_``, or a located error in the file's words.

        ``choices`` lists, by key name, the values a key takes, for "'x' is not one of: a, b".
        """
        try:
            return convert(data, type_)
        except msgspec.ValidationError as exc:
            path, problem = describe(exc, data, choices or {})
            if problem == "unknown key" and self.doc:
                problem = f"unknown key (see {self.doc})"
            raise self.fail((*at, *path), problem) from None


def describe(
    error: msgspec.ValidationError, data: Any, choices: Mapping[str, Sequence[str]]
) -> tuple[KeyPath, str]:
    """msgspec's message as a key path and a problem in the words of a TOML file."""
    match = _MSGSPEC.match(str(error))
    what, where = (match.group("what"), match.group("where") or "") if match else (str(error), "")
    path: KeyPath = tuple(
        int(index) if index else name for name, index in _PATH_PART.findall(where) if name or index
    )
    field = re.search(r"`([^`]*)`", what)
    if what.startswith("Object contains unknown field") and field:
        return (*path, field.group(1)), "unknown key"
    if what.startswith("Object missing required field") and field:
        return path, f"missing key {field.group(1)!r}"
    value = _value_at(data, path)
    if what.startswith(("Invalid enum value", "Invalid value")):
        allowed = choices.get(str(path[-1]) if path else "", ())
        listed = f": {', '.join(allowed)}" if allowed else ""
        return path, f"{_shown(value)} is not one of{listed}"
    if what.startswith("Expected `"):
        expected = what.split("`")[1].replace(" | null", "")
        noun = _NOUNS.get(expected, expected)
        bound = what.split("`", 2)[2].strip() if what.count("`") >= 2 else ""
        if bound.startswith(("got", ",")):
            bound = ""
        return path, f"{_shown(value)} is not {noun}{' ' + bound if bound else ''}"
    return path, what


def _shown(value: Any) -> str:
    text = repr(value.normalize() if isinstance(value, Decimal) else value)
    return safe_text(text if len(text) <= 60 else text[:57] + "...")


def _value_at(data: Any, path: KeyPath) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _split_key(key: str) -> tuple[str, ...]:
    parts = []
    for raw in _PART.findall(key):
        if raw[0] == '"':
            parts.append(raw[1:-1].encode().decode("unicode_escape"))
        elif raw[0] == "'":
            parts.append(raw[1:-1])
        else:
            parts.append(raw)
    return tuple(parts)


def key_lines(text: str) -> dict[KeyPath, int]:
    """Every table and key path in ``text`` with the (1-based) line that opens or sets it."""
    lines: dict[KeyPath, int] = {}
    array_counts: dict[tuple[str, ...], int] = defaultdict(int)
    current: KeyPath = ()
    in_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline is not None:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        if match := _ARRAY_TABLE.match(line):
            name = _split_key(match.group(1))
            index = array_counts[name]
            array_counts[name] += 1
            current = (*name, index)
            lines.setdefault(name, number)
            lines.setdefault(current, number)
        elif match := _TABLE.match(line):
            current = _resolve_table(_split_key(match.group(1)), array_counts)
            lines.setdefault(current, number)
        elif match := _ASSIGN.match(line):
            path = (*current, *_split_key(match.group(1)))
            lines.setdefault(path, number)
            rest = line[match.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2 == 1:
                    in_multiline = quote
    return lines


def _resolve_table(name: tuple[str, ...], array_counts: dict[tuple[str, ...], int]) -> KeyPath:
    """``[alerts.x]`` after ``[[alerts]]`` belongs to the latest element of the array."""
    resolved: list[str | int] = []
    for i, part in enumerate(name):
        resolved.append(part)
        count = array_counts.get(name[: i + 1])
        if count and i < len(name) - 1:
            resolved.append(count - 1)
    return tuple(resolved)


def locate(text: str, path: Sequence[str | int]) -> int | None:
    """The line of ``path``, or of its nearest ancestor that appears in the text; None if none does."""
    lines = key_lines(text)
    key = tuple(path)
    while key:
        if key in lines:
            return lines[key]
        key = key[:-1]
    return None


def dotted(path: Sequence[str | int]) -> str:
    """``alerts[2].below``, ``items.checking.interval``: the way the error line names a key."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            shown = part if re.fullmatch(_BARE, part) else f'"{part}"'
            out += f".{shown}" if out else shown
    return out
