"""The values only a watch config holds: percentages and listen addresses.

Durations, amounts and currencies are the vocabulary's (``plaid_balance._parse``), read as from the
command line. Each parser raises ``ValueError`` with a message meant to follow the key's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from plaid_balance import _parse
from plaid_balance._errors import InvalidValue
from plaid_balance._loopback import is_loopback


def parse_percent(value: Any) -> Decimal:
    text = _parse.input_text(value, "a percentage between 0 and 100")
    try:
        share = _parse.parse_amount(text.rstrip().removesuffix("%"), sign="not_negative")
    except InvalidValue:
        share = Decimal(-1)
    if not Decimal(0) <= share <= Decimal(100):
        raise ValueError(f"{value!r} is not a percentage between 0 and 100")
    return share


@dataclass(frozen=True, slots=True)
class ListenAddress:
    host: str
    port: int

    @property
    def is_loopback(self) -> bool:
        return is_loopback(self.host)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_listen(value: Any) -> ListenAddress:
    """``127.0.0.1:8787``, ``[::1]:8787``, ``0.0.0.0:8787`` (port 0: any free port)."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an address like 127.0.0.1:8787")
    host, sep, port_text = value.strip().rpartition(":")
    host = host.strip("[]")
    try:
        port = _parse.parse_integer(port_text, minimum=0, maximum=65535)
    except ValueError:
        port = -1
    if not sep or not host or port < 0:
        raise ValueError(f"{value!r} is not an address like 127.0.0.1:8787")
    return ListenAddress(host, port)
