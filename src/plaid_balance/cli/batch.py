"""``plaid-balance batch``: balances for many Items under Plaid's rate limits (see docs/batch.md).

The declaration (options and help); the work is in ``cli.impl.batch``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from plaid_balance.cli import params
from plaid_balance.cli.boundary import loading
from plaid_balance.cli.common import (
    cached_option,
    connection_options,
    min_last_updated_option,
    output_format_option,
)
from plaid_balance.cli.recall import history_options

if TYPE_CHECKING:
    pass


INPUT_FORMATS = ("auto", "csv", "jsonl")

DEFAULT_CONCURRENCY = 10  # the library's default (plaid_balance.batch.DEFAULT_CONCURRENCY); tested equal


@click.command()
@click.argument("items_file", required=False, type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@click.option(
    "--all",
    "all_items",
    is_flag=True,
    help="Every Item in the vault instead of ITEMS_FILE (labels: aliases).",
)
@connection_options
@click.option(
    "--concurrency",
    type=params.Integer(1, 500),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Items fetched at the same time, one connection each.",
)
@click.option(
    "--rate-limit",
    type=params.Integer(1, 1_000_000),
    metavar="N",
    help="Requests per minute for the whole client [default: Plaid's documented limit: "
    "production 1,200, sandbox 100; with --cached 15,000 / 5,000].",
)
@click.option(
    "--item-rate-limit",
    type=params.Integer(1, 1_000_000),
    metavar="N",
    help="Requests per minute per Item [default: production 5, sandbox 25; with --cached 15 / 100].",
)
@click.option(
    "--rate-window",
    type=params.Number(0.0, 3600.0, min_open=True),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="The window the two limits count over (at most 3600); change it only for an emulator "
    "configured with a shorter window.",
)
@cached_option
@min_last_updated_option
@output_format_option(
    "ndjson",
    "table",
    help="ndjson streams one result line per Item as it finishes; table prints one table at the end.",
)
@click.option(
    "--input-format",
    type=click.Choice(INPUT_FORMATS),
    default="auto",
    show_default=True,
    help="auto: .csv is CSV, .jsonl/.ndjson/.json is JSON lines, otherwise the first line decides.",
)
@history_options
@click.option(
    "--summary", "summary_line", is_flag=True, help="Print the summary as the last stdout line (JSON)."
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr [default: only when stderr is a terminal].",
)
def batch(**options: Any) -> None:
    """Fetch balances for every Item in ITEMS_FILE ('-' for stdin), or with --all every Item in the vault.

    ITEMS_FILE is CSV with an 'access_token,label' header, or JSON lines like
    {"access_token": "...", "label": "..."}. Each Item gives one result line (the 'get' report plus
    'label' and 'line'). Exit codes: 0 all ok, 5 some or all Items failed, 2 usage error or a malformed
    line in ITEMS_FILE (the other lines still run), 7 history database error, 130 interrupted.
    """
    with loading():
        from plaid_balance.cli.impl.batch import run  # the command boundary

    run(**options)
