"""Parsing the values a watch config holds: durations, money amounts, percentages, listen addresses.

Each parser raises ``ValueError`` with a message meant to follow the key's name in one error line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from plaid_balance import _parse

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)", re.ASCII)
_CURRENCY = re.compile(r"^[A-Z][A-Z0-9]{2,7}$")  # ISO 4217, or Plaid's unofficial codes (BTC, DOGE)


def parse_duration(value: Any) -> timedelta:
    """``90s``, ``15m``, ``12h``, ``2d`` or ``1w``: the CLI's one duration validator, zero refused."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a duration like 90s, 15m, 12h, 2d or 1w")
    return _parse.parse_duration(value, allow_zero=False)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount, with the currency it is in when the config says so."""

    amount: Decimal
    currency: str | None

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}" if self.currency else str(self.amount)


def parse_money(value: Any) -> Money:
    """``100``, ``"100.50"`` or ``"100.50 USD"``; TOML floats arrive as ``Decimal`` (parsed exactly)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount")
    if isinstance(value, int | Decimal):
        amount, currency = Decimal(value), None
    elif isinstance(value, str):
        parts = value.split()
        if len(parts) not in {1, 2}:
            raise ValueError(f'{value!r} is not an amount like 100, "100.50" or "100.50 USD"')
        try:
            # ASCII digits only: Decimal() alone would take other scripts' digits (١٠٠) as a number.
            if not _PLAIN_NUMBER.fullmatch(parts[0]):
                raise InvalidOperation
            amount = Decimal(parts[0].replace("_", ""))
        except InvalidOperation:
            raise ValueError(f'{value!r} is not an amount like 100, "100.50" or "100.50 USD"') from None
        currency = parts[1] if len(parts) == 2 else None
        if currency is not None and not _CURRENCY.match(currency):
            raise ValueError(f"{currency!r} is not a currency code like USD")
    else:
        raise ValueError(f"{value!r} is not an amount")
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    return Money(amount, currency)


def parse_currency(value: Any) -> str:
    if not isinstance(value, str) or not _CURRENCY.match(value):
        raise ValueError(f"{value!r} is not a currency code like USD")
    return value


def parse_percent(value: Any) -> Decimal:
    money = parse_money(value.rstrip("%").strip() if isinstance(value, str) else value)
    if money.currency is not None or not Decimal(0) <= money.amount <= Decimal(100):
        raise ValueError(f"{value!r} is not a percentage between 0 and 100")
    return money.amount


def parse_count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a whole number of calls (0 or more)")
    return value


@dataclass(frozen=True, slots=True)
class ListenAddress:
    host: str
    port: int

    @property
    def is_loopback(self) -> bool:
        import ipaddress

        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host.strip("[]")).is_loopback
        except ValueError:
            return False

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
