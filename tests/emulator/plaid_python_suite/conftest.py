"""Runs plaid-python's own integration tests (vendored here unchanged but for their wiring) against the emulator.

One emulator serves the whole suite, as Plaid's Sandbox serves it upstream: the tests share state across a
module (``setup_module`` makes an Item that later tests use), so they need one server for their session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plaid_balance.emulator import run_emulator


@pytest.fixture(scope="session", autouse=True)
def _plaid_python_suite_host() -> Iterator[None]:
    with run_emulator() as emu, pytest.MonkeyPatch.context() as env:
        env.setenv("PLAID_HOST", emu.base_url)
        env.setenv("CLIENT_ID", emu.client_id)
        env.setenv("SECRET", emu.secret)
        yield
