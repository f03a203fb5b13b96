"""``plaid-balance history``: stored balances over time, as a table, CSV, JSON or a chart file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from plaid_balance.cli import params
from plaid_balance.cli.boundary import loading
from plaid_balance.cli.common import WhenType, output_format_option
from plaid_balance.cli.item_ref import item_selection
from plaid_balance.cli.recall import db_option

if TYPE_CHECKING:
    pass


@click.command()
@item_selection
@db_option
@click.option("--item", "item_id", metavar="ITEM_ID", help="Only this Item (by Plaid item_id).")
@click.option("--account", "account_id", metavar="ACCOUNT_ID", help="Only this account.")
@click.option(
    "--since", type=WhenType(), metavar="WHEN", help="From this time: ISO 8601 or a duration back (30d)."
)
@click.option(
    "--until", type=WhenType(), metavar="WHEN", help="Up to this time: ISO 8601 or a duration back."
)
@output_format_option(
    "table",
    "csv",
    "json",
    help="table for people; csv has account rows then total rows; json holds both series.",
)
@click.option(
    "--chart",
    type=params.FilePath(dir_okay=False),
    metavar="FILE",
    help="Write a chart instead (.png, .svg, or .html with the SVG inline); needs plaid-balance[chart].",
)
@click.option("--title", metavar="TEXT", help="Chart title (shown literally).")
def history(**options: Any) -> None:
    """Show stored balance history: each account's balances, and per currency assets/liabilities/net.

    ALIAS (an Item's alias in the vault, or its item_id) shows that Item only; its history is one series
    across token rotation and re-linking in update mode. --all (the default) shows every Item's.
    """
    with loading():
        from plaid_balance.cli.impl.history import run  # the command boundary

    run(**options)
