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
``_log.RedactingFilter``; exceptions built from lower layers pass their text through ``redact``; a
``SecretStr`` (``plaid_balance._secret``) prints and serialises masked, and registers its value here.

The registry is process-wide on purpose: a secret read in one place (an items file) must be masked
wherever a message about it is printed, including third-party exception text.

Every command's ``--help`` imports this module (the output door) and registers the ``PLAID_*`` secrets,
so it imports nothing json or urllib.parse would bring (about 4 ms together, a tenth of a ``--help``):
a secret's JSON and URL-encoded forms are written here, by the two standards' few rules (RFC 8259 §7,
RFC 3986 §2), and a test holds them to ``json.dumps`` and ``urllib.parse.quote`` on any text. A URL's
secrets are found by the same patterns that mask them by their place.
"""

from __future__ import annotations

import binascii
import functools
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Final

MASK: Final = "***"
# Shorter values would mask ordinary words; they are still masked where their place gives them away.
MIN_LENGTH: Final = 6
# Token-like secrets (only these characters) are found by substring search while there are few of them,
# and through an index of their first characters beyond that (a batch may know thousands of access
# tokens); other secrets by substring search. Either way a secret is masked wherever it appears.
_SUBSTRING_WORDS: Final = 64
_GRAM: Final = 6
_STRIDE: Final = 8
_ANCHORED_LENGTH: Final = _GRAM + _STRIDE - 1  # shorter token-like secrets take the substring path
_URLSAFE: Final = str.maketrans("+/", "-_")
# JSON's escapes for a string (RFC 8259 §7, as json.dumps writes them): quote, backslash, and every
# control character (the five with a short form); with ensure_ascii, every character outside ' '..'~' too.
_JSON_ESCAPES: Final = {
    **{code: f"\\u{code:04x}" for code in range(0x20)},
    **{ord(c): f"\\{short}" for c, short in zip("\b\t\n\f\r", "btnfr", strict=True)},
    ord('"'): '\\"',
    ord("\\"): "\\\\",
}
# What percent-encoding leaves as it is (RFC 3986 §2.3, urllib.parse.quote's always-safe set).
_UNRESERVED: Final = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_TOKEN_PREFIXES: Final = ("access-sandbox-", "access-development-", "access-production-")


class _Patterns:
    """The rule's regular expressions, compiled on first use: compiling them all costs more than the rest
    of a ``--help``, which imports this module and rarely needs more than one of them."""

    @functools.cached_property
    def word(self) -> re.Pattern[str]:
        return re.compile(rf"[A-Za-z0-9_\-]{{{MIN_LENGTH},}}")

    @functools.cached_property
    def long_word(self) -> re.Pattern[str]:
        return re.compile(rf"[A-Za-z0-9_\-]{{{_ANCHORED_LENGTH},}}")

    @functools.cached_property
    def url_password(self) -> re.Pattern[str]:
        return re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@?#]*:)(?P<secret>[^\s/?#]*)@")

    @functools.cached_property
    def query_secret(self) -> re.Pattern[str]:
        return re.compile(
            # Not "token": a Hosted Link URL's ?token= is a one-time link token the user must open.
            r"(?P<head>[?&;](?:password|passwd|pwd|pass|secret|client_secret|sslpassword|access_token|"
            r"api_key|apikey)=)(?P<secret>[^&#\s\"']*)",
            re.IGNORECASE,
        )

    @functools.cached_property
    def percent_escape(self) -> re.Pattern[bytes]:
        return re.compile(rb"%([0-9A-Fa-f]{2})")

    @functools.cached_property
    def access_token(self) -> re.Pattern[str]:
        return re.compile(
            r"(?P<head>\baccess-(?:sandbox|development|production)-)"
            r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b"
        )

    @functools.cached_property
    def secret_variable(self) -> re.Pattern[str]:
        return re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|(?:^|_)KEY$", re.IGNORECASE)


_RE: Final = _Patterns()


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
            words = {form for form in forms if _RE.word.fullmatch(form) and len(form) >= _ANCHORED_LENGTH}
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
        for match in _RE.long_word.finditer(text):
            run = match.group()
            for probe in range(0, len(run) - _GRAM + 1, _STRIDE):
                for form, offset in anchors.get(run[probe : probe + _GRAM], ()):
                    start = probe - offset
                    if start >= 0 and run.startswith(form, start):
                        found.add(form)
        return found


def json_escaped(value: str, *, ensure_ascii: bool = True) -> str:
    """``value`` as it appears inside a JSON string: ``json.dumps(value, ensure_ascii=...)[1:-1]``."""
    text = value.translate(_JSON_ESCAPES)
    if not ensure_ascii or all(" " <= c <= "~" for c in text):
        return text
    return "".join(c if " " <= c <= "~" else _json_code_units(ord(c)) for c in text)


def _json_code_units(code: int) -> str:
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # beyond the BMP: a UTF-16 surrogate pair
    return f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}"


def percent_encoded(value: str, *, plus: bool = False) -> str:
    """``urllib.parse.quote(value, safe="")`` (``plus``: ``quote_plus``, a space as ``+``) of the UTF-8 bytes."""
    return "".join(
        chr(byte) if byte in _UNRESERVED else "+" if plus and byte == 0x20 else f"%{byte:02X}"
        for byte in value.encode("utf-8", "surrogateescape")
    )


def percent_decoded(text: str, *, plus: bool = False) -> str:
    """``urllib.parse.unquote(text)`` (``plus``: ``unquote_plus``, a ``+`` as a space): UTF-8, bad bytes replaced."""
    if plus:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    raw = _RE.percent_escape.sub(
        lambda m: bytes.fromhex(m.group(1).decode("ascii")), text.encode("utf-8", "surrogateescape")
    )
    return raw.decode("utf-8", "replace")


def _forms(value: str) -> Iterable[str]:
    yield value
    yield value.strip()
    if not _RE.word.fullmatch(value):
        # Only a value outside [A-Za-z0-9_-] changes under URL, JSON or repr escaping.
        yield percent_encoded(value)
        yield percent_encoded(value, plus=True)
        yield json_escaped(value)
        yield json_escaped(value, ensure_ascii=False)
        yield repr(value)[1:-1]
        yield repr(value.encode("utf-8", "surrogateescape"))[2:-1]
    raw = value.encode("utf-8", "surrogateescape")
    standard = binascii.b2a_base64(raw, newline=False).decode("ascii").rstrip("=")
    yield standard.translate(_URLSAFE)
    # For token-like values the standard alphabet's + and / would put thousands of forms on the slow
    # path; such a value is masked in its URL-safe base64 form and wherever it appears as itself.
    if _RE.word.fullmatch(standard) or not _RE.word.fullmatch(value):
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
    if "://" in text and "@" in text:
        text = _RE.url_password.sub(lambda m: f"{m.group('head')}{MASK}@", text)
    if "=" in text:
        text = _RE.query_secret.sub(lambda m: f"{m.group('head')}{MASK}", text)
    # One scan for the common case (no "access-" at all), then the three prefixes: "--access-token" in a
    # help text must not cost the pattern's compilation.
    if "access-" in text and any(prefix in text for prefix in _TOKEN_PREFIXES):
        text = _RE.access_token.sub(lambda m: f"{m.group('head')}{MASK}", text)
    return text


def remember_url_secrets(url: str | None) -> None:
    """Register the password in a URL's user-info and any password-like query parameter: what the rule
    masks by its place, found by the same patterns, as written and percent-decoded."""
    if not url or "://" not in url or ("@" not in url and "?" not in url):
        return  # no user-info and no query: nothing secret by its place
    for match in _RE.url_password.finditer(url):
        password = match.group("secret")
        remember(password, percent_decoded(password))
    if "=" in url:
        for match in _RE.query_secret.finditer(url):
            value = match.group("secret")
            remember(value, percent_decoded(value, plus=True))


def remember_environment(environ: Mapping[str, str]) -> None:
    """Register the secrets plaid-balance reads from its variables (PLAID_*), before anything runs."""
    for name, value in environ.items():
        if not name.upper().startswith("PLAID"):
            continue
        if _RE.secret_variable.search(name):
            remember(value)
        remember_url_secrets(value)
