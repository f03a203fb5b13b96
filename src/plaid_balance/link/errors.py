"""How a link attempt can end without a linked Item (besides Plaid, network and vault errors)."""

from __future__ import annotations

from plaid_balance._errors import PlaidBalanceError


class LinkAborted(PlaidBalanceError):
    """Link ended without a result to keep: the user closed it, or nobody finished it in time."""


class LinkCancelled(LinkAborted):
    """The user closed Link (onExit), possibly after an error Link showed them."""


class LinkTimedOut(LinkAborted):
    """No result arrived before the deadline (``--timeout``)."""
