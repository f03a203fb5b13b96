"""``plaid-balance batch`` end to end: output lines, exit codes, stdin, usage errors, Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import IO

from click.testing import CliRunner

from plaid_balance.cli.batch import batch
from plaid_balance.emulator import EmulatorConfig, FaultConfig, RunningEmulator, run_emulator
from tests.batch.conftest import CLI, cli_env, start_fast_batch, write_csv


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


def test_an_items_file_that_breaks_mid_run_is_one_line_and_exit_2(emu: RunningEmulator) -> None:
    created = emu.create_items(2)
    text = "access_token,label\n" + "".join(f"{t},ok\n" for t, _ in created) + "x" * (2 << 20) + "\n"
    proc = subprocess.run(
        [*CLI, "-"], input=text, capture_output=True, text=True, env=cli_env(emu), timeout=60
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    assert "longer than 1 MiB" in proc.stderr


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


def _slow_read(stream: IO[bytes], until: Callable[[bytes], bool] | None = None) -> bytes:
    """Read like a slow consumer: small pieces, with pauses, so the writer keeps finding the pipe full."""
    data = b""
    while chunk := stream.read1(700):  # type: ignore[attr-defined]
        data += chunk
        time.sleep(0.002)
        if until is not None and until(data):
            break
    return data


def test_ctrl_c_with_a_slow_reader_leaves_whole_lines_then_the_summary(tmp_path: Path) -> None:
    """Lines longer than a pipe's page, a reader slower than the batch, a Ctrl-C in the middle."""
    with run_emulator(EmulatorConfig(faults=FaultConfig(latency_ms=20))) as emu:
        created = emu.create_items(150)
        label = "x" * 6000  # each result line is over 6 KB: a cut at 4,096 bytes would show
        path = write_csv(tmp_path / "items.csv", [(t, f"{i}-{label}") for i, (t, _) in enumerate(created)])
        for _ in range(2):
            proc = start_fast_batch(path, emu)
            assert proc.stdout is not None and proc.stderr is not None
            head = _slow_read(proc.stdout, until=lambda data: data.count(b"\n") >= 5)
            proc.send_signal(signal.SIGINT)
            rest = _slow_read(proc.stdout)
            proc.wait(timeout=60)
            err = proc.stderr.read().decode()
            assert proc.returncode == 130, err
            stdout = (head + rest).decode()
            assert stdout.endswith("\n")
            out = lines_of(stdout)  # every line parses: none was cut, nothing glued to another
            summary = out[-1]
            assert summary["summary"] is True and summary["interrupted"] is True
            results = out[:-1]
            assert all(o.get("summary") is None and o["success"] is True for o in results)
            # Fetched results still queued after the stop's grace are counted, never half-printed.
            ok, not_printed = summary["ok"], summary["not_printed"]
            assert isinstance(ok, int) and isinstance(not_printed, int)
            assert ok == len(results) + not_printed
            assert summary["not_done"] == 150 - ok
            assert err == ""  # the summary went to stdout (--summary); nothing else to say


def test_a_reader_that_closes_the_pipe_gets_a_quiet_exit_141(emu: RunningEmulator, tmp_path: Path) -> None:
    created = emu.create_items(40)
    path = write_csv(tmp_path / "items.csv", [(t, "x" * 3000) for t, _ in created])
    proc = subprocess.Popen(
        [*CLI, str(path), "--concurrency", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(emu),
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()  # like `| head -1`
    proc.stdout.close()
    proc.wait(timeout=60)
    assert proc.returncode == 141
    assert proc.stderr.read() == b""


def test_labels_are_shown_literally_in_the_table(emu: RunningEmulator, tmp_path: Path) -> None:
    created = emu.create_items(2)
    labels = ["[red]not markup[/red]", "bell\x07 [bold]"]
    path = tmp_path / "items.jsonl"
    path.write_text(
        "".join(
            json.dumps({"access_token": t, "label": lb}) + "\n"
            for (t, _), lb in zip(created, labels, strict=True)
        )
    )
    env = {**cli_env(emu), "COLUMNS": "200"}
    result = CliRunner().invoke(batch, [str(path), "--format", "table"], env=env)
    assert result.exit_code == 0, result.output
    assert "[red]not markup[/red]" in result.stdout and "\x07" not in result.stdout
    assert "bell\\x07 [bold]" in result.stdout
    # The summary is said once, on stderr, not in the table as well.
    assert "2 ok, 0 failed" in result.stderr and "2 ok" not in result.stdout
