"""`plaid-balance emulator ...`: run the offline Plaid Sandbox emulator."""

from __future__ import annotations

import click

from plaid_balance.emulator.config import EmulatorConfig, FaultConfig, validate_fault_name
from plaid_balance.emulator.server import is_loopback, serve

_rate = click.FloatRange(0.0, 1.0)


@click.group(name="emulator")
def emulator() -> None:
    """Offline emulator of the Plaid Sandbox (balances, Items, errors, rate limits, faults)."""


@emulator.command(name="serve")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback only by default)."
)
@click.option(
    "--port", default=8787, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port."
)
@click.option(
    "--allow-non-loopback", is_flag=True, help="Allow binding an address reachable from other hosts."
)
@click.option("--client-id", default=EmulatorConfig().client_id, show_default=True)
@click.option("--secret", default=EmulatorConfig().secret, show_default=True)
@click.option("--latency-ms", default=0.0, type=click.FloatRange(0.0), help="Added latency on balance calls.")
@click.option("--latency-jitter-ms", default=0.0, type=click.FloatRange(0.0), help="Random extra latency.")
@click.option("--error-rate", default=0.0, type=_rate, help="Share answered 500 INTERNAL_SERVER_ERROR.")
@click.option("--institution-not-responding-rate", default=0.0, type=_rate)
@click.option("--drop-rate", default=0.0, type=_rate, help="Share whose connection is dropped mid-response.")
@click.option("--hang-rate", default=0.0, type=_rate, help="Share that hang for --hang-seconds.")
@click.option("--hang-seconds", default=30.0, type=click.FloatRange(0.0), show_default=True)
@click.option("--malformed-rate", default=0.0, type=_rate, help="Share answered 200 with a non-JSON body.")
@click.option("--truncated-rate", default=0.0, type=_rate, help="Share answered 200 with a cut-short body.")
@click.option("--fail-next", multiple=True, help="Fault for the next balance call (repeatable, in order).")
@click.option("--seed", default=None, type=int, help="Seed for fault and jitter draws.")
@click.option(
    "--rate-window-seconds", default=60.0, type=click.FloatRange(0.0, min_open=True), show_default=True
)
@click.option("--no-rate-limits", is_flag=True, help="Disable the Sandbox rate limits.")
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@click.option("--access-log", is_flag=True, help="Log one line per request (paths only, never bodies).")
def serve_command(
    host: str,
    port: int,
    allow_non_loopback: bool,
    client_id: str,
    secret: str,
    latency_ms: float,
    latency_jitter_ms: float,
    error_rate: float,
    institution_not_responding_rate: float,
    drop_rate: float,
    hang_rate: float,
    hang_seconds: float,
    malformed_rate: float,
    truncated_rate: float,
    fail_next: tuple[str, ...],
    seed: int | None,
    rate_window_seconds: float,
    no_rate_limits: bool,
    log_level: str,
    access_log: bool,
) -> None:
    """Serve the emulator in the foreground until interrupted."""
    if not allow_non_loopback and not is_loopback(host):
        raise click.UsageError(
            f"refusing to bind non-loopback address {host!r}: the emulator has no real authentication. "
            "Pass --allow-non-loopback if you really mean it."
        )
    for name in fail_next:
        try:
            validate_fault_name(name)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--fail-next") from None
    if (
        error_rate + institution_not_responding_rate + drop_rate + hang_rate + malformed_rate + truncated_rate
        > 1
    ):
        raise click.UsageError("the fault rates add up to more than 1")
    config = EmulatorConfig(
        client_id=client_id,
        secret=secret,
        rate_window_seconds=rate_window_seconds,
        rate_limits_enabled=not no_rate_limits,
        faults=FaultConfig(
            latency_ms=latency_ms,
            latency_jitter_ms=latency_jitter_ms,
            error_rate=error_rate,
            institution_not_responding_rate=institution_not_responding_rate,
            drop_rate=drop_rate,
            hang_rate=hang_rate,
            hang_seconds=hang_seconds,
            malformed_rate=malformed_rate,
            truncated_rate=truncated_rate,
            fail_next=list(fail_next),
            seed=seed,
        ),
    )

    def announce(base_url: str) -> None:
        # The secret is the emulator's own fixed test value, not a Plaid credential, so printing it is fine.
        click.echo(
            f"Plaid emulator listening on {base_url} (client_id={config.client_id} secret={config.secret})",
            err=True,
        )

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
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from exc
