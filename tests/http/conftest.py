"""Headless Chromium for the HTTP tests, with one more rule: ``evil.test`` resolves to 127.0.0.1, as it
would for a page whose DNS name an attacker rebinds to this machine."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browsers import CHROMIUM, CHROMIUM_ARGS, require_chromium

REBOUND = "evil.test"


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                *CHROMIUM_ARGS,
                f"--host-resolver-rules=MAP {REBOUND} 127.0.0.1",
                # Chromium's Local Network Access checks would stop the page before our server sees it;
                # other browsers have none, so the servers must refuse it themselves.
                "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,"
                "PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults",
            ],
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context()
    try:
        yield ctx
    finally:
        ctx.close()
