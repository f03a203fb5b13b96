"""``plaid-balance dashboard``: the local web dashboard over the history database and the vault."""

from __future__ import annotations

from typing import Any

import click

from plaid_balance.cli.boundary import loading
from plaid_balance.cli.recall import db_option


@click.command()
@db_option
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default)."
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port; 0 picks a free one."
)
@click.option("--no-browser", is_flag=True, help="Print the dashboard's URL instead of opening a browser.")
def dashboard(**options: Any) -> None:
    """Serve a dashboard of your balances: net worth, Items and their health, accounts, history charts.

    Every page needs signing in: the browser opened at start is signed in, and the link printed at start
    signs in one more browser, once. Scripts send PLAID_BALANCE_DASHBOARD_TOKEN as a bearer token (a token
    you choose; needed to listen beyond loopback). /balances.json has the latest balances as JSON. Stop
    with Ctrl-C. Nothing is sent anywhere: the page and its chart library are served by plaid-balance.
    """
    with loading():
        from plaid_balance.cli.impl.dashboard import run  # the command boundary

    run(**options)
