"""The watch's logs: one line per event on stderr, as ``key=value`` text or JSON lines, never a secret.

Messages carry their data in ``extra={"fields": {...}}``. Access tokens, the Plaid secret and the bearer
token are masked wherever they appear (a last line of defence: the watch never passes them to a log
call); then each value and the message is bounded by the library's one rule (``_log.log_text``: escaped
to one line, cut to ``MAX_VALUE_CHARS`` or ``MAX_MESSAGE_CHARS``), since some come from strangers, such
as a refused webhook's details.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Final

from plaid_balance._log import MAX_MESSAGE_CHARS, MAX_VALUE_CHARS, log_text
from plaid_balance._redact import remember

TOKEN_PATTERN: Final = re.compile(r"\b(access|public|link)-(sandbox|production|development)-[0-9a-fA-F-]{8,}")
MASK: Final = "***"


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        text = TOKEN_PATTERN.sub(lambda m: f"{m.group(1)}-{m.group(2)}-{MASK}", text)
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text


def _value(text: str) -> str:
    if text == "" or any(c.isspace() or c in '"=' for c in text):
        return json.dumps(text)
    return text


class WatchFormatter(logging.Formatter):
    def __init__(self, redact: Redactor, as_json: bool) -> None:
        super().__init__()
        self.redact = redact
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        when = (
            datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
        # Masked before they are cut, so no secret is left half-shown at a cut.
        fields = {
            k: v if isinstance(v, int | float | bool) else log_text(self.redact(str(v)), MAX_VALUE_CHARS)
            for k, v in (getattr(record, "fields", None) or {}).items()
            if v is not None
        }
        message = log_text(self.redact(record.getMessage()), MAX_MESSAGE_CHARS)
        if self.as_json:
            line = json.dumps(
                {"ts": when, "level": record.levelname.lower(), "msg": message, **fields}, default=str
            )
        else:
            pairs = " ".join(f"{k}={_value(str(v))}" for k, v in fields.items())
            line = f"{when} {record.levelname:<7} {message}" + (f" {pairs}" if pairs else "")
        return self.redact(line)


def configure(*, as_json: bool, secrets: Iterable[str], level: int = logging.INFO) -> None:
    secrets = list(secrets)
    # Known to the library's rule as well: its filter, on the watch's logger too, masks them before it
    # cuts a value, so no secret is left half-shown at a cut.
    remember(*secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(WatchFormatter(Redactor(secrets), as_json))
    for name in ("plaid_balance", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True
