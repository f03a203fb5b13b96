"""Benchmark of ``plaid-balance batch`` against the emulator (see bench/README.md).

Cases, interleaved round by round: (a) latency-bound throughput of the real CLI vs. Items × latency ÷
concurrency; (b) a run bounded by the client rate limit (short window) vs. the window arithmetic, with the
emulator counting the busiest window and any 429; (c) the official plaid-python SDK in a sequential loop on
a sample, extrapolated per Item; (d) the CLI's own peak RSS over many Items, measured by the launcher
(bench/launch.py), never this process's (which holds the emulator and its Items).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import harness
from plaid_balance.emulator import EmulatorConfig, FaultConfig, RateLimitRule, RunningEmulator, run_emulator

CLI = str(Path(sys.executable).with_name("plaid-balance"))
SCRIPTS = harness.HERE / "scripts"
LATENCY_MS = 200.0
BALANCE = "/accounts/balance/get"
LATENCY_BOUND_TARGET = 0.95  # issue 10
SPEEDUP_TARGET = 20.0
MEMORY_TARGET_MB = 150.0


@dataclass(frozen=True)
class Sizes:
    latency_items: int
    rate_items: int
    rate_limit: int
    rate_window: float
    sdk_sample: int
    memory_items: int


FULL = Sizes(
    latency_items=1000, rate_items=300, rate_limit=50, rate_window=5.0, sdk_sample=50, memory_items=10_000
)
QUICK = Sizes(
    latency_items=200, rate_items=150, rate_limit=50, rate_window=5.0, sdk_sample=20, memory_items=2000
)
SMOKE = Sizes(latency_items=20, rate_items=10, rate_limit=5, rate_window=1.0, sdk_sample=3, memory_items=200)


def cli_env(emu: RunningEmulator) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PLAID_")}
    return {
        **env,
        "PLAID_CLIENT_ID": emu.client_id,
        "PLAID_SECRET": emu.secret,
        "PLAID_BASE_URL": emu.base_url,
    }


def write_items(emu: RunningEmulator, n: int, path: Path) -> list[str]:
    tokens = [token for token, _ in emu.create_items(n)]
    path.write_text("access_token,label\n" + "".join(f"{t},item {i}\n" for i, t in enumerate(tokens)))
    return tokens


def run_batch(emu: RunningEmulator, items: Path, n: int, *args: str) -> dict[str, Any]:
    """The real CLI over ``items``; its output goes to a file (see harness.run_process), read afterwards
    line by line, never held whole."""
    output = items.with_suffix(".out")
    run = harness.run_process(
        [CLI, "batch", str(items), "--summary", "--no-progress", *args], env=cli_env(emu), stdout_to=output
    )
    lines = 0
    last = b""
    with output.open("rb") as printed:
        for line in printed:
            lines += 1
            last = line
    output.unlink()
    summary = json.loads(last)
    if lines != n + 1:
        raise SystemExit(f"batch printed {lines} lines for {n} Items (+ summary)")
    return {
        "seconds": run.seconds,
        "cpu_seconds": run.cpu_seconds,
        "peak_rss_mb": run.peak_rss_mb,
        "launcher_floor_mb": run.floor_rss_mb,
        "summary": summary,
    }


def unlimited(concurrency: int) -> list[str]:
    return ["--concurrency", str(concurrency), "--rate-limit", "1000000", "--item-rate-limit", "1000"]


def case_latency(n: int, concurrency: int, tmp: Path) -> dict[str, Any]:
    """The CLI, and next to it (in a random order, on the same emulator) the minimal client: the floor
    any client reaches here, since the emulator's own work and the machine's wake-ups add to every call."""
    config = EmulatorConfig(faults=FaultConfig(latency_ms=LATENCY_MS), rate_limits_enabled=False)
    with run_emulator(config) as emu:
        items = tmp / "latency.csv"
        tokens = write_items(emu, n, items)
        token_file = tmp / "latency_tokens.txt"
        token_file.write_text("\n".join(tokens))

        def minimal() -> float:
            argv = [sys.executable, str(SCRIPTS / "minimal_client.py"), str(token_file), str(concurrency)]
            return harness.run_process(argv, env=cli_env(emu)).seconds

        both = harness.adjacent(
            {"cli": lambda: run_batch(emu, items, n, *unlimited(concurrency)), "minimal": minimal},
            seed=None,  # a fresh order each round: this trial is built anew every round
        )()
    run, floor_seconds = both["cli"], both["minimal"]
    assert isinstance(run, dict) and isinstance(floor_seconds, float)
    bound = n * LATENCY_MS / 1000 / concurrency
    return {
        "items": n,
        "concurrency": concurrency,
        "bound_seconds": bound,
        **run,
        "ratio": bound / run["seconds"],
        "minimal_client_seconds": floor_seconds,
        "minimal_client_ratio": bound / floor_seconds,
    }


def case_rate_limited(n: int, limit: int, window: float, tmp: Path) -> dict[str, Any]:
    config = EmulatorConfig(
        faults=FaultConfig(latency_ms=LATENCY_MS),
        rate_window_seconds=window,
        rate_limits={BALANCE: RateLimitRule(per_client=limit, per_item=5)},
    )
    with run_emulator(config) as emu:
        items = tmp / "rate.csv"
        write_items(emu, n, items)
        args = ["--concurrency", "50", "--rate-limit", str(limit), "--item-rate-limit", "5"]
        run = run_batch(emu, items, n, *args, "--rate-window", str(window))
        stats = emu.stats()
    # A sliding window lets `limit` go at once, then `limit` more each window: the last group starts
    # after ceil(n / limit) - 1 windows and takes one latency.
    bound = (math.ceil(n / limit) - 1) * window + LATENCY_MS / 1000
    return {
        "items": n,
        "limit_per_window": limit,
        "window_seconds": window,
        "per_minute_equivalent": limit * 60 / window,
        "bound_seconds": bound,
        **run,
        "ratio": bound / run["seconds"],
        "emulator_max_in_window": stats["balance_max_in_window"]["per_client"],
        "emulator_429s": sum(stats["rate_limited"].values()),
    }


def case_sdk(sample: int, tmp: Path) -> dict[str, Any]:
    config = EmulatorConfig(faults=FaultConfig(latency_ms=LATENCY_MS), rate_limits_enabled=False)
    with run_emulator(config) as emu:
        tokens = tmp / "sdk_tokens.txt"
        tokens.write_text("\n".join(token for token, _ in emu.create_items(sample)))
        run = harness.run_process(
            [sys.executable, str(SCRIPTS / "sdk_loop.py"), str(tokens)], env=cli_env(emu)
        )
    loop = json.loads(run.stdout)
    return {"sample": sample, "seconds": loop["seconds"], "seconds_per_item": loop["seconds"] / sample}


def case_memory(n: int, tmp: Path) -> dict[str, Any]:
    with run_emulator(EmulatorConfig(rate_limits_enabled=False)) as emu:
        items = tmp / "memory.csv"
        write_items(emu, n, items)
        run = run_batch(emu, items, n, *unlimited(50))
    return {"items": n, **run}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    harness.add_common_arguments(parser, rounds=3, warmup=0)
    parser.add_argument("--quick", action="store_true", help="fewer Items (about a minute a round)")
    parser.add_argument("--concurrency", type=int, default=25, help="case (a) concurrency (default 25)")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else QUICK if args.quick else FULL
    rounds, warmup = (1, 0) if args.smoke else (args.rounds, args.warmup)
    info = harness.machine()
    print(f"batch bench: {harness.machine_line(info)}", flush=True)
    print(f"sizes: {asdict(sizes)}; {rounds} round(s) after {warmup} warm-up", flush=True)

    with tempfile.TemporaryDirectory(prefix="plaid-balance-bench-") as tmp_name:
        tmp = Path(tmp_name)
        cases: dict[str, Callable[[], dict[str, Any]]] = {
            "a": lambda: case_latency(sizes.latency_items, args.concurrency, tmp),
            "b": lambda: case_rate_limited(sizes.rate_items, sizes.rate_limit, sizes.rate_window, tmp),
            "c": lambda: case_sdk(sizes.sdk_sample, tmp),
            "d": lambda: case_memory(sizes.memory_items, tmp),
        }
        runs = harness.interleaved_rounds(cases, rounds, warmup=warmup)

    latency, rate, sdk, memory = runs["a"], runs["b"], runs["c"], runs["d"]
    # (c) in the same round as (a): the SDK's per-Item time × (a)'s Items, over (a)'s wall time.
    speedups = [
        s["seconds_per_item"] * sizes.latency_items / a["seconds"] for s, a in zip(sdk, latency, strict=True)
    ]
    a_seconds = harness.summarize([run["seconds"] for run in latency])
    b_seconds = harness.summarize([run["seconds"] for run in rate])
    print(
        f"\n(a) {sizes.latency_items} Items, concurrency {args.concurrency}, {LATENCY_MS:.0f} ms: "
        f"{a_seconds.text('.2f', ' s')} vs bound {latency[0]['bound_seconds']:.2f} s; "
        f"CLI CPU {harness.summarize([run['cpu_seconds'] for run in latency]).text('.2f', ' s')}"
    )
    floor = harness.summarize([run["minimal_client_ratio"] for run in latency])
    print(
        f"    a minimal client (scripts/minimal_client.py, same emulator, same rounds) reaches "
        f"{floor.text('.3f')} of the bound: what the emulator and this machine leave to any client"
    )
    print(
        f"(b) {sizes.rate_items} Items at {sizes.rate_limit}/{sizes.rate_window:g}s "
        f"({rate[0]['per_minute_equivalent']:.0f}/min): {b_seconds.text('.2f', ' s')} vs bound "
        f"{rate[0]['bound_seconds']:.2f} s; emulator's busiest window "
        f"{max(run['emulator_max_in_window'] for run in rate)}, 429s {sum(run['emulator_429s'] for run in rate)}"
    )
    print(
        f"(c) plaid-python sequential: "
        f"{harness.summarize([run['seconds_per_item'] * 1000 for run in sdk]).text('.0f', ' ms')} per Item "
        f"on {sizes.sdk_sample} Items"
    )
    print(
        f"(d) {sizes.memory_items} Items, concurrency 50: CLI "
        f"{harness.summarize([run['seconds'] for run in memory]).text('.1f', ' s')}; CLI CPU "
        f"{harness.summarize([run['cpu_seconds'] for run in memory]).text('.1f', ' s')}"
    )

    ratio_a = harness.summarize([run["ratio"] for run in latency])
    ratio_b = harness.summarize([run["ratio"] for run in rate])
    speedup = harness.summarize(speedups)
    peak = harness.summarize([run["peak_rss_mb"] for run in memory])
    found = [
        harness.Target(
            f"(a) {sizes.latency_items} Items at concurrency {args.concurrency}: share of the latency bound",
            ratio_a.median,
            ">=",
            LATENCY_BOUND_TARGET,
            summary=ratio_a,
            detail="CLI start-up included",
        ),
        harness.Target(
            "(b) emulator's busiest window, worst round (= the client limit at most)",
            max(run["emulator_max_in_window"] for run in rate),
            "<=",
            sizes.rate_limit,
            fmt=".0f",
            detail=f"share of the rate bound {ratio_b.text()}",
        ),
        harness.Target(
            "(b) 429s from the emulator, all rounds",
            sum(run["emulator_429s"] for run in rate),
            "==",
            0,
            fmt=".0f",
        ),
        harness.Target(
            f"(c) batch (a) vs the sequential SDK loop extrapolated to {sizes.latency_items} Items",
            speedup.median,
            ">=",
            SPEEDUP_TARGET,
            unit="×",
            fmt=".1f",
            summary=speedup,
        ),
        harness.Target(
            f"(d) the CLI's own peak RSS over {sizes.memory_items:,} Items",
            peak.median,
            "<=",
            MEMORY_TARGET_MB,
            unit=" MB",
            fmt=".1f",
            summary=peak,
            detail=f"launcher floor {memory[0]['launcher_floor_mb']:.1f} MB",
        ),
    ]
    harness.print_targets("batch targets", found)
    payload = {
        "bench": "batch",
        "smoke": args.smoke,
        "quick": args.quick,
        "machine": info,
        "rounds": rounds,
        "sizes": asdict(sizes),
        "latency_ms": LATENCY_MS,
        "a_latency_bound": latency,
        "b_rate_bound": rate,
        "c_sdk_sequential": sdk,
        "c_speedups": speedups,
        "d_memory": memory,
        "targets": [target.as_json() for target in found],
    }
    kept = harness.save_results("batch", payload, args.json, smoke=args.smoke)
    print(f"\nresults: {kept} (load {os.getloadavg()[0]:.1f} at the end)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
