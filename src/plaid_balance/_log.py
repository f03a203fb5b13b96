"""The library's logging: every record passes the one redaction rule, and no bare lines reach a library
user's stderr. Apart from ``_redact`` so that a command's ``--help`` does not import ``logging``."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Final

from plaid_balance._redact import redact
from plaid_balance._safe_text import safe_text

_LOGGER_PREFIXES: Final = ("plaid_balance", "httpx", "httpcore", "stamina")


class RedactingFilter(logging.Filter):
    """Masks secrets in a log record's message, arguments, traceback and stack before any handler runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the caller's bug; do not hide the record
            message = str(record.msg)
        # One record, one line: names from a bank or a file cannot forge further log lines.
        clean = safe_text(redact(message))
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER: Final = RedactingFilter()


def protect_logger(logger: logging.Logger) -> logging.Logger:
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


def protect_loggers(prefixes: Iterable[str] = _LOGGER_PREFIXES) -> None:
    """Put the filter on every existing logger of the library and the HTTP stack it logs through.

    Filters on a logger apply only to records created on that logger, so each one gets it (not just
    the parents). Call again after importing a package that creates loggers.
    """
    prefixes = tuple(prefixes)
    names = [n for n in list(logging.Logger.manager.loggerDict) if n.split(".")[0] in prefixes]
    for name in {*prefixes, *names}:
        protect_logger(logging.getLogger(name))


def quiet_library_loggers() -> None:
    """No bare log lines on a library user's stderr.

    With no logging configured, Python prints warnings through its last-resort handler: stamina's
    retry warning then shows up as a bare ``stamina.retry_scheduled``. A ``NullHandler`` (what the
    logging docs ask libraries to add) stops that; applications that configure logging still get
    every record, through the redacting filter.
    """
    for name in ("plaid_balance", "stamina"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())
    protect_loggers()
