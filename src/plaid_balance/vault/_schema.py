"""The vault tables (created by history migration 0003, in the same database as the history)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from plaid_balance.history._schema import UTCDateTime


class VaultBase(DeclarativeBase):
    pass


class VaultRow(VaultBase):
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
    accounts: Mapped[str] = mapped_column(Text)  # JSON list of VaultAccount
    token_ciphertext: Mapped[str | None] = mapped_column(Text)  # None once the Item is removed
    token_fingerprint: Mapped[str | None] = mapped_column(String(64))
    health: Mapped[str] = mapped_column(String(32))
    health_reason: Mapped[str | None] = mapped_column(Text)
    health_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class VaultMeta(VaultBase):
    __tablename__ = "vault_meta"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class VaultDoubt(VaultBase):
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
