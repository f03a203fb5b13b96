"""``plaid-balance dashboard``: the local web dashboard over the history database and the vault."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

import click

from plaid_balance._errors import InvalidValue
from plaid_balance._parse import parse_bearer_token
from plaid_balance.cli.browser import private_opener
from plaid_balance.cli.common import fail
from plaid_balance.cli.exit_codes import ExitCode
from plaid_balance.cli.recall import storage_errors
from plaid_balance.cli.stopping import stopped_cleanly_by_signals
from plaid_balance.dashboard import open_dashboard_data
from plaid_balance.dashboard._app import create_app
from plaid_balance.dashboard._server import DashboardServer, is_loopback

if TYPE_CHECKING:
    from plaid_balance.dashboard import DashboardData

TOKEN_ENV = "PLAID_BALANCE_DASHBOARD_TOKEN"  # noqa: S105 (a variable's name)


def dashboard_token(host: str) -> str | None:
    """The token scripts send, from ``$PLAID_BALANCE_DASHBOARD_TOKEN`` (None when unset or empty): a
    server's bearer token, read as the watch's is. Raises ``InvalidValue`` with the line to show."""
    text = os.environ.get(TOKEN_ENV, "")
    return parse_bearer_token(text, what=f"${TOKEN_ENV}", beyond_loopback=not is_loopback(host))


def run(db: str | None, host: str, port: int, no_browser: bool) -> None:
    try:
        token = dashboard_token(host)
    except InvalidValue as exc:
        fail(str(exc))  # exit 2, as the watch's token
    if not is_loopback(host) and token is None:
        fail(f"listening on {host} (beyond loopback) needs a login token you chose in ${TOKEN_ENV}")
    with storage_errors():
        data = open_dashboard_data(db)
        data.refresh()  # read everything once now, so the first page answers quickly
    with stopped_cleanly_by_signals():  # `kill` or a closed terminal: the redirect folder goes too
        serve_dashboard(data, token, host=host, port=port, no_browser=no_browser)


def serve_dashboard(
    data: DashboardData,
    token: str | None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    no_browser: bool,
    note: str = "press Ctrl-C to stop",
) -> None:
    """Serve the dashboard over ``data`` until Ctrl-C: print a one-time sign-in link (and ``note``), and
    open a browser on a sign-in link of its own, through a private file (never on a command line)."""

    try:
        server = DashboardServer(create_app(data), host, port, token=token)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", ExitCode.USAGE)
    with server, private_opener() as open_page:
        if not server.wait_started():
            fail(f"the dashboard server on {host}:{port} did not start", ExitCode.USAGE)
        click.echo(f"dashboard: {server.sign_in_url()}", err=True)
        click.echo(f"dashboard: that link signs in one browser, once; {note}", err=True)
        if not no_browser:
            open_page(server.sign_in_url())
        threading.Event().wait()
