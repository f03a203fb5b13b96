"""Fixtures for the emulator tests: raw HTTP to the emulator, Chromium (the answer checker is ``answers``
from tests/conftest.py).

The emulator itself is ``emu`` from tests/emulators.py, as in every package.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from plaid_balance.emulator import RunningEmulator
from tests.browsers import browser
from tests.emulator.emulator_support import PlaidHTTP

# fixtures for this package
__all__ = ["browser"]


@pytest.fixture
def plaid_http(emu: RunningEmulator) -> Iterator[PlaidHTTP]:
    with httpx.Client(base_url=emu.base_url, timeout=10.0) as client:
        yield PlaidHTTP(emu, client)
