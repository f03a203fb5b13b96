"""What Plaid's Item webhooks say about an Item's health.

The states, and what an error code or a call that worked means, are the one vocabulary of
``plaid_balance._health``, shared with the vault and the command line; the webhooks reach only the
watch, so what they mean is decided here.
"""

from __future__ import annotations

from typing import Any

from plaid_balance._health import Health, HealthChange, from_error_code


def from_webhook(payload: dict[str, Any], current: Health) -> HealthChange | None:
    """The change an Item webhook (``webhook_type: ITEM``) announces, per Plaid's Items webhooks."""
    code = payload.get("webhook_code")
    if code == "ERROR":
        error = payload.get("error") or {}
        return from_error_code(error.get("error_code") if isinstance(error, dict) else None)
    if code == "LOGIN_REPAIRED":
        return HealthChange(Health.OK, "LOGIN_REPAIRED") if current is not Health.OK else None
    if code == "PENDING_EXPIRATION":
        if current is Health.OK:
            when = payload.get("consent_expiration_time")
            return HealthChange(Health.PENDING_EXPIRATION, f"consent expires {when}" if when else code)
        return None
    if code == "PENDING_DISCONNECT":
        if current in {Health.OK, Health.PENDING_EXPIRATION}:
            reason = payload.get("reason")
            return HealthChange(Health.PENDING_DISCONNECT, f"{code} ({reason})" if reason else code)
        return None
    if code == "USER_PERMISSION_REVOKED":
        return HealthChange(Health.PERMISSION_REVOKED, code)
    return None
