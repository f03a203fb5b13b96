"""Wire models for the Plaid responses plaid-balance reads.

They follow ``AccountBase``, ``AccountBalance``, ``Item`` and ``PlaidError`` in Plaid's OpenAPI spec
(2020-09-14). Plaid's enums are extensible ("the API may add new enum values at will"), so account types,
subtypes and error codes are plain strings: an unknown subtype must never break a balance call. Unknown
fields are kept (``extra="allow"``) for the same reason.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

# Types whose ``current`` balance is an amount owed, per the AccountBalance description.
LIABILITY_TYPES: Final = frozenset({"credit", "loan"})


class _PlaidModel(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class AccountBalance(_PlaidModel):
    """Balances of one account. Any of them may be null; Plaid never invents one, nor do we."""

    available: Decimal | None = None
    current: Decimal | None = None
    limit: Decimal | None = None
    iso_currency_code: str | None = None
    unofficial_currency_code: str | None = None
    last_updated_datetime: datetime | None = None

    @property
    def currency(self) -> str | None:
        """The ISO-4217 code, or Plaid's unofficial code (crypto and the like) when there is none."""
        return self.iso_currency_code or self.unofficial_currency_code


class AccountBase(_PlaidModel):
    account_id: str
    balances: AccountBalance
    mask: str | None = None
    name: str
    official_name: str | None = None
    type: str
    subtype: str | None = None
    holder_category: str | None = None
    persistent_account_id: str | None = None


class PlaidError(_PlaidModel):
    """Plaid's error object, passed through as Plaid sent it."""

    error_type: str
    error_code: str
    error_message: str = ""
    display_message: str | None = None
    request_id: str | None = None
    error_code_reason: str | None = None
    documentation_url: str | None = None
    suggested_action: str | None = None
    status: int | None = None


class Item(_PlaidModel):
    item_id: str
    institution_id: str | None = None
    institution_name: str | None = None
    webhook: str | None = None
    error: PlaidError | None = None
    available_products: list[str] = Field(default_factory=list)
    billed_products: list[str] = Field(default_factory=list)
    products: list[str] | None = None
    consent_expiration_time: datetime | None = None
    update_type: str | None = None
    auth_method: str | None = None


class AccountsGetResponse(_PlaidModel):
    """Response of both ``/accounts/balance/get`` and ``/accounts/get`` (Plaid shares the schema)."""

    accounts: list[AccountBase]
    item: Item
    request_id: str


class ItemGetResponse(_PlaidModel):
    item: Item
    request_id: str


class PublicTokenCreateResponse(_PlaidModel):
    public_token: str
    request_id: str


class PublicTokenExchangeResponse(_PlaidModel):
    access_token: str
    item_id: str
    request_id: str

    def __repr__(self) -> str:
        # The access token is a long-lived secret: keep it out of reprs, logs and tracebacks.
        return f"PublicTokenExchangeResponse(item_id={self.item_id!r}, request_id={self.request_id!r})"

    __str__ = __repr__


def loads_exact(payload: str | bytes) -> Any:
    """Parse JSON keeping every number's exact decimal value (never via float)."""
    return json.loads(payload, parse_float=Decimal)
