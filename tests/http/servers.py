"""Every server the product runs, started as the user starts it: ``plaid-balance dashboard``,
``plaid-balance watch`` (with its dashboard) and the Link page; their stderr is read as it comes."""

from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from plaid_balance.dashboard._sample import write_sample_history
from plaid_balance.emulator import RunningEmulator
from plaid_balance.storage.database import Database
from plaid_balance.vault import Vault, new_key_text
from tests.background import Background
from tests.emulators import emulator_env

SIGN_IN = re.compile(r"(http://127\.0\.0\.1:\d+/\S*\?token=[A-Za-z0-9_-]+)")


class Running(Background):
    """A ``plaid-balance`` command serving in the background; its stderr lines are kept as they come."""

    def __init__(self, args: Sequence[str], env: dict[str, str]) -> None:
        super().__init__(args, env)
        self.base = ""  # the server's address, once it serves
        self.sign_in = ""  # a one-time sign-in link it printed or logged

    def records(self) -> list[dict[str, Any]]:
        """The JSON log lines so far."""
        return [r for line in list(self.lines) if (r := _record(line))]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.join_reader()


def sample_db(folder: Path) -> str:
    url = f"sqlite:///{folder / 'history.db'}"
    with Database.open(url) as database:
        write_sample_history(database, items=2, accounts_per_item=3, days=10)
    return url


@contextmanager
def dashboard(folder: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Running]:
    """``plaid-balance dashboard`` over a sample history; ``.base`` and ``.sign_in`` once it serves."""
    running = Running(["dashboard", "--db", sample_db(folder), *args], {**os.environ, **(env or {})})
    try:
        running.sign_in = running.first(
            lambda line: (m := SIGN_IN.search(line)) and line.startswith("dashboard: ") and m.group(1)
        )
        running.base = running.sign_in.split("/?")[0]
        yield running
    finally:
        running.stop()


def _record(line: str) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


@contextmanager
def watch(emu: RunningEmulator, folder: Path, *, token: str | None = None) -> Iterator[Running]:
    """``plaid-balance watch`` with two Items from the emulator, on 127.0.0.1 (a free port), logging JSON;
    ``.base`` and ``.sign_in`` (the dashboard's one-time link from the log) once it listens."""
    key = new_key_text()
    db = f"sqlite:///{folder / 'watch.db'}"
    with Vault.open(db, key=key, use_keyring=False) as vault:
        for alias, (access_token, item_id) in zip(["checking", "spare"], emu.create_items(2), strict=True):
            vault.add(
                alias, access_token, item_id=item_id, institution_id="ins_109508", institution_name="Platypus"
            )
    config = folder / "watch.toml"
    config.write_text('[watch]\ninterval = "1h"\n[server]\nlisten = "127.0.0.1:0"\n')
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLAID")},
        **emulator_env(emu),
        "PLAID_BALANCE_DB": db,
        "PLAID_BALANCE_VAULT_KEY": key,
        "PLAID_BALANCE_KEYRING": "off",
        **({"PLAID_BALANCE_WATCH_TOKEN": token} if token else {}),
    }
    running = Running(["watch", "-c", str(config), "--log-format", "json"], env)
    try:
        listening = running.first(lambda line: (r := _record(line)) and r.get("msg") == "listening" and r)
        running.base = listening["url"]
        running.sign_in = running.first(lambda line: (r := _record(line)) and r.get("sign_in"))
        yield running
    finally:
        running.stop()
