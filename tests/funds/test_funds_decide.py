"""The pure decision on every balance shape, amount parsing and freshness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from plaid_balance._report import AccountReport, BalanceReport
from plaid_balance.funds import FundsCheckError, decide, decide_report, parse_amount

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def acct(
    *,
    available: str | None = "100",
    current: str | None = "110",
    limit: str | None = None,
    type_: str = "depository",
    currency: str | None = "USD",
    last_updated: datetime | None = None,
) -> AccountReport:
    return AccountReport(
        account_id="acc-1",
        name="Account",
        type=type_,
        subtype=None,
        mask="0000",
        available_balance=None if available is None else Decimal(available),
        current_balance=None if current is None else Decimal(current),
        limit=None if limit is None else Decimal(limit),
        currency=currency,
        last_updated_datetime=last_updated,
    )


def test_available_present_decides() -> None:
    ok = decide(acct(), Decimal("99.99"))
    assert (ok.decision, ok.sufficient, ok.balance_used, ok.figure) == (
        "pass",
        True,
        "available",
        Decimal(100),
    )
    short = decide(acct(), Decimal("125.00"))
    assert (short.decision, short.sufficient, short.shortfall) == ("fail", False, Decimal("25.00"))
    assert "short" in short.reason and short.reason_code == "insufficient"


def test_exactly_equal_amount_passes() -> None:
    assert decide(acct(available="125.00"), Decimal("125")).decision == "pass"
    assert decide(acct(available="0.10"), Decimal("0.1")).decision == "pass"


def test_available_is_used_even_when_current_is_larger() -> None:
    assert decide(acct(available="10", current="1000"), Decimal("11")).decision == "fail"


def test_null_available_on_depository_falls_back_to_current() -> None:
    d = decide(acct(available=None, current="1000"), Decimal("1000"))
    assert (d.decision, d.balance_used, d.figure) == ("pass", "current", Decimal(1000))
    assert "current" in d.reason


def test_credit_uses_available_credit() -> None:
    d = decide(acct(type_="credit", available="4980", current="5020", limit="10000"), Decimal("5000"))
    assert (d.decision, d.balance_used, d.figure) == ("fail", "available", Decimal(4980))


def test_credit_without_available_uses_limit_minus_current_never_current() -> None:
    d = decide(acct(type_="credit", available=None, current="410", limit="2000"), Decimal("1590"))
    assert (d.decision, d.balance_used, d.figure) == ("pass", "limit_minus_current", Decimal(1590))
    assert (
        decide(acct(type_="credit", available=None, current="410", limit="2000"), Decimal("1590.01")).decision
        == "fail"
    )
    with pytest.raises(FundsCheckError) as info:
        decide(acct(type_="credit", available=None, current="410", limit=None), Decimal("1"))
    assert info.value.code == "BALANCE_UNAVAILABLE"


@pytest.mark.parametrize(
    "account",
    [
        acct(available=None, current=None),
        acct(type_="investment", available=None, current="320.76"),
        acct(type_="loan", available=None, current="65262"),
    ],
)
def test_balances_that_cannot_decide_are_errors(account: AccountReport) -> None:
    with pytest.raises(FundsCheckError) as info:
        decide(account, Decimal("1"))
    assert info.value.code == "BALANCE_UNAVAILABLE"


def test_currency_mismatch_and_missing_currency_are_errors() -> None:
    with pytest.raises(FundsCheckError) as info:
        decide(acct(currency="EUR"), Decimal("1"), "USD")
    assert info.value.code == "CURRENCY_MISMATCH"
    with pytest.raises(FundsCheckError) as info:
        decide(acct(currency=None), Decimal("1"))
    assert info.value.code == "NO_CURRENCY"
    assert decide(acct(currency="EUR"), Decimal("1"), "eur").currency == "EUR"


def test_amount_precision_follows_the_currency() -> None:
    with pytest.raises(FundsCheckError) as info:
        decide(acct(), Decimal("1.001"), "USD")
    assert info.value.code == "AMOUNT_PRECISION"
    with pytest.raises(FundsCheckError):
        decide(acct(currency="JPY"), Decimal("1.5"))
    assert decide(acct(currency="KWD", available="5"), Decimal("1.125")).decision == "pass"
    assert decide(acct(currency="BTC", available="1"), Decimal("0.00012345")).decision == "pass"


@pytest.mark.parametrize("text", ["125", "125.00", "0.01", " 7 ", "123456789012.1234567891"])
def test_parse_amount_accepts_plain_decimals(text: str) -> None:
    assert parse_amount(text) == Decimal(text.strip())


@pytest.mark.parametrize(
    "text",
    ["1e3", "NaN", "Infinity", "-5", "+5", "0", "0.00", "1,000", ".5", "5.", "", "abc", "1.12345678901"],
)
def test_parse_amount_rejects_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match=r"amount|more than zero"):
        parse_amount(text)


def _report(account: AccountReport, retrieved_at: datetime = NOW, source: str = "realtime") -> BalanceReport:
    return BalanceReport.build(
        [account],
        item_id="item-1",
        institution_id="ins_128026",
        environment="sandbox",
        retrieved_at=retrieved_at,
        source=source,  # type: ignore[arg-type]
    )


def test_stale_balance_does_not_pass() -> None:
    old = acct(available="500", last_updated=NOW - timedelta(days=3))
    d = decide_report(_report(old), "acc-1", Decimal("10"), max_age=timedelta(hours=1), now=NOW)
    assert (d.decision, d.sufficient, d.stale, d.reason_code) == ("fail", True, True, "stale_balance")
    assert "stale" in d.reason and d.age_seconds == pytest.approx(3 * 86400)
    floored = decide_report(_report(old), "acc-1", Decimal("10"), floor=NOW - timedelta(days=1), now=NOW)
    assert floored.stale and "min-last-updated" in floored.reason
    fresh = decide_report(_report(old), "acc-1", Decimal("10"), floor=NOW - timedelta(days=5), now=NOW)
    assert (fresh.decision, fresh.stale) == ("pass", False)


def test_decide_report_attaches_provenance_and_finds_the_account() -> None:
    d = decide_report(_report(acct()), "acc-1", Decimal("1"), now=NOW + timedelta(seconds=30))
    assert (d.item_id, d.source, d.retrieved_at, d.age_seconds) == ("item-1", "realtime", NOW, 30.0)
    with pytest.raises(FundsCheckError) as info:
        decide_report(_report(acct()), "acc-2", Decimal("1"))
    assert info.value.code == "ACCOUNT_NOT_FOUND"
