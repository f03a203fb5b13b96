"""``plaid-balance check``: can one account cover an amount? Exit 0 pass, 6 fail (see docs/funds-check.md).

The declaration (options and help); the work is in ``cli.impl.check``.
"""

from __future__ import annotations

from typing import Any

import click

from plaid_balance.cli import params
from plaid_balance.cli.boundary import loading, table_printer
from plaid_balance.cli.common import WhenType, connection_options, output_format_option, token_options
from plaid_balance.cli.item_ref import item_selection
from plaid_balance.cli.recall import history_options


@click.command()
@item_selection
@token_options
@connection_options
@click.option(
    "--account",
    "selector",
    type=params.AccountSelector(),
    metavar="ACCOUNT",
    help="The account that would pay: its account_id, mask or name (plaid-balance accounts lists them).",
)
@click.option("--account-id", metavar="ID", help="The account that would pay, by its account_id.")
@click.option(
    "--amount",
    required=True,
    type=params.Amount(),
    metavar="AMOUNT",
    help="Positive plain decimal (125 or 125.00); no exponents, signs or thousands separators.",
)
@click.option(
    "--currency",
    type=params.Currency(),
    metavar="CODE",
    help="Currency of the amount; must match the account's (no conversion). Default: the account's.",
)
@click.option(
    "--min-last-updated",
    type=WhenType(),
    metavar="WHEN",
    help="Oldest acceptable balance (passed to Plaid; also marks older balances stale). Capital One needs it.",
)
@history_options
@output_format_option("json", "table", help="json is the contract; table is for people.")
def check(**options: Any) -> None:
    """Check that ACCOUNT can cover AMOUNT from a fresh balance: exit 0 pass, 6 fail.

    ALIAS names an Item in the vault (its alias or item_id); --all looks for the account in every
    Item; without either the token comes from --access-token-file or $PLAID_ACCESS_TOKEN. --account
    takes the account's id, mask or name; one that matches several accounts is refused, naming them.

    Uses the available balance; current only for depository accounts without one; for credit, the
    available credit or limit − current. Cannot-decide cases (no balance, other currency, an amount
    with more decimals than its currency has) exit 2, before any billed call whenever they can be
    known before. For ACH debits Plaid recommends /signal/evaluate instead (see docs/funds-check.md).
    """
    with loading():
        from plaid_balance.cli.impl.check import run  # the command boundary

        tables = table_printer(options["output_format"])
    run(**options, tables=tables)
