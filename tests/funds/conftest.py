"""Fixtures for the funds tests: a scripted fake Plaid and the environment the CLI reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from plaid_balance._client import PlaidClient
from tests.plaid_fakes import account

TOKEN = "access-sandbox-5b2d7f3e-funds-check-token"
SECRET = "funds-test-secret-9f8e7d6c"


def plaid_account(account_id: str = "acc-1", **balances: Any) -> dict[str, Any]:
    """One account as Plaid sends it (see tests.plaid_fakes.account); ``acc-1`` unless told otherwise."""
    return account(account_id, **balances)


class FakePlaid:
    """Answers /accounts/balance/get with ``body`` (status ``status``); records the request bodies."""

    def __init__(self, body: dict[str, Any], status: int = 200) -> None:
        self.body = body
        self.status = status
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        import json

        self.requests.append(json.loads(request.content))
        return httpx.Response(self.status, json=self.body)


@pytest.fixture
def fake_plaid(monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakePlaid]:
    """Make every PlaidClient the CLI builds talk to a FakePlaid; returns a factory for it."""

    current: list[FakePlaid] = []
    original = PlaidClient.__init__

    def patched(self: PlaidClient, *args: Any, **kwargs: Any) -> None:
        kwargs["transport"] = httpx.MockTransport(current[-1])
        original(self, *args, **kwargs)

    monkeypatch.setattr(PlaidClient, "__init__", patched)

    def install(body: dict[str, Any], status: int = 200) -> FakePlaid:
        current.append(FakePlaid(body, status))
        return current[-1]

    return install


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Credentials, token and a private history database for the CLI; yields the database path."""
    db = tmp_path / "history.db"
    monkeypatch.setenv("PLAID_CLIENT_ID", "client-funds")
    monkeypatch.setenv("PLAID_SECRET", SECRET)
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("PLAID_BALANCE_DB", f"sqlite:///{db}")
    monkeypatch.delenv("PLAID_BASE_URL", raising=False)
    return db
