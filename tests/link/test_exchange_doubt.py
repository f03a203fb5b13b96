"""``link``: when the answer to the public-token exchange is lost (a dropped connection, Plaid unreachable,
kill -9), the user is told the truth and the next ``link`` finishes or explains it.

The real command runs with ``--hosted`` behind a dropping proxy; the user's part in Link is played
through the emulator's Link API, so no browser is needed.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from plaid_balance.emulator import RunningEmulator
from plaid_balance.vault import Vault, new_key_text
from tests.dropping_proxy import DroppingProxy, dropping_proxy
from tests.link.cli_support import LinkProcess, cli_env

EXCHANGE = "/item/public_token/exchange"
TOKEN_IN_URL = re.compile(r"[?&]token=([^&\s]+)")


@pytest.fixture
def proxy(emu: RunningEmulator) -> Iterator[DroppingProxy]:
    with dropping_proxy(emu.base_url) as running:
        yield running


@pytest.fixture
def env(proxy: DroppingProxy, emu: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    return cli_env(proxy.base_url, emu.client_id, emu.secret, tmp_path / "plaid-balance.db", new_key_text())


def start(env: dict[str, str]) -> LinkProcess:
    return LinkProcess(["--hosted", "--no-browser", "--account-type", "depository"], env)


def be_the_user(link: LinkProcess, emu: RunningEmulator) -> None:
    """Open the hosted Link the command printed, log in to First Platypus Bank and finish."""
    match = TOKEN_IN_URL.search(link.hosted_url())
    assert match is not None
    token = match.group(1)
    with httpx.Client(base_url=emu.base_url) as ui:
        session = ui.post("/link/api/open", json={"link_token": token}).json()["link_session_id"]
        body = {"link_token": token, "link_session_id": session}
        login = ui.post(
            "/link/api/login",
            json={**body, "institution_id": "ins_109508", "username": "user_good", "password": "pass_good"},
        )
        assert login.status_code == 200, login.text
        assert ui.post("/link/api/complete", json=body).status_code == 200


def stored(env: dict[str, str]) -> tuple[list[Any], tuple[Any, ...]]:
    with Vault.open(env["PLAID_BALANCE_DB"], key=env["PLAID_BALANCE_VAULT_KEY"], use_keyring=False) as vault:
        return vault.list(), vault.pending_exchanges()


def finish(link: LinkProcess) -> tuple[int, str, str]:
    try:
        return link.finish()
    finally:
        link.kill()


def test_a_dropped_exchange_answer_is_told_not_hidden(
    env: dict[str, str], emu: RunningEmulator, proxy: DroppingProxy
) -> None:
    """Plaid made the Item, the answer was cut: the command says so, and never INVALID_PUBLIC_TOKEN."""
    proxy.modes[EXCHANGE] = "drop_answer_once"
    link = start(env)
    be_the_user(link, emu)
    code, stdout, stderr = finish(link)
    assert code == 4, stderr
    assert "Plaid made the Item for First Platypus Bank" in stderr and "never arrived" in stderr
    assert "Link the bank again: plaid-balance link" in stderr and "INVALID_PUBLIC_TOKEN" not in stderr
    assert stdout == ""
    assert stored(env) == ([], ())  # nothing stored, nothing left pending: the truth is told
    assert emu.stats()["items"] == 1  # the Item Plaid made, which nobody holds


def test_when_plaid_cannot_be_asked_the_next_link_finishes_the_exchange(
    env: dict[str, str], emu: RunningEmulator, proxy: DroppingProxy
) -> None:
    """The exchange never reached Plaid and asking again failed too: kept, then finished by the next link."""
    proxy.modes[EXCHANGE] = "drop_request"
    link = start(env)
    be_the_user(link, emu)
    code, _, stderr = finish(link)
    assert code == 4, stderr
    assert "whether Plaid made the Item is unknown" in stderr and "run plaid-balance link again" in stderr
    items, pending = stored(env)
    assert items == [] and len(pending) == 1 and pending[0].institution_name == "First Platypus Bank"
    proxy.modes[EXCHANGE] = "forward"
    again = start(env)
    try:
        again.wait_for(re.compile(r"(Recovered it: First Platypus Bank is stored as first-platypus-bank)"))
        again.hosted_url()  # then it goes on to link a new bank, as asked
        again.interrupt()
        assert again.finish()[0] == 130
    finally:
        again.kill()
    items, pending = stored(env)
    assert [i.alias for i in items] == ["first-platypus-bank"] and pending == ()


def test_kill_9_during_the_exchange_then_the_next_link_says_what_became_of_it(
    env: dict[str, str], emu: RunningEmulator, proxy: DroppingProxy
) -> None:
    """The process dies after Plaid made the Item: the next link finds the public token used and says so."""
    proxy.modes[EXCHANGE] = "hold_answer"
    link = start(env)
    try:
        be_the_user(link, emu)
        assert proxy.holding.wait(60)
        os.kill(link.process.pid, signal.SIGKILL)
        link.process.wait(timeout=30)
    finally:
        link.kill()
    assert len(stored(env)[1]) == 1  # recorded before the call
    proxy.modes[EXCHANGE] = "forward"
    again = start(env)
    try:
        lost = again.wait_for(re.compile(r"(Plaid made the Item for First Platypus Bank.*)"))
        assert "never arrived" in lost and "Link the bank again" in lost
        be_the_user(again, emu)
        code, _, stderr = again.finish()
    finally:
        again.kill()
    assert code == 0, stderr
    items, pending = stored(env)
    assert len(items) == 1 and pending == ()
