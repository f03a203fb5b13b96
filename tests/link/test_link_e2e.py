"""``plaid-balance link`` end to end: the real command, the emulator's Link, headless Chromium.

Each test runs the command as a user does (a process with keys in its environment and a vault in a
temp dir), opens the page it prints in Chromium and clicks through the emulator's Link. With
``PLAID_BALANCE_SCREENSHOTS=docs/images`` the steps are saved as the screenshots of docs/link.md.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from plaid_balance.emulator import RunningEmulator
from plaid_balance.vault import Vault, new_key_text
from tests.link.cli_support import LinkProcess, cli_env

SCREENSHOTS = os.environ.get("PLAID_BALANCE_SCREENSHOTS")
WAITING = re.compile(r"(Waiting for you)")


@pytest.fixture
def env(emu: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    return cli_env(emu.base_url, emu.client_id, emu.secret, tmp_path / "plaid-balance.db", new_key_text())


def shot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        folder = Path(SCREENSHOTS) / "link"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"))


def vault_items(env: dict[str, str]) -> list[Any]:
    with Vault.open(env["PLAID_BALANCE_DB"], key=env["PLAID_BALANCE_VAULT_KEY"], use_keyring=False) as vault:
        return vault.list()


def vault_token(env: dict[str, str], alias: str) -> str:
    with Vault.open(env["PLAID_BALANCE_DB"], key=env["PLAID_BALANCE_VAULT_KEY"], use_keyring=False) as vault:
        return vault.access_token(alias).get_secret_value()


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plaid_balance", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        input=stdin,
        check=False,
    )


def get(env: dict[str, str], alias: str) -> subprocess.CompletedProcess[str]:
    return run(env, "get", alias, "--format", "json")


def link_frame(page: Any) -> Any:
    return page.frame_locator("iframe[title='Plaid Link']")


def click_through(page: Any, bank: str = "First Platypus Bank", *, screenshots: bool = False) -> None:
    """Be the user in the emulator's Link: pick the bank, log in (once wrongly), keep every account."""
    link = link_frame(page)
    link.locator("#institution-search").fill(bank.split()[0].lower())
    link.locator("button.institution", has_text=bank).first.wait_for()
    if screenshots:
        shot(page, "02-institution")
    link.locator("button.institution", has_text=bank).first.click()
    link.locator("#username").fill("user_good")
    link.locator("#password").fill("wrong")
    link.locator("#submit-credentials").click()
    link.locator("#error").wait_for()
    link.locator("#password").fill("pass_good")
    if screenshots:
        shot(page, "03-credentials")
    link.locator("#submit-credentials").click()
    link.locator("input[name=account]").first.wait_for()
    if screenshots:
        shot(page, "04-accounts")
    link.locator("#submit-accounts").click()


def finish(link: LinkProcess) -> tuple[int, str, str]:
    try:
        return link.finish()
    finally:
        link.kill()


def test_link_then_get_prints_the_balances(env: dict[str, str], emu: RunningEmulator, page: Any) -> None:
    link = LinkProcess(["--no-browser", "--timeout", "3m"], env)
    try:
        url = link.local_url()
        page.goto(url)
        link_frame(page).locator("button.institution").first.wait_for()
        shot(page, "01-page")
        click_through(page, screenshots=True)
        page.wait_for_selector("body[data-state=done]")
        shot(page, "05-done")
        code, stdout, stderr = link.finish()
    finally:
        link.kill()
    assert code == 0, stderr
    answer = json.loads(stdout)
    assert answer["alias"] == "first-platypus-bank"
    assert answer["institution_name"] == "First Platypus Bank"
    assert answer["mode"] == "new"
    for step in ("Creating a link token", "Link is open", "bank chosen: First Platypus Bank", "Exchanging"):
        assert step in stderr
    (item,) = vault_items(env)
    assert item.item_id == answer["item_id"]
    assert item.institution_id == "ins_109508"
    assert len(item.accounts) == answer["account_count"] > 0
    assert emu.stats()["items"] == 1
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)

    every = run({**env, "COLUMNS": "160"}, "get", "--all", "--format", "table")
    assert every.returncode == 0, every.stderr
    assert "First Platypus Bank" in every.stdout
    assert "Plaid Checking" in every.stdout
    balances = get(env, "first-platypus-bank")
    assert balances.returncode == 0, balances.stderr
    report = json.loads(balances.stdout)
    assert report["success"] is True
    assert report["item_id"] == answer["item_id"]
    assert {a["account_id"] for a in report["accounts"]} == {a.account_id for a in item.accounts}
    token = vault_token(env, "first-platypus-bank")
    assert token not in stdout + stderr + balances.stdout + balances.stderr + every.stdout + every.stderr


def test_closing_link_exits_8_and_links_nothing(env: dict[str, str], emu: RunningEmulator, page: Any) -> None:
    link = LinkProcess(["--no-browser"], env)
    try:
        page.goto(link.local_url())
        link_frame(page).locator("button.institution").first.wait_for()
        link_frame(page).locator("#plaid-close").click()
        page.wait_for_selector("body[data-state=exit]")
        shot(page, "07-cancelled")
        code, stdout, stderr = link.finish()
    finally:
        link.kill()
    assert code == 8, stderr
    assert stdout == ""
    assert stderr.splitlines()[-1].startswith("error: Link was closed at step institution_not_found")
    assert vault_items(env) == []
    assert emu.stats()["items"] == 0


def test_a_timeout_exits_8_and_stops_the_server(env: dict[str, str], page: Any) -> None:
    link = LinkProcess(["--no-browser", "--timeout", "2s"], env)
    url = link.local_url()
    page.goto(url)  # the user opens Link, then walks away
    code, _, stderr = finish(link)
    assert code == 8
    assert (
        stderr.splitlines()[-1] == "error: no answer from the Link page within 2 seconds; nothing was linked"
    )
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)
    assert vault_items(env) == []


def test_ctrl_c_exits_130_and_stops_the_server(env: dict[str, str]) -> None:
    link = LinkProcess(["--no-browser"], env)
    url = link.local_url()
    link.wait_for(WAITING)
    link.interrupt()
    code, _stdout, stderr = finish(link)
    assert code == 130
    assert "Traceback" not in stderr
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("update", "sig"),
    [(False, signal.SIGTERM), (False, signal.SIGHUP), (True, signal.SIGTERM)],
    ids=["new-SIGTERM", "new-SIGHUP", "update-SIGTERM"],
)
def test_kill_or_a_closed_terminal_removes_the_redirect_folder(
    env: dict[str, str], emu: RunningEmulator, tmp_path: Path, update: bool, sig: signal.Signals
) -> None:
    """`kill` (SIGTERM) or closing the terminal (SIGHUP) ends every `link` as Ctrl-C does: the private
    folder holding the browser's redirect file (a one-time page link in it) is gone, the exit status is
    128 + the signal, and the command says what stopped it in one line."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    args = ["--update", "bank0"] if update else []
    if update:
        token, _ = emu.create_item()
        source = tmp_path / "items.csv"
        source.write_text(f"access_token,label\n{token},bank0\n")
        assert run(env, "items", "import", str(source)).returncode == 0
    link = LinkProcess(args, {**env, "TMPDIR": str(temp), "BROWSER": "true"})  # a browser that opens nothing
    try:
        link.wait_for(WAITING)
        [folder] = temp.glob("plaid-balance-*")
        assert (folder / "open-1.html").is_file()  # the browser is opened before the command waits
        before = len(link.lines)
        link.process.send_signal(sig)
        code, stdout, stderr = finish(link)
    finally:
        link.kill()
    assert code == 128 + sig
    assert stdout == ""
    assert stderr.splitlines()[before:] == [
        "stopped (SIGTERM)" if sig == signal.SIGTERM else "stopped: the terminal closed (SIGHUP)"
    ]
    assert list(temp.iterdir()) == []


def test_update_mode_repairs_the_item_in_place(env: dict[str, str], emu: RunningEmulator, page: Any) -> None:
    link = LinkProcess(["--no-browser", "--alias", "platypus", "--account-type", "depository"], env)
    page.goto(link.local_url())
    click_through(page)
    code, stdout, stderr = finish(link)
    assert code == 0, stderr
    item_id = json.loads(stdout)["item_id"]
    token_before = vault_token(env, "platypus")

    emu.reset_login(item_id)
    broken = get(env, "platypus")
    assert broken.returncode == 3
    assert "ITEM_LOGIN_REQUIRED" in broken.stderr
    assert broken.stderr.strip().endswith("repair it in place with: plaid-balance link --update platypus")
    (needs_repair,) = vault_items(env)
    assert needs_repair.health == "needs_repair"
    batch = run(env, "batch", "--all")
    assert batch.returncode == 5
    assert (
        "platypus: ITEM_LOGIN_REQUIRED — repair it in place with: plaid-balance link --update platypus"
        in (batch.stderr)
    )

    repair = LinkProcess(["--no-browser", "--update", "platypus"], env)
    page.goto(repair.local_url())
    link = link_frame(page)
    link.locator("#update-note").wait_for()
    shot(page, "06-update")
    link.locator("#username").fill("user_good")
    link.locator("#password").fill("pass_good")
    link.locator("#submit-credentials").click()
    page.wait_for_selector("body[data-state=done]")
    assert "repaired" in page.inner_text("#status")
    code, stdout, stderr = finish(repair)
    assert code == 0, stderr
    answer = json.loads(stdout)
    assert (answer["alias"], answer["item_id"], answer["mode"]) == ("platypus", item_id, "update")
    assert vault_token(env, "platypus") == token_before  # update mode never changes the access token
    (item,) = vault_items(env)
    assert item.health == "ok"
    assert emu.stats()["items"] == 1  # repaired in place: no second Item
    assert get(env, "platypus").returncode == 0


def test_update_all_repairs_every_item_that_needs_it_one_after_another(
    env: dict[str, str], emu: RunningEmulator, page: Any, tmp_path: Path
) -> None:
    """``link --update --all`` takes Items as ``get --all`` does, but only those that need repair."""
    pairs = [emu.create_item() for _ in range(3)]
    source = tmp_path / "items.csv"
    source.write_text("access_token,label\n" + "".join(f"{t},bank{n}\n" for n, (t, _) in enumerate(pairs)))
    assert run(env, "items", "import", str(source)).returncode == 0

    healthy = run(env, "link", "--no-browser", "--update", "--all")
    assert (healthy.returncode, healthy.stdout) == (0, ""), healthy.stderr
    assert healthy.stderr.strip() == "Nothing needs repair: every Item in the vault works."

    emu.reset_login(pairs[0][1])
    assert get(env, "bank0").returncode == 3  # the vault learns it needs repair
    with Vault.open(env["PLAID_BALANCE_DB"], key=env["PLAID_BALANCE_VAULT_KEY"], use_keyring=False) as vault:
        vault.set_health(pairs[2][1], "pending_expiration", "PENDING_EXPIRATION")

    repair = LinkProcess(["--no-browser", "--update", "--all"], env)
    try:
        for n in (1, 2):
            page.goto(repair.nth_local_url(n))
            link = link_frame(page)
            link.locator("#update-note").wait_for()
            link.locator("#username").fill("user_good")
            link.locator("#password").fill("pass_good")
            link.locator("#submit-credentials").click()
            page.wait_for_selector("body[data-state=done]")
        code, stdout, stderr = finish(repair)
    finally:
        repair.kill()
    assert code == 0, stderr
    answers = [json.loads(line) for line in stdout.splitlines()]
    assert [(a["alias"], a["item_id"], a["mode"]) for a in answers] == [
        ("bank0", pairs[0][1], "update"),
        ("bank2", pairs[2][1], "update"),
    ]
    assert "Repairing bank0 (1 of 2)." in stderr and "Repairing bank2 (2 of 2)." in stderr
    assert {i.alias: i.health for i in vault_items(env)} == {"bank0": "ok", "bank1": "ok", "bank2": "ok"}
    assert emu.stats()["items"] == 3  # repaired in place
    assert get(env, "bank0").returncode == 0


def test_a_forged_or_replayed_post_is_refused(
    env: dict[str, str], emu: RunningEmulator, page: Any, browser: Any, fake_plaid_url: str
) -> None:
    link = LinkProcess(["--no-browser"], env)
    try:
        url = link.local_url()
        base = url.split("?")[0]  # the page's own address, without its one-time sign-in token
        evil = browser.new_page()
        evil.goto(fake_plaid_url + "/link/v2/stable/link-initialize.js")  # a page of another origin
        forged = evil.evaluate(
            """async (url) => {
                const body = JSON.stringify({state: "guess", outcome: "success", public_token: "public-evil"});
                const out = [];
                for (const [mode, type] of [["no-cors", "text/plain"], ["cors", "application/json"]]) {
                    try {
                        const r = await fetch(url + "result", {method: "POST", mode, body, headers: {"Content-Type": type}});
                        out.push(r.type === "opaque" ? "opaque" : r.status);
                    } catch (e) { out.push("blocked"); }
                }
                return out;
            }""",
            base,
        )
        # A blind no-cors post reaches the server and is refused (Origin); its answer is then withheld by
        # Cross-Origin-Resource-Policy. A CORS post never leaves: its preflight is refused.
        assert forged == ["blocked", "blocked"]
        page.goto(url)
        click_through(page)
        page.wait_for_selector("body[data-state=done]")
        # Replaying the page's own post (state and all) once the session has its result: refused.
        replay = page.evaluate(
            """async ([url, state]) => {
                try {
                    const r = await fetch(url + "result", {method: "POST", headers: {"Content-Type": "application/json"},
                        body: JSON.stringify({state, outcome: "success", public_token: "public-sandbox-replayed"})});
                    return r.status;
                } catch (e) { return "gone"; }
            }""",
            [base, json.loads(page.text_content("#link-config"))["state"]],
        )
        code, _stdout, stderr = link.finish()
    finally:
        link.kill()
    assert code == 0, stderr
    assert replay in {409, "gone"}
    assert len(vault_items(env)) == 1
    assert emu.stats()["items"] == 1


def test_two_concurrent_links_never_mix_their_results(env: dict[str, str], browser: Any) -> None:
    first = LinkProcess(["--no-browser", "--alias", "first"], env)
    second = LinkProcess(["--no-browser", "--alias", "second", "--yes"], env)
    pages = [browser.new_page(), browser.new_page()]
    try:
        pages[0].goto(first.local_url())
        pages[1].goto(second.local_url())
        click_through(pages[1], "Tartan Bank")  # the second run finishes first
        second_result = second.finish()
        click_through(pages[0], "First Platypus Bank")
        first_result = first.finish()
    finally:
        first.kill()
        second.kill()
    assert first_result[0] == second_result[0] == 0, first_result[2] + second_result[2]
    one, two = json.loads(first_result[1]), json.loads(second_result[1])
    assert (one["alias"], one["institution_name"]) == ("first", "First Platypus Bank")
    assert (two["alias"], two["institution_name"]) == ("second", "Tartan Bank")
    stored = {item.alias: (item.item_id, item.institution_id) for item in vault_items(env)}
    assert stored == {"first": (one["item_id"], "ins_109508"), "second": (two["item_id"], "ins_109511")}


def test_hosted_link_needs_no_local_server(env: dict[str, str], page: Any) -> None:
    link = LinkProcess(["--hosted", "--no-browser", "--account-type", "depository"], env)
    try:
        page.goto(link.hosted_url())
        page.locator("button.institution", has_text="First Platypus Bank").click()
        page.locator("#username").fill("user_good")
        page.locator("#password").fill("pass_good")
        page.locator("#submit-credentials").click()
        page.locator("#submit-accounts").click()
        page.locator("#step-done").wait_for()
        code, stdout, stderr = link.finish()
    finally:
        link.kill()
    assert code == 0, stderr
    assert "127.0.0.1" not in stderr.replace(env["PLAID_BASE_URL"], "")
    assert json.loads(stdout)["alias"] == "first-platypus-bank"


def test_linking_a_held_bank_again_without_a_terminal_or_yes_is_refused(
    env: dict[str, str], emu: RunningEmulator, page: Any
) -> None:
    for expected in (0, 2):
        link = LinkProcess(["--no-browser"], env)
        page.goto(link.local_url())
        click_through(page)
        code, _, stderr = finish(link)
        assert code == expected, stderr
    last = stderr.splitlines()[-1]
    assert "already holds First Platypus Bank as first-platypus-bank" in last
    assert "--yes" in last
    assert len(vault_items(env)) == 1
    assert emu.stats()["items"] == 1  # the second public token was never exchanged


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--products", "balance"], "'balance' is not a Link product"),
        (["--select-accounts"], "--select-accounts works with --update"),
        (["--update", "nope", "--alias", "x"], "takes no --alias"),
        (["--country", "XX"], "does not support country"),
        (["--update", "nope"], "nope"),
        (["--update", "nope", "--all"], "with --all every Item that needs repair"),
        (["--update"], "with --all every Item that needs repair"),
        (["--all"], "add --update"),
        (["nope"], "add --update"),
        (["--alias", "access-sandbox-x"], "looks like a Plaid token"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(env: dict[str, str], args: list[str], message: str) -> None:
    result = run(env, "link", "--no-browser", *args)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr


def test_a_refused_bank_is_never_done_in_the_browser_and_the_new_key_is_announced(
    env: dict[str, str], emu: RunningEmulator, page: Any, tmp_path: Path
) -> None:
    """The first `link` makes the vault key and says where it is and to back it up; linking the same
    bank again is refused, and the page says so and what to do, never "Done: your bank is linked"."""
    key_file = tmp_path / "keys" / "vault.key"
    env = {k: v for k, v in env.items() if k != "PLAID_BALANCE_VAULT_KEY"}
    env["PLAID_BALANCE_VAULT_KEY_FILE"] = str(key_file)
    link = LinkProcess(["--no-browser"], env)
    page.goto(link.local_url())
    click_through(page)
    page.wait_for_selector("body[data-state=done]")
    assert page.locator("#status").inner_text() == (
        "Done: First Platypus Bank is linked as first-platypus-bank. You can close this tab."
    )
    code, _, stderr = finish(link)
    assert code == 0, stderr
    assert key_file.is_file()
    assert f"created the vault key in the key file {key_file}: back it up now" in stderr
    assert "every bank must be linked again" in stderr

    again = LinkProcess(["--no-browser"], env)
    page.goto(again.local_url())
    click_through(page)
    page.wait_for_selector("body[data-state=refused]")
    shown = page.locator("#status").inner_text()
    assert shown.startswith("Not linked: the vault already holds First Platypus Bank as first-platypus-bank.")
    assert "plaid-balance link --update first-platypus-bank" in shown
    assert "Done" not in shown
    code, _, stderr = finish(again)
    assert code == 2, stderr
    assert "created the vault key" not in stderr
    [item] = vault_items({**env, "PLAID_BALANCE_VAULT_KEY": key_file.read_text().strip()})
    # What the watch checks its rules' currencies against before any balance is stored (issue 20 §4).
    assert {a.currency for a in item.accounts} == {"USD"}


def test_terminal_escapes_from_the_browser_are_shown_not_obeyed(env: dict[str, str]) -> None:
    """An institution name with escape sequences, posted by the page as a progress event, reaches the
    terminal as visible escapes (``\\x1b``), never as a command to the terminal."""
    link = LinkProcess(["--no-browser", "--timeout", "2m"], env)
    try:
        url = link.local_url()
        host = url.split("/")[2]
        base = url.split("?")[0]  # the page, without its one-time sign-in token
        browser = httpx.Client(timeout=10, follow_redirects=True)  # signs in once, keeps the cookie
        page = browser.get(url).text
        config = re.search(r'id="link-config">(.*?)</script>', page, re.S)
        assert config is not None, page
        state = json.loads(config.group(1))["state"]
        hostile = "\x1b]0;pwned\x07\x1b[2JEvil\u202eBank"
        answer = browser.post(
            base + "event",
            json={"event": "SELECT_INSTITUTION", "institution": hostile, "state": state},
            headers={"Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"},
        )
        browser.close()
        assert answer.status_code == 200, answer.text
        link.wait_for(re.compile(r"(bank chosen.*)"))
        link.interrupt()
        _code, _stdout, stderr = link.finish()
    finally:
        link.kill()
    assert "\x1b" not in stderr and "\x07" not in stderr and "\u202e" not in stderr
    assert "bank chosen: \\x1b]0;pwned\\x07\\x1b[2JEvil\\u202eBank" in stderr
