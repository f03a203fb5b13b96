"""``plaid-balance check``: can one account cover an amount? Exit 0 pass, 6 fail (see docs/funds-check.md).

The check itself is the library's (``plaid_balance.funds.check_funds``): this module reads the options,
hands them over, and prints the answer.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import click

from plaid_balance.cli import params
from plaid_balance.cli.common import (
    WhenType,
    connection_options,
    emit_report,
    make_client,
    token_options,
)
from plaid_balance.cli.exit_codes import exit_code_for
from plaid_balance.cli.item_ref import alias_argument, environment_for, resolve_item
from plaid_balance.cli.recall import history_options, history_store

if TYPE_CHECKING:
    from decimal import Decimal

    from plaid_balance.funds import FundsCheckError, FundsDecision


def _print_table(decision: FundsDecision) -> None:
    from rich.table import Table
    from rich.text import Text

    from plaid_balance.cli.render import money
    from plaid_balance.cli.text import cell, console
    from plaid_balance.history.freshness import describe_age

    a = decision.account
    verdict = cell("PASS", "bold green") if decision.passed else cell("FAIL", "bold red")
    table = Table(title=Text.assemble("Sufficient funds: ", verdict), show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    mask = f" ••{a.mask}" if a.mask else ""
    # The name and mask are the bank's text: shown literally, never as markup.
    table.add_row("Account", cell(f"{a.name}{mask} ({a.type}/{a.subtype or '—'}) {a.account_id}"))
    table.add_row("Amount", cell(money(decision.amount, decision.currency)))
    table.add_row(
        "Balance used", cell(f"{decision.balance_used}: {money(decision.figure, decision.currency)}")
    )
    if decision.shortfall:
        table.add_row("Short by", cell(money(decision.shortfall, decision.currency)))
    table.add_row("Reason", cell(decision.reason))
    age = describe_age(decision.age_seconds or 0)
    origin = (
        "stored snapshot (no Plaid call)" if decision.source == "stored" else f"{decision.source} from Plaid"
    )
    table.add_row("Source", cell(f"{origin}, {age} old"))
    if decision.stale:
        table.add_row("Stale", cell("yes", "bold red"))
    console().print(table)


def _emit_error(exc: FundsCheckError, output_format: str) -> None:
    from plaid_balance._report import FailureReport
    from plaid_balance.cli.render import to_json

    if output_format == "json":
        click.echo(to_json(FailureReport(error=exc.error)))
    click.echo(f"error: {exc.code}: {exc.message} (the check cannot decide; this is not a pass)", err=True)


@click.command()
@alias_argument
@token_options
@connection_options
@click.option("--account-id", required=True, metavar="ID", help="The account that would pay.")
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
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "table"]),
    default="json",
    show_default=True,
    help="json is the contract; table is for people.",
)
def check(
    alias: str | None,
    access_token_file: str | None,
    access_token_arg: str | None,
    environment: str,
    base_url: str | None,
    timeout: float,
    account_id: str,
    amount: Decimal,
    currency: str | None,
    min_last_updated: datetime | None,
    max_age: timedelta | None,
    save: bool,
    db: str | None,
    output_format: str,
) -> None:
    """Check that ACCOUNT can cover AMOUNT from a fresh balance: exit 0 pass, 6 fail.

    ALIAS names an Item in the vault; without it the token comes from --access-token-file or
    $PLAID_ACCESS_TOKEN.

    Uses the available balance; current only for depository accounts without one; for credit, the
    available credit or limit − current. Cannot-decide cases (no balance, other currency, an amount
    with more decimals than its currency has) exit 2, before any billed call whenever they can be
    known before. For ACH debits Plaid recommends /signal/evaluate instead (see docs/funds-check.md).
    """
    from plaid_balance._report import FailureReport
    from plaid_balance.cli.render import to_json
    from plaid_balance.funds import FundsCheckError, check_funds

    ref = resolve_item(alias, access_token_file, access_token_arg, db)
    environment = environment_for(ref, environment)
    token = ref.access_token
    with history_store(save, max_age, db) as store:
        try:
            outcome = check_funds(
                token,
                account_id,
                amount,
                currency,
                # Credentials are needed only if Plaid is called: a stored answer works without them.
                client=lambda: make_client(environment, base_url, timeout),
                min_last_updated_datetime=min_last_updated,
                max_age=max_age,
                store=store,
                save=save,
            )
        except FundsCheckError as exc:
            _emit_error(exc, output_format)
            sys.exit(exit_code_for(exc))
    if isinstance(outcome, FailureReport):
        sys.exit(emit_report(outcome, "json", ref.alias))
    if output_format == "json":
        click.echo(to_json(outcome))
    else:
        _print_table(outcome)
    sys.exit(exit_code_for(outcome))
