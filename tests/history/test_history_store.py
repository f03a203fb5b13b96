"""The history store on SQLite and PostgreSQL: exactness, idempotency, atomicity, concurrency, secrets."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from plaid_balance import ErrorBody, FailureReport
from plaid_balance._errors import ConfigurationError, StorageError
from plaid_balance.history import HistoryError, open_store, token_fingerprint
from plaid_balance.storage.engine import HEAD, VERSION_TABLE

from .samples import BASE_TIME, TOKEN, account, report

TESTS = Path(__file__).resolve().parents[1]
COUNT_VERSIONS = text("SELECT count(*) FROM plaid_balance_alembic_version")
assert VERSION_TABLE == "plaid_balance_alembic_version"


def schema_revision(store_engine: object) -> str | None:
    with store_engine.connect() as conn:  # type: ignore[attr-defined]
        query = text(f"SELECT version_num FROM {VERSION_TABLE}")  # noqa: S608 - our constant
        return conn.execute(query).scalar()  # type: ignore[no-any-return]


def _worker(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(
        [sys.executable, "-m", "history.store_worker", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_snapshot_round_trips_exact_decimals(db_url: str) -> None:
    original = report(0)
    with open_store(db_url) as store:
        snapshot_id = store.save(original, access_token=TOKEN)
        assert isinstance(snapshot_id, int)
        [stored] = store.snapshots()
    back = stored.report
    assert stored.id == snapshot_id
    for before, after in zip(original.accounts, back.accounts, strict=True):
        assert after == before
        for field in ("current_balance", "available_balance", "limit"):
            value = getattr(after, field)
            assert value is None or isinstance(value, Decimal)
            # Same digits, not merely equal value: 0.10 must not come back as 0.1 or 0.1000000000.
            assert str(value) == str(getattr(before, field))
    by_id = {a.account_id: a for a in back.accounts}
    assert str(by_id["acc-401k"].current_balance) == "23631.9805"
    assert str(by_id["acc-checking"].available_balance) == "0.10"
    assert str(by_id["acc-eur"].current_balance) == "1234567890123.123456789"
    assert back.totals == original.totals
    assert (back.item_id, back.institution_id, back.institution_name) == (
        "item-1",
        "ins_109508",
        "First Platypus Bank",
    )
    assert (back.request_id, back.environment, back.retrieved_at) == ("req-item-1-0", "sandbox", BASE_TIME)


def test_save_is_idempotent(db_url: str) -> None:
    with open_store(db_url) as store:
        first = store.save(report(0), access_token=TOKEN)
        assert store.save(report(0), access_token=TOKEN) == first
        no_request_id = report(1, request_id=None)
        again = store.save(no_request_id, access_token=TOKEN)
        assert store.save(no_request_id, access_token=TOKEN) == again != first
        assert store.count() == (2, 8)
        assert store.snapshots()[1].report.request_id is None


def test_failed_fetch_saves_nothing(db_url: str) -> None:
    failure = FailureReport(error=ErrorBody(error_type="ITEM_ERROR", error_code="ITEM_LOGIN_REQUIRED"))
    with open_store(db_url) as store:
        assert store.save(failure, access_token=TOKEN) is None
        assert store.count() == (0, 0)


def test_fresh_report_respects_max_age_and_account_coverage(db_url: str) -> None:
    now = BASE_TIME + timedelta(minutes=10)
    with open_store(db_url) as store:
        store.save(report(0, retrieved_at=BASE_TIME), access_token=TOKEN)
        partial = report(
            1,
            accounts=[account("acc-checking", current="999")],
            retrieved_at=BASE_TIME + timedelta(minutes=5),
        )
        store.save(partial, access_token=TOKEN, requested_account_ids=["acc-checking"])

        got = store.fresh_report(access_token=TOKEN, max_age=timedelta(minutes=15), now=now)
        assert got is not None and got.source == "stored"
        # The newer snapshot holds one account only, so it cannot answer for all of them.
        assert got.request_id == "req-item-1-0" and got.account_count == 4
        assert got.age_seconds == pytest.approx(600)

        one = store.fresh_report(
            access_token=TOKEN, max_age=timedelta(minutes=15), account_ids=["acc-checking"], now=now
        )
        assert one is not None and one.request_id == "req-item-1-1"
        assert [a.current_balance for a in one.accounts] == [Decimal("999")]
        assert one.age_seconds == pytest.approx(300)

        two = store.fresh_report(
            access_token=TOKEN, max_age=timedelta(minutes=15), account_ids=["acc-eur", "acc-401k"], now=now
        )
        assert two is not None and [a.account_id for a in two.accounts] == ["acc-eur", "acc-401k"]
        assert set(two.totals) == {"EUR", "USD"}

        assert store.fresh_report(access_token=TOKEN, max_age=timedelta(minutes=9), now=now) is None
        assert (
            store.fresh_report(
                access_token=TOKEN, max_age=timedelta(minutes=15), account_ids=["nope"], now=now
            )
            is None
        )
        assert (
            store.fresh_report(access_token="access-sandbox-other", max_age=timedelta(days=9), now=now)
            is None
        )


def test_token_and_secret_never_stored(db_url: str, tmp_path: Path) -> None:
    secret = "sandbox-secret-0123456789abcdef"
    with open_store(db_url) as store:
        for i in range(3):
            store.save(report(i), access_token=TOKEN)
        engine = store.database.engine
        with engine.connect() as conn:
            rows = [
                *conn.execute(text("SELECT * FROM snapshots")).all(),
                *conn.execute(text("SELECT * FROM snapshot_accounts")).all(),
                *conn.execute(text("SELECT * FROM item_tokens")).all(),
            ]
    dump = repr(rows)
    assert TOKEN not in dump and secret not in dump
    assert token_fingerprint(TOKEN) in dump  # what is stored instead, apart: its SHA-256
    if db_url.startswith("sqlite"):
        database = Path(db_url.removeprefix("sqlite:///"))
        for file in database.parent.iterdir():
            raw = file.read_bytes()
            assert TOKEN.encode() not in raw and secret.encode() not in raw, file


def test_migrations_run_once_and_are_idempotent(db_url: str) -> None:
    for _ in range(3):
        with open_store(db_url) as store:
            store.save(report(0), access_token=TOKEN)
            assert schema_revision(store.database.engine) == HEAD
            with store.database.engine.connect() as conn:
                assert conn.execute(COUNT_VERSIONS).scalar() == 1
    with open_store(db_url) as store:
        assert store.count() == (1, 4)


def test_opening_waits_for_another_connection_to_the_fresh_file(tmp_path: Path) -> None:
    # Another process writing the file before it is in WAL mode (the loser of two first opens): SQLite
    # refuses the switch to WAL at once, busy timeout or not, and opening must wait instead of failing.
    path = tmp_path / "history.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE elsewhere (x)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO elsewhere VALUES (1)")
    release = threading.Timer(0.3, other.execute, ["COMMIT"])
    release.start()
    try:
        with open_store(f"sqlite:///{path}") as store:
            store.save(report(0), access_token=TOKEN)
            assert store.count() == (1, 4)
    finally:
        release.join()
        other.close()


def test_concurrent_writers_neither_corrupt_nor_duplicate(db_url: str) -> None:
    # Two processes open the same fresh database at once (racing migrations), then save overlapping
    # ranges of reports: 0..39 and 20..59 must end as 60 snapshots, each complete.
    workers = [_worker(db_url, "save", "0", "40"), _worker(db_url, "save", "20", "60")]
    for w in workers:
        _, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
    with open_store(db_url) as store:
        assert store.count() == (60, 240)
        snapshots = store.snapshots()
        assert sorted(s.report.request_id or "" for s in snapshots) == sorted(
            f"req-item-1-{i}" for i in range(60)
        )
        assert all(s.report.account_count == 4 for s in snapshots)


def test_concurrent_first_opens_migrate_once(db_url: str) -> None:
    workers = [_worker(db_url, "save", "0", "1") for _ in range(4)]
    for w in workers:
        _, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
    with open_store(db_url) as store:
        assert store.count() == (1, 4)
        with store.database.engine.connect() as conn:
            assert conn.execute(COUNT_VERSIONS).scalar() == 1


def test_process_killed_mid_save_leaves_store_consistent(db_url: str) -> None:
    with open_store(db_url) as store:
        store.save(report(0), access_token=TOKEN)
    crashing = _worker(db_url, "crash", "1")
    out, err = crashing.communicate(timeout=120)
    assert crashing.returncode == -9, err
    assert "dying" in out
    with open_store(db_url) as store:
        # The half-written snapshot is gone; the earlier one is intact; writing works again.
        assert store.count() == (1, 4)
        assert store.save(report(1), access_token=TOKEN) is not None
        assert store.count() == (2, 8)
        if db_url.startswith("sqlite"):
            with store.database.engine.connect() as conn:
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        with store.database.engine.connect() as conn:
            orphans = conn.execute(
                text(
                    "SELECT count(*) FROM snapshot_accounts a LEFT JOIN snapshots s ON s.id = a.snapshot_id WHERE s.id IS NULL"
                )
            ).scalar()
            assert orphans == 0


def test_sqlite_uses_wal(sqlite_url: str) -> None:
    with open_store(sqlite_url) as store, store.database.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2", "cannot open database"),
        ("sqlite:////proc/plaid-balance/forbidden/history.db", "cannot"),
    ],
)
def test_unreachable_database_is_a_storage_error(url: str, expected: str) -> None:
    with pytest.raises(StorageError) as info:
        open_store(url)
    assert isinstance(info.value, HistoryError)
    message = str(info.value)
    assert expected in message and "\n" not in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("://no-driver", "malformed database URL"),
        ("postgresql://u@h:notaport/db", "malformed database URL"),
        ("mysql+nodriver://x@127.0.0.1/db", "unsupported database"),
    ],
)
def test_bad_database_url_is_a_usage_error(url: str, expected: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        open_store(url)
    assert not isinstance(info.value, StorageError)
    message = str(info.value)
    assert expected in message and "\n" not in message


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://user:hunter2@127.0.0.1:1/db?connect_timeout=2",
        "postgresql://user@127.0.0.1:1/db?connect_timeout=2&password=hunter2",
        "postgresql://user:hunter2@127.0.0.1:notaport/db",
    ],
)
def test_password_is_hidden_in_errors(url: str) -> None:
    # A server that refuses is a storage error (exit 7), a URL that cannot be used a usage error (exit 2).
    with pytest.raises((StorageError, ConfigurationError)) as info:
        open_store(url)
    assert "hunter2" not in str(info.value) and "hunter2" not in repr(info.value)


def test_default_url_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAID_BALANCE_DB", f"sqlite:///{tmp_path / 'env.db'}")
    with open_store() as store:
        store.save(report(0), access_token=TOKEN)
    assert (tmp_path / "env.db").is_file()
    monkeypatch.delenv("PLAID_BALANCE_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    from plaid_balance.history import default_db_url

    assert default_db_url() == f"sqlite:///{tmp_path / 'xdg' / 'plaid-balance' / 'history.db'}"
    with open_store() as store:
        assert store.count() == (0, 0)
    assert (tmp_path / "xdg" / "plaid-balance" / "history.db").is_file()


def test_postgres_money_columns_are_numeric(pg_url: str) -> None:
    with open_store(pg_url) as store:
        store.save(report(0), access_token=TOKEN)
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        kinds: dict[str, str] = dict(
            conn.execute(
                text(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_name = 'snapshot_accounts' AND column_name LIKE '%balance'"
                )
            ).all()
        )
        raw = conn.execute(
            text("SELECT available_balance::text FROM snapshot_accounts WHERE account_id = 'acc-checking'")
        ).scalar()
    engine.dispose()
    assert kinds == {"current_balance": "numeric", "available_balance": "numeric"}
    assert raw == "0.10"


def _at_revision_0001(url: str) -> None:
    """A database as plaid-balance 0.1 left it: schema 0001, snapshots keyed by token fingerprint."""
    from plaid_balance.storage.engine import _engine_for, parse_db_url
    from plaid_balance.storage.upgrade import upgrade

    engine = _engine_for(parse_db_url(url), create=True)
    with engine.begin() as connection:
        upgrade(connection, "0001")
        for n, retrieved in enumerate(["2026-03-01 12:00:00", "2026-03-01 13:00:00"]):
            connection.execute(
                text(
                    "INSERT INTO snapshots (item_id, request_id, token_fingerprint, institution_id, "
                    "institution_name, environment, source, complete, retrieved_at, saved_at) VALUES "
                    "('item-1', :r, :f, 'ins_1', 'Bank', 'sandbox', 'realtime', :c, :t, :t)"
                ),
                {"r": f"req-{n}", "f": token_fingerprint(TOKEN), "c": True, "t": retrieved},
            )
        snapshot_id = connection.execute(text("SELECT max(id) FROM snapshots")).scalar()
        connection.execute(
            text(
                "INSERT INTO snapshot_accounts (snapshot_id, position, account_id, name, type, current_balance) "
                "VALUES (:s, 0, 'acc-1', 'Checking', 'depository', 12.30)"
            ),
            {"s": snapshot_id},
        )
    engine.dispose()


def test_migration_from_token_keyed_history(db_url: str) -> None:
    _at_revision_0001(db_url)
    with open_store(db_url) as store:
        assert schema_revision(store.database.engine) == HEAD
        assert store.item_for_token(TOKEN) == "item-1"
        assert [s.report.request_id for s in store.snapshots()] == ["req-0", "req-1"]
        fresh = store.fresh_report(access_token=TOKEN, max_age=timedelta(days=1), now=BASE_TIME)
        assert fresh is not None and fresh.request_id == "req-1"
        assert str(fresh.accounts[0].current_balance) in {"12.30", "12.3"}  # SQLite kept the literal as REAL
        with store.database.engine.connect() as conn:
            columns = {c["name"] for c in __import__("sqlalchemy").inspect(conn).get_columns("snapshots")}
        assert "token_fingerprint" not in columns


def test_database_from_a_newer_version_is_refused(db_url: str) -> None:
    with open_store(db_url) as store, store.database.engine.begin() as conn:
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))  # noqa: S608
    for create in (True, False):
        with pytest.raises(HistoryError) as info:
            open_store(db_url, create=create)
        message = str(info.value)
        assert "'9999'" in message and "upgrade plaid-balance" in message and "\n" not in message


def test_files_are_created_private_and_reads_create_nothing(tmp_path: Path) -> None:
    import stat

    from plaid_balance.history import DatabaseNotFound

    path = tmp_path / "deep" / "er" / "history.db"
    with pytest.raises(DatabaseNotFound):
        open_store(str(path), create=False)
    assert not (tmp_path / "deep").exists()
    with open_store(str(path)) as store:  # a plain path is a SQLite file
        store.save(report(0), access_token=TOKEN)
    for file in [path, *path.parent.glob("history.db-*")]:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with open_store(str(path), create=False) as store:
        assert store.count() == (1, 4)
