"""``plaid-balance check`` through click's runner, with Plaid faked and a private history database."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from plaid_balance.cli import cli
from plaid_balance.history import open_store
from tests.plaid_fakes import balance_body

from .conftest import SECRET, TOKEN, FakePlaid, plaid_account


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["check", *args], catch_exceptions=False)


def parsed(output: str) -> dict[str, Any]:
    return json.loads(output, parse_float=Decimal)  # type: ignore[no-any-return]


def test_pass_prints_the_json_contract_and_exits_0(
    cli_env: Path, fake_plaid: Callable[..., FakePlaid]
) -> None:
    fake = fake_plaid(balance_body(plaid_account(available="125.00")))
    result = run("--account-id", "acc-1", "--amount", "125.00", "--currency", "usd")
    assert result.exit_code == 0, result.output
    body = parsed(result.stdout)
    assert body["success"] is True and body["decision"] == "pass" and body["sufficient"] is True
    assert body["balance_used"] == "available" and body["figure"] == Decimal("125.00")
    assert body["amount"] == Decimal("125.00") and body["currency"] == "USD"
    assert body["account"]["account_id"] == "acc-1" and body["source"] == "realtime"
    assert body["retrieved_at"].endswith("Z") and body["reason"]
    # Only that account is asked for.
    assert fake.requests[0]["options"]["account_ids"] == ["acc-1"]
    assert not cli_env.exists()  # no --save, no --max-age: the database is not even opened


def test_fail_exits_6(cli_env: Path, fake_plaid: Callable[..., FakePlaid]) -> None:
    fake_plaid(balance_body(plaid_account(available=100)))
    result = run("--account-id", "acc-1", "--amount", "100.01")
    assert result.exit_code == 6
    body = parsed(result.stdout)
    assert (body["decision"], body["sufficient"], body["shortfall"]) == ("fail", False, Decimal("0.01"))


def test_table_format(cli_env: Path, fake_plaid: Callable[..., FakePlaid]) -> None:
    fake_plaid(balance_body(plaid_account(available=None, current=1000, subtype="cd")))
    result = run("--account-id", "acc-1", "--amount", "5", "--format", "table")
    assert result.exit_code == 0
    assert "PASS" in result.stdout and "current" in result.stdout


def test_cannot_decide_and_currency_mismatch_exit_2(
    cli_env: Path, fake_plaid: Callable[..., FakePlaid]
) -> None:
    fake_plaid(balance_body(plaid_account(available=None, current=None)))
    result = run("--account-id", "acc-1", "--amount", "5")
    assert result.exit_code == 2
    assert parsed(result.stdout)["error"]["error_code"] == "BALANCE_UNAVAILABLE"
    assert "not a pass" in result.stderr
    fake_plaid(balance_body(plaid_account(currency="EUR")))
    result = run("--account-id", "acc-1", "--amount", "5", "--currency", "USD")
    assert result.exit_code == 2
    assert parsed(result.stdout)["error"]["error_code"] == "CURRENCY_MISMATCH"


def test_bad_amounts_are_usage_errors(cli_env: Path, fake_plaid: Callable[..., FakePlaid]) -> None:
    fake = fake_plaid(balance_body(plaid_account()))
    for amount in ("1e3", "NaN", "-5", "0"):
        result = run("--account-id", "acc-1", "--amount", amount)
        assert result.exit_code == 2, amount
        assert "--amount" in result.stderr
    assert fake.requests == []


def test_plaid_error_exits_3(cli_env: Path, fake_plaid: Callable[..., FakePlaid]) -> None:
    error = {
        "error_type": "INVALID_INPUT",
        "error_code": "INVALID_ACCOUNT_ID",
        "error_message": "one or more of the account IDs is invalid",
        "display_message": None,
        "request_id": "req-x",
    }
    fake_plaid(error, status=400)
    result = run("--account-id", "acc-9", "--amount", "5", "--save")
    assert result.exit_code == 3
    assert parsed(result.stdout)["error"]["error_code"] == "INVALID_ACCOUNT_ID"
    with open_store() as store:
        assert store.count() == (0, 0)  # a failed fetch stores nothing


def test_min_last_updated_is_passed_through(cli_env: Path, fake_plaid: Callable[..., FakePlaid]) -> None:
    fake = fake_plaid(balance_body(plaid_account()))
    result = run("--account-id", "acc-1", "--amount", "5", "--min-last-updated", "2026-01-31T00:00:00Z")
    assert result.exit_code == 0
    assert fake.requests[0]["options"]["min_last_updated_datetime"] == "2026-01-31T00:00:00Z"


def test_max_age_answers_from_a_saved_snapshot_without_calling_plaid(
    cli_env: Path, fake_plaid: Callable[..., FakePlaid]
) -> None:
    fake = fake_plaid(balance_body(plaid_account(available="50.10"), request_id="req-saved"))
    first = run("--account-id", "acc-1", "--amount", "50", "--save", "--max-age", "15m")
    assert first.exit_code == 0 and parsed(first.stdout)["source"] == "realtime"
    assert len(fake.requests) == 1
    second = run("--account-id", "acc-1", "--amount", "50", "--max-age", "15m")
    assert second.exit_code == 0
    body = parsed(second.stdout)
    assert body["source"] == "stored" and body["request_id"] == "req-saved"
    assert body["figure"] == Decimal("50.10") and 0 <= body["age_seconds"] < 60
    assert len(fake.requests) == 1  # answered from history: no billed call
    other = run("--account-id", "acc-2", "--amount", "50", "--max-age", "15m")
    assert other.exit_code == 2  # acc-2 is not in the fake answer, but Plaid was asked
    assert len(fake.requests) == 2
    raw = cli_env.read_bytes() + b"".join(p.read_bytes() for p in cli_env.parent.glob("history.db-*"))
    assert TOKEN.encode() not in raw and SECRET.encode() not in raw


def test_bad_database_url_is_one_line_exit_2(cli_env: Path, fake_plaid: Callable[..., FakePlaid]) -> None:
    fake_plaid(balance_body(plaid_account()))
    result = run("--account-id", "acc-1", "--amount", "5", "--save", "--db", "nonsense://")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
