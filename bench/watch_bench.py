"""Benchmark of the watch service (see bench/README.md, "Watch benchmark").

Two figures, from one run of a real watch process against the emulator (in this process):
(a) refresh throughput: the first pass over N Items (every one due at start) under a client rate limit
    of L calls per W-second window, against the bound the limit sets, (⌈N/L⌉ − 1) × W + latency;
(b) idle cost: once every Item is refreshed and the next refresh is an hour away, the watch process's
    CPU time over an idle period and its resident memory, read from /proc.

The watch process is this script in ``--child`` mode: the service exactly as ``plaid-balance watch``
builds it (config, batch client, history, state store, Apprise, HTTP server, signals), with the Items
given by a file of tokens instead of the vault, so that the figures measure the watch and not Link.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
BALANCE = "/accounts/balance/get"
CONFIG = """\
[watch]
interval = "1h"
[budget]
per_day = 10
[notify.sink]
url = "json://127.0.0.1:9/alerts"
[[alerts]]
kind = "low_balance"
below = "10 USD"
[[alerts]]
kind = "credit"
utilisation_above = 95
[[alerts]]
kind = "needs_repair"
"""


class FileItems:
    """The Items of a JSON file ``[[alias, item_id, token], ...]`` (the bench's stand-in for the vault)."""

    def __init__(self, path: Path) -> None:
        from plaid_balance._health import Health
        from plaid_balance._report import utc_now
        from plaid_balance.vault import VaultItem

        rows = json.loads(path.read_text())
        now = utc_now()
        self._items = [
            VaultItem(
                item_id=item_id,
                alias=alias,
                institution_id="ins_109508",
                institution_name="First Platypus Bank",
                environment="sandbox",
                accounts=(),
                health=Health.OK,
                health_reason=None,
                health_changed_at=None,
                created_at=now,
                updated_at=now,
                removed_at=None,
                token_hint=None,
            )
            for alias, item_id, _ in rows
        ]
        self._tokens = {alias: token for alias, _, token in rows}

    def items(self) -> list[Any]:
        return list(self._items)

    def access_token(self, alias: str) -> str:
        return str(self._tokens[alias])

    def set_health(self, item_id: str, health: Any, reason: str) -> None:
        pass


def child(args: argparse.Namespace) -> None:
    from plaid_balance.batch import BatchClient, BatchOptions
    from plaid_balance.history import open_store
    from plaid_balance.watch import logs
    from plaid_balance.watch.clock import SystemClock
    from plaid_balance.watch.config import load_config
    from plaid_balance.watch.notify import check_notifiers
    from plaid_balance.watch.runner import run_watch
    from plaid_balance.watch.service import Watch
    from plaid_balance.watch.store import WatchStore
    from plaid_balance.watch.wiring import LibraryHistory, LibraryPlaid

    logs.configure(as_json=True, secrets=[], level=int(os.environ.get("WATCH_BENCH_LOG_LEVEL", "30")))
    config = load_config(args.config)
    items = FileItems(Path(args.items))

    async def main() -> None:
        history = open_store(args.db)
        options = BatchOptions(
            concurrency=args.concurrency, rate_limit=args.limit, window_seconds=args.window
        )
        client = BatchClient(options, environment="production", base_url=args.base_url)
        async with client:
            watch = Watch(
                config,
                items=items,
                plaid=LibraryPlaid(client),
                history=LibraryHistory(history),
                store=WatchStore(history.database),
                sender=check_notifiers(config),
                clock=SystemClock(),
                concurrency=args.concurrency,
            )
            await watch.load()
            await run_watch(
                watch,
                known=lambda: [],
                config_path=Path(args.config),
                token=None,
                once=False,
                on_listen=lambda url: print(url, flush=True),
            )
        history.close()

    asyncio.run(main())


def _proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def _wait_until_refreshed(url: str, n: int, proc: subprocess.Popen[str]) -> tuple[float, dict[str, Any]]:
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"watch exited with {proc.returncode}")
        status = httpx.get(f"{url}/status", timeout=30).json()
        if sum(1 for item in status["items"] if item["last_outcome"] == "ok") >= n:
            return time.perf_counter(), status
        time.sleep(0.5)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _idle(proc: subprocess.Popen[str], seconds: float) -> dict[str, float]:
    time.sleep(2)  # let the last writes settle before the idle period starts
    cpu_before, wall_before = _proc_cpu_seconds(proc.pid), time.perf_counter()
    time.sleep(seconds)
    cpu = _proc_cpu_seconds(proc.pid) - cpu_before
    wall = time.perf_counter() - wall_before
    return {
        "idle_seconds": round(wall, 1),
        "idle_cpu_seconds": round(cpu, 3),
        "idle_cpu_percent": round(100 * cpu / wall, 2),
        "rss_mb": round(_proc_rss_mb(proc.pid), 1),
    }


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=120)


def throughput(args: argparse.Namespace) -> dict[str, Any]:
    """(a): the first pass over N Items, rate-bound (the watch process in --child mode)."""
    from plaid_balance.emulator import EmulatorConfig, FaultConfig, RateLimitRule, run_emulator

    emulator_config = EmulatorConfig(
        rate_window_seconds=args.window,
        rate_limits={BALANCE: RateLimitRule(per_client=args.limit, per_item=5)},
        faults=FaultConfig(latency_ms=args.latency_ms),
    )
    with tempfile.TemporaryDirectory() as tmp, run_emulator(emulator_config) as emu:
        created = emu.create_items(args.items)
        items_file = Path(tmp) / "items.json"
        items_file.write_text(
            json.dumps([[f"item{i}", item_id, token] for i, (token, item_id) in enumerate(created)])
        )
        config_file = Path(tmp) / "watch.toml"
        config_file.write_text(CONFIG + '[server]\nlisten = "127.0.0.1:0"\n')
        # INFO: one "refresh" line per Item, written when its answer is in.
        env = {
            **os.environ,
            "PLAID_CLIENT_ID": emu.client_id,
            "PLAID_SECRET": emu.secret,
            "WATCH_BENCH_LOG_LEVEL": "20",
        }
        argv = [
            sys.executable, __file__, "--child", "--config", str(config_file), "--items", str(items_file),
            "--db", f"sqlite:///{Path(tmp) / 'watch.db'}", "--base-url", emu.base_url,
            "--limit", str(args.limit), "--window", str(args.window), "--concurrency", str(args.concurrency),
        ]  # fmt: skip
        started = time.perf_counter()
        with (Path(tmp) / "watch.log").open("w") as log:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, env=env, text=True)
            try:
                assert proc.stdout is not None
                url = proc.stdout.readline().strip()
                done_at, status = _wait_until_refreshed(url, args.items, proc)
            finally:
                code = _stop(proc)
        # From the first refresh's start (all are due at once) to the last refresh's answer.
        first_start = min(_when(i["last_refresh"]) for i in status["items"])
        ends = [
            _when(record["ts"])
            for record in map(json.loads, (Path(tmp) / "watch.log").read_text().splitlines())
            if record.get("msg") == "refresh"
        ]
        first_to_last = (max(ends) - first_start).total_seconds()
        stats = emu.stats()
    bound = (math.ceil(args.items / args.limit) - 1) * args.window + args.latency_ms / 1000
    return {
        "items": args.items,
        "client_limit": f"{args.limit} per {args.window:g} s",
        "latency_ms": args.latency_ms,
        "concurrency": args.concurrency,
        "first_pass_seconds_from_spawn": round(done_at - started, 2),
        "first_start_to_last_answer_seconds": round(first_to_last, 2),
        "rate_bound_seconds": round(bound, 2),
        "ratio_bound_over_measured": round(bound / max(first_to_last, 0.001), 3),
        "balance_calls_seen_by_emulator": stats["requests_by_endpoint"].get(BALANCE, 0),
        "busiest_window_per_client": stats["balance_max_in_window"]["per_client"],
        "rate_limited_429": sum(stats["rate_limited"].values()),
        "exit_code_on_sigterm": code,
    }


def idle(args: argparse.Namespace) -> dict[str, Any]:
    """(b): the real ``plaid-balance watch`` over N vault Items, once they are all refreshed."""
    from plaid_balance.emulator import EmulatorConfig, RateLimitRule, run_emulator
    from plaid_balance.vault import Vault, new_key_text

    # Production's documented limits, so that the first pass is quick; idle is what is measured here.
    emulator_config = EmulatorConfig(rate_limits={BALANCE: RateLimitRule(per_client=1200, per_item=5)})
    with tempfile.TemporaryDirectory() as tmp, run_emulator(emulator_config) as emu:
        created = emu.create_items(args.items)
        db = f"sqlite:///{Path(tmp) / 'watch.db'}"
        key = new_key_text()
        with Vault.open(db, key=key, use_keyring=False) as vault:
            for i, (token, item_id) in enumerate(created):
                vault.add(f"item{i}", token, item_id=item_id, institution_id="ins_109508")
        config_file = Path(tmp) / "watch.toml"
        config_file.write_text(CONFIG + '[server]\nlisten = "127.0.0.1:0"\n')
        env = {
            **os.environ,
            "PLAID_CLIENT_ID": emu.client_id,
            "PLAID_SECRET": emu.secret,
            "PLAID_BALANCE_DB": db,
            "PLAID_BALANCE_VAULT_KEY": key,
        }
        argv = [
            sys.executable, "-c", "from plaid_balance.cli import main; main()", "watch",
            "--config", str(config_file), "--environment", "production", "--base-url", emu.base_url,
            "--log-format", "json", "--concurrency", str(args.concurrency),
        ]  # fmt: skip
        log_path = Path(tmp) / "watch.log"
        with log_path.open("w") as log:
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log, env=env, text=True)
            try:
                url = _listening_url(log_path, proc)
                _wait_until_refreshed(url, args.items, proc)
                measured = _idle(proc, args.idle_seconds)
                metrics = httpx.get(f"{url}/metrics", timeout=30).text
            finally:
                code = _stop(proc)
    return {
        "items": args.items,
        "accounts_per_item": 12,
        **measured,
        "metrics_bytes": len(metrics),
        "exit_code_on_sigterm": code,
    }


def _listening_url(log_path: Path, proc: subprocess.Popen[str]) -> str:
    for _ in range(1200):
        for line in log_path.read_text().splitlines():
            record = json.loads(line)
            if record.get("msg") == "listening":
                return str(record["url"])
        if proc.poll() is not None:
            raise SystemExit(f"watch exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
        time.sleep(0.1)
    raise SystemExit("watch did not start listening")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--config")
    parser.add_argument("--db")
    parser.add_argument("--base-url")
    parser.add_argument("--items", default="1000")
    parser.add_argument("--limit", type=int, default=250, help="client limit per window (emulator and watch)")
    parser.add_argument("--window", type=float, default=5.0, help="rate-limit window in seconds")
    parser.add_argument("--concurrency", type=int, default=25)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    args = parser.parse_args()
    if args.child:
        if os.environ.get("WATCH_BENCH_PROFILE"):
            import cProfile

            cProfile.runctx(
                "child(args)", globals(), {"child": child, "args": args}, os.environ["WATCH_BENCH_PROFILE"]
            )
        else:
            child(args)
        return
    args.items = int(args.items)
    # Two shared cores: the machine's load is part of every figure (bench/README.md).
    load_start = os.getloadavg()
    result: dict[str, Any] = {"throughput": throughput(args), "idle": idle(args)}
    result["load_average_1_5_15"] = {"start": load_start, "end": os.getloadavg()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "watch_bench.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
