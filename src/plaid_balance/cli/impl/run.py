"""``plaid-balance run JOBFILE``: the balance report a TOML job file describes."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from typing import TYPE_CHECKING

from plaid_balance._client import PlaidClient
from plaid_balance._errors import PlaidBalanceError
from plaid_balance._fetch import fetch_report
from plaid_balance.cli.common import fail
from plaid_balance.cli.impl.common import announce_retries, emit_report, history_store
from plaid_balance.cli.jobfile import load_job, resolve_job
from plaid_balance.history.recall import fetch_or_recall

if TYPE_CHECKING:
    from plaid_balance._report import Report
    from plaid_balance.cli.render import TablePrinter


def run(
    jobfile: str,
    base_url: str | None,
    timeout: float,
    save: bool,
    max_age: timedelta | None,
    db: str | None,
    output_format: str,
    tables: TablePrinter | None = None,
) -> None:
    try:
        job = resolve_job(load_job(jobfile), os.environ)
        announce_retries()
        client = PlaidClient(job.client_id, job.secret, job.environment, base_url=base_url, timeout=timeout)
    except PlaidBalanceError as exc:
        fail(exc)

    def fetch() -> Report:
        with client:
            return fetch_report(
                client,
                job.access_token,
                account_ids=job.account_ids,
                min_last_updated_datetime=job.min_last_updated_datetime,
                cached=job.cached,
            )

    with history_store(save, max_age, db) as store:
        report = fetch_or_recall(
            store,
            job.access_token.get_secret_value(),
            fetch,
            save=save,
            max_age=max_age,
            account_ids=job.account_ids,
        )
    sys.exit(emit_report(report, output_format, tables=tables))
