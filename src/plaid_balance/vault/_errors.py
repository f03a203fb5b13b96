"""What can go wrong with the vault: each is one line for the user, and never holds a token."""

from __future__ import annotations

from plaid_balance._errors import ConfigurationError, PlaidBalanceError, StorageError


class VaultError(PlaidBalanceError):
    """Base class of every vault failure."""


class VaultStorageError(VaultError, StorageError):
    """The vault cannot be read or written: database failure, missing or wrong key, corrupted entry."""


class VaultKeyError(VaultStorageError):
    """No key, a malformed key, an unreadable key file, or a key that does not open this vault."""


class VaultCorruptError(VaultStorageError):
    """An entry does not decrypt with the right key: it was altered or damaged."""


class VaultLookupError(VaultError, ConfigurationError):
    """The user named something the vault cannot act on: unknown, ambiguous, removed, invalid alias."""


class UnknownItemError(VaultLookupError):
    pass


class AmbiguousItemError(VaultLookupError):
    pass


class ItemRemovedError(VaultLookupError):
    pass


class AliasError(VaultLookupError):
    """An alias that is invalid or already taken."""


class ItemExistsError(VaultLookupError):
    """The Item is already in the vault (a duplicate Item is billed and counts against quotas)."""


class ItemLostError(VaultLookupError):
    """Plaid rotated the Item's token but the answer never arrived: the new token is gone (docs/vault.md)."""


class RotationInProgressError(VaultLookupError):
    """Another process is rotating this Item's token right now; its answer decides."""


class TokenInDoubtError(VaultLookupError):
    """A one-shot call's answer was lost and what Plaid did is not known yet (the doubt stays recorded).

    ``outcome`` says what was found when it was checked: ``unknown`` (Plaid could not be asked), or for a
    rotation ``not_rotated`` (the old token still works) or ``lost`` (it does not: the Item is lost).
    """

    def __init__(self, message: str, *, outcome: str = "unknown") -> None:
        super().__init__(message)
        self.outcome = outcome
