"""``plaid-balance demo --dashboard``: a populated dashboard on a fresh machine, with no keys.

Everything is real but the past: three Items are linked on the built-in emulator, kept in a vault,
and fetched the normal way; then 180 days of sample history are written behind each fetch so the charts
have something to show. The database lives in a temporary folder and is gone when the demo stops.

The implementation of ``demo``'s dashboard mode: ``cli/demo.py`` loads it, once the web extra is known
to be there, instead of ``cli/impl/demo.py``.
"""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

import click

from plaid_balance._client import PlaidClient
from plaid_balance._fetch import fetch_report
from plaid_balance._report import BalanceReport
from plaid_balance._sandbox import create_sandbox_item
from plaid_balance._settings import timeout_setting
from plaid_balance.cli.impl.dashboard import serve_dashboard
from plaid_balance.cli.stopping import stopped_cleanly_by_signals
from plaid_balance.dashboard import open_dashboard_data
from plaid_balance.dashboard._sample import write_backfill
from plaid_balance.emulator import run_emulator
from plaid_balance.history.store import open_store
from plaid_balance.vault import Vault

INSTITUTIONS = (("ins_109508", "platypus"), ("ins_109509", "gingham"), ("ins_109511", "tartan"))


def run(no_browser: bool) -> None:
    timeout = timeout_setting()  # the one variable the demo reads: refused before anything is printed
    with stopped_cleanly_by_signals(), tempfile.TemporaryDirectory(prefix="plaid-balance-demo-") as folder:
        db_url = f"sqlite:///{Path(folder) / 'demo.db'}"
        key = secrets.token_bytes(32)
        reports: list[BalanceReport] = []
        with run_emulator() as emulator:
            click.echo(f"demo: Plaid sandbox emulator at {emulator.base_url} (offline)", err=True)
            with (
                PlaidClient(
                    emulator.client_id,
                    emulator.secret,
                    "sandbox",
                    base_url=emulator.base_url,
                    timeout=timeout,
                ) as client,
                open_store(db_url) as store,
                Vault.open(db_url, key=key, use_keyring=False) as vault,
            ):
                for institution_id, alias in INSTITUTIONS:
                    item = create_sandbox_item(client, institution_id)
                    report = fetch_report(client, item.access_token)
                    if not isinstance(report, BalanceReport):
                        raise click.ClickException(f"the emulator refused a demo fetch: {report.error}")
                    vault.add(
                        alias,
                        item.access_token.get_secret_value(),
                        item_id=report.item_id,
                        institution_id=report.institution_id,
                        institution_name=report.institution_name,
                        accounts=[
                            {
                                "account_id": a.account_id,
                                "name": a.name,
                                "mask": a.mask,
                                "type": a.type,
                                "subtype": a.subtype,
                            }
                            for a in report.accounts
                        ],
                    )
                    store.save(report, access_token=item.access_token)
                    reports.append(report)
                    click.echo(
                        f"demo: linked {alias} ({report.institution_name}), {report.account_count} accounts",
                        err=True,
                    )
                write_backfill(store.database, reports, days=180)
        data = open_dashboard_data(db_url)
        data.refresh()
        serve_dashboard(
            data,
            None,
            no_browser=no_browser,
            note="sample history for the last 180 days; press Ctrl-C to stop",
        )
