"""Reports as text for the command line: JSON (the contract) and CSV (one row per account); what a table
printer offers (``TablePrinter``: ``cli.tables``, with rich, loaded at the command boundary for a table).

JSON numbers keep their exact decimal value: money is written from ``Decimal``, never through a float.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Protocol

import msgspec

from plaid_balance._csv import csv_text
from plaid_balance._health import REPAIR_CODES as NEEDS_REPAIR_CODES
from plaid_balance._json import dumps
from plaid_balance._money import money_text
from plaid_balance._report import BalanceReport, FailureReport, Report
from plaid_balance._safe_text import safe_text

if TYPE_CHECKING:
    from plaid_balance.funds import FundsDecision

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


class TablePrinter(Protocol):
    """``--format table``'s printer: the module ``cli.tables`` (rich), which a command's declaration
    loads, at the command boundary, only when a table is asked for, and hands to its implementation."""

    def print_table(self, report: BalanceReport, alias: str | None = None) -> None: ...

    def print_combined(self, reports: list[Report]) -> None: ...

    def print_decision(self, decision: FundsDecision) -> None: ...


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


# Item states that only the account holder can fix, by logging in again through Link's update mode: the
# errors that mean ``needs_repair`` (the one rule, ``_health``) and the expiry or disconnection Plaid announced.
REPAIR_CODES: Final = NEEDS_REPAIR_CODES | {"PENDING_EXPIRATION", "PENDING_DISCONNECT"}


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
