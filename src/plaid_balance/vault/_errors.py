"""What can go wrong with the vault: each is one line for the user, and never holds a token.

The classes are defined with every other exception in ``plaid_balance._errors`` (the one tree).
"""

from __future__ import annotations

from plaid_balance._errors import (
    AliasError,
    AmbiguousItemError,
    ImportSourceError,
    ItemExistsError,
    ItemLostError,
    ItemRemovedError,
    RotationInProgressError,
    TokenInDoubtError,
    UnknownItemError,
    VaultCorruptError,
    VaultError,
    VaultKeyError,
    VaultLookupError,
    VaultStorageError,
)

__all__ = [
    "AliasError",
    "AmbiguousItemError",
    "ImportSourceError",
    "ItemExistsError",
    "ItemLostError",
    "ItemRemovedError",
    "RotationInProgressError",
    "TokenInDoubtError",
    "UnknownItemError",
    "VaultCorruptError",
    "VaultError",
    "VaultKeyError",
    "VaultLookupError",
    "VaultStorageError",
]
