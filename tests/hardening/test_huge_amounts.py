"""Amounts beyond the 28 significant digits of Python's default decimal context: every table shows
them whole, as JSON and CSV do, and a stored snapshot holding one never breaks a later command."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaid_balance._money import money_text
from plaid_balance.vault import new_key_text
from tests.hardening.conftest import Backend
from tests.hardening.forkserver import ForkServer

HUGE = Decimal("1234567890123456789012345678901234567.5")  # 38 significant digits
PRECISE = Decimal("0.123456789012345678901234567890123")  # 33 significant digits


@pytest.fixture(scope="module")
def huge_token(backend: Backend) -> str:
    accounts = [
        {"type": "depository", "subtype": "checking", "starting_balance": HUGE, "meta": {"name": "Big"}},
        {"type": "depository", "subtype": "savings", "starting_balance": PRECISE, "meta": {"name": "Fine"}},
    ]
    token, _ = backend.emulator.create_item(username="user_custom", password={"override_accounts": accounts})
    return token


def test_every_table_shows_amounts_beyond_28_digits_whole(
    huge_token: str, forks: ForkServer, backend: Backend, tmp_path: Path
) -> None:
    """get, batch, items list and history tables, before and after a snapshot with such amounts is
    stored, show every digit and exit 0."""
    env = {
        **backend.env(),
        "COLUMNS": "250",
        "HOME": str(tmp_path),
        "PLAID_ACCESS_TOKEN": huge_token,
        "PLAID_BALANCE_DB": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "PLAID_BALANCE_VAULT_KEY": new_key_text(),
        "PLAID_BALANCE_KEYRING": "off",
    }
    items = tmp_path / "items.csv"
    items.write_text(f"access_token,label\n{huge_token},big\n")
    whole = "1,234,567,890,123,456,789,012,345,678,901,234,567.50"
    net = "1,234,567,890,123,456,789,012,345,678,901,234,567.623456789012345678901234567890123"
    for argv in (
        ["get", "--format", "table", "--save"],
        ["batch", str(items), "--format", "table"],
        ["items", "import", str(items)],
        ["items", "list"],
        ["history"],
        ["history", "--format", "csv"],
    ):
        result = forks.run(argv, env=env, cwd=str(tmp_path), timeout=60)
        assert result.code == 0, result
        assert "Traceback" not in result.err, result
        if argv[0] != "items" or argv[1] == "list":
            shown = result.out.replace('"', "")
            # The account's amount, or (batch: one Net per Item) the exact sum of both.
            assert any(text in shown for text in (whole, str(HUGE), net)), result
            assert "…" not in shown, result
    report = json.loads(forks.run(["get"], env=env, cwd=str(tmp_path)).out, parse_float=Decimal)
    assert {a["current_balance"] for a in report["accounts"]} == {HUGE, PRECISE}


@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=None)
    | st.integers(-(10**60), 10**60).map(Decimal)
)
def test_money_text_keeps_every_digit(value: Decimal) -> None:
    """Read back without its separators, the text is the same number, at any size or precision."""
    assert Decimal(money_text(value).replace(",", "")) == value
