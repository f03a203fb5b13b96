"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium, driven by Playwright.

A test package that needs a browser imports ``browser`` into its conftest. Its scope is that package and
never the session: while Playwright's sync API is open, its event loop counts as running in the main
thread, and a later package that calls ``asyncio.run`` there would fail. (``playwright install`` cannot
download browsers here, so Playwright is always pointed at Debian's.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip the test where Chromium is not installed; in CI, where .ci/run installs it, fail instead."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed")


def launch(playwright: Any) -> Any:
    """Debian's Chromium, headless, from an open ``sync_playwright()``."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless Chromium for the test package that imports this fixture."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


def screenshot(page: Any, folder: str, name: str) -> bytes:
    """Take a full-page screenshot; keep it under ``$PLAID_BALANCE_SCREENSHOTS/folder`` only when that is
    set (``PLAID_BALANCE_SCREENSHOTS=docs/images`` refreshes the docs' pictures), so a test run never
    rewrites tracked files."""
    root = os.environ.get("PLAID_BALANCE_SCREENSHOTS")
    if not root:
        shot: bytes = page.screenshot(full_page=True)
        return shot
    target = Path(root) / folder
    target.mkdir(parents=True, exist_ok=True)
    saved: bytes = page.screenshot(path=str(target / f"{name}.png"), full_page=True)
    return saved
