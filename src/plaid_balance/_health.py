"""An Item's health: the one vocabulary the vault stores, the watch runs on, and every output shows.

The word is stored (``vault_items.health``, ``watch_items.health``) and written in JSON (``items list``,
the dashboard's API, the watch's ``/status``, its metrics' ``state`` label) as the ``Health`` value;
people read its ``label`` (``items list``, ``items show``, the dashboard). What each state allows:
billed calls only while the login works (``ok``, or a disconnect or expiry that is announced but not yet
here); free calls too while it needs repair, since ``/accounts/get`` succeeding again is how a repair made
elsewhere is noticed; nothing at all once access is revoked, the Item removed or its token lost.

What an answer from Plaid says about its Item (``from_error_code``, ``from_success``) is decided here too,
so a fetch on the command line and a refresh of the watch record the same health for the same answer.
Plaid's Item webhooks are the watch's alone (``watch.health``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Health(StrEnum):
    OK = "ok"
    NEEDS_REPAIR = "needs_repair"
    PENDING_EXPIRATION = "pending_expiration"
    PENDING_DISCONNECT = "pending_disconnect"
    PERMISSION_REVOKED = "permission_revoked"
    REMOVED = "removed"
    LOST = "lost"  # a token rotation's answer was lost: no token works (docs/vault.md)

    @classmethod
    def stored(cls, word: str) -> Health:
        """The health a stored word means. A word this version does not know (a database edited by hand)
        is ``needs_repair``: nobody vouches that the Item works, and a call that succeeds makes it ``ok``."""
        try:
            return cls(word)
        except ValueError:
            return cls.NEEDS_REPAIR

    @property
    def label(self) -> str:
        """The word people read: ``items list``, ``items show`` and the dashboard show this."""
        return _LABELS[self]

    @property
    def allows_calls(self) -> bool:
        return self not in {Health.PERMISSION_REVOKED, Health.REMOVED, Health.LOST}

    @property
    def needs_user(self) -> bool:
        """States an alert of kind ``needs_repair`` reports."""
        return self is not Health.OK and self is not Health.REMOVED

    @property
    def repairable(self) -> bool:
        """The user must log in again, and Link's update mode does it (``link --update``, ``--all``)."""
        return self in {Health.NEEDS_REPAIR, Health.PENDING_EXPIRATION, Health.PENDING_DISCONNECT}


_LABELS: Final = {
    Health.OK: "OK",
    Health.NEEDS_REPAIR: "needs repair",
    Health.PENDING_EXPIRATION: "expiring",
    Health.PENDING_DISCONNECT: "disconnecting",
    Health.PERMISSION_REVOKED: "revoked",
    Health.REMOVED: "removed",
    Health.LOST: "token lost",
}

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
    """A call that worked proves the login works: a repair done elsewhere ends ``needs_repair``, a grant
    given again ends ``permission_revoked``. An expiry or disconnection announced is still coming."""
    if current in {Health.NEEDS_REPAIR, Health.PERMISSION_REVOKED}:
        return HealthChange(Health.OK, "a call succeeded again")
    return None


__all__ = [
    "REMOVED_CODES",
    "REPAIR_CODES",
    "REVOKED_CODES",
    "Health",
    "HealthChange",
    "from_error_code",
    "from_success",
]
