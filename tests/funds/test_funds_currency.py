"""Currency minor units: ISO 4217's table, the same one the emulator uses to tell ISO codes from others."""

from __future__ import annotations

import string
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaid_balance.emulator.sandbox_data import iso_currencies
from plaid_balance.emulator.user_custom import parse_user_custom
from plaid_balance.funds import FundsCheckError, check_amount, minor_units

ISO_CODES = sorted(iso_currencies())
not_iso = st.text(string.ascii_uppercase + string.digits, min_size=3, max_size=10).filter(
    lambda code: code not in iso_currencies()
)


@pytest.mark.parametrize(
    ("code", "units"),
    [("USD", 2), ("eur", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3), ("CLF", 4), ("XAU", None)],
)
def test_minor_units_are_iso_4217s(code: str, units: int | None) -> None:
    assert minor_units(code) == units


def test_the_table_is_the_iso4217_packages_own() -> None:
    """The funds check reads the package's XML itself (to skip its 45 ms import): same answer for every
    code the package knows, and no code it does not."""
    import iso4217

    expected = {currency.code: currency.exponent for currency in iso4217.Currency}
    assert {code: minor_units(code) for code in expected} == expected
    assert len(expected) > 150


def with_decimals(whole: int, decimals: int) -> Decimal:
    return Decimal(f"{whole}.{'7' * decimals}") if decimals else Decimal(whole)


@given(code=st.sampled_from(ISO_CODES), whole=st.integers(0, 10**12), lower=st.booleans())
def test_an_iso_amount_may_have_its_minor_units_and_not_one_more(code: str, whole: int, lower: bool) -> None:
    units = minor_units(code)
    given_code = code.lower() if lower else code
    if units is None:  # ISO gives no minor unit (precious metals, SDR): any precision the parser takes
        check_amount(with_decimals(whole + 1, 10), given_code)
        return
    check_amount(with_decimals(whole + 1, units), given_code)
    with pytest.raises(FundsCheckError) as info:
        check_amount(with_decimals(whole, units + 1), given_code)
    assert info.value.code == "AMOUNT_PRECISION"
    assert f"{code} allows {units}" in info.value.message


@given(code=not_iso, decimals=st.integers(0, 10))
def test_codes_iso_does_not_list_take_any_precision(code: str, decimals: int) -> None:
    assert minor_units(code) is None
    check_amount(with_decimals(1, decimals), code)


@given(code=st.one_of(st.sampled_from(ISO_CODES), not_iso))
def test_the_emulator_and_the_funds_check_read_one_table(code: str) -> None:
    """A code with minor units in the funds check is ISO in the emulator; an unknown one is unofficial."""
    (account,) = parse_user_custom(
        {
            "override_accounts": [
                {"type": "depository", "subtype": "checking", "starting_balance": 1, "currency": code}
            ]
        }
    )
    if code in ISO_CODES:
        assert (account.iso_currency_code, account.unofficial_currency_code) == (code, None)
    else:
        assert (account.iso_currency_code, account.unofficial_currency_code) == (None, code)
        assert minor_units(code) is None
    if minor_units(code) is not None:
        assert account.iso_currency_code == code
