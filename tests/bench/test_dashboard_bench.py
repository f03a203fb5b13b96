"""The dashboard bench runs end to end on SQLite and PostgreSQL in its smoke mode, reports a target per page
and the plan of every query a page sends; its full-scan check reads real plans of both databases.

Timings are never looked at.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def smoke(tmp_path: Path, *extra: str) -> tuple[dict[str, Any], str]:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(BENCH / "dashboard_bench.py"), "--smoke", "--json", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    data: dict[str, Any] = json.loads(out.read_text())
    assert data["smoke"] is True
    assert {"arch", "cpu", "cores", "python", "date_utc", "load_1min_at_start"} <= data["machine"].keys()
    return data, done.stdout


def check_backend(data: dict[str, Any], stdout: str, backend: str) -> None:
    (result,) = [r for r in data["results"] if r["backend"] == backend]
    names = [t["name"] for t in data["targets"] if t["name"].startswith(f"{backend}: ")]
    for page in ("overview", "history: net worth, 2 years", "history: one Item's accounts, 2 years"):
        assert f"{backend}: {page}" in names
        assert result["cold_ms"][page] > 0
        assert len(result["warm_ms"][page]) == data["rounds"]
    assert f"{backend}: full scans of snapshots/snapshot_accounts on warm pages" in names
    for name in names:
        assert name in stdout
    # The per-account chart's query is captured from the page itself, and explained.
    chart = [
        p
        for p in result["plans"]
        if p["page"] == "history: one Item's accounts, 2 years" and "snapshot_accounts" in p["sql"]
    ]
    assert chart
    assert all(p["plan"] and all(isinstance(line, str) for line in p["plan"]) for p in chart)
    assert any(
        "snapshot_accounts" in p["sql"] for p in result["plans"] if p["page"].startswith("overview after")
    )


@pytest.mark.timeout(600)
def test_dashboard_bench_measures_every_page_and_explains_its_queries(tmp_path: Path) -> None:
    data, stdout = smoke(tmp_path)

    check_backend(data, stdout, "sqlite")
    (result,) = data["results"]
    chart = [p for p in result["plans"] if p["page"] == "history: one Item's accounts, 2 years"]
    assert any("SEARCH snapshot_accounts USING INDEX" in line for p in chart for line in p["plan"])


@pytest.mark.postgres
@pytest.mark.timeout(600)
def test_dashboard_bench_runs_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    data, stdout = smoke(tmp_path, "--pg-url", pg_url)

    check_backend(data, stdout, "sqlite")
    check_backend(data, stdout, "postgresql")


def test_full_scans_are_found_in_both_databases_plans() -> None:
    from dashboard_bench import full_scans

    assert full_scans(["SCAN snapshot_accounts"]) == ["snapshot_accounts"]
    assert full_scans(["SCAN snapshots USING COVERING INDEX ix_snapshots_item_retrieved"]) == ["snapshots"]
    assert full_scans(["SEARCH snapshots USING INTEGER PRIMARY KEY (rowid>?)"]) == []
    assert full_scans(["SCAN vault_items"]) == []  # a small table: scanning it is the right plan
    assert full_scans(["Hash Join", "->  Seq Scan on snapshots s  (cost=0.00..9.00 rows=300 width=20)"]) == [
        "snapshots"
    ]
    assert (
        full_scans(["Index Scan using snapshots_pkey on snapshots  (cost=0.15..4.17 rows=1 width=58)"]) == []
    )
    assert full_scans(["Bitmap Index Scan on uq_snapshot_accounts_account"]) == []
