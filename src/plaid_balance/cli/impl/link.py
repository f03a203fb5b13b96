"""``plaid-balance link``: connect a bank with Plaid Link, or repair one in place (update mode)."""

from __future__ import annotations

import functools
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
from plaid_balance.cli.stopping import stopped_cleanly_by_signals
from plaid_balance.link.adapters import ClientBackend, VaultStore
from plaid_balance.link.flow import LinkEnvironment, link_new_item, repair_item
from plaid_balance.link.page import LinkScript
from plaid_balance.link.request import LinkSettings
from plaid_balance.vault import DatabaseNotFound, Vault, normalise_alias


def run(
    alias: str | None,
    all_items: bool,
    new_alias: str | None,
    update: bool,
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
    if not update and (alias is not None or all_items):
        raise click.UsageError(
            "link names an Item (ALIAS or --all) only to repair it: add --update (a new Item's name: --alias)"
        )
    if update and all_items == (alias is not None):
        raise click.UsageError(
            "--update repairs ALIAS (an alias or item_id), or with --all every Item that needs repair"
        )
    if update and (new_alias or products or account_types):
        fail("--update repairs an existing Item: it takes no --alias, --products or --account-type")
    if select_accounts and not update:
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
    session = functools.partial(
        _session,
        settings=settings,
        select_accounts=select_accounts,
        hosted=hosted,
        timeout=wait_for.total_seconds(),
        no_browser=no_browser,
        yes=yes,
        db=db,
        base_url=base_url,
    )
    # `kill` or a closed terminal ends every `link` as Ctrl-C does: the private redirect folder goes too.
    with stopped_cleanly_by_signals():
        if not update:
            session(None, new_alias, environment)
            return
        targets = [alias] if alias is not None else _needing_repair(db)
        if not targets:
            _say("Nothing needs repair: every Item in the vault works.")
            return
        for n, target in enumerate(targets, start=1):
            if len(targets) > 1:
                _say(f"Repairing {target} ({n} of {len(targets)}).")
            # Repair the Item where it lives (a production Item in production) unless told otherwise.
            session(target, None, environment_for(resolve_item(target, None, None, db), environment))


def _needing_repair(db: str | None) -> list[str]:
    """The aliases of the Items whose health says their user must log in again (``link --update --all``)."""
    with storage_errors():
        try:
            with Vault.open(db, create=False) as vault:
                return [item.alias for item in vault.list(include_removed=False) if item.health.repairable]
        except DatabaseNotFound:
            return []


def _session(
    update_alias: str | None,
    alias: str | None,
    environment: str,
    *,
    settings: LinkSettings,
    select_accounts: bool,
    hosted: bool,
    timeout: float,
    no_browser: bool,
    yes: bool,
    db: str | None,
    base_url: str | None,
) -> None:
    """One Link session: a new Item (``alias`` its wanted name), or the repair of ``update_alias``."""
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
