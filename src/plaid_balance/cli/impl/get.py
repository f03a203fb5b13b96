"""``plaid-balance get``: fetch one Item's balances (or every Item's) and print the report."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from functools import partial

import click
import msgspec

from plaid_balance._fetch import fetch_report
from plaid_balance._report import FailureReport, Report
from plaid_balance.cli.exit_codes import ExitCode, exit_code_for
from plaid_balance.cli.impl.common import emit_report, history_store, make_client
from plaid_balance.cli.impl.item_ref import ItemRef, environment_for, record_health, selected_items
from plaid_balance.cli.render import TablePrinter, dumps_line, failure_line
from plaid_balance.history.recall import fetch_or_recall


def run(
    alias: str | None,
    all_items: bool,
    access_token_file: str | None,
    access_token_arg: str | None,
    environment: str,
    base_url: str | None,
    timeout: float,
    account_ids: tuple[str, ...],
    min_last_updated: datetime | None,
    cached: bool,
    save: bool,
    max_age: timedelta | None,
    db: str | None,
    output_format: str,
    tables: TablePrinter | None = None,
) -> None:
    if cached and min_last_updated is not None:
        raise click.UsageError("--min-last-updated applies to real-time balances, not --cached")
    refs = selected_items(alias, all_items, access_token_file, access_token_arg, db)

    def fetch_for(ref: ItemRef) -> Report:
        with make_client(environment_for(ref, environment), base_url, timeout) as client:
            return fetch_report(
                client,
                ref.access_token,
                account_ids=account_ids or None,
                min_last_updated_datetime=min_last_updated,
                cached=cached,
            )

    codes = []
    answered: list[Report] = []
    with history_store(save, max_age, db) as store:
        for ref in refs:
            report = fetch_or_recall(
                store,
                ref.access_token,
                partial(fetch_for, ref),
                save=save,
                max_age=max_age,
                account_ids=account_ids or None,
                item_id=ref.item_id,
            )
            record_health(ref, report, db)
            answered.append(report)
            codes.append(
                emit_each(report, output_format, ref, tables)
                if all_items
                else emit_report(report, output_format, ref.alias, tables)
            )
    if all_items and tables is not None:
        tables.print_combined(answered)
    sys.exit(combined_exit_code(codes))


def emit_each(report: Report, output_format: str, ref: ItemRef, tables: TablePrinter | None) -> int:
    """One of several reports: a JSON line carrying the Item's alias, or its table."""
    if output_format != "json":
        return emit_report(report, output_format, ref.alias, tables)
    click.echo(dumps_line({"alias": ref.alias, **msgspec.structs.asdict(report)}))
    if isinstance(report, FailureReport):
        click.echo(f"{ref.alias}: {failure_line(report, ref.alias)}", err=True)
    return int(exit_code_for(report))


def combined_exit_code(codes: list[int]) -> int:
    """One report: its code. Several: 0 if all succeeded, 5 if some did, else the first failure's code."""
    failed = [c for c in codes if c != ExitCode.OK]
    if not failed:
        return int(ExitCode.OK)
    if len(codes) > 1 and len(failed) < len(codes):
        return int(ExitCode.PARTIAL_FAILURE)
    return failed[0]
