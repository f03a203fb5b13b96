"""The vault's repository: one row per Item (its alias, what Link reported, its token as ciphertext),
vault-wide values such as the key check, and the one-shot calls in doubt (a rotation whose answer may
be lost).

Encryption, alias rules and messages are the vault's business (``plaid_balance.vault``); this module
reads and writes rows inside the caller's ``Transaction``, so one vault operation (look up, check,
write, link the token to its Item) is one transaction.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Select, delete, select

from plaid_balance._health import Health
from plaid_balance.storage.history import link_token
from plaid_balance.storage.schema import VaultDoubt, VaultMeta, VaultRow

if TYPE_CHECKING:
    from plaid_balance.storage.database import Database, Transaction


@dataclass(frozen=True, slots=True)
class VaultRecord:
    """One vault row as stored; ``accounts`` is the JSON text the vault wrote."""

    item_id: str
    alias: str
    alias_key: str
    institution_id: str | None
    institution_name: str | None
    environment: str
    accounts: str
    token_ciphertext: str | None
    token_fingerprint: str | None
    health: Health
    health_reason: str | None
    health_changed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    removed_at: datetime | None


@dataclass(frozen=True, slots=True)
class DoubtRecord:
    """A call in doubt as stored (see ``schema.VaultDoubt``)."""

    id: str
    kind: str
    item_id: str | None
    environment: str
    started_at: datetime
    owner: str
    detail: str
    secret_ciphertext: str | None


_FIELDS = tuple(f.name for f in dataclasses.fields(VaultRecord))
_DOUBT_FIELDS = tuple(f.name for f in dataclasses.fields(DoubtRecord))


def _doubt(row: VaultDoubt) -> DoubtRecord:
    return DoubtRecord(**{name: getattr(row, name) for name in _DOUBT_FIELDS})


def _record(row: VaultRow) -> VaultRecord:
    return VaultRecord(**{name: getattr(row, name) for name in _FIELDS})


class VaultRepository:
    """The vault tables of one ``Database`` (``database.vault``). Every method works in ``tx``."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def all(self, tx: Transaction) -> list[VaultRecord]:
        """Every row, by alias key."""
        return [_record(r) for r in tx.session.scalars(select(VaultRow).order_by(VaultRow.alias_key))]

    def by_item_id(self, tx: Transaction, item_id: str, *, lock: bool = False) -> VaultRecord | None:
        return self._one(tx, select(VaultRow).where(VaultRow.item_id == item_id), lock=lock)

    def by_alias_key(self, tx: Transaction, key: str, *, lock: bool = False) -> VaultRecord | None:
        return self._one(tx, select(VaultRow).where(VaultRow.alias_key == key), lock=lock)

    def by_fingerprint(self, tx: Transaction, fingerprint: str) -> VaultRecord | None:
        return self._one(tx, select(VaultRow).where(VaultRow.token_fingerprint == fingerprint), lock=False)

    @staticmethod
    def _one(tx: Transaction, query: Select[VaultRow], *, lock: bool) -> VaultRecord | None:
        if lock:  # PostgreSQL: held until the transaction ends (SQLite's BEGIN IMMEDIATE locks it all)
            query = query.with_for_update()
        row = tx.session.scalar(query)
        return None if row is None else _record(row)

    def insert(self, tx: Transaction, record: VaultRecord) -> None:
        tx.session.add(VaultRow(**dataclasses.asdict(record)))
        tx.session.flush()

    def update(self, tx: Transaction, record: VaultRecord) -> None:
        """Write every field of ``record`` to the row with its ``item_id``."""
        row = tx.session.get(VaultRow, record.item_id)
        if row is None:
            raise LookupError(f"no vault row for Item {record.item_id}")
        for name in _FIELDS:
            setattr(row, name, getattr(record, name))
        tx.session.flush()

    def delete(self, tx: Transaction, item_id: str) -> None:
        row = tx.session.get(VaultRow, item_id)
        if row is not None:
            tx.session.delete(row)
            tx.session.flush()

    def meta(self, tx: Transaction, name: str) -> str | None:
        row = tx.session.get(VaultMeta, name)
        return None if row is None else row.value

    def set_meta(self, tx: Transaction, name: str, value: str) -> None:
        row = tx.session.get(VaultMeta, name)
        if row is None:
            tx.session.add(VaultMeta(name=name, value=value))
        else:
            row.value = value
        tx.session.flush()

    def doubt(self, tx: Transaction, kind: str, item_id: str) -> DoubtRecord | None:
        """The Item's call in doubt of this kind, if any."""
        row = tx.session.scalar(
            select(VaultDoubt).where(VaultDoubt.kind == kind, VaultDoubt.item_id == item_id)
        )
        return None if row is None else _doubt(row)

    def doubt_by_id(self, tx: Transaction, doubt_id: str) -> DoubtRecord | None:
        row = tx.session.get(VaultDoubt, doubt_id)
        return None if row is None else _doubt(row)

    def doubts(self, tx: Transaction, kind: str) -> list[DoubtRecord]:
        """Every call in doubt of this kind, oldest first."""
        query = select(VaultDoubt).where(VaultDoubt.kind == kind).order_by(VaultDoubt.started_at)
        return [_doubt(row) for row in tx.session.scalars(query)]

    def doubted_items(self, tx: Transaction, kind: str) -> set[str]:
        """The Items with a call of this kind in doubt."""
        rows = tx.session.scalars(select(VaultDoubt.item_id).where(VaultDoubt.kind == kind))
        return {item_id for item_id in rows if item_id is not None}

    def add_doubt(self, tx: Transaction, doubt: DoubtRecord) -> None:
        tx.session.add(VaultDoubt(**dataclasses.asdict(doubt)))
        tx.session.flush()

    def delete_doubt(self, tx: Transaction, doubt_id: str) -> None:
        tx.session.execute(delete(VaultDoubt).where(VaultDoubt.id == doubt_id))

    def link_token(self, tx: Transaction, fingerprint: str, item_id: str, seen: datetime) -> None:
        """Record in the history's token table that this token belongs to ``item_id``."""
        link_token(tx, fingerprint, item_id, seen)


__all__ = ["DoubtRecord", "VaultRecord", "VaultRepository"]
