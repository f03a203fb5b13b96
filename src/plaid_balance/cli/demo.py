"""``plaid-balance demo``: a balance report from the built-in emulator, offline, no keys."""

from __future__ import annotations

import click

from plaid_balance._config import SANDBOX_INSTITUTION, SANDBOX_USERNAME
from plaid_balance._extras import require_extra
from plaid_balance.cli.boundary import loading
from plaid_balance.cli.common import output_format_option


@click.command()
@output_format_option("auto", "json", "table", "csv", help="auto: a table on a terminal, JSON otherwise.")
@click.option("--institution", default=SANDBOX_INSTITUTION, show_default=True, help="Sandbox institution id.")
@click.option(
    "--username", default=SANDBOX_USERNAME, show_default=True, help="Sandbox user (user_good, ...)."
)
@click.option(
    "--dashboard",
    "with_dashboard",
    is_flag=True,
    help="Link three Items and open the dashboard on them instead.",
)
@click.option(
    "--no-browser", is_flag=True, help="With --dashboard: print its URL instead of opening a browser."
)
def demo(output_format: str, institution: str, username: str, with_dashboard: bool, no_browser: bool) -> None:
    """Start the emulator in-process, link a sandbox Item and fetch its balances the normal way.

    Nothing leaves this machine: the emulator listens on 127.0.0.1 on a free port and stops on exit.
    With --dashboard, three Items are linked and the dashboard (needs plaid-balance[web]) shows them with
    180 days of sample history, from a temporary database that is removed when the demo stops.
    """
    if with_dashboard:
        require_extra("web", "demo --dashboard")  # before the mode's implementation imports the dashboard
        with loading():
            from plaid_balance.cli.impl.demo_dashboard import (
                run as run_dashboard,  # the boundary, this mode's
            )

        run_dashboard(no_browser)
        return
    with loading():
        from plaid_balance.cli.impl.demo import run  # the command boundary

    run(output_format, institution, username)
