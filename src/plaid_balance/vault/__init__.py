"""The Item vault: linked Items under aliases, with access tokens encrypted at rest (see docs/vault.md).

It lives in the history database (same ``--db`` / ``PLAID_BALANCE_DB``), so an Item's history and its
entry sit together and a team can share both on PostgreSQL. Loaded on first use: importing this package
costs nothing until a name is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plaid_balance._errors import (
        AliasError,
        AmbiguousItemError,
        DatabaseNotFound,
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
    from plaid_balance._secret import SecretStr, mask_token
    from plaid_balance.vault._import import read_import
    from plaid_balance.vault._keys import KEY_ENV, KEY_FILE_ENV, KEYRING_ENV, new_key_text
    from plaid_balance.vault._vault import (
        HEALTH_STATES,
        Health,
        Vault,
        VaultAccount,
        VaultItem,
        normalise_alias,
        suggest_alias,
    )

_HOMES = {
    "DatabaseNotFound": "plaid_balance._errors",
    **dict.fromkeys(
        [
            "AliasError",
            "AmbiguousItemError",
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
        ],
        "plaid_balance._errors",
    ),
    "ImportSourceError": "plaid_balance._errors",
    "read_import": "plaid_balance.vault._import",
    **dict.fromkeys(["KEY_ENV", "KEY_FILE_ENV", "KEYRING_ENV", "new_key_text"], "plaid_balance.vault._keys"),
    **dict.fromkeys(["SecretStr", "mask_token"], "plaid_balance._secret"),
    **dict.fromkeys(
        ["HEALTH_STATES", "Health", "Vault", "VaultAccount", "VaultItem", "normalise_alias", "suggest_alias"],
        "plaid_balance.vault._vault",
    ),
}
__all__ = [
    "HEALTH_STATES",
    "KEYRING_ENV",
    "KEY_ENV",
    "KEY_FILE_ENV",
    "AliasError",
    "AmbiguousItemError",
    "DatabaseNotFound",
    "Health",
    "ImportSourceError",
    "ItemExistsError",
    "ItemLostError",
    "ItemRemovedError",
    "RotationInProgressError",
    "SecretStr",
    "TokenInDoubtError",
    "UnknownItemError",
    "Vault",
    "VaultAccount",
    "VaultCorruptError",
    "VaultError",
    "VaultItem",
    "VaultKeyError",
    "VaultLookupError",
    "VaultStorageError",
    "mask_token",
    "new_key_text",
    "normalise_alias",
    "read_import",
    "suggest_alias",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
