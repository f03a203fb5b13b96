"""An Item's health, from the errors its calls return and from Plaid's Item webhooks.

The states are the vault's (docs/vault.md). What they allow: billed calls only while the login works
(``ok``, or a disconnect or expiry that is announced but not yet here); free calls too while it needs
repair, since ``/accounts/get`` succeeding again is how a repair made elsewhere is noticed; nothing at
all once access is revoked or the Item removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final


class Health(StrEnum):
    OK = "ok"
    NEEDS_REPAIR = "needs_repair"
    PENDING_EXPIRATION = "pending_expiration"
    PENDING_DISCONNECT = "pending_disconnect"
    PERMISSION_REVOKED = "permission_revoked"
    REMOVED = "removed"
    LOST = "lost"  # a token rotation's answer was lost: no token works (docs/vault.md)

    @property
    def allows_calls(self) -> bool:
        return self not in {Health.PERMISSION_REVOKED, Health.REMOVED, Health.LOST}

    @property
    def needs_user(self) -> bool:
        """States an alert of kind ``needs_repair`` reports."""
        return self is not Health.OK and self is not Health.REMOVED


# Errors the user fixes by logging in again through Link update mode (plaid-balance link --update).
REPAIR_CODES: Final = frozenset(
    {
        "ITEM_LOGIN_REQUIRED",
        "PASSWORD_RESET_REQUIRED",
        "ITEM_LOCKED",
        "USER_SETUP_REQUIRED",
        "ACCESS_NOT_GRANTED",
        "ADDITIONAL_CONSENT_REQUIRED",
        "INVALID_UPDATED_USERNAME",
        "INSUFFICIENT_CREDENTIALS",
    }
)
REVOKED_CODES: Final = frozenset({"USER_PERMISSION_REVOKED"})
REMOVED_CODES: Final = frozenset({"ITEM_NOT_FOUND"})


@dataclass(frozen=True, slots=True)
class HealthChange:
    health: Health
    reason: str


def from_error_code(code: str | None) -> HealthChange | None:
    """The health an error code means for its Item; None when it says nothing about the Item."""
    if code in REPAIR_CODES:
        return HealthChange(Health.NEEDS_REPAIR, code)
    if code in REVOKED_CODES:
        return HealthChange(Health.PERMISSION_REVOKED, code)
    if code in REMOVED_CODES:
        return HealthChange(Health.REMOVED, code)
    return None


def from_success(current: Health) -> HealthChange | None:
    """A call that worked proves the login works: a repair done elsewhere ends ``needs_repair``."""
    if current is Health.NEEDS_REPAIR:
        return HealthChange(Health.OK, "a call succeeded again")
    return None


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
