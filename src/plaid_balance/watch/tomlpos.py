"""Where a key sits in a TOML file, so that config errors can name the line.

``tomllib`` parses exactly but forgets positions. Rather than a second, style-preserving parser for the
whole file, this scanner follows table headers (``[a.b]``, ``[[alerts]]``) and ``key =`` lines and maps
each key path to the line that sets it; it runs only when there is an error to report, on text that
``tomllib`` has already accepted.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

Path = tuple[str | int, ...]

_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r"\"(?:[^\"\\]|\\.)*\"|'[^']*'"
_KEY = rf"(?:{_BARE}|{_QUOTED})(?:\s*\.\s*(?:{_BARE}|{_QUOTED}))*"
_TABLE = re.compile(rf"^\s*\[\s*({_KEY})\s*\]\s*(?:#.*)?$")
_ARRAY_TABLE = re.compile(rf"^\s*\[\[\s*({_KEY})\s*\]\]\s*(?:#.*)?$")
_ASSIGN = re.compile(rf"^\s*({_KEY})\s*=")
_PART = re.compile(rf"{_BARE}|{_QUOTED}")


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


def key_lines(text: str) -> dict[Path, int]:
    """Every table and key path in ``text`` with the (1-based) line that opens or sets it."""
    lines: dict[Path, int] = {}
    array_counts: dict[tuple[str, ...], int] = defaultdict(int)
    current: Path = ()
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


def _resolve_table(name: tuple[str, ...], array_counts: dict[tuple[str, ...], int]) -> Path:
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
