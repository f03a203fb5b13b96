"""``plaid-balance accounts``: an Item's accounts and their ids (the declaration: options and help; the
work is in ``cli.impl.accounts``)."""

from __future__ import annotations

from typing import Any

import click

from plaid_balance.cli.boundary import loading
from plaid_balance.cli.common import connection_options, output_format_option, token_options
from plaid_balance.cli.item_ref import item_selection
from plaid_balance.cli.recall import db_option


@click.command()
@item_selection
@token_options
@connection_options
@db_option
@output_format_option("table", "json", "csv", help="table for people; json and csv for programs.")
def accounts(**options: Any) -> None:
    """List an Item's accounts with their ids, for `check --account` and `get --account-id`.

    ALIAS names an Item in the vault (its alias or item_id); --all lists every Item's; without either
    the token comes from --access-token-file or $PLAID_ACCESS_TOKEN. Reads Plaid's cached
    /accounts/get, which is free: no real-time balance call is made or billed.
    """
    with loading():
        from plaid_balance.cli.impl.accounts import run  # the command boundary

    run(**options)
