"""``plaid-balance items`` against the emulator: import, list, show, rename, rotate, remove, export-public."""

from __future__ import annotations

import base64
import json
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import pytest

from plaid_balance.emulator import RunningEmulator
from plaid_balance.history import open_store
from plaid_balance.vault import Vault
from tests.core.conftest import cli
from tests.core.test_cli_e2e import creds

from ..history.samples import account, report

__all__ = ["cli"]  # fixtures


def _leaks(token: str, *texts: str) -> bool:
    forms = [token, urllib.parse.quote(token, safe=""), base64.b64encode(token.encode()).decode()]
    return any(form in text for form in forms for text in texts)


def _env(emu: RunningEmulator, db: Path) -> dict[str, str]:
    return {**creds(emu), "PLAID_BALANCE_DB": str(db)}


@pytest.fixture
def two_items(emu: RunningEmulator, cli: Any, tmp_path: Path) -> tuple[Path, list[tuple[str, str]]]:
    """A vault holding two emulator Items, imported from a batch items file (labels become aliases)."""
    pairs = [emu.create_item() for _ in range(2)]
    source = tmp_path / "items.csv"
    source.write_text("access_token,label\n" + "".join(f"{t},Bank {n}\n" for n, (t, _) in enumerate(pairs)))
    db = tmp_path / "vault.db"
    result = cli("items", "import", str(source), env=_env(emu, db))
    assert result.code == 0, result.err
    assert "imported 2, skipped 0" in result.err
    assert not any(_leaks(t, result.everything()) for t, _ in pairs)
    return db, pairs


def test_import_list_show_export(
    emu: RunningEmulator, cli: Any, two_items: tuple[Path, list[tuple[str, str]]]
) -> None:
    db, pairs = two_items
    env = _env(emu, db)
    with open_store(str(db)) as store:
        store.save(
            report(
                0,
                item_id=pairs[0][1],
                accounts=[account("a", current="1234.50"), account("b", current="0.10")],
            )
        )
    listing = cli("items", "list", env=env)
    assert listing.code == 0, listing.err
    assert "Bank 0" in listing.out and "Bank 1" in listing.out and "OK" in listing.out
    assert max(len(line) for line in listing.out.splitlines()) <= 80
    as_json = json.loads(cli("items", "list", "--format", "json", env=env).out)
    assert [i["alias"] for i in as_json] == ["Bank 0", "Bank 1"]
    assert as_json[0]["last_balance"]["totals"]["USD"]["net"] == 1234.60
    assert "1,234.60 USD" in listing.out
    shown = cli("items", "show", "bank 0", env=env)
    assert shown.code == 0 and pairs[0][1] in shown.out
    assert "access-sandbox-…" + pairs[0][0][-4:] in shown.out
    exported = cli("items", "export-public", env=env)
    document = json.loads(exported.out)
    assert {i["item_id"] for i in document["items"]} == {item for _, item in pairs}
    outputs = [listing.everything(), shown.everything(), exported.everything(), json.dumps(as_json)]
    for token, _ in pairs:
        assert not _leaks(token, *outputs)
        # Only the last four characters ever appear, and only in `show`.
        assert token[-8:] not in exported.out + listing.out
    again = cli("items", "import", str(db.parent / "items.csv"), env=env)
    assert again.code == 0 and "skipped 2 already in the vault" in again.err


def test_rename_and_unknown_alias(
    emu: RunningEmulator, cli: Any, two_items: tuple[Path, list[tuple[str, str]]]
) -> None:
    db, _ = two_items
    env = _env(emu, db)
    assert cli("items", "rename", "Bank 0", "checking", env=env).code == 0
    unknown = cli("items", "show", "chequing", env=env)
    assert unknown.code == 2 and "did you mean 'checking'" in unknown.err and unknown.err.count("\n") == 1
    taken = cli("items", "rename", "checking", "BANK 1", env=env)
    assert taken.code == 2 and "taken" in taken.err


def _balance(emu: RunningEmulator, token: str) -> httpx.Response:
    env = creds(emu)
    return httpx.post(
        f"{emu.base_url}/accounts/balance/get",
        json={"client_id": env["PLAID_CLIENT_ID"], "secret": env["PLAID_SECRET"], "access_token": token},
    )


def test_rotate_swaps_the_token_and_keeps_the_item(
    emu: RunningEmulator, cli: Any, two_items: tuple[Path, list[tuple[str, str]]]
) -> None:
    db, pairs = two_items
    old, item_id = pairs[0]
    result = cli("items", "rotate", "Bank 0", env=_env(emu, db))
    assert result.code == 0, result.err
    with Vault.open(str(db)) as vault:
        new = vault.access_token("Bank 0").get_secret_value()
        assert vault.get("Bank 0").item_id == item_id
    assert new != old and not _leaks(new, result.everything()) and not _leaks(old, result.everything())
    assert _balance(emu, new).status_code == 200
    assert _balance(emu, old).status_code == 400  # Plaid invalidated it


def test_remove_calls_plaid_then_marks_removed(
    emu: RunningEmulator, cli: Any, two_items: tuple[Path, list[tuple[str, str]]]
) -> None:
    db, pairs = two_items
    token, item_id = pairs[1]
    env = _env(emu, db)
    with open_store(str(db)) as store:
        store.save(report(0, item_id=item_id))
    unconfirmed = cli("items", "remove", "Bank 1", env=env)
    assert unconfirmed.code == 2 and "--yes" in unconfirmed.err
    assert _balance(emu, token).status_code == 200  # nothing happened at Plaid
    removed = cli("items", "remove", "Bank 1", "--yes", env=env)
    assert removed.code == 0, removed.err
    answer = _balance(emu, token)
    assert answer.status_code == 400 and answer.json()["error_code"] == "ITEM_NOT_FOUND"
    listing = json.loads(cli("items", "list", "--format", "json", env=env).out)
    assert [i["health"] for i in listing] == ["ok", "removed"]
    again = cli("items", "remove", "Bank 1", "--yes", env=env)
    assert again.code == 2 and "already removed" in again.err
    rotated = cli("items", "rotate", "Bank 1", env=env)
    assert rotated.code == 2 and "no token to rotate" in rotated.err and rotated.err.count("\n") == 1
    history = cli("history", "Bank 1", "--format", "json", env=env)
    assert history.code == 0 and json.loads(history.out)["snapshot_count"] == 1  # its history stays
    assert cli("items", "remove", "Bank 1", "--yes", "--local-only", env=env).code == 0
    assert [i["alias"] for i in json.loads(cli("items", "list", "--format", "json", env=env).out)] == [
        "Bank 0"
    ]


def test_a_failed_remove_changes_nothing(
    emu: RunningEmulator, cli: Any, two_items: tuple[Path, list[tuple[str, str]]]
) -> None:
    db, _ = two_items
    env = {**_env(emu, db), "PLAID_SECRET": "wrong-secret"}
    result = cli("items", "remove", "Bank 0", "--yes", env=env)
    assert result.code == 3 and "nothing changed" in result.err
    with Vault.open(str(db)) as vault:
        assert vault.get("Bank 0").health == "ok"


def test_locked_and_wrong_key(
    emu: RunningEmulator, cli: Any, two_items: tuple[Path, list[tuple[str, str]]], isolated_keys: Path
) -> None:
    db, _ = two_items
    env = _env(emu, db)
    isolated_keys.unlink()
    listing = cli("items", "list", env=env)
    assert listing.code == 0 and "Bank 0" in listing.out  # metadata needs no key
    shown = cli("items", "show", "Bank 0", env=env)
    assert shown.code == 0 and "cannot decrypt" in shown.out
    rotated = cli("items", "rotate", "Bank 0", env=env)
    assert rotated.code == 7 and "locked" in rotated.err and rotated.err.count("\n") == 1


def test_import_from_dotenv_and_plaid_cli(emu: RunningEmulator, cli: Any, tmp_path: Path) -> None:
    (t1, i1), (t2, i2) = emu.create_item(), emu.create_item()
    env_file = tmp_path / ".env"
    env_file.write_text(f"PLAID_SECRET=x\nPLAID_ACCESS_TOKEN_CHASE={t1}\n")
    data = tmp_path / "plaid-cli" / "data"
    data.mkdir(parents=True)
    (data / "tokens.json").write_text(json.dumps({i2: t2, "item-wrong": t1}))
    (data / "aliases.json").write_text(json.dumps({"sofi": i2}))
    env = _env(emu, tmp_path / "vault.db")
    assert cli("items", "import", str(env_file), env=env).code == 0
    result = cli("items", "import", str(tmp_path / "plaid-cli"), env=env)
    assert result.code == 0, result.err  # the second entry is the token imported above: skipped
    listing = json.loads(cli("items", "list", "--format", "json", env=env).out)
    assert {(i["alias"], i["item_id"]) for i in listing} == {("chase", i1), ("sofi", i2)}


def test_import_of_a_bad_token(emu: RunningEmulator, cli: Any, tmp_path: Path) -> None:
    token, _ = emu.create_item()
    source = tmp_path / "items.jsonl"
    bogus = "access-sandbox-00000000-0000-0000-0000-000000000000"
    source.write_text(json.dumps({"access_token": token}) + "\n" + json.dumps({"access_token": bogus}) + "\n")
    result = cli("items", "import", str(source), env=_env(emu, tmp_path / "v.db"))
    assert result.code == 5 and "imported 1" in result.err and "1 failed" in result.err
    assert not _leaks(bogus, result.everything()) and not _leaks(token, result.everything())


def test_import_uses_an_alias_column_and_names_unknown_columns(
    emu: RunningEmulator, cli: Any, tmp_path: Path
) -> None:
    """A CSV with `alias` (beside `label`) stores that alias; a column import does not read is named in a
    warning rather than silently dropped."""
    (token_a, item_a), (token_b, _) = emu.create_item(), emu.create_item()
    source = tmp_path / "items.csv"
    source.write_text(
        f"access_token,alias,label,notes,owner\n{token_a},first-platypus-bank,Bank A,x,me\n{token_b},,Bank B,,\n"
    )
    db = tmp_path / "vault.db"
    result = cli("items", "import", str(source), env=_env(emu, db))
    assert result.code == 0, result.err
    assert (
        "warning: items.csv: ignored unknown columns 'notes', 'owner' "
        "(import reads access_token, alias, label, item_id)\n" in result.err
    )
    listed = json.loads(cli("items", "list", "--format", "json", env=_env(emu, db)).out)
    assert [(i["alias"], i["item_id"] == item_a) for i in listed] == [
        ("Bank B", False),
        ("first-platypus-bank", True),
    ]
    assert not _leaks(token_a, result.everything())


def test_get_marks_an_item_plaid_no_longer_knows_removed(
    emu: RunningEmulator, cli: Any, two_items: tuple[Path, list[tuple[str, str]]]
) -> None:
    """Removed at Plaid behind the vault's back (another tool, the dashboard): `get` meets ITEM_NOT_FOUND,
    says so in one line, and the vault records the Item as removed; the next `get` names `link` at once,
    without calling Plaid, while the other Item is untouched."""
    db, pairs = two_items
    token, _ = pairs[1]
    env = _env(emu, db)
    keys = creds(emu)
    gone = httpx.post(
        f"{emu.base_url}/item/remove",
        json={"client_id": keys["PLAID_CLIENT_ID"], "secret": keys["PLAID_SECRET"], "access_token": token},
    )
    assert gone.status_code == 200
    first = cli("get", "Bank 1", env=env)
    assert first.code == 3 and json.loads(first.out)["error"]["error_code"] == "ITEM_NOT_FOUND"
    assert first.err.count("\n") <= 1, first.err
    listing = json.loads(cli("items", "list", "--format", "json", env=env).out)
    assert {i["alias"]: i["health"] for i in listing} == {"Bank 0": "ok", "Bank 1": "removed"}
    asked = emu.stats()["requests_total"]
    again = cli("get", "Bank 1", env=env)
    assert again.code != 0 and "plaid-balance link makes a new one" in again.err
    assert again.err.count("\n") == 1 and not _leaks(token, first.everything(), again.everything())
    assert emu.stats()["requests_total"] == asked  # known from the vault: Plaid is not asked again
    assert cli("get", "Bank 0", env=env).code == 0
