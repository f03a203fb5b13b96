"""`plaid-balance emulator ...`: run the offline Plaid Sandbox emulator."""

from __future__ import annotations

import shlex
from typing import Any

import click

from plaid_balance.cli.exit_codes import ExitCode
from plaid_balance.cli.streams import write_secret
from plaid_balance.emulator.config import EmulatorConfig, FaultConfig
from plaid_balance.emulator.server import NonLoopbackError, serve


class EmulatorUsageError(click.ClickException):
    """One line on stderr and the usage exit code: the options cannot give a working emulator."""

    exit_code = ExitCode.USAGE


def export_line(base_url: str, client_id: str, secret: str) -> str:
    """Shell lines that point plaid-balance (or any Plaid client reading these variables) at the emulator."""

    pairs = {"PLAID_BASE_URL": base_url, "PLAID_CLIENT_ID": client_id, "PLAID_SECRET": secret}
    return "export " + " ".join(f"{name}={shlex.quote(value)}" for name, value in pairs.items())


def run_serve_command(
    host: str,
    port: int,
    allow_non_loopback: bool,
    client_id: str,
    secret: str,
    log_level: str,
    access_log: bool,
    no_rate_limits: bool,
    rate_window_seconds: float,
    fail_next: tuple[str, ...],
    **faults: Any,
) -> None:

    try:
        config = EmulatorConfig(
            client_id=client_id,
            secret=secret,
            rate_window_seconds=rate_window_seconds,
            rate_limits_enabled=not no_rate_limits,
            faults=FaultConfig(fail_next=list(fail_next), **faults),
        )
    except ValueError as exc:
        raise EmulatorUsageError(str(exc)) from None

    def announce(base_url: str) -> None:
        click.echo(f"Plaid emulator listening on {base_url} (offline sandbox; Ctrl-C stops it)", err=True)
        # The export line exists to hand the user the credentials this emulator accepts: test values they
        # chose (or the default), never a Plaid account's. Like sandbox-token's token it is output that is
        # the secret on purpose, so it passes the redactor (decision 56), on stdout and nowhere else;
        # a --secret that also sits in PLAID_SECRET would otherwise be printed as ***.
        write_secret(export_line(base_url, config.client_id, config.secret) + "\n")

    try:
        serve(
            config,
            host,
            port,
            allow_non_loopback=allow_non_loopback,
            log_level=log_level,
            access_log=access_log,
            on_ready=announce,
        )
    except NonLoopbackError:
        raise EmulatorUsageError(
            f"refusing to listen on non-loopback address {host!r}: the emulator has no real authentication "
            "(pass --allow-non-loopback if you really mean it)"
        ) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise EmulatorUsageError(f"cannot listen on {host}:{port}: {reason}") from None
