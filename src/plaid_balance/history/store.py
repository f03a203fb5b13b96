"""The history store: one snapshot per successful balance report, in SQLite (default) or PostgreSQL.

What is stored: the Item, institution, environment, retrieval time, Plaid's ``request_id``, the source and
every account's metadata and balances, with money kept exact (text on SQLite, unconstrained ``NUMERIC``
on PostgreSQL, so ``0.10`` comes back as ``0.10``). What is never stored: the access token or the secret.
To find an Item's snapshots by token without keeping the token, each snapshot carries
``token_fingerprint``: the SHA-256 hex digest of the access token.

Each snapshot is written in one transaction and is unique per ``(item_id, request_id)``, so saving the
same report twice, or from two processes at once, stores it once. The schema is migrated with Alembic on
open, under a lock (SQLite write lock, PostgreSQL advisory lock) so two processes opening a fresh
database at once do not race.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from sqlalchemy import (
    Boolean,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, selectinload
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator, TypeEngine

from plaid_balance._errors import ConfigurationError, StorageError
from plaid_balance._json import encode
from plaid_balance._report import AccountReport, BalanceReport, FailureReport, utc_now

DB_ENV: Final = "PLAID_BALANCE_DB"
APP_NAME: Final = "plaid-balance"
VERSION_TABLE: Final = "plaid_balance_alembic_version"
# Any fixed 64-bit key: PostgreSQL advisory locks are named by number.
_PG_MIGRATION_LOCK: Final = 0x706C_6169_6462_616C
SQLITE_BUSY_TIMEOUT_S: Final = 30.0
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
LOCAL_REQUEST_PREFIX: Final = "local:"


class HistoryError(StorageError):
    """The history database cannot be opened, migrated, read or written (one line, no secrets)."""


class HistoryURLError(HistoryError, ConfigurationError):
    """The history database URL itself is wrong (a usage mistake, not a storage failure)."""


def token_fingerprint(access_token: str) -> str:
    """SHA-256 hex of the access token: finds an Item's snapshots without ever storing the token.

    Unsalted on purpose so that every process computes the same key; an access token is a long random
    secret, so the digest cannot be reversed by guessing.
    """
    return hashlib.sha256(access_token.strip().encode("utf-8")).hexdigest()


def default_db_url() -> str:
    """``PLAID_BALANCE_DB`` if set, else ``sqlite:///<user data dir>/history.db``."""
    configured = os.environ.get(DB_ENV, "").strip()
    if configured:
        return configured
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir(APP_NAME)) / 'history.db'}"


# --- column types -------------------------------------------------------------------------------


class ExactDecimal(TypeDecorator[Decimal]):
    """Money without rounding: text on SQLite (which has no decimal type), ``NUMERIC`` elsewhere.

    Unconstrained ``NUMERIC`` keeps the scale it was given (``0.10`` stays ``0.10``), where a fixed
    ``NUMERIC(p, s)`` would pad every value to ``s`` decimals.
    """

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Text())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ValueError(f"not a finite Decimal: {value!r}")
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as naive UTC on every backend and returned timezone-aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# --- ORM models (the schema itself is created by the Alembic migrations) -----------------------


class Base(DeclarativeBase):
    pass


class Snapshot(Base):
    __tablename__ = "snapshots"
    __table_args__ = (
        UniqueConstraint("item_id", "request_id", name="uq_snapshots_item_request"),
        Index("ix_snapshots_token_retrieved", "token_fingerprint", "retrieved_at"),
        Index("ix_snapshots_item_retrieved", "item_id", "retrieved_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(String(255))
    request_id: Mapped[str] = mapped_column(String(255))
    token_fingerprint: Mapped[str] = mapped_column(String(64))
    institution_id: Mapped[str | None] = mapped_column(String(255))
    institution_name: Mapped[str | None] = mapped_column(Text)
    environment: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    complete: Mapped[bool] = mapped_column(Boolean)
    retrieved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accounts: Mapped[list[SnapshotAccount]] = relationship(
        back_populates="snapshot", cascade="all, delete-orphan", order_by="SnapshotAccount.position"
    )


class SnapshotAccount(Base):
    __tablename__ = "snapshot_accounts"
    __table_args__ = (
        UniqueConstraint("snapshot_id", "account_id", name="uq_snapshot_accounts_account"),
        Index("ix_snapshot_accounts_account", "account_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(Text)
    official_name: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(64))
    subtype: Mapped[str | None] = mapped_column(String(64))
    mask: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str | None] = mapped_column(String(16))
    current_balance: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    available_balance: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    credit_limit: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    last_updated_datetime: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snapshot: Mapped[Snapshot] = relationship(back_populates="accounts")

    def to_report(self) -> AccountReport:
        return AccountReport(
            account_id=self.account_id,
            name=self.name,
            type=self.type,
            subtype=self.subtype,
            mask=self.mask,
            current_balance=self.current_balance,
            available_balance=self.available_balance,
            currency=self.currency,
            official_name=self.official_name,
            limit=self.credit_limit,
            last_updated_datetime=self.last_updated_datetime,
        )

    @classmethod
    def from_report(cls, account: AccountReport, position: int) -> SnapshotAccount:
        return cls(
            position=position,
            account_id=account.account_id,
            name=account.name,
            official_name=account.official_name,
            type=account.type,
            subtype=account.subtype,
            mask=account.mask,
            currency=account.currency,
            current_balance=account.current_balance,
            available_balance=account.available_balance,
            credit_limit=account.limit,
            last_updated_datetime=account.last_updated_datetime,
        )


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    """One stored snapshot: its id, whether it holds all of the Item's accounts, and the report."""

    id: int
    complete: bool
    report: BalanceReport


# --- engine and migrations ----------------------------------------------------------------------


def _normalise_url(raw: str) -> URL:
    try:
        url = make_url(raw.strip())
    except ArgumentError:
        raise HistoryError(
            "malformed history database URL: expected sqlite:///PATH or postgresql+psycopg://user@host/db"
        ) from None
    # psycopg 3 is the PostgreSQL driver we ship with; SQLAlchemy's default would be psycopg2.
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    return url


def _sqlite_engine(url: URL) -> Engine:
    database = url.database
    in_memory = database in {None, "", ":memory:"}
    if not in_memory:
        assert database is not None
        path = Path(database).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(f"cannot create the folder for {path}: {exc.strerror or exc}") from None
        url = url.set(database=str(path))
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
        **({"poolclass": StaticPool} if in_memory else {}),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that "begin" below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        if not in_memory:
            # WAL lets readers work while a writer commits; the setting persists in the file.
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: a read-then-write transaction (idempotent save,
        # migration check) can then never fail half-way with "database is locked"; it waits instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _engine_for(url: URL) -> Engine:
    try:
        if url.get_backend_name() == "sqlite":
            return _sqlite_engine(url)
        return create_engine(url, pool_pre_ping=True, connect_args=_connect_args(url))
    except (NoSuchModuleError, ModuleNotFoundError):
        raise HistoryURLError(
            f"unsupported history database {url.drivername!r}: use sqlite:///PATH or "
            "postgresql+psycopg://user@host/db (pip install 'plaid-balance[postgres]')"
        ) from None
    except ArgumentError as exc:
        raise HistoryURLError(f"invalid history database URL: {exc}") from None


def _connect_args(url: URL) -> dict[str, Any]:
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        return {"connect_timeout": 10}
    return {}


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def _first_line(exc: BaseException) -> str:
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip().splitlines()
    return text[0] if text else type(inner).__name__


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe when several processes do it at once."""
    from alembic import command

    config = _alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Released at commit: the second process waits here, then finds nothing left to do.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def schema_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def open_store(url: str | None = None) -> HistoryStore:
    """Open (and migrate) the history database: ``url``, else ``PLAID_BALANCE_DB``, else the default.

    Raises ``HistoryError`` (a ``ConfigurationError``) with one clear line when the URL is malformed,
    the driver is missing or the database cannot be reached.
    """
    parsed = _normalise_url(url if url and url.strip() else default_db_url())
    shown = parsed.render_as_string(hide_password=True)
    engine = _engine_for(parsed)
    try:
        migrate(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise HistoryError(f"cannot open history database {shown}: {_first_line(exc)}") from None
    except Exception:
        engine.dispose()
        raise
    return HistoryStore(engine, shown)


# --- the store ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recall:
    """Cost-aware fetching: answer from history when fresh enough, and store what had to be fetched.

    Each real-time balance call is billed by Plaid; ``recall`` is what lets ``--max-age`` spare one.
    ``account_ids`` is the filter the reports are fetched with (None: all the Item's accounts).
    """

    store: HistoryStore
    max_age: timedelta | None
    save: bool
    account_ids: Sequence[str] | None = None

    def recall(self, access_token: str) -> BalanceReport | None:
        if self.max_age is None:
            return None
        return self.store.fresh_report(
            access_token=access_token, max_age=self.max_age, account_ids=self.account_ids
        )

    def remember(self, access_token: str, report: BalanceReport | FailureReport) -> None:
        # A stored answer is not stored again; a failure stores nothing (``save`` ignores it).
        if self.save and isinstance(report, BalanceReport) and report.source != "stored":
            self.store.save(report, access_token=access_token, requested_account_ids=self.account_ids)


def _content_key(report: BalanceReport) -> str:
    """A stand-in request id for reports without one, so that saving them stays idempotent."""
    digest = hashlib.sha256(encode(report)).hexdigest()
    return f"{LOCAL_REQUEST_PREFIX}{digest[:40]}"


class HistoryStore:
    """Snapshots of balance reports. Use as a context manager, or call ``close()``."""

    def __init__(self, engine: Engine, display_url: str) -> None:
        self._engine = engine
        self.url = display_url

    @property
    def engine(self) -> Engine:
        return self._engine

    def __repr__(self) -> str:
        return f"HistoryStore({self.url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._engine.dispose()

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def _fail(self, action: str, exc: SQLAlchemyError) -> HistoryError:
        return HistoryError(f"cannot {action} history database {self.url}: {_first_line(exc)}")

    def save(
        self,
        report: BalanceReport | FailureReport,
        *,
        access_token: str,
        requested_account_ids: Sequence[str] | None = None,
    ) -> int | None:
        """Store a successful report as one snapshot; return its id (the existing id if already stored).

        A ``FailureReport`` stores nothing and returns None. Pass ``requested_account_ids`` when the
        report was fetched for some accounts only, so that it never answers a request for all of them.
        """
        if not isinstance(report, BalanceReport):
            return None
        request_key = report.request_id or _content_key(report)
        for attempt in range(3):
            try:
                return self._insert(report, access_token, request_key, requested_account_ids is None)
            except IntegrityError:
                # Another writer stored the same answer between our look-up and our insert: look again.
                if attempt == 2:
                    raise
            except SQLAlchemyError as exc:
                raise self._fail("write to", exc) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _insert(self, report: BalanceReport, access_token: str, request_key: str, complete: bool) -> int:
        with self._session() as session, session.begin():
            existing = session.scalar(
                select(Snapshot.id).where(
                    Snapshot.item_id == report.item_id, Snapshot.request_id == request_key
                )
            )
            if existing is not None:
                return existing
            snapshot = Snapshot(
                item_id=report.item_id,
                request_id=request_key,
                token_fingerprint=token_fingerprint(access_token),
                institution_id=report.institution_id,
                institution_name=report.institution_name,
                environment=report.environment,
                source=report.source,
                complete=complete,
                retrieved_at=report.retrieved_at,
                saved_at=utc_now(),
                accounts=[SnapshotAccount.from_report(a, i) for i, a in enumerate(report.accounts)],
            )
            session.add(snapshot)
            session.flush()
            return snapshot.id

    def fetch_or_recall(
        self,
        access_token: str,
        fetch: Callable[[], BalanceReport | FailureReport],
        *,
        max_age: timedelta | None,
        save: bool,
        account_ids: Sequence[str] | None = None,
    ) -> BalanceReport | FailureReport:
        """A stored report no older than ``max_age`` if there is one, else ``fetch()`` (saved if ``save``)."""
        recall = Recall(self, max_age=max_age, save=save, account_ids=account_ids)
        report = recall.recall(access_token) or fetch()
        recall.remember(access_token, report)
        return report

    def fresh_report(
        self,
        *,
        access_token: str,
        max_age: timedelta,
        account_ids: Sequence[str] | None = None,
        now: datetime | None = None,
    ) -> BalanceReport | None:
        """The newest snapshot for this token, no older than ``max_age``, holding the requested accounts.

        With ``account_ids`` the report holds just those accounts (as Plaid would answer); without, only a
        snapshot of all the Item's accounts qualifies. The result has ``source="stored"`` and
        ``age_seconds`` set; None when no snapshot qualifies.
        """
        now = now or utc_now()
        wanted = list(dict.fromkeys(account_ids)) if account_ids else None
        query = (
            select(Snapshot)
            .where(
                Snapshot.token_fingerprint == token_fingerprint(access_token),
                Snapshot.retrieved_at >= now - max_age,
            )
            .order_by(Snapshot.retrieved_at.desc(), Snapshot.id.desc())
            .limit(100)
            .options(selectinload(Snapshot.accounts))
        )
        try:
            with self._session() as session, session.begin():
                for snapshot in session.scalars(query):
                    if wanted is None and not snapshot.complete:
                        continue
                    accounts = {a.account_id: a.to_report() for a in snapshot.accounts}
                    if wanted is not None and not set(wanted) <= accounts.keys():
                        continue
                    chosen = list(accounts.values()) if wanted is None else [accounts[i] for i in wanted]
                    return _report_from(snapshot, chosen, source_now=now)
        except SQLAlchemyError as exc:
            raise self._fail("read", exc) from None
        return None

    def snapshots(
        self,
        *,
        item_id: str | None = None,
        account_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[StoredSnapshot]:
        """Stored snapshots, oldest first, each as a report (``source`` as fetched, not "stored")."""
        query = select(Snapshot).options(selectinload(Snapshot.accounts))
        if item_id is not None:
            query = query.where(Snapshot.item_id == item_id)
        if since is not None:
            query = query.where(Snapshot.retrieved_at >= since)
        if until is not None:
            query = query.where(Snapshot.retrieved_at <= until)
        if account_id is not None:
            query = query.where(Snapshot.accounts.any(SnapshotAccount.account_id == account_id))
        query = query.order_by(Snapshot.retrieved_at, Snapshot.id)
        try:
            with self._session() as session, session.begin():
                return [
                    StoredSnapshot(
                        id=s.id,
                        complete=s.complete,
                        report=_report_from(s, [a.to_report() for a in s.accounts], source_now=None),
                    )
                    for s in session.scalars(query)
                ]
        except SQLAlchemyError as exc:
            raise self._fail("read", exc) from None

    def count(self) -> tuple[int, int]:
        """(snapshots, account rows): a quick consistency figure for tests and ``history``."""
        try:
            with self._session() as session, session.begin():
                snapshots = session.scalar(select(func.count()).select_from(Snapshot)) or 0
                accounts = session.scalar(select(func.count()).select_from(SnapshotAccount)) or 0
        except SQLAlchemyError as exc:
            raise self._fail("read", exc) from None
        return snapshots, accounts


def _report_from(
    snapshot: Snapshot, accounts: list[AccountReport], *, source_now: datetime | None
) -> BalanceReport:
    request_id = None if snapshot.request_id.startswith(LOCAL_REQUEST_PREFIX) else snapshot.request_id
    stored = source_now is not None
    return BalanceReport.build(
        accounts,
        item_id=snapshot.item_id,
        institution_id=snapshot.institution_id,
        institution_name=snapshot.institution_name,
        request_id=request_id,
        environment=snapshot.environment,
        retrieved_at=snapshot.retrieved_at,
        source="stored" if stored else _source(snapshot.source),
        age_seconds=max(0.0, (source_now - snapshot.retrieved_at).total_seconds()) if source_now else None,
    )


def _source(value: str) -> Any:
    return value if value in {"realtime", "cached", "stored"} else "realtime"


__all__ = [
    "DB_ENV",
    "HistoryError",
    "HistoryStore",
    "Recall",
    "StoredSnapshot",
    "default_db_url",
    "open_store",
    "token_fingerprint",
]
