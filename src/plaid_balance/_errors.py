"""Every exception plaid-balance raises on purpose, in one tree (as httpx's ``_exceptions.py``)::

    PlaidBalanceError
    ├── ConfigurationError ········ the user must fix an input: a flag, a variable, a file, a name
    │   ├── InvalidValue ·········· a value that is not of its kind (``_parse``): amount, duration, URL...
    │   ├── MissingExtra ·········· an optional extra is not installed
    │   ├── DatabaseURLError ······ a history/vault database URL that cannot be used
    │   ├── ItemsFileError ········ a batch items file that cannot be read as a whole
    │   ├── BatchOptionsError ····· batch settings that cannot work
    │   ├── WatchConfigError ······ the watch config, located (file:line: key: problem)
    │   ├── FundsCheckError ······· the funds check cannot decide (never a pass)
    │   └── VaultLookupError ······ a name the vault cannot act on
    │       ├── UnknownItemError, AmbiguousItemError, ItemRemovedError
    │       ├── AliasError, ItemExistsError
    │       ├── ItemLostError, RotationInProgressError, TokenInDoubtError · a token rotation in doubt
    │       └── ImportSourceError · an ``items import`` source that cannot be read
    ├── StorageError ·············· a local database cannot be opened, read or written
    │   ├── HistoryError ·········· the database (``plaid_balance.storage``), for every feature in it
    │   │   ├── DatabaseNotFound ·· a read found no database: nothing was created
    │   │   └── WriteConflict ····· another writer took the same unique key first (look again)
    │   ├── StateError ············ the watch's state
    │   └── VaultStorageError
    │       ├── VaultKeyError ····· no key, a bad key, or a key that does not open the vault
    │       └── VaultCorruptError · an entry that does not decrypt
    ├── PlaidFailure ·············· a Plaid call ended without an answer to use (``error``: ErrorBody)
    │   ├── PlaidAPIError ········· Plaid answered with an error object
    │   └── PlaidNetworkError ····· no usable answer: connection, timeout, garbled reply
    │       └── ExchangeAnswerLostError · a public-token exchange whose answer was lost
    └── LinkAborted ··············· Link ended without an Item to keep
        ├── LinkCancelled
        └── LinkTimedOut

Each kind of failure has one base, directly under ``PlaidBalanceError`` (``ConfigurationError``,
``StorageError``, ``PlaidAPIError``, ``PlaidNetworkError``, ``LinkAborted``), and every class has
exactly one of them among its ancestors (``VaultError`` is a family, not a kind: the vault's storage
and lookup errors are of two different kinds). The command line maps each kind to an exit code
(``plaid_balance.cli.exit_codes``); the library decides none. Failures of a call carry their
``ErrorBody`` as ``error``, the same type as a failure report's ``error``. The feature packages
export the classes that belong to them from here (``plaid_balance.vault.VaultKeyError``...). A few private
signals (``Undecryptable``, ``InputTooLarge``, the webhook's and the Link page's ``Refused``) are
caught next to where they are raised and turned into one of these, or an HTTP answer. This module
imports nothing heavy: configuration errors are raised before any model library is loaded. So the
failures that carry an ``ErrorBody`` (a msgspec struct) are given one; ``_error_body`` builds them
(``network_failure``, ``exchange_answer_lost``, ``funds_check_failure``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from plaid_balance._redact import redact

if TYPE_CHECKING:
    from plaid_balance._error_body import ErrorBody


class PlaidBalanceError(Exception):
    """Base class of every error plaid-balance raises on purpose.

    Its text passes the one redaction rule whenever it is shown: a message that quotes a lower layer or
    Plaid never carries a known secret, a URL password or an access token.
    """

    def __str__(self) -> str:
        return redact(super().__str__())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class ConfigurationError(PlaidBalanceError):
    """Bad credentials configuration, environment, URL, flag or file: fixed by the user, never retried."""


class MissingExtra(ConfigurationError):
    """A part of plaid-balance that needs an optional extra which is not installed (``_extras``)."""

    def __init__(self, extra: str, needed_by: str = "this") -> None:
        super().__init__(f"{needed_by} needs plaid-balance[{extra}]: pip install 'plaid-balance[{extra}]'")
        self.extra = extra


class StorageError(PlaidBalanceError):
    """A local database (history, vault) cannot be opened, read or written, or its key is wrong."""


class PlaidFailure(PlaidBalanceError):
    """A call that ended without an answer to use; ``error`` says why, in the report's own shape."""

    def __init__(self, error: ErrorBody) -> None:
        self.error = error
        super().__init__(error.summary())

    @property
    def error_type(self) -> str:
        return self.error.error_type

    @property
    def error_code(self) -> str:
        return self.error.error_code

    @property
    def retryable(self) -> bool:
        return self.error.retryable

    @property
    def retry_now(self) -> bool:
        return self.error.retry_now


class PlaidAPIError(PlaidFailure):
    """Plaid answered with an error object (``error``, with ``http_status`` set)."""

    def __init__(self, error: ErrorBody) -> None:
        super().__init__(error)
        status = error.http_status
        self.args = (f"{error.error_type}/{error.error_code} (HTTP {status}): {error.error_message}",)

    @property
    def http_status(self) -> int:
        return self.error.http_status or 0

    @property
    def is_rate_limit(self) -> bool:
        return self.error.is_rate_limit


class PlaidNetworkError(PlaidFailure):
    """No usable answer: connection failure, timeout, or a body that is not Plaid's JSON.

    ``error`` has ``error_type`` ``NETWORK_ERROR`` (built by ``_error_body.network_failure``).
    """

    @property
    def message(self) -> str:
        return self.error.error_message


class ExchangeAnswerLostError(PlaidNetworkError):
    """A public-token exchange reached Plaid but its answer did not reach us: Plaid made an Item whose
    access token nobody holds (``outcome="lost"``), or whether it did is unknown (``outcome="unknown"``).

    Never retryable: a public token is good for one exchange only. ``message`` says what to do. Built by
    ``_error_body.exchange_answer_lost``.
    """

    def __init__(self, error: ErrorBody, *, outcome: str) -> None:
        super().__init__(error)
        self.outcome = outcome


class InvalidValue(ConfigurationError, ValueError):
    """A value from outside that is not what was asked for; the message says what was expected.

    Raised by the one parser of each kind of value (``plaid_balance._parse``); a ``ValueError`` too, so
    msgspec reports it under the key that held the value.
    """


class DatabaseURLError(ConfigurationError):
    """The database URL is malformed or names a backend we cannot use: a usage error, not storage."""


class ItemsFileError(ConfigurationError):
    """The items file as a whole cannot be used (unreadable, or neither CSV nor JSON lines)."""


class BatchOptionsError(ConfigurationError, ValueError):
    """Batch settings that cannot work; raised before any call is made."""


class WatchConfigError(ConfigurationError):
    """A watch config problem, located: ``file:line: key: problem``."""


class FundsCheckError(ConfigurationError, ValueError):
    """The check cannot decide (bad amount, no usable balance, currency mismatch): never a pass.

    ``error`` is the failure as every other one is reported (``error_type: FUNDS_CHECK_ERROR``; built by
    ``_error_body.funds_check_failure``).
    """

    def __init__(self, error: ErrorBody) -> None:
        self.error = error
        super().__init__(f"{error.error_code}: {error.error_message}")

    @property
    def code(self) -> str:
        return self.error.error_code

    @property
    def message(self) -> str:
        return self.error.error_message


class VaultError(PlaidBalanceError):
    """Every vault failure (a family: each is also of one kind, storage or lookup)."""


class VaultLookupError(VaultError, ConfigurationError):
    """The user named something the vault cannot act on: unknown, ambiguous, removed, invalid alias."""


class UnknownItemError(VaultLookupError):
    """No Item has that alias or item_id."""


class AmbiguousItemError(VaultLookupError):
    """The name is one Item's alias and another's item_id."""


class ItemRemovedError(VaultLookupError):
    """The Item was removed from the vault."""


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


class ImportSourceError(VaultLookupError):
    """An ``items import`` source as a whole cannot be read (missing, unreadable, no known format)."""


class HistoryError(StorageError):
    """The history database cannot be opened, migrated, read or written (one line, password hidden).

    Raised by ``plaid_balance.storage`` for every feature that keeps rows there; ``reason`` is the
    driver's own first line, for a feature that words the failure in its terms (the vault, the watch).
    """

    reason: str = ""


class WriteConflict(HistoryError):
    """Another writer stored a row with the same unique key first: the caller may look again."""


class DatabaseNotFound(HistoryError):
    """A read found no database (or an empty one): nothing was created."""


class StateError(StorageError):
    """The watch's state could not be read or written (one line)."""


class VaultStorageError(VaultError, StorageError):
    """The vault cannot be read or written: database failure, missing or wrong key, corrupted entry."""


class VaultKeyError(VaultStorageError):
    """No key, a malformed key, an unreadable key file, or a key that does not open this vault."""


class VaultCorruptError(VaultStorageError):
    """An entry does not decrypt with the right key: it was altered or damaged."""


class LinkAborted(PlaidBalanceError):
    """Link ended without a result to keep: the user closed it, or nobody finished it in time."""


class LinkCancelled(LinkAborted):
    """The user closed Link (onExit), possibly after an error Link showed them."""


class LinkTimedOut(LinkAborted):
    """No result arrived before the deadline (``--timeout``)."""
