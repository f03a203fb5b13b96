"""Wire models: the Plaid answers plaid-balance reads, as typed structs decoded straight from JSON.

They follow the schemas of Plaid's OpenAPI spec (2020-09-14). Plaid's enums are extensible ("the API may
add new enum values at will"), so account types, subtypes, products and error codes are plain strings:
an unknown subtype must never break a balance call. Unknown fields are ignored for the same reason.
Money is ``Decimal`` decoded from the JSON text itself, so every digit Plaid sent is kept; a non-finite
amount (``"NaN"``) is refused. Access tokens are ``SecretStr``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Final

import msgspec

from plaid_balance._error_body import ErrorBody
from plaid_balance._secret import SecretStr

# Types whose ``current`` balance is an amount owed, per the AccountBalance description.
LIABILITY_TYPES: Final = frozenset({"credit", "loan"})
MAX_EXPONENT: Final = 400


class _Wire(msgspec.Struct, frozen=True, kw_only=True):
    pass


class AccountBalance(_Wire, frozen=True, kw_only=True):
    """Balances of one account. Any of them may be null; Plaid never invents one, nor do we."""

    available: Decimal | None = None
    current: Decimal | None = None
    limit: Decimal | None = None
    iso_currency_code: str | None = None
    unofficial_currency_code: str | None = None
    last_updated_datetime: datetime | None = None

    def __post_init__(self) -> None:
        for value in (self.available, self.current, self.limit):
            # Plaid's amounts are JSON doubles: nothing non-finite or beyond a double's range is a balance
            # (and exact sums of absurd exponents would need absurd memory).
            if value is not None and (not value.is_finite() or abs(value.adjusted()) > MAX_EXPONENT):
                raise ValueError("a balance is not a finite amount in a double's range")

    @property
    def currency(self) -> str | None:
        """The ISO-4217 code, or Plaid's unofficial code (crypto and the like) when there is none."""
        return self.iso_currency_code or self.unofficial_currency_code


class AccountBase(_Wire, frozen=True, kw_only=True):
    account_id: str
    balances: AccountBalance
    mask: str | None = None
    name: str
    official_name: str | None = None
    type: str
    subtype: str | None = None
    holder_category: str | None = None
    persistent_account_id: str | None = None


class Item(_Wire, frozen=True, kw_only=True):
    item_id: str
    institution_id: str | None = None
    institution_name: str | None = None
    webhook: str | None = None
    error: ErrorBody | None = None
    available_products: list[str] = msgspec.field(default_factory=list)
    billed_products: list[str] = msgspec.field(default_factory=list)
    products: list[str] | None = None
    consent_expiration_time: datetime | None = None
    update_type: str | None = None
    auth_method: str | None = None


class AccountsGetResponse(_Wire, frozen=True, kw_only=True):
    """Response of both ``/accounts/balance/get`` and ``/accounts/get`` (Plaid shares the schema)."""

    accounts: list[AccountBase]
    item: Item
    request_id: str


class ItemStatus(_Wire, frozen=True, kw_only=True):
    """``/item/get``'s ``status``: when Plaid last succeeded or failed per product, and the last webhook."""

    transactions: dict[str, Any] | None = None
    investments: dict[str, Any] | None = None
    last_webhook: dict[str, Any] | None = None


class ItemGetResponse(_Wire, frozen=True, kw_only=True):
    item: Item
    status: ItemStatus | None = None
    request_id: str


class ItemRemoveResponse(_Wire, frozen=True, kw_only=True):
    request_id: str


class ItemAccessTokenInvalidateResponse(_Wire, frozen=True, kw_only=True):
    new_access_token: SecretStr
    request_id: str


class ItemWebhookUpdateResponse(_Wire, frozen=True, kw_only=True):
    item: Item
    request_id: str


class PublicTokenCreateResponse(_Wire, frozen=True, kw_only=True):
    public_token: str
    request_id: str


class PublicTokenExchangeResponse(_Wire, frozen=True, kw_only=True):
    access_token: SecretStr
    item_id: str
    request_id: str


class LinkTokenCreateResponse(_Wire, frozen=True, kw_only=True):
    link_token: str
    expiration: datetime
    request_id: str
    hosted_link_url: str | None = None


class LinkAccount(_Wire, frozen=True, kw_only=True):
    """An account as Link's success metadata names it (``LinkSessionSuccessMetadataAccount``)."""

    id: str
    name: str | None = None
    mask: str | None = None
    type: str | None = None
    subtype: str | None = None
    verification_status: str | None = None


class LinkInstitution(_Wire, frozen=True, kw_only=True):
    name: str | None = None
    institution_id: str | None = None


class LinkItemAddResult(_Wire, frozen=True, kw_only=True):
    public_token: str
    accounts: list[LinkAccount] = msgspec.field(default_factory=list)
    institution: LinkInstitution | None = None


class LinkSessionResults(_Wire, frozen=True, kw_only=True):
    item_add_results: list[LinkItemAddResult] = msgspec.field(default_factory=list)


class LinkSessionExit(_Wire, frozen=True, kw_only=True):
    error: ErrorBody | None = None
    metadata: dict[str, Any] | None = None


class LinkSession(_Wire, frozen=True, kw_only=True):
    link_session_id: str
    started_at: datetime | None = None
    finished_at: datetime | None = None
    results: LinkSessionResults | None = None
    exit: LinkSessionExit | None = None


class LinkTokenGetResponse(_Wire, frozen=True, kw_only=True):
    link_token: str
    created_at: datetime | None = None
    expiration: datetime | None = None
    link_sessions: list[LinkSession] = msgspec.field(default_factory=list)
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    request_id: str


class Institution(_Wire, frozen=True, kw_only=True):
    institution_id: str
    name: str
    products: list[str] = msgspec.field(default_factory=list)
    country_codes: list[str] = msgspec.field(default_factory=list)
    url: str | None = None
    primary_color: str | None = None
    logo: str | None = None
    routing_numbers: list[str] = msgspec.field(default_factory=list)
    oauth: bool = False
    status: dict[str, Any] | None = None


class InstitutionsSearchResponse(_Wire, frozen=True, kw_only=True):
    institutions: list[Institution]
    request_id: str


class InstitutionsGetByIdResponse(_Wire, frozen=True, kw_only=True):
    institution: Institution
    request_id: str


class JWKPublicKey(_Wire, frozen=True, kw_only=True):
    """A webhook verification key (ES256, P-256), as ``/webhook_verification_key/get`` gives it."""

    alg: str
    crv: str
    kid: str
    kty: str
    use: str
    x: str
    y: str
    created_at: int
    expired_at: int | None = None


class WebhookVerificationKeyGetResponse(_Wire, frozen=True, kw_only=True):
    key: JWKPublicKey
    request_id: str


class SandboxItemResetLoginResponse(_Wire, frozen=True, kw_only=True):
    reset_login: bool
    request_id: str


class SandboxItemFireWebhookResponse(_Wire, frozen=True, kw_only=True):
    webhook_fired: bool
    request_id: str
