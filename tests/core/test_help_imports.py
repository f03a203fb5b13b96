"""Every ``--help`` imports click, the command's own modules and the output door: nothing else (issue 10).

A ``--help`` is paid for on every call from a script, and its budget is a quarter of importing click. Each
command runs in a fresh interpreter that has imported click and nothing of ours; what the help adds to
``sys.modules`` must be in the sets below. A module-level ``import pathlib`` (which brings urllib.parse and
ipaddress), ``json``, ``csv``, ``shutil`` or any library module of ours (models, client, history...) fails
here, naming the command and the module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from unittest import mock

import click
import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaid_balance.cli import COMMANDS, HELP_MAX_WIDTH, cli, help_width

# What click's own help rendering loads (wrapping, translations), the door's Ctrl-C hold, the extras
# check (find_spec), the None entry main() puts in for httpx's command-line tool, two modules built
# into the interpreter (no file to load) for the exit handler, the Unicode database safe_text reads
# categories from and binascii, with which the redaction rule writes a secret's base64 forms (compiled
# modules, about 0.2 ms each: imported at the top of _safe_text and _redact, issue 18 §5).
STDLIB_ALLOWED = frozenset(
    {
        "textwrap",
        "click._textwrap",
        "locale",
        "_locale",
        "signal",
        "importlib.util",
        "importlib._abc",
        "httpx._main",
        "atexit",
        "gc",
        "unicodedata",
        "binascii",
    }
)
# Of the library: only what the command line's options and exit codes are made of, and the check of a
# command's extra (which the root group runs before loading a command).
LIBRARY_ALLOWED = frozenset(
    {
        "plaid_balance",
        "plaid_balance._config",
        "plaid_balance._errors",
        "plaid_balance._extras",
        "plaid_balance._redact",
        "plaid_balance._safe_text",
    }
)

PROBE = """
import sys
import click
before = set(sys.modules)
from plaid_balance.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    assert exc.code == 0, exc.code
print(" ".join(sorted(set(sys.modules) - before)))
"""


def command_paths() -> list[list[str]]:
    paths: list[list[str]] = [[]]
    context = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(context, name)
        paths.append([name])
        if isinstance(command, click.Group):
            paths += [[name, sub] for sub in command.list_commands(context)]
    return paths


@pytest.mark.parametrize("path", command_paths(), ids=lambda path: " ".join(path) or "(root)")
def test_help_imports_only_what_help_needs(path: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *path, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # The help text itself is on stdout first; the module list is its last line.
    loaded = set(result.stdout.strip().splitlines()[-1].split())
    own_cli = {m for m in loaded if m.startswith("plaid_balance.cli")}
    unexpected = loaded - STDLIB_ALLOWED - LIBRARY_ALLOWED - own_cli
    assert not unexpected, f"plaid-balance {' '.join(path)} --help imports {sorted(unexpected)}"
    assert "plaid_balance.cli.streams" in loaded  # the probe really ran the command line's main


@given(
    columns=st.one_of(
        st.none(),
        st.integers(-10, 400).map(str),
        st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=6),
    )
)
def test_help_width_is_the_one_click_would_compute(columns: str | None) -> None:
    # click asks shutil for the terminal's size (COLUMNS first), caps it at max_content_width and keeps a
    # margin of 2 and a minimum of 50; main computes the same without importing shutil.
    environ = {} if columns is None else {"COLUMNS": columns}
    with mock.patch.dict(os.environ, environ, clear=False):
        if columns is None:
            os.environ.pop("COLUMNS", None)
        expected = max(min(shutil.get_terminal_size().columns, HELP_MAX_WIDTH) - 2, 50)
        assert help_width() == expected
