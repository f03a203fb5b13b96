"""Dashboard benchmark: server time of the overview and history pages with 50 Items, 600 accounts and two
years of daily snapshots (438,000 account rows), on SQLite and (with --pg-url) PostgreSQL; the query plans
of every query those pages run.

    .venv/bin/python bench/dashboard_bench.py                       # SQLite (a few minutes to build the data)
    .venv/bin/python bench/dashboard_bench.py --pg-url postgresql+psycopg://USER@127.0.0.1:PORT/EMPTY_DB
    .venv/bin/python bench/dashboard_bench.py --quick               # 5 Items, 60 days: checks both paths
    .venv/bin/python bench/dashboard_bench.py --smoke               # tiny, one round (tests/bench runs this)

Server time: the dashboard's ASGI app is called in process (Starlette's test client: no sockets, no
browser) through a timing wrapper that measures from the request reaching the app to the last byte of
its answer. The cold start (a fresh process: the dashboard reads every stored snapshot once to build its
in-memory totals, and compiles its templates) is timed apart, as is the first page after a new snapshot
arrived. Warm pages are requested in interleaved rounds (bench/harness.py), medians with spread.

Plans: every SQL statement a warm page sends is captured (SQLAlchemy's ``before_cursor_execute``) and
explained with its own parameters (``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN`` on PostgreSQL). A full scan
of ``snapshots`` or ``snapshot_accounts`` on a warm page fails the "uses indexes" target. PostgreSQL is
ANALYZEd after the bulk load, as its autovacuum would do on its own; SQLite is left as the dashboard
leaves it (no ANALYZE). Targets (issue "A local dashboard"): overview and history pages under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import harness

TARGET_MS = 200.0
BIG_TABLES = ("snapshots", "snapshot_accounts")
TOKEN = "b" * 32

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


@dataclass(frozen=True)
class Size:
    items: int
    accounts_per_item: int
    days: int

    @property
    def rows(self) -> int:
        return self.items * self.accounts_per_item * self.days

    def text(self) -> str:
        return (
            f"{self.items} Items × {self.accounts_per_item} accounts × {self.days} days "
            f"= {self.items * self.accounts_per_item} accounts, {self.rows:,} account rows"
        )


FULL = Size(50, 12, 730)
QUICK = Size(5, 4, 60)
SMOKE = Size(3, 3, 20)


def pages(size: Size) -> list[tuple[str, str, bool]]:
    """(name, path, has the 200 ms target). The history page's range selector and every view are covered."""
    accounts = size.items * size.accounts_per_item
    return [
        ("overview", "/", True),
        ("history: net worth, 2 years", "/history?view=networth&range=2y", True),
        ("history: net worth, 90 days (default)", "/history", True),
        ("history: net by Item, 2 years", "/history?view=items&range=2y", True),
        (
            "history: one Item's accounts, 2 years",
            "/history?view=accounts&range=2y&item=sample-item-000",
            True,
        ),
        (f"history: all {accounts} accounts, 2 years", "/history?view=accounts&range=2y", True),
        (f"history CSV: all {accounts} accounts, 2 years", "/history.csv?view=accounts&range=2y", False),
        (f"accounts page ({accounts} rows)", "/accounts", False),
    ]


class ServerTimer:
    """ASGI wrapper: time from the request reaching the app to the last body byte it sends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.last_ms = 0.0

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self.last_ms = (time.perf_counter() - started) * 1000

        await self.app(scope, receive, timed_send)


@dataclass
class Statements:
    """The SQL one request sent, with its parameters, in order."""

    recording: bool = False
    seen: list[tuple[str, Any]] = field(default_factory=list)

    def __call__(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if self.recording and not many:
            self.seen.append((statement, parameters))


def selects(seen: list[tuple[str, Any]]) -> list[tuple[str, Any, int]]:
    """The distinct queries (not BEGIN and the like), in first-seen order, with how often each ran."""
    out: dict[str, tuple[Any, int]] = {}
    for statement, parameters in seen:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            first, count = out.get(statement, (parameters, 0))
            out[statement] = (first, count + 1)
    return [(statement, parameters, count) for statement, (parameters, count) in out.items()]


def explain(engine: Any, statement: str, parameters: Any) -> list[str]:
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, parameters)
        return [
            _ids.sub(lambda m: f"{{…{m.group(0).count(',') + 1} ids}}", str(row[-1]).strip()) for row in rows
        ]


_ids = re.compile(r"\{\d+(?:,\d+){3,}\}")


def full_scans(plan: list[str]) -> list[str]:
    """The big tables a plan reads whole: SQLite ``SCAN t`` (``SEARCH t`` is an index lookup), PostgreSQL
    ``Seq Scan on t``."""
    found = []
    for line in plan:
        sqlite = re.match(r"SCAN (\w+)", line)  # with or without USING ... INDEX: every row or entry
        if sqlite and sqlite.group(1) in BIG_TABLES:
            found.append(sqlite.group(1))
        pg = re.search(r"Seq Scan on (\w+)", line)
        if pg and pg.group(1) in BIG_TABLES:
            found.append(pg.group(1))
    return found


def shorten(statement: str) -> str:
    flat = " ".join(statement.split())
    flat = re.sub(r"(\(\s*(?:\?|%\([^)]*\)s|__\[[^\]]*\])(?:\s*,\s*(?:\?|%\([^)]*\)s))+\s*\))", "(…)", flat)
    return flat if len(flat) <= 150 else flat[:147] + "…"


def run(url: str, size: Size, args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import event
    from starlette.testclient import TestClient

    from plaid_balance._http_guard import Guard, HostRule
    from plaid_balance.dashboard._app import create_app
    from plaid_balance.dashboard._data import DashboardData
    from plaid_balance.dashboard._sample import write_sample_history
    from plaid_balance.storage.database import Database

    database = Database.open(url)
    engine = database.engine
    backend = engine.dialect.name
    end = datetime.now(UTC)
    started = time.perf_counter()
    write_sample_history(
        database, items=size.items, accounts_per_item=size.accounts_per_item, days=size.days, end=end
    )
    written = time.perf_counter() - started
    if backend == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    print(f"\n== {backend}: {size.text()} (written in {written:.1f} s)", flush=True)

    statements = Statements()
    event.listen(engine, "before_cursor_execute", statements)
    data = DashboardData(database)
    guard = Guard(HostRule.bound("testserver", 80), token=TOKEN)
    timer = ServerTimer(guard.protect(create_app(data)))
    client = TestClient(timer, headers={"Authorization": f"Bearer {TOKEN}"})
    listing = pages(size)

    def get(path: str) -> float:
        answer = client.get(path)
        if answer.status_code != 200 or not answer.content:
            raise RuntimeError(f"{path} answered {answer.status_code}")
        return timer.last_ms

    # Cold: a fresh process reads every stored snapshot once (`plaid-balance dashboard` does it before it
    # prints its URL; the watch's /dashboard on its first request), then each page's first request
    # compiles its template.
    started = time.perf_counter()
    data.refresh()
    index_seconds = time.perf_counter() - started
    cold = {name: get(path) for name, path, _ in listing}
    print(
        f"cold start: every snapshot read once in {index_seconds:.2f} s "
        f"(load {os.getloadavg()[0]:.1f}); then each page's first request:"
    )
    for name, _, _ in listing:
        print(f"  {name:48} {cold[name]:8.1f} ms")

    cases = {name: (lambda path=path: get(path)) for name, path, _ in listing}
    times = harness.interleaved_rounds(cases, args.rounds, warmup=args.warmup)
    print(f"{'warm page (server time)':48} {'median':>8}  {'min–max':>15}  (ms, {args.rounds} rounds)")
    targets = []
    for name, _, has_target in listing:
        summary = harness.summarize(times[name])
        print(f"  {name:46} {summary.median:8.1f}  {summary.low:7.1f}–{summary.high:<7.1f}")
        if has_target:
            targets.append(
                harness.Target(
                    f"{backend}: {name}",
                    summary.median,
                    "<",
                    TARGET_MS,
                    unit=" ms",
                    fmt=".1f",
                    summary=summary,
                )
            )

    # One warm request of each page with its SQL recorded, then every statement explained.
    plans: list[dict[str, Any]] = []
    scanned: list[str] = []
    print("query plans of the SQL each warm page sends:")
    for name, path, _ in listing:
        statements.seen.clear()
        statements.recording = True
        get(path)
        statements.recording = False
        queries = selects(statements.seen)
        print(f"  {name}: {sum(n for _, _, n in queries)} queries, {len(queries)} distinct")
        for statement, parameters, count in queries:
            plan = explain(engine, statement, parameters)
            scans = full_scans(plan)
            scanned += [f"{name}: {t}" for t in scans]
            plans.append(
                {
                    "page": name,
                    "sql": " ".join(statement.split()),
                    "times": count,
                    "plan": plan,
                    "full_scans": scans,
                }
            )
            print(
                f"    {'×' + str(count) if count > 1 else '':>3} {shorten(statement)}\n        → {' | '.join(plan)}"
            )

    # A new snapshot arrives (the watch or a cron `get` wrote one): the next page reads only the new rows.
    statements.seen.clear()
    write_sample_history(
        database,
        items=1,
        accounts_per_item=size.accounts_per_item,
        days=1,
        end=end + timedelta(hours=1),
        item_prefix="new",
    )
    statements.recording = True
    after_new = get("/")
    statements.recording = False
    print(f"overview after a new snapshot arrived: {after_new:.1f} ms; the incremental read:")
    for statement, parameters, count in selects(statements.seen):
        if "snapshot" not in statement:
            continue
        plan = explain(engine, statement, parameters)
        scans = full_scans(plan)
        scanned += [f"overview after a new snapshot: {t}" for t in scans]
        plans.append(
            {
                "page": "overview after a new snapshot",
                "sql": statement,
                "times": count,
                "plan": plan,
                "full_scans": scans,
            }
        )
        print(
            f"    {'×' + str(count) if count > 1 else '':>3} {shorten(statement)}\n        → {' | '.join(plan)}"
        )

    targets.append(
        harness.Target(
            f"{backend}: full scans of {'/'.join(BIG_TABLES)} on warm pages",
            len(scanned),
            "==",
            0,
            fmt=".0f",
            detail="; ".join(scanned),
        )
    )
    event.remove(engine, "before_cursor_execute", statements)
    client.close()
    engine.dispose()
    return {
        "backend": backend,
        "size": {
            "items": size.items,
            "accounts_per_item": size.accounts_per_item,
            "days": size.days,
            "rows": size.rows,
        },
        "written_seconds": written,
        "cold_index_seconds": index_seconds,
        "cold_ms": cold,
        "warm_ms": times,
        "after_new_snapshot_ms": after_new,
        "plans": plans,
        "targets": targets,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    harness.add_common_arguments(parser, rounds=15, warmup=1)
    parser.add_argument("--pg-url", help="also run on this PostgreSQL database (it must be empty)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK.text()}: checks both paths quickly")
    args = parser.parse_args()
    size = SMOKE if args.smoke else QUICK if args.quick else FULL
    if args.smoke:
        args.rounds, args.warmup = 1, 0
    info = harness.machine()
    print(f"dashboard bench: {harness.machine_line(info)}")
    results = []
    with tempfile.TemporaryDirectory() as folder:
        results.append(run(f"sqlite:///{Path(folder) / 'bench.db'}", size, args))
    if args.pg_url:
        results.append(run(args.pg_url, size, args))
    targets = [t for r in results for t in r.pop("targets")]
    harness.print_targets("dashboard targets", targets)
    payload = {
        "bench": "dashboard",
        "smoke": args.smoke,
        "machine": info,
        "rounds": args.rounds,
        "warmup": args.warmup,
        "results": results,
        "targets": [t.as_json() for t in targets],
    }
    kept = harness.save_results("dashboard", payload, args.json, smoke=args.smoke)
    print(f"results: {kept} (load at the end {os.getloadavg()[0]:.1f})")
    return 0 if all(t.met for t in targets) or args.smoke else 1


if __name__ == "__main__":
    sys.exit(main())
