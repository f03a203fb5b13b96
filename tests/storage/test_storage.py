"""The storage package: databases written before it existed open and migrate, and its models are the
migrations' schema on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from plaid_balance.dashboard._data import DashboardData
from plaid_balance.dashboard._sample import write_sample_history
from plaid_balance.history import open_store
from plaid_balance.history.store import HistoryStore
from plaid_balance.storage.database import Database
from plaid_balance.storage.engine import HEAD, _engine_for, current_revision, parse_db_url
from plaid_balance.storage.schema import Base
from plaid_balance.storage.upgrade import upgrade
from plaid_balance.vault import Vault
from plaid_balance.watch.store import WatchStore
from tests.history.samples import TOKEN, report

OLD_DUMP = Path(__file__).with_name("revision_0004.sql")
# The vault key and the access token the old database was written with (a test key, a made-up token).
OLD_KEY = "AUObTHrdrZmrLhTiL-BQJsGqOURd0guHK1UeKDJvrcA="
OLD_TOKEN = "access-sandbox-0ld0ld00-1111-2222-3333-old-schema-token"
AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def old_database(tmp_path: Path) -> str:
    """A SQLite file exactly as plaid-balance wrote it before the storage package (revision 0004)."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_DUMP.read_text(encoding="utf-8"))
    db.close()
    return f"sqlite:///{path}"


def test_a_database_written_before_the_storage_package_keeps_working(
    old_database: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """History, the vault, the watch's state and the dashboard read what the old code wrote, after the
    migrations brought the file to the newest revision."""
    monkeypatch.setenv("PLAID_BALANCE_KEYRING", "0")
    monkeypatch.setenv("PLAID_BALANCE_VAULT_KEY_FILE", str(tmp_path / "no.key"))
    with open_store(old_database) as store:
        with store.database.engine.connect() as conn:
            assert current_revision(conn) == HEAD
            assert inspect(conn).has_table("vault_doubts")
        stored = store.snapshots()
        assert [s.report.request_id for s in stored] == ["req-old-0", "req-old-1"]
        assert str(stored[1].report.accounts[0].current_balance) == "1201.10"
        assert str(stored[1].report.accounts[1].current_balance) == "0.10"
        fresh = store.fresh_report(
            access_token=OLD_TOKEN, max_age=timedelta(days=1), now=AT + timedelta(hours=2)
        )
        assert fresh is not None and fresh.request_id == "req-old-1" and fresh.source == "stored"
        state = WatchStore(store.database).load()
        assert state.items["item-old"].alias == "old-bank"
        assert sorted(state.budget) == [("item-old", "D2026-11-20", 1, 0), ("item-old", "M2026-11", 1, 0)]
        assert [(a.rule, a.firing) for a in state.alerts] == [("low", True)]
        events = WatchStore(store.database).alert_events()
        assert [(e.kind, e.notify) for e in events] == [("firing", ("log",))]
    with Vault.open(old_database, key=OLD_KEY, use_keyring=False) as vault:
        [item] = vault.list()
        assert (item.alias, item.institution_name, item.accounts[0].name) == (
            "old-bank",
            "First Platypus Bank",
            "Checking <old>",
        )
        assert vault.access_token("old-bank").get_secret_value() == OLD_TOKEN
        assert vault.find_by_token(OLD_TOKEN) is not None
    with Database.open(old_database, create=False) as database:
        data = DashboardData(database, clock=lambda: AT + timedelta(hours=2))
        [row] = data.items()
        assert (row.alias, row.accounts, str(row.totals["USD"].assets)) == ("old-bank", 2, "1201.10")
        assert [a.title for a in data.alerts() or []] == ["Low balance"]


@pytest.mark.parametrize("revision", ["0001", "0002", "0003", "0004"])
def test_every_older_revision_migrates_and_every_repository_works(db_url: str, revision: str) -> None:
    """A database left at any earlier revision (SQLite or PostgreSQL) is brought to the newest one on
    open, and each feature's repository can write and read it."""
    engine = _engine_for(parse_db_url(db_url), create=True)
    with engine.begin() as connection:
        upgrade(connection, revision)
    engine.dispose()
    with Database.open(db_url) as database:
        store = HistoryStore(database)
        assert store.save(report(0), access_token=TOKEN) is not None
        assert store.item_for_token(TOKEN) == report(0).item_id
        assert database.watch.load().items == []
        assert database.dashboard.vault_names() == []
        with database.engine.connect() as conn:
            assert current_revision(conn) == HEAD


def test_the_models_are_the_migrations_schema(db_url: str) -> None:
    """Alembic finds no difference between the models (what the code reads and writes) and the tables
    the migrations create: one schema, owned in one place."""
    with Database.open(db_url) as database, database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = [
            d
            for d in compare_metadata(context, Base.metadata)
            if "plaid_balance_alembic_version" not in str(d)
        ]
    assert differences == []


def test_bulk_history_leaves_room_for_the_next_snapshot(db_url: str) -> None:
    """After the demo's bulk history (explicit ids), a normal save still gets a fresh id: on PostgreSQL the
    id sequences are moved past the bulk rows."""
    with Database.open(db_url) as database:
        write_sample_history(database, items=2, accounts_per_item=2, days=5, end=AT)
        store = HistoryStore(database)
        before = store.count()
        new_id = store.save(report(0), access_token=TOKEN)
        assert new_id is not None and new_id > 10
        assert store.count() == (before[0] + 1, before[1] + len(report(0).accounts))
