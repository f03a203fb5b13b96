"""The shared bench harness: what it measures of a process, and how it summarises and judges."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import harness

MIB = 1024 * 1024


def test_reports_the_commands_own_peak_rss() -> None:
    run = harness.run_process([sys.executable, "-c", f"b = bytearray({96 * MIB}); print(len(b))"])

    assert run.stdout == f"{96 * MIB}\n".encode()
    assert run.peak_rss_mb >= 96
    assert 0 < run.floor_rss_mb < run.peak_rss_mb
    assert run.seconds > 0
    assert run.cpu_seconds > 0


def test_a_big_parent_does_not_inflate_a_small_commands_peak() -> None:
    # The bug this harness exists for: ru_maxrss read after a plain Popen reports the parent's peak.
    program = textwrap.dedent(
        f"""
        import json, os, subprocess, sys
        sys.path.insert(0, {str(harness.HERE)!r})
        import harness
        ballast = bytearray({320 * MIB})
        for i in range(0, len(ballast), 4096):
            ballast[i] = 1
        naive = subprocess.Popen([sys.executable, "-c", "pass"])
        _, _, usage = os.wait4(naive.pid, 0)
        measured = harness.run_process([sys.executable, "-c", "pass"])
        print(json.dumps({{"naive_mb": usage.ru_maxrss / 1024, "measured_mb": measured.peak_rss_mb}}))
        """
    )
    result = json.loads(
        subprocess.run([sys.executable, "-c", program], capture_output=True, check=True).stdout
    )

    if result["naive_mb"] < 320:
        pytest.skip("this kernel does not carry a parent's peak RSS across exec")
    assert result["measured_mb"] < 100


def test_exit_codes_pass_through_and_unexpected_ones_fail() -> None:
    failing = [sys.executable, "-c", "import sys; sys.stderr.write('boom\\n'); sys.exit(6)"]

    assert harness.run_process(failing, expect=(0, 6)).returncode == 6
    assert harness.run_process(failing, expect=None).stderr == b"boom\n"
    with pytest.raises(harness.CommandFailed, match="exited 6: boom"):
        harness.run_process(failing)


def test_a_command_that_cannot_start_is_reported() -> None:
    with pytest.raises(RuntimeError, match="cannot run /nonexistent/plaid-balance-bench-command"):
        harness.run_process(["/nonexistent/plaid-balance-bench-command"])


def test_output_can_go_to_a_file_instead_of_through_the_bench(tmp_path: Path) -> None:
    printed = tmp_path / "out.txt"
    run = harness.run_process(
        [sys.executable, "-c", "import sys\nfor line in sys.stdin: print(line.strip().upper())"],
        stdin=b"a\nb\nc\n",
        stdout_to=printed,
    )

    assert printed.read_bytes() == b"A\nB\nC\n"
    assert run.stdout == b""


def test_a_running_process_is_observed_from_outside() -> None:
    busy = textwrap.dedent(
        f"""
        import sys
        ballast = bytearray({64 * MIB})
        for i in range(0, len(ballast), 4096):
            ballast[i] = 1
        print("ready", flush=True)
        while True:
            pass
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", busy], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
        usage = harness.observe_process(proc.pid, 0.5)
    finally:
        proc.kill()
        proc.wait()

    assert usage.rss_mb >= 64
    assert usage.peak_rss_mb >= usage.rss_mb
    assert usage.cpu_seconds > 0
    assert usage.cpu_share == usage.cpu_seconds / usage.seconds


def test_summary_is_the_median_with_quartiles_and_extremes() -> None:
    summary = harness.summarize([5.0, 1.0, 3.0, 2.0, 4.0])

    assert (summary.median, summary.q1, summary.q3, summary.low, summary.high, summary.n) == (
        3,
        2,
        4,
        1,
        5,
        5,
    )
    assert "IQR 2.00–4.00" in summary.text(".2f")
    assert harness.summarize([7.0]).text(".1f", " s") == "7.0 s (one round)"
    with pytest.raises(ValueError, match="nothing"):
        harness.summarize([])


def test_ratios_are_paired_round_by_round() -> None:
    target = harness.ratio_target("fast vs slow", [1.0, 2.0, 3.0], [4.0, 4.0, 4.0], "<=", 0.5)

    assert target.value == pytest.approx(0.5)
    assert target.met
    assert target.summary is not None
    assert (target.summary.low, target.summary.high) == (0.25, 0.75)
    with pytest.raises(ValueError, match="same number"):
        harness.paired_ratios([1.0], [1.0, 2.0])


@pytest.mark.parametrize(
    ("comparison", "value", "met"),
    [
        ("<=", 1.0, True),
        ("<=", 1.01, False),
        (">=", 1.0, True),
        (">=", 0.99, False),
        ("<", 1.0, False),
        ("==", 1.0, True),
    ],
)
def test_targets_are_judged_and_printed(comparison: harness.Comparison, value: float, met: bool) -> None:
    target = harness.Target("figure", value, comparison, 1.0)
    out = io.StringIO()

    harness.print_targets("targets", [target], file=out)

    assert target.met is met
    assert target.as_json()["met"] is met
    assert ("NOT MET" in out.getvalue()) is not met
    assert f"{int(met)} of 1 met" in out.getvalue()


def test_rounds_interleave_every_case_and_drop_the_warmup() -> None:
    calls: list[str] = []

    def case(name: str) -> Callable[[], int]:
        def run() -> int:
            calls.append(name)
            return len(calls)

        return run

    values = harness.interleaved_rounds(
        {name: case(name) for name in "abcd"}, rounds=6, warmup=2, seed=1, progress=None
    )

    assert len(calls) == 8 * 4
    rounds = [calls[i : i + 4] for i in range(0, len(calls), 4)]
    assert all(sorted(r) == list("abcd") for r in rounds)
    assert len({tuple(r) for r in rounds}) > 1  # the order changes between rounds
    assert {name: len(v) for name, v in values.items()} == dict.fromkeys("abcd", 6)
    assert min(min(v) for v in values.values()) > 2 * 4  # the warm-up rounds' values are gone


def test_machine_description_names_what_the_figures_depend_on() -> None:
    info = harness.machine()

    assert {"date_utc", "arch", "cpu", "cores", "python"} <= info.keys()
    assert info["python"] in harness.machine_line(info)
