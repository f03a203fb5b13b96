"""What every benchmark shares: whole-process runs, interleaved rounds, medians with spread, targets judged
met / not met, the machine description and the JSON output. See bench/README.md ("The harness").

A benchmark script imports this module by its bare name (``import harness``): scripts run as
``python bench/NAME.py``, so ``bench/`` is on ``sys.path``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

HERE = Path(__file__).resolve().parent
LAUNCHER = HERE / "launch.py"
RESULTS = HERE / "results"
T = TypeVar("T")


# --- whole processes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessRun:
    """One command run to completion, measured by bench/launch.py (not by this process)."""

    argv: Sequence[str]
    seconds: float  # wall time from spawn to exit
    cpu_seconds: float  # user + system time of the command (and its children it waited for)
    peak_rss_mb: float  # the command's own peak RSS (never this process's)
    floor_rss_mb: float  # the launcher's own peak: a command peaking lower would show this instead
    returncode: int
    stdout: bytes = field(repr=False)
    stderr: bytes = field(repr=False)


class CommandFailed(RuntimeError):
    def __init__(self, run: ProcessRun) -> None:
        tail = run.stderr.decode(errors="replace").strip().splitlines()[-3:]
        super().__init__(f"{' '.join(run.argv[:3])} ... exited {run.returncode}: {' | '.join(tail)}")
        self.run = run


def run_process(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    stdout_to: Path | None = None,
    expect: Iterable[int] | None = (0,),
    cwd: Path | None = None,
) -> ProcessRun:
    """Run ``argv`` through the launcher and measure it.

    Output is captured whole unless ``stdout_to`` names a file: then stdout goes there, never through this
    process (a batch over 10,000 Items prints megabytes). Reading it here line by line would also run
    Python in the process that hosts the emulator's thread, for every line, and the two would take turns
    at the interpreter lock: measured, that slowed the emulator by 150 ms over 1,000 answers, in the
    command's runs only. ``expect`` lists the acceptable exit codes (None: any).
    """
    # Installed packages are byte-compiled at install time; an editable checkout is compiled by the warm-up
    # round, unless PYTHONDONTWRITEBYTECODE (set on some machines) stops it and every run compiles the
    # project's sources while the SDK's load from .pyc: the comparison would not be like for like.
    run_env = dict(os.environ if env is None else env)
    run_env.pop("PYTHONDONTWRITEBYTECODE", None)
    read_fd, write_fd = os.pipe()
    stdout_file = open(stdout_to, "wb") if stdout_to is not None else None  # noqa: SIM115 - closed below
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", str(LAUNCHER), str(write_fd), "--", *argv],
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=stdout_file if stdout_file is not None else subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=run_env,
            cwd=cwd,
            pass_fds=(write_fd,),
        )
    finally:
        os.close(write_fd)
        if stdout_file is not None:
            stdout_file.close()  # the child has its own copy
    with os.fdopen(read_fd, "rb") as result_pipe:
        stdout, stderr = proc.communicate(stdin)
        stdout = stdout or b""  # None when it went to a file
        result_line = result_pipe.read()
    if not result_line:
        raise RuntimeError(f"launcher gave no result for {argv[0]}: {stderr.decode(errors='replace')}")
    result = json.loads(result_line)
    run = ProcessRun(
        argv=list(argv),
        seconds=result["seconds"],
        cpu_seconds=result["cpu_seconds"],
        peak_rss_mb=result["peak_rss_kib"] / 1024,
        floor_rss_mb=result["floor_rss_kib"] / 1024,
        returncode=result["returncode"],
        stdout=stdout,
        stderr=stderr,
    )
    if expect is not None and run.returncode not in set(expect):
        raise CommandFailed(run)
    return run


@dataclass(frozen=True)
class ServiceUsage:
    """What a running process (a server, a watcher) used while it was observed."""

    seconds: float  # how long it was observed
    cpu_seconds: float  # user + system CPU it used meanwhile
    rss_mb: float  # resident at the end
    peak_rss_mb: float  # its own peak since exec (VmHWM)

    @property
    def cpu_share(self) -> float:
        """CPU used per second observed: 1.0 is one core kept busy."""
        return self.cpu_seconds / self.seconds


def observe_process(pid: int, seconds: float) -> ServiceUsage:
    """Observe a running process for ``seconds`` (Linux: reads /proc/PID/stat and /proc/PID/status)."""

    def cpu() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        # utime and stime are fields 14 and 15 of stat(5): 12 and 13 after the ")" that ends the name.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    started_cpu, started = cpu(), time.perf_counter()
    time.sleep(seconds)
    used, elapsed = cpu() - started_cpu, time.perf_counter() - started
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return ServiceUsage(
        seconds=elapsed,
        cpu_seconds=used,
        rss_mb=int(status["VmRSS"].split()[0]) / 1024,
        peak_rss_mb=int(status["VmHWM"].split()[0]) / 1024,
    )


# --- rounds and summaries ----------------------------------------------------------------------------


def interleaved_rounds(
    cases: Mapping[str, Callable[[], T]],
    rounds: int,
    *,
    warmup: int = 1,
    seed: int = 0,
    progress: IO[str] | None = sys.stderr,
) -> dict[str, list[T]]:
    """Run every case once per round, in a fresh random order each round, so that whatever else the
    machine is doing falls on all cases alike; ``warmup`` rounds first (page cache, .pyc files) are
    dropped. Returns each case's values in round order (round i of every case ran close in time)."""
    order = list(cases)
    shuffle = random.Random(seed).shuffle
    values: dict[str, list[T]] = {name: [] for name in order}
    for index in range(warmup + rounds):
        shuffle(order)
        for name in order:
            value = cases[name]()
            if index >= warmup:
                values[name].append(value)
        if progress is not None:
            label = "warm-up round" if index < warmup else f"round {index - warmup + 1} of {rounds}"
            print(f"  {label} done", file=progress, flush=True)
    return values


def adjacent(cases: Mapping[str, Callable[[], T]], *, seed: int | None = 0) -> Callable[[], dict[str, T]]:
    """One trial of several cases run back to back, in a new random order each time: returns each case's
    value. A ratio of two of them is taken over a fraction of a second, not over a whole round of
    cases: on a shared machine the speed drifts by a third within a round, and a ratio between runs
    seconds apart measures the drift as much as the programs."""
    order = list(cases)
    shuffle = random.Random(seed).shuffle

    def trial() -> dict[str, T]:
        shuffle(order)
        return {name: cases[name]() for name in order}

    return trial


@dataclass(frozen=True)
class Summary:
    """Median with spread: the inter-quartile range and the extremes, over n values."""

    median: float
    q1: float
    q3: float
    low: float
    high: float
    n: int

    def text(self, fmt: str = ".3f", unit: str = "") -> str:
        if self.n == 1:
            return f"{self.median:{fmt}}{unit} (one round)"
        return (
            f"{self.median:{fmt}}{unit} (IQR {self.q1:{fmt}}–{self.q3:{fmt}}, "
            f"min–max {self.low:{fmt}}–{self.high:{fmt}}, n={self.n})"
        )


def summarize(values: Sequence[float]) -> Summary:
    if not values:
        raise ValueError("nothing to summarise")
    if len(values) == 1:
        q1 = q3 = values[0]
    else:
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return Summary(statistics.median(values), q1, q3, min(values), max(values), len(values))


def paired_ratios(numerator: Sequence[float], denominator: Sequence[float]) -> list[float]:
    """Round-by-round ratios of two interleaved cases (or of the cases of ``adjacent`` trials): each pair
    ran under the same machine load."""
    if len(numerator) != len(denominator):
        raise ValueError("paired cases need the same number of rounds")
    return [a / b for a, b in zip(numerator, denominator, strict=True)]


# --- targets -----------------------------------------------------------------------------------------

Comparison = Literal["<=", ">=", "<", "=="]


@dataclass(frozen=True)
class Target:
    """A stated goal and what was measured against it. ``summary`` is the spread behind ``value``."""

    name: str
    value: float
    comparison: Comparison
    limit: float
    unit: str = ""
    fmt: str = ".3f"
    summary: Summary | None = None
    detail: str = ""

    @property
    def met(self) -> bool:
        match self.comparison:
            case "<=":
                return self.value <= self.limit
            case ">=":
                return self.value >= self.limit
            case "<":
                return self.value < self.limit
            case "==":
                return self.value == self.limit

    def line(self) -> str:
        status = "met    " if self.met else "NOT MET"
        measured = (
            self.summary.text(self.fmt, self.unit) if self.summary else f"{self.value:{self.fmt}}{self.unit}"
        )
        detail = f"  [{self.detail}]" if self.detail else ""
        symbol = {"<=": "≤", ">=": "≥"}.get(self.comparison, self.comparison)
        return (
            f"  {status}  {self.name}: {measured}; target {symbol} {self.limit:{self.fmt}}{self.unit}{detail}"
        )

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["met"] = self.met
        data.pop("fmt")
        return data


def ratio_target(
    name: str,
    numerator: Sequence[float],
    denominator: Sequence[float],
    comparison: Comparison,
    limit: float,
    detail: str = "",
) -> Target:
    """A target on the median of round-by-round ratios (both cases measured in the same rounds)."""
    summary = summarize(paired_ratios(numerator, denominator))
    return Target(name, summary.median, comparison, limit, unit="×", summary=summary, detail=detail)


def print_targets(title: str, targets: Sequence[Target], file: IO[str] = sys.stdout) -> None:
    met = sum(target.met for target in targets)
    print(f"\n{title}: {met} of {len(targets)} met", file=file)
    for target in targets:
        print(target.line(), file=file)
    file.flush()


# --- the machine and the output ----------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """Where the figures came from: they mean little without it."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "arch": platform.machine(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_1min_at_start": load,
    }


def machine_line(info: Mapping[str, Any]) -> str:
    load = info.get("load_1min_at_start")
    loaded = f", load {load:.1f}" if isinstance(load, float) else ""
    return (
        f"{info['date_utc']} on {info['arch']}, {info['cpu']}, {info['cores']} cores, "
        f"Python {info['python']}{loaded}"
    )


def add_common_arguments(parser: argparse.ArgumentParser, *, rounds: int, warmup: int = 1) -> None:
    parser.add_argument("--rounds", type=int, default=rounds, help=f"measured rounds (default {rounds})")
    parser.add_argument(
        "--warmup", type=int, default=warmup, help=f"rounds run first and dropped (default {warmup})"
    )
    parser.add_argument(
        "--json",
        metavar="PATH",
        help="also write the results as JSON to PATH (bench/results/ keeps a copy anyway)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny and fast (one round, no warm-up, few Items): checks the bench works, measures nothing",
    )


def save_results(name: str, payload: Mapping[str, Any], json_path: str | None, *, smoke: bool) -> Path:
    """Write the results to bench/results/ (git-ignored) and, if asked, to ``json_path`` too."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    text = json.dumps({**payload, "load_1min_at_end": load}, indent=2, default=str)
    RESULTS.mkdir(parents=True, exist_ok=True)
    kept = RESULTS / f"{name}{'_smoke' if smoke else ''}_{time.strftime('%Y%m%dT%H%M%S')}.json"
    kept.write_text(text)
    if json_path:
        Path(json_path).write_text(text)
    return kept
