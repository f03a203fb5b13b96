"""End to end against the local Plaid emulator: check, --save, --max-age, history, no secrets stored."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from plaid_balance.cli import cli
from plaid_balance.emulator import RunningEmulator
from tests.emulators import emulator_env


def _accounts(base_url: str, client_id: str, secret: str, token: str) -> dict[str, str]:
    body = {"client_id": client_id, "secret": secret, "access_token": token}
    answer = httpx.post(f"{base_url}/accounts/get", json=body, timeout=10).json()
    return {a["name"]: a["account_id"] for a in answer["accounts"]}


def test_check_save_and_history_against_the_emulator(
    emu: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "history.db"
    custom = {
        "override_accounts": [
            {
                "type": "depository",
                "subtype": "checking",
                "starting_balance": 23631.9805,
                "currency": "USD",
                "meta": {"name": "Exact Checking", "mask": "1234"},
            },
            {
                "type": "depository",
                "subtype": "savings",
                "starting_balance": 500,
                "has_null_available_balance": True,
                "currency": "USD",
                "meta": {"name": "Null Available Savings", "mask": "5678"},
            },
        ]
    }
    token, item_id = emu.create_item(username="user_custom", password=json.dumps(custom))
    ids = _accounts(emu.base_url, emu.client_id, emu.secret, token)
    for name, value in {**emulator_env(emu), "PLAID_ACCESS_TOKEN": token}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PLAID_BALANCE_DB", f"sqlite:///{db}")

    def check(*args: str) -> Any:
        return CliRunner().invoke(cli, ["check", *args], catch_exceptions=False)

    exact = check("--account-id", ids["Exact Checking"], "--amount", "23631.98", "--save")
    assert exact.exit_code == 0, exact.output
    body = json.loads(exact.stdout, parse_float=Decimal)
    assert body["balance_used"] == "available" and body["figure"] == Decimal("23631.9805")
    short = check("--account-id", ids["Exact Checking"], "--amount", "23631.99")
    assert short.exit_code == 6
    fallback = check("--account-id", ids["Null Available Savings"], "--amount", "500.00", "--save")
    assert fallback.exit_code == 0, fallback.output
    assert json.loads(fallback.stdout)["balance_used"] == "current"

    calls_before = emu.stats()
    cached = check("--account-id", ids["Exact Checking"], "--amount", "1", "--max-age", "10m")
    assert cached.exit_code == 0 and json.loads(cached.stdout)["source"] == "stored"
    assert emu.stats() == calls_before  # answered from history: the emulator saw no call

    history = CliRunner().invoke(cli, ["history", "--format", "json", "--item", item_id])
    assert history.exit_code == 0
    series = json.loads(history.stdout, parse_float=Decimal)
    assert series["snapshot_count"] == 2
    assert series["totals"]["USD"][-1]["assets"] == Decimal("23631.9805") + Decimal(500)
    chart = CliRunner().invoke(cli, ["history", "--chart", str(tmp_path / "h.svg")])
    assert chart.exit_code == 0 and (tmp_path / "h.svg").stat().st_size > 5000

    raw = b"".join(p.read_bytes() for p in tmp_path.glob("history.db*"))
    assert token.encode() not in raw and emu.secret.encode() not in raw
