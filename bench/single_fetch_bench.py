"""Single-fetch and start-up benchmark (issue 10's targets; see bench/README.md).

Everything runs as a whole process against the emulator, started here on 127.0.0.1 (no latency, no rate
limits): ``plaid-balance get`` and ``check`` vs ten-line scripts on the official plaid-python SDK doing the
same call, vs curl; ``plaid-balance --help`` and every ``COMMAND --help`` (found in the CLI's own listing)
vs ``python -c "import click"``; ``import plaid_balance`` and a library single-fetch script vs the SDK's
imports. All cases run once per round, in a new random order each round; targets are judged on the median
of the round-by-round ratios.
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


def build_cases(
    env: Mapping[str, str], base_url: str, account_id: str, commands: list[list[str]]
) -> dict[str, Callable[[], harness.ProcessRun]]:
    """name -> one measured run. Each run's output is checked, so a broken path cannot look fast."""

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

    curl = shutil.which("curl")
    body = json.dumps({"access_token": env["PLAID_ACCESS_TOKEN"]})
    cases: dict[str, Callable[[], harness.ProcessRun]] = {
        "plaid-balance get": case([CLI, "get"], json_success),
        "sdk script get": case([PYTHON, str(SCRIPTS / "sdk_get.py")], nonempty),
        "plaid-balance check": case(
            # Exit 0 is the check's "pass": anything else fails the bench.
            [CLI, "check", "--account-id", account_id, "--amount", CHECK_AMOUNT],
            nonempty,
        ),
        "sdk script check": case([PYTHON, str(SCRIPTS / "sdk_check.py"), account_id, CHECK_AMOUNT], nonempty),
        "python -c 'import click'": case([PYTHON, "-c", "import click"]),
        "plaid-balance --help": case([CLI, "--help"], nonempty),
        "python -c 'import plaid_balance'": case([PYTHON, "-c", "import plaid_balance"]),
        "library get script": case([PYTHON, str(SCRIPTS / "library_get.py")], nonempty),
        "sdk imports": case([PYTHON, "-c", SDK_IMPORTS]),
    }
    for path in commands:
        cases[f"plaid-balance {' '.join(path)} --help"] = case([CLI, *path, "--help"], nonempty)
    if curl is not None:
        cases["curl"] = case(
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
    return cases


def targets(seconds: Mapping[str, list[float]], commands: list[list[str]]) -> list[harness.Target]:
    found = [
        harness.ratio_target(
            "plaid-balance get vs the SDK script",
            seconds["plaid-balance get"],
            seconds["sdk script get"],
            "<=",
            FETCH_LIMIT,
        ),
        harness.ratio_target(
            "plaid-balance check vs the SDK script",
            seconds["plaid-balance check"],
            seconds["sdk script check"],
            "<=",
            FETCH_LIMIT,
        ),
    ]
    for path in [[], *commands]:
        name = f"plaid-balance {' '.join([*path, '--help'])}"
        found.append(
            harness.ratio_target(
                f"{name} vs import click",
                seconds[name],
                seconds["python -c 'import click'"],
                "<=",
                HELP_LIMIT,
            )
        )
    found += [
        harness.ratio_target(
            "import plaid_balance vs the SDK's imports",
            seconds["python -c 'import plaid_balance'"],
            seconds["sdk imports"],
            "<",
            1.0,
        ),
        harness.ratio_target(
            "library single fetch (import + call) vs the SDK's imports alone",
            seconds["library get script"],
            seconds["sdk imports"],
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
        cases = build_cases(env, emu.base_url, account_id, commands)
        print(
            f"{len(cases)} cases ({len(commands)} commands found), {rounds} rounds after {warmup} warm-up",
            flush=True,
        )
        runs = harness.interleaved_rounds(cases, rounds, warmup=warmup)

    seconds = {name: [run.seconds for run in values] for name, values in runs.items()}
    print("\nwall time per process, median (spread):")
    width = max(map(len, seconds))
    for name, values in seconds.items():
        peak = harness.summarize([run.peak_rss_mb for run in runs[name]]).median
        print(f"  {name:<{width}}  {harness.summarize(values).text('.3f', ' s')}  peak RSS {peak:.1f} MB")
    if "curl" in seconds:
        versus_curl = harness.summarize(harness.paired_ratios(seconds["plaid-balance get"], seconds["curl"]))
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
                "seconds": asdict(harness.summarize(values)),
                "peak_rss_mb": asdict(harness.summarize([run.peak_rss_mb for run in runs[name]])),
                "all_seconds": values,
            }
            for name, values in seconds.items()
        },
        "targets": [target.as_json() for target in found],
    }
    kept = harness.save_results("single_fetch", payload, args.json, smoke=args.smoke)
    print(f"\nresults: {kept} (load {os.getloadavg()[0]:.1f} at the end)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
