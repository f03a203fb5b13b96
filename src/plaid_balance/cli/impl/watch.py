"""``plaid-balance watch``: the options handed to the watch (``watch.main``), with the dashboard when
plaid-balance[web] is installed."""

from __future__ import annotations

from pathlib import Path

from plaid_balance import dashboard as dashboards
from plaid_balance._errors import PlaidBalanceError
from plaid_balance._extras import has_extra
from plaid_balance.cli.common import fail
from plaid_balance.cli.exit_codes import ExitCode
from plaid_balance.watch.app import DashboardFactory
from plaid_balance.watch.main import Options, main


def run(
    config_path: Path,
    db: str | None,
    environment: str,
    base_url: str | None,
    timeout: float,
    listen: str | None,
    once: bool,
    check_only: bool,
    log_format: str,
    concurrency: int,
) -> None:
    # plaid-balance[watch] itself was checked before this command was loaded (cli.COMMAND_EXTRAS).
    dashboard: DashboardFactory | None = None
    if has_extra("web"):  # else the watch runs without its dashboard, and says so in its log
        dashboard = dashboards.create_watch_app

    options = Options(
        config_path=config_path,
        db_url=db,
        environment=environment,
        base_url=base_url,
        timeout=timeout,
        concurrency=concurrency,
        once=once,
        listen=listen,
        check_only=check_only,
        json_logs=log_format == "json",
        dashboard=dashboard,
        dashboard_off="" if dashboard else "it needs plaid-balance[web]: pip install 'plaid-balance[web]'",
    )
    try:
        interrupted = main(options)
    except PlaidBalanceError as exc:  # config (2), storage (7): one line
        fail(exc)
    if interrupted:
        raise SystemExit(ExitCode.INTERRUPTED)
