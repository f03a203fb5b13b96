"""``plaid-balance link``: connect a bank with Plaid Link, or repair one in place (update mode)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import click

from plaid_balance._config import DEFAULT_TIMEOUT
from plaid_balance._errors import ConfigurationError, LinkAborted
from plaid_balance._extras import require_extra
from plaid_balance._safe_text import safe_text
from plaid_balance.cli.browser import private_opener
from plaid_balance.cli.common import fail
from plaid_balance.cli.impl.common import make_client
from plaid_balance.cli.impl.item_ref import announce_new_key, environment_for, resolve_item
from plaid_balance.cli.recall import storage_errors
from plaid_balance.link.adapters import ClientBackend, VaultStore
from plaid_balance.link.flow import LinkEnvironment, link_new_item, repair_item
from plaid_balance.link.page import LinkScript
from plaid_balance.link.request import LinkSettings
from plaid_balance.vault import Vault, normalise_alias


def run(
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
    if update_alias is not None and (alias or products or account_types):
        fail("--update repairs an existing Item: it takes no --alias, --products or --account-type")
    if select_accounts and update_alias is None:
        fail("--select-accounts works with --update ALIAS")
    if not hosted:
        # Hosted Link needs no local page, hence no web server: only the local page asks for the extra.

        require_extra("web", "the local Link page (or link --hosted)")

    try:
        settings = LinkSettings.build(
            products=products, account_types=account_types, country_codes=countries, language=language
        )
    except ConfigurationError as exc:
        fail(exc)
    if update_alias is not None:
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

    return make_client(environment, base_url, DEFAULT_TIMEOUT)


def _say(text: str) -> None:
    """A progress line: it carries names from the browser and from Plaid, so each line is shown by the
    one terminal rule (``safe_text``): escape sequences and control characters appear escaped."""

    click.echo("\n".join(safe_text(line) for line in text.split("\n")), err=True)


def _confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise ConfigurationError(question.split(". ")[0] + "; pass --yes to link it again anyway")
    return click.confirm(question, default=False, err=True)


def _can_open_browser() -> bool:
    """On Linux without a display, ``webbrowser`` would start a text browser inside this terminal."""

    if not sys.platform.startswith("linux") or os.environ.get("BROWSER"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _browser_opener(open_page: Callable[[str], bool]) -> Callable[[str], None]:
    """Open the page through a private file (cli/browser.py): its address never reaches a command line."""

    def open_browser(url: str) -> None:
        if not open_page(url):
            _say("Could not open a browser; open the address above yourself.")

    return open_browser
