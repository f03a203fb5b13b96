"""The command line's presentation: JSON text, CSV, tables and failure lines, tested directly."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from plaid_balance import ErrorBody, FailureReport, SecretStr
from plaid_balance._safe_text import safe_text
from plaid_balance.cli.render import CSV_COLUMNS, failure_line, money, to_csv, to_json
from plaid_balance.cli.tables import balance_table
from tests.plaid_fakes import account, report_of

# Bank data as Plaid may send it: brackets, markup-like text, any script (not unassigned or control).
NAMES = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Co", "Zl", "Zp")), min_size=1, max_size=20
)


def test_json_is_exact_and_dates_are_utc() -> None:
    report = report_of(account("a1", current=Decimal("12345678901234567.890123456789")))
    data = json.loads(to_json(report), parse_float=Decimal)
    assert data["accounts"][0]["current_balance"] == Decimal("12345678901234567.890123456789")
    assert data["retrieved_at"].endswith("Z")
    assert list(data)[:6] == [
        "success",
        "item_id",
        "institution_id",
        "accounts",
        "total_balance",
        "account_count",
    ]
    assert "\n" not in to_json(report, indent=None)


def test_secrets_are_masked_in_json() -> None:
    assert "canary-secret" not in to_json({"token": SecretStr("canary-secret")})


def test_csv_has_one_row_per_account_and_empty_cells_for_nulls() -> None:
    report = report_of(account("a1", available=None), account("a2", current=Decimal("-5.25")))
    rows = list(csv.reader(io.StringIO(to_csv(report))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r[CSV_COLUMNS.index("account_id")] for r in rows[1:]] == ["a1", "a2"]
    assert rows[1][CSV_COLUMNS.index("available_balance")] == ""
    assert rows[2][CSV_COLUMNS.index("current_balance")] == "-5.25"
    assert to_csv(report, header=False).count("\n") == 2


def test_money() -> None:
    assert money(None) == "—"
    assert money(Decimal("1234.5")) == "1,234.50"
    assert money(Decimal("0.125"), "USD") == "0.125 USD"


@settings(deadline=None)
@given(
    NAMES
    | st.sampled_from(
        ["[red]x[/red]", "[bold]", "a [link=x]b[/link]", "$x$", "\x1b[31mred\x1b[0m", "a\u202eb"]
    )
)
def test_names_from_the_bank_are_shown_literally(name: str) -> None:
    report = report_of(account("a1", name=name))
    console = Console(record=True, width=400, force_terminal=False)
    console.print(balance_table(report, width=400))
    shown = console.export_text()
    # Shown as written; characters that are not printable (bidi overrides, escapes) as visible escapes.
    expected = safe_text(name)
    assert " ".join(expected.split()) in " ".join(shown.split())
    assert "\x1b" not in shown


def test_failure_line_is_one_line() -> None:
    error = ErrorBody(
        error_type="ITEM_ERROR",
        error_code="ITEM_LOGIN_REQUIRED",
        error_message="the login details\nchanged\x1b[31m",
        display_message=None,
        http_status=400,
        retryable=True,
    )
    line = failure_line(FailureReport(error=error))
    assert line.startswith("error: ITEM_ERROR/ITEM_LOGIN_REQUIRED: ")
    assert "\n" not in line and "\x1b" not in line and "try again later" in line
