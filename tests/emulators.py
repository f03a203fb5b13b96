"""The one emulator fixture: ``emu``, a running emulator on 127.0.0.1 for one test.

A test package that needs another configuration overrides ``emu_config`` in its conftest (the batch and
watch tests shorten the rate window, for example); everything else about starting and stopping is here,
and so is ``emulator_env``, the environment that points plaid-balance at it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from plaid_balance.emulator import EmulatorConfig, RunningEmulator


def emulator_env(emu: RunningEmulator) -> dict[str, str]:
    """The variables that point plaid-balance (the CLI or ``PlaidClient()``) at this emulator."""
    return {"PLAID_CLIENT_ID": emu.client_id, "PLAID_SECRET": emu.secret, "PLAID_BASE_URL": emu.base_url}


@pytest.fixture
def emu_config() -> EmulatorConfig:
    from plaid_balance.emulator import EmulatorConfig

    return EmulatorConfig()


@pytest.fixture
def emu(emu_config: EmulatorConfig) -> Iterator[RunningEmulator]:
    from plaid_balance.emulator import run_emulator

    with run_emulator(emu_config) as running:
        yield running
