"""``plaid-balance run JOBFILE``: run a TOML job file (the seed's run job)."""

from __future__ import annotations

import os
import sys

import click

from plaid_balance.cli.common import base_url_option, emit_report, fail, format_option, timeout_option
from plaid_balance.client import PlaidClient
from plaid_balance.errors import ConfigurationError
from plaid_balance.job import fetch_report
from plaid_balance.jobfile import load_job, resolve_job


@click.command()
@click.argument("jobfile", type=click.Path(dir_okay=False, path_type=str))
@base_url_option
@timeout_option
@format_option
def run(jobfile: str, base_url: str | None, timeout: float, output_format: str) -> None:
    """Run the job in JOBFILE (TOML; see run.toml) and print its report.

    The job's environment, token and options come from the file; ${VAR} references and the Plaid
    credentials are read only from variables on the job's env allowlist.
    """
    try:
        job = resolve_job(load_job(jobfile), os.environ)
        client = PlaidClient(job.client_id, job.secret, job.environment, base_url=base_url, timeout=timeout)
    except ConfigurationError as exc:
        fail(str(exc))
    with client:
        report = fetch_report(
            client,
            job.access_token,
            account_ids=job.account_ids,
            min_last_updated_datetime=job.min_last_updated_datetime,
            cached=job.cached,
        )
    sys.exit(emit_report(report, output_format))
