"""Issue 20 §1: every command names Items the way ``get`` does (ALIAS, item_id or ``--all``), ``check``
selects an account by id, mask or name, ``get --all --format table`` ends with totals per currency, and
the aliases people type are never cut at 80 columns. Real CLI, the emulator over HTTP."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from plaid_balance.emulator import RunningEmulator
from tests.core.conftest import cli
from tests.emulators import emulator_env

__all__ = ["cli"]  # fixtures

LONG = "first-platypus-bank-household-checking-2"  # 40 characters: what squeezes a table at 80 columns


@pytest.fixture
def vault(emu: RunningEmulator, cli: Any, tmp_path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """A vault holding two emulator Items (imported with an alias column): (env, alias -> item_id)."""
    pairs = [emu.create_item() for _ in range(2)]
    source = tmp_path / "items.csv"
    source.write_text(f"access_token,alias\n{pairs[0][0]},first-platypus-bank\n{pairs[1][0]},{LONG}\n")
    env = {**emulator_env(emu), "PLAID_BALANCE_DB": str(tmp_path / "vault.db"), "COLUMNS": "80"}
    result = cli("items", "import", str(source), env=env)
    assert result.code == 0, result.err
    return env, {"first-platypus-bank": pairs[0][1], LONG: pairs[1][1]}


def test_accounts_takes_an_alias_an_item_id_or_all(
    cli: Any, vault: tuple[dict[str, str], dict[str, str]]
) -> None:
    """`accounts first-platypus-bank` (the README's accounts → check path) works, as do item_id and --all."""
    env, ids = vault
    by_alias = cli("accounts", "first-platypus-bank", "--format", "json", env=env)
    assert by_alias.code == 0, by_alias.err
    document = json.loads(by_alias.out)
    assert document["item_id"] == ids["first-platypus-bank"]
    assert "0000" in {a["mask"] for a in document["accounts"]}
    by_id = cli("accounts", ids[LONG], "--format", "json", env=env)
    assert by_id.code == 0 and json.loads(by_id.out)["item_id"] == ids[LONG]
    every = cli("accounts", "--all", "--format", "json", env=env)
    assert every.code == 0, every.err
    lines = [json.loads(line) for line in every.out.splitlines()]
    assert [(line["alias"], line["item_id"]) for line in lines] == list(ids.items())
    table = cli("accounts", "--all", env=env)
    assert table.code == 0 and LONG in table.out and "first-platypus-bank ·" in table.out
    both = cli("accounts", "first-platypus-bank", "--all", env=env)
    assert both.code == 2 and "--all" in both.err


def test_items_show_and_history_take_an_item_id_or_all(
    cli: Any, vault: tuple[dict[str, str], dict[str, str]]
) -> None:
    """`items show` names Items like every other command: alias, item_id or --all."""
    env, ids = vault
    shown = cli("items", "show", ids[LONG], "--format", "json", env=env)
    assert shown.code == 0, shown.err
    assert json.loads(shown.out)["alias"] == LONG
    every = cli("items", "show", "--all", "--format", "json", env=env)
    assert every.code == 0, every.err
    assert [json.loads(line)["alias"] for line in every.out.splitlines()] == list(ids)
    assert cli("get", ids[LONG], "--save", env=env).code == 0
    history = cli("history", "--all", "--format", "json", env=env)
    assert history.code == 0, history.err
    assert {a["item_id"] for a in json.loads(history.out)["accounts"]} == {ids[LONG]}
    assert cli("history", ids[LONG], "--format", "json", env=env).out == history.out
    assert cli("history", LONG, "--all", env=env).code == 2


def test_get_all_table_ends_with_totals_per_currency(
    cli: Any, vault: tuple[dict[str, str], dict[str, str]]
) -> None:
    """The combined assets, liabilities and net across Items, per currency, after every Item's table."""
    env, _ = vault
    one = json.loads(cli("get", "first-platypus-bank", env=env).out, parse_float=Decimal)
    usd = one["totals"]["USD"]
    result = cli("get", "--all", "--format", "table", env=env)
    assert result.code == 0, result.err
    tail = result.out[result.out.index("All Items: totals per currency") :]
    [row] = [line for line in tail.splitlines() if "USD" in line]
    cells = row.replace("│", " ").split()
    assert cells[0] == "USD"
    # Both Items are user_good at the same bank: the combined figures are exactly twice one Item's.
    assert [Decimal(c.replace(",", "")) for c in cells[1:4]] == [
        2 * usd[k] for k in ("assets", "liabilities", "net")
    ]
    assert "2 of 2 Items" in tail


def test_aliases_are_never_cut_at_80_columns(cli: Any, vault: tuple[dict[str, str], dict[str, str]]) -> None:
    """`items list`, `get --all`, `accounts --all`, `batch --all` and `history` at 80 columns: the
    40-character alias whole (the institution and the Item id give way, or the table is printed wider)."""
    env, _ = vault
    for args in (
        ("items", "list"),
        ("get", "--all", "--format", "table", "--save"),
        ("accounts", "--all"),
        ("batch", "--all", "--format", "table"),
        ("history", "--format", "table"),
    ):
        result = cli(*args, env=env)
        assert result.code == 0, result.err
        assert LONG in result.out, (args, result.out)
        assert "first-platypus-bank" in result.out
    listing = cli("items", "list", env=env).out
    assert max(len(line) for line in listing.splitlines()) <= 80


def test_check_selects_the_account_by_id_mask_or_name(
    cli: Any, vault: tuple[dict[str, str], dict[str, str]]
) -> None:
    """`check ALIAS --account 0000` (mask), `--account "Plaid Saving"` (name) or the account_id decide
    for that account; a mask shared by two Items under --all is refused with both listed."""
    env, _ = vault
    accounts = json.loads(cli("accounts", "first-platypus-bank", "--format", "json", env=env).out)["accounts"]
    checking = next(a for a in accounts if a["mask"] == "0000")
    saving = next(a for a in accounts if a["mask"] == "1111")
    for selector, expected in (
        ("0000", checking),
        ("Plaid Saving", saving),
        (checking["account_id"], checking),
    ):
        result = cli("check", "first-platypus-bank", "--account", selector, "--amount", "50", env=env)
        assert result.code == 0, result.err
        assert json.loads(result.out)["account"]["account_id"] == expected["account_id"]
    short = cli("check", "first-platypus-bank", "--account", "0000", "--amount", "150", env=env)
    assert short.code == 6
    both = cli("check", "--all", "--account", "0000", "--amount", "50", env=env)
    assert both.code == 2 and both.out == ""
    assert both.err.startswith(
        "error: --account '0000' matches 2 accounts: first-platypus-bank: Plaid Checking ••0000 ("
    )
    assert f"{LONG}: Plaid Checking ••0000 (" in both.err and both.err.count("\n") == 1
    other_id = json.loads(cli("accounts", LONG, "--format", "json", env=env).out)["accounts"][0]["account_id"]
    found = cli("check", "--all", "--account", other_id, "--amount", "1", env=env)
    assert found.code == 0, found.err
    missing = cli("check", "first-platypus-bank", "--account", "4242", "--amount", "1", env=env)
    assert missing.code == 2
    assert missing.err == (
        "error: no account in first-platypus-bank has the id, mask or name '4242' "
        "(list them with plaid-balance accounts first-platypus-bank)\n"
    )
