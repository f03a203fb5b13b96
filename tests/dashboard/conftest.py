"""Fixtures for the dashboard tests: a history database with sample balances, the app, a live server,
and headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from plaid_balance.dashboard._data import DashboardData
from plaid_balance.dashboard._sample import SampleItem, write_sample_history
from plaid_balance.history._engine import open_engine

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
TOKEN = "dashboard-test-token-" + "x" * 16


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine, _ = open_engine(db_url, create=True)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def sample(engine: Engine) -> list[SampleItem]:
    return write_sample_history(engine, items=3, accounts_per_item=4, days=60, end=NOW)


@pytest.fixture
def data(engine: Engine, sample: list[SampleItem]) -> DashboardData:
    return DashboardData(engine, clock=lambda: NOW)


@pytest.fixture(scope="package")  # not session-wide: Playwright's loop would break asyncio.run elsewhere
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def live(data: DashboardData) -> Iterator[str]:
    """A running dashboard server; yields its login URL."""
    from plaid_balance.dashboard._app import create_app
    from plaid_balance.dashboard._server import DashboardServer

    with DashboardServer(lambda hosts: create_app(data, token=TOKEN, hosts=hosts)) as server:
        assert server.wait_started()
        yield f"{server.base_url}/?token={TOKEN}"


def random_token() -> str:
    return secrets.token_urlsafe(24)
