"""The balance report: the JSON contract, built from Plaid's answer.

Contract fields (in this order): ``success``, ``item_id``, ``institution_id``, ``accounts[]``,
``total_balance``, ``account_count``. Everything after them is additive. Sums are exact ``Decimal``s and
are never taken across currencies. A failure is a report too: ``FailureReport`` with an ``ErrorBody``.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

import msgspec

from plaid_balance._error_body import ErrorBody, Verdict
from plaid_balance._errors import PlaidFailure
from plaid_balance._money import ZERO, exact_sub, exact_sum
from plaid_balance.models import LIABILITY_TYPES, AccountBase, AccountsGetResponse

Source = Literal["realtime", "cached", "stored"]


class AccountReport(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    name: str
    type: str
    subtype: str | None
    mask: str | None
    current_balance: Decimal | None
    available_balance: Decimal | None
    currency: str | None
    official_name: str | None = None
    limit: Decimal | None = None
    last_updated_datetime: datetime | None = None

    @property
    def is_liability(self) -> bool:
        return self.type in LIABILITY_TYPES

    @classmethod
    def from_plaid(cls, account: AccountBase) -> "AccountReport":
        b = account.balances
        return cls(
            account_id=account.account_id,
            name=account.name,
            type=account.type,
            subtype=account.subtype,
            mask=account.mask,
            current_balance=b.current,
            available_balance=b.available,
            currency=b.currency,
            official_name=account.official_name,
            limit=b.limit,
            last_updated_datetime=b.last_updated_datetime,
        )


class CurrencyTotals(msgspec.Struct, frozen=True, kw_only=True):
    """Per currency: what is owned, what is owed (credit and loan ``current``), and the difference."""

    assets: Decimal = ZERO
    liabilities: Decimal = ZERO
    net: Decimal = ZERO


def currency_totals(accounts: Iterable[AccountReport]) -> dict[str, CurrencyTotals]:
    """Exact totals per currency; accounts with a null ``current`` or no currency add nothing."""
    assets: dict[str, list[Decimal]] = {}
    liabilities: dict[str, list[Decimal]] = {}
    for account in accounts:
        if account.currency is None or account.current_balance is None:
            continue
        target = liabilities if account.is_liability else assets
        target.setdefault(account.currency, []).append(account.current_balance)
    totals = {}
    for code in sorted(set(assets) | set(liabilities)):
        owned, owed = exact_sum(assets.get(code, ())), exact_sum(liabilities.get(code, ()))
        totals[code] = CurrencyTotals(assets=owned, liabilities=owed, net=exact_sub(owned, owed))
    return totals


def combined_totals(totals: Iterable[dict[str, CurrencyTotals]]) -> dict[str, CurrencyTotals]:
    """Several reports' totals added up per currency (exactly); currencies are never added together."""
    parts: dict[str, list[CurrencyTotals]] = {}
    for one in totals:
        for code, figures in one.items():
            parts.setdefault(code, []).append(figures)
    combined = {}
    for code in sorted(parts):
        owned = exact_sum(t.assets for t in parts[code])
        owed = exact_sum(t.liabilities for t in parts[code])
        combined[code] = CurrencyTotals(assets=owned, liabilities=owed, net=exact_sub(owned, owed))
    return combined


def total_balance(accounts: Iterable[AccountReport]) -> Decimal | None:
    """The contract's ``total_balance``: the exact sum of current balances if all accounts share one
    currency; else null (amounts in different currencies are never added)."""
    accounts = list(accounts)
    if len({a.currency for a in accounts}) > 1:
        return None
    return exact_sum(a.current_balance for a in accounts if a.current_balance is not None)


def utc_now() -> datetime:
    return datetime.now(UTC)


class BalanceReport(msgspec.Struct, frozen=True, kw_only=True):
    success: Literal[True] = True
    item_id: str
    institution_id: str | None
    accounts: list[AccountReport]
    total_balance: Decimal | None
    account_count: int
    institution_name: str | None = None
    request_id: str | None = None
    environment: str
    retrieved_at: datetime
    source: Source = "realtime"
    age_seconds: float | None = None  # set when source is "stored"
    totals: dict[str, CurrencyTotals]

    @classmethod
    def build(
        cls,
        accounts: list[AccountReport],
        *,
        item_id: str,
        institution_id: str | None,
        environment: str,
        retrieved_at: datetime,
        institution_name: str | None = None,
        request_id: str | None = None,
        source: Source = "realtime",
        age_seconds: float | None = None,
    ) -> "BalanceReport":
        return cls(
            item_id=item_id,
            institution_id=institution_id,
            accounts=accounts,
            total_balance=total_balance(accounts),
            account_count=len(accounts),
            institution_name=institution_name,
            request_id=request_id,
            environment=environment,
            retrieved_at=retrieved_at,
            source=source,
            age_seconds=age_seconds,
            totals=currency_totals(accounts),
        )

    @classmethod
    def from_plaid(
        cls, response: AccountsGetResponse, *, environment: str, source: Source = "realtime"
    ) -> "BalanceReport":
        return cls.build(
            [AccountReport.from_plaid(a) for a in response.accounts],
            item_id=response.item.item_id,
            institution_id=response.item.institution_id,
            institution_name=response.item.institution_name,
            request_id=response.request_id,
            environment=environment,
            retrieved_at=utc_now(),
            source=source,
        )

    @property
    def verdict(self) -> Verdict:
        return "ok"


class FailureReport(msgspec.Struct, frozen=True, kw_only=True):
    """A failure is a result too: ``error`` is the ``ErrorBody`` (Plaid's error object, ``http_status``,
    ``retryable``), the same type as ``PlaidAPIError.error``."""

    success: Literal[False] = False
    error: ErrorBody
    environment: str | None = None

    @property
    def verdict(self) -> Verdict:
        return self.error.verdict

    @classmethod
    def from_exception(cls, exc: PlaidFailure, environment: str | None = None) -> "FailureReport":
        return cls(error=exc.error, environment=environment)


Report = BalanceReport | FailureReport
