"""``plaid-balance link``: connect a bank with Plaid Link, or repair one in place (update mode)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import click

from plaid_balance.cli import params
from plaid_balance.cli.common import DurationType, base_url_option, environment_option, fail
from plaid_balance.cli.recall import db_option, storage_errors

ACCOUNT_TYPES = ("depository", "credit", "loan", "investment")

EPILOG = """\b
Examples:
  plaid-balance link                          # pick a bank in the browser; stored as e.g. chase
  plaid-balance link --account-type depository --alias main
  plaid-balance link --hosted                 # headless machine: open the printed URL anywhere
  plaid-balance link --update chase           # repair a login (ITEM_LOGIN_REQUIRED) in place
\b
Exit codes: 0 linked or repaired, 2 usage or configuration, 3 Plaid error, 4 network error,
7 vault database or key, 8 Link cancelled or timed out, 130 interrupted (Ctrl-C).
"""


@click.command("link", epilog=EPILOG)
@click.option(
    "--alias", metavar="NAME", help="Name for the new Item in the vault [default: from the bank's name]."
)
@click.option(
    "--update",
    "update_alias",
    type=params.ItemReference(),
    metavar="ALIAS",
    help="Repair this Item in place (Link update mode): same Item, same access token, nothing re-billed.",
)
@click.option("--select-accounts", is_flag=True, help="With --update: choose the Item's accounts again.")
@click.option(
    "--hosted", is_flag=True, help="Use Plaid's Hosted Link (a URL to open anywhere): no local server."
)
@click.option(
    "--account-type",
    "account_types",
    multiple=True,
    type=click.Choice(ACCOUNT_TYPES),
    help="Offer only these account types (repeatable) [default: all]. depository alone links with auth.",
)
@click.option(
    "--products",
    multiple=True,
    metavar="LIST",
    help="Plaid products, comma-separated [default: auth for depository only, else transactions].",
)
@click.option(
    "--country", "countries", multiple=True, metavar="CC", help="Country codes (repeatable) [default: US]."
)
@click.option("--language", default="en", show_default=True, help="Language Link speaks.")
@click.option(
    "--timeout",
    "wait_for",
    type=DurationType(),
    default="10m",
    show_default=True,
    help="How long to wait for you to finish in Link.",
)
@click.option("--no-browser", is_flag=True, help="Print the address instead of opening a browser.")
@click.option("--yes", "-y", is_flag=True, help="Link a bank the vault already holds without asking.")
@db_option
@environment_option
@base_url_option
def link(
    alias: str | None,
    update_alias: str | None,
    select_accounts: bool,
    hosted: bool,
    account_types: tuple[str, ...],
    products: tuple[str, ...],
    countries: tuple[str, ...],
    language: str,
    wait_for: timedelta,
    no_browser: bool,
    yes: bool,
    db: str | None,
    environment: str,
    base_url: str | None,
) -> None:
    """Connect a bank with Plaid Link and keep it, encrypted, in the vault.

    Opens a one-time page on 127.0.0.1 that runs Plaid Link, exchanges the public token it returns
    and stores the new Item under an alias; then `plaid-balance get ALIAS` (or `get --all`) shows its
    balances. With --update ALIAS, repairs that Item's login instead (update mode).
    """
    if update_alias is not None and (alias or products or account_types):
        fail("--update repairs an existing Item: it takes no --alias, --products or --account-type")
    if select_accounts and update_alias is None:
        fail("--select-accounts works with --update ALIAS")
    if not hosted:
        # Hosted Link needs no local page, hence no web server: only the local page asks for the extra.
        from plaid_balance._extras import require_extra

        require_extra("web", "the local Link page (or link --hosted)")

    from plaid_balance._errors import ConfigurationError, LinkAborted
    from plaid_balance.cli.browser import private_opener
    from plaid_balance.link.adapters import ClientBackend, VaultStore
    from plaid_balance.link.flow import LinkEnvironment, link_new_item, repair_item
    from plaid_balance.link.page import LinkScript
    from plaid_balance.link.request import LinkSettings
    from plaid_balance.vault import Vault, normalise_alias

    try:
        settings = LinkSettings.build(
            products=products, account_types=account_types, country_codes=countries, language=language
        )
    except ConfigurationError as exc:
        fail(exc)
    if update_alias is not None:
        from plaid_balance.cli.item_ref import environment_for, resolve_item

        # Repair the Item where it lives (a production Item in production) unless told otherwise.
        environment = environment_for(resolve_item(update_alias, None, None, db), environment)
    client = _client(environment, base_url)
    say = _say
    with storage_errors(), client, Vault.open(db) as vault, private_opener() as open_page:
        if alias is not None:
            wanted = normalise_alias(alias)
            if vault.free_alias(wanted) != wanted:
                fail(f"the alias {wanted!r} is taken in the vault; choose another --alias")
        env = LinkEnvironment(
            backend=ClientBackend(client, settings.country_codes),
            vault=VaultStore(vault, client.environment.value),
            say=say,
            confirm=lambda question: _confirm(question, yes),
            open_browser=None if no_browser or not _can_open_browser() else _browser_opener(open_page),
        )
        script = LinkScript.for_base_url(client.base_url)
        timeout = wait_for.total_seconds()
        try:
            if update_alias is not None:
                linked = repair_item(
                    update_alias,
                    settings,
                    env,
                    script,
                    select_accounts=select_accounts,
                    timeout=timeout,
                    hosted=hosted,
                )
            else:
                linked = link_new_item(settings, env, script, alias=alias, timeout=timeout, hosted=hosted)
        except LinkAborted as exc:
            fail(exc)  # exit 8
        finally:
            from plaid_balance.cli.item_ref import announce_new_key

            announce_new_key(vault.key_created)
    name = linked.institution_name or linked.item_id
    if linked.updated:
        say(
            f"Repaired {linked.alias} ({name}): same Item, same access token. Try: plaid-balance get {linked.alias}"
        )
    else:
        say(
            f"Linked {name} as {linked.alias} ({linked.account_count} accounts). Try: plaid-balance get {linked.alias}"
        )
    import json  # here, as every import a command's --help does not need

    click.echo(
        json.dumps(
            {
                "alias": linked.alias,
                "item_id": linked.item_id,
                "institution_name": linked.institution_name,
                "account_count": linked.account_count,
                "mode": "update" if linked.updated else "new",
            }
        )
    )


def _client(environment: str, base_url: str | None) -> Any:
    from plaid_balance._config import DEFAULT_TIMEOUT
    from plaid_balance.cli.common import make_client

    return make_client(environment, base_url, DEFAULT_TIMEOUT)


def _say(text: str) -> None:
    """A progress line: it carries names from the browser and from Plaid, so each line is shown by the
    one terminal rule (``safe_text``): escape sequences and control characters appear escaped."""
    from plaid_balance._safe_text import safe_text

    click.echo("\n".join(safe_text(line) for line in text.split("\n")), err=True)


def _confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        from plaid_balance._errors import ConfigurationError

        raise ConfigurationError(question.split(". ")[0] + "; pass --yes to link it again anyway")
    return click.confirm(question, default=False, err=True)


def _can_open_browser() -> bool:
    """On Linux without a display, ``webbrowser`` would start a text browser inside this terminal."""
    import os

    if not sys.platform.startswith("linux") or os.environ.get("BROWSER"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _browser_opener(open_page: Callable[[str], bool]) -> Callable[[str], None]:
    """Open the page through a private file (cli/browser.py): its address never reaches a command line."""

    def open_browser(url: str) -> None:
        if not open_page(url):
            _say("Could not open a browser; open the address above yourself.")

    return open_browser
