"""The one failure model: ``ErrorBody``, and which Plaid errors are worth retrying.

Every failure a report, a batch line, a funds check or an exception carries is an ``ErrorBody``: Plaid's
error object as Plaid sent it, plus ``http_status`` and ``retryable``. Failures that never reached Plaid
(network, input, a check that cannot decide) use the same shape with their own ``error_type``.
"""

from typing import Final, Literal

import msgspec

from plaid_balance._errors import ExchangeAnswerLostError, FundsCheckError, PlaidNetworkError

# What an outcome (a report, a failure, a funds decision, a batch summary) says happened, in one word:
# the command line maps each to an exit code (``cli/exit_codes.py``); the library decides none.
Verdict = Literal[
    "ok", "declined", "partial", "interrupted", "input", "storage", "plaid", "network", "internal"
]

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
# error_type values of failures that did not come from Plaid.
NETWORK_ERROR: Final = "NETWORK_ERROR"
INPUT_ERROR: Final = "INPUT_ERROR"
INTERNAL_ERROR: Final = "INTERNAL_ERROR"
FUNDS_CHECK_ERROR: Final = "FUNDS_CHECK_ERROR"


class ErrorBody(msgspec.Struct, frozen=True, kw_only=True):
    """A failure: Plaid's error object (``PlaidError`` in its spec) plus ``http_status`` and ``retryable``.

    ``http_status`` is null when no HTTP answer was involved (network, input); ``retryable`` says whether
    the same request may succeed later without anyone changing anything.
    """

    error_type: str
    error_code: str
    error_message: str = ""
    display_message: str | None = None
    request_id: str | None = None
    error_code_reason: str | None = None
    documentation_url: str | None = None
    suggested_action: str | None = None
    status: int | None = None
    http_status: int | None = None
    retryable: bool = False

    @property
    def is_rate_limit(self) -> bool:
        return self.error_type == RATE_LIMIT_TYPE and self.error_code not in NEVER_RETRY_CODES

    @property
    def retry_now(self) -> bool:
        """Whether a short wait and the same request may succeed (what the retry policy acts on)."""
        if self.error_type == NETWORK_ERROR:
            return self.retryable
        if self.error_code in NEVER_RETRY_CODES or self.error_code in RETRY_LATER_CODES:
            return False
        return (
            self.is_rate_limit
            or self.error_code in RETRY_NOW_CODES
            or (self.http_status is not None and self.http_status >= 500)
        )

    @property
    def verdict(self) -> Verdict:
        """Whose failure: the network's, the input's (or a check that cannot decide), ours, or Plaid's."""
        if self.error_type == NETWORK_ERROR:
            return "network"
        if self.error_type in (INPUT_ERROR, FUNDS_CHECK_ERROR):
            return "input"
        if self.error_type == INTERNAL_ERROR:
            return "internal"
        return "plaid"

    def summary(self) -> str:
        """``TYPE/CODE: message`` in one line (for people; the JSON is for programs)."""
        return f"{self.error_type}/{self.error_code}: {self.display_message or self.error_message}"


def plaid_error_body(error: ErrorBody, http_status: int) -> ErrorBody:
    """Plaid's error object as received, completed with the HTTP status and whether it is retryable."""
    body = msgspec.structs.replace(error, http_status=http_status, retryable=False)
    return msgspec.structs.replace(body, retryable=body.retry_now or body.error_code in RETRY_LATER_CODES)


def network_failure(error_code: str, message: str, *, retryable: bool = True) -> PlaidNetworkError:
    """No usable answer (``NETWORK_ERROR``/``error_code``): a connection failure, a timeout, a garbled body."""
    return PlaidNetworkError(
        ErrorBody(error_type=NETWORK_ERROR, error_code=error_code, error_message=message, retryable=retryable)
    )


def exchange_answer_lost(message: str, *, outcome: str) -> ExchangeAnswerLostError:
    """A public-token exchange whose answer was lost (never retryable; ``outcome``: lost or unknown)."""
    body = ErrorBody(
        error_type=NETWORK_ERROR, error_code="EXCHANGE_ANSWER_LOST", error_message=message, retryable=False
    )
    return ExchangeAnswerLostError(body, outcome=outcome)


def funds_check_failure(code: str, message: str) -> FundsCheckError:
    """A funds check that cannot decide (``FUNDS_CHECK_ERROR``/``code``): never a pass."""
    return FundsCheckError(ErrorBody(error_type=FUNDS_CHECK_ERROR, error_code=code, error_message=message))
