"""The amount a funds check is asked about: read strictly, and held to its currency's minor units.

Judged before any call: an amount that could never be checked (not a plain positive decimal, more
decimals than its currency has) is refused before Plaid is asked, and billed, for a balance.
"""

from __future__ import annotations

import functools
import importlib.util
from decimal import Decimal
from pathlib import Path
from xml.parsers import expat

from plaid_balance._error_body import funds_check_failure
from plaid_balance._errors import InvalidValue
from plaid_balance._parse import parse_amount as parse_plain_amount
from plaid_balance._parse import parse_currency as parse_currency_code


def minor_units(currency: str) -> int | None:
    """Decimals ISO 4217 allows the currency (2 for USD, 0 for JPY, 3 for KWD); None (no limit) for codes
    ISO does not list (Plaid's unofficial codes, e.g. crypto) or gives no minor unit (gold, XDR)."""
    return _iso_minor_units().get(currency.upper())


@functools.cache
def _iso_minor_units() -> dict[str, int | None]:
    """ISO's own table as the iso4217 package ships it (decision 62), read without importing the package:
    its import builds an enum of every currency and costs about 45 ms, a third of a whole ``check``.
    The XML is read by expat as it streams (no tree is needed for one flat table, and ElementTree's
    import alone costs more than the parse). A test holds this reading to the package's own, so an
    upgrade that moves or reshapes the table fails there, not here."""
    spec = importlib.util.find_spec("iso4217")
    folders = spec.submodule_search_locations if spec is not None else None
    if not folders:  # pragma: no cover - iso4217 is a dependency; an install without it is broken
        raise ImportError("the iso4217 package is missing: reinstall plaid-balance")
    table: dict[str, int | None] = {}
    entry: dict[str, str] = {}  # the current <CcyNtry>'s fields
    text: list[str] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        text.clear()

    def end(name: str) -> None:
        if name != "CcyNtry":
            entry[name] = "".join(text).strip()
            return
        code, units = entry.get("Ccy", ""), entry.get("CcyMnrUnts", "")
        if code:  # an entry without a currency (Antarctica) has none; "N.A." (gold, XDR) no minor unit
            table[code] = int(units) if units.isdigit() else None
        entry.clear()

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text.append
    parser.Parse((Path(next(iter(folders))) / "table.xml").read_bytes(), True)
    return table


def parse_amount(text: str) -> Decimal:
    """A strictly positive plain decimal (``125``, ``125.00``), by the one amount rule
    (``plaid_balance._parse.parse_amount``). Raises ``FundsCheckError`` (``INVALID_AMOUNT``)."""
    try:
        return parse_plain_amount(text)
    except InvalidValue as exc:
        raise funds_check_failure("INVALID_AMOUNT", str(exc)) from None


def parse_currency(text: str) -> str:
    """An upper-case currency code, by the one currency rule (``plaid_balance._parse.parse_currency``)."""
    try:
        return parse_currency_code(text)
    except InvalidValue as exc:
        raise funds_check_failure("INVALID_CURRENCY", str(exc)) from None


def check_amount(amount: Decimal, currency: str | None = None) -> None:
    """Everything about the amount that can be judged before the balance is known (raises)."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise funds_check_failure("INVALID_AMOUNT", f"the amount must be a positive number, not {amount}")
    if currency is not None:
        check_precision(amount, currency)


def check_precision(amount: Decimal, currency: str) -> None:
    allowed = minor_units(currency)
    exponent = amount.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if allowed is not None and decimals > allowed:
        raise funds_check_failure(
            "AMOUNT_PRECISION", f"{amount} has {decimals} decimals; {currency.upper()} allows {allowed}"
        )
