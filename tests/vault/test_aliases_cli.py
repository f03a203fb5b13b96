"""Aliases everywhere: ``get ALIAS``, ``get --all``, ``history ALIAS``; tokens from files still work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from plaid_balance.emulator import RunningEmulator
from plaid_balance.vault import Vault
from tests.core.conftest import cli, emulator
from tests.core.test_cli_e2e import creds

__all__ = ["cli", "emulator"]  # fixtures


def _vault_with(emu: RunningEmulator, db: Path, aliases: list[str]) -> dict[str, tuple[str, str]]:
    items = {}
    with Vault.open(str(db)) as vault:
        for alias in aliases:
            token, item_id = emu.create_item()
            vault.add(alias, token, item_id=item_id, institution_id="ins_109508", environment="sandbox")
            items[alias] = (token, item_id)
    return items


def test_get_by_alias_saves_under_the_item(emulator: RunningEmulator, cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    items = _vault_with(emulator, db, ["chase", "amex"])
    env = {**creds(emulator), "PLAID_BALANCE_DB": str(db)}
    result = cli("get", "Chase", "--save", env=env)
    assert result.code == 0, result.err
    assert json.loads(result.out)["item_id"] == items["chase"][1]
    assert items["chase"][0] not in result.everything()
    history = cli("history", "chase", "--format", "json", env=env)
    assert json.loads(history.out)["snapshot_count"] == 1
    # The token from a file still works, and --max-age finds the snapshot the alias saved.
    token_file = tmp_path / "token"
    token_file.write_text(items["chase"][0])
    recalled = cli("get", "--access-token-file", str(token_file), "--max-age", "1h", env=env)
    assert recalled.code == 0 and json.loads(recalled.out)["source"] == "stored"
    both = cli("get", "chase", "--access-token-file", str(token_file), env=env)
    assert both.code == 2
    unknown = cli("get", "chasse", env=env)
    assert unknown.code == 2 and "did you mean 'chase'" in unknown.err and unknown.err.count("\n") == 1


def test_get_all_prints_one_line_per_item(emulator: RunningEmulator, cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    items = _vault_with(emulator, db, ["one", "two", "three"])
    env = {**creds(emulator), "PLAID_BALANCE_DB": str(db)}
    result = cli("get", "--all", env=env)
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert {(r["alias"], r["item_id"]) for r in lines} == {(a, i) for a, (_, i) in items.items()}
    assert all(r["success"] for r in lines)
    # One Item breaks: the others still print, the exit says "partly failed", the vault notes the repair.
    emulator.reset_login(items["two"][1])
    partly = cli("get", "--all", env=env)
    assert partly.code == 5
    assert [r["success"] for r in map(json.loads, partly.out.splitlines())] == [True, True, False]
    assert "two:" in partly.err and "ITEM_LOGIN_REQUIRED" in partly.err
    with Vault.open(str(db)) as vault:
        assert vault.get("two").health == "needs_repair"
        assert vault.get("one").health == "ok"


def test_alias_uses_the_items_environment(emulator: RunningEmulator, cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    _vault_with(emulator, db, ["chase"])
    env = {**creds(emulator), "PLAID_BALANCE_DB": str(db)}
    clash = cli("get", "chase", "-e", "production", env=env)
    assert clash.code == 2 and "sandbox Item" in clash.err


def test_an_empty_vault_is_one_line(emulator: RunningEmulator, cli: Any, tmp_path: Path) -> None:
    env = {**creds(emulator), "PLAID_BALANCE_DB": str(tmp_path / "none.sqlite")}
    result = cli("get", "--all", env=env)
    assert result.code == 2 and result.err.count("\n") == 1 and "vault" in result.err
    assert not (tmp_path / "none.sqlite").exists()


def test_check_by_alias(emulator: RunningEmulator, cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    items = _vault_with(emulator, db, ["chase"])
    env = {**creds(emulator), "PLAID_BALANCE_DB": str(db)}
    report = json.loads(cli("get", "chase", env=env).out)
    account_id = next(a["account_id"] for a in report["accounts"] if a["subtype"] == "checking")
    result = cli("check", "chase", "--account-id", account_id, "--amount", "1.00", env=env)
    assert result.code == 0, result.err
    assert json.loads(result.out)["item_id"] == items["chase"][1]
    too_much = cli("check", "chase", "--account-id", account_id, "--amount", "999999999", env=env)
    assert too_much.code == 6


def test_batch_all_runs_the_vault(emulator: RunningEmulator, cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    items = _vault_with(emulator, db, ["one", "two"])
    env = {**creds(emulator), "PLAID_BALANCE_DB": str(db)}
    result = cli("batch", "--all", "--save", "--no-progress", env=env)
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert {(r["label"], r["item_id"]) for r in lines} == {(a, i) for a, (_, i) in items.items()}
    assert not any(token in result.everything() for token, _ in items.values())
    history = json.loads(cli("history", "two", "--format", "json", env=env).out)
    assert history["snapshot_count"] == 1
    neither = cli("batch", env=env)
    assert neither.code == 2
