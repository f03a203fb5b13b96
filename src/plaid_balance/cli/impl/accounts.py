"""``plaid-balance accounts``: an Item's accounts and their ids, from Plaid's free cached call."""

from __future__ import annotations

import sys

import click
import msgspec
from rich import box
from rich.table import Table

from plaid_balance._csv import csv_text
from plaid_balance._fetch import fetch_report
from plaid_balance._report import FailureReport
from plaid_balance.cli.exit_codes import ExitCode, exit_code_for
from plaid_balance.cli.impl.common import make_client
from plaid_balance.cli.impl.get import combined_exit_code
from plaid_balance.cli.impl.item_ref import ItemRef, environment_for, record_health, selected_items
from plaid_balance.cli.render import dumps_line, failure_line, to_json
from plaid_balance.cli.text import cell, console

COLUMNS = ("account_id", "name", "type", "subtype", "mask")


def run(
    alias: str | None,
    all_items: bool,
    access_token_file: str | None,
    access_token_arg: str | None,
    environment: str,
    base_url: str | None,
    timeout: float,
    db: str | None,
    output_format: str,
) -> None:

    refs = selected_items(alias, all_items, access_token_file, access_token_arg, db)
    codes = [
        _one(ref, environment, base_url, timeout, db, output_format, several=all_items, first=n == 0)
        for n, ref in enumerate(refs)
    ]
    sys.exit(combined_exit_code(codes))


def _one(
    ref: ItemRef,
    environment: str,
    base_url: str | None,
    timeout: float,
    db: str | None,
    output_format: str,
    *,
    several: bool,
    first: bool,
) -> int:

    with make_client(environment_for(ref, environment), base_url, timeout) as client:
        report = fetch_report(client, ref.access_token, cached=True)
    record_health(ref, report, db)
    if isinstance(report, FailureReport):
        if output_format == "json":
            click.echo(
                dumps_line({"alias": ref.alias, **to_jsonable(report)}) if several else to_json(report)
            )
        prefix = f"{ref.alias}: " if several else ""
        click.echo(prefix + failure_line(report, ref.alias), err=True)
        return int(exit_code_for(report))
    rows = [{column: getattr(a, column) for column in COLUMNS} for a in report.accounts]
    if output_format == "json":
        document = {"item_id": report.item_id, "accounts": rows}
        click.echo(dumps_line({"alias": ref.alias, **document}) if several else to_json(document))
    elif output_format == "csv":
        _print_csv(rows, ref.alias if several else None, header=first)
    else:
        _print_table(
            report.institution_name or report.institution_id or "Item", report.item_id, rows, ref.alias
        )
    return int(ExitCode.OK)


def to_jsonable(report: FailureReport) -> dict[str, object]:
    return msgspec.structs.asdict(report)


def _print_csv(rows: list[dict[str, str | None]], alias: str | None, *, header: bool) -> None:
    columns = ("alias", *COLUMNS) if alias is not None else COLUMNS
    records = [{"alias": alias, **r} if alias is not None else r for r in rows]
    lines = [[r.get(c) for c in columns] for r in records]
    click.echo(csv_text([columns, *lines] if header else lines), nl=False)


def _print_table(
    institution: str, item_id: str, rows: list[dict[str, str | None]], alias: str | None
) -> None:

    out = console()
    ids = max((len(r["account_id"] or "") for r in rows), default=10)
    kinds = min(max((len(r["subtype"] or r["type"] or "") for r in rows), default=4), 16)
    # The id is what the user copies: it is never cut. Names give way first, then types.
    names = max(10, out.width - ids - kinds - 4 - 12)  # 12: padding and separators
    title = f"{alias} · {institution} · {item_id}" if alias else f"{institution} · {item_id}"
    table = Table(title=cell(title), box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Account", overflow="ellipsis", no_wrap=True, max_width=names)
    table.add_column("Type", overflow="ellipsis", no_wrap=True, max_width=kinds)
    table.add_column("Mask", no_wrap=True, min_width=4)
    table.add_column("Account ID", no_wrap=True, min_width=ids)
    for r in rows:
        table.add_row(
            cell(r["name"]), cell(r["subtype"] or r["type"]), cell(r["mask"] or "—"), cell(r["account_id"])
        )
    out.print(table)
