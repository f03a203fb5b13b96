"""Commands that need an optional part of plaid-balance say so in one line, before importing it."""

from __future__ import annotations

import importlib.util

import click

from plaid_balance.cli.exit_codes import ExitCode


def missing_extra(*modules: str) -> bool:
    return any(importlib.util.find_spec(module) is None for module in modules)


def require_extra(extra: str, *modules: str) -> None:
    """Exit 2 with ``this needs plaid-balance[EXTRA]: ...`` unless every module can be imported."""
    if missing_extra(*modules):
        click.echo(
            f"error: this needs plaid-balance[{extra}]: pip install 'plaid-balance[{extra}]'", err=True
        )
        raise SystemExit(ExitCode.USAGE)
