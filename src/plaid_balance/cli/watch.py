"""``plaid-balance watch``: keep every Item in the vault fresh within a budget, alert, take webhooks,
serve /metrics (see docs/watch.md)."""

from __future__ import annotations

from typing import Any

import click

from plaid_balance.cli import params
from plaid_balance.cli.boundary import loading
from plaid_balance.cli.common import connection_options
from plaid_balance.cli.recall import db_option


@click.command("watch")
@click.option(
    "--config",
    "-c",
    "config_path",
    type=params.FilePath(dir_okay=False),
    default="watch.toml",
    show_default=True,
    envvar="PLAID_BALANCE_WATCH_CONFIG",
    help="The watch's TOML config [env: PLAID_BALANCE_WATCH_CONFIG].",
)
@db_option
@connection_options
@click.option("--listen", metavar="HOST:PORT", help="Override [server] listen (port 0: any free port).")
@click.option("--once", is_flag=True, help="Refresh every Item that is due once, deliver alerts, and exit.")
@click.option("--check", "check_only", is_flag=True, help="Check the config against the vault and exit.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log lines on stderr as key=value text or JSON lines.",
)
@click.option(
    "--concurrency",
    type=params.Integer(1, 100),
    default=10,
    show_default=True,
    help="Items refreshed at once (Plaid's rate limits hold whatever this is).",
)
def watch(**options: Any) -> None:
    """Keep balances fresh, cheaply, and say what matters.

    Refreshes every Item in the vault on a schedule, within a budget of billed real-time calls
    (falling back to Plaid's free cached balances, or to history, and saying so), tracks each Item's
    health, sends alerts through Apprise, verifies Plaid's webhooks and serves Prometheus /metrics.
    Runs in the foreground; SIGHUP reloads the config, SIGTERM or Ctrl-C stops it cleanly.
    """
    with loading():
        from plaid_balance.cli.impl.watch import run  # the command boundary

    run(**options)
