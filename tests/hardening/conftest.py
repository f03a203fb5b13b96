"""Fixtures for the hardening tests: one emulator and one fork server for the whole session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from plaid_balance.emulator import EmulatorConfig, RunningEmulator, run_emulator
from tests.hardening.forkserver import ForkServer

# Bank data is data: these names must print literally, never as markup, maths or terminal commands.
HOSTILE_NAMES = [
    "[red]Checking[/red] [link=https://evil.invalid]x[/link]",
    "Savings $\\frac{1}{0}$ $x$",
    "\x1b]0;pwned\x07\x1b[31mCredit\x1b[0m",
    "\u202eGNIVAS",
    "Very long account name that goes on and on past eighty columns of terminal width",
]


@dataclass(frozen=True)
class Backend:
    emulator: RunningEmulator
    token: str  # an Item with ordinary accounts
    hostile_token: str  # an Item whose account names are hostile

    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PLAID_CLIENT_ID": self.emulator.client_id,
            "PLAID_SECRET": self.emulator.secret,
            "PLAID_BASE_URL": self.emulator.base_url,
        }


def _hostile_config() -> dict[str, object]:
    return {
        "override_accounts": [
            {
                "type": "depository" if i % 2 == 0 else "credit",
                "subtype": "checking" if i % 2 == 0 else "credit card",
                "starting_balance": 12345678901.123456789 * (i + 1),
                "meta": {"name": name, "official_name": name},
            }
            for i, name in enumerate(HOSTILE_NAMES)
        ]
    }


@pytest.fixture(scope="session")
def backend() -> Iterator[Backend]:
    with run_emulator(EmulatorConfig(rate_limits_enabled=False)) as emulator:
        token, _ = emulator.create_item()
        hostile, _ = emulator.create_item(username="user_custom", password=_hostile_config())
        yield Backend(emulator, token, hostile)


@pytest.fixture(scope="session")
def forks() -> Iterator[ForkServer]:
    server = ForkServer()
    yield server
    server.close()
