"""Fixtures for the end-to-end tests: the emulator, and the real console entry point run in-process."""

from __future__ import annotations

import io
import logging
import sys
from dataclasses import dataclass
from typing import Any

import pytest

from plaid_balance.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str
    logs: str

    def everything(self) -> str:
        return self.out + self.err + self.logs


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> Any:
    """Run ``plaid-balance ARGS`` through its console entry point; returns code, stdout, stderr, logs."""
    for name in (
        "PLAID_CLIENT_ID",
        "PLAID_SECRET",
        "PLAID_ACCESS_TOKEN",
        "PLAID_BASE_URL",
        "PLAID_ENVIRONMENT",
    ):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)

    def run(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> Result:
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            else:  # pragma: no cover - main always exits
                code = 0
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err, caplog.text)

    return run
