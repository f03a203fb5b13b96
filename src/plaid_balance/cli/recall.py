"""``--save``, ``--max-age`` and ``--db``: history-aware fetching shared by the commands that fetch.

Each real-time call is billed by Plaid, so ``--max-age`` answers from the newest stored snapshot when it
is recent enough and calls Plaid only otherwise. SQLAlchemy is imported only when one of these options
is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import click

from plaid_balance._errors import PlaidBalanceError
from plaid_balance._report import Report
from plaid_balance.cli.common import DurationType, fail

if TYPE_CHECKING:
    from plaid_balance.history import HistoryStore

F = TypeVar("F", bound=Callable[..., Any])


def history_options(func: F) -> F:
    options = [
        click.option("--save", is_flag=True, help="Store each successful report in the history database."),
        click.option(
            "--max-age",
            type=DurationType(),
            metavar="DURATION",
            help="Answer from a stored snapshot at most this old (15m, 2h, 1d) instead of calling Plaid.",
        ),
        click.option(
            "--db",
            metavar="URL",
            envvar="PLAID_BALANCE_DB",
            help="History database URL [env: PLAID_BALANCE_DB; default: SQLite in the user data dir].",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@contextmanager
def history_store(save: bool, max_age: timedelta | None, db: str | None) -> Iterator[HistoryStore | None]:
    """The store when ``--save`` or ``--max-age`` asks for it, else None (and no database is touched)."""
    if not save and max_age is None:
        yield None
        return
    from plaid_balance.history import open_store

    try:
        store = open_store(db)
    except PlaidBalanceError as exc:
        fail(exc)
    with store:
        yield store


def fetch_or_recall(
    store: HistoryStore | None,
    access_token: str,
    fetch: Callable[[], Report],
    *,
    save: bool,
    max_age: timedelta | None,
    account_ids: Sequence[str] | None = None,
) -> Report:
    """``store.fetch_or_recall`` when there is a store, else just ``fetch()``; history errors are one line."""
    if store is None:
        return fetch()
    try:
        return store.fetch_or_recall(access_token, fetch, max_age=max_age, save=save, account_ids=account_ids)
    except PlaidBalanceError as exc:
        fail(exc)
