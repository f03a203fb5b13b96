"""Reading access tokens that other tools (or older plaid-balance set-ups) keep, for ``items import``.

Three sources: the batch items file (CSV ``access_token,alias`` or ``access_token,label``, or JSON
lines; the alias, else the label, becomes the alias; an ``item_id`` is checked against the token's;
any other column is named in a warning, never silently dropped), plaid-cli's data folder (``data/tokens.json`` maps item_id → token, ``data/aliases.json`` alias →
item_id), and a ``.env`` file (every variable whose value is an ``access-…`` token; the alias comes from
the variable's name). Nothing here prints a token: a bad entry is reported by where it is, not by what
it holds.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from dotenv import dotenv_values

from plaid_balance import _json_text as json_text
from plaid_balance._bounded import InputTooLarge, read_bounded
from plaid_balance._errors import ImportSourceError, InvalidValue, ItemsFileError
from plaid_balance._items_file import BatchItem, parse_items
from plaid_balance._parse import parse_access_token
from plaid_balance._secret import SecretStr

ImportFormat = Literal["auto", "csv", "jsonl", "env", "plaid-cli"]
MAX_FILE_BYTES = 64 << 20


@dataclass(frozen=True, slots=True)
class ImportEntry:
    """One token to import; ``where`` says where it came from (never what it is)."""

    where: str
    access_token: SecretStr = field(repr=False)
    alias: str | None = None
    item_id: str | None = None


@dataclass(frozen=True, slots=True)
class ImportProblem:
    where: str
    message: str


@dataclass(frozen=True, slots=True)
class ImportWarning:
    """Something in the source that was not used (an unknown column): said, and the import goes on."""

    where: str
    message: str


ImportLine = ImportEntry | ImportProblem | ImportWarning
# The columns (CSV) or keys (JSON lines) of an items file that import reads.
ITEMS_FILE_COLUMNS: tuple[str, ...] = ("access_token", "alias", "label", "item_id")


def _token(value: object, where: str) -> SecretStr | ImportProblem:
    """The one access-token rule (``_parse.parse_access_token``), as every other input reads tokens."""
    try:
        if not isinstance(value, str):
            raise InvalidValue("not text")
        return SecretStr(parse_access_token(value))
    except InvalidValue:
        return ImportProblem(where, "not an access token (expected one word like access-sandbox-…)")


def detect_format(path: Path) -> ImportFormat:
    if path.is_dir():
        return "plaid-cli"
    name = path.name.lower()
    if name == ".env" or name.endswith(".env") or name.startswith(".env."):
        return "env"
    return "jsonl" if name.endswith((".jsonl", ".ndjson", ".json")) else "csv"


def read_import(path: Path, fmt: ImportFormat = "auto") -> list[ImportLine]:
    """Every token in ``path`` (or a problem for each entry that holds none)."""
    chosen = detect_format(path) if fmt == "auto" else fmt
    if chosen == "plaid-cli":
        return _plaid_cli(path)
    text = _read_text(path)
    if chosen == "env":
        return _dotenv(path, text)
    return _items_file(path, text, "jsonl" if chosen == "jsonl" else "csv")


def _read_text(path: Path) -> str:
    try:
        return read_bounded(path, limit=MAX_FILE_BYTES).decode("utf-8")
    except InputTooLarge:
        raise ImportSourceError(
            f"{path} is larger than {MAX_FILE_BYTES >> 20} MiB: not a token file"
        ) from None
    except UnicodeDecodeError:
        raise ImportSourceError(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise ImportSourceError(f"cannot read {path}: {exc.strerror or exc}") from None


def _items_file(path: Path, text: str, fmt: Literal["csv", "jsonl"]) -> list[ImportLine]:
    rows = text.splitlines()
    lines: list[ImportLine] = []
    extra = _extra_fields(rows, fmt)
    unknown = sorted({name for fields in extra.values() for name in fields if name not in ITEMS_FILE_COLUMNS})
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        lines.append(
            ImportWarning(
                path.name,
                f"ignored unknown {'column' if fmt == 'csv' else 'key'}{'s' if len(unknown) > 1 else ''} "
                f"{names} (import reads {', '.join(ITEMS_FILE_COLUMNS)})",
            )
        )
    try:
        for entry in parse_items(rows, fmt, str(path)):
            where = f"{path.name} line {entry.line}"
            if isinstance(entry, BatchItem):
                token = _token(entry.access_token, where)
                fields = extra.get(entry.line, {})
                alias = _text(fields.get("alias")) or entry.label
                item_id = _text(fields.get("item_id"))
                lines.append(
                    token if isinstance(token, ImportProblem) else ImportEntry(where, token, alias, item_id)
                )
            else:
                # the reader's message starts with its own "line N: "; ``where`` says that already
                lines.append(ImportProblem(where, entry.message.removeprefix(f"line {entry.line}: ")))
    except ItemsFileError as exc:
        raise ImportSourceError(str(exc)) from None
    return lines


def _text(value: object) -> str | None:
    text = str(value).strip() if isinstance(value, str | int) else ""
    return text or None


def _extra_fields(rows: list[str], fmt: Literal["csv", "jsonl"]) -> dict[int, dict[str, object]]:
    """Each data line's fields by its 1-based number (the batch parser reads the token and label; the
    alias, the item_id and the names of the fields nobody reads come from here). A line that does not
    parse is left to the batch parser to report."""
    found: dict[int, dict[str, object]] = {}
    header: list[str] | None = None
    for number, raw in enumerate(rows, start=1):
        row = raw.removeprefix("\ufeff") if number == 1 else raw
        if not row.strip():
            continue
        if fmt == "jsonl":
            try:
                data = json_text.loads(row)
            except ValueError:
                continue
            if isinstance(data, dict):
                found[number] = {str(k).strip().lower(): v for k, v in data.items()}
            continue
        try:
            cells = next(csv.reader([row], strict=True))
        except (csv.Error, StopIteration):
            continue
        if header is None:
            header = [c.strip().lower() for c in cells]
            found[number] = dict.fromkeys(header)
            continue
        found[number] = dict(zip(header, cells, strict=False))
    return found


def alias_from_variable(name: str) -> str | None:
    """``PLAID_ACCESS_TOKEN_CHASE`` → ``chase``; ``AMEX_TOKEN`` → ``amex``; ``PLAID_ACCESS_TOKEN`` → None."""
    words = [w for w in name.lower().split("_") if w]
    noise = {"plaid", "access", "token", "tokens", "item"}
    kept = [w for w in words if w not in noise]
    return "-".join(kept) or None


def _dotenv(path: Path, text: str) -> list[ImportLine]:
    values = dotenv_values(stream=io.StringIO(text))
    lines: list[ImportLine] = []
    for name, value in values.items():
        if value is None or not value.strip().lower().startswith("access-"):
            continue  # not a token: credentials and settings are left alone
        where = f"{path.name} ${name}"
        token = _token(value, where)
        lines.append(
            token
            if isinstance(token, ImportProblem)
            else ImportEntry(where, token, alias_from_variable(name))
        )
    if not lines:
        raise ImportSourceError(f"{path} holds no access tokens (variables whose value starts with access-)")
    return lines


def _json_object(path: Path) -> dict[str, object]:
    try:
        value = json_text.loads(_read_text(path) or "{}")
    except (json.JSONDecodeError, RecursionError):
        raise ImportSourceError(f"{path} is not JSON") from None
    if not isinstance(value, dict):
        raise ImportSourceError(f"{path} is not a JSON object")
    return value


def _plaid_cli(folder: Path) -> list[ImportLine]:
    data = folder / "data" if (folder / "data").is_dir() else folder
    tokens_file = data / "tokens.json"
    if not tokens_file.is_file():
        raise ImportSourceError(f"{folder} is not a plaid-cli data folder (no data/tokens.json)")
    tokens = _json_object(tokens_file)
    aliases_file = data / "aliases.json"
    aliases = _json_object(aliases_file) if aliases_file.is_file() else {}
    alias_of = {str(item): str(alias) for alias, item in aliases.items()}
    lines: list[ImportLine] = []
    for item_id, value in tokens.items():
        where = f"plaid-cli Item {item_id}"
        token = _token(value, where)
        if isinstance(token, ImportProblem):
            lines.append(token)
        else:
            lines.append(ImportEntry(where, token, alias_of.get(item_id), item_id))
    return lines
