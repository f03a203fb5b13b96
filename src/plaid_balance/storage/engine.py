"""Opening the plaid-balance database (history, vault and watch share it): URL, engine, file mode, migrations.

``--db`` takes a SQLAlchemy URL (``sqlite:///PATH``, ``postgresql+psycopg://user@host/db``) or a plain
file path (a SQLite database). Files this module creates are 0600 in a 0700 folder: balances, names,
masks and the encrypted vault are nobody else's business. A read (``create=False``) never creates a
database: a missing one is ``DatabaseNotFound``. The schema is migrated with Alembic on open, under a
lock (SQLite write lock, PostgreSQL advisory lock) so two processes opening a fresh database at once do
not race; a database written by a newer plaid-balance (an unknown revision) is refused in one line.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Final

from platformdirs import user_data_dir
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from plaid_balance._errors import DatabaseNotFound, DatabaseURLError, HistoryError
from plaid_balance._extras import require_extra

DB_ENV: Final = "PLAID_BALANCE_DB"
READ_ONLY_OPTION: Final = "plaid_balance_read_only"
APP_NAME: Final = "plaid-balance"
VERSION_TABLE: Final = "plaid_balance_alembic_version"
# Every revision this version understands, oldest first; a test checks it against the migration files.
REVISIONS: Final = ("0001", "0002", "0003", "0004", "0005")
HEAD: Final = REVISIONS[-1]
# Any fixed 64-bit key: PostgreSQL advisory locks are named by number.
_PG_MIGRATION_LOCK: Final = 0x706C_6169_6462_616C
SQLITE_BUSY_TIMEOUT_S: Final = 30.0
_SECRET_QUERY_KEYS: Final = frozenset({"password", "passwd", "pwd", "secret", "token", "sslpassword"})


def default_db_url() -> str:
    """``PLAID_BALANCE_DB`` if set, else ``sqlite:///<user data dir>/history.db``."""
    configured = os.environ.get(DB_ENV, "").strip()
    if configured:
        return configured
    return f"sqlite:///{Path(user_data_dir(APP_NAME)) / 'history.db'}"


def parse_db_url(raw: str | None) -> URL:
    """A URL, or a plain path taken as a SQLite file; None or blank → ``default_db_url()``."""
    value = raw.strip() if raw and raw.strip() else default_db_url()
    if "://" not in value:
        return URL.create("sqlite", database=str(Path(value).expanduser().absolute()))
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):
        raise DatabaseURLError(
            "malformed database URL: expected a file path, sqlite:///PATH or postgresql+psycopg://user@host/db"
        ) from None
    # psycopg 3 is the PostgreSQL driver we ship with; SQLAlchemy's default would be psycopg2.
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise DatabaseURLError(_unsupported(url))
    return url


def _unsupported(url: URL) -> str:
    return (
        f"unsupported database {url.drivername!r}: use a file path, sqlite:///PATH or "
        "postgresql+psycopg://user@host/db (pip install 'plaid-balance[postgres]')"
    )


def display_url(url: URL) -> str:
    """The URL for messages: password hidden, secret-looking query parameters masked."""
    query = {k: ("***" if k.lower() in _SECRET_QUERY_KEYS else v) for k, v in url.query.items()}
    return url.set(query=query).render_as_string(hide_password=True)


def scrub(message: str, url: URL) -> str:
    """Remove the URL's secrets from a driver's message, in case it quotes its connection string."""
    secrets = [url.password] if url.password else []
    for key, value in url.query.items():
        if key.lower() in _SECRET_QUERY_KEYS:
            secrets.extend([value] if isinstance(value, str) else value)
    for secret in secrets:
        if secret:
            message = message.replace(str(secret), "***")
    return message


def first_line(exc: BaseException) -> str:
    inner = getattr(exc, "orig", None) or exc
    lines = str(inner).strip().splitlines()
    return lines[0] if lines else type(inner).__name__


def _sqlite_path(url: URL) -> Path | None:
    database = url.database
    if database in {None, "", ":memory:"} or url.query.get("mode") == "memory":
        return None
    assert database is not None
    return Path(database).expanduser()


def _create_private_file(path: Path) -> None:
    """Create the database file 0600 (in a 0700 folder) before SQLite does, so it is never 0644."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise HistoryError(f"cannot create database {path}: {exc.strerror or exc}") from None
    os.close(fd)


def _sqlite_engine(url: URL, *, create: bool) -> Engine:
    path = _sqlite_path(url)
    if path is not None:
        try:
            exists = path.exists()
        except OSError as exc:  # a name too long, a folder we may not search
            raise HistoryError(f"cannot open database {path}: {exc.strerror or exc}") from None
        if not exists:
            if not create:
                raise DatabaseNotFound(f"no database at {path} yet")
            # SQLite gives its -wal and -shm files the database file's mode: they are 0600 too.
            _create_private_file(path)
        url = url.set(database=str(path))
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
        **({"poolclass": StaticPool} if path is None else {}),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that "begin" below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        if path is not None:
            # WAL lets readers work while a writer commits; the setting persists in the file.
            _enable_wal(cursor)
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            # A reader takes no write lock: in WAL mode it sees a consistent snapshot while the
            # watch or a `get --save` commits beside it.
            connection.exec_driver_sql("BEGIN")
            return
        # IMMEDIATE takes the write lock up front: a read-then-write transaction (idempotent save,
        # migration check) can then never fail half-way with "database is locked"; it waits instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL, waiting out a concurrent switch as the busy timeout waits out any lock.

    Two processes opening a fresh database at once (two ``get --save`` runs, the watch and the
    dashboard) both ask for WAL; SQLite answers the loser "database is locked" at once, without calling
    its busy handler (the two would otherwise wait on each other), so the timeout above never applies.
    Trying again until it does is what every other statement gets from SQLite itself.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    pause = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def read_only(engine: Engine) -> Engine:
    """The same database and pool for a reader that never writes: on SQLite its transactions start
    deferred, so a long read (the dashboard's first index) does not hold up writers."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def _engine_for(url: URL, *, create: bool) -> Engine:
    try:
        if url.get_backend_name() == "sqlite":
            return _sqlite_engine(url, create=create)
        require_extra("postgres", "a PostgreSQL database")
        connect_args = {"connect_timeout": 10} if "connect_timeout" not in url.query else {}
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except (NoSuchModuleError, ModuleNotFoundError):
        raise DatabaseURLError(_unsupported(url)) from None
    except ArgumentError as exc:
        raise DatabaseURLError(f"invalid database URL: {scrub(first_line(exc), url)}") from None


def current_revision(connection: Any) -> str | None:
    """The schema revision recorded in the database, None when it has no plaid-balance schema."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    # VERSION_TABLE is a constant of ours, not input.
    query = text(f"SELECT version_num FROM {VERSION_TABLE}")  # noqa: S608
    return connection.execute(query).scalar()  # type: ignore[no-any-return]


def _check_known(revision: str | None, shown: str) -> None:
    if revision is not None and revision not in REVISIONS:
        raise HistoryError(
            f"database {shown} has schema revision {revision!r}, newer than this plaid-balance understands "
            f"(up to {HEAD!r}): upgrade plaid-balance"
        )


def migrate(engine: Engine, shown: str = "") -> None:
    """Bring the schema to the newest revision; safe when several processes do it at once."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Released at commit: the second process waits here, then finds nothing left to do.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        revision = current_revision(connection)
        _check_known(revision, shown)
        if revision == HEAD:
            return
        # Alembic only now that a migration is due (storage/upgrade.py says why).
        from plaid_balance.storage.upgrade import upgrade

        upgrade(connection)


def open_engine(raw_url: str | None, *, create: bool) -> tuple[Engine, str]:
    """An engine on an up-to-date schema, and the URL to show in messages.

    ``create=False`` (reads): a missing SQLite file, or a database without plaid-balance's schema, is
    ``DatabaseNotFound`` and nothing is created. Every failure is one ``HistoryError`` line.
    """
    url = parse_db_url(raw_url)
    shown = display_url(url)
    engine = _engine_for(url, create=create)
    try:
        if create:
            migrate(engine, shown)
        else:
            with engine.connect() as connection:
                revision = current_revision(connection)
            if revision is None:
                raise DatabaseNotFound(f"no plaid-balance data in {shown} yet")
            _check_known(revision, shown)
            if revision != HEAD:
                migrate(engine, shown)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise HistoryError(f"cannot open database {shown}: {scrub(first_line(exc), url)}") from None
    except BaseException:
        engine.dispose()
        raise
    return engine, shown
