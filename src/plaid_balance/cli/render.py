"""Reports as text for the command line: JSON (the contract), CSV (one row per account), a rich table.

JSON numbers keep their exact decimal value: money is written from ``Decimal``, never through a float.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Final

import msgspec
from rich.table import Table

from plaid_balance._csv import csv_text
from plaid_balance._json import dumps
from plaid_balance._money import money_text
from plaid_balance._report import BalanceReport, CurrencyTotals, FailureReport
from plaid_balance._safe_text import safe_text
from plaid_balance.cli.text import cell

CSV_COLUMNS = (
    "item_id",
    "institution_id",
    "account_id",
    "name",
    "official_name",
    "type",
    "subtype",
    "mask",
    "current_balance",
    "available_balance",
    "limit",
    "currency",
    "last_updated_datetime",
    "retrieved_at",
    "source",
)


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def to_json(value: Any, *, indent: int | None = 2) -> str:
    """A report, decision or summary as JSON text (indented for people by default)."""
    return dumps(value, indent=indent)


def dumps_line(value: Any) -> str:
    """One compact JSON document on one line (NDJSON)."""
    return dumps(value, indent=None)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _iso(value)
    return str(value)


def csv_rows(report: BalanceReport) -> list[list[str]]:
    rows = []
    for account in report.accounts:
        values = {
            **msgspec.structs.asdict(account),
            "item_id": report.item_id,
            "institution_id": report.institution_id,
            "retrieved_at": report.retrieved_at,
            "source": report.source,
        }
        rows.append([_cell(values[c]) for c in CSV_COLUMNS])
    return rows


def to_csv(report: BalanceReport, *, header: bool = True) -> str:
    rows = csv_rows(report)
    return csv_text([CSV_COLUMNS, *rows] if header else rows)


def money(value: Decimal | None, currency: str | None = None) -> str:
    if value is None:
        return "—"

    text = money_text(value)
    return f"{text} {currency}" if currency else text


def aligned_money(values: list[Decimal | None]) -> list[str]:
    """``money`` for a column: padded on the right so the decimal points line up when right-justified."""
    texts = [money(v) for v in values]
    decimals = [len(t) - t.index(".") - 1 if "." in t else 0 for t in texts]
    widest = max(decimals, default=0)
    # A whole number or "—" stands where the point would be, then the blank decimals.
    return [
        t + " " * (widest - d + (1 if widest and not d else 0)) for t, d in zip(texts, decimals, strict=True)
    ]


def balance_table(report: BalanceReport, width: int = 80, alias: str | None = None) -> Any:
    """A rich ``Table`` of the accounts with per-currency totals as the footer, fitted to ``width``.

    Bank data is shown literally (``cli.text.cell``). Amounts are never cut and their decimal points line
    up; names and types give way first (ending in "…"), and a table whose amounts alone are wider than
    ``width`` is printed wider rather than cut.
    """

    currencies = sorted({a.currency or "—" for a in report.accounts})
    single = currencies[0] if len(currencies) == 1 else None
    title = f"{report.institution_name or report.institution_id or 'Item'} · {report.item_id}"
    if alias:
        title = f"{alias} · {title}"  # the name the user types: a title wraps, never cuts it
    caption = f"{report.source} balances · {report.environment} · retrieved {_iso(report.retrieved_at)}"
    if report.age_seconds is not None:
        caption += f" · {report.age_seconds:.0f}s old"
    if single:
        caption += f" · all amounts in {single}"
    caption += " · credit and loan balances are amounts owed"

    totals = list(report.totals.items())
    columns = {
        "Current": [a.current_balance for a in report.accounts]
        + [v for _, t in totals for v in (t.assets, t.liabilities, t.net)],
        "Available": [a.available_balance for a in report.accounts] + [None] * (3 * len(totals)),
        "Limit": [a.limit for a in report.accounts] + [None] * (3 * len(totals)),
    }
    shown = {heading: aligned_money(values) for heading, values in columns.items()}
    amount_widths = {h: max([len(h), *map(len, texts)]) for h, texts in shown.items()}
    kinds = [a.subtype or a.type or "" for a in report.accounts]
    kind_width = min(max([4, *map(len, kinds)]), 12)
    mask_width = max([4, *(len(a.mask or "") for a in report.accounts)])
    currency_width = 0 if single else max(4, *map(len, currencies))
    # Three characters of border and padding per column, one more for the outer edge.
    fixed = sum(amount_widths.values()) + kind_width + mask_width + currency_width
    count = 6 if single else 7
    name_width = max(8, width - fixed - 3 * count - 1)

    # min_width: what the amounts need whole; the printer widens its console to it rather than cut them.
    table = Table(title=cell(title), caption=cell(caption), min_width=fixed + 8 + 3 * count + 1)
    table.add_column("Account", no_wrap=True, overflow="ellipsis", max_width=name_width)
    table.add_column("Type", no_wrap=True, overflow="ellipsis", max_width=kind_width)
    table.add_column("Mask", no_wrap=True, min_width=mask_width)
    for heading, column_width in amount_widths.items():
        table.add_column(heading, justify="right", no_wrap=True, min_width=column_width)
    if not single:
        table.add_column("Cur.", no_wrap=True, min_width=currency_width)

    def row(*cells: Any, currency: str | None = None) -> None:
        table.add_row(*cells, *([] if single else [cell(currency or "—")]))

    n = len(report.accounts)
    for i, a in enumerate(report.accounts):
        owed = "red" if a.is_liability and a.current_balance is not None else ""
        row(
            cell(a.name),
            cell(kinds[i]),
            cell(a.mask or "—"),
            cell(shown["Current"][i], owed),
            cell(shown["Available"][i]),
            cell(shown["Limit"][i]),
            currency=a.currency,
        )
    for j, (code, _) in enumerate(totals):
        table.add_section()
        for k, (label, style) in enumerate((("Assets", ""), ("Liabilities", "red"), ("Net", "bold"))):
            row(
                cell(label, "bold"),
                "",
                "",
                cell(shown["Current"][n + 3 * j + k], style),
                "",
                "",
                currency=code,
            )
    return table


def combined_table(totals: dict[str, CurrencyTotals], answered: int, asked: int) -> Any:
    """The totals per currency across several Items' reports: assets, liabilities and net, one row per
    currency (never added across currencies); the caption says how many Items they cover."""

    codes = list(totals)
    columns = {
        "Assets": aligned_money([totals[c].assets for c in codes]),
        "Liabilities": aligned_money([totals[c].liabilities for c in codes]),
        "Net": aligned_money([totals[c].net for c in codes]),
    }
    missing = f" ({asked - answered} failed: not counted)" if answered < asked else ""
    table = Table(
        title="All Items: totals per currency",
        caption=f"{answered} of {asked} Items{missing} · never added across currencies",
    )
    table.add_column("Currency", no_wrap=True)
    for heading in columns:
        table.add_column(heading, justify="right", no_wrap=True)
    for i, code in enumerate(codes):
        table.add_row(
            cell(code),
            cell(columns["Assets"][i]),
            cell(columns["Liabilities"][i], "red"),
            cell(columns["Net"][i], "bold"),
        )
    return table


# Item states that only the account holder can fix, by logging in again through Link's update mode.
REPAIR_CODES: Final = frozenset({"ITEM_LOGIN_REQUIRED", "PENDING_EXPIRATION", "PENDING_DISCONNECT"})


def repair_hint(error_code: str, alias: str | None = None) -> str:
    """The command that repairs an Item in this state (empty when logging in again would not help)."""
    if error_code not in REPAIR_CODES:
        return ""
    target = alias if alias else "ALIAS"
    where = "" if alias else " (the Item's alias: plaid-balance items list)"
    return f" — repair it in place with: plaid-balance link --update {target}{where}"


def failure_line(report: FailureReport, alias: str | None = None) -> str:
    """The one-line human summary of a failure, for stderr; names the repair command when there is one."""
    retry = " (temporary: try again later)" if report.error.retryable else ""
    # Plaid's message is outside text: one line, nothing a terminal would act on.
    summary = safe_text(report.error.summary())
    return f"error: {summary}{retry}{repair_hint(report.error.error_code, alias)}"
