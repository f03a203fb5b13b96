"""`plaid-balance emulator ...`: run the offline Plaid Sandbox emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from plaid_balance.cli import params
from plaid_balance.cli.boundary import loading

F = TypeVar("F", bound=Callable[..., Any])

_DEFAULT_CLIENT_ID = "emulator-client-id"

_DEFAULT_SECRET = "emulator-secret"  # noqa: S105 - the emulator's own fixed test value

_MAX_MS = 3_600_000.0

_ms = params.Number(0.0, _MAX_MS)


def _fault_rate(name: str, help: str) -> Callable[[F], F]:
    """A fault's ``--...-rate``: the share of calls it hits, none by default."""
    return click.option(name, default=0.0, type=params.Rate(), help=help)


@click.group(name="emulator")
def emulator() -> None:
    """Offline emulator of the Plaid Sandbox (balances, Items, Link, webhooks, errors, rate limits, faults)."""


@emulator.command(name="serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Only loopback addresses unless --allow-non-loopback is given.",
)
@click.option(
    "--port",
    default=8787,
    show_default=True,
    type=params.Integer(0, 65535),
    help="TCP port to listen on; 0 picks a free one (printed at start-up).",
)
@click.option(
    "--allow-non-loopback",
    is_flag=True,
    help="Allow listening on an address other hosts can reach (the emulator has no real authentication).",
)
@click.option(
    "--client-id",
    default=_DEFAULT_CLIENT_ID,
    show_default=True,
    help="The client_id the emulator accepts (printable ASCII, no spaces).",
)
@click.option(
    "--secret",
    default=_DEFAULT_SECRET,
    show_default=True,
    help="The secret the emulator accepts (printable ASCII, no spaces; a test value, not a Plaid secret).",
)
@click.option(
    "--latency-ms",
    default=0.0,
    type=_ms,
    help="Time each faulted call (balance calls by default) takes to answer, in milliseconds (at most one hour).",
)
@click.option(
    "--latency-jitter-ms",
    default=0.0,
    type=_ms,
    help="Uniformly random extra latency on top of --latency-ms, in milliseconds.",
)
@_fault_rate("--error-rate", "Share of calls answered 500 API_ERROR/INTERNAL_SERVER_ERROR.")
@_fault_rate(
    "--institution-not-responding-rate",
    "Share of calls answered 400 INSTITUTION_ERROR/INSTITUTION_NOT_RESPONDING.",
)
@_fault_rate("--drop-rate", "Share of calls whose connection drops mid-response.")
@_fault_rate("--hang-rate", "Share of calls that hang for --hang-seconds.")
@click.option(
    "--hang-seconds",
    default=30.0,
    type=params.Number(0.0, 3600.0),
    show_default=True,
    help="How long a hanging call waits before answering (at most an hour).",
)
@_fault_rate("--malformed-rate", "Share of calls answered 200 with a body that is not JSON.")
@_fault_rate("--truncated-rate", "Share of calls answered 200 with the JSON cut in half.")
@click.option(
    "--fail-next",
    multiple=True,
    metavar="FAULT",
    help="Fault for the next balance call: a fault kind (error, drop, hang, malformed, truncated, "
    "institution_not_responding) or a Plaid error_code. Repeatable; used up in order.",
)
@click.option(
    "--seed",
    default=None,
    type=params.Integer(0, 2**63 - 1),
    help="Seed for fault and jitter draws, for repeatable runs.",
)
@click.option(
    "--rate-window-seconds",
    default=60.0,
    type=params.Number(0.0, 86_400.0, min_open=True),
    show_default=True,
    help="Length of the sliding window Plaid's rate limits count over.",
)
@click.option("--no-rate-limits", is_flag=True, help="Turn off the Sandbox rate limits.")
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    help="How much the server logs on stderr.",
)
@click.option("--access-log", is_flag=True, help="Log one line per request (paths only, never bodies).")
def serve_command(**options: Any) -> None:
    """Serve the emulator in the foreground until interrupted (Ctrl-C).

    It prints its address and an `export` line to paste into a shell, so that plaid-balance (and any Plaid
    client reading PLAID_BASE_URL, PLAID_CLIENT_ID and PLAID_SECRET) talks to it.
    """
    with loading():
        from plaid_balance.cli.impl.emulator import run_serve_command  # the command boundary

    run_serve_command(**options)
