"""Every table of the plaid-balance database as one set of SQLAlchemy models, and the column types that
keep money and time exact.

History (``snapshots``, ``snapshot_accounts``, ``item_tokens``), the vault (``vault_items``,
``vault_meta``) and the watch's state (``watch_*``) share one database and one ``Base``. The tables are
created by the Alembic migrations (``migrations/versions``); these models must match them
(tests/storage/test_schema.py compares the two on SQLite and PostgreSQL). Nothing outside
``plaid_balance.storage`` sees these classes: features go through the repositories.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator, TypeEngine

from plaid_balance._health import Health
from plaid_balance._report import AccountReport
from plaid_balance._safe_text import bounded_text


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


class HealthWord(TypeDecorator[Health]):
    """An Item's health (``plaid_balance._health.Health``) stored as its word: the vault's and the watch's
    column alike, read back by the one rule (``Health.stored``) for a word this version does not know."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: Health | str | None, dialect: Dialect) -> str | None:
        return None if value is None else Health(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> Health | None:
        return None if value is None else Health.stored(str(value))


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

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        """The usual processing, but a stored text that is no timestamp (SQLite keeps any text in any
        column) is a database error, one line like any other, never a ``ValueError`` traceback."""
        process = super().result_processor(dialect, coltype)
        if process is None:
            return None

        def checked(value: Any) -> Any:
            try:
                return process(value)
            except (ValueError, TypeError, OverflowError):
                raise MalformedValue(
                    f"a stored timestamp is malformed: {bounded_text(repr(value), 60)}"
                ) from None

        return checked


class MalformedValue(SQLAlchemyError):
    """A stored value the database kept but that cannot be what its column holds (a corrupt row)."""


class Base(DeclarativeBase):
    pass


class Snapshot(Base):
    """One successful balance report of one Item; an Item's snapshots form one series by ``item_id``."""

    __tablename__ = "snapshots"
    __table_args__ = (
        UniqueConstraint("item_id", "request_id", name="uq_snapshots_item_request"),
        Index("ix_snapshots_item_retrieved", "item_id", "retrieved_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(String(255))
    request_id: Mapped[str] = mapped_column(String(255))
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


class ItemToken(Base):
    """A lookup aid: which Item an access token (by its SHA-256) belongs to. Never the token itself.

    A token used with ``--max-age`` finds its Item's snapshots through this table; after a rotation the
    new token's fingerprint points to the same Item, so the series stays one.
    """

    __tablename__ = "item_tokens"

    token_fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(255), index=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)


class VaultRow(Base):
    """An Item in the vault; its token only as ciphertext (None once the Item is removed)."""

    __tablename__ = "vault_items"
    __table_args__ = (
        UniqueConstraint("alias_key", name="uq_vault_items_alias_key"),
        UniqueConstraint("token_fingerprint", name="uq_vault_items_token_fingerprint"),
    )

    item_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    alias: Mapped[str] = mapped_column(Text)
    alias_key: Mapped[str] = mapped_column(Text)
    institution_id: Mapped[str | None] = mapped_column(String(255))
    institution_name: Mapped[str | None] = mapped_column(Text)
    environment: Mapped[str] = mapped_column(String(32))
    accounts: Mapped[str] = mapped_column(Text)  # JSON list of the vault's accounts
    token_ciphertext: Mapped[str | None] = mapped_column(Text)
    token_fingerprint: Mapped[str | None] = mapped_column(String(64))
    health: Mapped[Health] = mapped_column(HealthWord)
    health_reason: Mapped[str | None] = mapped_column(Text)
    health_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class VaultMeta(Base):
    """Vault-wide values by name (the key check)."""

    __tablename__ = "vault_meta"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class VaultDoubt(Base):
    """A one-shot call to Plaid whose answer may be lost: committed before the call, deleted with its answer.

    ``kind`` is ``rotation`` (``item_id`` set) or ``exchange`` (no Item yet: ``detail`` holds what Link
    said, ``secret_ciphertext`` the sealed public token, so the exchange can be tried again).
    """

    __tablename__ = "vault_doubts"
    __table_args__ = (UniqueConstraint("kind", "item_id", name="uq_vault_doubts_kind_item"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str | None] = mapped_column(String(255))
    environment: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    owner: Mapped[str] = mapped_column(Text)  # "pid@host" of the process that made the call
    detail: Mapped[str] = mapped_column(Text)  # JSON: institution, link_session_id, wanted alias
    secret_ciphertext: Mapped[str | None] = mapped_column(Text)


class WatchItem(Base):
    """Per Item: the watch's last refresh and what it knows of the Item's health."""

    __tablename__ = "watch_items"

    item_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    alias: Mapped[str] = mapped_column(Text)
    health: Mapped[Health] = mapped_column(HealthWord)
    health_reason: Mapped[str] = mapped_column(Text)
    last_refresh_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_source: Mapped[str | None] = mapped_column(String(16))
    last_outcome: Mapped[str | None] = mapped_column(String(64))


class WatchBudget(Base):
    """Per Item and period (``D2026-11-25`` or ``M2026-11``): balance calls billed and saved."""

    __tablename__ = "watch_budget"

    item_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    billed: Mapped[int] = mapped_column(Integer)
    saved: Mapped[int] = mapped_column(Integer)


class WatchAlert(Base):
    """Per alert rule and subject: whether it fires, since when, and when it last notified."""

    __tablename__ = "watch_alerts"

    rule: Mapped[str] = mapped_column(Text, primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    firing: Mapped[bool] = mapped_column(Boolean)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_notified: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[str] = mapped_column(Text)


class WatchAlertEvent(Base):
    """The log of alerts fired and resolved (what the dashboard's Alerts tab shows)."""

    __tablename__ = "watch_alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    rule: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    notify: Mapped[str] = mapped_column(Text)  # notifier names, comma-separated; empty is all of them
