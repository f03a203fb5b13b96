"""The exceptions plaid-balance raises on purpose.

They carry no process exit codes: the command line decides those (``plaid_balance.cli.exit_codes``).
Failures of a call carry their ``ErrorBody`` as ``error``, the same type as a failure report's ``error``.
This module imports nothing heavy: configuration errors are raised before any model library is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plaid_balance._error_body import ErrorBody


class PlaidBalanceError(Exception):
    """Base class of every error plaid-balance raises on purpose.

    Its text passes the one redaction rule whenever it is shown: a message that quotes a lower layer or
    Plaid never carries a known secret, a URL password or an access token.
    """

    def __str__(self) -> str:
        from plaid_balance._redact import redact

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
    """No usable answer: connection failure, timeout, or a body that is not Plaid's JSON."""

    def __init__(self, error_code: str, message: str, *, retryable: bool = True) -> None:
        from plaid_balance._error_body import NETWORK_ERROR, ErrorBody

        super().__init__(
            ErrorBody(
                error_type=NETWORK_ERROR, error_code=error_code, error_message=message, retryable=retryable
            )
        )

    @property
    def message(self) -> str:
        return self.error.error_message


class ExchangeAnswerLostError(PlaidNetworkError):
    """A public-token exchange reached Plaid but its answer did not reach us: Plaid made an Item whose
    access token nobody holds (``outcome="lost"``), or whether it did is unknown (``outcome="unknown"``).

    Never retryable: a public token is good for one exchange only. ``message`` says what to do.
    """

    def __init__(self, message: str, *, outcome: str) -> None:
        super().__init__("EXCHANGE_ANSWER_LOST", message, retryable=False)
        self.outcome = outcome
