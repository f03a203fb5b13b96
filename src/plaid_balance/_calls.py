"""The Plaid calls plaid-balance makes, as data: path, JSON body and the model of the answer.

Each endpoint is declared once, here: a builder function whose signature and docstring are the client
method's, and one line in ``Endpoints``, the base both clients share. ``PlaidClient.item_get(token)``
builds the call with ``item_get`` and sends it with the client's own ``call`` (sync or async, httpx's
way); nothing about an endpoint is written in ``_client``. Building a call is pure. Tokens may be given
as ``str`` or ``SecretStr``; the body holds them revealed, so it is never repr'd.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, ParamSpec, Protocol, Self, TypeVar, overload

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
P = ParamSpec("P")
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


if TYPE_CHECKING:  # what a client is, to the type checker (classes cost import time, and only mypy asks)

    class _SyncSender(Protocol):
        def call(self, call: PlaidCall[T], /) -> T: ...

    class _AsyncSender(Protocol):
        def call(self, call: PlaidCall[T], /) -> Coroutine[Any, Any, T]: ...


class Endpoint(Generic[P, T]):
    """One Plaid endpoint as a method of both clients: ``build`` makes the call, the client sends it.

    On ``PlaidClient`` the method returns the answer; on ``AsyncPlaidClient`` it is a coroutine
    function. Its name, signature and docstring are the builder's, so they are written once.
    """

    def __init__(self, build: Callable[P, PlaidCall[T]]) -> None:
        self.build = build
        self.name = build.__name__
        self.__doc__ = build.__doc__

    @overload
    def __get__(self, client: None, owner: type) -> Self: ...
    @overload
    def __get__(self, client: _SyncSender, owner: type) -> Callable[P, T]: ...
    @overload
    def __get__(self, client: _AsyncSender, owner: type) -> Callable[P, Coroutine[Any, Any, T]]: ...
    def __get__(self, client: Any, owner: type) -> Any:
        if client is None:
            return self
        method = (
            _async_method(self.build, client.call)
            if client.is_async
            else _sync_method(self.build, client.call)
        )
        return functools.update_wrapper(method, self.build)


def _sync_method(
    build: Callable[..., PlaidCall[Any]], send: Callable[[PlaidCall[Any]], Any]
) -> Callable[..., Any]:
    def method(*args: Any, **kwargs: Any) -> Any:
        return send(build(*args, **kwargs))

    return method


def _async_method(
    build: Callable[..., PlaidCall[Any]], send: Callable[[PlaidCall[Any]], Coroutine[Any, Any, Any]]
) -> Callable[..., Coroutine[Any, Any, Any]]:
    async def method(*args: Any, **kwargs: Any) -> Any:
        return await send(build(*args, **kwargs))

    return method


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
    *,
    account_ids: Sequence[str] | None = None,
    min_last_updated_datetime: datetime | None = None,
) -> PlaidCall[AccountsGetResponse]:
    """Real-time balances (``/accounts/balance/get``). Billed by Plaid per successful call."""
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
    access_token: Token, *, account_ids: Sequence[str] | None = None
) -> PlaidCall[AccountsGetResponse]:
    """Cached balances (``/accounts/get``): free, but possibly hours or days old."""
    body: dict[str, Any] = {"access_token": _reveal(access_token)}
    if account_ids:
        body["options"] = {"account_ids": list(account_ids)}
    return PlaidCall("/accounts/get", body, AccountsGetResponse)


def item_get(access_token: Token) -> PlaidCall[ItemGetResponse]:
    """The Item: institution, error state, products, consent expiry (``/item/get``)."""
    return PlaidCall("/item/get", {"access_token": _reveal(access_token)}, ItemGetResponse)


def item_remove(access_token: Token, *, reason_code: str | None = None) -> PlaidCall[ItemRemoveResponse]:
    """Remove the Item: its access token stops working for good (``/item/remove``)."""
    body = _without_none(access_token=_reveal(access_token), reason_code=reason_code)
    return PlaidCall("/item/remove", body, ItemRemoveResponse)


def item_access_token_invalidate(access_token: Token) -> PlaidCall[ItemAccessTokenInvalidateResponse]:
    """Rotate the access token (``/item/access_token/invalidate``): the old one stops working, the answer
    holds the new one."""
    return PlaidCall(
        "/item/access_token/invalidate",
        {"access_token": _reveal(access_token)},
        ItemAccessTokenInvalidateResponse,
        one_shot=True,
    )


def item_webhook_update(access_token: Token, webhook: str | None) -> PlaidCall[ItemWebhookUpdateResponse]:
    """Set (or, with ``None``, clear) the URL Plaid sends this Item's webhooks to (``/item/webhook/update``)."""
    return PlaidCall(
        "/item/webhook/update",
        {"access_token": _reveal(access_token), "webhook": webhook},
        ItemWebhookUpdateResponse,
    )


def item_public_token_exchange(public_token: str) -> PlaidCall[PublicTokenExchangeResponse]:
    """Exchange Link's public token for an access token (``/item/public_token/exchange``)."""
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
    """A Link token (``/link/token/create``). With ``access_token`` it opens Link in update mode for that
    Item (no ``products``).

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
    """A Link token's metadata and sessions (``/link/token/get``): Hosted Link's results."""
    return PlaidCall("/link/token/get", {"link_token": link_token}, LinkTokenGetResponse)


def institutions_search(
    query: str,
    *,
    country_codes: Sequence[str] = ("US",),
    products: Sequence[str] | None = None,
    options: Mapping[str, Any] | None = None,
) -> PlaidCall[InstitutionsSearchResponse]:
    """Institutions by name (``/institutions/search``)."""
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
    """One institution (``/institutions/get_by_id``)."""
    body = _without_none(
        institution_id=institution_id,
        country_codes=list(country_codes),
        options=None if options is None else dict(options),
    )
    return PlaidCall("/institutions/get_by_id", body, InstitutionsGetByIdResponse)


def webhook_verification_key_get(key_id: str) -> PlaidCall[WebhookVerificationKeyGetResponse]:
    """The public key (by the ``kid`` of a webhook's JWT header) that verifies Plaid's webhooks
    (``/webhook_verification_key/get``)."""
    return PlaidCall("/webhook_verification_key/get", {"key_id": key_id}, WebhookVerificationKeyGetResponse)


def sandbox_public_token_create(
    institution_id: str,
    initial_products: Sequence[str] = ("transactions",),
    *,
    override_username: str | None = None,
    override_password: str | None = None,
    webhook: str | None = None,
) -> PlaidCall[PublicTokenCreateResponse]:
    """Sandbox only: a public token for a new Item, without Link (``/sandbox/public_token/create``)."""
    body: dict[str, Any] = {"institution_id": institution_id, "initial_products": list(initial_products)}
    options = _without_none(
        override_username=override_username, override_password=override_password, webhook=webhook
    )
    if options:
        body["options"] = options
    return PlaidCall("/sandbox/public_token/create", body, PublicTokenCreateResponse)


def sandbox_item_reset_login(access_token: Token) -> PlaidCall[SandboxItemResetLoginResponse]:
    """Sandbox only: put the Item into ``ITEM_LOGIN_REQUIRED``, to try update mode
    (``/sandbox/item/reset_login``)."""
    return PlaidCall(
        "/sandbox/item/reset_login", {"access_token": _reveal(access_token)}, SandboxItemResetLoginResponse
    )


def sandbox_item_fire_webhook(
    access_token: Token, webhook_code: str, *, webhook_type: str | None = None
) -> PlaidCall[SandboxItemFireWebhookResponse]:
    """Sandbox only: make Plaid send the Item's webhook URL a webhook with this code
    (``/sandbox/item/fire_webhook``)."""
    body = _without_none(
        access_token=_reveal(access_token), webhook_code=webhook_code, webhook_type=webhook_type
    )
    return PlaidCall("/sandbox/item/fire_webhook", body, SandboxItemFireWebhookResponse)


class Endpoints:
    """Every endpoint as a method, the base both ``PlaidClient`` and ``AsyncPlaidClient`` share.

    A new endpoint is a builder above and one line here; the clients need nothing more.
    """

    is_async: ClassVar[bool] = False

    accounts_balance_get = Endpoint(accounts_balance_get)
    accounts_get = Endpoint(accounts_get)
    item_get = Endpoint(item_get)
    item_remove = Endpoint(item_remove)
    item_access_token_invalidate = Endpoint(item_access_token_invalidate)
    item_webhook_update = Endpoint(item_webhook_update)
    item_public_token_exchange = Endpoint(item_public_token_exchange)
    link_token_create = Endpoint(link_token_create)
    link_token_get = Endpoint(link_token_get)
    institutions_search = Endpoint(institutions_search)
    institutions_get_by_id = Endpoint(institutions_get_by_id)
    webhook_verification_key_get = Endpoint(webhook_verification_key_get)
    sandbox_public_token_create = Endpoint(sandbox_public_token_create)
    sandbox_item_reset_login = Endpoint(sandbox_item_reset_login)
    sandbox_item_fire_webhook = Endpoint(sandbox_item_fire_webhook)
