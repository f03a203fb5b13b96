"""Fixtures for the link tests: a stand-in Link script, and pages in headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browsers import browser
from tests.link.support import fake_plaid_app, serve

# fixtures for this package
__all__ = ["browser"]


@pytest.fixture(scope="session")
def fake_plaid_url() -> Iterator[str]:
    """Base URL of a server that serves ``fake_link.js`` where Link's script lives."""
    with serve(fake_plaid_app()) as base_url:
        yield base_url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    try:
        yield context.new_page()
    finally:
        context.close()
