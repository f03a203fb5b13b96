"""Text from outside that used to end in a traceback: a lone surrogate escape in a JSON-lines file, a
4,301-digit integer in a TOML file, a malformed timestamp in the database. Each is one line and a
documented exit code."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaid_balance import _json_text
from plaid_balance._errors import ConfigurationError
from plaid_balance._toml import TomlFile
from plaid_balance.cli.exit_codes import ExitCode
from plaid_balance.vault import new_key_text
from tests.hardening.conftest import Backend
from tests.hardening.forkserver import ForkServer, RunResult

LONE = '{"access_token": "%s", "label": "bank \\ud800"}\n'


def env_for(backend: Backend, tmp_path: Path) -> dict[str, str]:
    return {
        **backend.env(),
        "HOME": str(tmp_path),
        "PLAID_BALANCE_DB": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "PLAID_BALANCE_VAULT_KEY": new_key_text(),
        "PLAID_BALANCE_KEYRING": "off",
    }


def one_line(result: RunResult) -> str:
    assert "Traceback" not in result.err, result
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert lines, result
    return lines[0]


def test_a_lone_surrogate_escape_in_a_json_lines_file_is_that_lines_error(
    forks: ForkServer, backend: Backend, tmp_path: Path
) -> None:
    """batch: the line is an input error (exit 2) and the other Items run; items import: one line."""
    path = tmp_path / "items.jsonl"
    path.write_text(
        LONE % backend.token + json.dumps({"access_token": backend.token, "label": "fine"}) + "\n"
    )
    env = env_for(backend, tmp_path)
    result = forks.run(["batch", str(path)], env=env, cwd=str(tmp_path))
    assert result.code == ExitCode.USAGE, result
    assert "line 1: invalid JSON" in one_line(result)
    assert [json.loads(line)["success"] for line in result.out.splitlines()] == [False, True]
    imported = forks.run(["items", "import", str(path)], env=env, cwd=str(tmp_path))
    assert imported.code == ExitCode.PARTIAL_FAILURE, imported  # line 1 failed, line 2 imported
    assert "line 1" in one_line(imported) and "imported 1" in imported.err


@pytest.mark.parametrize("command", [["run"], ["watch", "--check", "-c"]], ids=" ".join)
def test_a_4301_digit_integer_in_a_toml_file_is_invalid_toml(
    command: list[str], forks: ForkServer, backend: Backend, tmp_path: Path
) -> None:
    path = tmp_path / "file.toml"
    path.write_text(f"a = {'7' * 4301}\n")
    result = forks.run([*command, str(path)], env=env_for(backend, tmp_path), cwd=str(tmp_path))
    assert result.code == ExitCode.USAGE, result
    assert "not valid TOML" in one_line(result)


def test_a_malformed_timestamp_in_the_database_is_one_line(
    forks: ForkServer, backend: Backend, tmp_path: Path
) -> None:
    """history, items list and get --max-age say the database holds a malformed value (exit 7); the
    dashboard answers 503 with one line."""
    env = {**env_for(backend, tmp_path), "PLAID_ACCESS_TOKEN": backend.token}
    items = tmp_path / "items.csv"
    items.write_text(f"access_token,label\n{backend.token},bank\n")
    for argv in (["get", "--save"], ["items", "import", str(items)]):
        assert forks.run(argv, env=env, cwd=str(tmp_path)).code == 0
    with sqlite3.connect(tmp_path / "db.sqlite") as db:
        db.execute("UPDATE snapshots SET retrieved_at = '2026-13-45 25:61'")
    for argv in (["history"], ["history", "--format", "csv"], ["items", "list"], ["get", "--max-age", "1h"]):
        result = forks.run(argv, env=env, cwd=str(tmp_path))
        assert result.code == ExitCode.STORAGE, result
        assert "malformed" in one_line(result) and len(result.err.strip().splitlines()) == 1

    from starlette.testclient import TestClient

    from plaid_balance._http_guard import Guard, HostRule
    from plaid_balance.dashboard._app import create_app
    from plaid_balance.dashboard._data import DashboardData
    from plaid_balance.storage.database import Database

    database = Database.open(f"sqlite:///{tmp_path / 'db.sqlite'}", create=False)
    try:
        guard = Guard(HostRule.bound("testserver", 80), token="t" * 32)
        client = TestClient(
            guard.protect(create_app(DashboardData(database))),
            headers={"Authorization": "Bearer " + "t" * 32},
        )
        answer = client.get("/")
        assert answer.status_code == 503 and "malformed" in answer.text
    finally:
        database.close()


@given(
    st.lists(
        st.sampled_from(["\\ud800", "\\udc00", "\\ud83d\\ude00", "\\u0041", "x", "\\\\ud800", '\\"']),
        max_size=6,
    ).map("".join)
)
def test_json_text_never_yields_a_string_utf8_cannot_write(escapes: str) -> None:
    """Any mix of escapes: refused as invalid JSON, or every string it gives can be written as UTF-8."""
    text = '{"a": "' + escapes + '", "b": ["' + escapes + '"]}'
    try:
        value = _json_text.loads(text)
    except json.JSONDecodeError:
        with pytest.raises(UnicodeEncodeError):
            json.dumps(json.loads(text), ensure_ascii=False).encode("utf-8")
    else:
        json.dumps(value, ensure_ascii=False).encode("utf-8")


@given(st.integers(min_value=4290, max_value=4320), st.sampled_from(["", "-", "+"]))
def test_toml_integers_of_any_length_load_or_are_invalid_toml(digits: int, sign: str) -> None:
    """Around Python's 4,300-digit limit: a value or the file's one-line error, never a traceback."""
    file = TomlFile(Path("f.toml"), f"a = {sign}{'9' * digits}\n")
    if digits > 4300:
        with pytest.raises(ConfigurationError, match="not valid TOML"):
            file.parse()
    else:
        assert abs(file.parse()["a"]) == int("9" * digits)
