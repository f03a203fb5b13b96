"""The balance report: exact totals at any size, and the JSON contract digit for digit."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from plaid_balance import AccountReport, BalanceReport
from plaid_balance._json import decode, dumps
from plaid_balance.models import AccountsGetResponse
from tests.plaid_fakes import account, balance_body, report_of

# Any amount a JSON double can carry, written with any number of digits and any scale.
AMOUNTS = st.decimals(allow_nan=False, allow_infinity=False).filter(lambda d: abs(d.adjusted()) <= 300)
BALANCES = st.none() | AMOUNTS
KINDS = st.sampled_from([("depository", "checking"), ("credit", "credit card"), ("loan", "mortgage")])


def _account(i: int, current: Decimal | None, kind: tuple[str, str], currency: str) -> AccountReport:
    return AccountReport(
        account_id=f"a{i}",
        name="x",
        type=kind[0],
        subtype=kind[1],
        mask=None,
        current_balance=current,
        available_balance=None,
        currency=currency,
    )


@given(st.lists(st.tuples(BALANCES, KINDS), max_size=12))
def test_totals_are_exact(rows: list[tuple[Decimal | None, tuple[str, str]]]) -> None:
    accounts = [_account(i, current, kind, "USD") for i, (current, kind) in enumerate(rows)]
    report = BalanceReport.build(
        accounts,
        item_id="i",
        institution_id=None,
        environment="sandbox",
        retrieved_at=report_of().retrieved_at,
    )
    known = [(c, k) for c, k in rows if c is not None]
    assert report.total_balance is not None
    assert Fraction(report.total_balance) == sum((Fraction(c) for c, _ in known), Fraction(0))
    if known:
        totals = report.totals["USD"]
        assets = sum((Fraction(c) for c, k in known if k[0] == "depository"), Fraction(0))
        owed = sum((Fraction(c) for c, k in known if k[0] != "depository"), Fraction(0))
        assert (Fraction(totals.assets), Fraction(totals.liabilities)) == (assets, owed)
        assert Fraction(totals.net) == assets - owed


def test_the_28_digit_context_is_not_used() -> None:
    big = Decimal("12345678901.123456789012345678")
    report = report_of(account("a1", current=big), account("a2", current=Decimal(1)))
    assert report.total_balance == Decimal("12345678902.123456789012345678")


@given(st.lists(st.tuples(BALANCES, BALANCES), min_size=1, max_size=5))
def test_amounts_come_back_digit_for_digit(rows: list[tuple[Decimal | None, Decimal | None]]) -> None:
    payload = balance_body(*(account(f"a{i}", current=c, available=a) for i, (c, a) in enumerate(rows)))
    text = dumps(payload, indent=None)
    report = BalanceReport.from_plaid(decode(text, AccountsGetResponse), environment="sandbox")
    written = json.loads(dumps(report), parse_float=Decimal, parse_int=Decimal)
    for got, sent in zip(written["accounts"], rows, strict=True):
        for key, value in zip(("current_balance", "available_balance"), sent, strict=True):
            assert (got[key] is None) == (value is None)
            if value is not None:
                assert got[key].as_tuple() == value.as_tuple()
