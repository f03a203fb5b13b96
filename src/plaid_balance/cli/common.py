"""The options the commands share, and ``fail`` (one line on stderr, a documented exit code). What their
implementations share (the token, the client, printing) is ``cli.impl.common``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from plaid_balance._config import DEFAULT_TIMEOUT, MAX_TIMEOUT, Environment
from plaid_balance._safe_text import safe_text
from plaid_balance.cli import params
from plaid_balance.cli.exit_codes import ExitCode, exit_code_for

TOKEN_ENV = "PLAID_ACCESS_TOKEN"  # noqa: S105 - a variable name, not a secret
F = TypeVar("F", bound=Callable[..., Any])


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


def output_format_option(*choices: str, help: str | None = None) -> Callable[[F], F]:
    """A command's ``--format`` (given as ``output_format``): one of ``choices``, the first by default."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help=help,
    )


format_option = output_format_option(
    "json", "table", "csv", help="json is the contract; table is for people; csv has one row per account."
)
