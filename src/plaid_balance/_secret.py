"""``SecretStr``: a string that never shows itself in a repr, a log line, a traceback or serialised JSON."""

from __future__ import annotations

from typing import Final

from plaid_balance._redact import remember

MASK: Final = "**********"


class SecretStr:
    """Holds a secret (client secret, access token); only ``get_secret_value()`` reveals it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        remember(value)  # masked wherever it is later copied as plain text

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"SecretStr('{MASK}')" if self._value else "SecretStr('')"

    def __str__(self) -> str:
        return MASK if self._value else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)
