"""Fixtures for the dashboard tests: a history database with sample balances, the app, a live server,
and headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from plaid_balance.dashboard._data import DashboardData
from plaid_balance.dashboard._sample import SampleItem, write_sample_history
from plaid_balance.storage.database import Database
from tests.browsers import browser

# fixtures for this package
__all__ = ["browser"]

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
TOKEN = "dashboard-test-token-" + "x" * 16


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    with Database.open(db_url) as database:
        yield database


@pytest.fixture
def engine(database: Database) -> Engine:
    """The database's engine, for tests that check or change the tables behind the dashboard's back."""
    return database.engine


@pytest.fixture
def sample(database: Database) -> list[SampleItem]:
    return write_sample_history(database, items=3, accounts_per_item=4, days=60, end=NOW)


@pytest.fixture
def data(database: Database, sample: list[SampleItem]) -> DashboardData:
    return DashboardData(database, clock=lambda: NOW)


@pytest.fixture
def live(data: DashboardData) -> Iterator[str]:
    """A running dashboard server; yields a one-time sign-in URL."""
    from plaid_balance.dashboard._app import create_app
    from plaid_balance.dashboard._server import DashboardServer

    with DashboardServer(create_app(data), token=TOKEN) as server:
        assert server.wait_started()
        yield server.sign_in_url()


def random_token() -> str:
    return secrets.token_urlsafe(24)
