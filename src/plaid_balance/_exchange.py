"""Exchanging a public token for an access token when the answer can be lost.

``/item/public_token/exchange`` is a one-shot call (never retried by the client): Plaid turns the public
token into an Item once, and its answer is the only copy of the access token. When no answer arrives, the
same public token is sent once more, which is safe and tells the truth: Plaid answers with the access
token (the first request never reached it) or refuses it with INVALID_PUBLIC_TOKEN (the first one made
the Item, whose token is now lost). Either way the caller learns which, and never reports a failure as
"nothing happened" when an Item was made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from plaid_balance._error_body import exchange_answer_lost
from plaid_balance._errors import PlaidAPIError, PlaidNetworkError

if TYPE_CHECKING:
    from plaid_balance._client import PlaidClient
    from plaid_balance.models import PublicTokenExchangeResponse

REFUSED_CODES = frozenset({"INVALID_PUBLIC_TOKEN"})


def exchange_public_token(client: PlaidClient, public_token: str) -> PublicTokenExchangeResponse:
    """The access token for ``public_token``; a lost answer is found out, not hidden.

    Raises:
        PlaidAPIError: Plaid refused the exchange at once (nothing was made).
        ExchangeAnswerLostError: the answer was lost; ``outcome`` is ``lost`` (Plaid made an Item whose
            token never arrived) or ``unknown`` (Plaid could not be asked again).
    """
    try:
        return client.item_public_token_exchange(public_token)
    except PlaidNetworkError as first:
        cause = first
    try:
        return client.item_public_token_exchange(public_token)
    except PlaidAPIError as exc:
        if exc.error_code not in REFUSED_CODES:
            raise
        raise exchange_answer_lost(
            f"Plaid received the public-token exchange but its answer was lost ({cause.message}): it made "
            "an Item whose access token never arrived. That Item is unusable; link the bank again",
            outcome="lost",
        ) from None
    except PlaidNetworkError as again:
        raise exchange_answer_lost(
            f"no answer from Plaid to the public-token exchange ({cause.message}), nor when asked again "
            f"({again.message}): whether Plaid made the Item is unknown",
            outcome="unknown",
        ) from None
