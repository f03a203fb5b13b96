"""Properties of the vault over generated input: any token and alias round-trip; any damage is detected."""

from __future__ import annotations

import base64
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from plaid_balance.vault import AliasError, SecretStr, Vault, VaultCorruptError, normalise_alias

# Tokens are one word of any characters (Plaid's are ASCII, but nothing here may depend on it).
tokens = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=300).filter(
    lambda t: t.strip() == t and not any(c.isspace() for c in t)
)
aliases = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=80)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return Vault.open(str(tmp_path / "vault.db"))


_ids = itertools.count()


@SETTINGS
@given(token=tokens, alias=aliases)
def test_any_token_and_alias_round_trip(vault: Vault, token: str, alias: str) -> None:
    try:
        name = normalise_alias(alias)
    except AliasError:
        return  # the rules themselves are tested by example in test_vault.py
    item_id = f"item-{next(_ids)}"
    alias_used = f"{name[:50]} #{item_id}"
    assume(not alias_used.lower().startswith(("access-", "public-", "link-", "-")))
    assume(vault.find_by_token(token) is None)
    item = vault.add(alias_used, SecretStr(token), item_id=item_id)
    if len(token) >= 8 and token not in repr((alias_used, item_id, "sandbox")):
        assert token not in repr(item)
    assert vault.access_token(alias_used).get_secret_value() == token
    assert vault.get(alias_used).item_id == item_id
    if alias_used.isascii():
        assert vault.get(alias_used.upper()).item_id == item_id


@SETTINGS
@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_any_damage_to_a_ciphertext_is_detected(vault: Vault, position: int, flip: int) -> None:
    item_id = f"item-{next(_ids)}"
    token = f"access-sandbox-{item_id}-0123456789abcdef"
    vault.add(f"bank {item_id}", token, item_id=item_id)
    with vault.database.engine.begin() as conn:
        stored = conn.execute(
            text("SELECT token_ciphertext FROM vault_items WHERE item_id = :i"), {"i": item_id}
        ).scalar_one()
        raw = bytearray(base64.urlsafe_b64decode(stored[3:]))
        raw[position % len(raw)] ^= flip
        damaged = "v1." + base64.urlsafe_b64encode(bytes(raw)).decode()
        conn.execute(
            text("UPDATE vault_items SET token_ciphertext = :c WHERE item_id = :i"),
            {"c": damaged, "i": item_id},
        )
    vault._cipher = None  # as a fresh process would
    with pytest.raises(VaultCorruptError) as info:
        vault.access_token(item_id)
    assert token not in str(info.value)


@SETTINGS
@given(garbage=st.text(max_size=200))
def test_any_garbage_in_the_token_column_is_one_clear_error(vault: Vault, garbage: str) -> None:
    item_id = f"item-{next(_ids)}"
    vault.add(f"bank {item_id}", f"access-sandbox-{item_id}-feedface", item_id=item_id)
    with vault.database.engine.begin() as conn:
        conn.execute(
            text("UPDATE vault_items SET token_ciphertext = :c WHERE item_id = :i"),
            {"c": garbage, "i": item_id},
        )
    with pytest.raises(VaultCorruptError):
        vault.access_token(item_id)
