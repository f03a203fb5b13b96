"""The tables people read, at 80 columns, with bank data that tries to be markup, maths or escape codes.

Each table is printed as a user sees it (a real run, ``COLUMNS=80``) and must: fit the width; show
every amount whole (never cut with "…") with decimal points aligned; show hostile names literally
(never interpreted, never a raw escape character); and keep the totals' currency out of the Type
column. On failure, ``--format table`` prints one line on stderr and nothing on stdout.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from plaid_balance.cli.exit_codes import ExitCode
from tests.hardening.conftest import Backend
from tests.hardening.forkserver import ForkServer, RunResult

AMOUNT = re.compile(r"-?\d{1,3}(?:,\d{3})*(?:\.\d+)?")


def _run(
    forks: ForkServer, backend: Backend, tmp_path: Path, argv: list[str], token: str, columns: int = 80
) -> RunResult:
    env = {**backend.env(), "COLUMNS": str(columns), "HOME": str(tmp_path), "PLAID_ACCESS_TOKEN": token}
    return forks.run(argv, env=env, cwd=str(tmp_path), timeout=60)


def _assert_terminal_safe(out: str, width: int | None = 80) -> None:
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    for line in out.splitlines():
        assert width is None or len(line) <= width, line


def _accounts(forks: ForkServer, backend: Backend, tmp_path: Path, token: str) -> list[dict[str, str]]:
    result = _run(forks, backend, tmp_path, ["accounts", "--format", "json"], token)
    assert result.code == 0, result
    accounts: list[dict[str, str]] = json.loads(result.out)["accounts"]
    return accounts


@pytest.mark.parametrize("which", ["plain", "hostile"])
def test_accounts_lists_every_id_whole(
    which: str, forks: ForkServer, backend: Backend, tmp_path: Path
) -> None:
    token = backend.token if which == "plain" else backend.hostile_token
    result = _run(forks, backend, tmp_path, ["accounts"], token)
    assert result.code == 0, result
    _assert_terminal_safe(result.out)
    for account in _accounts(forks, backend, tmp_path, token):
        assert account["account_id"] in result.out


def test_get_table_shows_bank_data_literally(forks: ForkServer, backend: Backend, tmp_path: Path) -> None:
    result = _run(forks, backend, tmp_path, ["get", "--format", "table"], backend.hostile_token)
    assert result.code == 0, result
    # Its amounts are too wide for 80 columns: the table grows rather than cut one of them.
    _assert_terminal_safe(result.out, width=None)
    report = json.loads(_run(forks, backend, tmp_path, ["get"], backend.hostile_token).out)
    for account in report["accounts"]:
        assert f"{account['current_balance']:,}" in result.out
    wide = _run(forks, backend, tmp_path, ["get", "--format", "table"], backend.hostile_token, columns=200)
    _assert_terminal_safe(wide.out, width=200)
    assert "[red]Checking[/red] [link=https://evil.invalid]x[/link]" in wide.out  # text, not colour
    assert "Savings $\\frac{1}{0}$ $x$" in wide.out  # text, not maths
    assert "\\x1b]0;pwned\\x07" in wide.out  # the escape is shown, not obeyed


def test_get_table_amounts_are_whole_and_aligned(forks: ForkServer, backend: Backend, tmp_path: Path) -> None:
    report = _run(forks, backend, tmp_path, ["get"], backend.token)
    table = _run(forks, backend, tmp_path, ["get", "--format", "table"], backend.token)
    assert table.code == 0, table
    _assert_terminal_safe(table.out)
    assert "…" not in "".join(re.findall(r"[\d,.]+…", table.out))
    for account in json.loads(report.out)["accounts"]:
        current = account["current_balance"]
        if current is not None:
            assert f"{abs(current):,}".split(".")[0] in table.out
    # Decimal points of the Current column line up.
    points = {
        line.index(".", match.start())
        for line in table.out.splitlines()
        for match in [re.search(r"\d[\d,]*\.\d", line)]
        if match
    }
    assert len(points) <= 3, table.out  # one per amount column (Current, Available, Limit)


def test_get_table_totals_keep_the_currency_out_of_type(
    forks: ForkServer, backend: Backend, tmp_path: Path
) -> None:
    table = _run(forks, backend, tmp_path, ["get", "--format", "table"], backend.token)
    for line in table.out.splitlines():
        if re.search(r"\b(Assets|Liabilities|Net)\b", line):
            cells = [c.strip() for c in re.split(r"[│┃|]", line) if c.strip()]
            assert cells[1:2] != ["USD"], line


@pytest.mark.parametrize("argv", [["get", "--format", "table"], ["get", "--format", "csv"], ["accounts"]])
def test_a_failed_table_is_one_line_on_stderr(
    argv: list[str], forks: ForkServer, backend: Backend, tmp_path: Path
) -> None:
    result = _run(forks, backend, tmp_path, argv, "access-sandbox-00000000-0000-0000-0000-000000000000")
    assert result.code == ExitCode.PLAID_ERROR, result
    assert result.out == ""
    assert len(result.err.strip().splitlines()) == 1, result


@pytest.mark.parametrize("suffix", [".png", ".svg", ".html"])
def test_charts_take_dollar_signs_and_escapes_literally(
    suffix: str, forks: ForkServer, backend: Backend, tmp_path: Path
) -> None:
    saved = _run(forks, backend, tmp_path, ["get", "--save"], backend.hostile_token)
    assert saved.code == 0, saved
    chart = tmp_path / f"chart{suffix}"
    title = "Savings $\\frac{1}{0}$ $x$ [red]x[/red] \x1b[31m"
    result = _run(
        forks, backend, tmp_path, ["history", "--chart", str(chart), "--title", title], backend.token
    )
    assert result.code == 0, result
    assert chart.stat().st_size > 0
    assert "Traceback" not in result.err and "Warning" not in result.err
    if suffix == ".html":
        assert "$x$" in chart.read_text()
