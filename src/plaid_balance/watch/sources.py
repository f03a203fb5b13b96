"""Where the watch's Items, history and state live: the vault and history database (``--db``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from plaid_balance._errors import TokenInDoubtError
from plaid_balance._health import Health
from plaid_balance.history.store import HistoryStore
from plaid_balance.storage.database import Database
from plaid_balance.vault import Vault, VaultItem
from plaid_balance.watch.store import WatchStore
from plaid_balance.watch.wiring import LibraryHistory


class VaultItems:
    """``ItemSource`` on the vault: Items not removed, tokens read at call time, health written back.

    ``check(token)`` (Plaid's free /item/get) settles a token rotation in doubt before its token is used,
    as every command does (docs/vault.md, "When an answer is lost"); without it such an Item's token is
    refused with the reason, and the refresh is retried later.
    """

    def __init__(self, vault: Any, check: Callable[[Any], object] | None = None) -> None:
        self.vault = vault
        self.check = check

    def items(self) -> list[VaultItem]:
        items: list[VaultItem] = self.vault.list(include_removed=False)
        return items

    def access_token(self, alias: str) -> str:
        try:
            return str(self.vault.access_token(alias).get_secret_value())
        except TokenInDoubtError:
            if self.check is None:
                raise
        # Raises TokenInDoubtError while Plaid cannot be asked; once lost, the next read says so.
        self.vault.settle_rotation(alias, self.check)
        return str(self.vault.access_token(alias).get_secret_value())

    def set_health(self, item_id: str, health: Health, reason: str) -> None:
        self.vault.set_health(item_id, health, reason)


@dataclass
class Sources:
    """What the watch reads and writes; ``open_sources`` puts all three on one database."""

    items: VaultItems
    history: HistoryStore
    state: WatchStore

    def known_items(self) -> list[VaultItem]:
        """The vault's Items with their accounts' currencies: as the last stored balances give them, else
        as Plaid reported them when the Item was linked or imported."""
        latest_by_item = LibraryHistory(self.history).latest_all()
        known = []
        for item in self.items.items():
            latest = latest_by_item.get(item.item_id)
            currencies = {a.account_id: a.currency for a in latest.accounts} if latest is not None else {}
            accounts = tuple(
                msgspec.structs.replace(a, currency=currencies.get(a.account_id) or a.currency)
                for a in item.accounts
            )
            known.append(msgspec.structs.replace(item, accounts=accounts))
        return known

    def check_vault_key(self) -> None:
        """Raise ``VaultKeyError`` unless the vault key opens the vault (no Items: no key needed)."""
        watched = self.items.items()
        if watched:
            self.items.access_token(watched[0].alias)

    def close(self) -> None:
        self.history.close()  # the one database, which the vault and the state share


def open_sources(db_url: str | None) -> Sources:
    """The vault, the history and the watch's state on one ``Database``: one engine, one pool."""
    database = Database.open(db_url)
    return Sources(VaultItems(Vault.on(database)), HistoryStore(database), WatchStore(database))
