"""The one emulator fixture: ``emu``, a running emulator on 127.0.0.1 for one test.

A test package that needs another configuration overrides ``emu_config`` in its conftest (the batch
tests shorten the rate window, for example); everything else about starting and stopping is here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from plaid_balance.emulator import EmulatorConfig, RunningEmulator


@pytest.fixture
def emu_config() -> EmulatorConfig:
    from plaid_balance.emulator import EmulatorConfig

    return EmulatorConfig()


@pytest.fixture
def emu(emu_config: EmulatorConfig) -> Iterator[RunningEmulator]:
    from plaid_balance.emulator import run_emulator

    with run_emulator(emu_config) as running:
        yield running
