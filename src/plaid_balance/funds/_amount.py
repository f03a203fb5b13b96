"""The amount a funds check is asked about: read strictly, and held to its currency's minor units.

Judged before any call: an amount that could never be checked (not a plain positive decimal, more
decimals than its currency has) is refused before Plaid is asked, and billed, for a balance.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Final

from plaid_balance._error_body import FUNDS_CHECK_ERROR, ErrorBody
from plaid_balance._errors import PlaidBalanceError

# ASCII digits only: ``\d`` would also take other scripts' digits, which Decimal reads as numbers.
_AMOUNT: Final = re.compile(r"[0-9]{1,18}(?:\.[0-9]{1,10})?", re.ASCII)
# ISO 4217 minor units where they are not 2; codes listed in _TWO_DECIMALS are known to use 2.
_MINOR_UNITS: Final = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}
_TWO_DECIMALS: Final = frozenset(
    [
        "AED",
        "ARS",
        "AUD",
        "BDT",
        "BGN",
        "BRL",
        "CAD",
        "CHF",
        "CNY",
        "COP",
        "CZK",
        "DKK",
        "EGP",
        "EUR",
        "GBP",
        "GHS",
        "HKD",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "KES",
        "MAD",
        "MXN",
        "MYR",
        "NGN",
        "NOK",
        "NZD",
        "PEN",
        "PHP",
        "PKR",
        "PLN",
        "RON",
        "RSD",
        "RUB",
        "SAR",
        "SEK",
        "SGD",
        "THB",
        "TRY",
        "TWD",
        "UAH",
        "USD",
        "ZAR",
    ]
)
_CURRENCY: Final = re.compile(r"[A-Z0-9]{3,10}", re.ASCII)


class FundsCheckError(PlaidBalanceError, ValueError):
    """The check cannot decide (bad amount, no usable balance, currency mismatch): never a pass.

    ``error`` is the failure as every other one is reported (``error_type: FUNDS_CHECK_ERROR``).
    """

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        self.error = ErrorBody(error_type=FUNDS_CHECK_ERROR, error_code=code, error_message=message)
        super().__init__(f"{code}: {message}")


def minor_units(currency: str) -> int | None:
    """Decimals the currency allows, for ISO codes we know; None (no limit) for others (e.g. crypto)."""
    code = currency.upper()
    if code in _MINOR_UNITS:
        return _MINOR_UNITS[code]
    return 2 if code in _TWO_DECIMALS else None


def parse_amount(text: str) -> Decimal:
    """A strictly positive plain decimal: ``125``, ``125.00``. Rejects ``1e3``, ``NaN``, signs, commas, 0,
    and digits of other scripts. Raises ``FundsCheckError`` (``INVALID_AMOUNT``), a ``ValueError`` too."""
    value = text.strip()
    if not _AMOUNT.fullmatch(value):
        raise FundsCheckError(
            "INVALID_AMOUNT",
            f"{text!r} is not an amount: write digits with an optional decimal point, like 125 or 125.00",
        )
    try:
        amount = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise FundsCheckError("INVALID_AMOUNT", f"{text!r} is not an amount") from None
    if amount <= 0:
        raise FundsCheckError("INVALID_AMOUNT", f"the amount must be more than zero, not {text!r}")
    return amount


def parse_currency(text: str) -> str:
    """An upper-case currency code like USD (3 to 10 ASCII letters or digits, for unofficial codes too)."""
    code = text.strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise FundsCheckError("INVALID_CURRENCY", f"{text!r} is not a currency code like USD")
    return code


def check_amount(amount: Decimal, currency: str | None = None) -> None:
    """Everything about the amount that can be judged before the balance is known (raises)."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise FundsCheckError("INVALID_AMOUNT", f"the amount must be a positive number, not {amount}")
    if currency is not None:
        check_precision(amount, currency)


def check_precision(amount: Decimal, currency: str) -> None:
    allowed = minor_units(currency)
    exponent = amount.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if allowed is not None and decimals > allowed:
        raise FundsCheckError(
            "AMOUNT_PRECISION", f"{amount} has {decimals} decimals; {currency.upper()} allows {allowed}"
        )
