"""What users read names only what exists, in the users' own words.

Every ``plaid-balance COMMAND ... --option`` written in the README, the docs, ``--help`` and ``demo``'s
output names a command and options that exist; none of it speaks of internals ("seed", "run.xs",
"run job"): it says "the balance report".
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from tests.hardening.test_fuzz_cli import COMMANDS, _command

REPO = Path(__file__).resolve().parents[2]
USER_DOCS = [REPO / "README.md", REPO / "run.toml", *sorted((REPO / "docs").glob("*.md"))]
# decisions.md records how things came to be, for developers; it may name history.
USER_DOCS = [p for p in USER_DOCS if p.name != "decisions.md"]
INTERNAL = re.compile(r"\bseed(?:'s| job)\b|\brun\.xs\b|\brun job\b", re.IGNORECASE)
INVOCATION = re.compile(r"plaid-balance((?:\s+[a-z][a-z-]*)+)((?:\s+[^\s`|]+)*)")


def _options(path: tuple[str, ...]) -> set[str]:
    command = _command(path)
    names = {"-h", "--help"}
    for param in command.params:
        if isinstance(param, click.Option):
            names |= {*param.opts, *param.secondary_opts}
    return names


def _mentions(text: str) -> list[tuple[tuple[str, ...], str]]:
    """(command path, option) for each option written after ``plaid-balance COMMAND`` on one line."""
    found = []
    paths = sorted(COMMANDS, key=len, reverse=True)
    for line in text.splitlines():
        for segment in re.split(r"&&|\|\||;|\|", line):  # one shell command at a time
            found += _in_command(segment, paths)
    return found


def _in_command(segment: str, paths: list[tuple[str, ...]]) -> list[tuple[tuple[str, ...], str]]:
    found = []
    for match in INVOCATION.finditer(segment):
        words = match.group(1).split() + match.group(2).split()
        path = next((p for p in paths if tuple(words[: len(p)]) == p), None)
        if path is None:
            continue
        for word in words[len(path) :]:
            if word.startswith("--"):
                found.append((path, word.split("=")[0].rstrip(".,;:)'\"")))
    return found


@pytest.mark.parametrize("doc", USER_DOCS, ids=lambda p: p.name)
def test_docs_name_only_options_that_exist(doc: Path) -> None:
    missing = [
        f"plaid-balance {' '.join(path)} {option}"
        for path, option in _mentions(doc.read_text(encoding="utf-8"))
        if option not in _options(path)
    ]
    assert not missing, missing


@pytest.mark.parametrize("doc", USER_DOCS, ids=lambda p: p.name)
def test_docs_speak_the_users_words(doc: Path) -> None:
    assert not INTERNAL.findall(doc.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=lambda p: " ".join(p) or "plaid-balance")
def test_help_speaks_the_users_words(path: tuple[str, ...]) -> None:
    command = _command(path)
    with click.Context(command, info_name="plaid-balance") as ctx:
        text = command.get_help(ctx)
    assert not INTERNAL.findall(text), text


def test_the_mention_finder_finds_mentions() -> None:
    assert _mentions("run `plaid-balance get --format table --nope`") == [
        (("get",), "--format"),
        (("get",), "--nope"),
    ]
