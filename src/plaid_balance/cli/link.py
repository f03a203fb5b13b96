"""``plaid-balance link``: connect a bank with Plaid Link, or repair one in place (update mode)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from plaid_balance.cli.boundary import loading
from plaid_balance.cli.common import DurationType, base_url_option, environment_option
from plaid_balance.cli.item_ref import item_selection
from plaid_balance.cli.recall import db_option

F = TypeVar("F", bound=Callable[..., Any])

ACCOUNT_TYPES = ("depository", "credit", "loan", "investment")

EPILOG = """\b
Examples:
  plaid-balance link                          # pick a bank in the browser; stored as e.g. chase
  plaid-balance link --account-type depository --alias main
  plaid-balance link --hosted                 # headless machine: open the printed URL anywhere
  plaid-balance link --update chase           # repair a login (ITEM_LOGIN_REQUIRED) in place
  plaid-balance link --update --all           # repair every Item that needs it, one after another
\b
Exit codes: 0 linked or repaired (or nothing needs repair), 2 usage or configuration, 3 Plaid error, 4 network error,
7 vault database or key, 8 Link cancelled or timed out, 130 interrupted (Ctrl-C), 143 / 129 stopped
by SIGTERM / SIGHUP.
"""


def repair_selection(func: F) -> F:
    """``[ALIAS]`` / ``--all`` as every command names Items; for ``link`` only with ``--update``."""
    return item_selection(
        func, all_help="With --update: every Item in the vault that needs repair, one after another."
    )


@click.command("link", epilog=EPILOG)
@repair_selection
@click.option(
    "--alias",
    "new_alias",
    metavar="NAME",
    help="Name for the new Item in the vault [default: from the bank's name].",
)
@click.option(
    "--update",
    is_flag=True,
    help="Repair ALIAS (an alias or item_id) in place, or with --all every Item that needs it "
    "(Link update mode): same Item, same access token, nothing re-billed.",
)
@click.option("--select-accounts", is_flag=True, help="With --update: choose the Item's accounts again.")
@click.option(
    "--hosted", is_flag=True, help="Use Plaid's Hosted Link (a URL to open anywhere): no local server."
)
@click.option(
    "--account-type",
    "account_types",
    multiple=True,
    type=click.Choice(ACCOUNT_TYPES),
    help="Offer only these account types (repeatable) [default: all]. depository alone links with auth.",
)
@click.option(
    "--products",
    multiple=True,
    metavar="LIST",
    help="Plaid products, comma-separated [default: auth for depository only, else transactions].",
)
@click.option(
    "--country", "countries", multiple=True, metavar="CC", help="Country codes (repeatable) [default: US]."
)
@click.option("--language", default="en", show_default=True, help="Language Link speaks.")
@click.option(
    "--timeout",
    "wait_for",
    type=DurationType(),
    default="10m",
    show_default=True,
    help="How long to wait for you to finish in Link.",
)
@click.option("--no-browser", is_flag=True, help="Print the address instead of opening a browser.")
@click.option("--yes", "-y", is_flag=True, help="Link a bank the vault already holds without asking.")
@db_option
@environment_option
@base_url_option
def link(**options: Any) -> None:
    """Connect a bank with Plaid Link and keep it, encrypted, in the vault.

    Opens a one-time page on 127.0.0.1 that runs Plaid Link, exchanges the public token it returns
    and stores the new Item under an alias; then `plaid-balance get ALIAS` (or `get --all`) shows its
    balances. With --update ALIAS, repairs that Item's login instead (update mode); with --update --all,
    every Item whose login needs repair, one after another.
    """
    with loading():
        from plaid_balance.cli.impl.link import run  # the command boundary

    run(**options)
