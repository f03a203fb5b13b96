"""``plaid-balance demo``: a balance report from the built-in emulator, offline, no keys."""

from __future__ import annotations

import sys

import click

from plaid_balance._client import PlaidClient
from plaid_balance._errors import PlaidFailure
from plaid_balance._fetch import fetch_report
from plaid_balance._sandbox import create_sandbox_item
from plaid_balance._settings import timeout_setting
from plaid_balance.cli import tables
from plaid_balance.cli.exit_codes import exit_code_for
from plaid_balance.cli.impl.common import announce_retries, emit_report
from plaid_balance.emulator import run_emulator


def run(output_format: str, institution: str, username: str) -> None:
    if output_format == "auto":
        output_format = "table" if sys.stdout.isatty() else "json"
    timeout = timeout_setting()  # the one variable the demo reads: refused before anything is printed
    with run_emulator() as emulator:
        click.echo(f"emulator: Plaid sandbox emulator at {emulator.base_url} (offline)", err=True)
        announce_retries()
        with PlaidClient(
            emulator.client_id, emulator.secret, "sandbox", base_url=emulator.base_url, timeout=timeout
        ) as client:
            try:
                item = create_sandbox_item(client, institution, username)
            except PlaidFailure as exc:
                click.echo(f"error: cannot create the sandbox Item: {exc}", err=True)
                sys.exit(exit_code_for(exc))
            click.echo(f"emulator: linked {username} at {institution} as Item {item.item_id}", err=True)
            report = fetch_report(client, item.access_token)
    sys.exit(emit_report(report, output_format, tables=tables))
