"""The balance report: the job's JSON contract, built from Plaid's answer.

Contract fields (in this order): ``success``, ``item_id``, ``institution_id``, ``accounts[]``,
``total_balance``, ``account_count``. Everything after them is additive. Sums are ``Decimal`` and are
never taken across currencies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from plaid_balance import exit_codes
from plaid_balance.errors import PlaidAPIError, PlaidNetworkError
from plaid_balance.models import LIABILITY_TYPES, AccountBase, AccountsGetResponse

Source = Literal["realtime", "cached", "stored"]
ZERO = Decimal(0)


class AccountReport(BaseModel):
    model_config = ConfigDict(frozen=True)

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
    def from_plaid(cls, account: AccountBase) -> AccountReport:
        b = account.balances
        # Every value here was validated as part of Plaid's answer: skip validating it again (hot in batch).
        return cls.model_construct(
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


class CurrencyTotals(BaseModel):
    """Per currency: what is owned, what is owed (credit and loan ``current``), and the difference."""

    model_config = ConfigDict(frozen=True)

    assets: Decimal = ZERO
    liabilities: Decimal = ZERO
    net: Decimal = ZERO


def currency_totals(accounts: Iterable[AccountReport]) -> dict[str, CurrencyTotals]:
    """Totals per currency; accounts with a null ``current`` or no currency add nothing (never guessed)."""
    assets: dict[str, Decimal] = defaultdict(lambda: ZERO)
    liabilities: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for account in accounts:
        if account.currency is None or account.current_balance is None:
            continue
        target = liabilities if account.is_liability else assets
        target[account.currency] += account.current_balance
    return {
        code: CurrencyTotals(
            assets=assets[code], liabilities=liabilities[code], net=assets[code] - liabilities[code]
        )
        for code in sorted(set(assets) | set(liabilities))
    }


def total_balance(accounts: Iterable[AccountReport]) -> Decimal | None:
    """The seed's meaning: the sum of current balances, if all accounts share one currency; else null."""
    accounts = list(accounts)
    if len({a.currency for a in accounts}) > 1:
        return None
    return sum((a.current_balance for a in accounts if a.current_balance is not None), ZERO)


def utc_now() -> datetime:
    return datetime.now(UTC)


class BalanceReport(BaseModel):
    model_config = ConfigDict(frozen=True)

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
    age_seconds: float | None = Field(default=None, description="set when source is 'stored'")
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
    ) -> BalanceReport:
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
    ) -> BalanceReport:
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


class FailureReport(BaseModel):
    """A failure is a result too: Plaid's error object passed through, plus ``http_status``/``retryable``."""

    model_config = ConfigDict(frozen=True)

    success: Literal[False] = False
    error: dict[str, Any]
    environment: str | None = None

    @classmethod
    def from_exception(
        cls, exc: PlaidAPIError | PlaidNetworkError, environment: str | None = None
    ) -> FailureReport:
        return cls(error=exc.to_error_dict(), environment=environment)

    @property
    def exit_code(self) -> int:
        return (
            exit_codes.NETWORK_ERROR
            if self.error.get("error_type") == "NETWORK_ERROR"
            else exit_codes.PLAID_ERROR
        )


Report = BalanceReport | FailureReport
