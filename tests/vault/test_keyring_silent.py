"""A keyring backend that never answers (a hung Secret Service, say) cannot hang a command: after the
time limit the vault key goes to the key file, as when the keyring fails, and the user is told."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from plaid_balance.emulator import RunningEmulator
from tests.emulators import emulator_env

SILENT_KEYRING = """
import time
from keyring.backend import KeyringBackend


class Keyring(KeyringBackend):
    priority = 10

    def get_password(self, service, username):
        time.sleep(3600)

    def set_password(self, service, username, password):
        time.sleep(3600)

    def delete_password(self, service, username):
        time.sleep(3600)
"""


def test_items_import_falls_back_to_the_key_file_when_the_keyring_never_answers(
    emu: RunningEmulator, tmp_path: Path
) -> None:
    (tmp_path / "silent_keyring.py").write_text(SILENT_KEYRING)
    token, _ = emu.create_item()
    items = tmp_path / "items.csv"
    items.write_text(f"access_token,label\n{token},bank\n")
    key_file = tmp_path / "config" / "vault.key"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLAID")},
        **emulator_env(emu),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(tmp_path),
        "PYTHON_KEYRING_BACKEND": "silent_keyring.Keyring",
        "PLAID_BALANCE_KEYRING_TIMEOUT": "1",
        "PLAID_BALANCE_VAULT_KEY_FILE": str(key_file),
        "PLAID_BALANCE_DB": f"sqlite:///{tmp_path / 'db.sqlite'}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "plaid_balance", "items", "import", str(items)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # a guard: today the command waits for the keyring forever
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "imported 1" in result.stderr
    assert key_file.is_file()
    assert "the OS keyring did not answer within 1 s" in result.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "plaid_balance", "items", "list", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert listed.returncode == 0 and '"bank"' in listed.stdout, listed.stderr
