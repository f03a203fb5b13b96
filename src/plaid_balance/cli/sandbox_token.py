"""``plaid-balance sandbox-token``: a sandbox access token, from Plaid's Sandbox or the emulator."""

from __future__ import annotations

from typing import Any

import click

from plaid_balance._config import SANDBOX_INSTITUTION, SANDBOX_PASSWORD, SANDBOX_USERNAME
from plaid_balance.cli.boundary import loading
from plaid_balance.cli.common import base_url_option, timeout_option


@click.command(name="sandbox-token")
@click.option("--institution", default=SANDBOX_INSTITUTION, show_default=True, help="Sandbox institution id.")
@click.option("--username", default=SANDBOX_USERNAME, show_default=True, help="Sandbox user.")
@click.option("--password", default=None, help=f"Sandbox password [default: {SANDBOX_PASSWORD}].")
@click.option(
    "--custom-config",
    type=click.Path(dir_okay=False),
    help="JSON file with a user_custom configuration (implies --username user_custom).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the token to this file (mode 0600, replaced whole or left as it was) instead of stdout.",
)
@base_url_option
@timeout_option
def sandbox_token(**options: Any) -> None:
    """Create a sandbox Item and print its access token (Plaid Sandbox, or the emulator via --base-url).

    Uses PLAID_CLIENT_ID / PLAID_SECRET. The item_id goes to stderr, the token to stdout or --output.
    """
    with loading():
        from plaid_balance.cli.impl.sandbox_token import run  # the command boundary

    run(**options)
