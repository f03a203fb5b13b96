"""The pytest plugin (entry point ``pytest11``: ``plaid_balance``): ``plaid_emulator`` fixtures.

Loaded in every pytest session of an environment where plaid-balance is installed, so it imports nothing
but pytest until a test asks for a fixture. Disable it with ``-p no:plaid_balance``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from plaid_balance.emulator import EmulatorConfig
    from plaid_balance.testing._handle import PlaidEmulator

_MISSING = "the plaid_emulator fixtures need the emulator's web server: pip install 'plaid-balance[testing]'"


def _start(config: EmulatorConfig | None) -> Iterator[PlaidEmulator]:
    try:
        from plaid_balance.emulator import run_emulator
        from plaid_balance.testing._handle import PlaidEmulator
    except ImportError as exc:  # starlette or uvicorn missing: the extra is not installed
        missing = f"{_MISSING} ({exc})"
    else:
        missing = ""
    if missing:
        pytest.fail(missing, pytrace=False)  # outside the except: one line, no chained traceback
    with run_emulator(config) as running:
        yield PlaidEmulator(running)


@pytest.fixture(scope="session")
def plaid_emulator_config() -> EmulatorConfig | None:
    """The emulator's configuration (None: the defaults). Override it in a conftest.py to change client id,
    secret, rate limits or faults for both fixtures."""
    return None


@pytest.fixture
def plaid_emulator(plaid_emulator_config: EmulatorConfig | None) -> Iterator[PlaidEmulator]:
    """A Plaid emulator on a free port of 127.0.0.1 for this test only."""
    yield from _start(plaid_emulator_config)


@pytest.fixture(scope="session")
def plaid_emulator_session(plaid_emulator_config: EmulatorConfig | None) -> Iterator[PlaidEmulator]:
    """One Plaid emulator for the whole session (call ``reset()`` to forget what earlier tests made)."""
    yield from _start(plaid_emulator_config)
