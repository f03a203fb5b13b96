"""Fixtures for the batch tests: the emulator (``emu``) with a short rate window, and items-file helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from plaid_balance._retry import RetryPolicy
from plaid_balance.emulator import EmulatorConfig, RunningEmulator
from tests.emulators import emulator_env

# Retries as the client makes them, only with waits short enough for a test.
FAST_RETRY = RetryPolicy(attempts=4, wait_initial=0.01, wait_max=0.05, wait_jitter=0.01, rate_limit_wait=0.05)


@pytest.fixture
def emu_config() -> EmulatorConfig:
    return EmulatorConfig(rate_window_seconds=1.0)


def write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("access_token,label\n" + "".join(f"{t},{label}\n" for t, label in rows))
    return path


def cli_env(emu: RunningEmulator) -> dict[str, str]:
    return {**os.environ, **emulator_env(emu)}


# The command as a user runs it, in a fresh interpreter.
CLI = [sys.executable, "-c", "from plaid_balance.cli import main; main()", "batch"]


def start_fast_batch(path: Path, emu: RunningEmulator) -> subprocess.Popen[bytes]:
    """``batch PATH --summary`` with limits high enough that results come as fast as the emulator answers,
    its stdout and stderr pipes left for the test to read (or not)."""
    return subprocess.Popen(
        [
            *CLI,
            str(path),
            "--summary",
            "--concurrency",
            "8",
            "--rate-limit",
            "100000",
            "--item-rate-limit",
            "1000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(emu),
    )
