"""Vault tests never touch the real OS keyring, the user's key file or the user's database."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Key sources confined to this test: no keyring, a key file in tmp, no key or database from env."""
    key_file = tmp_path / "keys" / "vault.key"
    monkeypatch.setenv("PLAID_BALANCE_KEYRING", "0")
    monkeypatch.setenv("PLAID_BALANCE_VAULT_KEY_FILE", str(key_file))
    monkeypatch.delenv("PLAID_BALANCE_VAULT_KEY", raising=False)
    monkeypatch.delenv("PLAID_BALANCE_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    return key_file
