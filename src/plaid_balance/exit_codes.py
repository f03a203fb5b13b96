"""Process exit codes of the ``plaid-balance`` command, one per class of outcome (documented in README)."""

from typing import Final

OK: Final = 0
UNEXPECTED: Final = 1  # a bug: please report it
USAGE: Final = 2  # bad flag, missing credentials, unknown environment, malformed file or URL
PLAID_ERROR: Final = 3  # Plaid answered with an error object (passed through in the JSON)
NETWORK_ERROR: Final = 4  # no usable answer: connection, timeout, malformed body
PARTIAL_FAILURE: Final = 5  # batch: at least one Item failed, the others succeeded
INSUFFICIENT_FUNDS: Final = 6  # check: the account cannot cover the amount
STORAGE: Final = 7  # the history/vault database cannot be opened, read or written; vault key missing/wrong
INTERRUPTED: Final = 130  # Ctrl-C; everything printed before it is complete
PIPE_CLOSED: Final = 141  # the reader closed stdout (| head): quiet, as for a tool killed by SIGPIPE
