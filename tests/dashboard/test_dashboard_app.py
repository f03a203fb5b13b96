"""The dashboard's pages and data over HTTP (in-process), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, update

from plaid_balance._health import Health
from plaid_balance._http_guard import Guard, HostRule
from plaid_balance.dashboard._app import create_app, money_parts
from plaid_balance.dashboard._data import DashboardData, buckets
from plaid_balance.dashboard._sample import SampleItem, write_sample_history
from plaid_balance.storage.database import Database
from plaid_balance.storage.schema import Snapshot, SnapshotAccount
from plaid_balance.vault import Vault, new_key_text
from tests.dashboard.conftest import NOW, TOKEN


def client(data: DashboardData, **kwargs: Any) -> Any:
    from starlette.testclient import TestClient

    app = Guard(HostRule.bound("testserver", 80), token=TOKEN).protect(create_app(data, **kwargs))
    return TestClient(app, follow_redirects=False, headers={"Authorization": f"Bearer {TOKEN}"})


def latest_rows(engine: Engine) -> list[Any]:
    """Each Item's newest snapshot's accounts, read straight from the tables (not through the dashboard)."""
    with engine.connect() as conn:
        snaps = conn.execute(select(Snapshot.id, Snapshot.item_id, Snapshot.retrieved_at)).all()
        newest: dict[str, tuple[Any, int]] = {}
        for sid, item_id, at in snaps:
            if item_id not in newest or at > newest[item_id][0]:
                newest[item_id] = (at, sid)
        ids = [sid for _, sid in newest.values()]
        return list(
            conn.execute(select(SnapshotAccount).where(SnapshotAccount.snapshot_id.in_(ids))).mappings()
        )


def test_security_headers_on_every_answer(data: DashboardData) -> None:
    c = client(data)
    for path in ("/", "/history", "/static/uPlot.iife.min.js", "/nope"):
        r = c.get(path)
        if r.status_code == 404 and path == "/nope":
            continue
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
        assert r.headers["cache-control"] == "no-store"


def test_net_worth_matches_the_database_exactly(data: DashboardData, engine: Engine) -> None:
    assets = liabilities = Decimal(0)
    for row in latest_rows(engine):
        if row["current_balance"] is None:
            continue
        if row["type"] in ("credit", "loan"):
            liabilities += row["current_balance"]
        else:
            assets += row["current_balance"]
    totals = data.net_worth()["USD"]
    assert (totals.assets, totals.liabilities, totals.net) == (assets, liabilities, assets - liabilities)
    page = client(data).get("/").text
    row = re.search(r'<tr data-currency="USD">(.*?)</tr>', page, re.S)
    assert row is not None
    shown = re.findall(r'data-value="([^"]*)"', row.group(1))
    assert shown == [f"{assets:f}", f"{liabilities:f}", f"{assets - liabilities:f}"]


def test_balances_json_has_every_latest_account_and_the_net_worth_as_exact_strings(
    data: DashboardData, engine: Engine
) -> None:
    """``/balances.json`` (scripts, home automation): the database's numbers, as exact decimal strings."""
    body = client(data).get("/balances.json").json()
    rows = {row["account_id"]: row for row in latest_rows(engine)}
    shown = {a["account_id"]: a for item in body["items"] for a in item["accounts"]}
    assert set(shown) == set(rows) and len(body["items"]) == 3
    for account_id, row in rows.items():
        for field, column in (("current", "current_balance"), ("available", "available_balance")):
            expected = None if row[column] is None else f"{row[column]:f}"
            assert shown[account_id][field] == expected
    totals = data.net_worth()
    assert body["net_worth"] == {
        c: {"assets": f"{t.assets:f}", "liabilities": f"{t.liabilities:f}", "net": f"{t.net:f}"}
        for c, t in totals.items()
    }
    assert body["as_of"] == NOW.isoformat().replace("+00:00", "Z")


def test_accounts_page_lists_every_account_with_exact_amounts(data: DashboardData, engine: Engine) -> None:
    page = client(data).get("/accounts").text
    rows = latest_rows(engine)
    assert page.count("<tr data-account=") == len(rows) == 12
    for row in rows:
        assert f'data-value="{row["current_balance"]:f}"' in page


@pytest.mark.parametrize("column", ["current", "name", "available", "limit", "alias"])
def test_accounts_sort_by_any_column_both_ways(data: DashboardData, column: str) -> None:
    c = client(data)
    for direction in ("asc", "desc"):
        page = c.get(f"/accounts?sort={column}&dir={direction}").text
        accounts = data.accounts()
        present = [a for a in accounts if getattr(a, column) is not None]
        present.sort(key=lambda a: str.casefold(v) if isinstance(v := getattr(a, column), str) else v)
        if direction == "desc":
            present.reverse()
        order = re.findall(r'<tr data-account="([^"]+)"', page)
        assert [getattr(a, column) for a in present] == [
            getattr(next(a for a in accounts if a.account_id == i), column) for i in order[: len(present)]
        ]
        assert f'aria-sort="{"descending" if direction == "desc" else "ascending"}"' in page


def test_history_json_and_csv_hold_the_same_exact_values(data: DashboardData) -> None:
    c = client(data)
    for view in ("networth", "items", "accounts"):
        chart = c.get(f"/history.json?view={view}&range=30d").json()
        assert chart["series"], view
        text = c.get(f"/history.csv?view={view}&range=30d")
        assert text.headers["content-disposition"].startswith("attachment;")
        rows = list(csv.reader(io.StringIO(text.text)))
        assert rows[0] == ["time"] + [s["label"] for s in chart["series"]]
        assert len(rows) - 1 == len(chart["times"])
        for i, row in enumerate(rows[1:]):
            assert row[1:] == [(s["values"][i] or "") for s in chart["series"]]
        for s in chart["series"]:
            assert all(v is None or isinstance(v, str) for v in s["values"])  # never floats


def test_net_worth_series_ends_at_the_latest_net_worth(data: DashboardData) -> None:
    chart = data.net_worth_chart("all", "USD")
    net = next(s for s in chart.series if s.key == "net")
    assert net.values[-1] == data.net_worth()["USD"].net


def test_totals_charts_are_drawn_in_the_first_currency_unless_told(data: DashboardData) -> None:
    first = data.currencies()[0]
    for draw in (data.net_worth_chart, data.items_chart):
        chart = draw("30d", None)
        assert chart.currency == first and chart.series
        assert chart == draw("30d", first)


def test_totals_charts_of_an_empty_history_are_empty(database: Database) -> None:
    empty = DashboardData(database, clock=lambda: NOW)
    for draw in (empty.net_worth_chart, empty.items_chart):
        chart = draw("30d", None)
        assert (chart.currency, chart.times, chart.series) == (None, (), ())


def test_ranges_bound_the_chart(data: DashboardData) -> None:
    for key, days in (("30d", 30), ("90d", 90)):
        chart = data.net_worth_chart(key, "USD")
        assert chart.times[0] >= NOW - timedelta(days=days + 1)
        assert len(chart.times) <= 241


def test_bank_text_is_shown_literally(data: DashboardData, database: Database, engine: Engine) -> None:
    nasty = '<script>alert("x")</script> [bold]$x^2$ \x1b[31m'
    with engine.begin() as conn:
        conn.execute(update(SnapshotAccount).values(name=nasty))
    fresh = DashboardData(database, clock=lambda: NOW)
    c = client(fresh)
    page = c.get("/accounts").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    history = c.get("/history?view=accounts&range=30d").text
    blob = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', history, re.S)
    assert blob is not None and "</script>" not in blob.group(1)
    labels = [s["label"] for s in json.loads(blob.group(1))["series"]]
    assert all(nasty in label for label in labels)


def test_alerts_page_reads_the_watch_history(data: DashboardData) -> None:
    class Event:
        def __init__(self) -> None:
            self.at, self.kind, self.title, self.message = NOW, "resolved", "Low balance <x>", "ok now"

    page = client(data, alerts=lambda: [Event()]).get("/alerts").text
    assert "Low balance &lt;x&gt;" in page and "resolved" in page
    assert "watch</code>, which has not run" in client(data).get("/alerts").text
    assert 'href="/alerts"' not in client(data).get("/").text  # no Alerts page before a watch ran


def test_items_show_health_and_the_repair_command(
    data: DashboardData, database: Database, engine: Engine, sample: list[SampleItem]
) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO watch_items (item_id, alias, health, health_reason) VALUES (?, ?, ?, ?)"
            if engine.dialect.name == "sqlite"
            else "INSERT INTO watch_items (item_id, alias, health, health_reason) VALUES (%s, %s, %s, %s)",
            (sample[0].item_id, "platypus", "needs_repair", "ITEM_LOGIN_REQUIRED"),
        )
    fresh = DashboardData(database, clock=lambda: NOW)
    page = client(fresh).get("/").text
    assert "plaid-balance link --update platypus" in page
    assert page.count("health-ok") == len(sample) - 1


def test_the_watchs_health_joins_the_vaults_alias_and_institution_and_never_revives_a_removed_item(
    db_url: str, database: Database, engine: Engine, sample: list[SampleItem]
) -> None:
    """Both know the Item: the alias and institution are the vault's, the health the watch's (fresher),
    unless the vault says the Item was removed."""
    repaired, removed = sample[0].item_id, sample[1].item_id
    with Vault.open(db_url, key=new_key_text(), use_keyring=False) as vault:
        vault.add("daily", "access-sandbox-0001", item_id=repaired, institution_name="Vault's Bank")
        vault.add("closed", "access-sandbox-0002", item_id=removed, institution_name="Old Bank")
        vault.set_health(removed, Health.REMOVED, "removed by the user")
    insert = (
        "INSERT INTO watch_items (item_id, alias, health, health_reason) VALUES (?, ?, ?, ?)"
        if engine.dialect.name == "sqlite"
        else "INSERT INTO watch_items (item_id, alias, health, health_reason) VALUES (%s, %s, %s, %s)"
    )
    with engine.begin() as conn:
        conn.exec_driver_sql(insert, (repaired, "watch-alias", "needs_repair", "ITEM_LOGIN_REQUIRED"))
        conn.exec_driver_sql(insert, (removed, "watch-alias-2", "ok", ""))
    rows = {row.item_id: row for row in DashboardData(database, clock=lambda: NOW).items()}
    assert (rows[repaired].alias, rows[repaired].institution) == ("daily", "Vault's Bank")
    assert (rows[repaired].health, rows[repaired].health_reason) == (
        Health.NEEDS_REPAIR,
        "ITEM_LOGIN_REQUIRED",
    )
    assert (rows[removed].alias, rows[removed].health) == ("closed", Health.REMOVED)
    accounts = [a for a in DashboardData(database, clock=lambda: NOW).accounts() if a.item_id == repaired]
    assert accounts and {(a.alias, a.institution) for a in accounts} == {("daily", "Vault's Bank")}


def test_empty_database_shows_how_to_start(database: Database) -> None:
    page = client(DashboardData(database)).get("/").text
    assert "plaid-balance link" in page


def test_buckets_are_bounded_and_cover_the_window() -> None:
    end = NOW
    for days in (1, 2, 30, 365, 731, 5000):
        got = buckets(end - timedelta(days=days), end)
        assert len(got) <= 242 and got[-1] >= end - timedelta(seconds=1) and got == sorted(got)


@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(lambda d: abs(d.adjusted()) < 40)
)
def test_money_parts_keep_every_digit(value: Decimal) -> None:
    whole, frac = money_parts(value)
    assert Decimal((whole + frac).replace(",", "")) == value


amounts = st.decimals(min_value=Decimal("-1e20"), max_value=Decimal("1e20"), places=6, allow_nan=False)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(amounts, min_size=1, max_size=4))
def test_any_exact_amounts_come_back_digit_for_digit(
    database: Database, engine: Engine, sample: list[SampleItem], values: list[Decimal]
) -> None:
    with engine.begin() as conn:
        newest = conn.execute(
            select(Snapshot.id)
            .where(Snapshot.item_id == sample[0].item_id)
            .order_by(Snapshot.retrieved_at.desc())
            .limit(1)
        ).scalar_one()
        ids = (
            conn.execute(select(SnapshotAccount.id).where(SnapshotAccount.snapshot_id == newest))
            .scalars()
            .all()
        )
        for row_id, value in zip(ids, values, strict=False):
            conn.execute(
                update(SnapshotAccount).where(SnapshotAccount.id == row_id).values(current_balance=value)
            )
    data = DashboardData(database, clock=lambda: NOW)
    page = client(data).get("/accounts").text
    for value in values:
        assert f'data-value="{value:f}"' in page
    chart = client(data).get(f"/history.json?view=accounts&item={sample[0].item_id}&range=30d").json()
    last = {s["values"][-1] for s in chart["series"]}
    assert {f"{v:f}" for v in values} <= last


def test_account_chart_over_many_snapshots_reads_each_bucket_newest_row_in_bounded_queries(
    database: Database, engine: Engine
) -> None:
    """Enough Items and days that the chart needs more snapshot ids than one query may carry: every
    point is still the newest row of its bucket, and every query is an index lookup on snapshot_accounts
    alone with at most ID_BATCH ids (one list of ~1,000 ids made PostgreSQL read the whole table)."""
    from sqlalchemy import event

    from plaid_balance.dashboard._sample import write_sample_history
    from plaid_balance.storage.dashboard import ID_BATCH

    write_sample_history(database, items=5, accounts_per_item=2, days=300, end=NOW)
    data = DashboardData(database, clock=lambda: NOW)
    data.refresh()
    sent: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if "snapshot_accounts" in statement:
            sent.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        chart = data.accounts_chart("all", None)
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert len(sent) > 1  # the chart needed more than one batch
    for statement, params in sent:
        assert not re.search(r"\bsnapshots\b", statement.replace("snapshot_accounts", ""))
        assert len(params) <= ID_BATCH
    with engine.connect() as conn:
        snaps = conn.execute(select(Snapshot.id, Snapshot.item_id, Snapshot.retrieved_at)).all()
        rows = conn.execute(
            select(SnapshotAccount.snapshot_id, SnapshotAccount.account_id, SnapshotAccount.current_balance)
        ).all()
    value = {(sid, account): current for sid, account, current in rows}
    assert len(chart.series) == 10
    checked = 0
    for series in chart.series:
        item_id, account_id = series.key.split(":", 1)
        mine = sorted((at, sid) for sid, item, at in snaps if item == item_id)
        lo = None
        for t, shown in zip(chart.times, series.values, strict=True):
            inside = [sid for at, sid in mine if at <= t and (lo is None or at >= lo)]
            expected = value[(inside[-1], account_id)] if inside else None
            assert shown == expected, (series.key, t)
            checked += shown is not None
            lo = t
    assert checked > 2 * ID_BATCH


def test_a_dashboard_read_never_holds_up_a_writer(tmp_path: Any) -> None:
    """On SQLite the dashboard's transactions start deferred: while one is open (its first index can
    take seconds), another process can still take the write lock at once."""
    import sqlite3

    path = tmp_path / "h.db"
    database = Database.open(f"sqlite:///{path}")
    engine = database.engine
    try:
        write_sample_history(database, items=1, accounts_per_item=2, days=3, end=NOW)
        data = DashboardData(database, clock=lambda: NOW)
        with data.database.engine.begin() as reading:
            assert reading.execute(select(Snapshot.id)).first() is not None
            writer = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                writer.execute("BEGIN IMMEDIATE")  # "database is locked" if the reader held the lock
                writer.execute("ROLLBACK")
            finally:
                writer.close()
        # A writer on the same engine still takes its lock up front.
        with engine.begin() as writing:
            probe = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    probe.execute("BEGIN IMMEDIATE")
            finally:
                probe.close()
            writing.execute(select(Snapshot.id).limit(1))
    finally:
        engine.dispose()
