"""Who pays for the OS keyring (``keyring``, a base dependency imported at the top of ``vault._keys``):
the commands that open the vault, which look for its key there; never a `get` whose access token comes
from the environment (the benchmarked `get`), which loads nothing of the vault."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from plaid_balance.emulator import RunningEmulator
from plaid_balance.vault import Vault, new_key_text
from tests.emulators import emulator_env

PROBE = """
import sys
from plaid_balance.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    assert not exc.code, exc.code
print("LOADED", " ".join(m for m in ("keyring", "plaid_balance.vault._keys") if m in sys.modules))
"""


def _get(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "get", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1].strip()


def test_get_with_a_token_from_the_environment_loads_no_keyring(emu: RunningEmulator, tmp_path: Path) -> None:
    token, item_id = emu.create_item()
    db, key = tmp_path / "db.sqlite", new_key_text()
    with Vault.open(str(db), key=key, use_keyring=False) as vault:
        vault.add("checking", token, item_id=item_id)
    env = {**emulator_env(emu), "PLAID_BALANCE_DB": str(db), "PLAID_BALANCE_VAULT_KEY": key}
    assert _get({**env, "PLAID_ACCESS_TOKEN": token}) == "LOADED"
    # The probe sees it where it is paid: an alias opens the vault, which looks for its key.
    assert _get(env, "checking") == "LOADED keyring plaid_balance.vault._keys"
