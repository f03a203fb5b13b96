"""Accounts described plainly (type, balances, currency, name) turned into a `user_custom` configuration.

The test helpers and the admin API take accounts in these terms so a test states the balances it expects
and nothing else; `user_custom.py` then builds them exactly as it builds any Sandbox custom user.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from plaid_balance.emulator.errors import PlaidAPIError

# key -> what it becomes in the user_custom account. `available` left out follows Plaid's rule (current for
# depository accounts, limit - current for credit with a limit); `available: None` means no available balance.
ACCOUNT_KEYS = frozenset(
    {"type", "subtype", "current", "available", "limit", "currency", "name", "official_name", "mask"}
)


def user_custom_config(accounts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The user_custom password for these accounts. Amounts may be Decimal, int or numeric strings and stay
    exact. Raises PlaidAPIError(INVALID_FIELD) for an unknown key or a missing balance."""
    built = []
    for index, account in enumerate(accounts):
        if not isinstance(account, Mapping):
            raise PlaidAPIError("INVALID_FIELD", detail=f"accounts[{index}] must be an object")
        unknown = sorted(set(account) - ACCOUNT_KEYS)
        if unknown:
            raise PlaidAPIError(
                "INVALID_FIELD",
                detail=f"accounts[{index}] has unknown keys {unknown}; known: {sorted(ACCOUNT_KEYS)}",
            )
        if account.get("current") is None:
            raise PlaidAPIError("INVALID_FIELD", detail=f"accounts[{index}].current is required")
        entry: dict[str, Any] = {
            "type": account.get("type", "depository"),
            "subtype": account.get("subtype", "checking"),
            "starting_balance": account["current"],
            "currency": account.get("currency", "USD"),
        }
        if "available" in account:
            if account["available"] is None:
                entry["has_null_available_balance"] = True
            else:
                entry["force_available_balance"] = account["available"]
        meta = {key: account[key] for key in ("name", "official_name", "mask", "limit") if key in account}
        if meta:
            entry["meta"] = meta
        built.append(entry)
    return {"override_accounts": built}
