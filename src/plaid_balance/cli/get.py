"""``plaid-balance get``: one Item's balances."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import click

from plaid_balance.cli.common import (
    cached_option,
    connection_options,
    emit_report,
    format_option,
    make_client,
    min_last_updated_option,
    read_access_token,
    token_options,
)
from plaid_balance.cli.recall import history_options, history_store

if TYPE_CHECKING:
    from plaid_balance._report import Report


@click.command()
@token_options
@connection_options
@click.option(
    "--account-id", "account_ids", multiple=True, metavar="ID", help="Only this account (repeatable)."
)
@min_last_updated_option
@cached_option
@history_options
@format_option
def get(
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
) -> None:
    """Fetch one Item's balances and print the report (JSON by default)."""
    if cached and min_last_updated is not None:
        raise click.UsageError("--min-last-updated applies to real-time balances, not --cached")
    token = read_access_token(access_token_file, access_token_arg)
    from plaid_balance._fetch import fetch_report
    from plaid_balance.history.recall import fetch_or_recall

    def fetch() -> Report:
        with make_client(environment, base_url, timeout) as client:
            return fetch_report(
                client,
                token,
                account_ids=account_ids or None,
                min_last_updated_datetime=min_last_updated,
                cached=cached,
            )

    with history_store(save, max_age, db) as store:
        report = fetch_or_recall(
            store, token, fetch, save=save, max_age=max_age, account_ids=account_ids or None
        )
    sys.exit(emit_report(report, output_format))
