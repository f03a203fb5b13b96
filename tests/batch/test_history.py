"""``batch --save`` and ``--max-age``: snapshots per Item, and Items answered from history."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from plaid_balance.cli.batch import batch
from plaid_balance.emulator import RunningEmulator
from plaid_balance.history import open_store
from tests.batch.conftest import cli_env, write_csv


def test_save_then_max_age_spares_the_calls(emu: RunningEmulator, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'history.db'}"
    created = emu.create_items(3)
    emu.reset_login(created[2][1])
    path = write_csv(tmp_path / "items.csv", [(t, f"u{i}") for i, (t, _) in enumerate(created)])

    saved = CliRunner().invoke(batch, [str(path), "--save", "--db", db], env=cli_env(emu))
    assert saved.exit_code == 5  # the third Item needs a re-login
    with open_store(db) as store:
        assert store.count()[0] == 2  # the failure stored nothing
    attempts = dict(emu.stats()["balance_attempts_by_item"])

    recalled = CliRunner().invoke(batch, [str(path), "--max-age", "1h", "--db", db], env=cli_env(emu))
    sources = {line["label"]: line.get("source") for line in map(json.loads, recalled.stdout.splitlines())}
    assert sources == {"u0": "stored", "u1": "stored", "u2": None}
    after = emu.stats()["balance_attempts_by_item"]
    assert after[created[0][1]] == attempts[created[0][1]]  # not called again
    assert after[created[2][1]] == attempts[created[2][1]] + 1  # nothing stored: called again
    assert all(token.encode() not in (tmp_path / "history.db").read_bytes() for token, _ in created)
