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
