"""Creating sandbox Items without Link: ``/sandbox/public_token/create`` then ``/item/public_token/exchange``.

Works against Plaid's real Sandbox and against the built-in emulator alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from plaid_balance._config import SANDBOX_INSTITUTION, SANDBOX_PASSWORD, SANDBOX_USERNAME, Environment
from plaid_balance._errors import ConfigurationError
from plaid_balance._exchange import exchange_public_token

if TYPE_CHECKING:
    from plaid_balance._client import PlaidClient
    from plaid_balance.models import PublicTokenExchangeResponse


def create_sandbox_item(
    client: PlaidClient,
    institution_id: str = SANDBOX_INSTITUTION,
    username: str = SANDBOX_USERNAME,
    password: str | Mapping[str, Any] = SANDBOX_PASSWORD,
    initial_products: tuple[str, ...] = ("transactions",),
) -> PublicTokenExchangeResponse:
    """A new sandbox Item; ``password`` may be a ``user_custom`` configuration (a mapping or JSON text).

    A lost exchange answer raises ``ExchangeAnswerLostError`` (see ``_exchange``), never a plain failure.
    """
    if client.environment is not Environment.SANDBOX:
        raise ConfigurationError("sandbox Items can only be created in the sandbox environment")
    secret_word = password if isinstance(password, str) else json.dumps(password)
    public = client.sandbox_public_token_create(
        institution_id, initial_products, override_username=username, override_password=secret_word
    )
    return exchange_public_token(client, public.public_token)
