"""``plaid-balance link`` as a user runs it: a real process, a real server, headless Chromium.

Plaid here is a small fake (``support.FakePlaid``) with the stand-in Link script, so these tests pin the
command's own behaviour (exit codes, vault, server lifetime, concurrency); ``test_link_e2e.py`` runs the
same journeys against the emulator's Link.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.link.cli_support import LinkProcess, cli_env
from tests.link.support import FakePlaid, serve

from plaid_balance.vault import Vault, new_key_text


@pytest.fixture
def fake() -> FakePlaid:
    return FakePlaid()


@pytest.fixture
def fake_url(fake: FakePlaid) -> Iterator[str]:
    with serve(fake.app()) as url:
        yield url


@pytest.fixture
def env(fake_url: str, tmp_path: Path) -> dict[str, str]:
    return cli_env(fake_url, "client-id", "secret-canary-3f9a", tmp_path / "vault.db", new_key_text())


def vault_items(env: dict[str, str]) -> list[Any]:
    with Vault.open(env["PLAID_BALANCE_DB"], key=env["PLAID_BALANCE_VAULT_KEY"], use_keyring=False) as vault:
        return vault.list()


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plaid_balance", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_link_stores_the_item_and_stops_its_server(env: dict[str, str], fake: FakePlaid, page: Any) -> None:
    link = LinkProcess(["--no-browser", "--timeout", "2m"], env)
    try:
        url = link.local_url()
        page.goto(url)
        page.click("#fake-success")
        code, stdout, stderr = link.finish()
    finally:
        link.kill()
    assert code == 0, stderr
    answer = json.loads(stdout)
    assert answer["alias"] == "first-platypus-bank"
    assert answer["mode"] == "new"
    assert answer["account_count"] == 2
    assert "Linked First Platypus Bank as first-platypus-bank" in stderr
    assert "Link is open" in stderr
    assert fake.created[0]["products"] == ["transactions"]
    assert len(fake.exchanged) == 1
    (item,) = vault_items(env)
    assert (item.alias, item.item_id, item.institution_name) == (
        "first-platypus-bank",
        answer["item_id"],
        "First Platypus Bank",
    )
    assert [a.account_id for a in item.accounts] == ["acc-1", "acc-2"]
    assert "access-sandbox" not in stdout + stderr
    assert "secret-canary" not in stdout + stderr
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


def test_closing_link_exits_8_and_stores_nothing(env: dict[str, str], fake: FakePlaid, page: Any) -> None:
    link = LinkProcess(["--no-browser"], env)
    try:
        page.goto(link.local_url())
        page.click("#fake-exit")
        code, stdout, stderr = link.finish()
    finally:
        link.kill()
    assert code == 8
    assert stdout == ""
    assert "Link was closed at step requires_credentials" in stderr.splitlines()[-1]
    assert fake.exchanged == []


def test_a_timeout_exits_8_and_the_server_is_gone(env: dict[str, str]) -> None:
    link = LinkProcess(["--no-browser", "--timeout", "1s"], env)
    try:
        url = link.local_url()
        code, _, stderr = link.finish()
    finally:
        link.kill()
    assert code == 8
    assert (
        stderr.splitlines()[-1] == "error: no answer from the Link page within 1 seconds; nothing was linked"
    )
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


def test_ctrl_c_exits_130_and_the_server_is_gone(env: dict[str, str]) -> None:
    link = LinkProcess(["--no-browser"], env)
    try:
        url = link.local_url()
        link.wait_for(re.compile(r"(Waiting for you)"))
        link.interrupt()
        code, _, stderr = link.finish()
    finally:
        link.kill()
    assert code == 130
    assert "Traceback" not in stderr
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


def test_hosted_link_polls_until_plaid_has_the_result(env: dict[str, str], fake: FakePlaid) -> None:
    link = LinkProcess(["--hosted", "--no-browser", "--account-type", "depository"], env)
    try:
        hosted = link.hosted_url()
        token = hosted.split("token=")[1]
        fake.hosted_sessions[token].append(
            {
                "link_session_id": "s-1",
                "results": {
                    "item_add_results": [
                        {
                            "public_token": f"public-sandbox-{token.rsplit('-', 1)[1]}",
                            "accounts": [{"id": "acc-1", "name": "Plaid Checking"}],
                            "institution": {"name": "First Platypus Bank", "institution_id": "ins_109508"},
                        }
                    ]
                },
            }
        )
        code, stdout, stderr = link.finish()
    finally:
        link.kill()
    assert code == 0, stderr
    assert fake.created[0]["hosted_link"] == {}
    assert fake.created[0]["products"] == ["auth"]
    assert json.loads(stdout)["alias"] == "first-platypus-bank"


def test_linking_a_held_bank_again_without_a_terminal_or_yes_is_refused(
    env: dict[str, str], fake: FakePlaid, page: Any
) -> None:
    for expected in (0, 2):
        link = LinkProcess(["--no-browser"], env)
        try:
            page.goto(link.local_url())
            page.click("#fake-success")
            code, _, stderr = link.finish()
        finally:
            link.kill()
        assert code == expected, stderr
    assert "already holds First Platypus Bank as first-platypus-bank" in stderr.splitlines()[-1]
    assert "--yes" in stderr.splitlines()[-1]
    assert len(fake.exchanged) == 1  # the second public token was never exchanged
    assert len(vault_items(env)) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--products", "balance"], "'balance' is not a Link product"),
        (["--select-accounts"], "--select-accounts works with --update"),
        (["--update", "nope", "--alias", "x"], "takes no --alias"),
        (["--country", "XX"], "does not support country"),
        (["--update", "nope"], "nope"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(env: dict[str, str], args: list[str], message: str) -> None:
    result = run(env, "link", "--no-browser", *args)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr


def test_two_concurrent_links_never_mix_their_results(
    env: dict[str, str], fake: FakePlaid, browser: Any
) -> None:
    first, second = LinkProcess(["--no-browser", "--yes"], env), LinkProcess(["--no-browser", "--yes"], env)
    try:
        pages = []
        for link in (first, second):
            page = browser.new_page()
            page.goto(link.local_url())
            pages.append(page)
        tokens = [p.get_attribute("#fake-link", "data-token") for p in pages]
        assert tokens[0] != tokens[1]
        pages[1].click("#fake-success")  # the second finishes first
        code_2, out_2, err_2 = second.finish()
        pages[0].click("#fake-success")
        code_1, out_1, err_1 = first.finish()
    finally:
        first.kill()
        second.kill()
    assert (code_1, code_2) == (0, 0), err_1 + err_2
    items = {json.loads(out)["item_id"] for out in (out_1, out_2)}
    # Each process exchanged the public token of its own page: item ids follow the link tokens.
    assert json.loads(out_1)["item_id"] == "item-" + str(tokens[0]).rsplit("-", 1)[1]
    assert json.loads(out_2)["item_id"] == "item-" + str(tokens[1]).rsplit("-", 1)[1]
    assert len(items) == 2
    assert {i.alias for i in vault_items(env)} == {"first-platypus-bank", "first-platypus-bank-2"}


def test_a_post_forged_by_another_site_is_refused_and_the_real_one_still_works(
    env: dict[str, str], fake: FakePlaid, fake_url: str, page: Any, browser: Any
) -> None:
    link = LinkProcess(["--no-browser"], env)
    try:
        url = link.local_url()
        evil = browser.new_page()
        evil.goto(fake_url + "/link/v2/stable/link-initialize.js")  # any page of another origin
        statuses = evil.evaluate(
            """async (url) => {
                const body = JSON.stringify({state: "guess", outcome: "success", public_token: "public-evil-1"});
                const out = [];
                for (const [mode, type] of [["no-cors", "text/plain"], ["cors", "application/json"]]) {
                    try {
                        const r = await fetch(url + "result", {method: "POST", mode, body, headers: {"Content-Type": type}});
                        out.push(r.type === "opaque" ? "opaque" : r.status);
                    } catch (e) { out.push("blocked"); }
                }
                return out;
            }""",
            url,
        )
        assert statuses == ["opaque", "blocked"]
        page.goto(url)
        page.click("#fake-success")
        code, _, stderr = link.finish()
        # A replay from the page itself, after the result: refused, or nobody is listening any more.
        replay = page.evaluate(
            """async (url) => { try { const r = await fetch(url + "result", {method: "POST",
                 headers: {"Content-Type": "application/json"}, body: "{}"}); return r.status; }
                 catch (e) { return "gone"; } }""",
            url,
        )
    finally:
        link.kill()
    assert code == 0, stderr
    assert replay in {409, 403, "gone"}
    assert all("evil" not in token for token in fake.exchanged)
