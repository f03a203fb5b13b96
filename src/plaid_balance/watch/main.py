"""``plaid-balance watch`` put together, in this one module: config, vault, history, the batch client,
the service, its HTTP side and the dashboard the caller passes in (``Options.dashboard``)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from plaid_balance._client import PlaidClient
from plaid_balance._errors import ConfigurationError
from plaid_balance._secret import SecretStr
from plaid_balance.batch import BatchClient, BatchOptions
from plaid_balance.watch import logs
from plaid_balance.watch.app import DashboardFactory
from plaid_balance.watch.clock import SystemClock
from plaid_balance.watch.config import WatchConfig, load_config
from plaid_balance.watch.notify import Sender
from plaid_balance.watch.runner import bearer_token, prepare, run_watch
from plaid_balance.watch.service import Watch
from plaid_balance.watch.sources import Sources, open_sources
from plaid_balance.watch.values import parse_listen
from plaid_balance.watch.wiring import LibraryHistory, LibraryPlaid


@dataclass(frozen=True, slots=True)
class Options:
    config_path: Path
    db_url: str | None
    environment: str
    base_url: str | None
    timeout: float
    concurrency: int = 10
    once: bool = False
    listen: str | None = None  # overrides [server] listen
    check_only: bool = False
    json_logs: bool = False
    # Mounted at /dashboard when given (the command line passes the dashboard when plaid-balance[web] is
    # installed); else ``dashboard_off`` says why there is none, in one line of the log at start.
    dashboard: DashboardFactory | None = None
    dashboard_off: str = ""


def main(options: Options) -> bool:
    """Run the watch; True when Ctrl-C stopped it. Raises ``ConfigurationError`` for what the user can fix."""
    load_config(options.config_path)  # syntax first: no database is opened for a broken file
    sources = open_sources(options.db_url)
    try:
        known = sources.known_items()
        config, sender = prepare(options.config_path, known)
        if options.listen is not None:
            try:
                listen = parse_listen(options.listen)
            except ValueError as exc:
                raise ConfigurationError(f"--listen: {exc}") from None
            config = dataclasses.replace(config, server=dataclasses.replace(config.server, listen=listen))
        token = bearer_token(config)
        if options.check_only:
            enabled = [k.alias for k in known if config.settings_for(k.alias).enabled]
            print(
                f"{config.path}: OK: {len(enabled)} of {len(known)} Items watched, {len(config.alerts)} alerts, "
                f"notifiers: {', '.join(config.notifiers) or 'none'}"
            )
            return False
        # The key must open the vault now, not at each refresh: a missing key is the storage exit code
        # (docs/watch.md), never a watch that runs, logs an error per Item and exits 0.
        sources.check_vault_key()
        secrets = [os.environ.get("PLAID_SECRET", ""), token or ""]
        logs.configure(as_json=options.json_logs, secrets=secrets)
        stopped_by = asyncio.run(_serve(options, config, sender, sources, token))
    finally:
        sources.close()
    return stopped_by == signal.SIGINT


def _item_get(options: Options, token: SecretStr) -> object:
    """Plaid's free /item/get, from a worker thread: settles a token rotation in doubt (docs/vault.md)."""
    with PlaidClient(
        environment=options.environment, base_url=options.base_url, timeout=options.timeout
    ) as plaid:
        return plaid.item_get(token)


async def _serve(
    options: Options, config: WatchConfig, sender: Sender, sources: Sources, token: str | None
) -> int | None:
    client = BatchClient(
        BatchOptions(concurrency=options.concurrency),
        environment=options.environment,
        base_url=options.base_url,
        timeout=options.timeout,
    )
    sources.items.check = lambda token: _item_get(options, token)
    try:
        watch = Watch(
            config,
            items=sources.items,
            plaid=LibraryPlaid(client),
            history=LibraryHistory(sources.history),
            store=sources.state,
            sender=sender,
            clock=SystemClock(),
            concurrency=options.concurrency,
        )
        await watch.load()
        if options.dashboard is None and options.dashboard_off and not options.once:
            logging.getLogger("plaid_balance.watch").info(f"dashboard off: {options.dashboard_off}")
        result = await run_watch(
            watch,
            known=sources.known_items,
            config_path=options.config_path,
            token=token,
            once=options.once,
            dashboard=options.dashboard,
        )
        counters = watch.state.counters
        billed, saved = watch.ledger.month_totals(watch.clock.now())
        sys.stderr.flush()
        logging.getLogger("plaid_balance.watch").info(
            "stopped",
            extra={
                "fields": {
                    "refreshes": counters.refreshes,
                    "billed": counters.billed,
                    "saved": counters.saved,
                    "billed_this_month": billed,
                    "saved_this_month": saved,
                    "alerts_sent": counters.alerts_sent,
                }
            },
        )
        return result
    finally:
        await client.aclose()
