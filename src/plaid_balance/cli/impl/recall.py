"""Checking a ``--db`` value (``cli/recall.py``) by the storage package's own URL rule, when it is converted."""

from __future__ import annotations

import click

from plaid_balance._errors import ConfigurationError
from plaid_balance.cli import recall
from plaid_balance.storage.engine import parse_db_url


def check_db_url(
    kind: recall.DatabaseUrl, text: str, param: click.Parameter | None, ctx: click.Context | None
) -> None:
    """A usage error naming what is wrong when ``text`` is no database the history can open."""
    try:
        parse_db_url(text)
    except ConfigurationError as exc:
        kind.fail(str(exc), param, ctx)
