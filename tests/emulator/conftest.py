"""Fixtures for the emulator tests: a running emulator per test and the official spec, loaded once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from tests.emulator.emulator_support import PlaidHTTP, SpecValidator

from plaid_balance.emulator import RunningEmulator, run_emulator


@pytest.fixture(scope="session")
def spec_validator(openapi_dir: Path) -> SpecValidator:
    # The full spec is 3 MB of YAML; the C loader keeps this to a couple of seconds, once per session.
    with (openapi_dir / "2020-09-14.yml").open("rb") as fh:
        spec = yaml.load(fh, Loader=yaml.CSafeLoader)
    return SpecValidator(spec)


@pytest.fixture
def emu() -> Iterator[RunningEmulator]:
    with run_emulator() as running:
        yield running


@pytest.fixture
def plaid_http(emu: RunningEmulator) -> Iterator[PlaidHTTP]:
    with httpx.Client(base_url=emu.base_url, timeout=10.0) as client:
        yield PlaidHTTP(emu, client)
