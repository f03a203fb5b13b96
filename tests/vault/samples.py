"""Tokens and Items for the vault tests."""

from __future__ import annotations

from typing import Any

from plaid_balance._health import Health
from plaid_balance._report import utc_now
from plaid_balance.vault import VaultAccount, VaultItem

TOKEN = "access-sandbox-5b3c1f0e-9d2a-4e7b-8c6d-vault-canary-0001"
OTHER_TOKEN = "access-sandbox-0a9b8c7d-6e5f-4a3b-2c1d-vault-canary-0002"
ACCOUNTS: list[dict[str, Any]] = [
    {
        "id": "acc-checking",
        "name": "Plaid Checking",
        "mask": "0000",
        "type": "depository",
        "subtype": "checking",
    },
    {
        "id": "acc-credit",
        "name": "Plaid Credit Card",
        "mask": "3333",
        "type": "credit",
        "subtype": "credit card",
    },
]


def vault_item(
    alias: str,
    item_id: str,
    institution_id: str | None = None,
    institution_name: str | None = None,
    accounts: tuple[VaultAccount, ...] = (),
) -> VaultItem:
    """A healthy Item as the vault lists it (the watch runs on the vault's own type)."""
    now = utc_now()
    return VaultItem(
        item_id=item_id,
        alias=alias,
        institution_id=institution_id,
        institution_name=institution_name,
        environment="sandbox",
        accounts=accounts,
        health=Health.OK,
        health_reason=None,
        health_changed_at=None,
        created_at=now,
        updated_at=now,
        removed_at=None,
        token_hint=None,
    )
