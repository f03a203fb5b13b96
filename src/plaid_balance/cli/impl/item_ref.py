"""The Items a command acts on: an alias from the vault, or a token from a file or $PLAID_ACCESS_TOKEN
(``selected_items``), and what the vault learns from Plaid's answer (``record_health``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, overload

import click

from plaid_balance.cli.common import fail
from plaid_balance.cli.impl.common import read_access_token
from plaid_balance.cli.recall import storage_errors

if TYPE_CHECKING:
    from plaid_balance._report import Report
    from plaid_balance._secret import SecretStr
    from plaid_balance.vault import Vault, VaultItem
from plaid_balance import vault as vaults
from plaid_balance._config import DEFAULT_TIMEOUT
from plaid_balance._errors import (
    DatabaseNotFound,
    ItemLostError,
    ItemRemovedError,
    StorageError,
    TokenInDoubtError,
    VaultError,
    VaultLookupError,
)
from plaid_balance._health import Health, from_error_code, from_success
from plaid_balance._report import BalanceReport
from plaid_balance._secret import SecretStr
from plaid_balance.cli.exit_codes import ExitCode
from plaid_balance.cli.impl.common import make_client
from plaid_balance.cli.render import repair_hint

# Vault health set from Plaid's ITEM webhooks: the Item still works, but will stop unless its user logs in.
PENDING_HEALTH = {
    Health.PENDING_EXPIRATION: "PENDING_EXPIRATION",
    Health.PENDING_DISCONNECT: "PENDING_DISCONNECT",
}


class ItemRef(NamedTuple):
    """The token to call Plaid with and, when it came from the vault, the vault's Item it belongs to."""

    access_token: SecretStr  # its repr is masked
    item: VaultItem | None = None

    @property
    def item_id(self) -> str | None:
        return self.item.item_id if self.item is not None else None

    @property
    def alias(self) -> str | None:
        return self.item.alias if self.item is not None else None

    @property
    def environment(self) -> str | None:
        return self.item.environment if self.item is not None else None


def selected_items(
    alias: str | None,
    all_items: bool,
    access_token_file: str | None = None,
    access_token_arg: str | None = None,
    db: str | None = None,
) -> list[ItemRef]:
    """The Items ``[ALIAS]`` / ``--all`` (or, without either, a token from the file or environment) name."""
    if all_items:
        if alias is not None or access_token_file is not None or access_token_arg is not None:
            raise click.UsageError("--all takes every Item in the vault: give no ALIAS or token with it")
        return vault_items(db)
    return [resolve_item(alias, access_token_file, access_token_arg, db)]


def resolve_item(
    alias: str | None, access_token_file: str | None, access_token_arg: str | None, db: str | None
) -> ItemRef:
    """ALIAS from the vault, else the token from the file / flag / environment (one clear line if none)."""
    if alias is None:
        return ItemRef(SecretStr(read_access_token(access_token_file, access_token_arg)))
    if access_token_file is not None or access_token_arg is not None:
        raise click.UsageError("give an ALIAS or an access token, not both")

    with storage_errors():
        try:
            with vaults.Vault.open(db, create=False) as vault:
                item = settle(vault, vault.get(alias))
                token = vault.access_token(item.item_id)
        except DatabaseNotFound:
            fail(f"no Item {alias!r}: the vault is empty (plaid-balance link or plaid-balance items import)")
    if item.health in PENDING_HEALTH:
        reason = PENDING_HEALTH[item.health]
        click.echo(
            f"warning: {item.alias}: Plaid reported {reason}{repair_hint(reason, item.alias)}", err=True
        )
    return ItemRef(token, item)


def announce_new_key(where: str | None) -> None:
    """Once, when a command made the vault key: where it is, and that losing it loses every token."""
    if where:
        click.echo(
            f"created the vault key in {where}: back it up now (a password manager, say). Without it the "
            "vault cannot be opened and every bank must be linked again.",
            err=True,
        )


def vault_items(db: str | None, environment: str | None = None) -> list[ItemRef]:
    """Every Item in the vault that has not been removed, for ``--all`` (of one environment if given)."""

    with storage_errors():
        try:
            with vaults.Vault.open(db, create=False) as vault:
                items = [i for i in vault.list(include_removed=False) if environment in (None, i.environment)]
                usable = [i for i in (settle(vault, i, strict=False) for i in items) if i is not None]
                refs = [ItemRef(vault.access_token(i.item_id), i) for i in usable]
        except DatabaseNotFound:
            refs = []
    if not refs:
        which = f" {environment}" if environment else ""
        fail(
            f"the vault holds no{which} Items: add them with plaid-balance link or plaid-balance items import"
        )
    return refs


@overload
def settle(vault: Vault, item: VaultItem) -> VaultItem: ...


@overload
def settle(vault: Vault, item: VaultItem, *, strict: bool) -> VaultItem | None: ...


def settle(vault: Vault, item: VaultItem, *, strict: bool = True) -> VaultItem | None:
    """The Item once any rotation in doubt is settled with Plaid's free /item/get (docs/vault.md).

    A lost Item, or one whose doubt cannot be settled now, fails the command in one line; with
    ``strict=False`` (``--all``, batch) it is reported on stderr and left out (None) instead.
    """

    try:
        if item.in_doubt:
            item = _settle_with_plaid(vault, item)
        if item.lost:
            raise ItemLostError(f"Item {item.alias!r} is lost: {item.health_reason}")
        if item.removed:  # settled: Plaid said ITEM_NOT_FOUND
            raise ItemRemovedError(
                f"Item {item.alias!r}: {item.health_reason}; plaid-balance link makes a new one"
            )
    except TokenInDoubtError as exc:
        message = f"Item {item.alias!r}: a token rotation's answer was lost, and {exc}"
        if strict:
            fail(message, ExitCode.NETWORK_ERROR)
        click.echo(f"warning: {message}; left out", err=True)
        return None
    except VaultLookupError as exc:
        if strict:
            fail(exc)
        click.echo(f"warning: {exc}; left out", err=True)
        return None
    return item


def _settle_with_plaid(vault: Vault, item: VaultItem) -> VaultItem:

    params = click.get_current_context().params if click.get_current_context(silent=True) else {}
    base_url = params.get("base_url")
    timeout = params.get("timeout")
    click.echo(
        f"{item.alias}: a token rotation may have happened without its answer; asking Plaid (/item/get)…",
        err=True,
    )
    seconds = timeout if isinstance(timeout, int | float) else DEFAULT_TIMEOUT
    with make_client(item.environment, base_url if isinstance(base_url, str) else None, seconds) as client:
        settled = vault.settle_rotation(item.item_id, client.item_get)
    if not settled.lost:
        click.echo(f"{item.alias}: the token was not rotated; the old one still works", err=True)
    return settled


def environment_for(ref: ItemRef, chosen: str) -> str:
    """The Item's own environment unless --environment / $PLAID_ENVIRONMENT chose one."""
    context = click.get_current_context(silent=True)
    source = context.get_parameter_source("environment") if context is not None else None
    if ref.environment is None or source not in (None, click.core.ParameterSource.DEFAULT):
        if ref.environment is not None and chosen.lower() != ref.environment:
            fail(
                f"Item {ref.alias!r} is a {ref.environment} Item, but the environment chosen is {chosen.lower()}"
            )
        return chosen
    return ref.environment


def record_health(ref: ItemRef, report: Report, db: str | None) -> None:
    """Tell the vault what this answer says about the Item, by the rule the watch follows too
    (``_health``): needs repair, revoked or removed after such an error, fine again after a success."""
    if ref.item_id is None:
        return

    try:
        with vaults.Vault.open(db, create=False) as vault:
            if isinstance(report, BalanceReport):
                change = from_success(vault.get(ref.item_id).health)
            else:
                change = from_error_code(report.error.error_code)
            if change is not None:
                vault.set_health(ref.item_id, change.health, change.reason)
    except (VaultError, StorageError):
        pass  # health is a note for `items list`: failing to write it must not fail the fetch
