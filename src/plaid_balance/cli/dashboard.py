"""``plaid-balance dashboard``: the local web dashboard over the history database and the vault."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

import click

from plaid_balance.cli.common import fail
from plaid_balance.cli.exit_codes import ExitCode
from plaid_balance.cli.recall import db_option, storage_errors

if TYPE_CHECKING:
    from plaid_balance.dashboard import DashboardData

TOKEN_ENV = "PLAID_BALANCE_DASHBOARD_TOKEN"  # noqa: S105 (a variable's name)


@click.command()
@db_option
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default)."
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port; 0 picks a free one."
)
@click.option("--no-browser", is_flag=True, help="Print the dashboard's URL instead of opening a browser.")
def dashboard(db: str | None, host: str, port: int, no_browser: bool) -> None:
    """Serve a dashboard of your balances: net worth, Items and their health, accounts, history charts.

    Every page needs the dashboard's login token, which is in the URL printed at start (or set it with
    PLAID_BALANCE_DASHBOARD_TOKEN, e.g. for a bookmark or when listening beyond loopback). Stop with
    Ctrl-C. Nothing is sent anywhere: the page and its chart library are served by plaid-balance itself.
    """
    from plaid_balance.dashboard import open_dashboard_data
    from plaid_balance.dashboard._server import is_loopback

    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        import secrets  # here: --help does not need it (it brings hashlib, random, base64)

        token = secrets.token_urlsafe(32)
    elif len(token) < 16 or not token.isascii() or not token.isprintable():
        fail(f"${TOKEN_ENV} must be at least 16 printable ASCII characters")
    if not is_loopback(host) and not os.environ.get(TOKEN_ENV):
        fail(f"listening on {host} (beyond loopback) needs a login token you chose in ${TOKEN_ENV}")
    with storage_errors():
        data = open_dashboard_data(db)
        data.refresh()  # read everything once now, so the first page answers quickly
    serve_dashboard(data, token, host=host, port=port, no_browser=no_browser)


def serve_dashboard(
    data: DashboardData,
    token: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    no_browser: bool,
    note: str = "press Ctrl-C to stop",
) -> None:
    """Serve the dashboard over ``data`` until Ctrl-C: print its URL (and ``note``), open a browser."""
    from plaid_balance.dashboard._app import create_app
    from plaid_balance.dashboard._server import DashboardServer

    try:
        server = DashboardServer(lambda hosts: create_app(data, token=token, hosts=hosts), host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", ExitCode.USAGE)
    with server:
        if not server.wait_started():
            fail(f"the dashboard server on {host}:{port} did not start", ExitCode.USAGE)
        url = f"{server.base_url}/?token={token}"
        click.echo(f"dashboard: {url}", err=True)
        click.echo(f"dashboard: {note}", err=True)
        if not no_browser:
            import webbrowser

            webbrowser.open(url)
        threading.Event().wait()
