"""``plaid-balance items``: the Items in the vault, under their aliases (see docs/vault.md).

``list`` and ``show`` read only (no key needed except to show the masked token); ``remove`` and ``rotate``
call Plaid first and change the vault only after Plaid agreed; ``import`` moves tokens from the batch items
file, plaid-cli's data folder or a ``.env`` into the vault. No command prints a token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from plaid_balance.cli import params
from plaid_balance.cli.boundary import loading
from plaid_balance.cli.common import base_url_option, output_format_option, timeout_option
from plaid_balance.cli.item_ref import item_selection
from plaid_balance.cli.recall import db_option

if TYPE_CHECKING:
    pass


F = TypeVar("F", bound=Callable[..., Any])


def plaid_options(func: F) -> F:
    """Where to reach Plaid: the Item's own environment unless --environment says otherwise."""
    environment = click.option(
        "--environment",
        "-e",
        type=click.Choice(["sandbox", "production"], case_sensitive=False),
        envvar="PLAID_ENVIRONMENT",
        default=None,
        help="Plaid environment [env: PLAID_ENVIRONMENT; default: the Item's own].",
    )
    return environment(base_url_option(timeout_option(func)))


@click.group()
def items() -> None:
    """The Items in the vault: list, show, rename, remove, rotate, import, export-public.

    An Item is named by its alias (any case) or its Plaid item_id. Tokens are encrypted at rest and never
    printed; the vault lives in the history database (--db / PLAID_BALANCE_DB).
    """


@items.command("list")
@db_option
@output_format_option("table", "json", help="table for people; json for programs (no tokens in either).")
@click.option("--active", is_flag=True, help="Leave out Items removed from Plaid.")
def list_items(**options: Any) -> None:
    """Every Item: alias, institution, accounts, last balance and its age, and health."""
    with loading():
        from plaid_balance.cli.impl.items import run_list_items  # the command boundary

    run_list_items(**options)


@items.command("show")
@item_selection
@db_option
@output_format_option("text", "json")
def show(**options: Any) -> None:
    """One Item in full: its ids, institution, accounts, health, last balance and its token, masked.

    ALIAS is an alias or item_id; --all shows every Item (JSON: one line each)."""
    with loading():
        from plaid_balance.cli.impl.items import run_show  # the command boundary

    run_show(**options)


@items.command("rename")
@click.argument("alias")
@click.argument("new_alias")
@db_option
def rename(**options: Any) -> None:
    """Give an Item a new alias (its history and token stay with it)."""
    with loading():
        from plaid_balance.cli.impl.items import run_rename  # the command boundary

    run_rename(**options)


@items.command("remove")
@item_selection
@db_option
@plaid_options
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--local-only",
    is_flag=True,
    help="Only delete the vault entry, without telling Plaid (Plaid keeps billing the Item).",
)
def remove(**options: Any) -> None:
    """Remove an Item at Plaid (/item/remove, so billing stops), then mark it removed here.

    ALIAS is an alias or item_id; --all removes every Item still at Plaid, asking for each. Its history
    stays (plaid-balance history ALIAS). With --local-only the entry itself is deleted and Plaid is not
    called: for a corrupted entry, or an Item removed elsewhere.
    """
    with loading():
        from plaid_balance.cli.impl.items import run_remove  # the command boundary

    run_remove(**options)


@items.command("rotate")
@item_selection
@db_option
@plaid_options
def rotate(**options: Any) -> None:
    """Rotate an Item's access token (/item/access_token/invalidate); the new one is stored at once.

    ALIAS is an alias or item_id; --all rotates every Item's token in turn. The Item, its history and
    its alias stay the same; only the token changes. The call is made once, never retried: if its
    answer is lost, Plaid's free /item/get with the old token tells whether the rotation happened, and
    a lost Item is marked so, with the commands that link it again.
    """
    with loading():
        from plaid_balance.cli.impl.items import run_rotate  # the command boundary

    run_rotate(**options)


@items.command("import")
@click.argument("source", type=params.FilePath(allow_dash=False))
@db_option
@plaid_options
@click.option(
    "--format",
    "source_format",
    type=click.Choice(["auto", "csv", "jsonl", "env", "plaid-cli"]),
    default="auto",
    show_default=True,
    help="auto: a folder is plaid-cli's data dir, *.env / .env a dotenv file, *.jsonl JSON lines, else CSV.",
)
def import_items(**options: Any) -> None:
    """Move access tokens into the vault from a batch items file, plaid-cli's data dir or a .env.

    Each token is checked with Plaid's free /accounts/get, which also tells its Item, institution and
    accounts. Labels (batch), aliases (plaid-cli) and variable names (.env) become aliases. Tokens
    already in the vault are skipped. Exit 0 when every entry was imported or skipped, 5 when some
    failed, else the code of the failure.
    """
    with loading():
        from plaid_balance.cli.impl.items import run_import_items  # the command boundary

    run_import_items(**options)


@items.command("export-public")
@db_option
def export_public(**options: Any) -> None:
    """Print what may be shared about every Item (JSON): aliases, ids, institutions, accounts, health.

    Never a token, nor a hint of one: safe to paste into a ticket or commit to a repository.
    """
    with loading():
        from plaid_balance.cli.impl.items import run_export_public  # the command boundary

    run_export_public(**options)
