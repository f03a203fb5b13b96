"""The dashboard's token and the watch's are one kind of value, read by one parser (``parse_bearer_token``):
both variables accept and refuse the same texts, with the same line, and the same exit code (2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

from hypothesis import example, given
from hypothesis import strategies as st

from plaid_balance._errors import ConfigurationError, InvalidValue
from plaid_balance.cli.impl.dashboard import dashboard_token
from plaid_balance.watch.config import parse_config
from plaid_balance.watch.runner import bearer_token

WATCH = "PLAID_BALANCE_WATCH_TOKEN"
DASHBOARD = "PLAID_BALANCE_DASHBOARD_TOKEN"
# What a variable can hold: any text but NUL (and no lone surrogates, which os.environ cannot encode).
VALUES = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40) | st.text(
    st.sampled_from("ab-_ 1\t"), max_size=600
)


def _watch(text: str, host: str) -> object:
    listen = f"[{host}]:8787" if ":" in host else f"{host}:8787"
    config = parse_config(f'[server]\nlisten = "{listen}"\n', Path("watch.toml"))
    with mock.patch.dict(os.environ, {WATCH: text}):
        try:
            return bearer_token(config)
        except ConfigurationError as exc:
            return str(exc).replace(WATCH, "$VARIABLE")


def _dashboard(text: str, host: str) -> object:
    with mock.patch.dict(os.environ, {DASHBOARD: text}):
        try:
            return dashboard_token(host)
        except InvalidValue as exc:
            return str(exc).replace(DASHBOARD, "$VARIABLE")


@given(text=VALUES)
@example(text="short-token")
@example(text="a-token-of-16-ch")
@example(text="  spaced out  ")
@example(text="")
def test_both_variables_accept_and_refuse_the_same_values(text: str) -> None:
    assert _watch(text, "127.0.0.1") == _dashboard(text, "127.0.0.1")
    beyond_watch, beyond_dashboard = _watch(text, "0.0.0.0"), _dashboard(text, "0.0.0.0")
    if text.strip():  # unset: each server says in its own words that it needs one
        assert beyond_watch == beyond_dashboard


def _dashboard_run(tmp_path: Path, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from plaid_balance.cli import main; main()",
            "dashboard",
            "--no-browser",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, DASHBOARD: token, "PLAID_BALANCE_DB": str(tmp_path / "x.db")},
        check=False,
    )


def test_a_malformed_or_short_token_is_the_watch_tokens_line_and_exit_2(tmp_path: Path) -> None:
    malformed = _dashboard_run(tmp_path, "two words-secret-123")
    assert malformed.returncode == 2
    assert malformed.stderr == (
        f"error: ${DASHBOARD} is malformed: it must be one word of printable ASCII (at most 512 characters)\n"
    )
    short = _dashboard_run(tmp_path, "short-secret", "--host", "0.0.0.0")
    assert short.returncode == 2
    assert short.stderr == (
        f"error: ${DASHBOARD} is too short to listen beyond loopback: it needs at least 16 characters\n"
    )
    assert "secret" not in malformed.stderr.replace(DASHBOARD, "") + short.stderr.replace(DASHBOARD, "")
