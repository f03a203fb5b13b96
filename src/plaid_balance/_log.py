"""The library's logging: every record passes the one redaction rule, and no bare lines reach a library
user's stderr. Apart from ``_redact`` so that a command's ``--help`` does not import ``logging``.

One rule bounds what a log line may carry, here and in the watch's logs (``watch.logs``): text from
outside (a bank's name, Plaid's error message, a webhook's header) is redacted, escaped to one line and
cut, a message to ``MAX_MESSAGE_CHARS`` and each value beside it to ``MAX_VALUE_CHARS``, saying how much
was cut (``log_text``). A megabyte from a stranger is a line of at most a few kilobytes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Final

from plaid_balance._redact import redact
from plaid_balance._safe_text import safe_text

_LOGGER_PREFIXES: Final = ("plaid_balance", "httpx", "httpcore", "stamina")
MAX_VALUE_CHARS: Final = 300  # one value of a log line (a field, an ``extra``)
MAX_MESSAGE_CHARS: Final = 4 * MAX_VALUE_CHARS  # a record's message
MAX_TRACEBACK_LINES: Final = 200  # a traceback or stack, each of its lines bounded as a message
# What every LogRecord has; anything else on a record came as ``extra`` (stamina's retry details, the
# watch's ``fields``).
_STANDARD: Final = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def log_text(text: str, limit: int) -> str:
    """``text`` as (part of) one log line: control characters escaped (``safe_text``) and at most ``limit``
    characters, ending with how many were cut when it was longer. The result given again comes back
    unchanged, so a value bounded twice (by this filter, then by a formatter) reads the same."""
    if len(text) <= limit:
        shown = safe_text(text)
        if len(shown) <= limit:
            return shown
    room = limit - len(f"... ({len(text)} more characters)")
    kept = text[: max(room, 0)]
    shown = safe_text(kept)
    while len(shown) > room:  # escapes made it longer: keep fewer characters
        kept = kept[: len(kept) - (len(shown) - room)]
        shown = safe_text(kept)
    return f"{shown}... ({len(text) - len(kept)} more characters)"


def _bounded(value: object) -> object:
    """An ``extra`` value with its text redacted and bounded (a dict's or a sequence's too)."""
    if isinstance(value, str):
        return log_text(redact(value), MAX_VALUE_CHARS)
    if isinstance(value, dict):
        return {k: _bounded(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return type(value)(_bounded(v) for v in value)
    return value


def _bounded_lines(text: str) -> str:
    lines = text.splitlines()
    kept = [log_text(line, MAX_MESSAGE_CHARS) for line in lines[:MAX_TRACEBACK_LINES]]
    if len(lines) > MAX_TRACEBACK_LINES:
        kept.append(f"... ({len(lines) - MAX_TRACEBACK_LINES} more lines)")
    return "\n".join(kept)


class RedactingFilter(logging.Filter):
    """Masks secrets in a log record's message, arguments, extras, traceback and stack, and bounds each,
    before any handler runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the caller's bug; do not hide the record
            message = str(record.msg)
        # One record, one bounded line: names from a bank or a file cannot forge further log lines, nor
        # make one of a megabyte.
        clean = log_text(redact(message), MAX_MESSAGE_CHARS)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        for name, value in list(vars(record).items()):
            if name not in _STANDARD:
                setattr(record, name, _bounded(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = _bounded_lines(redact(logging.Formatter().formatException(record.exc_info)))
        elif record.exc_text:
            record.exc_text = _bounded_lines(redact(record.exc_text))
        if record.stack_info:
            record.stack_info = _bounded_lines(redact(record.stack_info))
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
