"""What happens to an Item on each webhook it can be sent, and what the webhook says.

Used by /sandbox/item/reset_login, /sandbox/item/fire_webhook, Link's update mode, /item/webhook/update and the
admin API's Item events. ITEM webhooks change the Item's state the way they report it; product webhooks
(TRANSACTIONS, AUTH, ASSETS, ...) change nothing, since the emulator serves no product data but balances.

Which `webhook_type`/`webhook_code` pairs /sandbox/item/fire_webhook takes, and which product the Item must
have for each, follow the endpoint's description in Plaid's spec (`sandboxItemFireWebhook`); each body follows
the webhook's own schema there (`DefaultUpdateWebhook`, `SyncUpdatesAvailableWebhook`, ...).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from plaid_balance.emulator.errors import PlaidAPIError
from plaid_balance.emulator.state import Item, format_datetime

ENVIRONMENT = "sandbox"
# The ITEM codes the admin API and the Python helpers can fire (PENDING_EXPIRATION and ITEM/ERROR are
# emulator extensions at /sandbox/item/fire_webhook: Plaid's Sandbox fires neither).
FIREABLE = (
    "ERROR",
    "PENDING_EXPIRATION",
    "PENDING_DISCONNECT",
    "USER_PERMISSION_REVOKED",
    "USER_ACCOUNT_REVOKED",
    "LOGIN_REPAIRED",
    "NEW_ACCOUNTS_AVAILABLE",
)
# (webhook_type, webhook_code) -> the product the Item must have been created with (None: any Item). Plaid
# answers SANDBOX_PRODUCT_NOT_ENABLED when the Item lacks it.
FIRE_PAIRS: dict[tuple[str, str], str | None] = {
    ("TRANSACTIONS", "DEFAULT_UPDATE"): "transactions",
    ("AUTH", "DEFAULT_UPDATE"): "auth",
    ("IDENTITY", "DEFAULT_UPDATE"): "identity",
    ("INVESTMENTS_TRANSACTIONS", "DEFAULT_UPDATE"): "investments",
    ("HOLDINGS", "DEFAULT_UPDATE"): "investments",
    ("LIABILITIES", "DEFAULT_UPDATE"): "liabilities",
    ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE"): "transactions",
    ("TRANSACTIONS", "RECURRING_TRANSACTIONS_UPDATE"): "transactions",
    ("AUTH", "SMS_MICRODEPOSITS_VERIFICATION"): "auth",
    ("ASSETS", "PRODUCT_READY"): "assets",
    ("ASSETS", "ERROR"): "assets",
    **{("ITEM", code): None for code in FIREABLE},
}
# The type a code fires when the request leaves webhook_type out: its only type, TRANSACTIONS for
# DEFAULT_UPDATE (the endpoint's original and commonest use) and ITEM for ERROR (the emulator's extension).
DEFAULT_TYPE: dict[str, str] = {
    code: next(t for t, c in FIRE_PAIRS if c == code) for _, code in FIRE_PAIRS
} | {"DEFAULT_UPDATE": "TRANSACTIONS", "ERROR": "ITEM"}
PENDING_DAYS = 7  # Plaid warns seven days ahead of an expiry or disconnection


def apply_event(item: Item, code: str, now: datetime, *, reason: str | None = None) -> dict[str, Any]:
    """Change the Item (caller holds the lock) and return the ITEM webhook body for `code`."""
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


def product_webhook(item: Item, webhook_type: str, code: str) -> dict[str, Any]:
    """The body of a product webhook. The emulator holds no transactions, holdings or reports, so counts
    are 0 and id maps empty; ids that must exist (accounts, an asset report) are real or fresh."""
    body: dict[str, Any] = {"webhook_type": webhook_type, "webhook_code": code, "item_id": item.item_id}
    account_ids = [a.account_id for a in item.accounts]
    if code == "DEFAULT_UPDATE":
        body["error"] = None
        counts: dict[str, dict[str, Any]] = {
            "TRANSACTIONS": {"new_transactions": 0},
            "AUTH": {"account_ids_with_new_auth": [], "account_ids_with_updated_auth": {}},
            "IDENTITY": {"account_ids_with_updated_identity": {}},
            "INVESTMENTS_TRANSACTIONS": {
                "new_investments_transactions": 0,
                "cancelled_investments_transactions": 0,
            },
            "HOLDINGS": {"new_holdings": 0, "updated_holdings": 0},
            "LIABILITIES": {
                "account_ids_with_new_liabilities": [],
                "account_ids_with_updated_liabilities": {},
            },
        }
        body.update(counts[webhook_type])
    elif code == "SYNC_UPDATES_AVAILABLE":
        body["initial_update_complete"] = True
        body["historical_update_complete"] = True
    elif code == "RECURRING_TRANSACTIONS_UPDATE":
        body["account_ids"] = account_ids
    elif code == "SMS_MICRODEPOSITS_VERIFICATION":
        depository = [a.account_id for a in item.accounts if a.spec.type == "depository"]
        body["account_id"] = (depository or account_ids or [""])[0]
        body["status"] = "MANUALLY_VERIFIED"
    elif code == "PRODUCT_READY":
        body["asset_report_id"] = str(uuid.uuid4())
        body["report_type"] = "FULL"
    elif code == "ERROR":  # ASSETS
        body["asset_report_id"] = str(uuid.uuid4())
        body["error"] = PlaidAPIError("ASSET_REPORT_GENERATION_FAILED").webhook_body()
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
