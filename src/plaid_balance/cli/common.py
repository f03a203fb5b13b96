"""What the subcommands share: the options, reading the access token, building the client, printing."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from plaid_balance._config import DEFAULT_TIMEOUT, MAX_TIMEOUT, Environment
from plaid_balance._errors import ConfigurationError
from plaid_balance._safe_text import safe_text
from plaid_balance.cli import params
from plaid_balance.cli.exit_codes import ExitCode, exit_code_for

if TYPE_CHECKING:
    from plaid_balance._client import PlaidClient
    from plaid_balance._report import BalanceReport, Report

F = TypeVar("F", bound=Callable[..., Any])
TOKEN_ENV = "PLAID_ACCESS_TOKEN"  # noqa: S105 - a variable name, not a secret
MAX_TOKEN_FILE_BYTES = 4096


def fail(problem: str | BaseException, code: int | None = None) -> NoReturn:
    """One clear line on stderr and a documented exit code; never a traceback.

    Given an exception, the code is the one ``exit_code_for`` maps it to (usage, storage, Plaid...).
    """
    if code is None:
        code = exit_code_for(problem) if isinstance(problem, BaseException) else ExitCode.USAGE
    click.echo(f"error: {safe_text(problem)}", err=True)
    sys.exit(code)


# The option types live in cli.params (one validator per kind of value); these names are kept for imports.
DurationType = params.Duration
WhenType = params.When


environment_option = click.option(
    "--environment",
    "-e",
    type=params.Environment(),
    envvar=["PLAID_ENVIRONMENT", "plaid_environment"],
    default=Environment.SANDBOX.value,
    show_default=True,
    help="Plaid environment [env: PLAID_ENVIRONMENT].",
)
base_url_option = click.option(
    "--base-url",
    envvar="PLAID_BASE_URL",
    type=params.Url(),
    help="Override the API URL (an emulator or proxy; plain http only on loopback) [env: PLAID_BASE_URL].",
)
timeout_option = click.option(
    "--timeout",
    type=params.Number(1, MAX_TIMEOUT),
    envvar="PLAID_TIMEOUT",
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Read timeout in seconds; live balance calls can take 30 s or more.",
)


def connection_options(func: F) -> F:
    """--environment, --base-url, --timeout: where and how patiently to talk to Plaid."""
    return environment_option(base_url_option(timeout_option(func)))


def token_options(func: F) -> F:
    """Where the access token comes from; never from argv unless the user insists (and is warned)."""
    options = [
        click.option(
            "--access-token-file",
            type=click.Path(dir_okay=False, allow_dash=True, path_type=str),
            metavar="PATH",
            help=f"File holding the access token ('-' for stdin). Default: ${TOKEN_ENV}.",
        ),
        click.option(
            "--access-token",
            "access_token_arg",
            metavar="TOKEN",
            help="Access token on the command line (discouraged: it leaks into ps and shell history).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


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
    from plaid_balance._errors import InvalidValue
    from plaid_balance._parse import parse_access_token
    from plaid_balance._redact import remember

    try:
        token = parse_access_token(token)
    except InvalidValue as exc:
        fail(str(exc))
    remember(token)
    return token


def _read_token_file(path: str) -> str:

    from plaid_balance._bounded import InputTooLarge, read_bounded

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
    Without ``-v`` stamina is not even imported here (the library loads it only when a call needs a
    retry): its log records are dropped instead.
    """
    context = click.get_current_context(silent=True)
    if context and context.find_root().params.get("verbose"):  # the root command's -v
        import stamina.instrumentation

        stamina.instrumentation.set_on_retry_hooks([_say_retry])
        return
    import logging

    stamina_log = logging.getLogger("stamina")
    stamina_log.addHandler(logging.NullHandler())
    stamina_log.propagate = False


def _say_retry(details: Any) -> None:
    click.echo(f"retry {details.retry_num} in {details.wait_for:.1f}s after: {details.caused_by}", err=True)


def make_client(environment: str, base_url: str | None, timeout: float) -> PlaidClient:
    from plaid_balance._client import PlaidClient

    announce_retries()
    try:
        return PlaidClient(environment=environment, base_url=base_url, timeout=timeout)
    except ConfigurationError as exc:
        fail(exc)


def emit_report(report: Report, output_format: str, alias: str | None = None) -> int:
    """Print a report in the chosen format; return the exit code it deserves.

    ``alias`` (the Item's name in the vault, when known) goes into the repair command a failure names.
    """
    from plaid_balance._report import FailureReport
    from plaid_balance.cli.render import failure_line, to_csv, to_json

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
        print_table(report, alias)
    return exit_code_for(report)


def print_table(report: BalanceReport, alias: str | None = None) -> None:
    from plaid_balance.cli.render import balance_table
    from plaid_balance.cli.text import console

    out = console()
    table = balance_table(report, out.width, alias)
    # Amounts are never cut: a table that cannot fit is printed wider than the terminal instead.
    if table.min_width and table.min_width > out.width:
        out.width = table.min_width
    out.print(table)


cached_option = click.option(
    "--cached",
    is_flag=True,
    help="Read Plaid's free cached balances (/accounts/get) instead of the billed real-time call.",
)
min_last_updated_option = click.option(
    "--min-last-updated",
    type=WhenType(),
    metavar="WHEN",
    help="Oldest acceptable balance: ISO 8601 or a duration back from now (2d). Required by Capital One.",
)

format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "table", "csv"]),
    default="json",
    show_default=True,
    help="json is the contract; table is for people; csv has one row per account.",
)
