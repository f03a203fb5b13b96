"""Fixtures for the link tests: Plaid's request schema, a stand-in Link script, and headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.link.support import CHROMIUM, CHROMIUM_ARGS, fake_plaid_app, serve


@pytest.fixture(scope="session")
def plaid_spec(openapi_dir: Path) -> dict[str, Any]:
    with (openapi_dir / "2020-09-14.yml").open("rb") as fh:
        spec: dict[str, Any] = yaml.load(fh, Loader=yaml.CSafeLoader)
    return spec


@pytest.fixture(scope="session")
def fake_plaid_url() -> Iterator[str]:
    """Base URL of a server that serves ``fake_link.js`` where Link's script lives."""
    with serve(fake_plaid_app()) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (launched once per session)."""
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
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    try:
        yield context.new_page()
    finally:
        context.close()
