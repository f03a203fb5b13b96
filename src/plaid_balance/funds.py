"""The sufficient-funds check: can this account cover this amount, right now?

The decision uses the balance Plaid's guidance says to use (docs/funds-check.md):

* **available** whenever Plaid gives it (for credit accounts it is the remaining credit);
* **current**, for depository accounts only, when available is null: Plaid says not every institution
  computes available, and for depository accounts current is the ledger balance;
* **limit − current**, for credit accounts only, when available is null and both are known;
* nothing else: loans, investments without an available balance, or an account with neither figure
  cannot be decided and raise ``FundsCheckError`` (never a pass).

A balance older than ``max_age`` or the ``--min-last-updated`` floor is reported as stale and does not
pass. For ACH debits Plaid now recommends ``/signal/evaluate`` with a Balance-only ruleset instead.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Final, Literal

import msgspec

from plaid_balance._error_body import FUNDS_CHECK_ERROR, ErrorBody
from plaid_balance._errors import PlaidBalanceError
from plaid_balance._money import ZERO, exact_sub
from plaid_balance._report import AccountReport, BalanceReport, FailureReport, utc_now
from plaid_balance.history.freshness import balance_age, staleness

if TYPE_CHECKING:
    from plaid_balance._client import PlaidClient
    from plaid_balance.history.store import HistoryStore

BalanceUsed = Literal["available", "current", "limit_minus_current"]
Decision = Literal["pass", "fail"]
ReasonCode = Literal["covered", "insufficient", "stale_balance"]

_AMOUNT: Final = re.compile(r"^\d{1,18}(?:\.\d{1,10})?$")
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


class FundsCheckError(PlaidBalanceError):
    """The check cannot decide (no usable balance, currency mismatch, bad amount): never a pass."""

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
    """A strictly positive plain decimal: ``125``, ``125.00``. Rejects ``1e3``, ``NaN``, signs, commas, 0."""
    value = text.strip()
    if not _AMOUNT.match(value):
        raise ValueError(
            f"{text!r} is not an amount: write digits with an optional decimal point, like 125 or 125.00"
        )
    try:
        amount = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise ValueError(f"{text!r} is not an amount") from None
    if amount <= 0:
        raise ValueError(f"the amount must be more than zero, not {text!r}")
    return amount


def check_precision(amount: Decimal, currency: str) -> None:
    allowed = minor_units(currency)
    exponent = amount.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if allowed is not None and decimals > allowed:
        raise FundsCheckError(
            "AMOUNT_PRECISION", f"{amount} has {decimals} decimals; {currency.upper()} allows {allowed}"
        )


class FundsDecision(msgspec.Struct, frozen=True, kw_only=True):
    """The check's answer, with the reason and the figures it used (printed as the JSON contract)."""

    success: Literal[True] = True
    decision: Decision
    sufficient: bool
    reason: str
    reason_code: ReasonCode
    amount: Decimal
    currency: str
    balance_used: BalanceUsed
    figure: Decimal
    shortfall: Decimal
    stale: bool = False
    account: AccountReport
    item_id: str | None = None
    request_id: str | None = None
    environment: str | None = None
    retrieved_at: datetime | None = None
    source: str | None = None
    age_seconds: float | None = None

    @property
    def passed(self) -> bool:
        return self.decision == "pass"


def _fmt(value: Decimal, currency: str) -> str:
    return f"{value} {currency}"


def _figure(account: AccountReport, currency: str) -> tuple[BalanceUsed, Decimal, str]:
    """The balance to compare with, which one it is, and how it was chosen (for the reason)."""
    if account.available_balance is not None:
        label = "available credit" if account.type == "credit" else "available balance"
        return "available", account.available_balance, f"{label} {_fmt(account.available_balance, currency)}"
    if account.type == "depository":
        if account.current_balance is not None:
            return (
                "current",
                account.current_balance,
                "available balance is null, so (as Plaid allows for depository accounts) current balance "
                + _fmt(account.current_balance, currency),
            )
        raise FundsCheckError(
            "BALANCE_UNAVAILABLE",
            f"account {account.account_id} has neither an available nor a current balance",
        )
    if account.type == "credit":
        if account.limit is not None and account.current_balance is not None:
            figure = exact_sub(account.limit, account.current_balance)
            return (
                "limit_minus_current",
                figure,
                f"available credit is null, so limit {account.limit} − owed {account.current_balance} = "
                + _fmt(figure, currency),
            )
        raise FundsCheckError(
            "BALANCE_UNAVAILABLE",
            f"credit account {account.account_id} has no available credit and no limit and current to derive it",
        )
    raise FundsCheckError(
        "BALANCE_UNAVAILABLE",
        f"{account.type} account {account.account_id} has no available balance; its current balance is not "
        "spendable money, so the check cannot decide",
    )


def decide(
    account: AccountReport,
    amount: Decimal,
    currency: str | None = None,
    *,
    stale_reason: str | None = None,
) -> FundsDecision:
    """Pure decision on one account's balances. Equal to the amount passes. Raises ``FundsCheckError``."""
    if not amount.is_finite() or amount <= 0:
        raise FundsCheckError("INVALID_AMOUNT", f"the amount must be a positive number, not {amount}")
    if account.currency is None:
        raise FundsCheckError("NO_CURRENCY", f"account {account.account_id} reports no currency")
    account_currency = account.currency.upper()
    if currency is not None and currency.strip().upper() != account_currency:
        raise FundsCheckError(
            "CURRENCY_MISMATCH",
            f"the amount is in {currency.strip().upper()} but account {account.account_id} is in "
            f"{account_currency}; no conversion is made",
        )
    check_precision(amount, account_currency)
    balance_used, figure, how = _figure(account, account_currency)
    sufficient = figure >= amount
    shortfall = max(ZERO, exact_sub(amount, figure))
    if stale_reason is not None:
        decision: Decision = "fail"
        code: ReasonCode = "stale_balance"
        reason = f"stale balance: {stale_reason}; not trusted for a pass ({how})"
    elif sufficient:
        decision, code = "pass", "covered"
        reason = f"{how} covers {_fmt(amount, account_currency)}"
    else:
        decision, code = "fail", "insufficient"
        reason = f"{how} is {_fmt(shortfall, account_currency)} short of {_fmt(amount, account_currency)}"
    return FundsDecision(
        decision=decision,
        sufficient=sufficient,
        reason=reason,
        reason_code=code,
        amount=amount,
        currency=account_currency,
        balance_used=balance_used,
        figure=figure,
        shortfall=shortfall,
        stale=stale_reason is not None,
        account=account,
    )


def decide_report(
    report: BalanceReport,
    account_id: str,
    amount: Decimal,
    currency: str | None = None,
    *,
    max_age: timedelta | None = None,
    floor: datetime | None = None,
    now: datetime | None = None,
) -> FundsDecision:
    """``decide`` on one account of a report, with the report's provenance and freshness attached."""
    account = next((a for a in report.accounts if a.account_id == account_id), None)
    if account is None:
        raise FundsCheckError("ACCOUNT_NOT_FOUND", f"account {account_id} is not in the Item's answer")
    now = now or utc_now()
    stale = staleness(account, report, max_age=max_age, floor=floor, now=now)
    decision = decide(account, amount, currency, stale_reason=stale)
    age = report.age_seconds
    if age is None:
        age = balance_age(account, report, now).total_seconds()
    return msgspec.structs.replace(
        decision,
        item_id=report.item_id,
        request_id=report.request_id,
        environment=report.environment,
        retrieved_at=report.retrieved_at,
        source=report.source,
        age_seconds=round(age, 3),
    )


def fetch_for_check(
    client: PlaidClient | None,
    access_token: str,
    account_id: str,
    *,
    min_last_updated_datetime: datetime | None = None,
    max_age: timedelta | None = None,
    store: HistoryStore | None = None,
    save: bool = False,
) -> BalanceReport | FailureReport:
    """The report the check decides on: a stored one younger than ``max_age`` if any, else Plaid's.

    Only the one account is requested (``options.account_ids``), so a stored snapshot of that account
    alone is enough and a fetched one is saved as such.
    """
    from plaid_balance._fetch import fetch_report

    def fetch() -> BalanceReport | FailureReport:
        if client is None:
            raise ValueError("no stored balance is recent enough and no Plaid client was given")
        return fetch_report(
            client,
            access_token,
            account_ids=[account_id],
            min_last_updated_datetime=min_last_updated_datetime,
        )

    from plaid_balance.history.recall import fetch_or_recall

    return fetch_or_recall(store, access_token, fetch, max_age=max_age, save=save, account_ids=[account_id])


def check_funds(
    client: PlaidClient | None,
    access_token: str,
    account_id: str,
    amount: Decimal | str,
    currency: str | None = None,
    *,
    min_last_updated_datetime: datetime | None = None,
    max_age: timedelta | None = None,
    store: HistoryStore | None = None,
    save: bool = False,
) -> FundsDecision | FailureReport:
    """Fetch (or reuse, with ``store`` and ``max_age``) the account's balance and decide.

    Returns the decision, or the ``FailureReport`` when Plaid or the network failed. Raises
    ``FundsCheckError`` when the balance cannot decide, and ``ValueError`` for a malformed amount.
    """
    value = parse_amount(amount) if isinstance(amount, str) else amount
    report = fetch_for_check(
        client,
        access_token,
        account_id,
        min_last_updated_datetime=min_last_updated_datetime,
        max_age=max_age,
        store=store,
        save=save,
    )
    if isinstance(report, FailureReport):
        return report
    return decide_report(
        report, account_id, value, currency, max_age=max_age, floor=min_last_updated_datetime
    )
