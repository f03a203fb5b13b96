"""``sandbox-token``: the token file is written whole or not at all, a failure never claims success, and
an Item whose token cannot be kept (or whose exchange answer was lost) is accounted for truthfully."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plaid_balance.emulator import RunningEmulator
from tests.core.conftest import cli
from tests.core.test_cli_e2e import creds
from tests.dropping_proxy import DroppingProxy, dropping_proxy

__all__ = ["cli"]  # fixtures

EXCHANGE = "/item/public_token/exchange"


@pytest.fixture
def proxy(emu: RunningEmulator) -> Iterator[DroppingProxy]:
    with dropping_proxy(emu.base_url) as running:
        yield running


@pytest.mark.skipif(not Path("/dev/full").is_char_device(), reason="needs /dev/full")
def test_a_full_device_is_one_line_exit_2_and_the_item_is_removed_again(
    emu: RunningEmulator, cli: Any
) -> None:
    """`-o /dev/full`: no claim of success, and the Item whose token could not be kept is removed."""
    result = cli("sandbox-token", "-o", "/dev/full", env=creds(emu))
    assert result.code == 2, result.err
    assert result.err.startswith("error: cannot write the access token to /dev/full: No space left")
    assert "was removed again" in result.err and result.err.count("\n") == 1
    assert "wrote" not in result.err and result.out == ""
    assert emu.stats()["items"] == 0
    assert Path("/dev/full").is_char_device()  # written in place, never replaced by a file


def test_an_unwritable_path_is_refused_before_any_item_is_made(
    emu: RunningEmulator, cli: Any, tmp_path: Path
) -> None:
    """A folder that does not exist costs no Item: the file is made ready before Plaid is called."""
    result = cli("sandbox-token", "-o", str(tmp_path / "missing" / "token"), env=creds(emu))
    assert result.code == 2 and "no Item was created" in result.err and result.err.count("\n") == 1
    assert emu.stats()["items"] == 0 and emu.stats()["requests_by_endpoint"].get(EXCHANGE, 0) == 0


def test_a_lost_exchange_answer_is_told_as_such(
    emu: RunningEmulator, cli: Any, tmp_path: Path, proxy: DroppingProxy
) -> None:
    """Plaid made the Item but its answer was cut: said so, exit 4, no file, never INVALID_PUBLIC_TOKEN."""
    proxy.modes[EXCHANGE] = "drop_answer_once"
    target = tmp_path / "token"
    result = cli("sandbox-token", "-o", str(target), env={**creds(emu), "PLAID_BASE_URL": proxy.base_url})
    assert result.code == 4, result.err
    assert "made an Item whose access token never arrived" in result.err and "wrote" not in result.err
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_an_exchange_that_never_reached_plaid_is_sent_again_and_works(
    emu: RunningEmulator, cli: Any, tmp_path: Path, proxy: DroppingProxy
) -> None:
    """The same public token once more is safe: the first request was lost, so the second succeeds, and
    the older file is swapped for a complete 0600 one with no temporary file left behind."""
    proxy.modes[EXCHANGE] = "drop_request_once"
    target = tmp_path / "token"
    target.write_text("an older token\n")
    target.chmod(0o644)
    result = cli("sandbox-token", "-o", str(target), env={**creds(emu), "PLAID_BASE_URL": proxy.base_url})
    assert result.code == 0, result.err
    assert [p for p, _ in proxy.seen].count(EXCHANGE) == 2
    assert target.read_text().startswith("access-sandbox-") and target.read_text().endswith("\n")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["token"] and emu.stats()["items"] == 1


def test_when_plaid_cannot_be_asked_again_the_exchange_is_unknown_not_failed(
    emu: RunningEmulator, cli: Any, tmp_path: Path, proxy: DroppingProxy
) -> None:
    """Both sends lost: the message says nobody knows whether an Item was made, and nothing is written."""
    proxy.modes[EXCHANGE] = "drop_request"
    target = tmp_path / "token"
    result = cli("sandbox-token", "-o", str(target), env={**creds(emu), "PLAID_BASE_URL": proxy.base_url})
    assert result.code == 4, result.err
    assert "whether Plaid made the Item is unknown" in result.err and not target.exists()
