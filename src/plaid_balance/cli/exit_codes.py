"""Process exit codes of the ``plaid-balance`` command: the one mapping from outcome to code.

The library knows nothing of exit codes. Every command ends through ``exit_code_for``; ``--help`` and the
README's table are generated from (or tested against) ``EXIT_CODES``. Add a code here, never a bare
number elsewhere.
"""

from __future__ import annotations

import sys
from enum import IntEnum
from typing import TYPE_CHECKING, Final

from plaid_balance._errors import (
    ConfigurationError,
    PlaidAPIError,
    PlaidNetworkError,
    StorageError,
)

if TYPE_CHECKING:
    from plaid_balance._error_body import ErrorBody


class ExitCode(IntEnum):
    OK = 0
    BUG = 1
    USAGE = 2
    PLAID_ERROR = 3
    NETWORK_ERROR = 4
    PARTIAL_FAILURE = 5
    INSUFFICIENT_FUNDS = 6
    STORAGE = 7
    LINK_NOT_COMPLETED = 8
    INTERRUPTED = 130
    CLOSED_PIPE = 141


EXIT_CODES: Final[dict[ExitCode, str]] = {
    ExitCode.OK: "success (check: the account covers the amount)",
    ExitCode.BUG: "a bug in plaid-balance: please report it",
    ExitCode.USAGE: "usage, configuration or input error: bad flag, missing credentials, malformed file or "
    "line, a check that cannot decide (before any call where it can be known). One line on stderr; stdout "
    "is empty except for `check`, which prints its JSON error there, and `batch`, whose other Items' lines "
    "and summary are complete",
    ExitCode.PLAID_ERROR: "Plaid answered with an error after any retries (its error object is in the JSON "
    "on stdout)",
    ExitCode.NETWORK_ERROR: "network error: no usable answer from Plaid after retries (connection, timeout, "
    "garbled reply)",
    ExitCode.PARTIAL_FAILURE: "batch: at least one Item failed",
    ExitCode.INSUFFICIENT_FUNDS: "check: the account cannot cover the amount, or its balance is too old",
    ExitCode.STORAGE: "the history or vault database cannot be opened, read or written (or its key is wrong)",
    ExitCode.LINK_NOT_COMPLETED: "link: the user cancelled Link, or it timed out",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); everything printed before is complete",
    ExitCode.CLOSED_PIPE: "the reader closed standard output (output piped into `head`); nothing on stderr",
}


def exit_codes_markdown() -> str:
    """The README's exit-code table (a test keeps the README equal to it)."""
    rows = [f"| {int(code)} | {text} |" for code, text in EXIT_CODES.items()]
    return "\n".join(["| code | meaning |", "| --- | --- |", *rows])


def _for_error_body(error: ErrorBody) -> ExitCode:
    from plaid_balance._error_body import FUNDS_CHECK_ERROR, INPUT_ERROR, INTERNAL_ERROR, NETWORK_ERROR

    if error.error_type == NETWORK_ERROR:
        return ExitCode.NETWORK_ERROR
    if error.error_type in (INPUT_ERROR, FUNDS_CHECK_ERROR):
        return ExitCode.USAGE
    if error.error_type == INTERNAL_ERROR:
        return ExitCode.BUG
    return ExitCode.PLAID_ERROR


def exit_code_for(outcome: object) -> ExitCode:
    """The exit code an outcome (report, failure body, funds decision, batch summary) or exception gets."""
    if outcome is None:
        return ExitCode.OK
    if isinstance(outcome, BrokenPipeError):
        return ExitCode.CLOSED_PIPE
    if isinstance(outcome, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(outcome, StorageError):  # before usage: a storage error may also be a ConfigurationError
        return ExitCode.STORAGE
    if isinstance(outcome, ConfigurationError):
        return ExitCode.USAGE
    if isinstance(outcome, PlaidAPIError):
        return ExitCode.PLAID_ERROR
    if isinstance(outcome, PlaidNetworkError):
        return ExitCode.NETWORK_ERROR
    return _for_result(outcome)


def _for_result(outcome: object) -> ExitCode:
    # Imported only here: `--help` never loads the models, and a `get` never loads the funds check, the
    # batch runner or Link.
    from plaid_balance._error_body import ErrorBody
    from plaid_balance._report import BalanceReport, FailureReport

    if isinstance(outcome, BalanceReport):
        return ExitCode.OK
    if isinstance(outcome, FailureReport):
        return _for_error_body(outcome.error)
    if isinstance(outcome, ErrorBody):
        return _for_error_body(outcome)

    # An outcome of Link, the funds check or the batch means its module is loaded already; otherwise it
    # cannot be one, and `check` need not import the batch runner (nor `batch` the funds check).
    if "plaid_balance.link.errors" in sys.modules:
        from plaid_balance.link.errors import LinkAborted

        if isinstance(outcome, LinkAborted):
            return ExitCode.LINK_NOT_COMPLETED
    if "plaid_balance.funds" in sys.modules:
        from plaid_balance.funds import FundsCheckError, FundsDecision

        if isinstance(outcome, FundsDecision):
            return ExitCode.OK if outcome.passed else ExitCode.INSUFFICIENT_FUNDS
        if isinstance(outcome, FundsCheckError):
            return ExitCode.USAGE
    if "plaid_balance.batch" in sys.modules:
        from plaid_balance.batch import BatchSummary

        if isinstance(outcome, BatchSummary):
            if outcome.interrupted:
                return ExitCode.INTERRUPTED
            if outcome.input_errors:
                return ExitCode.USAGE
            if outcome.not_saved:
                return ExitCode.STORAGE
            return ExitCode.PARTIAL_FAILURE if outcome.failed else ExitCode.OK
    return ExitCode.BUG
