"""The watch's dashboard opens in a browser the way ``plaid-balance dashboard`` does (a one-time link in
the log, traded for a cookie), and its balances are there as JSON for scripts, behind the same token."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from plaid_balance._report import currency_totals
from plaid_balance.emulator import RunningEmulator
from plaid_balance.history.store import open_store
from tests.http import servers

TOKEN = "watch-pages-token-0123456789abcdef"


def test_the_watch_logs_a_one_time_link_to_its_dashboard(
    emu: RunningEmulator, tmp_path: Path, context: Any
) -> None:
    with servers.watch(emu, tmp_path) as watch:
        base, link = watch.base, watch.sign_in
        assert link.startswith(f"{base}/dashboard/?token=")
        page = context.new_page()
        page.goto(link)
        assert page.url == f"{base}/dashboard/"  # the token left the address bar
        page.locator("#net-worth").wait_for()
        page.get_by_role("link", name="Accounts").click()
        page.wait_for_url("**/dashboard/accounts")
        with httpx.Client(base_url=base, timeout=10) as other:
            assert other.get(link).status_code == 403  # used once: refused
            for path in ("/dashboard/", "/dashboard/balances.json", "/status", "/metrics", "/alerts"):
                assert other.get(path).status_code == 401, path
            assert other.get("/healthz").status_code == 200
        notes = [r["msg"] for r in watch.records()]
        assert any(m.startswith("no bearer token set") for m in notes)
    assert watch.stop() == 130


def test_the_balances_endpoint_has_every_account_exactly_behind_the_token(
    emu: RunningEmulator, tmp_path: Path
) -> None:
    with (
        servers.watch(emu, tmp_path, token=TOKEN) as watch,
        httpx.Client(
            base_url=watch.base,
            timeout=10,
        ) as http,
    ):
        assert http.get("/dashboard/balances.json").status_code == 401
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        deadline = time.monotonic() + 60
        while True:
            answer = http.get("/dashboard/balances.json", headers=bearer)
            assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
            body = answer.json()
            if len(body["items"]) == 2 and all(i["accounts"] for i in body["items"]):
                break
            assert time.monotonic() < deadline, body
            time.sleep(0.2)
        assert not any(r["msg"].startswith("no bearer token") for r in watch.records())
    with open_store(str(tmp_path / "watch.db"), create=False) as store:
        latest = store.latest()
    assert {i["item_id"] for i in body["items"]} == set(latest)
    for item in body["items"]:
        report = latest[item["item_id"]].report
        assert item["alias"] in ("checking", "spare")
        assert [(a["account_id"], a["current"], a["available"], a["currency"]) for a in item["accounts"]] == [
            (
                a.account_id,
                None if a.current_balance is None else f"{a.current_balance:f}",
                None if a.available_balance is None else f"{a.available_balance:f}",
                a.currency,
            )
            for a in sorted(report.accounts, key=lambda a: (a.name.casefold(), a.account_id))
        ]
    every = [a for snap in latest.values() for a in snap.report.accounts]
    expected = {
        c: {"assets": f"{t.assets:f}", "liabilities": f"{t.liabilities:f}", "net": f"{t.net:f}"}
        for c, t in currency_totals(every).items()
    }
    assert body["net_worth"] == expected
    assert all(isinstance(Decimal(v), Decimal) for t in expected.values() for v in t.values())
