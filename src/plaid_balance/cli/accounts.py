"""``plaid-balance accounts``: an Item's accounts and their ids, from Plaid's free cached call."""

from __future__ import annotations

import sys

import click

from plaid_balance.cli.common import connection_options, make_client, read_access_token, token_options
from plaid_balance.cli.exit_codes import ExitCode, exit_code_for

COLUMNS = ("account_id", "name", "type", "subtype", "mask")


@click.command()
@token_options
@connection_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="table for people; json and csv for programs.",
)
def accounts(
    access_token_file: str | None,
    access_token_arg: str | None,
    environment: str,
    base_url: str | None,
    timeout: float,
    output_format: str,
) -> None:
    """List an Item's accounts with their ids, for `check --account-id` and `get --account-id`.

    Reads Plaid's cached /accounts/get, which is free: no real-time balance call is made or billed.
    """
    from plaid_balance._fetch import fetch_report
    from plaid_balance._report import FailureReport
    from plaid_balance.cli.render import failure_line, to_json

    token = read_access_token(access_token_file, access_token_arg)
    with make_client(environment, base_url, timeout) as client:
        report = fetch_report(client, token, cached=True)
    if isinstance(report, FailureReport):
        if output_format == "json":
            click.echo(to_json(report))
        click.echo(failure_line(report), err=True)
        sys.exit(exit_code_for(report))
    rows = [{column: getattr(a, column) for column in COLUMNS} for a in report.accounts]
    if output_format == "json":
        click.echo(to_json({"item_id": report.item_id, "accounts": rows}))
    elif output_format == "csv":
        import csv  # here, as every import --help does not need
        import io

        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buffer.getvalue(), nl=False)
    else:
        _print_table(report.institution_name or report.institution_id or "Item", report.item_id, rows)
    sys.exit(ExitCode.OK)


def _print_table(institution: str, item_id: str, rows: list[dict[str, str | None]]) -> None:
    from rich import box
    from rich.table import Table

    from plaid_balance.cli.text import cell, console

    out = console()
    ids = max((len(r["account_id"] or "") for r in rows), default=10)
    kinds = min(max((len(r["subtype"] or r["type"] or "") for r in rows), default=4), 16)
    # The id is what the user copies: it is never cut. Names give way first, then types.
    names = max(10, out.width - ids - kinds - 4 - 12)  # 12: padding and separators
    table = Table(title=cell(f"{institution} · {item_id}"), box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Account", overflow="ellipsis", no_wrap=True, max_width=names)
    table.add_column("Type", overflow="ellipsis", no_wrap=True, max_width=kinds)
    table.add_column("Mask", no_wrap=True, min_width=4)
    table.add_column("Account ID", no_wrap=True, min_width=ids)
    for r in rows:
        table.add_row(
            cell(r["name"]), cell(r["subtype"] or r["type"]), cell(r["mask"] or "—"), cell(r["account_id"])
        )
    out.print(table)
