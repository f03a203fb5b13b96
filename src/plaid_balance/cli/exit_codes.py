"""Process exit codes of the ``plaid-balance`` command: the one mapping from outcome to code.

The library knows nothing of exit codes. Every command ends through ``exit_code_for``; ``--help`` and the
README's table are generated from (or tested against) ``EXIT_CODES``. Add a code here, never a bare
number elsewhere.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from plaid_balance._errors import (
    ConfigurationError,
    LinkAborted,
    PlaidAPIError,
    PlaidNetworkError,
    StorageError,
)


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


# Each kind of failure has one base class (the tree in ``plaid_balance._errors``): an exception's code is
# that of the first kind in its method resolution order, so no check depends on the order of others.
_KIND_CODES: Final[dict[type[BaseException], ExitCode]] = {
    ConfigurationError: ExitCode.USAGE,
    StorageError: ExitCode.STORAGE,
    PlaidAPIError: ExitCode.PLAID_ERROR,
    PlaidNetworkError: ExitCode.NETWORK_ERROR,
    LinkAborted: ExitCode.LINK_NOT_COMPLETED,
    KeyboardInterrupt: ExitCode.INTERRUPTED,
    BrokenPipeError: ExitCode.CLOSED_PIPE,
}
# What an outcome says happened (its ``verdict``: a report, a failure body, a funds decision, a batch
# summary), as an exit code.
_VERDICT_CODES: Final[dict[str, ExitCode]] = {
    "ok": ExitCode.OK,
    "declined": ExitCode.INSUFFICIENT_FUNDS,
    "partial": ExitCode.PARTIAL_FAILURE,
    "interrupted": ExitCode.INTERRUPTED,
    "input": ExitCode.USAGE,
    "storage": ExitCode.STORAGE,
    "plaid": ExitCode.PLAID_ERROR,
    "network": ExitCode.NETWORK_ERROR,
    "internal": ExitCode.BUG,
}


def exit_code_for(outcome: object) -> ExitCode:
    """The exit code an outcome (report, failure body, funds decision, batch summary) or exception gets."""
    if outcome is None:
        return ExitCode.OK
    if isinstance(outcome, BaseException):
        kinds = (_KIND_CODES.get(cls) for cls in type(outcome).__mro__)
        return next((code for code in kinds if code is not None), ExitCode.BUG)
    verdict = getattr(outcome, "verdict", None)
    return _VERDICT_CODES.get(verdict, ExitCode.BUG) if isinstance(verdict, str) else ExitCode.BUG
