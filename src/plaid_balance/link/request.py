"""The ``/link/token/create`` request bodies plaid-balance sends: a new Item, or update mode for one it holds.

Pure functions of the settings, so every rule (products, filters, update mode, Hosted Link) is tested
without a server. The update-mode body holds an access token: it is never logged or repr'd.
"""

from __future__ import annotations

import getpass
import hashlib
import platform
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from plaid_balance._errors import ConfigurationError
from plaid_balance.link.products import (
    account_filters,
    choose_products,
    normalise_account_types,
    validate_countries,
    validate_language,
    validate_products,
)

CLIENT_NAME: Final = "plaid-balance"  # shown in Link; Plaid allows 30 characters
MAX_CLIENT_NAME: Final = 30


def default_client_user_id() -> str:
    """A stable id for the person at this machine that carries no personal data (Plaid asks for none)."""
    try:
        who = f"{getpass.getuser()}@{platform.node()}"
    except (OSError, KeyError):
        who = platform.node()
    return "plaid-balance-" + hashlib.sha256(who.encode()).hexdigest()[:24]


def validate_redirect_uri(uri: str) -> str:
    """Plaid's rule: https (plain http only for localhost, which Plaid accepts in Sandbox), no query."""
    parts = urlsplit(uri.strip())
    loopback = parts.hostname in {"localhost", "127.0.0.1"}
    if (
        not parts.hostname
        or parts.scheme not in {"https", "http"}
        or (parts.scheme == "http" and not loopback)
    ):
        raise ConfigurationError(f"--redirect-uri must be an https URL registered with Plaid, not {uri!r}")
    if parts.query or parts.fragment:
        raise ConfigurationError("--redirect-uri must not have a query or fragment (Plaid refuses them)")
    return uri.strip()


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """What the user chose on the command line, validated once."""

    products: tuple[str, ...] = ()  # empty: the cheapest product for the account types
    account_types: tuple[str, ...] = ()  # empty: every type
    country_codes: tuple[str, ...] = ("US",)
    language: str = "en"
    client_name: str = CLIENT_NAME
    client_user_id: str = field(default_factory=default_client_user_id)
    redirect_uri: str | None = None
    webhook: str | None = None

    @classmethod
    def build(
        cls,
        *,
        products: tuple[str, ...] = (),
        account_types: tuple[str, ...] = (),
        country_codes: tuple[str, ...] = (),
        language: str = "en",
        client_name: str = CLIENT_NAME,
        redirect_uri: str | None = None,
        webhook: str | None = None,
    ) -> LinkSettings:
        """Validate raw values (raising ``ConfigurationError`` with one line) and fill the defaults."""
        types = normalise_account_types(account_types)
        chosen = validate_products(products) if products else choose_products(types)
        name = client_name.strip()
        if not name or len(name) > MAX_CLIENT_NAME:
            raise ConfigurationError(f"the client name must be 1 to {MAX_CLIENT_NAME} characters")
        return cls(
            products=chosen,
            account_types=types,
            country_codes=validate_countries(country_codes),
            language=validate_language(language),
            client_name=name,
            redirect_uri=validate_redirect_uri(redirect_uri) if redirect_uri else None,
            webhook=webhook,
        )

    @property
    def link_products(self) -> tuple[str, ...]:
        return self.products or choose_products(self.account_types)


def _common(settings: LinkSettings, hosted: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_name": settings.client_name,
        "language": settings.language,
        "country_codes": list(settings.country_codes),
        "user": {"client_user_id": settings.client_user_id},
    }
    if settings.redirect_uri:
        body["redirect_uri"] = settings.redirect_uri
    if settings.webhook:
        body["webhook"] = settings.webhook
    if hosted:
        body["hosted_link"] = {}
    return body


def new_item_request(settings: LinkSettings, *, hosted: bool = False) -> dict[str, Any]:
    """Body of ``/link/token/create`` for linking a new Item."""
    products = settings.link_products
    body = _common(settings, hosted)
    body["products"] = list(products)
    filters = account_filters(settings.account_types, products)
    if filters:
        body["account_filters"] = filters
    return body


def update_request(
    settings: LinkSettings, access_token: Any, *, select_accounts: bool = False, hosted: bool = False
) -> dict[str, Any]:
    """Body of ``/link/token/create`` for update mode: the Item's token and no products (Plaid's rule).

    ``access_token`` is a ``str`` or anything with ``get_secret_value()`` (a ``SecretStr``).
    """
    body = _common(settings, hosted)
    reveal = getattr(access_token, "get_secret_value", None)
    body["access_token"] = reveal() if callable(reveal) else str(access_token)
    if select_accounts:
        body["update"] = {"account_selection_enabled": True}
    return body
