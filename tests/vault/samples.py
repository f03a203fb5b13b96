"""Tokens and Items for the vault tests."""

from __future__ import annotations

from typing import Any

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
