"""Every Python snippet in the README's Library section runs as written, against the emu."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from plaid_balance.emulator import RunningEmulator
from tests.emulators import emulator_env

README = Path(__file__).resolve().parents[2] / "README.md"


def library_snippets() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## Library\n") :]
    section = section[: section.index("\n## ", 1)]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_section_has_snippets_for_every_capability() -> None:
    code = "\n".join(library_snippets())
    for name in (
        "get_balances",
        "PlaidClient",
        "AsyncPlaidClient",
        "run_batch_sync",
        "check_funds",
        "open_store",
    ):
        assert name in code


@pytest.mark.parametrize("snippet", library_snippets(), ids=lambda s: s.splitlines()[-1][:40])
def test_snippet_runs(
    snippet: str,
    emu: RunningEmulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    token, _ = emu.create_item()
    for name, value in {
        **emulator_env(emu),
        "PLAID_ACCESS_TOKEN": token,
        "PLAID_BALANCE_DB": f"sqlite:///{tmp_path / 'history.db'}",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PLAID_ENVIRONMENT", raising=False)
    exec(compile(snippet, "README.md", "exec"), {"__name__": "__readme__"})  # noqa: S102 - our own README
    printed = capsys.readouterr().out
    assert printed.strip(), "each snippet shows its result"
    assert token not in printed


def test_every_command_in_help_has_a_readme_section() -> None:
    """Each command `plaid-balance --help` lists has a `### plaid-balance NAME` section in the README."""
    import subprocess
    import sys

    listed = subprocess.run(
        [sys.executable, "-c", "from plaid_balance.cli import main; main(['--help'])"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"COLUMNS": "200", "PATH": ""},
    ).stdout
    block = listed[listed.index("\nCommands:\n") :].split("\n\n")[0]
    commands = re.findall(r"^  ([a-z][a-z-]*)(?:\s{2,}|$)", block, flags=re.M)
    assert len(commands) >= 13, listed
    headings = re.findall(r"^### `plaid-balance ([a-z-]+)", README.read_text(encoding="utf-8"), flags=re.M)
    missing = [name for name in commands if name not in headings]
    assert missing == [], f"commands without a README section: {missing}"
