"""``plaid-balance check`` against the emulator: exit codes, the JSON contract, nothing billed in vain."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plaid_balance.cli import cli
from plaid_balance.emulator import RunningEmulator

from .conftest import CustomItem, custom_account


def run(item: CustomItem, *args: str) -> Any:
    return CliRunner().invoke(cli, ["check", "--access-token-file", "-", *args], input=item.token)


def parsed(output: str) -> dict[str, Any]:
    return json.loads(output, parse_float=Decimal)  # type: ignore[no-any-return]


def balance_calls(emu: RunningEmulator) -> int:
    return int(emu.stats()["requests_by_endpoint"].get("/accounts/balance/get", 0))


def test_pass_prints_the_json_contract_and_exits_0(
    cli_env: Path, custom_item: Callable[..., CustomItem]
) -> None:
    item = custom_item(custom_account("Checking", "125.00"), custom_account("Other", 1))
    result = run(item, "--account-id", item.ids["Checking"], "--amount", "125.00", "--currency", "usd")
    assert result.exit_code == 0, result.output
    body = parsed(result.stdout)
    assert body["success"] is True and body["decision"] == "pass" and body["sufficient"] is True
    assert body["balance_used"] == "available" and body["figure"] == Decimal("125.00")
    assert body["amount"] == Decimal("125.00") and body["currency"] == "USD"
    assert body["account"]["account_id"] == item.ids["Checking"] and body["source"] == "realtime"
    assert body["retrieved_at"].endswith("Z") and body["reason"]
    assert not cli_env.exists()  # no --save, no --max-age: the database is not even opened


def test_fail_exits_6_with_the_exact_shortfall(cli_env: Path, custom_item: Callable[..., CustomItem]) -> None:
    item = custom_item(custom_account("Checking", "12345678901.123456789012345678"))
    result = run(item, "--account-id", item.ids["Checking"], "--amount", "12345678902")
    assert result.exit_code == 6
    body = parsed(result.stdout)
    assert (body["decision"], body["sufficient"]) == ("fail", False)
    assert str(body["shortfall"]) == "0.876543210987654322"


def test_table_shows_bank_data_literally(cli_env: Path, custom_item: Callable[..., CustomItem]) -> None:
    item = custom_item(custom_account("[bold]Joint[/bold] \x1b[31m", 1000, has_null_available_balance=True))
    account_id = next(iter(item.ids.values()))
    result = CliRunner().invoke(
        cli,
        [
            "check",
            "--access-token-file",
            "-",
            "--account-id",
            account_id,
            "--amount",
            "5",
            "--format",
            "table",
        ],
        input=item.token,
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "PASS" in result.stdout and "current" in result.stdout
    assert "[bold]Joint[/bold]" in result.stdout and "\x1b[31m" not in result.stdout


def test_cannot_decide_and_currency_mismatch_exit_2(
    cli_env: Path, custom_item: Callable[..., CustomItem]
) -> None:
    item = custom_item(
        custom_account("Loan", 5000, type="loan", subtype="student"),
        custom_account("Euro", 100, currency="EUR"),
    )
    result = run(item, "--account-id", item.ids["Loan"], "--amount", "5")
    assert result.exit_code == 2
    assert parsed(result.stdout)["error"]["error_code"] == "BALANCE_UNAVAILABLE"
    assert "not a pass" in result.stderr
    result = run(item, "--account-id", item.ids["Euro"], "--amount", "5", "--currency", "USD")
    assert result.exit_code == 2
    assert parsed(result.stdout)["error"]["error_code"] == "CURRENCY_MISMATCH"


not_amounts = st.one_of(
    st.sampled_from(
        ["1e3", "NaN", "Infinity", "-5", "0", "0.00", "1,000", "+5", "", " ", "٣", "１２", "5.", ".5"]
    ),
    st.text(min_size=1, max_size=12).filter(lambda t: not t.strip().replace(".", "", 1).isascii()),
    st.decimals(allow_nan=False, allow_infinity=False, max_value=0).map(str),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=not_amounts)
def test_an_amount_that_is_not_one_is_refused_before_any_call(
    amount: str, emu: RunningEmulator, cli_env: Path, custom_item: Callable[..., CustomItem]
) -> None:
    item = custom_item(custom_account("Checking", 100))
    result = run(item, "--account-id", item.ids["Checking"], "--amount", amount)
    assert result.exit_code == 2, (amount, result.output)
    assert (
        "Traceback" not in result.output and len([ln for ln in result.stderr.splitlines() if ln.strip()]) <= 3
    )
    assert balance_calls(emu) == 0


def test_more_decimals_than_the_currency_has_is_refused_before_any_call(
    emu: RunningEmulator, cli_env: Path, custom_item: Callable[..., CustomItem]
) -> None:
    item = custom_item(custom_account("Checking", 100))
    for amount, currency in (("1.001", "USD"), ("5.5", "JPY"), ("1.0001", "KWD")):
        result = run(item, "--account-id", item.ids["Checking"], "--amount", amount, "--currency", currency)
        assert result.exit_code == 2, result.output
        assert parsed(result.stdout)["error"]["error_code"] == "AMOUNT_PRECISION"
    assert balance_calls(emu) == 0


def test_plaid_error_exits_3_and_stores_nothing(
    emu: RunningEmulator, cli_env: Path, custom_item: Callable[..., CustomItem]
) -> None:
    item = custom_item(custom_account("Checking", 100))
    result = run(item, "--account-id", "no-such-account", "--amount", "5", "--save")
    assert result.exit_code == 3, result.output
    assert parsed(result.stdout)["error"]["error_code"] == "INVALID_ACCOUNT_ID"
    from plaid_balance.history import open_store

    with open_store(f"sqlite:///{cli_env}") as store:
        assert store.count() == (0, 0)  # a failed fetch stores nothing


def test_max_age_answers_from_a_saved_snapshot_without_calling_plaid(
    emu: RunningEmulator, cli_env: Path, custom_item: Callable[..., CustomItem]
) -> None:
    item = custom_item(custom_account("Checking", "50.10"), custom_account("Savings", 7))
    checking = item.ids["Checking"]
    first = run(item, "--account-id", checking, "--amount", "50", "--save", "--max-age", "15m")
    assert first.exit_code == 0 and parsed(first.stdout)["source"] == "realtime"
    assert balance_calls(emu) == 1
    second = run(item, "--account-id", checking, "--amount", "50", "--max-age", "15m")
    assert second.exit_code == 0
    body = parsed(second.stdout)
    assert body["source"] == "stored" and body["figure"] == Decimal("50.10") and 0 <= body["age_seconds"] < 60
    assert balance_calls(emu) == 1  # answered from history: no billed call
    other = run(item, "--account-id", item.ids["Savings"], "--amount", "5", "--max-age", "15m")
    assert other.exit_code == 0  # only Checking was stored: Savings needs Plaid
    assert balance_calls(emu) == 2
    raw = b"".join(p.read_bytes() for p in cli_env.parent.glob("history.db*"))
    assert item.token.encode() not in raw and emu.secret.encode() not in raw
