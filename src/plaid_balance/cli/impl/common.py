"""What the command implementations share: the access token, the client, printing a report, the history
store that ``--save``/``--max-age`` ask for."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click
import stamina.instrumentation

from plaid_balance import history as histories
from plaid_balance._bounded import InputTooLarge, read_bounded
from plaid_balance._client import PlaidClient
from plaid_balance._errors import ConfigurationError, DatabaseNotFound, InvalidValue
from plaid_balance._parse import parse_access_token
from plaid_balance._redact import remember
from plaid_balance._report import FailureReport, Report
from plaid_balance.cli.common import TOKEN_ENV, fail
from plaid_balance.cli.exit_codes import exit_code_for
from plaid_balance.cli.recall import storage_errors
from plaid_balance.cli.render import TablePrinter, failure_line, to_csv, to_json

if TYPE_CHECKING:
    from plaid_balance.history import HistoryStore

MAX_TOKEN_FILE_BYTES = 4096


def read_access_token(access_token_file: str | None, access_token_arg: str | None) -> str:
    if access_token_arg is not None:
        click.echo(
            "warning: --access-token exposes the token to other users (ps) and your shell history; "
            f"prefer --access-token-file or ${TOKEN_ENV}",
            err=True,
        )
        token = access_token_arg
    elif access_token_file is not None:
        token = _read_token_file(access_token_file)
    else:
        token = os.environ.get(TOKEN_ENV, "")
        if not token.strip():
            fail(
                f"no access token: use --access-token-file PATH, --access-token-file - (stdin) or ${TOKEN_ENV}"
            )

    try:
        token = parse_access_token(token)
    except InvalidValue as exc:
        fail(str(exc))
    remember(token)
    return token


def _read_token_file(path: str) -> str:

    try:
        data = read_bounded(path, limit=MAX_TOKEN_FILE_BYTES)
    except InputTooLarge:
        fail(f"{path} is too large to hold an access token")
    except (OSError, UnicodeError) as exc:
        fail(f"cannot read access token file {path}: {getattr(exc, 'strerror', None) or exc}")
    # Binary bytes mean the wrong file: refused by parse_access_token, never decoded into a traceback.
    return str(data.decode("ascii", "replace"))


def announce_retries() -> None:
    """Say each retry on stderr with ``-v``, and nothing otherwise (call before making Plaid calls).

    stamina's default hook logs a bare "stamina.retry_scheduled" warning; say it plainly, or not at all.
    The hooks are stamina's global setting: they are put back to stamina's own when the command ends, so
    a program (or a test) that runs ``main`` and then retries calls itself still gets stamina's records.
    """
    context = click.get_current_context(silent=True)
    verbose = bool(context and context.find_root().params.get("verbose"))  # the root command's -v
    stamina.instrumentation.set_on_retry_hooks([_say_retry] if verbose else [])
    if context is not None:
        context.call_on_close(lambda: stamina.instrumentation.set_on_retry_hooks(None))


def _say_retry(details: Any) -> None:
    click.echo(f"retry {details.retry_num} in {details.wait_for:.1f}s after: {details.caused_by}", err=True)


def make_client(environment: str, base_url: str | None, timeout: float) -> PlaidClient:

    announce_retries()
    try:
        return PlaidClient(environment=environment, base_url=base_url, timeout=timeout)
    except ConfigurationError as exc:
        fail(exc)


def emit_report(
    report: Report, output_format: str, alias: str | None = None, tables: TablePrinter | None = None
) -> int:
    """Print a report in the chosen format; return the exit code it deserves.

    ``alias`` (the Item's name in the vault, when known) goes into the repair command a failure names.
    ``tables`` prints ``--format table``: the declaration loads it with the implementation, for a table only.
    """

    if isinstance(report, FailureReport):
        # JSON: the failure document goes to stdout for programs. A table or CSV reader gets no JSON
        # blob in its stream: the one-line summary on stderr is the whole answer.
        if output_format == "json":
            click.echo(to_json(report))
        click.echo(failure_line(report, alias), err=True)
    elif output_format == "json":
        click.echo(to_json(report))
    elif output_format == "csv":
        click.echo(to_csv(report), nl=False)
    else:
        if tables is None:
            raise AssertionError("--format table without the table printer (the declaration loads it)")
        tables.print_table(report, alias)
    return exit_code_for(report)


@contextmanager
def history_store(save: bool, max_age: timedelta | None, db: str | None) -> Iterator[HistoryStore | None]:
    """The store when ``--save`` or ``--max-age`` asks for it, else None (and no database is touched).

    Only ``--max-age`` alone (a read) never creates a database: a missing one just has nothing stored.
    """
    if not save and max_age is None:
        yield None
        return

    with storage_errors():
        try:
            store = histories.open_store(db, create=save)
        except DatabaseNotFound:
            yield None  # nothing stored yet, and nothing to save: every answer comes from Plaid
            return
        with store:
            yield store
