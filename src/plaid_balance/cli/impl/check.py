"""``plaid-balance check``: can one account cover an amount? Exit 0 pass, 6 fail (see docs/funds-check.md).

The check itself is the library's (``plaid_balance.funds.check_funds``): this module reads the options,
hands them over, and prints the answer.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import click

from plaid_balance import vault
from plaid_balance._client import PlaidClient
from plaid_balance._errors import PlaidAPIError, PlaidNetworkError
from plaid_balance._report import FailureReport
from plaid_balance._safe_text import safe_text
from plaid_balance.cli.common import fail
from plaid_balance.cli.exit_codes import exit_code_for
from plaid_balance.cli.impl.common import emit_report, history_store, make_client
from plaid_balance.cli.impl.item_ref import ItemRef, environment_for, selected_items
from plaid_balance.cli.render import TablePrinter, to_json
from plaid_balance.funds import FundsCheckError, check_funds


def _emit_error(exc: FundsCheckError, output_format: str) -> None:
    if output_format == "json":
        click.echo(to_json(FailureReport(error=exc.error)))
    click.echo(f"error: {exc.code}: {exc.message} (the check cannot decide; this is not a pass)", err=True)


def run(
    alias: str | None,
    all_items: bool,
    access_token_file: str | None,
    access_token_arg: str | None,
    environment: str,
    base_url: str | None,
    timeout: float,
    selector: str | None,
    account_id: str | None,
    amount: Decimal,
    currency: str | None,
    min_last_updated: datetime | None,
    max_age: timedelta | None,
    save: bool,
    db: str | None,
    output_format: str,
    tables: TablePrinter | None = None,
) -> None:
    if (selector is None) == (account_id is None):
        raise click.UsageError(
            "name the account that would pay: --account ACCOUNT (id, mask or name) or --account-id ID"
        )
    refs = selected_items(alias, all_items, access_token_file, access_token_arg, db)
    if account_id is None:
        assert selector is not None
        ref, account_id = select_account(
            selector, refs, db, lambda r: make_client(environment_for(r, environment), base_url, timeout)
        )
    else:
        if all_items:
            raise click.UsageError("--all finds the account by --account ACCOUNT, not --account-id")
        ref = refs[0]
    environment = environment_for(ref, environment)
    token = ref.access_token
    with history_store(save, max_age, db) as store:
        try:
            outcome = check_funds(
                token,
                account_id,
                amount,
                currency,
                # Credentials are needed only if Plaid is called: a stored answer works without them.
                client=lambda: make_client(environment, base_url, timeout),
                min_last_updated_datetime=min_last_updated,
                max_age=max_age,
                store=store,
                save=save,
            )
        except FundsCheckError as exc:
            _emit_error(exc, output_format)
            sys.exit(exit_code_for(exc))
    if isinstance(outcome, FailureReport):
        sys.exit(emit_report(outcome, "json", ref.alias))
    if output_format == "json":
        click.echo(to_json(outcome))
    else:
        if tables is None:
            raise AssertionError("--format table without the table printer (the declaration loads it)")
        tables.print_decision(outcome)
    sys.exit(exit_code_for(outcome))


def select_account(  # noqa: RET503 - every path without a return ends in fail(), which exits
    selector: str, refs: list[ItemRef], db: str | None, client: Callable[[ItemRef], PlaidClient]
) -> tuple[ItemRef, str]:
    """The one account ``selector`` names among the Items' accounts: by account_id, else by mask, else
    by name (exact, as the watch's rules do). Accounts come from the vault (what Plaid reported at link
    or import time), or from Plaid's free /accounts/get for a token the vault does not hold. None, or
    more than one: one line naming what there is, exit 2."""
    candidates = [(ref, account) for ref in refs for account in _accounts_of(ref, db, client)]
    for field in ("account_id", "mask", "name"):
        found = [(ref, a) for ref, a in candidates if getattr(a, field) == selector]
        if len(found) == 1:
            return found[0][0], found[0][1].account_id
        if found:
            listed = "; ".join(_describe(ref, a, several=len(refs) > 1) for ref, a in found)
            fail(
                f"--account {selector!r} matches {len(found)} accounts: {listed}; "
                "name one by its account_id (or give the Item's ALIAS)"
            )
    where = f" in {refs[0].alias}" if len(refs) == 1 and refs[0].alias else ""
    hint = (
        f"plaid-balance accounts {refs[0].alias}"
        if len(refs) == 1 and refs[0].alias
        else "plaid-balance accounts"
    )
    fail(f"no account{where} has the id, mask or name {selector!r} (list them with {hint})")


def _describe(ref: ItemRef, account: Any, *, several: bool) -> str:
    mask = f" ••{account.mask}" if account.mask else ""
    item = f"{ref.alias}: " if several and ref.alias else ""
    return safe_text(f"{item}{account.name}{mask} ({account.account_id})")


def _accounts_of(ref: ItemRef, db: str | None, client: Callable[[ItemRef], PlaidClient]) -> list[Any]:
    """The Item's accounts as the vault knows them, else as Plaid's free /accounts/get tells."""
    if ref.item_id is not None:
        with vault.Vault.open(db, create=False) as items:
            known = list(items.get(ref.item_id).accounts)
        if known:
            return known

    with client(ref) as plaid:
        try:
            return list(plaid.accounts_get(ref.access_token).accounts)
        except (PlaidAPIError, PlaidNetworkError) as exc:
            fail(f"cannot list the Item's accounts to find the one named: {exc}", int(exit_code_for(exc)))
