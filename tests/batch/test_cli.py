"""``plaid-balance batch`` end to end: output lines, exit codes, stdin, usage errors, Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from plaid_balance.cli.batch import batch
from plaid_balance.emulator import EmulatorConfig, FaultConfig, RunningEmulator, run_emulator
from tests.batch.conftest import cli_env, write_csv

CLI = [sys.executable, "-c", "from plaid_balance.cli import main; main()", "batch"]


def lines_of(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line, parse_float=Decimal) for line in stdout.splitlines()]


def test_exit_0_when_all_succeed_and_one_line_per_item(emu: RunningEmulator, tmp_path: Path) -> None:
    created = emu.create_items(5)
    path = write_csv(tmp_path / "items.csv", [(t, f"user {i}") for i, (t, _) in enumerate(created)])
    result = CliRunner().invoke(batch, [str(path), "--summary"], env=cli_env(emu))
    assert result.exit_code == 0, result.output
    out = lines_of(result.stdout)
    assert len(out) == 6 and out[-1]["summary"] is True and out[-1]["ok"] == 5
    assert sorted(o["line"] for o in out[:-1]) == [2, 3, 4, 5, 6]  # type: ignore[type-var]
    assert {o["item_id"] for o in out[:-1]} == {item_id for _, item_id in created}
    assert all(o["success"] is True for o in out[:-1])
    # Per-currency totals are exact decimals summed over Items.
    assert out[-1]["totals"]["USD"]["net"] == 5 * out[0]["totals"]["USD"]["net"]  # type: ignore[index]
    for token, _ in created:
        assert token not in result.stdout and token not in result.stderr


def test_exit_5_and_2_with_failures_and_malformed_lines(emu: RunningEmulator, tmp_path: Path) -> None:
    created = emu.create_items(3)
    emu.reset_login(created[0][1])
    path = tmp_path / "items.jsonl"
    path.write_text(
        "".join(json.dumps({"access_token": t, "label": f"u{i}"}) + "\n" for i, (t, _) in enumerate(created))
    )
    result = CliRunner().invoke(batch, [str(path)], env=cli_env(emu))
    assert result.exit_code == 5
    assert "1 failed (ITEM_LOGIN_REQUIRED 1)" in result.stderr
    failed = [o for o in lines_of(result.stdout) if o["success"] is False]
    assert failed[0]["label"] == "u0" and failed[0]["error"]["error_code"] == "ITEM_LOGIN_REQUIRED"  # type: ignore[index]

    with path.open("a") as fh:
        fh.write('{"access_token": "half\n')
    result = CliRunner().invoke(batch, [str(path)], env=cli_env(emu))
    assert result.exit_code == 2
    assert "line 4: invalid JSON" in result.stderr
    assert len(lines_of(result.stdout)) == 4  # the good lines still ran
    for token, _ in created:
        assert token not in result.stdout and token not in result.stderr


def test_usage_errors_exit_2_before_any_call(emu: RunningEmulator, tmp_path: Path) -> None:
    runner = CliRunner()
    not_items = tmp_path / "tokens.txt"
    not_items.write_text("access-sandbox-secret-1\naccess-sandbox-secret-2\n")
    result = runner.invoke(batch, [str(not_items)], env=cli_env(emu))
    assert result.exit_code == 2 and "neither" not in result.stdout
    assert "line 1 is not a CSV header with an access_token column" in result.stderr
    assert "secret" not in result.stderr
    assert runner.invoke(batch, [str(tmp_path / "missing.csv")], env=cli_env(emu)).exit_code == 2
    empty = tmp_path / "empty.csv"
    empty.write_text("\n")
    assert runner.invoke(batch, [str(empty)], env=cli_env(emu)).exit_code == 2
    assert runner.invoke(batch, [str(not_items), "--cached", "--min-last-updated", "2d"]).exit_code == 2
    assert emu.stats()["requests_total"] == 0


def test_stdin_and_table_format(emu: RunningEmulator) -> None:
    created = emu.create_items(2)
    text = "access_token,label\n" + "".join(f"{t},row{i}\n" for i, (t, _) in enumerate(created))
    result = CliRunner().invoke(batch, ["-", "--format", "table"], input=text, env=cli_env(emu))
    assert result.exit_code == 0, result.output
    assert "row0" in result.stdout and "row1" in result.stdout and "2 ok, 0 failed" in result.stderr


def test_stdin_pipe_and_cached_in_a_subprocess(emu: RunningEmulator) -> None:
    created = emu.create_items(3)
    text = "".join(json.dumps({"access_token": t}) + "\n" for t, _ in created)
    proc = subprocess.run(
        [*CLI, "-", "--cached"], input=text, capture_output=True, text=True, env=cli_env(emu), timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    out = lines_of(proc.stdout)
    assert len(out) == 3 and {o["source"] for o in out} == {"cached"}
    assert emu.stats()["requests_by_endpoint"] == {"/accounts/get": 3}


def test_ctrl_c_leaves_complete_lines_and_exits_130(tmp_path: Path) -> None:
    with run_emulator(EmulatorConfig(faults=FaultConfig(latency_ms=150))) as emu:
        created = emu.create_items(200)
        path = write_csv(tmp_path / "items.csv", [(t, str(i)) for i, (t, _) in enumerate(created)])
        proc = subprocess.Popen(
            [*CLI, str(path), "--concurrency", "4", "--rate-limit", "100000", "--item-rate-limit", "1000"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=cli_env(emu),
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()  # wait for real progress, not for a fixed time
        deadline = time.monotonic() + 30
        while emu.stats()["requests_total"] < 12 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    stdout = (first + rest).decode()
    assert stdout.endswith("\n")
    out = lines_of(stdout)
    assert 1 <= len(out) < 200
    assert all(o["success"] is True for o in out)
    stderr = err.decode()
    assert f"interrupted: {200 - len(out)} Items not done" in stderr
    for token, _ in created:
        assert token not in stdout and token not in stderr
