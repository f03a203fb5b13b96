"""How a link attempt can end without a linked Item (besides Plaid, network and vault errors).

The classes are defined with every other exception in ``plaid_balance._errors`` (the one tree).
"""

from __future__ import annotations

from plaid_balance._errors import LinkAborted, LinkCancelled, LinkTimedOut

__all__ = ["LinkAborted", "LinkCancelled", "LinkTimedOut"]
