"""The ``plaid-balance`` command. Subcommands are imported only when run, to keep start-up fast."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from plaid_balance import __version__, exit_codes

# name -> "module:attribute"; each module holds one click command or group.
COMMANDS = {
    "accounts": "plaid_balance.cli.accounts:accounts",
    "get": "plaid_balance.cli.get:get",
    "run": "plaid_balance.cli.run:run",
    "demo": "plaid_balance.cli.demo:demo",
    "sandbox-token": "plaid_balance.cli.sandbox_token:sandbox_token",
    "batch": "plaid_balance.cli.batch:batch",
    "check": "plaid_balance.cli.check:check",
    "history": "plaid_balance.cli.history:history",
    "emulator": "plaid_balance.cli.emulator:emulator",
    "watch": "plaid_balance.cli.watch:watch",
}
HELP = {
    "accounts": "List an Item's accounts and their ids (free: no balance call is billed).",
    "get": "Fetch one Item's balances (real-time, or cached with --cached).",
    "run": "Fetch the balance report a TOML job file describes (see run.toml).",
    "demo": "Run the balance job against the built-in emulator: no keys, no network.",
    "sandbox-token": "Create a sandbox access token (Plaid sandbox or the emulator).",
    "batch": "Fetch balances for many Items under Plaid's rate limits.",
    "check": "Check that an account can cover an amount (sufficient funds).",
    "history": "Show stored balance history as a table, CSV, JSON or chart.",
    "emulator": "Run the offline Plaid sandbox emulator.",
    "watch": "Keep every vault Item fresh within a budget: alerts, webhooks, /metrics.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing help must not import every subcommand (and its heavy dependencies).
        with formatter.section("Commands"):
            formatter.write_dl([(name, HELP[name]) for name in sorted(COMMANDS)])


@click.group(
    cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, prog_name="plaid-balance")
@click.option("-v", "--verbose", is_flag=True, help="Say on stderr when a call is retried, and why.")
def cli(verbose: bool) -> None:
    """Real-time account balances from Plaid.

    Credentials come from PLAID_CLIENT_ID and PLAID_SECRET; access tokens from a file, stdin or
    PLAID_ACCESS_TOKEN, never from the command line. Exit codes: 0 ok, 2 usage/config, 3 Plaid error,
    4 network error, 5 batch partly failed, 6 insufficient funds, 130 interrupted.
    """
    import stamina.instrumentation

    # stamina's default hook logs an unexplained "stamina.retry_scheduled" warning; say it plainly, or not at all.
    stamina.instrumentation.set_on_retry_hooks([_say_retry] if verbose else [])


def _say_retry(details: Any) -> None:
    click.echo(
        f"retry {details.retry_num} in {details.wait_for:.1f}s after: {details.caused_by}",
        err=True,
    )


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: click's parsing, our exit codes, one door for everything written."""
    from plaid_balance._redact import remember_environment
    from plaid_balance.cli import streams
    from plaid_balance.cli.params import remember_secret_arguments, usage_error_line

    streams.install()
    # Secrets known at the door are masked in everything written from here on.
    remember_environment(os.environ)
    remember_secret_arguments(sys.argv[1:] if argv is None else argv)
    try:
        code = _run(argv, usage_error_line)
    except BrokenPipeError:
        code = exit_codes.PIPE_CLOSED
    if streams.stdout_closed():
        # The reader (``| head``) has all it wanted: quiet, like a tool killed by SIGPIPE.
        streams.silence_stdout()
        code = exit_codes.PIPE_CLOSED
    sys.exit(code)


def _run(argv: list[str] | None, usage_error_line: Any) -> int:
    try:
        try:
            cli.main(args=argv, prog_name="plaid-balance", standalone_mode=False)
        finally:
            sys.stdout.flush()
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        sys.stdout.flush()
        return exc.code if isinstance(exc.code, int) else exit_codes.USAGE
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.format_message())
        return exit_codes.USAGE
    except click.ClickException as exc:
        click.echo(usage_error_line(exc), err=True)
        return exit_codes.USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        return exit_codes.INTERRUPTED
    return exit_codes.OK
