"""``plaid-balance items``: the Items in the vault, under their aliases (see docs/vault.md).

``list`` and ``show`` read only (no key needed except to show the masked token); ``remove`` and ``rotate``
call Plaid first and change the vault only after Plaid agreed; ``import`` moves tokens from the batch items
file, plaid-cli's data folder or a ``.env`` into the vault. No command prints a token.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from plaid_balance._errors import PlaidAPIError, PlaidNetworkError
from plaid_balance.cli.common import fail
from plaid_balance.cli.exit_codes import ExitCode, exit_code_for
from plaid_balance.cli.history_output import literal, money
from plaid_balance.cli.impl.common import make_client
from plaid_balance.cli.impl.item_ref import announce_new_key, settle
from plaid_balance.cli.recall import storage_errors
from plaid_balance.cli.render import dumps_line, to_json
from plaid_balance.cli.text import console
from plaid_balance.history import DatabaseNotFound, open_store
from plaid_balance.history.freshness import describe_age
from plaid_balance.history.series import build_history
from plaid_balance.vault import (
    AliasError,
    ImportSourceError,
    ItemExistsError,
    SecretStr,
    TokenInDoubtError,
    Vault,
    VaultKeyError,
    mask_token,
    suggest_alias,
)
from plaid_balance.vault._import import ImportEntry, ImportWarning, read_import

if TYPE_CHECKING:
    from pathlib import Path

    from plaid_balance._client import PlaidClient
    from plaid_balance.history import StoredSnapshot
    from plaid_balance.vault import Vault, VaultItem


F = TypeVar("F", bound=Callable[..., Any])

IN_DOUBT = "rotation in doubt"

HEALTH_STYLES = {"ok": "green", "removed": "dim", "lost": "red"}


@contextmanager
def _vault(db: str | None, *, create: bool) -> Iterator[Vault]:
    """The vault, with every storage or lookup failure as one line; a missing one only when reading."""

    with storage_errors():
        try:
            vault = Vault.open(db, create=create)
        except DatabaseNotFound:
            fail("the vault is empty: add Items with plaid-balance link or plaid-balance items import")
        with vault:
            yield vault


def _latest(db: str | None, item_ids: list[str]) -> dict[str, StoredSnapshot]:

    try:
        with open_store(db, create=False) as store:
            return store.latest(item_ids)
    except DatabaseNotFound:
        return {}


def _last_balance(snapshot: StoredSnapshot | None) -> tuple[str, str]:
    """(net per currency, its age) from an Item's newest snapshot; dashes when there is none."""
    if snapshot is None:
        return "—", "—"

    report = snapshot.report
    totals = build_history([snapshot]).totals
    shown = [f"{money(points[-1].net)} {code}" for code, points in totals.items()]
    text = shown[0] + (f" (+{len(shown) - 1})" if len(shown) > 1 else "") if shown else "—"
    age = datetime.now(report.retrieved_at.tzinfo) - report.retrieved_at
    return text, describe_age(age)


def _public(item: VaultItem, snapshot: StoredSnapshot | None) -> dict[str, Any]:
    """What may be shown or shared about an Item: everything but the token."""
    last: dict[str, Any] | None = None
    if snapshot is not None:
        totals = build_history([snapshot]).totals
        last = {
            "retrieved_at": snapshot.report.retrieved_at,
            "totals": {
                c: {"assets": p[-1].assets, "liabilities": p[-1].liabilities, "net": p[-1].net}
                for c, p in totals.items()
            },
        }
    return {
        "alias": item.alias,
        "item_id": item.item_id,
        "institution_id": item.institution_id,
        "institution_name": item.institution_name,
        "environment": item.environment,
        "health": item.health,
        "health_reason": item.health_reason,
        "health_changed_at": item.health_changed_at,
        "rotation_in_doubt": item.in_doubt,
        "created_at": item.created_at,
        "removed_at": item.removed_at,
        "accounts": [
            {"account_id": a.account_id, "name": a.name, "mask": a.mask, "type": a.type, "subtype": a.subtype}
            for a in item.accounts
        ],
        "last_balance": last,
    }


def _echo_json(document: Any, *, line: bool = False) -> None:

    click.echo(dumps_line(document) if line else to_json(document))


def run_list_items(db: str | None, output_format: str, active: bool) -> None:

    with storage_errors():
        try:
            with Vault.open(db, create=False) as vault:
                found = vault.list(include_removed=not active)
                pending = vault.pending_exchanges()
                where = vault.url
        except DatabaseNotFound:
            found, pending, where = [], (), None
        latest = _latest(db, [i.item_id for i in found]) if found else {}
    for link in pending:
        name = link.institution_name or link.institution_id or "a bank"
        click.echo(
            f"an interrupted link of {name} (at {link.started_at:%Y-%m-%d %H:%M} UTC) lost the answer to its "
            "public-token exchange: run plaid-balance link to finish it or learn what became of it",
            err=True,
        )
    if output_format == "json":
        _echo_json([_public(i, latest.get(i.item_id)) for i in found])
        return
    if not found:
        place = f" in {where}" if where else ""
        click.echo(
            f"no Items in the vault{place}: add one with plaid-balance link or plaid-balance items import",
            err=True,
        )
        return

    out = console()
    table = _items_table(found, latest, out.width)
    out.width = max(out.width, Console(width=10_000).measure(table).maximum)  # wider, never an alias cut
    out.print(table)
    _warn_troubled(found)


def _warn_troubled(found: list[VaultItem]) -> None:
    """A lost Item, or one whose rotation is in doubt, is named on stderr with what to do."""
    for item in found:
        if item.lost:
            click.echo(f"{item.alias}: token lost: {item.health_reason}", err=True)
        elif item.in_doubt:
            click.echo(
                f"{item.alias}: a token rotation may have happened without its answer; the next command "
                f"that uses it asks Plaid (plaid-balance get {_quoted(item.alias)})",
                err=True,
            )


def _items_table(found: list[VaultItem], latest: dict[str, StoredSnapshot], width: int) -> Any:

    rows = []
    for item in found:
        balance, age = _last_balance(latest.get(item.item_id))
        rows.append(
            (
                literal(item.alias),
                literal(item.institution_name or item.institution_id or "—"),
                str(len(item.accounts)),
                balance,
                age,
                IN_DOUBT if item.in_doubt and not item.lost else item.health.label,
                HEALTH_STYLES.get(item.health, "yellow"),
            )
        )
    fixed = {
        "Accts": max(5, *(len(r[2]) for r in rows)),
        "Last balance": max(12, *(len(r[3]) for r in rows)),
        "Age": max(3, *(len(r[4]) for r in rows)),
        "Health": max(6, *(len(r[5]) for r in rows)),
    }

    # The alias is what the user types: never cut. The institution takes what the alias and the figures
    # leave, and is left out when that is under 6 cells; a table that still cannot fit is printed wider
    # than the terminal rather than cut an alias.
    def build(institution_width: int) -> Table:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
        table.add_column("Alias", no_wrap=True)
        if institution_width:
            table.add_column("Institution", overflow="ellipsis", no_wrap=True, max_width=institution_width)
        for heading, size in fixed.items():
            justify = "left" if heading == "Health" else "right"
            table.add_column(heading, justify=justify, no_wrap=True, min_width=size)  # type: ignore[arg-type]
        for alias, institution, count, balance, age, health, style in rows:
            cells = [Text(alias), Text(institution)] if institution_width else [Text(alias)]
            table.add_row(*cells, Text(count), Text(balance), Text(age), Text(health, style=style))
        return table

    without = Console(width=10_000).measure(build(0)).maximum
    room = width - without - 3  # a column costs its padding and a separator
    return build(room if room >= 6 else 0)


def _targets(alias: str | None, all_items: bool, db: str | None, *, include_removed: bool) -> list[str]:
    """The item_ids ``ALIAS`` / ``--all`` name (``item_ref.item_selection``; no token is read here)."""
    if all_items == (alias is not None):
        raise click.UsageError("give an ALIAS (or item_id), or --all for every Item in the vault")
    if alias is not None:
        return [alias]
    with _vault(db, create=False) as vault, storage_errors():
        found = [i.item_id for i in vault.list(include_removed=include_removed)]
    if not found:
        fail("the vault holds no Items: add them with plaid-balance link or plaid-balance items import")
    return found


def run_show(alias: str | None, all_items: bool, db: str | None, output_format: str) -> None:
    for n, target in enumerate(_targets(alias, all_items, db, include_removed=True)):
        if n and output_format == "text":
            click.echo()
        _show_one(target, db, output_format, several=all_items)


def _show_one(alias: str, db: str | None, output_format: str, *, several: bool) -> None:

    with _vault(db, create=False) as vault, storage_errors():
        item = vault.get(alias)
        try:
            if item.removed:
                hint = "— (removed)"
            elif item.lost:
                hint = "— (lost)"
            elif item.in_doubt:
                hint = "— (rotation in doubt)"
            else:
                hint = mask_token(vault.access_token(item.item_id).get_secret_value())
        except VaultKeyError as exc:
            hint = f"— (cannot decrypt: {exc})"
        snapshot = _latest(db, [item.item_id]).get(item.item_id)
    document = _public(item, snapshot)
    if output_format == "json":
        _echo_json({**document, "token": hint}, line=several)
        return

    balance, age = _last_balance(snapshot)
    reason = f" ({literal(item.health_reason)})" if item.health_reason else ""
    lines = [
        ("Alias", literal(item.alias)),
        ("Item", item.item_id),
        ("Institution", f"{literal(item.institution_name or '—')} ({item.institution_id or '—'})"),
        ("Environment", item.environment),
        ("Health", (IN_DOUBT if item.in_doubt and not item.lost else item.health.label) + reason),
        ("Token", hint),
        ("Added", item.created_at.strftime("%Y-%m-%d %H:%M UTC")),
        ("Last balance", f"{balance} ({age} ago)" if snapshot else "— (never fetched with --save)"),
    ]
    for label, value in lines:
        click.echo(f"{label + ':':<14}{value}")
    click.echo(f"{'Accounts:':<14}{len(item.accounts)}")
    for account in item.accounts:
        mask = f" ••{literal(account.mask)}" if account.mask else ""
        kind = "/".join(literal(k) for k in (account.type, account.subtype) if k)
        click.echo(f"  {literal(account.name)}{mask}  {kind}  {literal(account.account_id)}")
    if item.health.repairable:
        click.echo(f"repair it with: plaid-balance link --update {_quoted(item.alias)}", err=True)
    if item.in_doubt and not item.lost:  # a lost Item's reason is on its Health line already
        _warn_troubled([item])


def _quoted(alias: str) -> str:

    return shlex.quote(alias)


def run_rename(alias: str, new_alias: str, db: str | None) -> None:

    with _vault(db, create=False) as vault, storage_errors():
        item = vault.rename(alias, new_alias)
    click.echo(f"renamed to {literal(item.alias)!r} (Item {item.item_id})", err=True)


def _client(item: VaultItem, environment: str | None, base_url: str | None, timeout: float) -> PlaidClient:

    if environment is not None and environment.lower() != item.environment:
        fail(
            f"Item {item.alias!r} is a {item.environment} Item, but --environment/PLAID_ENVIRONMENT says "
            f"{environment.lower()}"
        )
    return make_client(environment or item.environment, base_url, timeout)


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        fail("this needs confirmation: run it in a terminal, or pass --yes")
    if not click.confirm(question, default=False, err=True):
        click.echo("nothing changed", err=True)
        sys.exit(ExitCode.OK)


def _plaid_failure(exc: BaseException, action: str) -> NoReturn:
    fail(f"{action}: {exc}", _exit_code(exc))


def _exit_code(exc: BaseException) -> int:

    return int(exit_code_for(exc))


def run_remove(
    alias: str | None,
    all_items: bool,
    db: str | None,
    environment: str | None,
    base_url: str | None,
    timeout: float,
    yes: bool,
    local_only: bool,
) -> None:
    for target in _targets(alias, all_items, db, include_removed=local_only):
        if local_only:
            _forget_one(target, db, yes)
        else:
            _remove_one(target, db, environment, base_url, timeout, yes)


def _forget_one(alias: str, db: str | None, yes: bool) -> None:
    """``--local-only``: delete the vault entry without telling Plaid."""
    with _vault(db, create=False) as vault, storage_errors():
        item = vault.get(alias)
        _confirm(f"Delete the vault entry {item.alias!r} without telling Plaid?", yes)
        vault.forget(item.item_id)
    note = "" if item.removed else "; Plaid still bills it until it is removed there"
    click.echo(f"deleted the vault entry {item.alias!r}{note}", err=True)


def _live_item(vault: Vault, alias: str, if_removed: str) -> VaultItem:
    """The Item ``alias`` names, any rotation in doubt settled; one removed from Plaid fails the command
    ("Item 'alias' ``if_removed``")."""
    item = vault.get(alias)
    if item.removed:
        fail(f"Item {item.alias!r} {if_removed}")
    return settle(vault, item)


def _remove_one(
    alias: str, db: str | None, environment: str | None, base_url: str | None, timeout: float, yes: bool
) -> None:
    """Remove the Item at Plaid, then mark it removed in the vault (its history stays)."""
    with _vault(db, create=False) as vault, storage_errors():
        item = _live_item(vault, alias, "is already removed; --local-only deletes its entry")
        names = f"{item.institution_name or item.institution_id or 'Item'}, {len(item.accounts)} accounts"
        _confirm(f"Remove Item {item.alias!r} ({names}) at Plaid? This cannot be undone.", yes)
        token = vault.access_token(item.item_id)
        with _client(item, environment, base_url, timeout) as client:
            try:
                client.item_remove(token)
                reason = "removed with plaid-balance items remove"
            except PlaidAPIError as exc:
                if exc.error_code != "ITEM_NOT_FOUND":
                    _plaid_failure(exc, f"Plaid did not remove {item.alias!r} (nothing changed here)")
                reason = "Plaid no longer knows this Item (ITEM_NOT_FOUND)"
            except PlaidNetworkError as exc:
                _plaid_failure(exc, f"could not reach Plaid to remove {item.alias!r} (nothing changed here)")
        vault.mark_removed(item.item_id, reason)
    click.echo(
        f"removed {item.alias!r} at Plaid; its history stays (plaid-balance history {_quoted(item.alias)})",
        err=True,
    )


def run_rotate(
    alias: str | None,
    all_items: bool,
    db: str | None,
    environment: str | None,
    base_url: str | None,
    timeout: float,
) -> None:
    for target in _targets(alias, all_items, db, include_removed=False):
        _rotate_one(target, db, environment, base_url, timeout)


def _rotate_one(
    alias: str, db: str | None, environment: str | None, base_url: str | None, timeout: float
) -> None:
    with _vault(db, create=False) as vault, storage_errors():
        item = _live_item(vault, alias, "was removed from Plaid: there is no token to rotate")
        with _client(item, environment, base_url, timeout) as client:

            def invalidate(old: SecretStr) -> SecretStr:
                answer = client.item_access_token_invalidate(old)
                return SecretStr(answer.new_access_token.get_secret_value())

            try:
                rotated = vault.rotate(item.item_id, invalidate, check=client.item_get)
            except PlaidAPIError as exc:
                _plaid_failure(
                    exc,
                    f"Plaid did not rotate the token of {item.alias!r} (it answered; the old one still works)",
                )
            except TokenInDoubtError as exc:
                cause = exc.__cause__
                code = _exit_code(cause) if isinstance(cause, PlaidNetworkError) else ExitCode.NETWORK_ERROR
                fail(exc, code)
    click.echo(f"rotated the access token of {rotated.alias!r}: now {rotated.token_hint}", err=True)


def run_import_items(
    source: Path,
    db: str | None,
    environment: str | None,
    base_url: str | None,
    timeout: float,
    source_format: str,
) -> None:

    try:
        entries = read_import(source, source_format)  # type: ignore[arg-type]
    except ImportSourceError as exc:
        fail(exc)
    imported = skipped = 0
    failures: list[int] = []
    with _vault(db, create=True) as vault, storage_errors():
        clients: dict[str, PlaidClient] = {}
        try:
            for entry in entries:
                if isinstance(entry, ImportWarning):
                    click.echo(f"warning: {entry.where}: {entry.message}", err=True)
                    continue
                if not isinstance(entry, ImportEntry):
                    click.echo(f"{entry.where}: {entry.message}", err=True)
                    failures.append(ExitCode.USAGE)
                    continue
                outcome = _import_one(vault, entry, clients, environment, base_url, timeout)
                if outcome is None:
                    imported += 1
                elif outcome == ExitCode.OK:
                    skipped += 1
                else:
                    failures.append(outcome)
        finally:
            for client in clients.values():
                client.close()
        announce_new_key(vault.key_created)
    # A refusal takes one line: a file whose one Item failed has said why already, and a summary of
    # nothing done would be a second line. The summary counts when something went in or several failed.
    if imported or skipped or len(failures) != 1:
        click.echo(
            f"imported {imported}, skipped {skipped} already in the vault, {len(failures)} failed", err=True
        )
    if failures:
        sys.exit(ExitCode.PARTIAL_FAILURE if imported or skipped else failures[0])


def _environment_of(token: str) -> str | None:
    parts = token.split("-")
    return parts[1] if len(parts) > 2 and parts[1] in {"sandbox", "production"} else None


def _import_one(
    vault: Vault,
    entry: Any,
    clients: dict[str, PlaidClient],
    environment: str | None,
    base_url: str | None,
    timeout: float,
) -> int | None:
    """None when imported; ExitCode.OK when skipped; else the failure's exit code (already reported)."""

    known = vault.find_by_token(entry.access_token)
    if known is not None:
        click.echo(f"{entry.where}: already in the vault as {known.alias!r}", err=True)
        return ExitCode.OK
    env = (environment or _environment_of(entry.access_token.get_secret_value()) or "sandbox").lower()
    if env not in clients:
        clients[env] = make_client(env, base_url, timeout)
    try:
        answer = clients[env].accounts_get(entry.access_token)
    except (PlaidAPIError, PlaidNetworkError) as exc:
        click.echo(f"{entry.where}: Plaid refused it: {exc}", err=True)
        return _exit_code(exc)
    item = answer.item
    if entry.item_id is not None and entry.item_id != item.item_id:
        click.echo(f"{entry.where}: the token belongs to Item {item.item_id}, not {entry.item_id}", err=True)
        return ExitCode.USAGE
    wanted = entry.alias or suggest_alias(item.institution_name or item.institution_id)
    try:
        alias = vault.free_alias(wanted)
    except AliasError:
        alias = vault.free_alias(suggest_alias(item.institution_name or item.institution_id))
    accounts = [
        {
            "account_id": a.account_id,
            "name": a.name,
            "mask": a.mask,
            "type": a.type,
            "subtype": a.subtype,
            "currency": a.balances.currency,
        }
        for a in answer.accounts
    ]
    try:
        added = vault.add(
            alias,
            entry.access_token,
            item_id=item.item_id,
            institution_id=item.institution_id,
            institution_name=item.institution_name,
            accounts=accounts,
            environment=env,
        )
    except ItemExistsError as exc:
        click.echo(f"{entry.where}: {exc}", err=True)
        return ExitCode.OK
    click.echo(f"{entry.where}: imported as {added.alias!r} ({len(accounts)} accounts)", err=True)
    return None


def run_export_public(db: str | None) -> None:
    with storage_errors():
        try:
            with Vault.open(db, create=False) as vault:
                found = vault.list()
        except DatabaseNotFound:
            found = []
        latest = _latest(db, [i.item_id for i in found]) if found else {}
    _echo_json({"items": [_public(i, latest.get(i.item_id)) for i in found]})
