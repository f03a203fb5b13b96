"""``check_funds``, the library's one check path (the CLI's too), with a scripted fake Plaid."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaid_balance._client import PlaidClient
from plaid_balance._json import encode
from plaid_balance._report import FailureReport
from plaid_balance.funds import FundsCheckError, FundsDecision, check_funds
from plaid_balance.history import open_store
from tests.plaid_fakes import FakePlaid, account, balance_body, plaid_error

TOKEN = "access-sandbox-5b2d7f3e-funds-check-token"
CREDS = {
    "client_id": "client-funds",
    "secret": "funds-test-secret-9f8e7d6c",
    "base_url": "http://127.0.0.1:9",
}


def client_for(fake: FakePlaid) -> PlaidClient:
    return PlaidClient(transport=fake.transport(), **CREDS)  # type: ignore[arg-type]


def test_decides_on_the_one_account_it_asked_for() -> None:
    fake = FakePlaid((200, balance_body(account("acc-1", available="125.00"))))
    decision = check_funds(TOKEN, "acc-1", "125.00", "usd", client=client_for(fake))
    assert isinstance(decision, FundsDecision) and decision.passed
    assert decision.figure == Decimal("125.00") and decision.currency == "USD"
    assert fake.bodies()[0]["options"]["account_ids"] == ["acc-1"]


def test_a_plaid_failure_is_returned_not_raised() -> None:
    fake = FakePlaid((400, plaid_error("INVALID_INPUT", "INVALID_ACCOUNT_ID")))
    outcome = check_funds(TOKEN, "acc-9", Decimal(5), client=client_for(fake))
    assert isinstance(outcome, FailureReport) and outcome.error.error_code == "INVALID_ACCOUNT_ID"


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [
        ("1.001", "USD", "AMOUNT_PRECISION"),
        ("5.5", "JPY", "AMOUNT_PRECISION"),
        ("-1", None, "INVALID_AMOUNT"),
        ("١٢٣", None, "INVALID_AMOUNT"),
        (Decimal("NaN"), None, "INVALID_AMOUNT"),
        (Decimal(0), None, "INVALID_AMOUNT"),
        ("5", "US D", "INVALID_CURRENCY"),
    ],
)
def test_what_can_be_judged_before_the_call_is_refused_before_it(
    amount: str | Decimal, currency: str | None, code: str
) -> None:
    fake = FakePlaid((200, balance_body(account("acc-1"))))
    with pytest.raises(FundsCheckError) as raised:
        check_funds(TOKEN, "acc-1", amount, currency, client=client_for(fake))
    assert raised.value.code == code and raised.value.error.error_type == "FUNDS_CHECK_ERROR"
    assert fake.attempts == 0


def test_a_stored_balance_spares_the_call_and_the_client(tmp_path: Path) -> None:
    fake = FakePlaid((200, balance_body(account("acc-1", available="80"))))
    with open_store(f"sqlite:///{tmp_path / 'h.db'}") as store:
        first = check_funds(TOKEN, "acc-1", "50", client=client_for(fake), store=store, save=True)
        assert isinstance(first, FundsDecision) and first.source == "realtime"

        def no_client() -> PlaidClient:
            raise AssertionError("Plaid must not be asked: the stored balance is young enough")

        from datetime import timedelta

        again = check_funds(TOKEN, "acc-1", "50", client=no_client, store=store, max_age=timedelta(minutes=5))
    assert isinstance(again, FundsDecision) and again.source == "stored" and again.passed
    assert fake.attempts == 1


money = st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**15), max_value=10**15).filter(
    lambda d: abs(int(d.as_tuple().exponent)) <= 20
)
amounts = st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("0.0001"), max_value=10**17)


@settings(max_examples=60, deadline=None)
@given(available=money, amount=amounts.filter(lambda d: int(d.as_tuple().exponent) >= -10))
def test_the_shortfall_is_exact_digit_for_digit(available: Decimal, amount: Decimal) -> None:
    body = encode(balance_body(account("acc-1", available=available, currency="BTC")))
    fake = FakePlaid(body)
    decision = check_funds(TOKEN, "acc-1", amount, client=client_for(fake))
    assert isinstance(decision, FundsDecision)
    expected = max(Fraction(0), Fraction(amount) - Fraction(available))
    assert Fraction(decision.shortfall) == expected
    assert decision.passed == (Fraction(available) >= Fraction(amount))
    assert Fraction(decision.figure) == Fraction(available) and str(decision.figure) == str(available)
