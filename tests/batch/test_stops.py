"""``batch`` when the world stops cooperating: a reader that never reads and a Ctrl-C, and a disk that
fills up during ``--save``. Billed results are never lost silently and the command always ends."""

from __future__ import annotations

import array
import asyncio
import fcntl
import json
import os
import resource
import signal
import subprocess
import termios
from decimal import Decimal
from pathlib import Path

from plaid_balance.cli.exit_codes import ExitCode
from plaid_balance.emulator import EmulatorConfig, FaultConfig, RunningEmulator, run_emulator
from tests.batch.conftest import CLI, cli_env, start_fast_batch, write_csv


def _unread(fd: int) -> int:
    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count, True)
    return count[0]


def test_ctrl_c_stops_at_once_when_stdout_is_not_read(tmp_path: Path) -> None:
    """With stdout full and nobody reading, a Ctrl-C ends the batch at once (today: it waits for the
    reader); stdout holds whole lines only, and the summary counts what was fetched but not printed."""
    with run_emulator(EmulatorConfig(faults=FaultConfig(latency_ms=20))) as emu:
        created = emu.create_items(120)
        path = write_csv(
            tmp_path / "items.csv", [(t, f"{i}-{'x' * 6000}") for i, (t, _) in enumerate(created)]
        )
        proc = start_fast_batch(path, emu)
        assert proc.stdout is not None and proc.stderr is not None
        capacity = fcntl.fcntl(proc.stdout.fileno(), fcntl.F_GETPIPE_SZ)
        while _unread(proc.stdout.fileno()) < capacity - 7000:  # the pipe is as full as whole lines get
            assert proc.poll() is None
            os.sched_yield()
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=30)  # a guard against a hang, not a measure of speed
        finally:
            proc.kill()
        stdout, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    assert code == ExitCode.INTERRUPTED, err
    assert stdout.endswith("\n")
    lines = [json.loads(line, parse_float=Decimal) for line in stdout.splitlines()]  # none was cut
    # The summary is the last line out, on stdout when the pipe had room for it, else on stderr.
    summary = lines.pop() if lines and lines[-1].get("summary") else json.loads(err.strip().splitlines()[-1])
    results = lines
    assert summary["summary"] is True and summary["interrupted"] is True
    assert summary["not_printed"] > 0
    assert summary["ok"] == len(results) + summary["not_printed"]


def _full_disk(limit: int) -> None:
    # A file-size limit makes the kernel refuse writes past ``limit`` bytes, as a full disk does.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_disk_that_fills_during_save_loses_no_billed_report(emu: RunningEmulator, tmp_path: Path) -> None:
    """Every fetched (billed) report is printed even when it cannot be stored; the summary says how
    many were not saved and why, and the exit code is the storage one."""
    created = emu.create_items(10)
    db = tmp_path / "db.sqlite"
    env = {**cli_env(emu), "PLAID_BALANCE_DB": f"sqlite:///{db}", "HOME": str(tmp_path)}
    first = write_csv(tmp_path / "first.csv", [(created[0][0], "first")])
    made = subprocess.run([*CLI, str(first), "--save"], env=env, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    path = write_csv(tmp_path / "items.csv", [(t, f"item {i}") for i, (t, _) in enumerate(created)])
    size = db.stat().st_size
    result = subprocess.run(
        [*CLI, str(path), "--save", "--summary", "--concurrency", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: _full_disk(size + 8192),
    )
    assert result.returncode == ExitCode.STORAGE, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    summary = lines[-1]
    assert [line["success"] for line in lines[:-1]] == [True] * 10
    assert summary["ok"] == 10 and 0 < summary["not_saved"] <= 10
    assert "not saved" in result.stderr and "Traceback" not in result.stderr
    assert emu.stats()["requests_by_endpoint"]["/accounts/balance/get"] == 11


def test_a_write_that_never_returns_is_given_up_after_the_grace() -> None:
    """Where the pipe's room cannot be asked for (not Linux, not a pipe), a write can block for good:
    the stop still ends after the grace, with the lines that never went out counted."""
    asyncio.run(_stuck_writer())


async def _stuck_writer() -> None:
    import io
    import threading

    from plaid_balance.cli._line_writer import LineWriter

    release = threading.Event()

    class Stuck(io.StringIO):
        def write(self, text: str) -> int:
            release.wait()  # a terminal on hold, a reader that never reads
            return len(text)

    out = LineWriter(Stuck(), max_pending=4)
    try:
        for n in range(10):  # one in the stuck write, four queued, the rest waiting for room
            task = asyncio.ensure_future(out.write(f"line {n}\n"))
            await asyncio.sleep(0)
            if n < 5:
                await task
        out.grace = 0.2
        dropped = await out.settle(out.grace)
        await out.aclose()
        assert dropped >= 8  # all but the one stuck mid-write (and perhaps one taken just before)
        await out.write("summary\n")
        assert out.dropped == dropped + 1
    finally:
        release.set()
