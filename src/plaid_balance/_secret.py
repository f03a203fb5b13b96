"""``SecretStr``: a string that does not show itself. ``repr``, ``str``, formatting, pickling and the JSON
encoder (``_json``) never reveal it; used for the client secret and access tokens everywhere."""

from __future__ import annotations

import hmac
from typing import Final, NoReturn

from plaid_balance._redact import remember

MASK: Final = "**********"


class SecretStr:
    """Holds a secret; only ``get_secret_value()`` returns it. Compared in constant time."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("SecretStr holds text")
        self._value = value
        remember(value)  # masked wherever it is later copied as plain text

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"SecretStr({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecretStr):
            return NotImplemented
        return hmac.compare_digest(self._value.encode("utf-8"), other._value.encode("utf-8"))

    def __hash__(self) -> int:
        return hash((SecretStr, len(self._value)))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> NoReturn:
        raise TypeError("a SecretStr cannot be pickled (it would write the secret out)")


def mask_token(token: str) -> str:
    """Keep Plaid's ``access-<environment>-`` prefix (not secret) and at most the last four characters."""
    parts = token.split("-", 2)
    prefix = f"{parts[0]}-{parts[1]}-" if len(parts) == 3 and parts[0] in {"access", "public"} else ""
    tail = token[-4:] if len(token) >= 16 else ""
    return f"{prefix}…{tail}"
