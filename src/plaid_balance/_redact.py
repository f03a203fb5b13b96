"""One redaction rule for every message that leaves plaid-balance.

Two kinds of secret are masked as ``***``:

- values the program knows to be secret: every ``SecretStr`` registers its value when it is made
  (client secret, access tokens, vault key), and ``remember`` registers a plain string (database
  passwords, tokens read from files, the secrets in ``PLAID_*`` variables and on the command line);
- secrets recognisable by their place: the password of a URL's user-info
  (``postgresql://user:***@host``), password-like query parameters (``?password=***``) and Plaid access
  tokens (``access-sandbox-***``), whether or not they were registered.

A known value is masked in every form it can take in text: raw, URL-encoded, JSON- and repr-escaped,
and base64. The CLI runs everything it writes through ``redact``; the library's loggers carry
``RedactingFilter``; exceptions built from lower layers pass their text through ``redact``; a
``SecretStr`` (``plaid_balance._secret``) prints and serialises masked, and registers its value here.

The registry is process-wide on purpose: a secret read in one place (an items file) must be masked
wherever a message about it is printed, including third-party exception text.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Final
from urllib.parse import quote, quote_plus

from plaid_balance._safe_text import safe_text

MASK: Final = "***"
# Shorter values would mask ordinary words; they are still masked where their place gives them away.
MIN_LENGTH: Final = 6
# Token-like secrets (only these characters) are found by substring search while there are few of them,
# and through an index of their first characters beyond that (a batch may know thousands of access
# tokens); other secrets by substring search. Either way a secret is masked wherever it appears.
_WORD: Final = re.compile(rf"[A-Za-z0-9_\-]{{{MIN_LENGTH},}}")
_SUBSTRING_WORDS: Final = 64
_GRAM: Final = 6
_STRIDE: Final = 8
_ANCHORED_LENGTH: Final = _GRAM + _STRIDE - 1  # shorter token-like secrets take the substring path
_LONG_WORD: Final = re.compile(rf"[A-Za-z0-9_\-]{{{_ANCHORED_LENGTH},}}")
_URL_PASSWORD: Final = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@?#]*:)[^\s/?#]*@")
_QUERY_SECRET: Final = re.compile(
    # Not "token": a Hosted Link URL's ?token= is a one-time link token the user must be able to open.
    r"(?P<head>[?&;](?:password|passwd|pwd|pass|secret|client_secret|sslpassword|access_token|"
    r"api_key|apikey)=)[^&#\s\"']*",
    re.IGNORECASE,
)
_ACCESS_TOKEN: Final = re.compile(
    r"(?P<head>\baccess-(?:sandbox|development|production)-)[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b"
)
_LOGGER_PREFIXES: Final = ("plaid_balance", "httpx", "httpcore", "stamina")


class _Registry:
    """The secret values known to this process, in every textual form they can take."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._words: set[str] = set()
        self._others: tuple[str, ...] = ()
        # Token-like forms by the _GRAM-character pieces that end them (last _STRIDE positions), for the
        # many-secrets path: a text is then probed only every _STRIDE characters and still finds each
        # form. Their ends, not their starts: tokens share a prefix (access-sandbox-) but not a tail.
        self._anchors: dict[str, list[tuple[str, int]]] = {}

    def add(self, value: str) -> None:
        if len(value.strip()) < MIN_LENGTH:
            return
        forms = {form for form in _forms(value) if len(form) >= MIN_LENGTH}
        with self._lock:
            words = {form for form in forms if _WORD.fullmatch(form) and len(form) >= _ANCHORED_LENGTH}
            new_words = words - self._words
            others = forms - words - set(self._others)
            for word in new_words:
                last = len(word) - _GRAM
                for offset in range(last - _STRIDE + 1, last + 1):
                    self._anchors.setdefault(word[offset : offset + _GRAM], []).append((word, offset))
            self._words |= new_words
            if others:
                # Longest first, so a form that contains another is masked whole.
                self._others = tuple(sorted({*self._others, *others}, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for form in self._others:
            if form in text:
                text = text.replace(form, MASK)
        words = self._words
        if not words:
            return text
        if len(words) <= _SUBSTRING_WORDS:
            found: set[str] = {form for form in list(words) if form in text}
        else:
            found = self._anchored(text)
        for form in sorted(found, key=len, reverse=True):
            text = text.replace(form, MASK)
        return text

    def _anchored(self, text: str) -> set[str]:
        """Known token-like secrets in ``text``: one dictionary look-up per _STRIDE characters of its words."""
        anchors = self._anchors
        found: set[str] = set()
        for match in _LONG_WORD.finditer(text):
            run = match.group()
            for probe in range(0, len(run) - _GRAM + 1, _STRIDE):
                for form, offset in anchors.get(run[probe : probe + _GRAM], ()):
                    start = probe - offset
                    if start >= 0 and run.startswith(form, start):
                        found.add(form)
        return found


def _forms(value: str) -> Iterable[str]:
    yield value
    yield value.strip()
    yield quote(value, safe="")
    yield quote_plus(value, safe="")
    yield json.dumps(value)[1:-1]
    yield json.dumps(value, ensure_ascii=False)[1:-1]
    yield repr(value)[1:-1]
    raw = value.encode("utf-8", "surrogateescape")
    yield repr(raw)[2:-1]
    yield base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    standard = base64.b64encode(raw).decode("ascii").rstrip("=")
    # For token-like values the standard alphabet's + and / would put thousands of forms on the slow
    # path; such a value is masked in its URL-safe base64 form and wherever it appears as itself.
    if _WORD.fullmatch(standard) or not _WORD.fullmatch(value):
        yield standard


_REGISTRY: Final = _Registry()


def remember(*values: str | None) -> None:
    """Mark these values as secret: from now on they are masked in everything ``redact`` sees."""
    for value in values:
        if value:
            _REGISTRY.add(value)


def redact(text: str) -> str:
    """``text`` with every known secret, URL password, password parameter and access token masked."""
    text = _REGISTRY.redact(text)
    if "://" in text:
        text = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}@", text)
    if "=" in text:
        text = _QUERY_SECRET.sub(lambda m: f"{m.group('head')}{MASK}", text)
    if "access-" in text:
        text = _ACCESS_TOKEN.sub(lambda m: f"{m.group('head')}{MASK}", text)
    return text


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


def get_logger(name: str) -> logging.Logger:
    """The library's way to get a logger: it carries the redacting filter from the start."""
    return protect_logger(logging.getLogger(name))


def protect_loggers(prefixes: Iterable[str] = _LOGGER_PREFIXES) -> None:
    """Put the filter on every existing logger of the library and the HTTP stack it logs through.

    Filters on a logger apply only to records created on that logger, so each one gets it (not just
    the parents). Call again after importing a package that creates loggers.
    """
    prefixes = tuple(prefixes)
    names = [n for n in list(logging.Logger.manager.loggerDict) if n.split(".")[0] in prefixes]
    for name in {*prefixes, *names}:
        protect_logger(logging.getLogger(name))


def remember_url_secrets(url: str | None) -> None:
    """Register the password in a URL's user-info and any password-like query parameter."""
    if not url or "://" not in url:
        return
    from urllib.parse import parse_qsl, unquote, urlsplit

    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return
    if password:
        remember(password, unquote(password))
    for key, value in parse_qsl(parts.query):
        if _QUERY_SECRET.match(f"?{key}="):
            remember(value)


_SECRET_VARIABLE: Final = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|(?:^|_)KEY$", re.IGNORECASE)


def remember_environment(environ: Mapping[str, str]) -> None:
    """Register the secrets plaid-balance reads from its variables (PLAID_*), before anything runs."""
    for name, value in environ.items():
        if not name.upper().startswith("PLAID"):
            continue
        if _SECRET_VARIABLE.search(name):
            remember(value)
        remember_url_secrets(value)


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
