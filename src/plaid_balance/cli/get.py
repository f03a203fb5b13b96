"""``plaid-balance get``: one Item's balances (the declaration: options and help; the work is in
``cli.impl.get``)."""

from __future__ import annotations

from typing import Any

import click

from plaid_balance.cli.boundary import loading, table_printer
from plaid_balance.cli.common import (
    cached_option,
    connection_options,
    format_option,
    min_last_updated_option,
    token_options,
)
from plaid_balance.cli.item_ref import item_selection
from plaid_balance.cli.recall import history_options


@click.command()
@item_selection
@token_options
@connection_options
@click.option(
    "--account-id", "account_ids", multiple=True, metavar="ID", help="Only this account (repeatable)."
)
@min_last_updated_option
@cached_option
@history_options
@format_option
def get(**options: Any) -> None:
    """Fetch one Item's balances and print the report (JSON by default).

    ALIAS names an Item in the vault (plaid-balance items list); without it the access token comes from
    --access-token-file or $PLAID_ACCESS_TOKEN. --all fetches every Item in the vault in turn.
    """
    with loading():
        from plaid_balance.cli.impl.get import run  # the command boundary

        tables = table_printer(options["output_format"])
    run(**options, tables=tables)
