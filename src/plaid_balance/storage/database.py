"""``Database``: one open plaid-balance database, its transactions, and a repository per feature.

The rule of this package: only ``plaid_balance.storage`` imports SQLAlchemy or Alembic, writes SQL or
knows a table (tests/core/test_architecture.py enforces it). A feature opens a ``Database`` and talks
to its own repository (``database.history``, ``.vault``, ``.watch``, ``.dashboard``) through named,
typed methods. Work that must commit together (a snapshot and the watch's counters, a vault entry and
its token's fingerprint) shares one ``Transaction``: the vault's methods all work in the caller's, the
history's saves pass theirs to ``along``, and the watch's ``record_refresh`` joins one given as ``tx``.

Every database failure leaves here as one ``HistoryError`` line (``WriteConflict`` when another writer
took a unique key first), carrying the driver's first line as ``reason``; SQLAlchemy's own exceptions
never reach a feature.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from plaid_balance._closing import Closing
from plaid_balance._errors import HistoryError, WriteConflict
from plaid_balance.storage.dashboard import DashboardRepository
from plaid_balance.storage.engine import first_line, open_engine, read_only
from plaid_balance.storage.history import HistoryRepository
from plaid_balance.storage.vault import VaultRepository
from plaid_balance.storage.watch import WatchRepository


class Transaction:
    """One open transaction; pass it to repository methods so their writes commit together."""

    __slots__ = ("session",)

    def __init__(self, session: Session) -> None:
        self.session = session


class Database(Closing):
    """One plaid-balance database. Open with ``Database.open(url)``; a context manager, or ``close()``."""

    def __init__(self, engine: Engine, display_url: str) -> None:
        self.engine = engine
        self.url = display_url  # for messages: password hidden

    @classmethod
    def open(cls, url: str | None = None, *, create: bool = True) -> Database:
        """Open (and migrate) the database at ``url``: a URL or a file path; None: ``PLAID_BALANCE_DB``,
        else the default SQLite file.

        ``create=False`` (reads): a database that does not exist yet raises ``DatabaseNotFound`` and
        nothing is created. Every failure is one ``HistoryError`` line.
        """
        engine, shown = open_engine(url, create=create)
        return cls(engine, shown)

    def __repr__(self) -> str:
        return f"Database({self.url!r})"

    def close(self) -> None:
        self.engine.dispose()

    def reader(self) -> Database:
        """The same database and pool for a reader that never writes: on SQLite its transactions start
        deferred, so a long read (the dashboard's first index) does not hold up writers."""
        return Database(read_only(self.engine), self.url)

    def same_as(self, other: object) -> bool:
        """Whether ``other`` is this database (then their writes can share a transaction)."""
        return isinstance(other, Database) and other.engine is self.engine

    @contextmanager
    def transaction(self, action: str = "write to") -> Iterator[Transaction]:
        """One transaction: committed when the block ends, rolled back if it raises.

        Database failures become ``HistoryError("cannot <action> database <url>: <reason>")``
        (``WriteConflict`` for a unique key another writer took first); anything else the block raises
        passes through unchanged.
        """
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield Transaction(session)
        except IntegrityError as exc:
            raise self._error(WriteConflict, action, exc) from None
        except SQLAlchemyError as exc:
            raise self._error(HistoryError, action, exc) from None

    def _error(self, kind: type[HistoryError], action: str, exc: SQLAlchemyError) -> HistoryError:
        reason = first_line(exc)
        error = kind(f"cannot {action} database {self.url}: {reason}")
        error.reason = reason
        return error

    @cached_property
    def history(self) -> HistoryRepository:
        return HistoryRepository(self)

    @cached_property
    def vault(self) -> VaultRepository:
        return VaultRepository(self)

    @cached_property
    def watch(self) -> WatchRepository:
        return WatchRepository(self)

    @cached_property
    def dashboard(self) -> DashboardRepository:
        return DashboardRepository(self)


__all__ = ["Database", "Transaction"]
