"""``history`` output for people and spreadsheets: one table that fits 80 columns, and one CSV.

The table has one row per account (latest balance, change over the range, a sparkline of the series,
when last seen), grouped by institution, then per currency assets, liabilities and net. With one account
selected it lists that account's points instead. Every amount is printed digit for digit, decimal points
aligned; names from banks are shown literally (no markup, no terminal escapes).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, localcontext
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from plaid_balance._csv import csv_text
from plaid_balance._money import EXACT, money_text
from plaid_balance._safe_text import safe_text
from plaid_balance.history.series import History

CSV_COLUMNS = (
    "kind",
    "at",
    "currency",
    "item_id",
    "institution_id",
    "account_id",
    "name",
    "mask",
    "type",
    "subtype",
    "current_balance",
    "available_balance",
    "limit",
    "assets",
    "liabilities",
    "net",
    "snapshot_id",
)
SPARKS = "▁▂▃▄▅▆▇█"
TREND_POINTS = 10
MIN_NAME_WIDTH = 16


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _text(value: object) -> str:
    return "" if value is None else str(value)


def history_to_csv(history: History) -> str:
    """One CSV: ``kind=account`` rows (one per account per snapshot), then ``kind=total`` rows."""
    return csv_text([CSV_COLUMNS, *_history_rows(history)])


def _history_rows(history: History) -> Iterator[list[object]]:
    for s in history.accounts:
        for p in s.points:
            a = p.account
            row: dict[str, object] = {
                "kind": "account",
                "at": iso(p.at),
                "currency": a.currency,
                "item_id": s.item_id,
                "institution_id": s.institution_id,
                "account_id": a.account_id,
                "name": a.name,
                "mask": a.mask,
                "type": a.type,
                "subtype": a.subtype,
                "current_balance": a.current_balance,
                "available_balance": a.available_balance,
                "limit": a.limit,
                "snapshot_id": p.snapshot_id,
            }
            yield [row.get(c) for c in CSV_COLUMNS]
    for code, points in history.totals.items():
        for t in points:
            row = {
                "kind": "total",
                "at": iso(t.at),
                "currency": code,
                "assets": t.assets,
                "liabilities": t.liabilities,
                "net": t.net,
            }
            yield [row.get(c) for c in CSV_COLUMNS]


def literal(value: object) -> str:
    """Text from a bank, a file or the user, safe for a terminal: control characters shown escaped."""
    return "" if value is None else safe_text(value)


def money(value: Decimal | None, *, signed: bool = False) -> str:
    """Exact digits with thousands separators; two decimals only when that changes no digit."""
    if value is None:
        return "—"
    text = money_text(value)
    return f"+{text}" if signed and value > 0 else text


def aligned(cells: Sequence[str]) -> list[str]:
    """Pad on the right so the decimal points line up when the column is right-justified."""

    def fraction(cell: str) -> int:
        return len(cell) - cell.index(".") if "." in cell else 0

    width = max((fraction(c) for c in cells), default=0)
    padded = [c + " " * (width - (0 if c in {"—", ""} else fraction(c))) if c else c for c in cells]
    # Every cell the same length, so the column can be left-justified without trimming the padding.
    size = max(map(len, padded), default=0)
    return [c.rjust(size) for c in padded]


def sparkline(values: Sequence[Decimal | None]) -> str:
    """The last few points as ▁▂▃▄▅▆▇█ (floats for drawing only; the amounts are printed exactly)."""
    numbers = [float(v) for v in values[-TREND_POINTS:] if v is not None]
    if not numbers:
        return ""
    low, high = min(numbers), max(numbers)
    if high == low:
        return SPARKS[3] * len(numbers)
    return "".join(SPARKS[round((n - low) / (high - low) * (len(SPARKS) - 1))] for n in numbers)


def _when_format(history: History) -> str:
    times = [p.at for s in history.accounts for p in s.points]
    return "%m-%d %H:%M" if times and min(times).year == max(times).year else "%Y-%m-%d"


def history_table(history: History, *, width: int = 80, item_aliases: Mapping[str, str] | None = None) -> Any:
    """One rich ``Table``: a row per account, then per currency assets, liabilities and net.

    Accounts are grouped under their Item: its alias in the vault, which is
    never cut, and its institution (``item_aliases``: item_id → alias)."""
    if len(history.accounts) == 1:
        return _points_table(history)

    fmt = _when_format(history)
    rows: list[tuple[Text, str, str, str, str, str]] = []
    names: dict[str, set[str]] = {}
    for s in history.accounts:
        names.setdefault(literal(s.institution_name or s.institution_id or s.item_id), set()).add(s.item_id)
    aliases = {item_id: literal(alias) for item_id, alias in (item_aliases or {}).items()}
    name_floor = max([MIN_NAME_WIDTH, *(len(aliases.get(s.item_id, "")) for s in history.accounts)])
    group = None
    for s in history.accounts:
        institution = literal(s.institution_name or s.institution_id or s.item_id)
        if s.item_id in aliases:  # the name the user types first: the institution gives way
            institution = f"{aliases[s.item_id]} · {institution}"
        elif len(names[institution]) > 1:  # two Items at one bank: tell them apart
            institution = f"{institution} · {literal(s.item_id)}"
        if institution != group:
            group = institution
            rows.append((Text(institution, style="bold"), "", "", "", "", ""))
        first, last = s.points[0].account.current_balance, s.latest.current_balance
        with localcontext(EXACT):
            change = None if first is None or last is None else last - first
        owed = " (owed)" if s.latest.is_liability else ""
        rows.append(
            (
                Text(f"  {literal(s.label)}{owed}"),
                literal(s.latest.currency or "—"),
                money(last),
                money(change, signed=True),
                sparkline([p.account.current_balance for p in s.points]),
                s.points[-1].at.strftime(fmt),
            )
        )
    labels = {"assets": "Assets", "liabilities": "Liabilities (owed)", "net": "Net"}
    for code, points in history.totals.items():
        for field, label in labels.items():
            series = [getattr(t, field) for t in points]
            with localcontext(EXACT):
                change = series[-1] - series[0]
            style = "bold" if field == "net" else ""
            rows.append(
                (
                    Text(label, style=style),
                    literal(code),
                    money(series[-1]),
                    money(change, signed=True),
                    sparkline(series),
                    points[-1].at.strftime(fmt),
                )
            )
    cells = {
        "Cur": [r[1] for r in rows],
        "Latest": aligned([r[2] if r[1] else "" for r in rows]),
        "Change": aligned([r[3] if r[1] else "" for r in rows]),
        "Trend": [r[4] for r in rows],
        "Seen": [r[5] for r in rows],
    }
    sizes = {h: max(len(h), *map(len, column)) for h, column in cells.items()}

    def room() -> int:  # what the name may use: each column costs its width plus two cells of padding
        return width - 2 - sum(sizes[h] + 2 for h in sizes)

    # The name takes what the figures leave; the sparkline, then the time, give way first.
    for optional in ("Trend", "Seen"):
        if room() >= name_floor:
            break
        del sizes[optional]
    first_t, last_t = _span(history)
    table = Table(
        title=f"Balance history · {history.snapshot_count} snapshots · {first_t} → {last_t}",
        caption="Change over the range shown · liabilities are amounts owed · times UTC",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        expand=True,
        width=max(width, name_floor + 2 + sum(sizes[h] + 2 for h in sizes)),
    )
    table.add_column("Account", overflow="ellipsis", no_wrap=True, ratio=1, min_width=name_floor)
    right = {"Latest", "Change"}
    for heading, size in sizes.items():
        # Amount cells are pre-aligned on the decimal point; right-justified as whole blocks.
        table.add_column(heading.rjust(size) if heading in right else heading, no_wrap=True, width=size)
    totals_start = len(rows) - 3 * len(history.totals)
    for index, row in enumerate(rows):
        values = [cells[h][index].rjust(sizes[h]) if h in right else cells[h][index] for h in sizes]
        table.add_row(row[0], *map(Text, values), end_section=index == totals_start - 1)
    return table


def _points_table(history: History) -> Any:
    """One account: its balance at each snapshot."""
    [s] = history.accounts
    latest = s.latest
    owed = " (owed)" if latest.is_liability else ""
    current = aligned([money(p.account.current_balance) for p in s.points])
    available = aligned([money(p.account.available_balance) for p in s.points])
    limit = aligned([money(p.account.limit) for p in s.points])
    institution = literal(s.institution_name or s.institution_id or s.item_id)
    table = Table(
        title=f"{literal(s.label)} · {institution} · {literal(latest.currency or '—')}",
        caption=(
            f"{literal(latest.type)}/{literal(latest.subtype or '—')} · account {literal(s.account_id)}"
            " · times UTC"
        ),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("Retrieved", no_wrap=True)
    table.add_column("Current" + owed, justify="right", no_wrap=True)
    table.add_column("Available", justify="right", no_wrap=True)
    table.add_column("Limit", justify="right", no_wrap=True)
    for p, c, a, lim in zip(s.points, current, available, limit, strict=True):
        table.add_row(Text(p.at.strftime("%Y-%m-%d %H:%M:%S")), Text(c), Text(a), Text(lim))
    return table


def _span(history: History) -> tuple[str, str]:
    times = [p.at for s in history.accounts for p in s.points]
    if not times:
        return "—", "—"
    return min(times).strftime("%Y-%m-%d %H:%M"), max(times).strftime("%Y-%m-%d %H:%M UTC")
