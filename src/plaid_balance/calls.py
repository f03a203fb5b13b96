"""The Plaid calls plaid-balance makes, as data: path, JSON body and the model of the answer.

Building a call is pure, so the sync and async clients share it and differ only in how they send.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from plaid_balance.models import (
    AccountsGetResponse,
    ItemGetResponse,
    PublicTokenCreateResponse,
    PublicTokenExchangeResponse,
)

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class PlaidCall(Generic[T]):
    path: str
    body: dict[str, Any] = field(repr=False)  # holds the access token: never repr'd
    response_model: type[T]


def format_datetime(value: datetime) -> str:
    """Plaid's date-time format, ``YYYY-MM-DDTHH:mm:ssZ``; naive datetimes are taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def accounts_balance_get(
    access_token: str,
    account_ids: Sequence[str] | None = None,
    min_last_updated_datetime: datetime | None = None,
) -> PlaidCall[AccountsGetResponse]:
    options: dict[str, Any] = {}
    if account_ids:
        options["account_ids"] = list(account_ids)
    if min_last_updated_datetime is not None:
        options["min_last_updated_datetime"] = format_datetime(min_last_updated_datetime)
    body: dict[str, Any] = {"access_token": access_token}
    if options:
        body["options"] = options
    return PlaidCall("/accounts/balance/get", body, AccountsGetResponse)


def accounts_get(
    access_token: str, account_ids: Sequence[str] | None = None
) -> PlaidCall[AccountsGetResponse]:
    body: dict[str, Any] = {"access_token": access_token}
    if account_ids:
        body["options"] = {"account_ids": list(account_ids)}
    return PlaidCall("/accounts/get", body, AccountsGetResponse)


def item_get(access_token: str) -> PlaidCall[ItemGetResponse]:
    return PlaidCall("/item/get", {"access_token": access_token}, ItemGetResponse)


def sandbox_public_token_create(
    institution_id: str,
    initial_products: Sequence[str] = ("transactions",),
    override_username: str | None = None,
    override_password: str | None = None,
) -> PlaidCall[PublicTokenCreateResponse]:
    body: dict[str, Any] = {"institution_id": institution_id, "initial_products": list(initial_products)}
    options = {
        key: value
        for key, value in (("override_username", override_username), ("override_password", override_password))
        if value is not None
    }
    if options:
        body["options"] = options
    return PlaidCall("/sandbox/public_token/create", body, PublicTokenCreateResponse)


def item_public_token_exchange(public_token: str) -> PlaidCall[PublicTokenExchangeResponse]:
    return PlaidCall(
        "/item/public_token/exchange", {"public_token": public_token}, PublicTokenExchangeResponse
    )
