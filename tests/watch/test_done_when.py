"""Issue 12's "Done when": ``plaid-balance watch`` run against the emulator with a short interval, for a
bounded time, showing each point through the outside world only: the emulator's admin stats (billed
calls), a real local receiver (alerts), HTTP (webhooks, /status, /metrics), signals and the log.

Webhooks come from the emulator itself, as from Plaid: the watch points each Item's webhook at its own
endpoint (/item/webhook/update), and the emulator signs what it sends there with its ES256 key, whose
public half the watch fetches by ``kid`` from the emulator's /webhook_verification_key/get."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from plaid_balance.emulator import RunningEmulator
from plaid_balance.vault import Vault, new_key_text
from tests.emulators import emulator_env
from tests.link.cli_support import LinkProcess
from tests.watch.receiver import Receiver, receiver
from tests.watch.signing import Signer, item_webhook

CLI = [sys.executable, "-c", "from plaid_balance.cli import main; main()"]
BALANCE = "/accounts/balance/get"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for: {what}")


def config_text(inbox: Receiver, port: int, below: str) -> str:
    return f"""\
[watch]
interval = "2s"
[budget]
per_day = 3
[server]
listen = "127.0.0.1:{port}"
webhook_url = "http://127.0.0.1:{port}/plaid/webhook"
[notify.ops]
url = "{inbox.url()}"
[[alerts]]
name = "rent money"
kind = "low_balance"
item = "checking"
account = "0000"
below = "{below}"
renotify = "never"
[[alerts]]
kind = "needs_repair"
"""


def vault_health(db: str, key: str, alias: str) -> str:
    with Vault.open(db, key=key, use_keyring=False) as vault:
        return str(vault.get(alias).health)


def deliveries(emu: RunningEmulator, url: str, code: str, item_id: str) -> list[int | None]:
    """The receiver's answer to each webhook the emulator sent to ``url`` (200: verified and taken)."""
    return [
        d["status"]
        for d in emu.webhook_deliveries()
        if d["url"] == url and d["body"]["webhook_code"] == code and d["body"]["item_id"] == item_id
    ]


def delivered(emu: RunningEmulator, url: str, code: str, item_id: str) -> list[int | None]:
    assert emu.drain_webhooks(timeout=30), "the emulator's webhooks were not all delivered in 30 s"
    return deliveries(emu, url, code, item_id)


WATCH_TOKEN = "done-when-watch-token-0123456789"
BEARER = {"Authorization": f"Bearer {WATCH_TOKEN}"}


class Watching:
    def __init__(self, proc: subprocess.Popen[str], log: Path, base: str) -> None:
        self.proc, self.log, self.base = proc, log, base

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")]

    def status(self) -> dict[str, Any]:
        return httpx.get(f"{self.base}/status", timeout=10, headers=BEARER).json()  # type: ignore[no-any-return]

    def item(self, alias: str) -> dict[str, Any]:
        return next(i for i in self.status()["items"] if i["alias"] == alias)

    def metrics(self) -> dict[str, list[tuple[dict[str, str], float]]]:
        out: dict[str, list[tuple[dict[str, str], float]]] = {}
        for family in text_string_to_metric_families(
            httpx.get(f"{self.base}/metrics", timeout=10, headers=BEARER).text
        ):
            for sample in family.samples:
                out.setdefault(sample.name, []).append((sample.labels, sample.value))
        return out


def log_in_again(url: str) -> None:
    """Be the user in Link's update mode, in headless Chromium (on a thread: Playwright's sync API
    must not share the main thread with the link tests' own session)."""
    from tests.browsers import launch, require_chromium

    require_chromium()

    def drive() -> None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                page = browser.new_page()
                page.goto(url)
                link = page.frame_locator("iframe[title='Plaid Link']")
                link.locator("#update-note").wait_for()
                link.locator("#username").fill("user_good")
                link.locator("#password").fill("pass_good")
                link.locator("#submit-credentials").click()
                page.wait_for_selector("body[data-state=done]")
            finally:
                browser.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(drive).result(timeout=120)


def test_watch_done_when(emu: RunningEmulator, tmp_path: Path) -> None:
    key = new_key_text()
    db = f"sqlite:///{tmp_path / 'plaid-balance.db'}"
    created = emu.create_items(2)
    items = dict(zip(["checking", "spare"], created, strict=True))
    with Vault.open(db, key=key, use_keyring=False) as vault:
        for alias, (token, item_id) in items.items():
            vault.add(
                alias,
                token,
                item_id=item_id,
                institution_id="ins_109508",
                institution_name="First Platypus Bank",
            )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    hook = f"{base}/plaid/webhook"
    env = {
        **os.environ,
        **emulator_env(emu),
        "PLAID_BALANCE_DB": db,
        "PLAID_BALANCE_VAULT_KEY": key,
        "PLAID_BALANCE_KEYRING": "off",
        "PLAID_BALANCE_WATCH_TOKEN": WATCH_TOKEN,
    }
    log = tmp_path / "watch.log"
    with receiver() as inbox, log.open("w") as log_file:
        config = tmp_path / "watch.toml"
        config.write_text(config_text(inbox, port, "150 USD"))
        proc = subprocess.Popen(
            [*CLI, "watch", "-c", str(config), "--log-format", "json"],
            stderr=log_file,
            stdout=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        watching = Watching(proc, log, base)
        try:
            wait_for("listening", lambda: any(r["msg"] == "listening" for r in watching.records()))

            # 1. Refreshes on schedule: each Item again and again, its next refresh one interval on.
            wait_for(
                "5 refreshes of each Item",
                lambda: all(
                    sum(1 for r in watching.records() if r["msg"] == "refresh" and r["alias"] == a) >= 5
                    for a in items
                ),
            )
            for alias in items:
                state = watching.item(alias)
                step = datetime.fromisoformat(state["next_refresh"]) - datetime.fromisoformat(
                    state["last_refresh"]
                )
                assert step.total_seconds() == 2

            # The watch pointed each Item's webhook at itself; the emulator acknowledged that with a
            # signed webhook to the new URL, which the watch verified (a refused one gets 401).
            for _, item_id in items.values():
                assert delivered(emu, hook, "WEBHOOK_UPDATE_ACKNOWLEDGED", item_id) == [200]

            # 2. The budget holds, counted by the emulator: 3 billed calls per Item, free calls after.
            stats = emu.stats()
            assert stats["balance_attempts_by_item"] == {item_id: 3 for _, item_id in items.values()}
            assert stats["requests_by_endpoint"]["/accounts/get"] >= 4
            over = [r for r in watching.records() if r["msg"] == "refresh" and r["source"] == "cached"]
            assert over and all("over budget" in r["note"] for r in over)
            calls = watching.status()["calls"]
            assert calls["billed_this_month"] == 6 and calls["saved_this_month"] >= 4

            # 3. The low-balance alert was delivered once (available 100 < 150), however many refreshes.
            assert [p["title"] for p in inbox.posts] == ["Low balance: checking: Plaid Checking ••0000"]
            # ... and is resolved once after the threshold is lowered and the config reloaded (SIGHUP).
            config.write_text(config_text(inbox, port, "50 USD"))
            proc.send_signal(signal.SIGHUP)
            wait_for("resolved", lambda: len(inbox.posts) == 2)
            assert inbox.posts[1]["title"] == "Resolved: low balance: checking: Plaid Checking ••0000"
            assert any(r["msg"] == "config reloaded" for r in watching.records())
            # A broken config on SIGHUP is refused; the running one stays.
            config.write_text(config_text(inbox, port, "fifty"))
            proc.send_signal(signal.SIGHUP)
            wait_for(
                "refusal logged", lambda: any("config not reloaded" in r["msg"] for r in watching.records())
            )
            assert proc.poll() is None

            # 4. A forged webhook is refused and counted.
            body = item_webhook("ERROR", items["spare"][1], error={"error_code": "ITEM_LOGIN_REQUIRED"})
            forged = httpx.post(
                f"{base}/plaid/webhook",
                content=body,
                headers={"Plaid-Verification": Signer(kid="forged").sign(body, datetime.now().astimezone())},
            )
            assert forged.status_code == 401
            # ... and so is one naming the emulator's real key but signed with another.
            real_kid = emu.core.webhooks.current_key.kid
            impostor = httpx.post(
                f"{base}/plaid/webhook",
                content=body,
                headers={"Plaid-Verification": Signer(kid=real_kid).sign(body, datetime.now().astimezone())},
            )
            assert impostor.status_code == 401
            assert watching.item("spare")["health"] == "ok"

            # 4b. Webhooks the emulator signs are verified and change the Item's health: consent about
            # to expire (only a webhook can say so), then the login repaired.
            checking_id = items["checking"][1]
            emu.item_event(checking_id, "PENDING_EXPIRATION")
            assert delivered(emu, hook, "PENDING_EXPIRATION", checking_id) == [200]
            wait_for(
                "pending expiration", lambda: watching.item("checking")["health"] == "pending_expiration"
            )
            assert vault_health(db, key, "checking") == "pending_expiration"
            wait_for(
                "expiry alert",
                lambda: any(p["title"] == "Bank login needs repair: checking" for p in inbox.posts),
            )
            emu.item_event(checking_id, "LOGIN_REPAIRED")
            assert delivered(emu, hook, "LOGIN_REPAIRED", checking_id) == [200]
            wait_for("checking ok again", lambda: watching.item("checking")["health"] == "ok")
            wait_for(
                "expiry alert resolved",
                lambda: any(p["title"] == "Resolved: bank login needs repair: checking" for p in inbox.posts),
            )
            # The emulator's key was fetched by its kid once and then cached; the forged kid was looked
            # up once and is unknown to the emulator.
            stats = emu.stats()
            assert stats["requests_by_endpoint"]["/webhook_verification_key/get"] == 2
            assert stats["responses_by_error_code"]["INVALID_WEBHOOK_VERIFICATION_KEY_ID"] == 1

            # 5. An Item whose login breaks is moved to "needs repair", and its billed calls stop.
            emu.reset_login(items["spare"][1])
            emu.reset_stats()
            # The emulator announces it with a signed ERROR webhook, which the watch verifies and takes.
            assert delivered(emu, hook, "ERROR", items["spare"][1]) == [200]
            wait_for("needs repair", lambda: watching.item("spare")["health"] == "needs_repair")
            wait_for("needs repair in the vault", lambda: vault_health(db, key, "spare") == "needs_repair")
            assert emu.stats()["balance_attempts_by_item"].get(items["spare"][1], 0) <= 1
            wait_for(
                "repair alert",
                lambda: any(p["title"] == "Bank login needs repair: spare" for p in inbox.posts),
            )

            # ... and back to "ok" after `plaid-balance link --update spare` (the user logs in again).
            repair = LinkProcess(["--no-browser", "--update", "spare"], env)
            try:
                log_in_again(repair.local_url())
                code, _, stderr = repair.finish()
            finally:
                repair.kill()
            assert code == 0, stderr
            assert delivered(emu, hook, "LOGIN_REPAIRED", items["spare"][1]) == [200]
            wait_for("repaired", lambda: watching.item("spare")["health"] == "ok")
            wait_for(
                "repair resolved",
                lambda: any(p["title"] == "Resolved: bank login needs repair: spare" for p in inbox.posts),
            )
            titles = [p["title"] for p in inbox.posts]
            assert titles.count("Bank login needs repair: spare") == 1
            assert titles.count("Resolved: bank login needs repair: spare") == 1
            assert titles.count("Low balance: checking: Plaid Checking ••0000") == 1
            assert titles.count("Resolved: low balance: checking: Plaid Checking ••0000") == 1
            assert titles.count("Bank login needs repair: checking") == 1
            assert titles.count("Resolved: bank login needs repair: checking") == 1

            # 6. /metrics, scraped, has the expected series.
            metrics = watching.metrics()
            refused = {
                labels["reason"]: value for labels, value in metrics["plaid_balance_webhooks_refused_total"]
            }
            assert refused == {"unknown_key": 1.0, "bad_signature": 1.0}
            received = {
                labels["webhook_code"]: value
                for labels, value in metrics["plaid_balance_webhooks_received_total"]
                if labels["webhook_type"] == "ITEM"
            }
            assert received == {
                "WEBHOOK_UPDATE_ACKNOWLEDGED": 2.0,
                "PENDING_EXPIRATION": 1.0,
                "LOGIN_REPAIRED": 2.0,
                "ERROR": 1.0,
            }
            assert watching.status()["webhooks"] == {"verified": 6, "refused": 2}
            available = {
                (labels["alias"], labels["mask"]): value
                for labels, value in metrics["plaid_balance_account_available"]
            }
            assert available[("checking", "0000")] == 100.0
            health = {
                (labels["alias"], labels["state"]): value
                for labels, value in metrics["plaid_balance_item_health"]
            }
            assert health[("spare", "ok")] == 1.0 and health[("spare", "needs_repair")] == 0.0
            billed = {labels["alias"]: value for labels, value in metrics["plaid_balance_billed_calls_total"]}
            assert billed == {"checking": 3.0, "spare": 3.0}
            budget = {
                (labels["alias"], labels["period"]): value
                for labels, value in metrics["plaid_balance_budget_left"]
            }
            assert budget[("checking", "day")] == 0.0
            assert "plaid_balance_refresh_duration_seconds_bucket" in metrics
            assert any(
                labels["outcome"] == "delivered" for labels, _ in metrics["plaid_balance_alerts_sent_total"]
            )
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=90)
    assert code == 0
    records = watching.records()
    assert records[-1]["msg"] == "stopped"
    text = log.read_text()
    assert emu.secret not in text and "access-sandbox-" not in text.replace("access-sandbox-***", "")
