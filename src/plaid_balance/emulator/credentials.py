"""Sandbox test credentials (user_good/pass_good, error_<CODE>, user_custom) → the accounts of a new Item."""

from __future__ import annotations

from typing import Any

from plaid_balance.emulator.errors import FORCE_ERROR_ALIASES, PlaidAPIError, is_known_error_code
from plaid_balance.emulator.sandbox_data import AccountSpec, user_good_accounts
from plaid_balance.emulator.user_custom import parse_user_custom

GOOD_USERNAME = "user_good"
GOOD_PASSWORD = "pass_good"  # noqa: S105 - Plaid's documented Sandbox credential


def accounts_for_credentials(username: str, password: str | dict[str, Any]) -> list[AccountSpec]:
    """Resolve Sandbox test credentials into the accounts of a new Item (raises PlaidAPIError like Link)."""
    if username == "user_custom":
        return parse_user_custom(password)
    if not isinstance(password, str):
        raise PlaidAPIError("INVALID_CREDENTIALS")
    # `error_<CODE>` passwords make Item creation fail with that code (Sandbox test credentials).
    if password.startswith("error_"):
        code = password.removeprefix("error_")
        code = FORCE_ERROR_ALIASES.get(code, code)
        raise PlaidAPIError(code if is_known_error_code(code) else "INVALID_CREDENTIALS")
    if username == GOOD_USERNAME and password != GOOD_PASSWORD:
        raise PlaidAPIError("INVALID_CREDENTIALS")
    if username.startswith("user_") and password:
        # user_good and the persona users all see the default roster here: the emulator only models balances.
        return user_good_accounts()
    raise PlaidAPIError("INVALID_CREDENTIALS")
