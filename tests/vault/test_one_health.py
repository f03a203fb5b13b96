"""One vocabulary of Item health: the vault stores it, the watch and a fetch on the command line record
it by the same rules, and `items list`, `items show` and the dashboard show each state in the same words."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from plaid_balance.emulator import RunningEmulator
from plaid_balance.vault import SecretStr, Vault
from tests.core.conftest import cli
from tests.core.test_cli_e2e import creds

__all__ = ["cli"]  # fixtures

# The stored word (JSON, the database) and the word people read, as docs/vault.md lists them.
WORDS = {
    "ok": "OK",
    "needs_repair": "needs repair",
    "pending_expiration": "expiring",
    "pending_disconnect": "disconnecting",
    "permission_revoked": "revoked",
    "removed": "removed",
    "lost": "token lost",
}
TOKEN = "access-sandbox-" + "1a2b3c4d" * 4
DASHBOARD_TOKEN = "one-health-test-token-" + "x" * 16


def _dashboard_overview(db: Path) -> str:
    from starlette.testclient import TestClient

    from plaid_balance._http_guard import Guard, HostRule
    from plaid_balance.dashboard import open_dashboard_data
    from plaid_balance.dashboard._app import create_app

    app = Guard(HostRule.bound("testserver", 80), token=DASHBOARD_TOKEN).protect(
        create_app(open_dashboard_data(str(db)))
    )
    client = TestClient(app, headers={"Authorization": f"Bearer {DASHBOARD_TOKEN}"})
    page = client.get("/")
    assert page.status_code == 200, page.text
    return str(page.text)


def _vault_with_an_item(db: Path) -> None:
    with Vault.open(str(db)) as vault:
        vault.add(
            "chase",
            SecretStr(TOKEN),
            item_id="item-1",
            institution_id="ins_56",
            institution_name="Chase",
            accounts=[{"account_id": "acc-1", "name": "Checking", "type": "depository"}],
            environment="sandbox",
        )


@pytest.mark.parametrize("word", list(WORDS))
def test_each_health_reads_the_same_in_items_list_items_show_and_the_dashboard(
    cli: Any, tmp_path: Path, word: str
) -> None:
    db = tmp_path / "vault.db"
    _vault_with_an_item(db)
    with Vault.open(str(db)) as vault:
        vault.set_health("item-1", word, "what Plaid said")
    env = {"PLAID_BALANCE_DB": str(db)}

    listing = cli("items", "list", env=env)
    assert listing.code == 0, listing.err
    (row,) = [line for line in listing.out.splitlines() if "chase" in line]
    assert row.rstrip().endswith(WORDS[word])
    shown = cli("items", "show", "chase", env=env)
    assert shown.code == 0, shown.err
    assert f"Health:       {WORDS[word]} (what Plaid said)" in shown.out.splitlines()
    as_json = json.loads(cli("items", "list", "--format", "json", env=env).out)
    assert [i["health"] for i in as_json] == [word]  # the stored word, as before

    page = _dashboard_overview(db)
    (badge,) = re.findall(r'<span class="health health-(\w+)">([^<]*)</span>', page)
    assert badge == (word, WORDS[word])


def test_a_stored_word_this_version_does_not_know_reads_as_needs_repair_everywhere(
    cli: Any, tmp_path: Path
) -> None:
    """A database edited by hand: `items` and the dashboard read the word by one rule (`Health.stored`)."""
    db = tmp_path / "vault.db"
    _vault_with_an_item(db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE vault_items SET health = 'sad'")
    env = {"PLAID_BALANCE_DB": str(db)}
    assert _vault_health(cli, env)[0] == "needs_repair"
    (row,) = [line for line in cli("items", "list", env=env).out.splitlines() if "chase" in line]
    assert row.rstrip().endswith("needs repair")
    (badge,) = re.findall(r'<span class="health health-(\w+)">([^<]*)</span>', _dashboard_overview(db))
    assert badge == ("needs_repair", "needs repair")


def _vault_health(cli: Any, env: dict[str, str]) -> tuple[str, str | None]:
    listed = cli("items", "list", "--format", "json", env=env)
    assert listed.code == 0, listed.err
    (item,) = json.loads(listed.out)
    return item["health"], item["health_reason"]


def test_a_fetch_records_health_by_the_watchs_rules(emu: RunningEmulator, cli: Any, tmp_path: Path) -> None:
    """`get ALIAS` tells the vault what Plaid's answer means as the watch would: a revoked permission is
    `permission_revoked`, and a call that works does not end an expiry Plaid announced."""
    token, item_id = emu.create_item()
    source = tmp_path / "items.csv"
    source.write_text(f"access_token,label\n{token},bank\n")
    env = {**creds(emu), "PLAID_BALANCE_DB": str(tmp_path / "vault.db")}
    assert cli("items", "import", str(source), env=env).code == 0

    with Vault.open(env["PLAID_BALANCE_DB"]) as vault:
        vault.set_health(item_id, "pending_expiration", "PENDING_EXPIRATION")
    fetched = cli("get", "bank", env=env)
    assert fetched.code == 0, fetched.err
    assert _vault_health(cli, env) == ("pending_expiration", "PENDING_EXPIRATION")

    emu.item_event(item_id, "USER_PERMISSION_REVOKED")
    refused = cli("get", "bank", env=env)
    assert refused.code == 3, refused.err
    assert _vault_health(cli, env) == ("permission_revoked", "USER_PERMISSION_REVOKED")
    assert "revoked" in cli("items", "list", env=env).out


def test_every_error_that_needs_a_new_login_is_recorded_and_names_the_repair(
    emu: RunningEmulator, cli: Any, tmp_path: Path
) -> None:
    """ITEM_LOCKED needs the user to log in again as ITEM_LOGIN_REQUIRED does: `get ALIAS` says how to
    repair it, and the vault records `needs_repair`, so `link --update --all` picks the Item."""
    token, item_id = emu.create_item()
    source = tmp_path / "items.csv"
    source.write_text(f"access_token,label\n{token},bank\n")
    env = {**creds(emu), "PLAID_BALANCE_DB": str(tmp_path / "vault.db")}
    assert cli("items", "import", str(source), env=env).code == 0

    emu.set_item_faults(item_id, fail_next=["ITEM_LOCKED"])
    locked = cli("get", "bank", env=env)
    assert locked.code == 3, locked.err
    assert locked.err.strip().endswith("repair it in place with: plaid-balance link --update bank")
    assert _vault_health(cli, env) == ("needs_repair", "ITEM_LOCKED")
