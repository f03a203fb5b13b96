"""Which Item a command acts on: the ``[ALIAS]`` argument and ``--all`` (declared here, for help; the
Items they name are found by ``cli.impl.item_ref``).

One helper for every command that fetches (``get``, ``check``, ``batch``, ``history``): ``ALIAS`` (or an
item_id the vault knows) gives the token, the Item's id and its environment; without one the token comes
from ``--access-token-file`` / ``$PLAID_ACCESS_TOKEN`` as before. Whatever the vault learns from the
answer (an Item that needs repair, or works again) is recorded in its health.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from plaid_balance.cli import params

F = TypeVar("F", bound=Callable[..., Any])


def alias_argument(func: F) -> F:
    """An optional ALIAS argument: an Item in the vault (its alias or item_id)."""
    return click.argument("alias", required=False, metavar="[ALIAS]", type=params.ItemReference())(func)


ALL_HELP = "Every Item in the vault, one after another."


def all_option(func: F, all_help: str = ALL_HELP) -> F:
    """``--all``: every Item in the vault, in place of ALIAS."""
    return click.option("--all", "all_items", is_flag=True, help=all_help)(func)


def item_selection(func: F, all_help: str = ALL_HELP) -> F:
    """The one way every command names the Items it acts on: ``[ALIAS]`` (an alias or item_id) or
    ``--all``; ``selected_items`` turns them into Items. ``all_help`` says what ``--all`` covers when a
    command takes fewer than every Item (``link --update --all``: those that need repair)."""
    return alias_argument(all_option(func, all_help))
