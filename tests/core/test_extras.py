"""Every extra on its own: a command whose extra is missing says in one line which one to install (exit 2).

An extra is made absent in a child process by a ``None`` entry in ``sys.modules`` for one of its modules:
``importlib.util.find_spec`` then finds nothing and ``import`` fails, exactly as when it is not installed.
(CI also installs each extra alone in a fresh venv and runs its commands: .ci/extras.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from plaid_balance._extras import EXTRAS
from plaid_balance.cli import COMMAND_EXTRAS

ROOT = Path(__file__).resolve().parents[2]
# Installed by an extra only to make it faster, or named there though the base already installs it:
# nothing fails without them, so no check asks for them.
NOT_CHECKED = {"httptools", "uvloop", "iso4217"}


def run_without(
    blocked: list[str], *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\n"
        f"for name in {blocked!r}:\n"
        "    sys.modules[name] = None\n"
        "from plaid_balance.cli import main\n"
        f"main({list(args)!r})\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=env,
        check=False,
    )


def hint(needed_by: str, extra: str) -> str:
    return f"error: {needed_by} needs plaid-balance[{extra}]: pip install 'plaid-balance[{extra}]'\n"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match is not None
    return _normal(match.group(0))


def _declared() -> dict[str, set[str]]:
    """Each extra of pyproject.toml (but ``all`` and ``dev``) → the packages it installs, another extra
    it names (``plaid-balance[emulator]``) expanded."""
    optional = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]

    def packages(extra: str) -> set[str]:
        found: set[str] = set()
        for requirement in optional[extra]:
            own = re.fullmatch(r"plaid-balance\[([a-z,]+)\]", requirement)
            if own:
                for other in own.group(1).split(","):
                    found |= packages(other)
            else:
                found.add(_requirement_name(requirement))
        return found

    return {name: packages(name) for name in optional if name not in {"all", "dev"}}


def test_the_extras_table_is_pyprojects() -> None:
    declared = _declared()
    assert set(EXTRAS) == set(declared)
    providers = packages_distributions()
    for extra, modules in EXTRAS.items():
        covered = {_normal(dist) for module in modules for dist in providers[module]}
        assert covered <= declared[extra], f"[{extra}]: a checked module comes from another package"
        assert declared[extra] - covered <= NOT_CHECKED, f"[{extra}]: a package no check asks for"
    assert set(COMMAND_EXTRAS.values()) <= set(EXTRAS)


@pytest.mark.parametrize(
    ("blocked", "args", "needed_by", "extra"),
    [
        (["apprise"], ["watch"], "plaid-balance watch", "watch"),
        (["cronsim"], ["watch", "--once"], "plaid-balance watch", "watch"),
        (["uvicorn"], ["emulator", "serve"], "plaid-balance emulator", "emulator"),
        (["jwt"], ["demo"], "plaid-balance demo", "emulator"),
        (["jinja2"], ["dashboard"], "plaid-balance dashboard", "web"),
        (["jinja2"], ["demo", "--dashboard"], "demo --dashboard", "web"),
        (["jinja2"], ["link"], "the local Link page (or link --hosted)", "web"),
        (["matplotlib"], ["history", "--chart", "out.png"], "history --chart", "chart"),
        (["matplotlib"], ["history", "--chart", "out.html"], "history --chart", "chart"),
        (
            ["psycopg"],
            ["history", "--db", "postgresql://nobody@127.0.0.1:1/none"],
            "a PostgreSQL database",
            "postgres",
        ),
    ],
)
def test_a_missing_extra_is_one_line_and_exit_2(
    tmp_path: Path, blocked: list[str], args: list[str], needed_by: str, extra: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAID")}
    result = run_without(blocked, *args, cwd=tmp_path, env=env)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", hint(needed_by, extra))
    assert list(tmp_path.iterdir()) == []  # nothing written: no chart, no database, no config


@pytest.mark.parametrize("command", sorted(COMMAND_EXTRAS))
def test_help_of_a_command_needs_no_extra(command: str) -> None:
    blocked = sorted({module for extra in EXTRAS.values() for module in extra})
    result = run_without(blocked, command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Usage: plaid-balance {command} ")


def test_hosted_link_needs_no_extra(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAID")}
    env["PLAID_BALANCE_DB"] = str(tmp_path / "none.db")
    # It goes past the extra check to its next step: no credentials.
    hosted = run_without(["jinja2", "starlette", "uvicorn"], "link", "--hosted", cwd=tmp_path, env=env)
    assert hosted.returncode == 2
    assert "PLAID_CLIENT_ID" in hosted.stderr and "plaid-balance[" not in hosted.stderr
