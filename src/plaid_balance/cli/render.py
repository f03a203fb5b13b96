"""Reports as text for the command line: JSON (the contract), CSV (one row per account), a rich table.

JSON numbers keep their exact decimal value: money is written from ``Decimal``, never through a float.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from plaid_balance._json import dumps
from plaid_balance._report import BalanceReport, FailureReport

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
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(report))
    return buffer.getvalue()


def money(value: Decimal | None, currency: str | None = None) -> str:
    if value is None:
        return "—"
    text = f"{value:,.2f}" if value == value.quantize(Decimal("0.01")) else f"{value:,}"
    return f"{text} {currency}" if currency else text


def balance_table(report: BalanceReport) -> Any:
    """A rich ``Table`` of the accounts with per-currency totals as the footer."""
    from rich.table import Table

    currencies = sorted({a.currency or "—" for a in report.accounts})
    single = currencies[0] if len(currencies) == 1 else None
    title = f"{report.institution_name or report.institution_id or 'Item'} · {report.item_id}"
    caption = f"{report.source} balances · {report.environment} · retrieved {_iso(report.retrieved_at)}"
    if report.age_seconds is not None:
        caption += f" · {report.age_seconds:.0f}s old"
    if single:
        caption += f" · all amounts in {single}"
    caption += " · credit and loan balances are amounts owed"
    table = Table(title=title, caption=caption)
    table.add_column("Account", overflow="fold")
    table.add_column("Type", overflow="fold")
    table.add_column("Mask")
    for heading in ("Current", "Available", "Limit"):
        table.add_column(heading, justify="right", no_wrap=True)
    if not single:
        table.add_column("Cur.")

    def row(*cells: str, currency: str | None = None) -> None:
        table.add_row(*cells, *([] if single else [currency or "—"]))

    for a in report.accounts:
        current = money(a.current_balance)
        if a.is_liability and a.current_balance is not None:
            current = f"[red]{current}[/red]"
        row(
            a.name,
            a.subtype or a.type,
            a.mask or "—",
            current,
            money(a.available_balance),
            money(a.limit),
            currency=a.currency,
        )
    for code, totals in report.totals.items():
        table.add_section()
        row("[bold]Assets[/bold]", code, "", money(totals.assets), "", "", currency=code)
        row(
            "[bold]Liabilities[/bold]",
            code,
            "",
            f"[red]{money(totals.liabilities)}[/red]",
            "",
            "",
            currency=code,
        )
        row("[bold]Net[/bold]", code, "", f"[bold]{money(totals.net)}[/bold]", "", "", currency=code)
    return table


def failure_line(report: FailureReport) -> str:
    """The one-line human summary of a failure, for stderr."""
    retry = " (temporary: try again later)" if report.error.retryable else ""
    return f"error: {report.error.summary()}{retry}"
