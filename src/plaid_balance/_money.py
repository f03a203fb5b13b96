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
