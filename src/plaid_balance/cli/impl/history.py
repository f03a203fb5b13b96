"""``plaid-balance history``: stored balances over time, as a table, CSV, JSON or a chart file."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, NoReturn

import click

from plaid_balance._errors import ConfigurationError, StorageError
from plaid_balance._extras import require_extra
from plaid_balance.cli.common import fail
from plaid_balance.cli.exit_codes import ExitCode
from plaid_balance.cli.history_chart import chart_format, write_chart
from plaid_balance.cli.history_output import history_table, history_to_csv
from plaid_balance.cli.recall import storage_errors
from plaid_balance.cli.render import to_json
from plaid_balance.cli.text import console
from plaid_balance.history import DatabaseNotFound, load_history, open_store
from plaid_balance.history.series import History, history_to_jsonable
from plaid_balance.vault import Vault, VaultError, VaultLookupError

if TYPE_CHECKING:
    from pathlib import Path


def run(
    alias: str | None,
    all_items: bool,
    db: str | None,
    item_id: str | None,
    account_id: str | None,
    since: datetime | None,
    until: datetime | None,
    output_format: str,
    chart: Path | None,
    title: str | None,
) -> None:
    if all_items and (alias is not None or item_id is not None):
        raise click.UsageError("--all takes every Item: give no ALIAS or --item with it")
    if since is not None and until is not None and since > until:
        raise click.UsageError("--since is after --until")
    if alias is not None and item_id is not None:
        raise click.UsageError("give an ALIAS or --item, not both")

    if chart is not None:
        try:
            # A bad suffix, or a missing extra, is reported before any database work.
            chart_format(chart)
            require_extra("chart", "history --chart")  # the HTML page draws its SVG with matplotlib too
        except ConfigurationError as exc:
            fail(str(exc))
    with storage_errors():
        try:
            store = open_store(db, create=False)
        except DatabaseNotFound as exc:
            _nothing_stored(f"no stored balance history: {exc}", output_format, chart)
        with store:
            if alias is not None:
                item_id = _item_for(alias, db)
            result = load_history(store, item_id=item_id, account_id=account_id, since=since, until=until)
            where = store.url
    if result.empty:
        filters = " matching the filters" if any((alias, item_id, account_id, since, until)) else ""
        _nothing_stored(f"no stored balance history{filters} in {where}", output_format, chart)
    if chart is not None:
        try:
            fmt = write_chart(result, chart, title=title, names=_aliases(db))
        except ConfigurationError as exc:
            fail(str(exc))
        click.echo(
            f"wrote {fmt} chart of {len(result.accounts)} accounts, {result.snapshot_count} snapshots to {chart}",
            err=True,
        )
        return
    if output_format == "json":
        click.echo(to_json(history_to_jsonable(result)))
    elif output_format == "csv":
        click.echo(history_to_csv(result), nl=False)
    else:
        out = console()
        table = history_table(result, width=out.width, item_aliases=_aliases(db))
        out.width = max(out.width, table.width or 0)  # wider than the terminal rather than cut an alias
        out.print(table)


def _aliases(db: str | None) -> dict[str, str]:
    """item_id → alias for every Item the vault holds (none when there is no vault or it is unreadable)."""

    try:
        with Vault.open(db, create=False) as vault:
            return {item.item_id: item.alias for item in vault.list()}
    except (DatabaseNotFound, VaultError, StorageError):
        return {}


def _item_for(alias: str, db: str | None) -> str:
    """The item_id behind an alias (or an item_id the vault knows)."""

    try:
        with Vault.open(db, create=False) as vault:
            return vault.get(alias).item_id
    except DatabaseNotFound:
        fail(f"no Item {alias!r}: the vault is empty (plaid-balance link or plaid-balance items import)")
    except VaultLookupError as exc:
        fail(str(exc))


def _nothing_stored(message: str, output_format: str, chart: Path | None) -> NoReturn:
    click.echo(
        f"{message}; store snapshots with --save (e.g. plaid-balance get --save or check --save)", err=True
    )
    if output_format == "json" and chart is None:
        click.echo(to_json(history_to_jsonable(History(accounts=[], totals={}, snapshot_count=0))))
    # Nothing to show is an answer, not an error, except when a chart file was asked for.
    sys.exit(ExitCode.USAGE if chart is not None else ExitCode.OK)
