"""Text from outside (Plaid, files, the user) made safe to show on a terminal or in a log line.

Bank data is data: an account named ``[red]x[/red]`` or ``\\x1b]0;pwned\\x07`` must print as those
characters, not as colour or a terminal command. ``safe_text`` neutralises what a terminal would
interpret: control characters (C0, DEL, C1, so every escape sequence), line and paragraph separators,
bidirectional overrides (which can make text read differently from what it is) and lone surrogates.
Each is shown as a visible backslash escape (``\\x1b``, ``\\n``, ``\\u202e``), so nothing is silently
lost. Markup is a separate matter: callers hand the result to rich as a ``Text`` (never as markup);
``plaid_balance.cli.text`` does that.
"""

from __future__ import annotations

from typing import Final
from unicodedata import category

_BIDI_CONTROLS: Final = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_UNSAFE_CATEGORIES: Final = frozenset({"Cc", "Cs", "Zl", "Zp"})
_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def safe_text(value: object) -> str:
    """``str(value)`` with every character a terminal would act on replaced by a visible escape."""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # the common case: no scan needed
        return text
    return "".join(
        _escape(c) if c in _BIDI_CONTROLS or category(c) in _UNSAFE_CATEGORIES else c for c in text
    )


def bounded_text(value: object, limit: int = 200) -> str:
    """``safe_text`` of at most ``limit`` characters of ``value``, saying how many more were cut.

    For values a stranger chooses (a webhook's header, a query parameter) that reach a log line: one
    request cannot write kilobytes, nor a second line.
    """
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return safe_text(text)
    return f"{safe_text(text[:limit])}... ({len(text) - limit} more characters)"
