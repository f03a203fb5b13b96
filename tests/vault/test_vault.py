"""The vault on SQLite and PostgreSQL: encryption at rest, keys, lookups, rotation, removal, secrecy."""

from __future__ import annotations

import base64
import os
import pickle
import stat
import urllib.parse
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import text

from plaid_balance._errors import ConfigurationError, StorageError
from plaid_balance.history import open_store, token_fingerprint
from plaid_balance.vault import (
    AliasError,
    AmbiguousItemError,
    ItemExistsError,
    ItemRemovedError,
    SecretStr,
    TokenInDoubtError,
    UnknownItemError,
    Vault,
    VaultCorruptError,
    VaultItem,
    VaultKeyError,
    mask_token,
    new_key_text,
    suggest_alias,
)

from ..history.samples import BASE_TIME, report
from .samples import ACCOUNTS, OTHER_TOKEN, TOKEN


def _add(vault: Vault, alias: str = "Chase", token: str = TOKEN, item_id: str = "item-1") -> VaultItem:
    return vault.add(
        alias,
        SecretStr(token),
        item_id=item_id,
        institution_id="ins_56",
        institution_name="Chase",
        accounts=ACCOUNTS,
        environment="sandbox",
    )


def _forms(secret: str) -> list[str]:
    raw = secret.encode()
    return [
        secret,
        urllib.parse.quote(secret, safe=""),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
    ]


def _raw_rows(vault: Vault) -> str:
    with vault.database.engine.connect() as conn:
        return repr(
            [
                *conn.execute(text("SELECT * FROM vault_items")).all(),
                *conn.execute(text("SELECT * FROM vault_meta")).all(),
                *conn.execute(text("SELECT * FROM item_tokens")).all(),
            ]
        )


def test_round_trip_and_lookups(db_url: str) -> None:
    with Vault.open(db_url) as vault:
        added = _add(vault)
        assert added.alias == "Chase" and added.health == "ok" and not added.removed
        assert [a.account_id for a in added.accounts] == ["acc-checking", "acc-credit"]
        assert added.token_hint == "access-sandbox-…0001"
        for ref in ("Chase", "chase", " CHASE ", "item-1"):
            assert vault.get(ref).item_id == "item-1"
            assert vault.access_token(ref).get_secret_value() == TOKEN
        assert [i.alias for i in vault.list()] == ["Chase"]
        assert vault.find_by_token(TOKEN) == vault.get("Chase")
        assert vault.find_by_token(OTHER_TOKEN) is None
    # A second process (a new Vault) reads what the first wrote, with the same key.
    with Vault.open(db_url) as again:
        assert again.access_token("chase").get_secret_value() == TOKEN


def test_token_is_encrypted_at_rest_and_never_shown(db_url: str, tmp_path: Path) -> None:
    with Vault.open(db_url) as vault:
        item = _add(vault)
        dump = _raw_rows(vault)
        shown = [repr(item), str(item), msgspec.json.encode(item).decode(), repr(vault), repr(vault.list())]
        secret = vault.access_token("Chase")
        shown += [repr(secret), str(secret), f"{secret}", f"{secret!r}", msgspec.json.encode(item).decode()]
    for form in _forms(TOKEN):
        assert form not in dump
        for text_ in shown:
            assert form not in text_
    assert token_fingerprint(TOKEN) in dump  # the lookup aid, apart from the ciphertext
    if db_url.startswith("sqlite"):
        folder = Path(db_url.removeprefix("sqlite:///")).parent
        for file in folder.iterdir():
            raw = file.read_bytes()
            for form in _forms(TOKEN):
                assert form.encode() not in raw, file


def test_secret_str_does_not_leak() -> None:
    secret = SecretStr(TOKEN)
    assert TOKEN not in repr(secret) + str(secret) + f"{secret}" + f"{secret:>80}"
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    with pytest.raises(TypeError):
        msgspec.json.encode(secret)
    assert secret == SecretStr(TOKEN) and secret != SecretStr(OTHER_TOKEN)
    assert mask_token(secret.get_secret_value()) == "access-sandbox-…0001"


def test_files_are_private(sqlite_url: str, isolated_keys: Path) -> None:
    with Vault.open(sqlite_url) as vault:
        _add(vault)
        assert vault.key_created == f"the key file {isolated_keys}"
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    for path in [database, isolated_keys, *database.parent.glob("history.db-*")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for folder in (database.parent, isolated_keys.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_metadata_reads_without_the_key_but_tokens_do_not(db_url: str, isolated_keys: Path) -> None:
    with Vault.open(db_url) as vault:
        _add(vault)
    isolated_keys.unlink()
    with Vault.open(db_url) as vault:
        assert [i.alias for i in vault.list()] == ["Chase"]
        with pytest.raises(VaultKeyError) as info:
            vault.access_token("Chase")
    message = str(info.value)
    assert "locked" in message and "PLAID_BALANCE_VAULT_KEY" in message and "\n" not in message
    assert isinstance(info.value, StorageError)
    # Nor does a new Item make a new key that would orphan the existing tokens.
    with Vault.open(db_url) as vault, pytest.raises(VaultKeyError):
        _add(vault, "Other", OTHER_TOKEN, "item-2")
    assert not isolated_keys.exists()


def test_wrong_key_is_one_clear_line(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with Vault.open(db_url) as vault:
        _add(vault)
    monkeypatch.setenv("PLAID_BALANCE_VAULT_KEY", new_key_text())
    with Vault.open(db_url) as vault, pytest.raises(VaultKeyError) as info:
        vault.access_token("Chase")
    assert "wrong key" in str(info.value) and "$PLAID_BALANCE_VAULT_KEY" in str(info.value)


@pytest.mark.parametrize("bad", ["short", "x" * 44, "ä" * 44, new_key_text()[:-4]])
def test_malformed_key_is_refused(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("PLAID_BALANCE_VAULT_KEY", bad)
    with Vault.open(sqlite_url) as vault, pytest.raises(VaultKeyError) as info:
        _add(vault)
    assert "not a vault key" in str(info.value) and bad not in str(info.value)


def test_key_from_environment_is_used_and_no_file_is_written(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, isolated_keys: Path
) -> None:
    key = new_key_text()
    monkeypatch.setenv("PLAID_BALANCE_VAULT_KEY", key)
    with Vault.open(sqlite_url) as vault:
        _add(vault)
        assert vault.key_created is None
    assert not isolated_keys.exists()
    with Vault.open(sqlite_url, key=key) as vault:
        monkeypatch.delenv("PLAID_BALANCE_VAULT_KEY")
        assert vault.access_token("Chase").get_secret_value() == TOKEN


def test_key_file_readable_by_others_is_refused(sqlite_url: str, isolated_keys: Path) -> None:
    with Vault.open(sqlite_url) as vault:
        _add(vault)
    isolated_keys.chmod(0o644)
    with Vault.open(sqlite_url) as vault, pytest.raises(VaultKeyError) as info:
        vault.access_token("Chase")
    assert "readable by other users" in str(info.value) and "chmod 600" in str(info.value)


class MemoryKeyring:
    """A keyring backend living in memory, installed with ``keyring.set_keyring``."""

    def __new__(cls) -> Any:
        from keyring.backend import KeyringBackend

        class Backend(KeyringBackend):
            priority = 10

            def __init__(self) -> None:
                super().__init__()  # type: ignore[no-untyped-call]
                self.store: dict[tuple[str, str], str] = {}

            def get_password(self, service: str, username: str) -> str | None:
                return self.store.get((service, username))

            def set_password(self, service: str, username: str, password: str) -> None:
                self.store[(service, username)] = password

            def delete_password(self, service: str, username: str) -> None:
                self.store.pop((service, username), None)

        return Backend()


def test_key_goes_to_the_os_keyring_when_there_is_one(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, isolated_keys: Path
) -> None:
    import keyring

    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.delenv("PLAID_BALANCE_KEYRING")
    try:
        with Vault.open(sqlite_url) as vault:
            _add(vault)
            assert vault.key_created == "the OS keyring"
        assert not isolated_keys.exists()
        assert backend.store[("plaid-balance", "vault-key")]
        with Vault.open(sqlite_url) as vault:
            assert vault.access_token("Chase").get_secret_value() == TOKEN
        backend.store.clear()
        with Vault.open(sqlite_url) as vault, pytest.raises(VaultKeyError, match="OS keyring"):
            vault.access_token("Chase")
    finally:
        keyring.set_keyring(previous)


def test_corrupted_or_swapped_entries_are_detected(db_url: str) -> None:
    with Vault.open(db_url) as vault:
        _add(vault)
        _add(vault, "Other", OTHER_TOKEN, "item-2")
        with vault.database.engine.begin() as conn:
            rows: dict[str, str] = dict(
                conn.execute(text("SELECT item_id, token_ciphertext FROM vault_items")).all()
            )
            # Each row gets the other's ciphertext: both are valid ciphertexts under the right key.
            for item_id, other in (("item-1", "item-2"), ("item-2", "item-1")):
                conn.execute(
                    text("UPDATE vault_items SET token_ciphertext = :c WHERE item_id = :i"),
                    {"c": rows[other], "i": item_id},
                )
    with Vault.open(db_url) as vault:
        for alias in ("Chase", "Other"):
            with pytest.raises(VaultCorruptError) as info:
                vault.access_token(alias)
            assert "corrupted" in str(info.value) and "\n" not in str(info.value)


def test_alias_rules(sqlite_url: str) -> None:
    with Vault.open(sqlite_url) as vault:
        _add(vault)
        for bad in [
            "",
            "   ",
            "-rf",
            "a\x00b",
            "tab\there",
            "x" * 65,
            "access-sandbox-abc",
            "Public-x",
            "\u202eevil",
        ]:
            with pytest.raises(AliasError):
                _add(vault, bad, OTHER_TOKEN, "item-2")
        with pytest.raises(AliasError, match="taken"):
            _add(vault, "CHASE", OTHER_TOKEN, "item-2")
        with pytest.raises(AliasError, match="id of another Item"):
            _add(vault, "item-1", OTHER_TOKEN, "item-2")
        with pytest.raises(ItemExistsError):
            _add(vault, "Again", OTHER_TOKEN, "item-1")
        with pytest.raises(ItemExistsError):
            _add(vault, "Again", TOKEN, "item-2")
        assert isinstance(AliasError("x"), ConfigurationError)  # a usage error (exit 2), not storage
        second = _add(vault, "Mañana Bank ☀", OTHER_TOKEN, "item-2")
        assert vault.get("MAÑANA BANK ☀").item_id == second.item_id
        assert vault.free_alias("chase") == "chase-2"
        assert suggest_alias("First Platypus Bank") == "first-platypus-bank"


def test_unknown_and_ambiguous_names(sqlite_url: str) -> None:
    with Vault.open(sqlite_url) as vault:
        _add(vault)
        with pytest.raises(UnknownItemError, match="did you mean 'Chase'"):
            vault.get("Chasee")
        with pytest.raises(UnknownItemError) as info:
            vault.get(TOKEN)  # a token pasted where an alias belongs is never echoed
        assert TOKEN not in str(info.value)
        _add(vault, "Other", OTHER_TOKEN, "item-2")
        with vault.database.engine.begin() as conn:  # a hand-edited row: alias equal to another Item's id
            conn.execute(
                text("UPDATE vault_items SET alias = 'item-1', alias_key = 'item-1' WHERE item_id = 'item-2'")
            )
        with pytest.raises(AmbiguousItemError):
            vault.get("item-1")


def test_rename(sqlite_url: str) -> None:
    with Vault.open(sqlite_url) as vault:
        _add(vault)
        _add(vault, "Other", OTHER_TOKEN, "item-2")
        assert vault.rename("chase", "Chase Checking").alias == "Chase Checking"
        assert vault.rename("Chase Checking", "CHASE checking").alias == "CHASE checking"  # case only
        with pytest.raises(AliasError):
            vault.rename("Other", "chase checking")
        assert vault.access_token("CHASE checking").get_secret_value() == TOKEN


def test_rotation_keeps_one_history_series(db_url: str) -> None:
    with open_store(db_url) as store:
        store.save(report(0, retrieved_at=BASE_TIME), access_token=TOKEN)
    with Vault.open(db_url) as vault:
        _add(vault)
        seen: list[str] = []

        def invalidate(old: SecretStr) -> SecretStr:
            seen.append(old.get_secret_value())
            return SecretStr(OTHER_TOKEN)

        rotated = vault.rotate("Chase", invalidate)
        assert seen == [TOKEN] and rotated.token_hint == "access-sandbox-…0002"
        assert vault.access_token("Chase").get_secret_value() == OTHER_TOKEN
        assert vault.find_by_token(TOKEN) is None
    with open_store(db_url) as store:
        store.save(report(1, retrieved_at=BASE_TIME + timedelta(hours=1)), access_token=OTHER_TOKEN)
        # The new token finds the Item's snapshots, including those saved under the old one.
        assert store.item_for_token(OTHER_TOKEN) == store.item_for_token(TOKEN) == "item-1"
        fresh = store.fresh_report(
            access_token=OTHER_TOKEN, max_age=timedelta(days=1), now=BASE_TIME + timedelta(hours=2)
        )
        assert fresh is not None and fresh.request_id == "req-item-1-1"
        assert [s.report.item_id for s in store.snapshots()] == ["item-1", "item-1"]


def test_a_rotation_without_an_answer_leaves_a_doubt_not_a_dead_token(db_url: str) -> None:
    """Whatever ends the call without an answer, the token is not used again until Plaid is asked."""
    with Vault.open(db_url) as vault:
        _add(vault)

        def invalidate(old: SecretStr) -> str:
            raise RuntimeError("the process lost the answer")

        with pytest.raises(TokenInDoubtError) as raised:
            vault.rotate("Chase", invalidate)
        assert raised.value.outcome == "unknown" and "doubt is recorded" in str(raised.value)
        assert vault.get("Chase").in_doubt
        with pytest.raises(TokenInDoubtError):
            vault.access_token("Chase")
        settled = vault.settle_rotation("Chase", lambda token: None)  # /item/get: the old token works
        assert not settled.in_doubt and not vault.get("Chase").in_doubt
        assert vault.access_token("Chase").get_secret_value() == TOKEN


def test_replace_token_and_health(db_url: str) -> None:
    with Vault.open(db_url) as vault:
        _add(vault)
        vault.replace_token("chase", OTHER_TOKEN)
        assert vault.access_token("chase").get_secret_value() == OTHER_TOKEN
        item = vault.set_health("item-1", "needs_repair", "ITEM_LOGIN_REQUIRED")
        assert (item.health, item.health_reason) == ("needs_repair", "ITEM_LOGIN_REQUIRED")
        assert vault.set_health("Chase", "ok").health == "ok"
        with pytest.raises(ValueError, match="health is one of"):
            vault.set_health("Chase", "sad")


def test_removed_item_keeps_its_entry_but_not_its_token(db_url: str) -> None:
    with open_store(db_url) as store:
        store.save(report(0), access_token=TOKEN)
    with Vault.open(db_url) as vault:
        _add(vault)
        removed = vault.mark_removed("Chase", "removed with plaid-balance items remove")
        assert removed.removed and removed.removed_at is not None and removed.token_hint is None
        assert TOKEN not in _raw_rows(vault).replace(token_fingerprint(TOKEN), "")
        with pytest.raises(ItemRemovedError):
            vault.access_token("Chase")
        with pytest.raises(ItemRemovedError):
            vault.replace_token("Chase", OTHER_TOKEN)
        assert [i.health for i in vault.list()] == ["removed"]
        assert vault.list(include_removed=False) == []
        with pytest.raises(AliasError, match="removed"):
            _add(vault, "chase", OTHER_TOKEN, "item-2")
    with open_store(db_url) as store:
        assert store.count() == (1, 4)  # its history stays


def test_read_only_open_creates_nothing(tmp_path: Path) -> None:
    from plaid_balance.vault import DatabaseNotFound

    path = tmp_path / "none" / "history.db"
    with pytest.raises(DatabaseNotFound):
        Vault.open(str(path), create=False)
    assert not path.parent.exists()


def test_concurrent_first_adds_share_one_key(sqlite_url: str, isolated_keys: Path) -> None:
    import threading

    errors: list[BaseException] = []

    def add(n: int) -> None:
        try:
            with Vault.open(sqlite_url) as vault:
                _add(vault, f"bank-{n}", f"access-sandbox-thread-{n}-xxxxxxxxxxxx", f"item-{n}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    Vault.open(sqlite_url).close()  # the schema first: the race under test is the key's
    threads = [threading.Thread(target=add, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Vault.open(sqlite_url) as vault:
        assert {vault.access_token(f"bank-{n}").get_secret_value() for n in range(4)} == {
            f"access-sandbox-thread-{n}-xxxxxxxxxxxx" for n in range(4)
        }
    assert os.path.exists(isolated_keys)
