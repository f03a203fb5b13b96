"""``plaid-balance history``: stored balances over time, as a table, CSV, JSON or a chart file."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from plaid_balance._errors import PlaidBalanceError
from plaid_balance.cli.common import WhenType, fail
from plaid_balance.cli.exit_codes import ExitCode


@click.command()
@click.option(
    "--db",
    metavar="URL",
    envvar="PLAID_BALANCE_DB",
    help="History database [env: PLAID_BALANCE_DB; default: SQLite in the user data dir].",
)
@click.option("--item", "item_id", metavar="ITEM_ID", help="Only this Item.")
@click.option("--account", "account_id", metavar="ACCOUNT_ID", help="Only this account.")
@click.option(
    "--since", type=WhenType(), metavar="WHEN", help="From this time: ISO 8601 or a duration back (30d)."
)
@click.option(
    "--until", type=WhenType(), metavar="WHEN", help="Up to this time: ISO 8601 or a duration back."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table for people; csv has account rows then total rows; json holds both series.",
)
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write a chart instead (.png, .svg, or .html with the SVG inline); needs matplotlib.",
)
@click.option("--title", metavar="TEXT", help="Chart title.")
def history(
    db: str | None,
    item_id: str | None,
    account_id: str | None,
    since: datetime | None,
    until: datetime | None,
    output_format: str,
    chart: Path | None,
    title: str | None,
) -> None:
    """Show stored balance history: each account's balances, and per currency assets/liabilities/net."""
    if since is not None and until is not None and since > until:
        raise click.UsageError("--since is after --until")
    from plaid_balance.history.series import load_history
    from plaid_balance.history.store import open_store

    try:
        if chart is not None:
            from plaid_balance.history.chart import chart_format

            chart_format(chart)  # a bad suffix is reported before any database work
        with open_store(db) as store:
            result = load_history(store, item_id=item_id, account_id=account_id, since=since, until=until)
            where = store.url
    except PlaidBalanceError as exc:
        fail(exc)
    if result.empty:
        filters = " matching the filters" if any((item_id, account_id, since, until)) else ""
        click.echo(
            f"no stored balance history{filters} in {where}; store snapshots with --save "
            "(e.g. plaid-balance check --save or get --save)",
            err=True,
        )
        if output_format == "json" and chart is None:
            from plaid_balance.cli.render import to_json
            from plaid_balance.history.series import history_to_jsonable

            click.echo(to_json(history_to_jsonable(result)))
        # Nothing to show is an answer, not an error, except when a chart file was asked for.
        sys.exit(ExitCode.USAGE if chart is not None else ExitCode.OK)
    if chart is not None:
        from plaid_balance.history.chart import write_chart

        try:
            fmt = write_chart(result, chart, title=title)
        except PlaidBalanceError as exc:
            fail(exc)
        click.echo(
            f"wrote {fmt} chart of {len(result.accounts)} accounts, {result.snapshot_count} snapshots to {chart}",
            err=True,
        )
        return
    if output_format == "json":
        from plaid_balance.cli.render import to_json
        from plaid_balance.history.series import history_to_jsonable

        click.echo(to_json(history_to_jsonable(result)))
    elif output_format == "csv":
        from plaid_balance.history.series import history_to_csv

        click.echo(history_to_csv(result), nl=False)
    else:
        from rich.console import Console

        from plaid_balance.history.series import history_tables

        console = Console()
        for table in history_tables(result):
            console.print(table)
