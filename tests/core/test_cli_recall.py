"""``--save`` and ``--max-age`` on ``get`` and ``run``: history-aware, cost-aware fetching."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from plaid_balance.emulator import RunningEmulator
from plaid_balance.history import open_store
from tests.core.test_cli_e2e import JOB, creds, write_job


def test_save_then_max_age_answers_without_calling_plaid(
    emu: RunningEmulator, cli: Any, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'history.db'}"
    token, item_id = emu.create_item()
    saved = cli("get", "--save", "--db", db, env=creds(emu, token))
    assert saved.code == 0
    calls_before = emu.stats()["balance_attempts_by_item"][item_id]

    recalled = cli("get", "--max-age", "1h", "--db", db, env=creds(emu, token))
    report = json.loads(recalled.out)
    assert recalled.code == 0
    assert report["source"] == "stored"
    assert report["age_seconds"] >= 0
    assert report["accounts"] == json.loads(saved.out)["accounts"]
    assert emu.stats()["balance_attempts_by_item"][item_id] == calls_before

    too_old = cli("get", "--max-age", "0s", "--db", db, env=creds(emu, token))
    assert json.loads(too_old.out)["source"] == "realtime"
    assert emu.stats()["balance_attempts_by_item"][item_id] == calls_before + 1

    with open_store(db) as store:
        assert store.count()[0] == 1  # --max-age alone never saves
    assert token.encode() not in (tmp_path / "history.db").read_bytes()


def test_a_failed_fetch_saves_nothing(emu: RunningEmulator, cli: Any, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'history.db'}"
    token, item_id = emu.create_item()
    emu.reset_login(item_id)
    result = cli("get", "--save", "--db", db, env=creds(emu, token))
    assert result.code == 3
    with open_store(db) as store:
        assert store.count()[0] == 0


def test_run_saves_too(emu: RunningEmulator, cli: Any, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'history.db'}"
    token, _ = emu.create_item()
    result = cli("run", write_job(tmp_path, JOB), "--save", "--db", db, env={**creds(emu), "MY_TOKEN": token})
    assert result.code == 0
    with open_store(db) as store:
        assert store.count()[0] == 1


def test_a_bad_database_url_is_one_line(emu: RunningEmulator, cli: Any) -> None:
    token, _ = emu.create_item()
    result = cli("get", "--save", "--db", "nosuchdb://x", env=creds(emu, token))
    assert result.code == 2
    assert result.err.startswith("error: ")
    assert "Traceback" not in result.err
