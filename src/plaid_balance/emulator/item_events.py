"""What happens to an Item on each Item webhook, and what the webhook says (Plaid's ITEM webhooks).

Used by /sandbox/item/reset_login, /sandbox/item/fire_webhook, Link's update mode, /item/webhook/update and the
admin API's Item events; each changes the Item's state the way the webhook reports it, then sends it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from plaid_balance.emulator.errors import PlaidAPIError
from plaid_balance.emulator.state import Item, format_datetime

ENVIRONMENT = "sandbox"
# The codes /sandbox/item/fire_webhook and the admin API can fire (PENDING_EXPIRATION is an emulator
# extension there: Plaid's Sandbox cannot fire it).
FIREABLE = (
    "ERROR",
    "PENDING_EXPIRATION",
    "PENDING_DISCONNECT",
    "USER_PERMISSION_REVOKED",
    "USER_ACCOUNT_REVOKED",
    "LOGIN_REPAIRED",
    "NEW_ACCOUNTS_AVAILABLE",
)
PENDING_DAYS = 7  # Plaid warns seven days ahead of an expiry or disconnection


def apply_event(item: Item, code: str, now: datetime, *, reason: str | None = None) -> dict[str, Any]:
    """Change the Item (caller holds the lock) and return the webhook body for `code`."""
    body: dict[str, Any] = {"webhook_type": "ITEM", "webhook_code": code, "item_id": item.item_id}
    if code == "ERROR":
        item.error_code = "ITEM_LOGIN_REQUIRED"
        body["error"] = PlaidAPIError("ITEM_LOGIN_REQUIRED").webhook_body()
    elif code == "USER_PERMISSION_REVOKED":
        item.error_code = "USER_PERMISSION_REVOKED"
        body["error"] = PlaidAPIError("USER_PERMISSION_REVOKED").webhook_body()
    elif code == "LOGIN_REPAIRED":
        item.error_code = None
        item.consent_expiration_time = None
    elif code == "PENDING_EXPIRATION":
        item.consent_expiration_time = now + timedelta(days=PENDING_DAYS)
        body["consent_expiration_time"] = format_datetime(item.consent_expiration_time)
    elif code == "PENDING_DISCONNECT":
        body["reason"] = reason or "INSTITUTION_TOKEN_EXPIRATION"
        body["disconnect_time"] = format_datetime(now + timedelta(days=PENDING_DAYS))
    elif code == "USER_ACCOUNT_REVOKED":
        body["account_id"] = item.accounts[0].account_id if item.accounts else ""
    elif code == "NEW_ACCOUNTS_AVAILABLE":
        body["error"] = None
    body["environment"] = ENVIRONMENT
    return body


def webhook_update_acknowledged(item: Item, url: str) -> dict[str, Any]:
    return {
        "webhook_type": "ITEM",
        "webhook_code": "WEBHOOK_UPDATE_ACKNOWLEDGED",
        "item_id": item.item_id,
        "new_webhook_url": url,
        "error": None,
        "environment": ENVIRONMENT,
    }
