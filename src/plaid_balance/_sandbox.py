"""Creating sandbox Items without Link: ``/sandbox/public_token/create`` then ``/item/public_token/exchange``.

Works against Plaid's real Sandbox and against the built-in emulator alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from plaid_balance._config import Environment
from plaid_balance._errors import ConfigurationError

if TYPE_CHECKING:
    from plaid_balance._client import PlaidClient
    from plaid_balance.models import PublicTokenExchangeResponse

DEFAULT_INSTITUTION = "ins_109508"  # First Platypus Bank, Plaid's default non-OAuth test bank
DEFAULT_USERNAME = "user_good"
DEFAULT_PASSWORD = "pass_good"  # noqa: S105 - Plaid's published Sandbox test password


def create_sandbox_item(
    client: PlaidClient,
    institution_id: str = DEFAULT_INSTITUTION,
    username: str = DEFAULT_USERNAME,
    password: str | Mapping[str, Any] = DEFAULT_PASSWORD,
    initial_products: tuple[str, ...] = ("transactions",),
) -> PublicTokenExchangeResponse:
    """A new sandbox Item; ``password`` may be a ``user_custom`` configuration (a mapping or JSON text).

    A lost exchange answer raises ``ExchangeAnswerLostError`` (see ``_exchange``), never a plain failure.
    """
    if client.environment is not Environment.SANDBOX:
        raise ConfigurationError("sandbox Items can only be created in the sandbox environment")
    import json

    secret_word = password if isinstance(password, str) else json.dumps(password)
    public = client.sandbox_public_token_create(
        institution_id, initial_products, override_username=username, override_password=secret_word
    )
    from plaid_balance._exchange import exchange_public_token

    return exchange_public_token(client, public.public_token)
