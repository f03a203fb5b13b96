"""Sample balance reports for the history and funds tests (importable by the worker subprocess too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from plaid_balance._report import AccountReport, BalanceReport

TOKEN = "access-sandbox-8f1c2a9e-5d4b-4c1e-9a7f-history-test-token"
BASE_TIME = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def account(
    account_id: str,
    *,
    current: str | None = "110",
    available: str | None = "100",
    type_: str = "depository",
    subtype: str | None = "checking",
    currency: str | None = "USD",
    limit: str | None = None,
    name: str = "Plaid Checking",
    mask: str | None = "0000",
    last_updated: datetime | None = None,
) -> AccountReport:
    return AccountReport(
        account_id=account_id,
        name=name,
        type=type_,
        subtype=subtype,
        mask=mask,
        current_balance=None if current is None else Decimal(current),
        available_balance=None if available is None else Decimal(available),
        currency=currency,
        limit=None if limit is None else Decimal(limit),
        last_updated_datetime=last_updated,
    )


def standard_accounts(step: int = 0) -> list[AccountReport]:
    """Checking, a 401k with Plaid's four-decimal balance, a credit card and a EUR account."""
    return [
        account("acc-checking", current=str(Decimal("110.10") + step), available="0.10"),
        account(
            "acc-401k",
            current="23631.9805",
            available=None,
            type_="investment",
            subtype="401k",
            name="Plaid 401k",
            mask="6666",
        ),
        account(
            "acc-credit",
            current=str(410 + 10 * step),
            available=None,
            type_="credit",
            subtype="credit card",
            limit="2000",
            name="Plaid Credit Card",
            mask="3333",
        ),
        account(
            "acc-eur",
            current="1234567890123.123456789",
            available="5.5",
            currency="EUR",
            name="Euro",
            mask="9999",
        ),
    ]


def report(
    index: int = 0,
    *,
    item_id: str = "item-1",
    accounts: list[AccountReport] | None = None,
    retrieved_at: datetime | None = None,
    request_id: str | None = "default",
) -> BalanceReport:
    return BalanceReport.build(
        standard_accounts(index) if accounts is None else accounts,
        item_id=item_id,
        institution_id="ins_109508",
        institution_name="First Platypus Bank",
        request_id=f"req-{item_id}-{index}" if request_id == "default" else request_id,
        environment="sandbox",
        retrieved_at=retrieved_at or BASE_TIME + timedelta(hours=index),
    )
