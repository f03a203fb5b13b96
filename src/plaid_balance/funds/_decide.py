"""The decision: which balance answers the question, and whether it covers the amount (pure, no I/O)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

import msgspec

from plaid_balance._error_body import Verdict, funds_check_failure
from plaid_balance._money import ZERO, exact_sub
from plaid_balance._report import AccountReport, BalanceReport, utc_now
from plaid_balance.funds._amount import check_amount, check_precision
from plaid_balance.history.freshness import balance_age, staleness

BalanceUsed = Literal["available", "current", "limit_minus_current"]
Decision = Literal["pass", "fail"]
ReasonCode = Literal["covered", "insufficient", "stale_balance"]


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

    @property
    def verdict(self) -> Verdict:
        return "ok" if self.passed else "declined"


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
        raise funds_check_failure(
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
        raise funds_check_failure(
            "BALANCE_UNAVAILABLE",
            f"credit account {account.account_id} has no available credit and no limit and current to derive it",
        )
    raise funds_check_failure(
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
    check_amount(amount)
    if account.currency is None:
        raise funds_check_failure("NO_CURRENCY", f"account {account.account_id} reports no currency")
    account_currency = account.currency.upper()
    if currency is not None and currency.strip().upper() != account_currency:
        raise funds_check_failure(
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
        raise funds_check_failure("ACCOUNT_NOT_FOUND", f"account {account_id} is not in the Item's answer")
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
