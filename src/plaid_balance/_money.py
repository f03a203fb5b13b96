"""Exact arithmetic on money: sums and differences that never round, at any size Plaid can send.

Python's default decimal context keeps 28 significant digits, so ``12345678901.123456789012345678 + 1``
silently loses digits. These helpers compute in a context wide enough for any operand and trap
``Inexact``, so a result is either exact or an error, never quietly rounded.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from decimal import Decimal
from typing import Final

EXACT: Final = decimal.Context(
    prec=decimal.MAX_PREC,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[decimal.Inexact, decimal.Rounded, decimal.InvalidOperation, decimal.Overflow],
)
ZERO: Final = Decimal(0)


def exact_sum(values: Iterable[Decimal], start: Decimal = ZERO) -> Decimal:
    total = start
    for value in values:
        total = EXACT.add(total, value)
    return total


def exact_sub(a: Decimal, b: Decimal) -> Decimal:
    return EXACT.subtract(a, b)


def money_text(value: Decimal) -> str:
    """Every digit of ``value``, with thousands separators; two decimals when that changes no digit.

    ``1234.5`` → ``1,234.50``; ``0.125`` → ``0.125``; 40 digits stay 40 digits. Never touches the
    decimal context (``quantize`` would raise beyond its 28 digits, so no table could show them).
    """
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):  # NaN or infinity: nothing Plaid sends, shown as it is
        return str(value)
    written = "".join(map(str, value.as_tuple().digits))
    decimals = max(-exponent - (len(written) - len(written.rstrip("0"))), 0) if written.strip("0") else 0
    return f"{value:,.2f}" if decimals <= 2 else f"{value:,f}"
