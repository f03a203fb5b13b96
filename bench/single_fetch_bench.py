"""Single-fetch and start-up benchmark (issue 10's targets; see bench/README.md).

Everything runs as a whole process against the emulator, started here on 127.0.0.1 (no latency, no rate
limits): ``plaid-balance get`` and ``check`` vs ten-line scripts on the official plaid-python SDK doing the
same call, vs curl; ``plaid-balance --help`` and every ``COMMAND --help`` (found in the CLI's own listing)
vs ``python -c "import click"``; ``import plaid_balance`` and a library single-fetch script vs the SDK's
imports. Each comparison is a trial: its cases run back to back, in a random order; every trial runs once
per round, the trials in a new random order each round. Targets are judged on the median of the
trial-by-trial ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import harness
from plaid_balance.emulator import EmulatorConfig, run_emulator

SCRIPTS = harness.HERE / "scripts"
PYTHON = sys.executable
CLI = str(Path(sys.executable).with_name("plaid-balance"))
SDK_IMPORTS = (
    "import plaid; from plaid.api import plaid_api; "
    "from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest"
)
CHECK_AMOUNT = "1.00"
HELP_LIMIT = 1.25
FETCH_LIMIT = 0.5


def command_names(help_text: str) -> list[str]:
    """The subcommands a click help page lists under "Commands:" (continuation lines are indented more)."""
    names: list[str] = []
    in_commands = False
    for line in help_text.splitlines():
        if not line.startswith(" "):
            in_commands = line.strip() == "Commands:"
            continue
        match = re.match(r"^  (\S+)", line)
        if in_commands and match:
            names.append(match.group(1))
    return names


def discover_commands(env: Mapping[str, str]) -> list[list[str]]:
    """Every command path, groups' subcommands included, as the CLI itself lists them."""
    found: list[list[str]] = []
    pending: list[list[str]] = [[]]
    while pending:
        path = pending.pop(0)
        run = harness.run_process([CLI, *path, "--help"], env=env)
        if path:
            found.append(path)
        pending.extend([*path, name] for name in command_names(run.stdout.decode()))
    return found


def bench_env(emu_base_url: str, client_id: str, secret: str, token: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PLAID_")}
    env.update(
        PLAID_CLIENT_ID=client_id,
        PLAID_SECRET=secret,
        PLAID_ACCESS_TOKEN=token,
        PLAID_BASE_URL=emu_base_url,
        COLUMNS="100",
    )
    return env


def first_account_id(env: Mapping[str, str]) -> str:
    report = json.loads(harness.run_process([CLI, "get"], env=env).stdout)
    return str(report["accounts"][0]["account_id"])


def json_success(run: harness.ProcessRun) -> None:
    if json.loads(run.stdout).get("success") is not True:
        raise SystemExit(f"{run.argv[:2]} did not report success: {run.stdout[:200]!r}")


CLICK = "python -c 'import click'"


def build_trials(
    env: Mapping[str, str], base_url: str, account_id: str, commands: list[list[str]]
) -> dict[str, Callable[[], dict[str, harness.ProcessRun]]]:
    """trial name -> one measured trial: the cases a target compares, run back to back. Each run's output
    is checked, so a broken path cannot look fast."""

    def case(
        argv: list[str], check: Callable[[harness.ProcessRun], None] | None = None
    ) -> Callable[[], harness.ProcessRun]:
        def run() -> harness.ProcessRun:
            result = harness.run_process(argv, env=env)
            if check is not None:
                check(result)
            return result

        return run

    def nonempty(result: harness.ProcessRun) -> None:
        if not result.stdout.strip():
            raise SystemExit(f"{result.argv[:3]} printed nothing")

    click = case([PYTHON, "-c", "import click"])
    get = {
        "plaid-balance get": case([CLI, "get"], json_success),
        "sdk script get": case([PYTHON, str(SCRIPTS / "sdk_get.py")], nonempty),
    }
    curl = shutil.which("curl")
    if curl is not None:
        body = json.dumps({"access_token": env["PLAID_ACCESS_TOKEN"]})
        get["curl"] = case(
            [
                curl,
                "-sS",
                "--fail",
                "-X",
                "POST",
                f"{base_url}/accounts/balance/get",
                "-H",
                "Content-Type: application/json",
                "-H",
                f"PLAID-CLIENT-ID: {env['PLAID_CLIENT_ID']}",
                "-H",
                f"PLAID-SECRET: {env['PLAID_SECRET']}",
                "-H",
                "Plaid-Version: 2020-09-14",
                "-d",
                body,
            ],
            nonempty,
        )
    trials = {
        "get": harness.adjacent(get),
        "check": harness.adjacent(
            {
                # Exit 0 is the check's "pass": anything else fails the bench.
                "plaid-balance check": case(
                    [CLI, "check", "--account-id", account_id, "--amount", CHECK_AMOUNT], nonempty
                ),
                "sdk script check": case(
                    [PYTHON, str(SCRIPTS / "sdk_check.py"), account_id, CHECK_AMOUNT], nonempty
                ),
            }
        ),
        "imports": harness.adjacent(
            {
                "python -c 'import plaid_balance'": case([PYTHON, "-c", "import plaid_balance"]),
                "library get script": case([PYTHON, str(SCRIPTS / "library_get.py")], nonempty),
                "sdk imports": case([PYTHON, "-c", SDK_IMPORTS]),
            }
        ),
    }
    for path in [[], *commands]:
        name = help_name(path)
        trials[name] = harness.adjacent({name: case([CLI, *path, "--help"], nonempty), CLICK: click})
    return trials


def help_name(path: list[str]) -> str:
    return f"plaid-balance {' '.join([*path, '--help'])}"


Seconds = Mapping[str, Mapping[str, list[float]]]  # trial -> case -> seconds, trial by trial


def targets(seconds: Seconds, commands: list[list[str]]) -> list[harness.Target]:
    def ratio(
        name: str, trial: str, numerator: str, denominator: str, comparison: harness.Comparison, limit: float
    ) -> harness.Target:
        runs = seconds[trial]
        return harness.ratio_target(name, runs[numerator], runs[denominator], comparison, limit)

    found = [
        ratio(
            "plaid-balance get vs the SDK script",
            "get",
            "plaid-balance get",
            "sdk script get",
            "<=",
            FETCH_LIMIT,
        ),
        ratio(
            "plaid-balance check vs the SDK script",
            "check",
            "plaid-balance check",
            "sdk script check",
            "<=",
            FETCH_LIMIT,
        ),
    ]
    for path in [[], *commands]:
        name = help_name(path)
        found.append(ratio(f"{name} vs import click", name, name, CLICK, "<=", HELP_LIMIT))
    found += [
        ratio(
            "import plaid_balance vs the SDK's imports",
            "imports",
            "python -c 'import plaid_balance'",
            "sdk imports",
            "<",
            1.0,
        ),
        ratio(
            "library single fetch (import + call) vs the SDK's imports alone",
            "imports",
            "library get script",
            "sdk imports",
            "<",
            1.0,
        ),
    ]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    harness.add_common_arguments(parser, rounds=10)
    args = parser.parse_args(argv)
    rounds, warmup = (1, 0) if args.smoke else (args.rounds, args.warmup)
    info = harness.machine()
    print(f"single-fetch bench: {harness.machine_line(info)}", flush=True)

    config = EmulatorConfig(rate_limits_enabled=False)
    with run_emulator(config) as emu:
        token, _ = emu.create_item()
        env = bench_env(emu.base_url, emu.client_id, emu.secret, token)
        commands = discover_commands(env)
        account_id = first_account_id(env)
        trials = build_trials(env, emu.base_url, account_id, commands)
        print(
            f"{len(trials)} trials ({len(commands)} commands found), {rounds} rounds after {warmup} warm-up",
            flush=True,
        )
        runs = harness.interleaved_rounds(trials, rounds, warmup=warmup)

    seconds: dict[str, dict[str, list[float]]] = {
        trial: {name: [result[name].seconds for result in results] for name in results[0]}
        for trial, results in runs.items()
    }
    # Each process over every trial it ran in (import click ran next to every --help).
    every: dict[str, list[harness.ProcessRun]] = {}
    for results in runs.values():
        for result in results:
            for name, run in result.items():
                every.setdefault(name, []).append(run)
    print("\nwall time per process, median (spread):")
    width = max(map(len, every))
    for name, process_runs in every.items():
        peak = harness.summarize([run.peak_rss_mb for run in process_runs]).median
        values = [run.seconds for run in process_runs]
        print(f"  {name:<{width}}  {harness.summarize(values).text('.3f', ' s')}  peak RSS {peak:.1f} MB")
    if "curl" in seconds["get"]:
        get = seconds["get"]
        versus_curl = harness.summarize(harness.paired_ratios(get["plaid-balance get"], get["curl"]))
        print(f"  plaid-balance get vs curl (no target): {versus_curl.text('.1f', '×')}")

    found = targets(seconds, commands)
    harness.print_targets("issue 10 targets", found)
    payload: dict[str, Any] = {
        "bench": "single_fetch",
        "smoke": args.smoke,
        "machine": info,
        "rounds": rounds,
        "warmup": warmup,
        "commands": [" ".join(path) for path in commands],
        "cases": {
            name: {
                "seconds": asdict(harness.summarize([run.seconds for run in process_runs])),
                "peak_rss_mb": asdict(harness.summarize([run.peak_rss_mb for run in process_runs])),
                "all_seconds": [run.seconds for run in process_runs],
            }
            for name, process_runs in every.items()
        },
        "trials": seconds,
        "targets": [target.as_json() for target in found],
    }
    kept = harness.save_results("single_fetch", payload, args.json, smoke=args.smoke)
    print(f"\nresults: {kept} (load {os.getloadavg()[0]:.1f} at the end)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
