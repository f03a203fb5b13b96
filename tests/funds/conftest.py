"""Fixtures for the funds tests: Items with chosen balances in the emulator, and the CLI's environment."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from plaid_balance.emulator import RunningEmulator
from tests.emulators import emulator_env


@dataclass
class CustomItem:
    token: str
    item_id: str
    ids: dict[str, str]  # account name -> account_id


def custom_account(name: str, balance: Any, **fields: Any) -> dict[str, Any]:
    """One account of a ``user_custom`` Item: ``balance`` is its starting balance, ``fields`` the rest."""
    meta = {"name": name, "mask": "1234", **fields.pop("meta", {})}
    spec = {"type": "depository", "subtype": "checking", "currency": "USD", "starting_balance": balance}
    return {**spec, **fields, "meta": meta}


@pytest.fixture
def custom_item(emu: RunningEmulator) -> Callable[..., CustomItem]:
    """Make an Item holding exactly these accounts (see ``custom_account``)."""

    def make(*accounts: dict[str, Any]) -> CustomItem:
        token, item_id = emu.create_item(
            username="user_custom", password=json.dumps({"override_accounts": list(accounts)})
        )
        body = {"client_id": emu.client_id, "secret": emu.secret, "access_token": token}
        answer = httpx.post(f"{emu.base_url}/accounts/get", json=body, timeout=10).json()
        return CustomItem(token, item_id, {a["name"]: a["account_id"] for a in answer["accounts"]})

    return make


@pytest.fixture
def cli_env(emu: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Credentials for the emulator and a private history database; yields the database path."""
    db = tmp_path / "history.db"
    for name, value in emulator_env(emu).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PLAID_BALANCE_DB", f"sqlite:///{db}")
    monkeypatch.delenv("PLAID_ACCESS_TOKEN", raising=False)
    return db
