"""``--save``, ``--max-age`` and ``--db`` for the commands that fetch (the store they open is
``cli.impl.common.history_store``).

The fetching itself is ``plaid_balance.history.recall.fetch_or_recall``: a stored report when fresh
enough, else Plaid's (commands import it when they run, so ``--help`` loads no models). SQLAlchemy is
imported only when one of these options is used (a ``--db`` value is checked by ``cli/impl/recall.py``,
the storage package's URL rule), and a database failure anywhere inside ``history_store`` is one line and
exit 7.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from plaid_balance._errors import ConfigurationError, StorageError
from plaid_balance.cli.common import DurationType, fail

F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = (
    "History and vault database: a file path or URL (sqlite:///PATH, postgresql+psycopg://user@host/db) "
    "[env: PLAID_BALANCE_DB; default: SQLite in the user data dir]."
)


class DatabaseUrl(click.ParamType):  # type: ignore[type-arg]
    """A history database: a file path or a sqlite/postgresql URL; checked when converted (by the storage
    package, in ``cli/impl/recall.py``) so a bad one from ``PLAID_BALANCE_DB`` is reported under that
    name. The value stays the text given."""

    name = "PATH|URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from plaid_balance.cli.impl.recall import check_db_url  # the boundary: SQLAlchemy's URL rule

        check_db_url(self, str(value), param, ctx)
        return value


db_option = click.option(
    "--db", metavar="PATH|URL", type=DatabaseUrl(), envvar="PLAID_BALANCE_DB", help=DB_HELP
)


def history_options(func: F) -> F:
    options = [
        click.option("--save", is_flag=True, help="Store each successful report in the history database."),
        click.option(
            "--max-age",
            type=DurationType(),
            metavar="DURATION",
            help="Answer from a stored snapshot at most this old (15m, 2h, 1d) instead of calling Plaid.",
        ),
        db_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


@contextmanager
def storage_errors() -> Iterator[None]:
    """A storage failure inside the block is one line on stderr and exit 7; a bad --db URL, exit 2."""
    try:
        yield
    except (StorageError, ConfigurationError) as exc:
        fail(exc)


__all__ = ["db_option", "history_options", "storage_errors"]
