"""The Plaid calls plaid-balance makes, as data: path, JSON body and the model of the answer.

Building a call is pure, so the sync and async clients share it and differ only in how they send.
Tokens may be given as ``str`` or ``SecretStr``; the body holds them revealed, so it is never repr'd.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from plaid_balance._secret import SecretStr
from plaid_balance.models import (
    AccountsGetResponse,
    InstitutionsGetByIdResponse,
    InstitutionsSearchResponse,
    ItemAccessTokenInvalidateResponse,
    ItemGetResponse,
    ItemRemoveResponse,
    ItemWebhookUpdateResponse,
    LinkTokenCreateResponse,
    LinkTokenGetResponse,
    PublicTokenCreateResponse,
    PublicTokenExchangeResponse,
    SandboxItemFireWebhookResponse,
    SandboxItemResetLoginResponse,
    WebhookVerificationKeyGetResponse,
)

T = TypeVar("T")
Token = str | SecretStr


class PlaidCall(Generic[T]):
    """One request: ``path``, its JSON ``body`` (it may hold a token: never repr'd) and the answer's type.

    ``one_shot`` calls are never retried: Plaid acts on them once and their answer carries a secret that
    no second call returns (a rotation's new token, an exchange's access token). A retry after a lost
    answer would be refused and hide that the first one worked; the caller finds out instead (the vault's
    doubts, docs/vault.md).
    """

    __slots__ = ("body", "one_shot", "path", "response_model")

    def __init__(
        self, path: str, body: dict[str, Any], response_model: type[T], *, one_shot: bool = False
    ) -> None:
        self.path = path
        self.body = body
        self.response_model = response_model
        self.one_shot = one_shot

    def __repr__(self) -> str:
        return f"PlaidCall({self.path!r}, response_model={self.response_model.__name__})"


def _reveal(token: Token) -> str:
    return token.get_secret_value() if isinstance(token, SecretStr) else token


def _without_none(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def format_datetime(value: datetime) -> str:
    """Plaid's date-time format, ``YYYY-MM-DDTHH:mm:ssZ``; naive datetimes are taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def accounts_balance_get(
    access_token: Token,
    account_ids: Sequence[str] | None = None,
    min_last_updated_datetime: datetime | None = None,
) -> PlaidCall[AccountsGetResponse]:
    options: dict[str, Any] = {}
    if account_ids:
        options["account_ids"] = list(account_ids)
    if min_last_updated_datetime is not None:
        options["min_last_updated_datetime"] = format_datetime(min_last_updated_datetime)
    body: dict[str, Any] = {"access_token": _reveal(access_token)}
    if options:
        body["options"] = options
    return PlaidCall("/accounts/balance/get", body, AccountsGetResponse)


def accounts_get(
    access_token: Token, account_ids: Sequence[str] | None = None
) -> PlaidCall[AccountsGetResponse]:
    body: dict[str, Any] = {"access_token": _reveal(access_token)}
    if account_ids:
        body["options"] = {"account_ids": list(account_ids)}
    return PlaidCall("/accounts/get", body, AccountsGetResponse)


def item_get(access_token: Token) -> PlaidCall[ItemGetResponse]:
    return PlaidCall("/item/get", {"access_token": _reveal(access_token)}, ItemGetResponse)


def item_remove(access_token: Token, reason_code: str | None = None) -> PlaidCall[ItemRemoveResponse]:
    body = _without_none(access_token=_reveal(access_token), reason_code=reason_code)
    return PlaidCall("/item/remove", body, ItemRemoveResponse)


def item_access_token_invalidate(access_token: Token) -> PlaidCall[ItemAccessTokenInvalidateResponse]:
    """Rotate an access token: the old one stops working, the answer holds the new one."""
    return PlaidCall(
        "/item/access_token/invalidate",
        {"access_token": _reveal(access_token)},
        ItemAccessTokenInvalidateResponse,
        one_shot=True,
    )


def item_webhook_update(access_token: Token, webhook: str | None) -> PlaidCall[ItemWebhookUpdateResponse]:
    """Set (or, with ``None``, clear) the URL Plaid sends this Item's webhooks to."""
    return PlaidCall(
        "/item/webhook/update",
        {"access_token": _reveal(access_token), "webhook": webhook},
        ItemWebhookUpdateResponse,
    )


def item_public_token_exchange(public_token: str) -> PlaidCall[PublicTokenExchangeResponse]:
    return PlaidCall(
        "/item/public_token/exchange",
        {"public_token": public_token},
        PublicTokenExchangeResponse,
        one_shot=True,
    )


def link_token_create(
    client_user_id: str,
    *,
    client_name: str = "plaid-balance",
    products: Sequence[str] | None = ("transactions",),
    country_codes: Sequence[str] = ("US",),
    language: str = "en",
    access_token: Token | None = None,
    webhook: str | None = None,
    redirect_uri: str | None = None,
    hosted_link: Mapping[str, Any] | None = None,
    link_customization_name: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> PlaidCall[LinkTokenCreateResponse]:
    """A Link token. With ``access_token`` it opens Link in update mode for that Item (no ``products``).

    ``hosted_link`` (``{}`` for the defaults) asks for a Hosted Link URL; ``extra`` passes any other
    field of Plaid's ``LinkTokenCreateRequest`` through as given.
    """
    update_mode = access_token is not None
    body = _without_none(
        client_name=client_name,
        language=language,
        country_codes=list(country_codes),
        user={"client_user_id": client_user_id},
        products=None if update_mode or products is None else list(products),
        access_token=None if access_token is None else _reveal(access_token),
        webhook=webhook,
        redirect_uri=redirect_uri,
        hosted_link=None if hosted_link is None else dict(hosted_link),
        link_customization_name=link_customization_name,
    )
    body.update(extra or {})
    return PlaidCall("/link/token/create", body, LinkTokenCreateResponse)


def link_token_get(link_token: str) -> PlaidCall[LinkTokenGetResponse]:
    return PlaidCall("/link/token/get", {"link_token": link_token}, LinkTokenGetResponse)


def institutions_search(
    query: str,
    *,
    country_codes: Sequence[str] = ("US",),
    products: Sequence[str] | None = None,
    options: Mapping[str, Any] | None = None,
) -> PlaidCall[InstitutionsSearchResponse]:
    body = _without_none(
        query=query,
        country_codes=list(country_codes),
        products=None if products is None else list(products),
        options=None if options is None else dict(options),
    )
    return PlaidCall("/institutions/search", body, InstitutionsSearchResponse)


def institutions_get_by_id(
    institution_id: str,
    *,
    country_codes: Sequence[str] = ("US",),
    options: Mapping[str, Any] | None = None,
) -> PlaidCall[InstitutionsGetByIdResponse]:
    body = _without_none(
        institution_id=institution_id,
        country_codes=list(country_codes),
        options=None if options is None else dict(options),
    )
    return PlaidCall("/institutions/get_by_id", body, InstitutionsGetByIdResponse)


def webhook_verification_key_get(key_id: str) -> PlaidCall[WebhookVerificationKeyGetResponse]:
    """The public key (by the ``kid`` of a webhook's JWT header) that verifies Plaid's webhooks."""
    return PlaidCall("/webhook_verification_key/get", {"key_id": key_id}, WebhookVerificationKeyGetResponse)


def sandbox_public_token_create(
    institution_id: str,
    initial_products: Sequence[str] = ("transactions",),
    override_username: str | None = None,
    override_password: str | None = None,
    webhook: str | None = None,
) -> PlaidCall[PublicTokenCreateResponse]:
    body: dict[str, Any] = {"institution_id": institution_id, "initial_products": list(initial_products)}
    options = _without_none(
        override_username=override_username, override_password=override_password, webhook=webhook
    )
    if options:
        body["options"] = options
    return PlaidCall("/sandbox/public_token/create", body, PublicTokenCreateResponse)


def sandbox_item_reset_login(access_token: Token) -> PlaidCall[SandboxItemResetLoginResponse]:
    """Sandbox only: put the Item into ``ITEM_LOGIN_REQUIRED`` (to try update mode)."""
    return PlaidCall(
        "/sandbox/item/reset_login", {"access_token": _reveal(access_token)}, SandboxItemResetLoginResponse
    )


def sandbox_item_fire_webhook(
    access_token: Token, webhook_code: str, webhook_type: str | None = None
) -> PlaidCall[SandboxItemFireWebhookResponse]:
    """Sandbox only: make Plaid send the Item's webhook URL a webhook with this code."""
    body = _without_none(
        access_token=_reveal(access_token), webhook_code=webhook_code, webhook_type=webhook_type
    )
    return PlaidCall("/sandbox/item/fire_webhook", body, SandboxItemFireWebhookResponse)
