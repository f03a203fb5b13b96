"""The ``plaid-balance`` command. Subcommands are imported only when run, to keep start-up fast."""

from __future__ import annotations

import atexit
import gc
import importlib
import os
import sys
from collections.abc import Mapping

import click

from plaid_balance._errors import PlaidBalanceError
from plaid_balance._extras import require_extra
from plaid_balance._redact import remember_environment
from plaid_balance._safe_text import safe_text
from plaid_balance.cli import streams
from plaid_balance.cli.boundary import own_the_process
from plaid_balance.cli.exit_codes import EXIT_CODES, ExitCode, exit_code_for
from plaid_balance.cli.params import remember_secret_arguments, usage_error_line

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
    "items": "plaid_balance.cli.items:items",
    "emulator": "plaid_balance.cli.emulator:emulator",
    "watch": "plaid_balance.cli.watch:watch",
    "link": "plaid_balance.cli.link:link",
    "dashboard": "plaid_balance.cli.dashboard:dashboard",
}
# Commands that need an optional extra (plaid_balance._extras) to run at all: checked here, once, before
# the command is imported. A need that depends on an option (`link` without --hosted, `history --format
# png`, `--db postgresql://...`) is checked where that option is read, by the same require_extra.
COMMAND_EXTRAS = {
    "demo": "emulator",
    "emulator": "emulator",
    "dashboard": "web",
    "watch": "watch",
}
HELP_OPTIONS = ("-h", "--help")
HELP = {
    "accounts": "List an Item's accounts and their ids (free: no balance call is billed).",
    "get": "Fetch one Item's balances (real-time, or cached with --cached).",
    "run": "Fetch the balance report a TOML job file describes (see run.toml), with an env allowlist.",
    "demo": "Fetch a balance report from the built-in emulator: no keys, no network.",
    "sandbox-token": "Create a sandbox access token (Plaid sandbox or the emulator).",
    "batch": "Fetch balances for many Items under Plaid's rate limits.",
    "check": "Check that an account can cover an amount (sufficient funds).",
    "history": "Show stored balance history as a table, CSV, JSON or chart.",
    "items": "The Items in the vault: list, show, rename, remove, rotate, import, export-public.",
    "emulator": "Run the offline Plaid sandbox emulator.",
    "watch": "Keep every vault Item fresh within a budget: alerts, webhooks, /metrics.",
    "link": "Connect a bank with Plaid Link (or repair one with --update) and keep it in the vault.",
    "dashboard": "Serve a local web dashboard: net worth, Items, accounts, history charts, alerts.",
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

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # The one check of a command's extra, before it runs: `COMMAND --help` still works without it.
        extra = COMMAND_EXTRAS.get(args[0]) if args else None
        if extra is not None and not any(arg in HELP_OPTIONS for arg in args[1:]):
            require_extra(extra, f"plaid-balance {args[0]}")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing help must not import every subcommand (and its heavy dependencies).
        with formatter.section("Commands"):
            formatter.write_dl([(name, HELP[name]) for name in sorted(COMMANDS)])

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Exit codes"):
            formatter.write_dl([(str(int(code)), text) for code, text in EXIT_CODES.items()])


HELP_MAX_WIDTH = 100


def help_width(environ: Mapping[str, str] = os.environ) -> int:
    """The width click would give help text (the terminal's columns or ``COLUMNS``, at most
    ``HELP_MAX_WIDTH``, less a margin of 2, at least 50), computed here because click imports ``shutil``
    to ask the terminal, and with it bz2, lzma and fnmatch: a tenth of a ``--help``'s time."""
    try:
        columns = int(environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return max(min(columns or 80, HELP_MAX_WIDTH) - 2, 50)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": HELP_MAX_WIDTH},
)
@click.version_option(package_name="plaid-balance", prog_name="plaid-balance")
@click.option("-v", "--verbose", is_flag=True, help="Say on stderr when a call is retried, and why.")
def cli(verbose: bool) -> None:
    """Real-time account balances from Plaid.

    Credentials come from PLAID_CLIENT_ID and PLAID_SECRET; access tokens from a file, stdin or
    PLAID_ACCESS_TOKEN, never from the command line.
    """
    # -v is read from the root context when a command builds its client (cli.common.announce_retries),
    # not acted on here: `COMMAND --help` runs this callback too and must not import the retry machinery.


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: click's parsing, then one exit code per outcome (``exit_code_for``).

    Everything written goes through one door (``streams``): secrets masked, whole lines, a closed pipe
    quiet. Usage errors are one line, naming the variable when a bad value came from one.
    """
    # On the way out the interpreter runs full collections over every object the imports made (tens of
    # thousands), only for the system to free the whole process an instant later: a sixth of a `get`'s
    # time. Moving them to the permanent generation first (at exit only: an in-process caller keeps its
    # collector) skips those passes; atexit handlers, flushing and module teardown still run.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    if argv is None:
        # The console script (no arguments: it reads sys.argv) owns the process: what the command's
        # implementation imports goes to the permanent generation once loaded (cli.boundary). A caller
        # passing arguments (a test, an application) keeps its collector.
        own_the_process()
    # httpx imports its own command-line tool (and with it rich and pygments) whenever they are installed;
    # this program never uses it. A None entry in sys.modules makes that optional import fail at once.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    args = sys.argv[1:] if argv is None else list(argv)
    streams.install()
    # Secrets known at the door are masked in everything written from here on.
    remember_environment(os.environ)
    remember_secret_arguments(args)
    try:
        # Not cli.main(): it turns a closed pipe into a bare exit 1, and our codes are decided here.
        with cli.make_context("plaid-balance", args, terminal_width=help_width()) as ctx:
            cli.invoke(ctx)
        code: int = ExitCode.OK
    except SystemExit as exc:
        if exc.code is not None and not isinstance(exc.code, int):
            raise
        code = exc.code or ExitCode.OK
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.format_message())
        code = ExitCode.USAGE
    except click.ClickException as exc:
        click.echo(usage_error_line(exc), err=True)
        code = ExitCode.USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        code = ExitCode.INTERRUPTED
    except BrokenPipeError as exc:
        code = exit_code_for(exc)
    except PlaidBalanceError as exc:
        # A configuration or storage error no command caught: still one line and its documented code.
        click.echo(f"error: {safe_text(exc)}", err=True)
        code = exit_code_for(exc)
    try:
        sys.stdout.flush()
    except BrokenPipeError as exc:
        code = exit_code_for(exc)
    if streams.stdout_closed() or code == ExitCode.CLOSED_PIPE:
        # The reader (``| head``) has all it wanted: say nothing, as a tool killed by SIGPIPE would.
        streams.silence_stdout()
        code = ExitCode.CLOSED_PIPE
    sys.exit(code)
