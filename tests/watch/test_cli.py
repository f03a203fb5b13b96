"""The ``watch`` command at the CLI edge: one line and exit 2 for config mistakes, light --help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-c", "from plaid_balance.cli import main; main()"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60, cwd=cwd, check=False)


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys; from plaid_balance.cli import main\n"
        "try:\n    main(['watch', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('apprise', 'prometheus_client', 'jwt', 'sqlalchemy', 'starlette', 'uvicorn', 'cronsim') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "Keep balances fresh" in out
    assert "HEAVY []" in out


def test_config_mistake_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "watch.toml"
    config.write_text('[watch]\ninterval = "30m"\n\n[[alerts]]\nkind = "low_balance"\nbelow = "lots"\n')
    result = run("watch", "--config", str(config))
    assert result.returncode == 2
    assert (
        result.stderr
        == f'error: {config}:6: alerts[0].below: \'lots\' is not an amount like 100, "100.50" or "100.50 USD"\n'
    )
    assert result.stdout == ""


def test_missing_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run("watch", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "error: watch.toml: no such file\n"


def test_cron_that_does_not_parse(tmp_path: Path) -> None:
    config = tmp_path / "w.toml"
    config.write_text('[items.checking]\ncron = "0 25 * * *"\n')
    result = run("watch", "-c", str(config))
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"error: {config}:2: items.checking.cron: '0 25 * * *' is not a cron expression"
    )
    assert result.stderr.count("\n") == 1


# --- against the emulator, with a real vault -------------------------------------------------------

import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
import pytest  # noqa: E402

from plaid_balance.emulator import RunningEmulator  # noqa: E402
from plaid_balance.vault import Vault, new_key_text  # noqa: E402
from tests.emulators import emulator_env  # noqa: E402
from tests.watch.receiver import receiver  # noqa: E402


def vault_env(emu: RunningEmulator, db: Path, key: str) -> dict[str, str]:
    return {
        **os.environ,
        **emulator_env(emu),
        "PLAID_BALANCE_DB": f"sqlite:///{db}",
        "PLAID_BALANCE_VAULT_KEY": key,
    }


def fill_vault(emu: RunningEmulator, db: Path, key: str, aliases: list[str]) -> dict[str, str]:
    created = emu.create_items(len(aliases))
    with Vault.open(f"sqlite:///{db}", key=key, use_keyring=False) as vault:
        for alias, (token, item_id) in zip(aliases, created, strict=True):
            vault.add(
                alias,
                token,
                item_id=item_id,
                institution_id="ins_109508",
                institution_name="First Platypus Bank",
            )
    return {alias: item_id for alias, (_, item_id) in zip(aliases, created, strict=True)}


def test_check_names_an_unknown_alias(emu: RunningEmulator, tmp_path: Path) -> None:
    key = new_key_text()
    fill_vault(emu, tmp_path / "db.sqlite", key, ["checking"])
    config = tmp_path / "watch.toml"
    config.write_text('[watch]\ninterval = "1h"\n\n[items.savings]\nper_day = 1\n')
    env = vault_env(emu, tmp_path / "db.sqlite", key)
    result = subprocess.run(
        [*CLI, "watch", "-c", str(config), "--check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == f"error: {config}:4: items.savings: unknown alias 'savings' (not in the vault)\n"
    config.write_text('[watch]\ninterval = "1h"\n\n[items.checking]\nper_day = 1\n')
    result = subprocess.run(
        [*CLI, "watch", "-c", str(config), "--check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{config}: OK: 1 of 1 Items watched, 0 alerts, notifiers: none\n"


def test_once_refreshes_saves_and_alerts(emu: RunningEmulator, tmp_path: Path) -> None:
    key = new_key_text()
    db = tmp_path / "db.sqlite"
    fill_vault(emu, db, key, ["checking", "spare"])
    with receiver() as inbox:
        config = tmp_path / "watch.toml"
        config.write_text(
            "[budget]\nper_day = 1\n"
            f'[notify.ops]\nurl = "{inbox.url()}"\n'
            '[[alerts]]\nkind = "low_balance"\nitem = "checking"\naccount = "0000"\nbelow = "150 USD"\n'
        )
        env = vault_env(emu, db, key)
        result = subprocess.run(
            [*CLI, "watch", "-c", str(config), "--once", "--log-format", "json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        # Over budget on the second run: the free call instead.
        again = subprocess.run(
            [*CLI, "watch", "-c", str(config), "--once"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert again.returncode == 0, again.stderr
    stats = emu.stats()["requests_by_endpoint"]
    assert stats["/accounts/balance/get"] == 2
    assert stats.get("/accounts/get", 0) == 0  # the second run found nothing due yet (interval 1h)
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    refreshes = [line for line in lines if line["msg"] == "refresh"]
    assert sorted(r["alias"] for r in refreshes) == ["checking", "spare"]
    assert all(r["source"] == "realtime" and r["budget_left_day"] == 0 for r in refreshes)
    [post] = inbox.posts
    assert post["title"] == "Low balance: checking: Plaid Checking ••0000"
    assert "available 100 USD is below 150 USD" in post["message"]
    assert emu.secret not in result.stderr and "access-sandbox" not in result.stderr


def test_a_taken_port_is_one_line(emu: RunningEmulator, tmp_path: Path) -> None:
    import socket

    key = new_key_text()
    db = tmp_path / "db.sqlite"
    fill_vault(emu, db, key, ["checking"])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "watch.toml"
        config.write_text(f'[server]\nlisten = "127.0.0.1:{port}"\n')
        result = subprocess.run(
            [*CLI, "watch", "-c", str(config)],
            capture_output=True,
            text=True,
            env=vault_env(emu, db, key),
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert result.stderr.endswith(f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n")
    assert "Traceback" not in result.stderr


def test_listening_beyond_loopback_needs_a_token(emu: RunningEmulator, tmp_path: Path) -> None:
    key = new_key_text()
    db = tmp_path / "db.sqlite"
    fill_vault(emu, db, key, ["checking"])
    config = tmp_path / "watch.toml"
    config.write_text('[server]\nlisten = "0.0.0.0:0"\n')
    env = {k: v for k, v in vault_env(emu, db, key).items() if k != "PLAID_BALANCE_WATCH_TOKEN"}
    result = subprocess.run(
        [*CLI, "watch", "-c", str(config), "--check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == (
        f"error: {config}:2: server.listen: listening on 0.0.0.0:0 (beyond loopback) needs a bearer token "
        "in $PLAID_BALANCE_WATCH_TOKEN\n"
    )


@pytest.mark.parametrize("web_installed", [True, False])
def test_the_dashboard_is_left_out_without_its_extra(
    emu: RunningEmulator, tmp_path: Path, web_installed: bool
) -> None:
    """plaid-balance[watch] without [web]: the watch runs, says in one log line that its dashboard is off
    and why, and /dashboard is not there (jinja2 made absent as in tests/core/test_extras.py)."""
    key = new_key_text()
    db = tmp_path / "db.sqlite"
    fill_vault(emu, db, key, ["checking"])
    config = tmp_path / "watch.toml"
    config.write_text('[server]\nlisten = "127.0.0.1:0"\n')
    blocked = [] if web_installed else ["jinja2"]
    code = (
        f"import sys\nfor name in {blocked!r}:\n    sys.modules[name] = None\n"
        "from plaid_balance.cli import main\n"
        f"main(['watch', '-c', {str(config)!r}, '--log-format', 'json'])\n"
    )
    log = tmp_path / "watch.log"
    with log.open("w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stderr=log_file,
            stdout=subprocess.DEVNULL,
            env={**vault_env(emu, db, key), "PLAID_BALANCE_WATCH_TOKEN": "dashboard-off-token-0123456789"},
        )
        try:

            def records() -> list[dict[str, Any]]:
                return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]

            deadline = time.monotonic() + 60
            while not any(r["msg"] == "listening" for r in records()):
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
            [listening] = [r for r in records() if r["msg"] == "listening"]
            status = httpx.get(
                f"{listening['url']}/dashboard/",
                timeout=10,
                headers={"Authorization": "Bearer dashboard-off-token-0123456789"},
            ).status_code
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0
    off = [r["msg"] for r in records() if r["msg"].startswith("dashboard off")]
    if web_installed:
        assert status != 404
        assert off == []
    else:
        assert status == 404
        assert off == ["dashboard off: it needs plaid-balance[web]: pip install 'plaid-balance[web]'"]
    assert "Traceback" not in log.read_text()


def test_renotify_never_is_accepted_in_watch_as_documented(tmp_path: Path) -> None:
    """`[watch] renotify = "never"` (offered by docs/watch.md and examples/watch.toml) is a valid config."""
    config = tmp_path / "watch.toml"
    config.write_text('[watch]\nrenotify = "never"\n\n[[alerts]]\nkind = "low_balance"\nbelow = "10 USD"\n')
    env = {**os.environ, "PLAID_BALANCE_DB": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    result = subprocess.run(
        [*CLI, "watch", "-c", str(config), "--check"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{config}: OK: 0 of 0 Items watched, 1 alerts, notifiers: none\n"
    config.write_text('[watch]\nrenotify = "sometimes"\n')
    result = run("watch", "-c", str(config))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {config}:2: watch.renotify: 'sometimes' is not a duration")


def test_check_refuses_a_rule_in_another_currency_than_its_account_before_any_snapshot(
    emu: RunningEmulator, tmp_path: Path
) -> None:
    """`watch --check` knows each account's currency from import time, with no stored balances yet."""
    token, _ = emu.create_item()
    db = tmp_path / "db.sqlite"
    env = vault_env(emu, db, new_key_text())
    items_file = tmp_path / "items.csv"
    items_file.write_text(f"access_token,label\n{token},checking\n")
    imported = subprocess.run(
        [*CLI, "items", "import", str(items_file)], capture_output=True, text=True, env=env, timeout=60
    )
    assert imported.returncode == 0, imported.stderr
    config = tmp_path / "watch.toml"
    config.write_text(
        '[[alerts]]\nkind = "low_balance"\nitem = "checking"\naccount = "0000"\nbelow = "100 EUR"\n'
    )
    result = subprocess.run(
        [*CLI, "watch", "-c", str(config), "--check"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == (
        f"error: {config}:5: alerts[0].below: is in EUR but account 'Plaid Checking' (0000) is in USD\n"
    )
    config.write_text(
        '[[alerts]]\nkind = "low_balance"\nitem = "checking"\naccount = "0000"\nbelow = "100 USD"\n'
    )
    result = subprocess.run(
        [*CLI, "watch", "-c", str(config), "--check"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_alerts_of_one_round_go_to_each_notifier_as_one_digest(emu: RunningEmulator, tmp_path: Path) -> None:
    """A first round that finds several low balances on several Items sends each notifier one message."""
    key = new_key_text()
    db = tmp_path / "db.sqlite"
    fill_vault(emu, db, key, ["checking", "spare", "third"])
    with receiver() as inbox, receiver() as other:
        config = tmp_path / "watch.toml"
        config.write_text(
            f'[notify.ops]\nurl = "{inbox.url()}"\n[notify.team]\nurl = "{other.url()}"\n'
            '[[alerts]]\nkind = "low_balance"\naccount = "0000"\nbelow = "150 USD"\n'
        )
        result = subprocess.run(
            [*CLI, "watch", "-c", str(config), "--once"],
            capture_output=True,
            text=True,
            env=vault_env(emu, db, key),
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    for box in (inbox, other):
        [post] = box.posts
        assert post["title"] == "3 balance alerts (3 new)"
        for alias in ("checking", "spare", "third"):
            assert f"Low balance: {alias}: Plaid Checking ••0000" in post["message"]
        assert post["message"].count("available 100 USD is below 150 USD") == 3


def test_once_without_the_vault_key_is_the_storage_exit_code(emu: RunningEmulator, tmp_path: Path) -> None:
    """`watch --once` with no vault key anywhere exits 7 with one line, as docs/watch.md says."""
    db = tmp_path / "db.sqlite"
    fill_vault(emu, db, new_key_text(), ["checking"])
    config = tmp_path / "watch.toml"
    config.write_text('[watch]\ninterval = "1h"\n')
    env = vault_env(emu, db, "")
    del env["PLAID_BALANCE_VAULT_KEY"]
    env |= {"PLAID_BALANCE_KEYRING": "off", "PLAID_BALANCE_VAULT_KEY_FILE": str(tmp_path / "no-key")}
    result = subprocess.run(
        [*CLI, "watch", "-c", str(config), "--once"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 7, result.stderr
    assert result.stderr.count("\n") == 1 and "no vault key found" in result.stderr
    assert emu.stats()["requests_by_endpoint"].get("/accounts/balance/get", 0) == 0


def test_a_malformed_bearer_token_is_refused_in_one_line_without_being_shown(
    emu: RunningEmulator, tmp_path: Path
) -> None:
    """$PLAID_BALANCE_WATCH_TOKEN is read by the one token parser: one word of printable ASCII."""
    key = new_key_text()
    db = tmp_path / "db.sqlite"
    fill_vault(emu, db, key, ["checking"])
    config = tmp_path / "watch.toml"
    config.write_text('[server]\nlisten = "127.0.0.1:0"\n')
    env = {**vault_env(emu, db, key), "PLAID_BALANCE_WATCH_TOKEN": "two words-secret-123"}
    result = subprocess.run(
        [*CLI, "watch", "-c", str(config), "--check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "error: $PLAID_BALANCE_WATCH_TOKEN is malformed: it must be one word of printable ASCII "
        "(at most 512 characters)\n"
    )


def test_the_watch_opens_its_database_once(emu: RunningEmulator, tmp_path: Path) -> None:
    """The vault, the history and the watch's state share one engine: every connection the watch makes
    comes from one pool (SQLAlchemy's own connect events, counted in the watch's process)."""
    key = new_key_text()
    db = tmp_path / "db.sqlite"
    fill_vault(emu, db, key, ["checking"])
    config = tmp_path / "watch.toml"
    config.write_text("[budget]\nper_day = 1\n")
    code = (
        "from sqlalchemy import Engine, event\n"
        "pools = []\n"
        "def connected(connection, *args):\n"
        "    if all(p is not connection.engine.pool for p in pools):\n"
        "        pools.append(connection.engine.pool)\n"
        "event.listen(Engine, 'engine_connect', connected)\n"
        "from plaid_balance.cli import main\n"
        "try:\n"
        f"    main(['watch', '-c', {str(config)!r}, '--once'])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print('POOLS', len(pools))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=vault_env(emu, db, key),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "POOLS 1"
    assert emu.stats()["requests_by_endpoint"]["/accounts/balance/get"] == 1  # it did refresh, and saved
