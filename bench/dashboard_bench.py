"""Dashboard benchmark: server time of the overview and history pages with 50 Items, 600 accounts and two
years of daily snapshots (438,000 account rows), on SQLite and (with --pg-url) PostgreSQL.

    .venv/bin/python bench/dashboard_bench.py                       # SQLite, ~2 minutes to build the data
    .venv/bin/python bench/dashboard_bench.py --pg-url postgresql+psycopg://...   # PostgreSQL too
    .venv/bin/python bench/dashboard_bench.py --quick               # 5 Items, 60 days (smoke test)

Server time is measured in-process (Starlette's test client: no sockets, no browser), after the first
request has built the dashboard's snapshot index (reported separately as the cold start). Each page is
requested ``--rounds`` times, interleaved; medians with min–max. It also prints the query plans of the
queries a page runs, to show they use indexes. Target (issue "A local dashboard"): under 200 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PAGES = (
    ("overview", "/"),
    ("history: net worth, 2 years", "/history?view=networth&range=2y"),
    ("history: net by Item, 2 years", "/history?view=items&range=2y"),
    ("history: one Item's accounts, 2 years", "/history?view=accounts&range=2y&item=sample-item-000"),
    ("accounts (600 rows)", "/accounts"),
)
TARGET_MS = 200.0


def plans(engine: Any) -> list[str]:
    """EXPLAIN of the queries behind a warm page: the incremental index refresh and one Item's rows."""
    sqlite = engine.dialect.name == "sqlite"
    explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
    queries = [
        "SELECT id, item_id, retrieved_at FROM snapshots WHERE id > 1000000 AND complete",
        "SELECT snapshot_id, currency, type, current_balance FROM snapshot_accounts WHERE snapshot_id > 1000000",
        "SELECT a.snapshot_id, s.item_id, a.account_id, a.current_balance FROM snapshot_accounts a "
        "JOIN snapshots s ON s.id = a.snapshot_id WHERE a.snapshot_id IN (1, 2, 3)",
    ]
    out = []
    with engine.connect() as conn:
        for q in queries:
            rows = conn.exec_driver_sql(explain + q).all()
            detail = "; ".join(str(r[-1]) for r in rows)
            out.append(f"  {q[:70]}…\n    → {detail}")
    return out


def run(url: str, items: int, accounts: int, days: int, rounds: int) -> bool:
    from starlette.testclient import TestClient

    from plaid_balance.dashboard._app import create_app
    from plaid_balance.dashboard._data import DashboardData
    from plaid_balance.dashboard._sample import write_sample_history
    from plaid_balance.history._engine import open_engine

    engine, _ = open_engine(url, create=True)
    started = time.perf_counter()
    write_sample_history(engine, items=items, accounts_per_item=accounts, days=days, end=datetime.now(UTC))
    print(
        f"\n{engine.dialect.name}: {items} Items × {accounts} accounts × {days} days "
        f"= {items * accounts * days:,} account rows (written in {time.perf_counter() - started:.1f} s)"
    )
    data = DashboardData(engine)
    started = time.perf_counter()
    data.refresh()
    print(f"cold start (snapshot index built once per process): {time.perf_counter() - started:.2f} s")
    client = TestClient(create_app(data, token="b" * 32, hosts=["testserver"]))
    client.cookies.set("plaid_balance_dashboard", "b" * 32)
    times: dict[str, list[float]] = {name: [] for name, _ in PAGES}
    for _ in range(rounds):
        for name, path in PAGES:
            t = time.perf_counter()
            answer = client.get(path)
            times[name].append((time.perf_counter() - t) * 1000)
            assert answer.status_code == 200, (path, answer.status_code)
    ok = True
    print(f"{'page':42} {'median ms':>10} {'min–max ms':>16}  target")
    for name, values in times.items():
        median = statistics.median(values)
        met = median < TARGET_MS
        ok &= met or name.startswith("accounts")
        print(
            f"{name:42} {median:10.1f} {min(values):7.1f}–{max(values):<8.1f}  "
            f"{'< 200 ms ' + ('met' if met else 'NOT met') if not name.startswith('accounts') else '(no target)'}"
        )
    print("query plans:")
    print("\n".join(plans(engine)))
    engine.dispose()
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", help="also run on this PostgreSQL database (it must be empty)")
    parser.add_argument("--quick", action="store_true", help="5 Items, 60 days, 2 rounds: a smoke test")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    items, accounts, days, rounds = (5, 4, 60, 2) if args.quick else (50, 12, 730, args.rounds)
    print(f"machine: Python {sys.version.split()[0]}, {datetime.now(UTC):%Y-%m-%d}")
    with tempfile.TemporaryDirectory() as folder:
        ok = run(f"sqlite:///{Path(folder) / 'bench.db'}", items, accounts, days, rounds)
    if args.pg_url:
        ok &= run(args.pg_url, items, accounts, days, rounds)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
