"""Exceptions and the error shape every failure is reported in.

Three classes of failure, each with its own CLI exit code (see ``exit_codes``): configuration or usage
mistakes, errors Plaid answered with (its error object passed through), and network failures (no usable
answer at all). Messages never include the access token or the secret.
"""

from __future__ import annotations

from typing import Any, Final

from plaid_balance import exit_codes
from plaid_balance._redact import redact
from plaid_balance.models import PlaidError

# Codes where a short wait and a new attempt help (Plaid's troubleshooting text says "retry").
RETRY_NOW_CODES: Final = frozenset(
    {
        "INTERNAL_SERVER_ERROR",
        "PLANNED_MAINTENANCE",
        "PRODUCT_NOT_READY",
        "RATE_LIMIT",
        "BALANCE_LIMIT",
        "ACCOUNTS_BALANCE_GET_LIMIT",
        "ACCOUNTS_LIMIT",
        "INSTITUTION_RATE_LIMIT",
    }
)
# Temporary, but Plaid says to come back in hours, not seconds: reported retryable, never retried here.
RETRY_LATER_CODES: Final = frozenset(
    {"INSTITUTION_DOWN", "INSTITUTION_NOT_RESPONDING", "INSTITUTION_NOT_AVAILABLE"}
)
# Rate-limit answers that no wait will fix.
NEVER_RETRY_CODES: Final = frozenset({"CREDITS_EXHAUSTED"})
RATE_LIMIT_TYPE: Final = "RATE_LIMIT_EXCEEDED"


class PlaidBalanceError(Exception):
    """Base class of every error plaid-balance raises on purpose."""

    exit_code: int = exit_codes.UNEXPECTED

    def __init__(self, *args: object) -> None:
        # Messages may quote a lower layer or Plaid: whatever they quote, known secrets stay masked.
        super().__init__(*(redact(a) if isinstance(a, str) else a for a in args))

    def __str__(self) -> str:
        return redact(super().__str__())  # and secrets learnt after the error was made

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class ConfigurationError(PlaidBalanceError):
    """Bad credentials configuration, environment, URL, flag or file: fixed by the user, never retried."""

    exit_code = exit_codes.USAGE


class PlaidAPIError(PlaidBalanceError):
    """Plaid answered with an error object."""

    exit_code = exit_codes.PLAID_ERROR

    def __init__(self, error: PlaidError, http_status: int) -> None:
        self.error = error
        self.http_status = http_status
        super().__init__(f"{error.error_type}/{error.error_code} (HTTP {http_status}): {error.error_message}")

    @property
    def error_code(self) -> str:
        return self.error.error_code

    @property
    def error_type(self) -> str:
        return self.error.error_type

    @property
    def is_rate_limit(self) -> bool:
        return self.error.error_type == RATE_LIMIT_TYPE and self.error.error_code not in NEVER_RETRY_CODES

    @property
    def should_retry_now(self) -> bool:
        if self.error.error_code in NEVER_RETRY_CODES or self.error.error_code in RETRY_LATER_CODES:
            return False
        return self.is_rate_limit or self.error.error_code in RETRY_NOW_CODES or self.http_status >= 500

    @property
    def retryable(self) -> bool:
        return self.should_retry_now or self.error.error_code in RETRY_LATER_CODES

    def to_error_dict(self) -> dict[str, Any]:
        body = self.error.model_dump(mode="python", exclude_none=False)
        body["http_status"] = self.http_status
        body["retryable"] = self.retryable
        return body


class PlaidNetworkError(PlaidBalanceError):
    """No usable answer: connection failure, timeout, or a body that is not Plaid's JSON."""

    exit_code = exit_codes.NETWORK_ERROR
    error_type: Final = "NETWORK_ERROR"

    def __init__(self, error_code: str, message: str, *, retryable: bool = True) -> None:
        self.error_code = error_code
        self.message = redact(message)
        self.retryable = retryable
        super().__init__(f"{self.error_type}/{error_code}: {message}")

    def to_error_dict(self) -> dict[str, Any]:
        return {
            "error_type": self.error_type,
            "error_code": self.error_code,
            "error_message": self.message,
            "display_message": None,
            "request_id": None,
            "http_status": None,
            "retryable": self.retryable,
        }


class StorageError(PlaidBalanceError):
    """The history/vault database cannot be opened, read or written, or the vault key is missing or wrong.

    One line, no secrets: the database URL in the message has its password hidden.
    """

    exit_code = exit_codes.STORAGE
