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
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert "Keep balances fresh" in out
    assert "HEAVY []" in out


def test_config_mistake_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "watch.toml"
    config.write_text('[watch]\ninterval = "30m"\n\n[[alerts]]\nkind = "low_balance"\nbelow = "lots"\n')
    result = run("watch", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr == f"error: {config}:6: alerts[0].below: 'lots' is not an amount like 100, \"100.50\" or \"100.50 USD\"\n"
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
    assert result.stderr.startswith(f"error: {config}:2: items.checking.cron: '0 25 * * *' is not a cron expression")
    assert result.stderr.count("\n") == 1
