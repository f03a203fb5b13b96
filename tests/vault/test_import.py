"""Reading tokens from the batch items file, plaid-cli's data folder and a .env file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plaid_balance._errors import ImportSourceError
from plaid_balance.vault._import import (
    ImportEntry,
    ImportLine,
    ImportProblem,
    alias_from_variable,
    detect_format,
    read_import,
)

from .samples import OTHER_TOKEN, TOKEN


def _entries(lines: list[ImportLine]) -> list[tuple[str | None, str, str | None]]:
    return [
        (e.alias, e.access_token.get_secret_value(), e.item_id) for e in lines if isinstance(e, ImportEntry)
    ]


def test_batch_csv_and_jsonl(tmp_path: Path) -> None:
    csv_file = tmp_path / "items.csv"
    csv_file.write_text(f"access_token,label\n{TOKEN},Chase\n{OTHER_TOKEN},\nnot a token,bad\n")
    lines = read_import(csv_file)
    assert _entries(lines) == [("Chase", TOKEN, None), (None, OTHER_TOKEN, None)]
    [problem] = [p for p in lines if isinstance(p, ImportProblem)]
    assert problem.where == "items.csv line 4" and "not a token" not in problem.message
    jsonl = tmp_path / "items.jsonl"
    jsonl.write_text(json.dumps({"access_token": TOKEN, "label": "Amex"}) + "\n" + '{"access_token": 5}\n')
    lines = read_import(jsonl)
    assert _entries(lines) == [("Amex", TOKEN, None)]
    assert isinstance(lines[1], ImportProblem)


def test_plaid_cli_data_folder(tmp_path: Path) -> None:
    data = tmp_path / ".plaid-cli" / "data"
    data.mkdir(parents=True)
    (data / "tokens.json").write_text(json.dumps({"item-a": TOKEN, "item-b": OTHER_TOKEN}))
    (data / "aliases.json").write_text(json.dumps({"sofi": "item-a"}))
    assert detect_format(tmp_path / ".plaid-cli") == "plaid-cli"
    assert _entries(read_import(tmp_path / ".plaid-cli")) == [
        ("sofi", TOKEN, "item-a"),
        (None, OTHER_TOKEN, "item-b"),
    ]
    with pytest.raises(ImportSourceError, match="not a plaid-cli data folder"):
        read_import(tmp_path)


def test_dotenv(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(
        "PLAID_CLIENT_ID=abc\nPLAID_SECRET=shh\n"
        f"export PLAID_ACCESS_TOKEN_CHASE='{TOKEN}'\n"
        f'AMEX_TOKEN="{OTHER_TOKEN}"\n'
        "# PLAID_ACCESS_TOKEN=access-sandbox-commented-out\n"
    )
    assert _entries(read_import(env)) == [("chase", TOKEN, None), ("amex", OTHER_TOKEN, None)]
    assert alias_from_variable("PLAID_ACCESS_TOKEN") is None
    (tmp_path / "none.env").write_text("PLAID_SECRET=shh\n")
    with pytest.raises(ImportSourceError, match="no access tokens"):
        read_import(tmp_path / "none.env")


def test_unreadable_sources_are_one_clear_line(tmp_path: Path) -> None:
    binary = tmp_path / "items.csv"
    binary.write_bytes(b"access_token\n\xff\xfe\x00garbage\n")
    with pytest.raises(ImportSourceError) as info:
        read_import(binary)
    assert "\n" not in str(info.value)
    with pytest.raises(ImportSourceError, match="cannot read"):
        read_import(tmp_path / "missing.csv")
