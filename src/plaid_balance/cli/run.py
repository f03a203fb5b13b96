"""``plaid-balance run JOBFILE``: the balance report a TOML job file describes."""

from __future__ import annotations

from typing import Any

import click

from plaid_balance.cli.boundary import loading, table_printer
from plaid_balance.cli.common import base_url_option, format_option, timeout_option
from plaid_balance.cli.recall import history_options


@click.command()
@click.argument("jobfile", type=click.Path(dir_okay=False, path_type=str))
@base_url_option
@timeout_option
@history_options
@format_option
def run(**options: Any) -> None:
    """Run the job in JOBFILE (TOML; see run.toml) and print its report.

    The job's environment, token and options come from the file; ${VAR} references and the Plaid
    credentials are read only from variables on the job's env allowlist.
    """
    with loading():
        from plaid_balance.cli.impl.run import run  # the command boundary

        tables = table_printer(options["output_format"])
    run(**options, tables=tables)
